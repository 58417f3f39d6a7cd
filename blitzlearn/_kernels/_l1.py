# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Numba kernels of the L1-regularised problems (features are the components).

In the dual of an L1 problem, feature ``j`` is the slab constraint
``|a_j^T theta| <= lam`` (one-sided ``a_j^T theta <= lam`` when the weights are
constrained to be positive).  These kernels implement the coordinate-descent
subproblem solver of the Lasso (column form) with Anderson acceleration; the
capsule membership test is :mod:`._capsules`.
"""

import numpy as np

from .._jit import njit
from ._columns import JIT, col_axpy, col_dot, copy_into, layout_kernel, vdot
from ._stopping import budget_spent, enough_progress, gap_reached, sq_distance

# An extrapolated point is kept only if it lowers the objective by more than
# this relative amount: below it the comparison is rounding noise, and noisy
# acceptances move the weights away from the optimality conditions.
ROUNDING = 1e-13


@njit(**JIT)
def l1_coordinate_step(old, grad, lip, lam, positive):
    """Minimiser in ``u`` of ``lip/2 (u - old - grad/lip)^2 + lam |u|``.

    With ``positive`` the minimiser is taken over ``u >= 0``; a null curvature
    (an all-zero centred column) gives 0.
    """
    if lip <= 0.0:
        return 0.0
    z = old + grad / lip
    thr = lam / lip
    if z > thr:
        return z - thr
    if z < -thr and not positive:
        return z + thr
    return 0.0


@njit(**JIT)
def anderson_weights(hist, m, width):
    """Anderson extrapolation weights from ``m + 1`` stored iterates.

    ``hist`` holds the iterates one after the other (``hist[k * width + i]`` is
    entry ``i`` of iterate ``k``).  Returns weights ``c`` (length ``m``) summing
    to one such that ``sum_k c_k iterate_{k+1}`` minimises the norm of the
    combined differences, and an ``ok`` flag, False when the differences are
    numerically dependent.  The normal equations ``U U^T z = 1`` are solved by
    Cholesky.
    """
    chol = np.zeros(m * m)
    for a in range(m):
        for b in range(a + 1):
            acc = 0.0
            for i in range(width):
                acc += ((hist[(a + 1) * width + i] - hist[a * width + i])
                        * (hist[(b + 1) * width + i] - hist[b * width + i]))
            chol[a * m + b] = acc
    scale = 0.0
    for a in range(m):
        scale = max(scale, chol[a * m + a])
    z = np.ones(m)
    if not scale > 0.0:
        return z, False
    for a in range(m):  # in-place lower Cholesky factor
        for b in range(a + 1):
            acc = chol[a * m + b]
            for k in range(b):
                acc -= chol[a * m + k] * chol[b * m + k]
            if a == b:
                if acc <= 1e-12 * scale:
                    return z, False
                chol[a * m + a] = np.sqrt(acc)
            else:
                chol[a * m + b] = acc / chol[b * m + b]
    for a in range(m):  # forward then backward substitution
        acc = z[a]
        for k in range(a):
            acc -= chol[a * m + k] * z[k]
        z[a] = acc / chol[a * m + a]
    total = 0.0
    for a in range(m - 1, -1, -1):
        acc = z[a]
        for k in range(a + 1, m):
            acc -= chol[k * m + a] * z[k]
        z[a] = acc / chol[a * m + a]
        total += z[a]
    if total == 0.0 or not abs(total) < np.inf:
        return z, False
    for a in range(m):
        z[a] /= total
    return z, True


@layout_kernel
def lasso_residual(X, y, d, inv_d_norm2, fit_intercept, w, ws, r):
    """``r = y - X w - c d`` with ``c`` optimal; ``w`` must vanish outside ``ws``.

    ``X`` is the column bundle (see :mod:`._columns`).
    """
    data, indices, indptr, n, sparse = X
    copy_into(y, r)
    for t in range(ws.shape[0]):
        j = ws[t]
        if w[j] != 0.0:
            col_axpy(data, indices, indptr, n, sparse, j, -w[j], r)
    if fit_intercept:
        shift = 0.0
        for i in range(n):
            shift += d[i] * r[i]
        shift *= inv_d_norm2
        for i in range(n):
            r[i] -= shift * d[i]


@njit(**JIT)
def lasso_primal(r, w, ws, lam):
    """``0.5 ||r||^2 + lam ||w||_1`` with ``w`` supported on ``ws``."""
    l1 = 0.0
    for t in range(ws.shape[0]):
        l1 += abs(w[ws[t]])
    return 0.5 * vdot(r, r) + lam * l1


@layout_kernel
def lasso_ws_dual(X, y, r, ws, lam, positive):
    """Dual value of the rescaled residual restricted to ``ws``'s constraints.

    Returns ``(D(kappa r), kappa)`` with ``D(theta) = y^T theta - ||theta||^2 / 2``
    and ``kappa = min(1, lam / max_j constraint(a_j^T r))`` over ``ws``.
    """
    data, indices, indptr, n, sparse = X
    top = 0.0
    for t in range(ws.shape[0]):
        g = col_dot(data, indices, indptr, n, sparse, ws[t], r)
        top = max(top, g if positive else abs(g))
    kappa = 1.0 if top <= lam else lam / top
    return kappa * vdot(y, r) - 0.5 * kappa * kappa * vdot(r, r), kappa


@layout_kernel
def _anderson_step(X, y, d, inv_d_norm2, fit_intercept, w, r, ws, lam, positive,
                   hist, r_acc):
    """Replace ``w[ws]`` by the Anderson extrapolation of ``hist`` if it is better.

    Returns the work spent (one residual recomputation).
    """
    data, indices, indptr, n, sparse = X
    n_ws = ws.shape[0]
    m = hist.shape[0] // n_ws - 1
    coefs, ok = anderson_weights(hist, m, n_ws)
    if not ok:
        return 0.0
    p_cur = lasso_primal(r, w, ws, lam)
    w_old = np.empty(n_ws)
    cost = float(n)
    for t in range(n_ws):
        j = ws[t]
        acc = 0.0
        for k in range(m):
            acc += coefs[k] * hist[(k + 1) * n_ws + t]
        w_old[t] = w[j]
        w[j] = max(acc, 0.0) if positive else acc
        cost += indptr[j + 1] - indptr[j] if sparse else n
    lasso_residual(X, y, d, inv_d_norm2, fit_intercept, w, ws, r_acc)
    if lasso_primal(r_acc, w, ws, lam) < p_cur - ROUNDING * p_cur:
        copy_into(r_acc, r)
    else:
        for t in range(n_ws):
            w[ws[t]] = w_old[t]
    return cost


@layout_kernel
def lasso_subproblem(X, y, d, inv_d_norm2, fit_intercept, sq_norms_c, d_dots, w,
                     r, ws, lam, positive, budget, n_anderson, check_every):
    """Coordinate descent on the Lasso restricted to the working set ``ws``.

    Minimises ``0.5 ||y - X w - c d||^2 + lam ||w||_1`` over ``w[ws]`` (and the
    unpenalised ``c`` when ``fit_intercept``), keeping ``r`` the residual at the
    optimal ``c``.  The intercept is eliminated with centred columns without
    centring the data: a step on ``w_j`` moves ``c`` by ``delta * d_dots[j] /
    ||d||^2``, applied to ``r`` once per pass.  Every ``n_anderson`` passes the
    last iterates are extrapolated (Anderson) and the result kept when it lowers
    the objective; every ``check_every`` passes the subproblem gap is checked.

    ``X`` is the column bundle (see :mod:`._columns`).  ``budget`` is ``(eps,
    delta, min_work, max_work, max_epochs)``; the solver stops by the rule of
    :mod:`._stopping` (work counted in matrix entries touched, ``gamma = 1``,
    the dual point ``kappa r``), checked every ``check_every`` passes and
    after the last.

    Returns
    -------
    n_epochs : int
    work : float
        Matrix entries touched (a deterministic cost measure).
    gap : float
        Final subproblem duality gap.
    """
    data, indices, indptr, n, sparse = X
    n_ws = ws.shape[0]
    pass_cost = 0.0
    for t in range(n_ws):
        j = ws[t]
        pass_cost += indptr[j + 1] - indptr[j] if sparse else n
    pass_cost += n
    r_start = np.empty(n)
    copy_into(r, r_start)
    p_start = lasso_primal(r, w, ws, lam)
    hist = np.empty((n_anderson + 1) * n_ws)  # iterates one after the other
    n_hist = 0
    r_acc = np.empty(n)
    work = 0.0
    gap = np.inf
    epoch = 0
    while epoch < budget[4]:  # the last pass always checks the gap
        shift = 0.0
        for t in range(n_ws):
            j = ws[t]
            lip = sq_norms_c[j]
            old = w[j]
            if lip <= 0.0 and old == 0.0:
                continue  # a null (centred) column stays at zero
            grad = 0.0
            if lip > 0.0:
                grad = col_dot(data, indices, indptr, n, sparse, j, r)
                if fit_intercept:
                    grad -= shift * d_dots[j]
            new = l1_coordinate_step(old, grad, lip, lam, positive)
            if new != old:
                step = new - old
                col_axpy(data, indices, indptr, n, sparse, j, -step, r)
                if fit_intercept:
                    shift -= step * d_dots[j] * inv_d_norm2
                w[j] = new
        if fit_intercept and shift != 0.0:
            for i in range(n):
                r[i] -= shift * d[i]
        epoch += 1
        work += pass_cost
        if n_anderson > 0:
            for t in range(n_ws):
                hist[n_hist * n_ws + t] = w[ws[t]]
            n_hist += 1
            if n_hist == n_anderson + 1:
                work += _anderson_step(X, y, d, inv_d_norm2, fit_intercept, w,
                                       r, ws, lam, positive, hist, r_acc)
                # the current iterate opens the next window
                for t in range(n_ws):
                    hist[t] = w[ws[t]]
                n_hist = 1
        if epoch % check_every and not budget_spent(budget, epoch, work):
            continue

        p_now = lasso_primal(r, w, ws, lam)
        d_now, kappa = lasso_ws_dual(X, y, r, ws, lam, positive)
        work += pass_cost
        gap = p_now - d_now
        if budget_spent(budget, epoch, work):
            break
        if gap_reached(budget, work, gap) and enough_progress(
                budget, 1.0, p_start - p_now, sq_distance(r_start, kappa, r)):
            break
    return epoch, work, gap
