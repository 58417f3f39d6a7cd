# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The Lasso as a BlitzWS problem (dual problem, features as components).

Internally the Lasso is solved in lambda units,

.. math::

    P(w, c) = \\tfrac12 \\|y - X w - c\\,d\\|_2^2 + \\lambda \\|w\\|_1,

where rows of ``X`` and ``y`` are already scaled by the square roots of the
sample weights and ``d`` is that scaling vector (all ones without weights).  Its
dual is

.. math::

    D(\\theta) = y^\\top\\theta - \\tfrac12\\|\\theta\\|^2
    \\quad\\text{s.t.}\\quad |x_j^\\top\\theta| \\le \\lambda,\\;
    d^\\top\\theta = 0 \\text{ (with an intercept)}.

BlitzWS works on ``f = -D`` (``gamma = 1``): the residual ``r`` at the current
weights is the minorant's centre with ``l = -P(w, c)``, the upper point is a
feasible ``theta`` and the gap is ``P(w, c) - D(theta)``.
"""

import numpy as np
import scipy.sparse as sp

from .._kernels._l1 import lasso_subproblem
from .._kernels._lasso_gram import lasso_gram_subproblem
from ._l1 import L1DualProblem, _as_float64

# Anderson extrapolation window (also the gap-check period) of the inner solver.
N_ANDERSON = 5

# Working sets of m features are solved in Gram form when m^2 is at most this
# many times their nnz: a Gram pass costs m^2 contiguous updates against nnz
# latency-bound column operations.
GRAM_FACTOR = 2.0

# Entries of the Gram block kept between subproblems (32 MB in float64): the
# working sets of successive subproblems, and of the solves along a path,
# mostly share their features, whose products need not be recomputed.
GRAM_CACHE_ENTRIES = 2 ** 22


class LassoProblem(L1DualProblem):
    """BlitzWS plug-in of the (weighted) Lasso on the CPU.

    Parameters
    ----------
    X : ndarray (Fortran-ordered) or CSC matrix of shape (n_samples, n_features)
        Design matrix, rows scaled by ``d``.
    y : ndarray of shape (n_samples,)
        Target, scaled by ``d``.
    d : ndarray of shape (n_samples,)
        Intercept direction (square roots of the sample weights).
    lam : float
        Penalty in lambda units.
    fit_intercept : bool
        Whether ``c`` is fitted (unpenalised).
    positive : bool
        Constrain ``w >= 0``.
    w0 : ndarray of shape (n_features,)
        Starting weights.
    """

    gamma = 1.0

    def __init__(self, X, y, d, lam, *, fit_intercept, positive, w0):
        super().__init__(X, d, lam, fit_intercept=fit_intercept,
                         positive=positive, w0=w0)
        self.y = y
        self._residual()
        self._gram_allowed, self._gram_gap = True, None
        # cached uncentred Gram block X_C^T X_C of the features C (in order)
        self._gram_features = np.empty(0, dtype=np.intp)
        self._gram_block = np.empty((0, 0))
        self._gram_pos = np.full(self.n_components, -1, dtype=np.intp)
        self._xty = None  # X^T y, computed at the first Gram-form solve

    def set_penalty(self, lam):
        super().set_penalty(lam)
        self._gram_allowed, self._gram_gap = True, None

    def null_norm2(self):
        """``||y - c d||^2`` at the best ``c`` (``||y||^2`` without intercept).

        Twice the objective of ``w = 0``: the scale of the stopping rule.
        """
        y = self.y
        if self.fit_intercept:
            y = y - (self.d @ y / self.d_norm2) * self.d
        return float(y @ y)

    # -- the squared loss ----------------------------------------------------
    def _residual(self):
        """``r = y - X w - c d`` with the optimal ``c``, recomputed exactly."""
        nz = np.flatnonzero(self.w)
        r = self.y - _as_float64(self.X[:, nz]) @ self.w[nz]
        if self.fit_intercept:
            r -= (self.d @ r / self.d_norm2) * self.d
        self.r = r

    def _dual(self, theta):
        return float(self.y @ theta - 0.5 * (theta @ theta))

    def primal(self):
        """``P(w, c)`` in lambda units."""
        return 0.5 * float(self.r @ self.r) + self.lam * float(np.abs(self.w).sum())

    def intercept(self):
        """Optimal intercept for the current weights."""
        if not self.fit_intercept:
            return 0.0
        return float((self.d @ self.y - self.d_dots @ self.w) / self.d_norm2)

    # -- Problem interface -----------------------------------------------------
    def solve(self, working_set, eps, gap, min_work, max_work, max_epochs):
        m = working_set.size
        if self._gram_gap is not None and gap > 0.99 * self._gram_gap:
            # The last Gram-form solve did not shrink the gap: the incremental
            # gradient has reached its rounding floor (ill-conditioned Gram
            # matrix), so finish with the exact column form.
            self._gram_allowed = False
        self._gram_gap = None
        if (self._gram_allowed
                and m * m <= GRAM_FACTOR * self.costs[working_set].sum()):
            self._gram_gap = gap
            return self._solve_gram(working_set, eps, gap, min_work, max_work,
                                    max_epochs)
        data, indices, indptr, sparse = self.cols
        return lasso_subproblem(
            data, indices, indptr, self.n, sparse, self.y, self.d,
            1.0 / self.d_norm2, self.fit_intercept, self.sq_norms, self.d_dots,
            self.w, self.r, working_set, self.lam, self.positive, eps, gap,
            min_work, max_work, max_epochs, N_ANDERSON, N_ANDERSON)

    def _gram(self, ws):
        """Uncentred ``X_W^T X_W`` from the cache, extended by the new features."""
        pos = self._gram_pos
        new = ws[pos[ws] < 0]
        if new.size:
            old, cached = self._gram_features, self._gram_block
            if (old.size + new.size) ** 2 > GRAM_CACHE_ENTRIES:
                pos[old] = -1  # start over with this working set only
                self._gram_features = old = old[:0]
                self._gram_block = cached = np.empty((0, 0))
                new = ws
            x_new = _as_float64(self.X[:, new])
            k, total = old.size, old.size + new.size
            block = np.empty((total, total))
            block[:k, :k] = cached
            if k:
                cross = _as_float64(self.X[:, old]).T @ x_new
                block[:k, k:] = _dense(cross)
                block[k:, :k] = block[:k, k:].T
            block[k:, k:] = _dense(x_new.T @ x_new)
            if total * total <= GRAM_CACHE_ENTRIES:
                self._gram_features = np.concatenate([old, new])
                self._gram_block = block
                pos[new] = np.arange(k, total)
            else:  # too large to keep: use it once
                order = np.concatenate([old, new])
                where = np.empty(self.n_components, dtype=np.intp)
                where[order] = np.arange(total)
                idx = where[ws]
                return block[np.ix_(idx, idx)]
        idx = pos[ws]
        return self._gram_block[np.ix_(idx, idx)]

    def _solve_gram(self, ws, eps, gap, min_work, max_work, max_epochs):
        """Solve the working-set subproblem in Gram form (small working sets)."""
        gram = self._gram(ws)
        if self._xty is None:
            self._xty = np.empty(self.n_components)
            self._xt(self.y, np.arange(self.n_components), self._xty)
        b = self._xty[ws]
        if self.fit_intercept:
            m_ws = self.d_dots[ws]
            gram -= np.outer(m_ws, m_ws) / self.d_norm2
            b = b - m_ws * (float(self.d @ self.y) / self.d_norm2)
        w_ws = self.w[ws]
        g = np.empty(self.n_components)
        self._xt(self.r, ws, g)  # exact gradient from the exact residual
        g = g[ws]
        # the work of building the Gram matrix from scratch, whatever the
        # cache saved: the cost model's decisions do not depend on its state
        build = ws.size * float(self.costs[ws].sum()) / 8 + 2 * self.costs[ws].sum()
        epochs, work, sub_gap = lasso_gram_subproblem(
            np.ascontiguousarray(gram), b, w_ws, g, float(self.r @ self.r),
            float(self.y @ self.r), self.lam, self.positive, eps, gap, min_work,
            max_work, max_epochs, N_ANDERSON, N_ANDERSON)
        self.w[ws] = w_ws
        self._residual()
        return epochs, work + build, sub_gap


def _dense(block):
    """A product of two column blocks as a dense ndarray."""
    return block.toarray() if sp.issparse(block) else np.asarray(block)
