# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""What the duals of the L1-regularised models share.

For a loss ``L`` summed over samples, the primal

.. math::

    P(w, c) = \\sum_i \\ell_i(x_i^\\top w + c\\,d_i) + \\lambda \\|w\\|_1

has the dual

.. math::

    D(\\theta) = -\\sum_i \\ell_i^*(-\\theta_i)
    \\quad\\text{s.t.}\\quad |x_j^\\top\\theta| \\le \\lambda,\\;
    d^\\top\\theta = 0 \\text{ (with an intercept)}.

BlitzWS works on ``f = -D`` with the features as components: feature ``j`` is
the slab ``|x_j^T theta| <= lambda``.  The minorant's centre is the negative
loss gradient ``r = -l'(X w + c d)`` at the current weights (with ``l =
-P(w, c)``), the upper point is a feasible ``theta`` and the gap is ``P(w, c) -
D(theta)``.  Since ``d^T theta = 0``, every geometric test uses the columns
projected orthogonally to ``d`` ("centred" norms).

:class:`L1DualProblem` implements the engine's interface once (y update,
capsule priorities, screening, final certificate); a loss provides ``r``,
``P``, ``D`` and the working-set solver.
"""

import numpy as np
import scipy.sparse as sp

from .._engine import Certificate, Problem
from .._kernels._capsules import HALF_SPACE, SLAB, capsule_priorities
from .._kernels._columns import as_columns, col_sq_norms, xt_dot


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


def _column_stats(X, d, with_d, block=256):
    """Squared norms of every column and, with ``with_d``, their products with
    ``d`` (zeros without), in float64.

    ``X`` is CSC or dense; neither is copied or upcast whole (dense columns
    go in blocks).
    """
    p = X.shape[1]
    sq = np.empty(p)
    dd = np.zeros(p)
    if sp.issparse(X):
        col_sq_norms(X.data, X.indices, X.indptr, X.shape[0], True, sq)  # CSC
        if with_d:
            dd[:] = X.T @ d
        return sq, dd
    for start in range(0, p, block):
        part = _as_float64(X[:, start:start + block])
        sq[start:start + block] = np.einsum("ij,ij->j", part, part)
        if with_d:
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


def column_stats(X, d, fit_intercept):
    """Centred squared norms, products with ``d`` and nnz of every column.

    Returns ``(sq_norms, d_dots, costs)``: ``sq_norms[j]`` is the squared norm
    of column ``j`` projected orthogonally to ``d`` (plain norm without
    intercept; 0 for columns constant along ``d``), ``d_dots[j] = x_j^T d`` (0
    without intercept) and ``costs[j]`` the column's number of stored entries.
    """
    sq, d_dots = _column_stats(X, d, fit_intercept)
    costs = (np.diff(X.indptr) if sp.issparse(X)
             else np.full(X.shape[1], X.shape[0])).astype(np.float64)
    return centred_stats(sq, d_dots, d, fit_intercept, costs)


def centred_stats(sq, d_dots, d, fit_intercept, costs):
    """:func:`column_stats` from the plain squared norms ``sq`` and ``X^T d``.

    ``sq`` is overwritten where no copy is needed.
    """
    if fit_intercept:
        sq_c = np.maximum(sq - d_dots ** 2 / float(d @ d), 0.0)
    else:
        sq_c, d_dots = sq, np.zeros_like(sq)
    # Columns that are (numerically) constant once centred never enter.
    sq_c[sq_c <= 1e-12 * sq] = 0.0
    return sq_c, d_dots, costs


class L1DualProblem(Problem):
    """BlitzWS plug-in skeleton of an L1-regularised model (CPU).

    A subclass sets ``gamma`` and provides ``_residual`` (recompute ``self.r``,
    the minorant's centre, at the current weights), ``_dual(theta)``,
    ``primal()``, ``intercept()`` and ``solve``.  ``self.r`` must satisfy
    ``d^T r = 0`` when an intercept is fitted, so that its rescalings are
    feasible dual points.

    Parameters
    ----------
    X : ndarray (Fortran-ordered) or CSC matrix of shape (n_samples, n_features)
        Design matrix.
    d : ndarray of shape (n_samples,)
        Intercept direction.
    lam : float
        Penalty in lambda units.
    fit_intercept : bool
        Whether ``c`` is fitted (unpenalised).
    positive : bool
        Constrain ``w >= 0`` (one-sided slabs).
    w0 : ndarray of shape (n_features,)
        Starting weights.
    stats : tuple or None
        The output of :func:`column_stats` for ``(X, d, fit_intercept)``, when
        the caller already has it (several fits on the same ``X``).
    coef_dtype : dtype, default=float64
        Precision in which the weights are returned.  The final certificate
        (:meth:`full_gap`) first rounds the weights to it, so that the gap is
        that of the model the caller receives.
    """

    def __init__(self, X, d, lam, *, fit_intercept, positive, w0, stats=None,
                 coef_dtype=np.float64):
        self.X = X
        self.cols = as_columns(X)
        # Products with most columns go through BLAS / scipy (float32 dense X
        # would be upcast by numpy, so it keeps the column loop).
        self._full_product = self.cols[3] or X.dtype == np.float64
        self.n, self.n_components = X.shape
        self.support_bound = self.n  # an L1 solution needs at most n weights
        self.d = d
        self.d_norm2 = float(d @ d)
        self.lam = float(lam)
        self.fit_intercept = fit_intercept
        self.positive = positive
        if stats is None:
            stats = column_stats(X, d, fit_intercept)
        self.sq_norms, self.d_dots, self.costs = stats
        self.norms = np.sqrt(self.sq_norms)
        self.w = np.array(w0, dtype=np.float64)
        self.coef_dtype = np.dtype(coef_dtype)
        self._revive_usable()
        p = self.n_components
        self.theta = np.zeros(self.n)  # feasible dual point: the upper point
        self._theta_value = None  # D(theta) once known (theta moves only here)
        self.aty = np.zeros(p)  # X^T theta on alive features
        self.atx = np.zeros(p)  # X^T r on alive features
        self._final_atx = None  # X^T r on every feature, left by full_gap

    def set_penalty(self, lam):
        """Move to the penalty ``lam``, keeping the weights as a warm start.

        Every usable feature comes back (a feature screened at one penalty may
        be active at another) and the dual point restarts at 0, so the next
        :func:`~blitzlearn._engine.blitzws` run certifies the new problem from
        scratch; the weights, the loss state and the column statistics stay.
        """
        self.lam = float(lam)
        self._revive_usable()
        self.theta[:] = 0.0
        self._theta_value = None
        self.aty[:] = 0.0

    def _revive_usable(self):
        """Make every usable feature alive: a nonzero column or a nonzero weight."""
        self._usable = np.flatnonzero((self.sq_norms > 0) | (self.w != 0))
        self._alive = self._usable.copy()

    # -- what a loss provides -------------------------------------------------
    def _residual(self):
        """Recompute ``self.r`` exactly from the current weights."""
        raise NotImplementedError

    def _dual(self, theta):
        """``D(theta)`` for a feasible ``theta``."""
        raise NotImplementedError

    def primal(self):
        """``P(w, c)`` in lambda units at the current weights."""
        raise NotImplementedError

    def objective(self, cert):
        """The primal ``P(w, c)`` certified by ``cert`` (``lower = -P``)."""
        return -cert.lower

    def _dual_of_residual(self, kappa):
        """``D(kappa * r)``; a loss may know a cheaper way than ``_dual``."""
        return self._dual(kappa * self.r)

    # -- shared machinery -----------------------------------------------------
    def _xt(self, v, cols, out):
        data, indices, indptr, sparse = self.cols
        if self._full_product and 2 * cols.size > self.n_components:
            # Most columns wanted: one BLAS / scipy product beats a column loop.
            out[:] = self.X.T @ v
        else:
            xt_dot(data, indices, indptr, self.n, sparse, v, cols, out)

    def alive(self):
        return self._alive

    def refresh(self, working_set):
        alive, lam, pos = self._alive, self.lam, self.positive
        final, self._final_atx = self._final_atx, None
        if working_set is None and final is not None:
            # a run's first refresh after the last one's full_gap: the weights,
            # hence r and X^T r, have not changed since
            self.atx[alive] = final[alive]
        else:
            self._xt(self.r, alive, self.atx)
        primal = self.primal()
        # Candidate 1: the residual rescaled into the feasible set.
        kappa = _feasible_scale(self.atx[alive], lam, pos)
        best = (self._dual_of_residual(kappa), kappa, 0.0)
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
        # Candidate 3: keep theta (its value is known from the last refresh).
        current = self._theta_value
        if current is None:
            current = self._dual(self.theta)
        if current >= best[0]:
            best = (current, 0.0, 1.0)
        value, a, b = best
        # theta <- b * theta + a * r, and X^T theta alike.
        self.theta = b * self.theta + a * self.r
        self._theta_value = value
        self.aty[alive] = b * self.aty[alive] + a * self.atx[alive]
        gap = max(primal - value, 0.0)
        dist = float(np.linalg.norm(self.r - self.theta))
        return Certificate(gap=gap, lower=-primal, dist=dist)

    def priorities(self, beta_lo, beta_hi, rho):
        out = np.empty(self.n_components, dtype=np.intp)
        capsule_priorities(self.aty, self.atx, self.norms, self.lam,
                           HALF_SPACE if self.positive else SLAB, beta_lo,
                           beta_hi, rho, self.w != 0, self._alive, out)
        return out

    def discard(self, components):
        keep = np.ones(self.n_components, dtype=np.bool_)
        keep[components] = False
        self._alive = self._alive[keep[self._alive]]

    def overhead(self):
        return float(self.costs[self._alive].sum()) + self.n + self._alive.size

    def round_weights(self):
        """Round the weights to ``coef_dtype`` in place (no-op for float64)."""
        if self.coef_dtype != np.float64:
            self.w[:] = self.w.astype(self.coef_dtype)

    def rounding_cost(self):
        """What returning the intercept in ``coef_dtype`` adds to ``primal()``.

        Exact or an upper bound; 0 here (a loss whose intercept is returned
        as computed).
        """
        return 0.0

    def full_gap(self, limit=0.0):
        # the certificate is of the model as returned: rounded weights, whose
        # objective is evaluated in float64, against a feasible dual point
        # (weak duality makes any such pair a valid bound)
        self.round_weights()
        everything = np.arange(self.n_components)
        self._residual()  # drop any drift of an incremental residual
        primal = self.primal() + self.rounding_cost()
        atr = np.empty(self.n_components)
        self._xt(self.r, everything, atr)
        self._final_atx = atr  # what the next run's first refresh needs
        best = self._dual_of_residual(_feasible_scale(atr, self.lam, self.positive))
        if primal - best > limit:
            # the kept dual point may certify more: a second product (two
            # products beat one with a two-column matrix in BLAS and scipy)
            att = np.empty(self.n_components)
            self._xt(self.theta, everything, att)
            scale = _feasible_scale(att, self.lam, self.positive)
            best = max(best, self._dual(scale * self.theta))
        return max(primal - best, 0.0)

    def restore(self):
        self._alive = self._usable.copy()
        self._xt(self.theta, self._alive, self.aty)
