# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Independent reference of the hinge-loss linear SVM: objectives and a dual solver.

Everything here is plain NumPy/SciPy.  With labels ``y_i`` in {-1, +1}, the
rows ``z_i = y_i (x_i, B)`` (``B`` the intercept scaling, the column left out
without an intercept) and bounds ``u_i = C s_i``,

.. math::

    P(w) = \\tfrac12 \\|w\\|^2 + \\sum_i u_i \\max(0, 1 - z_i^\\top w),
    \\qquad
    D(\\alpha) = \\textstyle\\sum_i \\alpha_i - \\tfrac12 \\|Z^\\top \\alpha\\|^2,
    \\quad 0 \\le \\alpha \\le u.

The duality gap at ``alpha`` and ``w(alpha) = Z^T alpha`` is
``P(w(alpha)) - D(alpha) = sum_i u_i max(0, 1 - m_i) - alpha_i (1 - m_i)``
with ``m = Z w(alpha)``: a sum of non-negative terms, so it is computed without
cancellation.  :func:`solve_dual` maximises ``D`` to that gap being tiny, by
L-BFGS-B followed by a primal-dual active-set polish (exact linear solves on
the free examples), optionally only over the examples whose margin at a given
near-optimal ``w`` is close to 1 (the others fixed at their bound).
"""

import numpy as np
import scipy.sparse as sp
from scipy.optimize import lsq_linear, minimize


def augmented_rows(X, y, bias):
    """``Z = diag(y) [X, bias]`` in float64, CSR for sparse X (bias 0: no column)."""
    y = np.asarray(y, dtype=np.float64)
    if sp.issparse(X):
        X = sp.csr_matrix(X, dtype=np.float64)
        if bias:
            X = sp.hstack([X, np.full((X.shape[0], 1), float(bias))], format="csr")
        return sp.csr_matrix(sp.diags(y) @ X)
    X = np.asarray(X, dtype=np.float64)
    if bias:
        X = np.hstack([X, np.full((X.shape[0], 1), float(bias))])
    return y[:, None] * X


def _dot(Z, v):
    return np.asarray(Z @ v, dtype=np.float64).ravel()


def primal_objective(X, y, coef, intercept, C, sample_weight=None,
                     intercept_scaling=1.0, fit_intercept=True):
    """LinearSVC's ``P(w, w_b)`` with ``intercept = B * w_b`` (y in {-1, +1})."""
    y = np.asarray(y, dtype=np.float64)
    w = np.asarray(coef, dtype=np.float64).ravel()
    s = (np.ones(y.shape[0]) if sample_weight is None
         else np.asarray(sample_weight, dtype=np.float64))
    b = float(intercept) if fit_intercept else 0.0
    margins = y * (_dot(X.astype(np.float64) if sp.issparse(X) else
                        np.asarray(X, dtype=np.float64), w) + b)
    wb = b / intercept_scaling if fit_intercept else 0.0
    return (0.5 * (float(w @ w) + wb * wb)
            + C * float(s @ np.maximum(0.0, 1.0 - margins)))


def augmented_primal(Z, u, w):
    """``P(w)`` in the augmented form (``w`` has one entry per column of Z)."""
    return 0.5 * float(w @ w) + float(u @ np.maximum(0.0, 1.0 - _dot(Z, w)))


def dual_objective(Z, alpha):
    """``D(alpha) = sum(alpha) - |Z^T alpha|^2 / 2``."""
    w = _dot(Z.T, alpha)
    return float(alpha.sum()) - 0.5 * float(w @ w)


def duality_gap(Z, u, alpha):
    """``P(Z^T alpha) - D(alpha)`` as a sum of non-negative terms."""
    m = _dot(Z, _dot(Z.T, alpha))
    slack = 1.0 - m
    return float(np.sum(u * np.maximum(slack, 0.0) - alpha * slack))


# Largest number of (merged) free examples for the exact active-set polish.
MAX_EXACT = 2000


