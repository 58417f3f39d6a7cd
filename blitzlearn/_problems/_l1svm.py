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

from .._kernels._columns import add_cols, column_bundle, xt_dot
from .._kernels._gram import gram_finish, row_pair_count
from .._kernels._l1svm import l1svm_subproblem, sqhinge_dual, sqhinge_state
from .._kernels._l1svm import shift_scores as _shift_scores
from .._kernels._logistic import scores
from .._kernels._logistic_gram import gram_model_cd
from .._kernels._stopping import (
    budget_spent,
    enough_progress,
    gap_reached,
    make_budget,
    sq_distance,
)
from ._gram import add_gram_rows, gram_budget
from ._l1 import L1DualProblem, column_stats
from ._logistic import LogisticProblem, balance_classes, class_factors


def null_sqhinge_loss(y, s, fit_intercept):
    """Loss ``sum_i s_i max(0, 1 - y_i c)^2`` of ``w = 0`` at the best ``c``.

    ``c = 0`` without an (unpenalised) intercept: the loss is ``sum(s)``.
    """
    z = np.zeros(y.shape[0])
    if fit_intercept:
        _shift_scores(y, s, z)
    return float(s @ np.maximum(1.0 - y * z, 0.0) ** 2)


# The generalised-Newton model is solved in Gram form when building the
# matrix and GRAM_PASSES passes over it cost at most as many column passes.
GRAM_PASSES = 16

# Gram-form model solve: stop when the largest violation fell by this factor,
# spending at most as many passes as the Gram build costs (at least this many).
GRAM_RTOL, GRAM_MIN_PASSES = 1e-3, 200

# Armijo line search of a Newton step: sufficient decrease and halvings.
ARMIJO, N_HALVINGS = 1e-4, 30

