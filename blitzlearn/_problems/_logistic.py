# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""L1-regularised logistic regression as a BlitzWS problem.

Internally the problem is solved in lambda units,

.. math::

    P(w, c) = \\sum_i s_i \\log\\bigl(1 + e^{-y_i (x_i^\\top w + c)}\\bigr)
    + \\lambda \\|w\\|_1, \\qquad y_i \\in \\{-1, +1\\},

with dual

.. math::

    D(\\theta) = -\\sum_i s_i H\\!\\left(\\frac{y_i\\theta_i}{s_i}\\right),
    \\quad H(q) = q\\log q + (1 - q)\\log(1 - q),
    \\quad |x_j^\\top\\theta| \\le \\lambda,\\; 1^\\top\\theta = 0
    \\text{ (with an intercept)}.

``-D`` is ``gamma = 4 / max(s)`` strongly convex (``H'' >= 4``).  The
minorant's centre is ``r_i = s_i y_i sigma(-y_i z_i)`` at the scores
``z = X w + c``.
"""

import numpy as np

from .._kernels._logistic import (
    fit_intercept_newton,
    logistic_dual,
    logistic_subproblem,
    scores,
)
from ._l1 import L1DualProblem

# Newton steps allowed on the intercept alone when the weights are (re)set.
INIT_INTERCEPT_STEPS = 50


def null_intercept(y, s):
    """Optimal intercept of the model with ``w = 0``: ``log(S+ / S-)``."""
    pos = float(s[y > 0].sum())
    neg = float(s[y < 0].sum())
    return float(np.log(pos / neg))


def balance_classes(r, y):
    """Make ``sum(r) = 0`` by shrinking the heavier class's entries.

    ``r_i`` has the sign of ``y_i``; shrinking one side keeps every
    ``y_i r_i / s_i`` in [0, 1], so the result stays in the dual domain.  The
    correction is of the order of the intercept's residual optimality error.
    """
    pos = float(r[y > 0].sum())
    neg = -float(r[y < 0].sum())
    if pos > neg > 0.0:
        r[y > 0] *= neg / pos
    elif neg > pos > 0.0:
        r[y < 0] *= pos / neg
    return r


class LogisticProblem(L1DualProblem):
    """BlitzWS plug-in of weighted L1-regularised logistic regression (CPU).

    Parameters
    ----------
    X : ndarray (Fortran-ordered) or CSC matrix of shape (n_samples, n_features)
        Design matrix.
    y : ndarray of shape (n_samples,)
        Labels in {-1, +1}, float64.
    s : ndarray of shape (n_samples,)
        Non-negative sample weights; both classes need a positive total.
    lam : float
        Penalty in lambda units (``1 / C``).
    fit_intercept : bool
        Whether the unpenalised intercept ``c`` is fitted.
    w0 : ndarray of shape (n_features,)
        Starting weights.
    c0 : float or None
        Starting intercept; None starts from the null model's intercept.
    stats : tuple or None
        Column statistics shared between fits on the same ``X`` (see
        :func:`~blitzlearn._problems._l1.column_stats`, with ``d`` all ones).
    """

    def __init__(self, X, y, s, lam, *, fit_intercept, w0, c0=None, stats=None):
        n = X.shape[0]
        super().__init__(X, np.ones(n), lam, fit_intercept=fit_intercept,
                         positive=False, w0=w0, stats=stats)
        self.y = y
        self.s = s
        self.gamma = 4.0 / float(s.max())
        if not fit_intercept:
            c0 = 0.0
        elif c0 is None:
            c0 = null_intercept(y, s)
        self.c = float(c0)
        self.z = np.empty(n)
        self._r_raw = np.empty(n)
        self._h = np.empty(n)
        self._residual(INIT_INTERCEPT_STEPS)

    # -- the logistic loss ----------------------------------------------------
    def _residual(self, intercept_steps=8):
        """Recompute scores, loss and ``r`` (balanced) from ``w`` and ``c``."""
        data, indices, indptr, sparse = self.cols
        scores(data, indices, indptr, self.n, sparse, self.w,
               np.flatnonzero(self.w), self.c, self.z)
        steps = intercept_steps if self.fit_intercept else 0
        shift, self.loss = fit_intercept_newton(self.y, self.s, self.z,
                                                self._r_raw, self._h, steps)
        self.c += shift
        r = self._r_raw.copy()
        self.r = balance_classes(r, self.y) if self.fit_intercept else r

    def _dual(self, theta):
        return float(logistic_dual(self.y, self.s, theta))

    def primal(self):
        """``P(w, c)`` in lambda units."""
        return self.loss + self.lam * float(np.abs(self.w).sum())

    def intercept(self):
        """The current intercept ``c``."""
        return self.c

    # -- Problem interface ----------------------------------------------------
    def solve(self, working_set, eps, gap, min_work, max_work, max_epochs):
        data, indices, indptr, sparse = self.cols
        epochs, work, sub_gap, shift = logistic_subproblem(
            data, indices, indptr, self.n, sparse, self.y, self.s,
            self.fit_intercept, self.gamma, self.w, self.z, working_set,
            self.lam, eps, gap, min_work, max_work, max_epochs)
        self.c += shift
        self._residual()  # exact scores: no drift of the incremental ones
        return epochs, work, sub_gap