def _box_qp(A, g, ub, a0):
    """``argmin 0.5 |A^T a|^2 - g^T a`` over ``0 <= a <= ub`` (A dense).

    L-BFGS-B, then, for up to ``MAX_EXACT`` variables, primal-dual active-set
    iterations (a semismooth Newton method on ``a = clip(a - t grad)``) with
    exact least-squares solves on the free variables, and the exact solves of
    :func:`_partition_candidates`.  Candidates are compared by their duality
    gap ``sum_i ub_i max(0, r_i) - a_i r_i`` with ``r = g - A A^T a`` (the
    SVM's gap on these coordinates), free of cancellation.
    """

    def fun(a):
        Qa = A @ (A.T @ a)
        return 0.5 * float(a @ Qa) - float(g @ a), Qa - g

    def gap(a):
        r = g - A @ (A.T @ a)
        return float(np.sum(ub * np.maximum(r, 0.0) - a * r))

    res = minimize(fun, np.clip(a0, 0.0, ub), jac=True, method="L-BFGS-B",
                   bounds=list(zip(np.zeros_like(ub), ub, strict=True)),
                   options={"maxiter": 100_000, "maxfun": 200_000, "maxcor": 30,
                            "ftol": 1e-16, "gtol": 1e-14})
    best = np.clip(res.x, 0.0, ub)
    best_val = gap(best)
    if ub.size > MAX_EXACT:
        return best
    Q = A @ A.T
    t = 1.0 / max(float(np.diag(Q).max(initial=0.0)), 1e-300)
    a = best
    previous = None
    for _ in range(50):
        step = a - t * (Q @ a - g)
        at_lo = step <= 0.0
        at_hi = (step >= ub) & ~at_lo
        free = ~(at_lo | at_hi)
        key = (at_lo.tobytes(), at_hi.tobytes())
        if key == previous:
            break
        previous = key
        a = np.where(at_hi, ub, 0.0)
        if free.any():
            rhs = g[free] - Q[np.ix_(free, at_hi)] @ ub[at_hi]
            a[free] = np.linalg.lstsq(Q[np.ix_(free, free)], rhs, rcond=None)[0]
        a = np.clip(a, 0.0, ub)
        value = gap(a)
        if value < best_val:
            best, best_val = a, value
    for a in _partition_candidates(A, g, ub, best):
        value = gap(a)
        if value < best_val:
            best, best_val = a, value
    return best


def _partition_candidates(A, g, ub, a):
    """Exact solutions of the KKT system for partitions read off ``a``.

    With ``r = g - A A^T a``, the variables with ``|r_i| <= tau`` are taken as
    free (margin exactly met), those with ``r_i > tau`` at ``ub`` and the rest
    at 0, for several bands ``tau``.  For a right partition the optimal
    ``w = A^T a`` is the unique point of ``c + range(A_F^T)`` (``c`` the sum of
    the rows at ``ub``) with ``A_F w = g_F``: ``c`` plus the least-norm
    solution of ``A_F d = g_F - A_F c``.  The free variables are then the
    bounded least-squares solution of ``A_F^T a_F = d``.  Unlike the active-set
    iterations this holds when the free rows outnumber the dimension (a
    degenerate dual), where L-BFGS-B alone stalls at a relative gap near 1e-9.
    """
    r = g - A @ (A.T @ a)
    for tau in (1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3):
        free = (np.abs(r) <= tau) & (ub > 0)
        upper = (r > tau) & (ub > 0)
        c = A[upper].T @ ub[upper]
        cand = np.where(upper, ub, 0.0)
        if free.any():
            AF = A[free]
            d = np.linalg.lstsq(AF, g[free] - AF @ c, rcond=None)[0]
            cand[free] = lsq_linear(AF.T, d, bounds=(0.0, ub[free]), method="bvls",
                                    tol=1e-15).x
        yield np.clip(cand, 0.0, ub)


