# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The backend-agnostic BlitzWS engine."""

from ._blitzws import SolveResult, blitzws
from ._capsule import XI_GRID, capsules
from ._contract import Certificate, ModelProblem, Problem, check_problem
from ._solve import Solved, solve
from ._stop import plain, warn_not_converged

__all__ = ["Certificate", "ModelProblem", "Problem", "SolveResult", "Solved",
           "XI_GRID", "blitzws", "capsules", "check_problem", "plain", "solve",
           "warn_not_converged"]
