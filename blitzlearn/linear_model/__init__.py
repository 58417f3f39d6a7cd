# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Sparse linear models solved by BlitzWS."""

from ._lasso import BlitzLasso
from ._logistic import BlitzLogisticL1
from ._svc import BlitzSVC

__all__ = ["BlitzLasso", "BlitzLogisticL1", "BlitzSVC"]
