# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Sparse linear models solved by BlitzWS."""

from ._lasso import BlitzLasso

__all__ = ["BlitzLasso"]
