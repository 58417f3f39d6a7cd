# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The backend-agnostic BlitzWS engine."""

from ._blitzws import Certificate, Problem, SolveResult, blitzws
from ._capsule import XI_GRID, capsules
from ._stop import plain, warn_not_converged

__all__ = ["Certificate", "Problem", "SolveResult", "XI_GRID", "blitzws", "capsules",
           "plain", "warn_not_converged"]
