# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Numba kernels of the L1-regularised problems (features are the components).

In the dual of an L1 problem, feature ``j`` is the slab constraint
``|a_j^T theta| <= lam v_j`` (one-sided ``a_j^T theta <= lam v_j`` when the
weights are constrained to be positive).  These kernels implement the
coordinate-descent subproblem solver of the Lasso (column form) with Anderson
acceleration; the capsule membership test is :mod:`._capsules`.

The penalty reaches the kernels as one tuple ``pen = (lam, v, l2)``: the
primal's penalty is ``lam sum_j v_j |w_j| + l2 / 2 ||w||^2`` with the
per-feature weights ``v >= 0`` (all ones for the plain L1 penalty: every
product with ``v_j = 1`` is exact, so the iterates are those of the
unweighted code) and the elastic net's ``l2 >= 0``.  With ``l2 > 0`` a dual
point needs no rescaling: the slab's indicator becomes the conjugate
``max(|a_j^T theta| - lam v_j, 0)^2 / (2 l2)``, subtracted from the dual.
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
def penalised_step(old, grad, lip, thr, l2, positive):
    """Minimiser in ``u`` of ``lip/2 (u - old - grad/lip)^2 + thr |u| + l2/2 u^2``.

    :func:`l1_coordinate_step` when ``l2 == 0``; otherwise the soft
    threshold of ``lip * old + grad`` at ``thr`` divided by ``lip + l2``.
    """
    if l2 == 0.0:
        return l1_coordinate_step(old, grad, lip, thr, positive)
    z = lip * old + grad
    if z > thr:
        return (z - thr) / (lip + l2)
    if z < -thr and not positive:
        return (z + thr) / (lip + l2)
    return 0.0


@njit(**JIT)
def penalty_value(pen, w, ws):
    """``lam sum_j v_j |w_j| + l2/2 sum_j w_j^2`` over ``j`` in ``ws``.

    ``ws`` None: over every entry of ``w`` (``v`` aligned with it), in order.
    """
    lam, v, l2 = pen
    l1 = 0.0
    sq = 0.0
    size = w.shape[0] if ws is None else ws.shape[0]
    for t in range(size):
        j = t if ws is None else ws[t]
        l1 += v[j] * abs(w[j])
        sq += w[j] * w[j]
    out = lam * l1
    if l2 > 0.0:
        out += 0.5 * l2 * sq
    return out


@njit(**JIT)
def constraint_term(g, vj, pen, positive, top, conj):
    """Fold the product ``g = a_j^T r`` into ``(top, conj)``.

    ``top`` is the largest ``|g| / v_j`` over the penalised features (what
    the rescaling of ``r`` must bring down to ``lam``), ``conj`` the sum of
    ``max(|g| - lam v_j, 0)^2`` (with ``l2 > 0``, where nothing is
    rescaled).  An unpenalised feature (``v_j = 0``) without ``l2`` adds
    nothing: its constraint ``a_j^T r = 0`` is left to the exact
    certificate (a subproblem's stopping test ignores it).
    """
    lam, v, l2 = pen
    a = g if positive else abs(g)
    if l2 > 0.0:
        e = a - lam * vj
        if e > 0.0:
            conj += e * e
    elif vj > 0.0:
        top = max(top, a / vj)
    return top, conj


@njit(**JIT)
def dual_scale(top, conj, pen):
    """``(kappa, conj_value)`` from :func:`constraint_term`'s sums.

    ``kappa = min(1, lam / top)`` without ``l2`` (and no conjugate),
    ``kappa = 1`` and ``conj / (2 l2)`` with it.
    """
    lam, v, l2 = pen
    if l2 > 0.0:
        return 1.0, conj / (2.0 * l2)
    return (1.0 if top <= lam else lam / top), 0.0


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
def lasso_primal(r, w, ws, pen):
    """``0.5 ||r||^2`` plus the penalty ``pen`` of ``w`` supported on ``ws``."""
    return 0.5 * vdot(r, r) + penalty_value(pen, w, ws)


@layout_kernel
def lasso_ws_dual(X, y, r, ws, pen, positive):
    """Dual value of the rescaled residual restricted to ``ws``'s constraints.

    Returns ``(D(kappa r), kappa)`` with ``D(theta) = y^T theta - ||theta||^2 / 2``
    (minus the conjugates of :func:`constraint_term` with ``l2 > 0``) and
    ``kappa`` of :func:`dual_scale` over ``ws``.
    """
    data, indices, indptr, n, sparse = X
    v = pen[1]
    top = 0.0
    conj = 0.0
    for t in range(ws.shape[0]):
        g = col_dot(data, indices, indptr, n, sparse, ws[t], r)
        top, conj = constraint_term(g, v[ws[t]], pen, positive, top, conj)
    kappa, conj_value = dual_scale(top, conj, pen)
    return (kappa * vdot(y, r) - 0.5 * kappa * kappa * vdot(r, r) - conj_value,
            kappa)


@layout_kernel
def _anderson_step(X, y, d, inv_d_norm2, fit_intercept, w, r, ws, pen, positive,
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
    p_cur = lasso_primal(r, w, ws, pen)
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
    if lasso_primal(r_acc, w, ws, pen) < p_cur - ROUNDING * p_cur:
        copy_into(r_acc, r)
    else:
        for t in range(n_ws):
            w[ws[t]] = w_old[t]
    return cost


@layout_kernel
def lasso_subproblem(X, y, d, inv_d_norm2, fit_intercept, sq_norms_c, d_dots, w,
                     r, ws, pen, positive, budget, n_anderson, check_every):
    """Coordinate descent on the elastic net restricted to the working set ``ws``.

    Minimises ``0.5 ||y - X w - c d||^2 + lam sum_j v_j |w_j| + l2/2 ||w||^2``
    (``pen = (lam, v, l2)``) over ``w[ws]`` (and the
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
    lam, v, l2 = pen
    p_start = lasso_primal(r, w, ws, pen)
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
            new = penalised_step(old, grad, lip, lam * v[j], l2, positive)
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
                                       r, ws, pen, positive, hist, r_acc)
                # the current iterate opens the next window
                for t in range(n_ws):
                    hist[t] = w[ws[t]]
                n_hist = 1
        if epoch % check_every and not budget_spent(budget, epoch, work):
            continue

        p_now = lasso_primal(r, w, ws, pen)
        d_now, kappa = lasso_ws_dual(X, y, r, ws, pen, positive)
        work += pass_cost
        gap = p_now - d_now
        if budget_spent(budget, epoch, work):
            break
        if gap_reached(budget, work, gap) and enough_progress(
                budget, 1.0, p_start - p_now, sq_distance(r_start, kappa, r)):
            break
    return epoch, work, gap
