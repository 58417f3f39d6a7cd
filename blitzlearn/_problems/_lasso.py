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

from .._engine import Certificate, Problem
from .._kernels._columns import as_columns, xt_dot
from .._kernels._l1 import (
    lasso_subproblem,
    slab_priorities,
)
from .._kernels._lasso_gram import lasso_gram_subproblem

# Anderson extrapolation window (also the gap-check period) of the inner solver.
N_ANDERSON = 5

# Working sets of m features are solved in Gram form when m^2 is at most this
# many times their nnz: a Gram pass costs m^2 contiguous updates against nnz
# latency-bound column operations.
GRAM_FACTOR = 2.0


def _feasible_scale(products, lam, positive):
    """Largest ``kappa <= 1`` putting ``kappa * v`` inside every slab.

    ``products`` holds ``a_j^T v`` for the constraints to satisfy.
    """
    if products.size == 0:
        return 1.0
    top = float(products.max() if positive else np.abs(products).max())
    return 1.0 if top <= lam else lam / top


def _as_float64(block):
    """A dense or sparse block as float64 (no copy when it already is)."""
    return block.astype(np.float64, copy=False)


def _column_stats(X, d, block=256):
    """Squared norms and products with ``d`` of every column, in float64.

    Dense columns are processed in blocks so that float32 input is never
    upcast whole.
    """
    if sp.issparse(X):
        return (np.asarray(X.multiply(X).sum(axis=0), dtype=np.float64).ravel(),
                np.asarray(X.T @ d, dtype=np.float64))
    p = X.shape[1]
    sq = np.empty(p)
    dd = np.empty(p)
    for start in range(0, p, block):
        part = _as_float64(X[:, start:start + block])
        sq[start:start + block] = np.einsum("ij,ij->j", part, part)
        dd[start:start + block] = d @ part
    return sq, dd


def _slab_step(aty, atz, lam, positive):
    """Largest ``s`` in [0, 1] keeping ``(1 - s) y + s z`` inside every slab.

    ``aty`` and ``atz`` are the constraint products of the feasible point ``y``
    and the target ``z`` on the constraints to check.
    """
    over = atz > lam if positive else np.abs(atz) > lam
    if not over.any():
        return 1.0
    z, u = atz[over], aty[over]
    target = np.where(z > 0, lam, -lam)  # the boundary the segment crosses
    return float(np.clip((target - u) / (z - u), 0.0, 1.0).min())