# A predicted decrease below this fraction of the objective is rounding, and
# a Newton iteration leaving the gap above this fraction of the last one
# stalls (a column no sample inside the margin touches has no curvature in
# the model): coordinate descent finishes the solve.
ROUNDING, STALL = 1e-13, 0.5


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
            self._init_weights()  # (unit penalty weights, one per component)
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
        self._gram_entries, self._gram_block = gram_budget(X)
        self._residual()

    # -- what the estimators call (_engine._contract.ModelProblem) -----------
    # C on the loss, lambda = 1 / C: the logistic model's units
    set_regularization = LogisticProblem.set_regularization
    to_objective_units = LogisticProblem.to_objective_units
    tol_meaning = LogisticProblem.tol_meaning

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
        """Generalised Newton in Gram form, or coordinate descent, on the working set.

        The squared hinge is piecewise quadratic: its generalised Hessian
        ``X_W^T diag(h) X_W`` (``h_i = 2 s_i`` inside the margin) is exact
        until a sample crosses the margin.  When the working set is small
        beside its columns' entries, that matrix is built and the L1 model
        solved on it by coordinate descent (``m^2`` a pass), then a line
        search on the true objective: few iterations, whatever the columns'
        correlations (one-hot groups need hundreds of column passes).
        Otherwise (or when a Newton step fails) coordinate descent with one
        generalised-Newton step per coordinate and a backtracking line
        search (:func:`l1svm_subproblem`, liblinear's primal solver of
        ``-s 5``), each step reading its column alone.
        """
        budget = make_budget(eps, gap, min_work, max_work, max_epochs)
        m = working_set.size
        nnz = float(self.costs[working_set].sum())
        done = (0, 0.0)
        if m * m <= self._gram_entries and m * m <= 2.0 * nnz:
            real = working_set[working_set < self.n_features]
            if self.cols[3]:  # by rows: the squares of their lengths in W
                build = row_pair_count(self.cols[1], self.cols[2], real,
                                       np.zeros(self.n, dtype=np.int64))
            else:
                build = self.n * m ** 2 / 8.0  # BLAS
            if build + GRAM_PASSES * m ** 2 <= GRAM_PASSES * 2.0 * nnz:
                passes, work, sub_gap, finished = self._solve_gram(
                    working_set, build, budget)
                if finished:
                    return passes, work, sub_gap
                done = (passes, work)  # a failed step: coordinate descent goes on
                budget = make_budget(eps, gap, max(min_work - work, 0.0),
                                     max(max_work - work, 1.0),
                                     max(max_epochs - passes, 1))
        epochs, work, sub_gap, shift = l1svm_subproblem(
            column_bundle(self.cols, self.n), self.y, self.s, self.fit_intercept,
            self.bias if self.mode == "penalized" else 0.0, self.gamma, self.w,
            self.z, working_set, self.lam, budget, self.seed + self._n_solves)
        self._n_solves += 1
        self.c += shift
        self._residual(rescore=False)  # z was updated in place by the kernel
        return epochs + done[0], work + done[1], sub_gap

    def _solve_gram(self, ws, build, budget):
        """Generalised Newton on the working set, the model in Gram form.

        Returns ``(passes, work, gap, finished)``; ``finished`` is False when
        a step made no progress (then coordinate descent takes over).
        """
        data, indices, indptr, sparse = self.cols
        p, n, lam, B = self.n_features, self.n, self.lam, self.bias
        real = ws[ws < p]
        feats = np.append(real, p) if real.size < ws.size else real
        has_b, mr, m = real.size < ws.size, real.size, feats.size
        full = np.zeros(p)

        def xt(v):  # X_W^T v, the synthetic column last
            xt_dot(data, indices, indptr, n, sparse, v, real, full)
            out = full[real]
            return np.append(out, B * v.sum()) if has_b else out

        y, s = self.y, self.s
        nnz = float(self.costs[ws].sum())
        max_passes = max(GRAM_MIN_PASSES, int(build / max(m * m, 1)))
        p_start = self.primal()
        r_start = self._r_raw.copy()
        work, passes, sub_gap, last_gap = 0.0, 0, np.inf, np.inf
        while True:
            r = self._r_raw
            g = xt(r)
            top = float(np.abs(g).max(initial=0.0))
            kappa = 1.0 if top <= lam else lam / top
            sums = self._sums
            primal = self.primal()
            sub_gap = primal - (kappa * (sums[0] + sums[1])
                                - kappa * kappa * (sums[2] + sums[3]))
            work += nnz + n
            if budget_spent(budget, passes, work):
                return passes, work, sub_gap, True
            if gap_reached(budget, work, sub_gap) and enough_progress(
                    budget, self.gamma, p_start - primal,
                    sq_distance(r_start, kappa, r)):
                return passes, work, sub_gap, True
            if sub_gap > STALL * last_gap:  # e.g. columns the model cannot move
                return passes, work, sub_gap, False
            last_gap = sub_gap
            margin = 1.0 - y * self.z
            h = np.where((margin > 0.0) & (s > 0.0), 2.0 * s, 0.0)
            gram = np.zeros((m, m))
            part = np.zeros((mr, mr))
            add_gram_rows(self.cols, n, real, 0, h, self._gram_block, part)
            gram_finish(part, 0, np.zeros(mr), 1.0, sparse)
            gram[:mr, :mr] = part
            hx = xt(h)
            if has_b:
                gram[mr, :] = gram[:, mr] = B * hx
                gram[mr, mr] = B * B * h.sum()
            h_sum, r_sum = float(h.sum()), float(r.sum())
            if self.fit_intercept:
                if h_sum <= 0.0:
                    return passes, work, sub_gap, False
                gram -= np.outer(hx, hx) / h_sum
                g = g - hx * (r_sum / h_sum)
            w_loc = self.w[feats]
            dw = np.zeros(m)
            k = gram_model_cd(gram, g, w_loc, dw, (lam, np.ones(m), 0.0),
                              max_passes, GRAM_RTOL)
            passes += k
            work += build + k * m * m + 2.0 * nnz
            dc = (r_sum - float(hx @ dw)) / h_sum if self.fit_intercept else 0.0
            u = np.full(n, dc + (B * dw[-1] if has_b else 0.0))
            add_cols(data, indices, indptr, n, sparse, real, dw[:mr], u)
            l1 = float(np.abs(w_loc).sum())
            predicted = (-float(r @ u)
                         + lam * (float(np.abs(w_loc + dw).sum()) - l1))
            if not (dw.any() or dc != 0.0):
                return passes, work, sub_gap, False  # the model is solved here
            pos = margin > 0.0
            base = float(s[pos] @ margin[pos] ** 2)
            step = 1.0
            if not predicted < -ROUNDING * primal:
                return passes, work, sub_gap, False  # no verifiable decrease
            for _ in range(N_HALVINGS):
                trial = np.maximum(margin - step * y * u, 0.0)
                change = (float(s @ trial ** 2) - base
                          + lam * (float(np.abs(w_loc + step * dw).sum()) - l1))
                work += 2.0 * n
                if change <= ARMIJO * step * predicted:
                    break
                step *= 0.5
            else:
                return passes, work, sub_gap, False
            self.w[feats] = w_loc + step * dw
            self.z += step * u
            self.c += step * dc
            self._residual(rescore=False)  # the exact intercept, the state
            work += 3.0 * n
