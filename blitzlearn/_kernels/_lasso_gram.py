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
from numba import njit

from ._columns import JIT, JIT_DOT
from ._l1 import anderson_weights, constraint_value


@njit(**JIT_DOT)
def _quad_terms(b, g, w):
    """Return ``(b @ w, g @ w)``."""
    bw = 0.0
    gw = 0.0
    for t in range(w.shape[0]):
        bw += b[t] * w[t]
        gw += g[t] * w[t]
    return bw, gw


@njit(**JIT)
def _gram_state(gram, b, w, g, yy, lam):
    """Recompute ``g = b - G w``; return ``(P(w), ||r||^2, y^T r)``."""
    m = w.shape[0]
    l1 = 0.0
    for a in range(m):
        acc = b[a]
        for t in range(m):
            acc -= gram[a, t] * w[t]
        g[a] = acc
        l1 += abs(w[a])
    bw, gw = _quad_terms(b, g, w)
    r2 = max(yy - bw - gw, 0.0)
    return 0.5 * r2 + lam * l1, r2, yy - bw


@njit(**JIT)
def lasso_gram_subproblem(gram, b, w, yy, lam, positive, eps, delta, g_start,
                          r2_start, ry_start, min_work, max_work, max_epochs,
                          n_anderson, check_every):
    """Coordinate descent with Anderson acceleration on the Gram form.

    Minimises ``0.5 (yy - 2 b^T w + w^T G w) + lam ||w||_1`` (the Lasso
    restricted to the working set; ``yy = ||P y||^2``) over ``w`` in place.
    ``g_start = b - G w_start``, ``r2_start`` and ``ry_start`` describe the
    residual at the start, for the lower-bound progress test.  Stopping rules
    and returned values are those of ``lasso_subproblem``; work is counted in
    Gram entries touched.
    """
    m = w.shape[0]
    g = np.empty(m)
    hist = np.empty((n_anderson + 1) * m)
    w_save = np.empty(m)
    g_acc = np.empty(m)
    p_start, r2, ry = _gram_state(gram, b, w, g, yy, lam)
    pass_cost = float(m * m + m)
    n_hist = 0
    work = 0.0
    gap = np.inf
    epoch = 0
    while epoch < max_epochs:
        for t in range(m):
            lip = gram[t, t]
            old = w[t]
            if lip <= 0.0:
                new = 0.0
            else:
                z = old + g[t] / lip
                thr = lam / lip
                if z > thr:
                    new = z - thr
                elif z < -thr and not positive:
                    new = z + thr
                else:
                    new = 0.0
            if new != old:
                step = new - old
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
                    p_cur, r2, ry = _gram_state(gram, b, w, g, yy, lam)
                    for t in range(m):
                        w_save[t] = w[t]
                        acc = 0.0
                        for k in range(n_anderson):
                            acc += coefs[k] * hist[(k + 1) * m + t]
                        w[t] = max(acc, 0.0) if positive else acc
                    p_acc, r2, ry = _gram_state(gram, b, w, g_acc, yy, lam)
                    work += 2 * pass_cost
                    if p_acc < p_cur:
                        for t in range(m):
                            g[t] = g_acc[t]
                    else:
                        for t in range(m):
                            w[t] = w_save[t]
                for t in range(m):
                    hist[t] = w[t]
                n_hist = 1
        if epoch % check_every and epoch < max_epochs and work < max_work:
            continue
        # exact gradient (no drift), objective and the rescaled-residual dual
        p_now, r2, ry = _gram_state(gram, b, w, g, yy, lam)
        work += pass_cost
        top = 0.0
        for t in range(m):
            top = max(top, constraint_value(g[t], positive))
        kappa = 1.0 if top <= lam else lam / top
        gap = p_now - (kappa * ry - 0.5 * kappa * kappa * r2)
        if work >= max_work:
            break
        if work >= min_work and gap <= eps * delta:
            # ||r_start - kappa r||^2 with r_start^T r = ry_start - g_start^T w
            cross = ry_start
            for t in range(m):
                cross -= g_start[t] * w[t]
            dist2 = r2_start - 2.0 * kappa * cross + kappa * kappa * r2
            if p_start - p_now >= 0.5 * (1.0 - eps) * dist2:
                break
    return epoch, work, gap
