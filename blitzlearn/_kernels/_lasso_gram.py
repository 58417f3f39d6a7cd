# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Coordinate descent on a Lasso working set in Gram form.

For a working set ``W`` of ``m`` features the subproblem only needs the centred
Gram matrix ``G = X_W^T P X_W`` and ``b = X_W^T P y`` (``P`` projects out the
intercept direction).  With the gradient ``g = b - G w`` kept up to date, a
coordinate step costs one contiguous update of length ``m`` instead of a dot
product and an update over the samples: much faster when ``m`` is small next
to the column lengths, and free of the add-latency chain of short dot products.
"""

import numpy as np

from .._jit import njit
from ._columns import JIT
from ._l1 import (
    ROUNDING,
    anderson_weights,
    constraint_term,
    dual_scale,
    penalised_step,
    penalty_value,
)
from ._stopping import budget_spent, enough_progress, gap_reached


@njit(**JIT)
def lasso_gram_subproblem(gram, visit, b, w, g, r2, ry, pen, positive, budget,
                          n_anderson, check_every):
    """Coordinate descent with Anderson acceleration on the Gram form.

    Minimises ``0.5 ||r||^2 + lam sum_t v_t |w_t| + l2/2 ||w||^2`` with ``r =
    P (y - X_W w)`` over ``w`` in place; ``pen = (lam, v, l2)`` with ``v``
    aligned with ``w`` (see :mod:`._l1`).  ``g = X_W^T r``, ``r2 = ||r||^2``
    and ``ry = y^T r`` must be exact at the start (computed from the
    residual); they are then updated by exact increments (``||r - s x_t||^2
    = ||r||^2 - 2 s g_t + s^2 G_tt``), never
    recomputed from ``b - G w``, whose cancellation would cap the accuracy.
    Budget, stopping rule (:mod:`._stopping`) and returned values are those
    of ``lasso_subproblem``; work is counted in Gram entries touched.  A pass
    visits the coordinates in the order ``visit`` (a permutation of
    ``range(m)``).
    """
    m = w.shape[0]
    hist = np.empty((n_anderson + 1) * m)
    step_acc = np.empty(m)
    g_acc = np.empty(m)
    w_start = np.empty(m)
    g_start = np.empty(m)
    lam, v, l2 = pen
    for t in range(m):
        w_start[t] = w[t]
        g_start[t] = g[t]
    r2_start = r2
    p_start = 0.5 * r2 + penalty_value(pen, w, None)
    pass_cost = float(m * m + m)
    n_hist = 0
    work = 0.0
    gap = np.inf
    epoch = 0
    while epoch < budget[4]:
        for s in range(m):
            t = visit[s]
            lip = gram[t, t]
            old = w[t]
            new = penalised_step(old, g[t], lip, lam * v[t], l2, positive)
            if new != old:
                step = new - old
                r2 += step * (step * lip - 2.0 * g[t])
                ry -= step * b[t]
                for a in range(m):
                    g[a] -= step * gram[t, a]
                w[t] = new
        epoch += 1
        work += pass_cost
        if n_anderson > 0:
            for t in range(m):
                hist[n_hist * m + t] = w[t]
            n_hist += 1
            if n_hist == n_anderson + 1:
                coefs, ok = anderson_weights(hist, n_anderson, m)
                if ok:
                    l1_now = 0.0
                    l1_acc = 0.0
                    sq_change = 0.0
                    for t in range(m):
                        acc = 0.0
                        for k in range(n_anderson):
                            acc += coefs[k] * hist[(k + 1) * m + t]
                        acc = max(acc, 0.0) if positive else acc
                        step_acc[t] = acc - w[t]
                        l1_now += v[t] * abs(w[t])
                        l1_acc += v[t] * abs(acc)
                        sq_change += acc * acc - w[t] * w[t]
                    # effect of w += step: g - G step, and the exact changes
                    # of ||r||^2 and y^T r
                    d_r2 = 0.0
                    d_ry = 0.0
                    for a in range(m):
                        acc = 0.0
                        for t in range(m):
                            acc += gram[a, t] * step_acc[t]
                        g_acc[a] = g[a] - acc
                        d_r2 += step_acc[a] * (acc - 2.0 * g[a])
                        d_ry -= b[a] * step_acc[a]
                    work += pass_cost
                    p_now = 0.5 * r2 + penalty_value(pen, w, None)
                    change = 0.5 * d_r2 + lam * (l1_acc - l1_now)
                    if l2 > 0.0:
                        change += 0.5 * l2 * sq_change
                    if change < -ROUNDING * p_now:
                        for t in range(m):
                            w[t] += step_acc[t]
                            g[t] = g_acc[t]
                        r2 += d_r2
                        ry += d_ry
                for t in range(m):
                    hist[t] = w[t]
                n_hist = 1
        if epoch % check_every and not budget_spent(budget, epoch, work):
            continue
        top = 0.0
        conj = 0.0
        for t in range(m):
            top, conj = constraint_term(g[t], v[t], pen, positive, top, conj)
        p_now = 0.5 * r2 + penalty_value(pen, w, None)
        kappa, conj_value = dual_scale(top, conj, pen)
        gap = p_now - (kappa * ry - 0.5 * kappa * kappa * r2 - conj_value)
        work += m
        if budget_spent(budget, epoch, work):
            break
        if gap_reached(budget, work, gap):
            # ||r_start - kappa r||^2 with r_start^T r = r2_start - g_start^T dw
            cross = r2_start
            for t in range(m):
                cross -= g_start[t] * (w[t] - w_start[t])
            dist2 = r2_start - 2.0 * kappa * cross + kappa * kappa * r2
            if enough_progress(budget, 1.0, p_start - p_now, dist2):
                break
    return epoch, work, gap
