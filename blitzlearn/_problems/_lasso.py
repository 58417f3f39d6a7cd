# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The Lasso as a BlitzWS problem (dual problem, features as components).

Internally the Lasso (and the elastic net) is solved in lambda units,

.. math::

    P(w, c) = \\tfrac12 \\|y - X w - c\\,d\\|_2^2
    + \\lambda \\sum_j v_j |w_j| + \\frac{\\lambda_2}{2} \\|w\\|_2^2,

where rows of ``X`` and ``y`` are already scaled by the square roots of the
sample weights and ``d`` is that scaling vector (all ones without weights).  Its
dual is

.. math::

    D(\\theta) = y^\\top\\theta - \\tfrac12\\|\\theta\\|^2
    - \\sum_j \\frac{[\\,|x_j^\\top\\theta| - \\lambda v_j]_+^2}{2 \\lambda_2},
    \\qquad d^\\top\\theta = 0 \\text{ (with an intercept)}

(with ``lambda_2 = 0`` the sum is the indicator of the slabs ``|x_j^T theta|
<= lambda v_j``; see :mod:`._l1`).  scikit-learn's ``ElasticNet(alpha,
l1_ratio)`` on ``n`` samples is ``lam = n * alpha`` with ``l1_ratio``:
``lambda = n alpha l1_ratio``, ``lambda_2 = n alpha (1 - l1_ratio)``.

