# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The L1-regularised squared-hinge SVM as a BlitzWS problem (liblinear ``-s 5``).

The estimator's objective is scikit-learn's ``LinearSVC(penalty="l1",
loss="squared_hinge", dual=False)``:

.. math::

    P(w, b) = \\|w\\|_1 + \\beta |w_b|
    + C \\sum_i s_i \\max\\bigl(0, 1 - y_i (x_i^\\top w + B w_b)\\bigr)^2,
    \\qquad y_i \\in \\{-1, +1\\},

with the intercept ``b = B w_b`` the weight of a synthetic feature of constant
value ``B`` (``intercept_scaling``), penalised like the others (``beta = 1``,
LinearSVC's and liblinear's choice) or not (``beta = 0``; then ``B`` plays no
role).  Internally the problem is solved in lambda units (``lambda = 1 / C``,
the objective divided by ``C``), with dual

.. math::

    D(\\theta) = \\sum_i \\Bigl(y_i\\theta_i - \\frac{\\theta_i^2}{4 s_i}\\Bigr),
    \\quad y_i\\theta_i \\ge 0,\\; |x_j^\\top\\theta| \\le \\lambda,\\;
    1^\\top\\theta = 0 \\text{ (unpenalised intercept)}.

``-D`` is ``gamma = 1 / (2 max(s))`` strongly convex.  The minorant's centre
is ``r_i = 2 s_i y_i max(0, 1 - y_i z_i)`` at the scores ``z``: the dual point
``a_i = C y_i r_i`` of the objective's units, rescaled into the slabs.  With
an unpenalised intercept, ``b`` is solved exactly (a piecewise-linear root)
before every certificate, so that ``sum_i r_i = 0`` up to rounding, and the
heavier class of ``r`` is shrunk to make it exact.
"""

import numpy as np

from .._kernels._columns import column_bundle
from .._kernels._l1svm import l1svm_subproblem, sqhinge_dual, sqhinge_state
from .._kernels._l1svm import shift_scores as _shift_scores
from .._kernels._logistic import scores
from .._kernels._stopping import make_budget
from ._l1 import L1DualProblem, column_stats
from ._logistic import balance_classes, class_factors


def null_sqhinge_loss(y, s, fit_intercept):
    """Loss ``sum_i s_i max(0, 1 - y_i c)^2`` of ``w = 0`` at the best ``c``.

    ``c = 0`` without an (unpenalised) intercept: the loss is ``sum(s)``.
    """
    z = np.zeros(y.shape[0])
    if fit_intercept:
        _shift_scores(y, s, z)
    return float(s @ np.maximum(1.0 - y * z, 0.0) ** 2)


class L1SVMProblem(L1DualProblem):
    """BlitzWS plug-in of the weighted L1-regularised squared-hinge SVM (CPU).

    Parameters
    ----------
    X : ndarray (Fortran-ordered) or CSC matrix of shape (n_samples, n_features)
        Design matrix (float32 or float64).
    y : ndarray of shape (n_samples,)
        Labels in {-1, +1}, float64.
    s : ndarray of shape (n_samples,)
        Non-negative sample weights (class weights included); both classes
        need a positive total.
    lam : float
        Penalty in lambda units (``1 / C``).
    intercept : {"penalized", "unpenalized", None}
        ``"penalized"``: LinearSVC's intercept, the weight ``w_b`` of a
        synthetic feature of value ``intercept_scaling``, L1-penalised like
        the others (component ``n_features``; ``X`` is not copied);
        ``"unpenalized"``: a free intercept ``b``, solved exactly;
        None: no intercept.
    w0 : ndarray of shape (n_features,)
        Starting weights.
    b0 : float, default=0.0
        Starting intercept (ignored without one).
    intercept_scaling : float, default=1.0
        ``B``, the synthetic feature's value (``"penalized"`` only).
    stats : tuple or None
        Column statistics of ``X`` shared between fits on the same ``X``:
        ``column_stats(X, ones, intercept == "unpenalized")`` (see
        :func:`~blitzlearn._problems._l1.column_stats`).
    seed : int, default=0
        Seeds the coordinate orders of the subproblems.
    """

    # A pass costs O(n) sample work (the gap check, the intercept, the
    # state) whatever the working set's size: working sets of at least twice
    # the nonzeros save outer iterations.
    min_ws_factor = 2.0

    def __init__(self, X, y, s, lam, *, intercept, w0, b0=0.0,
                 intercept_scaling=1.0, stats=None, seed=0):
        if intercept not in ("penalized", "unpenalized", None):
            raise ValueError("intercept must be 'penalized', 'unpenalized' or "
                             f"None, got {intercept!r}")
        n, p = X.shape
        self.n_features = p
        self.mode = intercept
        self.bias = float(intercept_scaling)
        free = intercept == "unpenalized"
        w0 = np.asarray(w0, dtype=np.float64)
        if stats is None:
            stats = column_stats(X, np.ones(n), free)
        if intercept == "penalized":  # the synthetic column's statistics
            sq, dd, costs = stats
            stats = (np.append(sq, n * self.bias ** 2), np.append(dd, 0.0),
                     np.append(costs, float(n)))
            w0 = np.append(w0, float(b0) / self.bias)
        super().__init__(X, np.ones(n), lam, fit_intercept=free, positive=False,
                         w0=w0, stats=stats)
        if intercept == "penalized":  # one component more than X's columns
            self.n_components = p + 1
            self.aty = np.zeros(p + 1)
            self.atx = np.zeros(p + 1)
        self.y = y
        self.s = s
        self.gamma = 0.5 / float(s.max())
        self.c = float(b0) if free else 0.0
        self.C = 1.0 / self.lam  # the estimator's C, exact once set_regularization ran
        self.seed = int(seed)
        self.z = np.empty(n)
        self._r_raw = np.empty(n)
        self._sums = np.empty(4)
        self._factors = (1.0, 1.0)
        self._n_solves = 0
        self._residual()

    # -- what the estimators call (_engine._contract.ModelProblem) -----------
    def set_regularization(self, C):
        """Move to the estimator's ``C`` (the penalty ``1 / C``)."""
        self.C = float(C)
        self.set_penalty(1.0 / C)

    def to_objective_units(self, value):
        """Lambda units to the estimator's (``C`` times the loss): times ``C``."""
        return value * self.C

    def tol_meaning(self):
        return "the null model's objective"

    def tol_scale(self):
        """Loss of ``w = 0`` (best unpenalised intercept): what ``tol`` multiplies."""
        return null_sqhinge_loss(self.y, self.s, self.fit_intercept)

    def warm_start(self, coef, intercept):
        """Start from ``coef`` and ``intercept`` (ignored without one)."""
        coef = np.asarray(coef, dtype=np.float64)
        if self.mode == "penalized":
            coef = np.append(coef, float(intercept) / self.bias)
        self._take_weights(coef)
        self.c = float(intercept) if self.fit_intercept else 0.0
        self._residual()

    def result(self):
        """``(coef, intercept)`` of the current model, in the user's units."""
        return self.w[:self.n_features].copy(), self.intercept()

    # -- the squared hinge ----------------------------------------------------
    def _residual(self, rescore=True):
        """Recompute the loss and ``r`` (balanced) at the scores ``z``.

        With ``rescore`` the scores are first recomputed from ``w`` and ``c``
        (the solver's incremental updates carry rounding errors); with an
        unpenalised intercept, ``c`` is then moved to its exact optimum.
        """
        if rescore:
            data, indices, indptr, sparse = self.cols
            p = self.n_features
            offset = self.intercept() if self.mode == "penalized" else self.c
            scores(data, indices, indptr, self.n, sparse, self.w,
                   np.flatnonzero(self.w[:p]), offset, self.z)
        if self.fit_intercept:
            self.c += _shift_scores(self.y, self.s, self.z)
        self.loss = sqhinge_state(self.y, self.s, self.z, self._r_raw, self._sums)
        if self.fit_intercept:
            self._factors = class_factors(self._r_raw, self.y)
            self.r = balance_classes(self._r_raw.copy(), self.y, self._factors)
        else:
            self._factors = (1.0, 1.0)
            self.r = self._r_raw.copy()

    def _dual_of_residual(self, kappa):
        sums = self._sums
        total = 0.0
        for side, f in enumerate(self._factors):
            k = kappa * f
            total += k * sums[side] - k * k * sums[2 + side]
        return float(total)

    def _dual(self, theta):
        return float(sqhinge_dual(self.y, self.s, theta))

    def primal(self):
        """``P(w, c)`` in lambda units (the objective divided by ``C``)."""
        return self.loss + self.lam * float(np.abs(self.w).sum())

    def intercept(self):
        """The current intercept, in the user's units."""
        if self.mode == "penalized":
            return self.bias * float(self.w[-1])
        return self.c

    # -- the products with X's columns (and the synthetic one) -----------------
    def _xt(self, v, cols, out):
        if self.mode != "penalized":
            return self._xt_columns(v, cols, out)
        p = self.n_features
        self._xt_columns(v, cols[cols < p], out[:p])
        out[p] = self.bias * float(v.sum())  # (computed whether asked or not)

    # X's own columns: the template's product (a device problem swaps it)
    _xt_columns = L1DualProblem._xt

    # -- Problem interface ----------------------------------------------------
    def solve(self, working_set, eps, gap, min_work, max_work, max_epochs):
        """Coordinate descent on the working set (see :func:`l1svm_subproblem`).

        One generalised-Newton step per coordinate with a backtracking line
        search, as liblinear's primal solver of ``-s 5``: the squared hinge is
        only piecewise quadratic (its second derivative jumps where a sample
        crosses the margin), so a Newton model of the whole working set holds
        only until the first crossing, while a coordinate's step reads its
        column alone (O(nnz) with the line search's trials) and sees every
        crossing along its direction.
        """
        budget = make_budget(eps, gap, min_work, max_work, max_epochs)
        epochs, work, sub_gap, shift = l1svm_subproblem(
            column_bundle(self.cols, self.n), self.y, self.s, self.fit_intercept,
            self.bias if self.mode == "penalized" else 0.0, self.gamma, self.w,
            self.z, working_set, self.lam, budget, self.seed + self._n_solves)
        self._n_solves += 1
        self.c += shift
        self._residual(rescore=False)  # z was updated in place by the kernel
        return epochs, work, sub_gap