class LassoProblem(Problem):
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
        self.X = X
        self.cols = as_columns(X)
        sparse = self.cols[3]
        # Products with most columns go through BLAS / scipy (float32 dense X
        # would be upcast by numpy, so it keeps the column loop).
        self._full_product = sparse or X.dtype == np.float64
        self.n, self.n_components = X.shape
        self.y = y
        self.d = d
        self.d_norm2 = float(d @ d)
        self.lam = float(lam)
        self.fit_intercept = fit_intercept
        self.positive = positive
        p = self.n_components
        sq, self.d_dots = _column_stats(X, d)
        nnz = np.diff(X.indptr) if sparse else np.full(p, self.n)
        if fit_intercept:
            sq_c = np.maximum(sq - self.d_dots ** 2 / self.d_norm2, 0.0)
        else:
            sq_c = sq
            self.d_dots[:] = 0.0
        # Columns that are (numerically) constant once centred never enter.
        sq_c[sq_c <= 1e-12 * sq] = 0.0
        self.sq_norms = sq_c
        self.norms = np.sqrt(sq_c)
        self.costs = nnz.astype(np.float64)
        self.w = np.array(w0, dtype=np.float64)
        self._usable = np.flatnonzero((sq_c > 0) | (self.w != 0))
        self._alive = self._usable.copy()
        self._residual()
        self._gram_allowed, self._gram_gap = True, None
        self.theta = np.zeros(self.n)  # feasible dual point: the upper point
        self.aty = np.zeros(p)  # X^T theta on alive features
        self.atx = np.zeros(p)  # X^T r on alive features

    # -- helpers ---------------------------------------------------------------
    def _residual(self):
        """``r = y - X w - c d`` with the optimal ``c``, recomputed exactly."""
        nz = np.flatnonzero(self.w)
        r = self.y - _as_float64(self.X[:, nz]) @ self.w[nz]
        if self.fit_intercept:
            r -= (self.d @ r / self.d_norm2) * self.d
        self.r = r

    def _dual(self, theta):
        return float(self.y @ theta - 0.5 * (theta @ theta))

    def _xt(self, v, cols, out):
        data, indices, indptr, sparse = self.cols
        if self._full_product and 2 * cols.size > self.n_components:
            # Most columns wanted: one BLAS / scipy product beats a column loop.
            out[:] = self.X.T @ v
        else:
            xt_dot(data, indices, indptr, self.n, sparse, v, cols, out)

    def primal(self):
        """``P(w, c)`` in lambda units."""
        return 0.5 * float(self.r @ self.r) + self.lam * float(np.abs(self.w).sum())

    def intercept(self):
        """Optimal intercept for the current weights."""
        if not self.fit_intercept:
            return 0.0
        return float((self.d @ self.y - self.d_dots @ self.w) / self.d_norm2)

    # -- Problem interface -----------------------------------------------------
    def alive(self):
        return self._alive

    def refresh(self, working_set):
        alive, lam, pos = self._alive, self.lam, self.positive
        self._xt(self.r, alive, self.atx)
        primal = self.primal()
        # Candidate 1: the residual rescaled into the feasible set.
        kappa = _feasible_scale(self.atx[alive], lam, pos)
        best = (self._dual(kappa * self.r), kappa, 0.0)
        # Candidate 2: the largest feasible step from theta towards the residual
        # rescaled for the last working set (whose constraints it satisfies).
        if working_set is not None and working_set.size:
            kappa_ws = _feasible_scale(self.atx[working_set], lam, pos)
            outside = np.ones(self.n_components, dtype=np.bool_)
            outside[working_set] = False
            outside = alive[outside[alive]]
            step = _slab_step(self.aty[outside], kappa_ws * self.atx[outside], lam,
                              pos)
            cand = (1.0 - step) * self.theta + (step * kappa_ws) * self.r
            value = self._dual(cand)
            if value > best[0]:
                best = (value, kappa_ws * step, 1.0 - step)
        # Candidate 3: keep theta.
        current = self._dual(self.theta)
        if current >= best[0]:
            best = (current, 0.0, 1.0)
        value, a, b = best
        # theta <- b * theta + a * r, and X^T theta alike.
        self.theta = b * self.theta + a * self.r
        self.aty[alive] = b * self.aty[alive] + a * self.atx[alive]
        gap = max(primal - value, 0.0)
        dist = float(np.linalg.norm(self.r - self.theta))
        return Certificate(gap=gap, lower=-primal, dist=dist)

    def priorities(self, beta_lo, beta_hi, rho):
        out = np.empty(self.n_components, dtype=np.intp)
        slab_priorities(self.aty, self.atx, self.norms, self.lam, self.positive,
                        beta_lo, beta_hi, rho, self.w != 0, self._alive, out)
        return out

    def discard(self, components):
        keep = np.ones(self.n_components, dtype=np.bool_)
        keep[components] = False
        self._alive = self._alive[keep[self._alive]]

    def overhead(self):
        return float(self.costs[self._alive].sum()) + self.n + self._alive.size

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

    def _solve_gram(self, ws, eps, gap, min_work, max_work, max_epochs):
        """Solve the working-set subproblem in Gram form (small working sets)."""
        x_ws = _as_float64(self.X[:, ws])
        gram = x_ws.T @ x_ws
        if sp.issparse(gram):
            gram = gram.toarray()
        b = x_ws.T @ self.y
        if self.fit_intercept:
            m_ws = self.d_dots[ws]
            gram -= np.outer(m_ws, m_ws) / self.d_norm2
            b -= m_ws * (float(self.d @ self.y) / self.d_norm2)
        w_ws = self.w[ws]
        g = x_ws.T @ self.r  # exact gradient from the exact residual
        build = ws.size * float(self.costs[ws].sum()) / 8 + 2 * self.costs[ws].sum()
        epochs, work, sub_gap = lasso_gram_subproblem(
            np.ascontiguousarray(gram), b, w_ws, g, float(self.r @ self.r),
            float(self.y @ self.r), self.lam, self.positive, eps, gap, min_work,
            max_work, max_epochs, N_ANDERSON, N_ANDERSON)
        self.w[ws] = w_ws
        self._residual()
        return epochs, work + build, sub_gap

    def full_gap(self):
        everything = np.arange(self.n_components)
        self._residual()  # drop any drift of the incremental residual
        primal = self.primal()
        atr = np.empty(self.n_components)
        att = np.empty(self.n_components)
        self._xt(self.r, everything, atr)
        self._xt(self.theta, everything, att)
        best = -np.inf
        for vec, prods in ((self.r, atr), (self.theta, att)):
            scale = _feasible_scale(prods, self.lam, self.positive)
            best = max(best, self._dual(scale * vec))
        return max(primal - best, 0.0)

    def restore(self):
        self._alive = self._usable.copy()
        self._xt(self.theta, self._alive, self.aty)