BlitzWS works on ``f = -D`` (``gamma = 1``): the residual ``r`` at the current
weights is the minorant's centre with ``l = -P(w, c)``, the upper point is a
feasible ``theta`` and the gap is ``P(w, c) - D(theta)``.
"""

import numpy as np

from .._kernels._columns import column_bundle
from .._kernels._l1 import lasso_residual, lasso_subproblem
from .._kernels._lasso_gram import lasso_gram_subproblem
from .._kernels._stopping import make_budget
from ._gram import WorkingSetGram, gram_budget
from ._l1 import L1DualProblem

# Anderson extrapolation window (also the gap-check period) of the inner solver.
N_ANDERSON = 5

# Working sets of m features are solved in Gram form when m^2 is at most this
# many times their nnz: a Gram pass costs m^2 contiguous updates against nnz
# latency-bound column operations.
GRAM_FACTOR = 2.0


class LassoProblem(L1DualProblem):
    """BlitzWS plug-in of the (sample-weighted) Lasso and elastic net on the CPU.

    Parameters
    ----------
    X : ndarray (Fortran-ordered) or CSC matrix of shape (n_samples, n_features)
        Design matrix, rows scaled by ``d``.
    y : ndarray of shape (n_samples,)
        Target, scaled by ``d``.
    d : ndarray of shape (n_samples,)
        Intercept direction (square roots of the sample weights).
    lam : float
        Penalty strength in lambda units, ``n_samples * alpha``: the L1 level
        is ``lam * l1_ratio``, the L2 one ``lam * (1 - l1_ratio)``.
    fit_intercept : bool
        Whether ``c`` is fitted (unpenalised).
    positive : bool
        Constrain ``w >= 0``.
    w0 : ndarray of shape (n_features,)
        Starting weights.
    stats : tuple or None
        Column statistics of ``(X, d)`` when the caller has them (see
        :func:`~blitzlearn._problems._l1.column_stats`).
    coef_dtype : dtype or None, default=None
        Precision of the returned weights and intercept (None: ``X``'s
        dtype, as scikit-learn's ``Lasso``); they are certified as rounded.
    l1_ratio : float in [0, 1], default=1.0
        scikit-learn's ``l1_ratio`` (1: the Lasso).
    weights : array-like of shape (n_features,) or None, default=None
        Penalty weights ``v_j >= 0`` of the L1 term (None: all ones).
    """

    gamma = 1.0

    def __init__(self, X, y, d, lam, *, fit_intercept, positive, w0, stats=None,
                 coef_dtype=None, l1_ratio=1.0, weights=None):
        super().__init__(X, d, lam, fit_intercept=fit_intercept,
                         positive=positive, w0=w0, stats=stats,
                         coef_dtype=X.dtype if coef_dtype is None else coef_dtype,
                         l1_ratio=l1_ratio, weights=weights)
        self.y = y
        # the dual's linear term reads y centred along d: the same y^T theta
        # for every feasible theta (d^T theta = 0), without the cancellation
        # of a large mean of y against a d^T theta that is 0 only to rounding
        # (1e4 * 1e-11 would overstate D, hence understate the gap, by 1e-7)
        self._y_dual = (y - (float(d @ y) / self.d_norm2) * d if fit_intercept
                        else y)
        self._residual()
        self._gram_allowed, self._gram_gap = True, None
        # the working set's Gram matrix, kept between subproblems, in a buffer
        # bounded by a share of X's memory (larger ones: column form)
        self._gram = WorkingSetGram(X, self.cols, self.d_dots, self.d_norm2,
                                    *gram_budget(X))
        self._xty = None  # X^T y, computed at the first Gram-form solve

    def set_penalty(self, lam):
        super().set_penalty(lam)
        self._gram_allowed, self._gram_gap = True, None

    # -- what the estimators call (_engine._contract.ModelProblem) -----------
    def set_regularization(self, alpha):
        """Move to the estimator's ``alpha`` (the strength ``n * alpha``)."""
        self.set_penalty(self.n * alpha)

    def warm_start(self, coef, intercept=None):
        """Start from the weights ``coef`` (the intercept follows from them)."""
        self._take_weights(coef)
        self._residual()

    def result(self):
        """``(coef, intercept)``: the weights and their optimal intercept."""
        return self.w.copy(), self.intercept()

    def to_objective_units(self, value):
        """Lambda units (``n`` times the objective) to the estimator's: over ``n``."""
        return value / self.n

    def tol_meaning(self):
        return ("||y - mean(y)||^2 / n" if self.fit_intercept
                else "||y||^2 / n")

    def tol_scale(self):
        """``||y - c d||^2`` at the best ``c`` (``||y||^2`` without intercept).

        Twice the objective of ``w = 0``: what ``tol`` multiplies.
        """
        y = self.y
        if self.fit_intercept:
            y = y - (self.d @ y / self.d_norm2) * self.d
        return float(y @ y)

    # -- the squared loss ----------------------------------------------------
    def _residual(self):
        """``r = y - X w - c d`` with the optimal ``c``, recomputed exactly."""
        r = np.empty(self.n)
        lasso_residual(column_bundle(self.cols, self.n), self.y, self.d,
                       1.0 / self.d_norm2, self.fit_intercept, self.w,
                       np.flatnonzero(self.w), r)
        self.r = r

    def _dual(self, theta):
        return float(self._y_dual @ theta - 0.5 * (theta @ theta))

    def primal(self):
        """``P(w, c)`` in lambda units."""
        return 0.5 * float(self.r @ self.r) + self._penalty(self.w)

    def rounding_cost(self):
        """What returning the intercept rounded to ``coef_dtype`` adds to ``P``.

        ``r`` is the residual at the optimal ``c*``, orthogonal to ``d``: the
        returned ``c`` adds exactly ``|d|^2 (c - c*)^2 / 2``.
        """
        if not self.fit_intercept or self.coef_dtype == np.float64:
            return 0.0
        return 0.5 * self.d_norm2 * (self.intercept() - self._best_c()) ** 2

    def _best_c(self):
        """Optimal intercept ``c*`` for the current weights, in float64."""
        return float((self.d @ self.y - self.d_dots @ self.w) / self.d_norm2)

    def intercept(self):
        """The intercept returned with the current weights.

        The optimal one for them, rounded to ``coef_dtype`` (0 without
        intercept).
        """
        if not self.fit_intercept:
            return 0.0
        return float(self.coef_dtype.type(self._best_c()))

    # -- Problem interface -----------------------------------------------------
    def solve(self, working_set, eps, gap, min_work, max_work, max_epochs):
        m = working_set.size
        if self._gram_gap is not None and gap > 0.99 * self._gram_gap:
            # The last Gram-form solve did not shrink the gap: the incremental
            # gradient has reached its rounding floor (ill-conditioned Gram
            # matrix), so finish with the exact column form.
            self._gram_allowed = False
        self._gram_gap = None
        if (self._gram_allowed and self._gram.fits(m)
                and m * m <= GRAM_FACTOR * self.costs[working_set].sum()):
            self._gram_gap = gap
            return self._solve_gram(working_set, eps, gap, min_work, max_work,
                                    max_epochs)
        out = lasso_subproblem(
            column_bundle(self.cols, self.n), self.y, self.d, 1.0 / self.d_norm2,
            self.fit_intercept, self.sq_norms, self.d_dots, self.w, self.r,
            working_set, self._pen, self.positive,
            make_budget(eps, gap, min_work, max_work, max_epochs), N_ANDERSON,
            N_ANDERSON)
        self._residual()
        return out

    def _solve_gram(self, ws, eps, gap, min_work, max_work, max_epochs):
        """Solve the working-set subproblem in Gram form (small working sets).

        The coordinates are visited in increasing order (the Gram matrix holds
        them in its own order).
        """
        ws, gram = self._gram.update(ws)
        if self._xty is None:
            self._xty = np.empty(self.n_components)
            self._xt(self.y, np.arange(self.n_components), self._xty)
        b = self._xty[ws]
        if self.fit_intercept:
            b = b - self.d_dots[ws] * (float(self.d @ self.y) / self.d_norm2)
        w_ws = self.w[ws]
        g = np.empty(self.n_components)
        self._xt(self.r, ws, g)  # exact gradient from the exact residual
        g = g[ws]
        # the work of building the Gram matrix from scratch, whatever the
        # cache saved: the cost model's decisions do not depend on its state
        build = ws.size * float(self.costs[ws].sum()) / 8 + 2 * self.costs[ws].sum()
        epochs, work, sub_gap = lasso_gram_subproblem(
            gram, np.argsort(ws), b, w_ws, g, float(self.r @ self.r),
            float(self.y @ self.r), (self.lam, self._v[ws], self.l2), self.positive,
            make_budget(eps, gap, min_work, max_work, max_epochs), N_ANDERSON,
            N_ANDERSON)
        self.w[ws] = w_ws
        self._residual()
        return epochs, work + build, sub_gap