def solve_dual(Z, u, w_guess=None, band=1e-4, max_rounds=4):
    """A high-precision dual solution ``(alpha, w, gap)`` of the SVM.

    Without ``w_guess`` the whole dual is solved (small n only).  With it, the
    examples whose margin at ``w_guess`` lies within ``band`` of 1 are
    optimised and the others fixed at their bound (``u_i`` below the margin, 0
    above); examples whose margin then contradicts their fixed value join the
    optimised set and the solve is repeated.  Identical rows enter through the
    sum of their alphas and are merged.  Whatever the partition, ``alpha`` is
    feasible, so ``D(alpha)`` is a lower bound of the optimum; ``gap`` is
    ``P(w) - D(alpha)`` with ``w = Z^T alpha``.
    """
    u = np.asarray(u, dtype=np.float64)
    n = Z.shape[0]
    if w_guess is None:
        free = np.ones(n, dtype=bool)
        alpha = np.zeros(n)
    else:
        m = _dot(Z, w_guess)
        free = np.abs(m - 1.0) <= band
        alpha = np.where(m < 1.0, u, 0.0)
    best = None
    for _ in range(max_rounds):
        fixed = ~free
        c = _dot(Z[np.flatnonzero(fixed)].T, alpha[fixed])
        ZF = Z[np.flatnonzero(free)]
        ZF = ZF.toarray() if sp.issparse(ZF) else ZF
        ZF, group = np.unique(ZF, axis=0, return_inverse=True)
        group = group.ravel()
        uF = np.bincount(group, weights=u[free], minlength=ZF.shape[0])
        a0 = np.bincount(group, weights=alpha[free], minlength=ZF.shape[0])
        aF = _box_qp(ZF, 1.0 - ZF @ c, uF, a0)
        # split each merged alpha in proportion to the bounds (stays feasible)
        share = np.divide(u[free], uF[group], out=np.zeros(group.size),
                          where=uF[group] > 0)
        alpha = alpha.copy()
        alpha[free] = np.minimum(aF[group] * share, u[free])
        gap = duality_gap(Z, u, alpha)
        if best is None or gap < best[2]:
            best = (alpha, _dot(Z.T, alpha), gap)
        m = _dot(Z, best[1])
        wrong = fixed & (u > 0) & (((alpha == 0.0) & (m < 1.0))
                                   | ((alpha == u) & (m > 1.0)))
        if not wrong.any():
            break
        free |= wrong
    return best


# -- the squared hinge (LinearSVC's default loss) ------------------------------------
#
# P(w) = |w|^2 / 2 + sum_i u_i max(0, 1 - z_i^T w)^2 and, for alpha >= 0,
# D(alpha) = sum(alpha) - |Z^T alpha|^2 / 2 - sum_i alpha_i^2 / (4 u_i) (alpha_i = 0
# where u_i = 0), a lower bound of P since u t_+^2 >= alpha t - alpha^2 / (4 u).


def squared_hinge_primal(Z, u, w):
    """``P(w)`` of the squared hinge in the augmented form."""
    slack = np.maximum(0.0, 1.0 - _dot(Z, w))
    return 0.5 * float(w @ w) + float(u @ (slack * slack))


def squared_hinge_dual(Z, u, alpha):
    """``D(alpha)`` of the squared hinge, for ``alpha >= 0`` (0 where ``u = 0``)."""
    w = _dot(Z.T, alpha)
    quad = np.divide(alpha * alpha, 4.0 * u, out=np.zeros_like(alpha), where=u > 0)
    return float(alpha.sum()) - 0.5 * float(w @ w) - float(quad.sum())


def solve_squared_hinge(Z, u):
    """A high-precision solution ``(w, upper, lower)`` of the squared hinge.

    L-BFGS on the primal (C^1, strongly convex) at ``gtol=1e-12``, then
    Newton steps on the active set ``{i: z_i^T w < 1}`` (an exact linear
    solve each: the primal is quadratic on a fixed active set) while they
    lower ``P``.  ``upper = P(w)`` and ``lower = D(alpha)`` at ``alpha_i = 2
    u_i max(0, 1 - z_i^T w)`` (the optimal dual point's formula), a certified
    bracket of the optimum.
    """
    u = np.asarray(u, dtype=np.float64)
    Zd = Z.toarray() if sp.issparse(Z) else np.asarray(Z)
    dim = Zd.shape[1]

    def fun(w):
        slack = np.maximum(0.0, 1.0 - Zd @ w)
        return (0.5 * float(w @ w) + float(u @ (slack * slack)),
                w - 2.0 * Zd.T @ (u * slack))

    res = minimize(fun, np.zeros(dim), jac=True, method="L-BFGS-B",
                   options={"maxiter": 100_000, "maxfun": 200_000, "maxcor": 30,
                            "ftol": 1e-16, "gtol": 1e-12})
    w, value = res.x, fun(res.x)[0]
    for _ in range(20):
        active = (Zd @ w < 1.0) & (u > 0)
        ZA, uA = Zd[active], u[active]
        H = np.eye(dim) + 2.0 * ZA.T @ (uA[:, None] * ZA)
        step = np.linalg.solve(H, 2.0 * ZA.T @ uA)
        new = fun(step)[0]
        if not new < value:
            break
        w, value = step, new
    alpha = 2.0 * u * np.maximum(0.0, 1.0 - Zd @ w)
    return w, squared_hinge_primal(Zd, u, w), squared_hinge_dual(Zd, u, alpha)
