# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Numba kernels of the hinge-loss SVM (training examples are the components).

The design matrix is read through the rows of ``X``, stored as the columns of
``X^T`` (see :mod:`._columns`): a CSR matrix is the CSC matrix of its
transpose, and a C-ordered array is the Fortran-ordered array of its
transpose.  The weight vector has one more entry than ``X`` has columns: the
weight of the synthetic intercept feature, of constant value ``bias``.
"""

import numpy as np
from numba import njit

from ._columns import JIT, col_axpy, col_dot


@njit(**JIT)
def row_margin(data, indices, indptr, dim, sparse, i, y, w, bias):
    """``y_i (x_i^T w[:dim] + bias * w[dim])``."""
    return y[i] * (col_dot(data, indices, indptr, dim, sparse, i, w) + bias * w[dim])


@njit(**JIT)
def hinge_priorities(m_y, m_x, norms, beta_lo, beta_hi, rho, forced, rows, out):
    """Smallest capsule index whose capsule reaches each example's hyperplane.

    Example ``i``'s margin over capsule ``k`` ranges over
    ``[min(v_lo, v_hi) - rho_k ||x_i||, max(v_lo, v_hi) + rho_k ||x_i||]`` with
    ``v = m_y + beta (m_x - m_y)``; the capsule reaches the hinge when the
    range contains 1.  Examples in no capsule get ``len(rho)``; ``forced``
    ones get 0.
    """
    n_caps = rho.shape[0]
    for t in range(rows.shape[0]):
        i = rows[t]
        if forced[i]:
            out[i] = 0
            continue
        u = m_y[i]
        slope = m_x[i] - u
        lo = 0
        hi = n_caps
        while lo < hi:
            k = (lo + hi) // 2
            v_lo = u + beta_lo[k] * slope
            v_hi = u + beta_hi[k] * slope
            reach = rho[k] * norms[i]
            if min(v_lo, v_hi) - reach <= 1.0 <= max(v_lo, v_hi) + reach:
                hi = k
            else:
                lo = k + 1
        out[i] = lo


@njit(**JIT)
def _lcg(state):
    """One step of a 64-bit linear congruential generator (deterministic)."""
    return (state * 6364136223846793005 + 1442695040888963407) & 0x7FFFFFFFFFFFFFFF


@njit(**JIT)
def segment_minimiser(v_dot, d_sq, lin, a, c, u):
    """Minimiser over ``s`` in [0, 1] of a convex piecewise quadratic.

    ``phi(s) = s v_dot + s^2 d_sq / 2 - s lin + sum_i u_i max(0, a_i - s c_i)``
    (plus a constant): the primal along ``v + s (x - v)`` with ``v_dot =
    v^T (x - v)``, ``d_sq = |x - v|^2``, ``a = 1 - margins(v)`` and ``c =
    margins(x) - margins(v)``.  The slope grows by ``u_i |c_i|`` at each
    breakpoint ``a_i / c_i``; the breakpoints are sorted and walked.
    """
    slope = v_dot - lin
    n = a.shape[0]
    cuts = np.empty(n)
    jumps = np.empty(n)
    m = 0
    for i in range(n):
        if a[i] > 0.0 or (a[i] == 0.0 and c[i] < 0.0):
            slope -= u[i] * c[i]  # active just after s = 0
        if c[i] != 0.0:
            t = a[i] / c[i]
            if 0.0 < t < 1.0:
                cuts[m] = t
                jumps[m] = u[i] * abs(c[i])
                m += 1
    order = np.argsort(cuts[:m])
    start = 0.0
    for k in range(m + 1):
        end = cuts[order[k]] if k < m else 1.0
        # slope(s) = slope + s * d_sq on [start, end)
        if slope + end * d_sq >= 0.0:
            if slope + start * d_sq >= 0.0:
                return start
            return -slope / d_sq
        if k < m:
            slope += jumps[order[k]]
            start = end
    return 1.0


@njit(**JIT)
def _ws_gap(data, indices, indptr, dim, sparse, y, upper, bias, total_alpha, w,
            ws, b_fixed, c_fixed, v, m_v, a, c, u):
    """Relaxed gap on the working set, at the best point of ``[v, w]``.

    The relaxed primal is ``P_W(z) = |z|^2/2 + sum_{i in W} u_i max(0, 1 -
    m_i(z)) + c_fixed - b_fixed^T z`` (the examples fixed at their upper bound
    are affine) and the dual ``D(alpha) = sum(alpha) - |w|^2/2``.  ``m_v``
    holds the margins of ``v`` on ``ws``; ``a``, ``c``, ``u`` are scratch.
    Returns ``(min_s P_W(v + s (w - v)) - D, D)``.
    """
    v_sq = 0.0
    v_dot = 0.0
    d_sq = 0.0
    lin = 0.0
    w_sq = 0.0
    for k in range(w.shape[0]):
        delta = w[k] - v[k]
        v_sq += v[k] * v[k]
        v_dot += v[k] * delta
        d_sq += delta * delta
        lin += b_fixed[k] * delta
        w_sq += w[k] * w[k]
    for t in range(ws.shape[0]):
        i = ws[t]
        m = row_margin(data, indices, indptr, dim, sparse, i, y, w, bias)
        a[t] = 1.0 - m_v[t]
        c[t] = m - m_v[t]
        u[t] = upper[i]
    s = segment_minimiser(v_dot, d_sq, lin, a, c, u)
    hinge = 0.0
    for t in range(ws.shape[0]):
        h = a[t] - s * c[t]
        if h > 0.0:
            hinge += u[t] * h
    fixed_v = 0.0
    for k in range(w.shape[0]):
        fixed_v += b_fixed[k] * v[k]
    primal = (0.5 * (v_sq + 2.0 * s * v_dot + s * s * d_sq) + hinge + c_fixed
              - fixed_v - s * lin)
    dual = total_alpha - 0.5 * w_sq
    return primal - dual, dual


@njit(**JIT)
def svm_subproblem(data, indices, indptr, dim, sparse, y, upper, bias, sq_norms,
                   alpha, w, ws, b_fixed, c_fixed, v, seed, eps, delta, min_work,
                   max_work, max_epochs, check_every):
    """Dual coordinate descent on the examples of ``ws`` (Hsieh et al., 2008).

    Maximises ``D(alpha) = sum(alpha) - |w(alpha)|^2 / 2`` over
    ``0 <= alpha_i <= upper_i`` for ``i`` in ``ws``, the other entries fixed,
    keeping ``w = sum_i alpha_i y_i (x_i, bias)`` up to date.  Each pass visits
    ``ws`` in a pseudo-random order drawn from ``seed``, skipping the examples
    shrinking set aside since the last gap check.  The relaxed primal
    is measured at the best point between the outer upper point ``v`` and
    ``w``: at ``w`` alone it lags far behind the dual.

    Stops, after at least ``min_work`` entries, once the relaxed gap is at
    most ``eps * delta`` and the dual rose by at least
    ``(1 - eps) / 2 |w_start - w|^2``; or after ``max_work`` entries or
    ``max_epochs`` passes.

    Returns
    -------
    n_epochs : int
    work : float
    gap : float
        Relaxed gap at the last check.
    """
    n_ws = ws.shape[0]
    order = ws.copy()
    pass_cost = 0.0
    for t in range(n_ws):
        i = ws[t]
        pass_cost += 2.0 * ((indptr[i + 1] - indptr[i]) if sparse else dim) + 1.0
    w_start = w.copy()
    m_v = np.empty(n_ws)
    for t in range(n_ws):
        m_v[t] = row_margin(data, indices, indptr, dim, sparse, ws[t], y, v, bias)
    a_buf = np.empty(n_ws)
    c_buf = np.empty(n_ws)
    u_buf = np.empty(n_ws)
    total_alpha = 0.0
    for i in range(alpha.shape[0]):
        total_alpha += alpha[i]
    gap, d_start = _ws_gap(data, indices, indptr, dim, sparse, y, upper, bias,
                           total_alpha, w, ws, b_fixed, c_fixed, v, m_v, a_buf,
                           c_buf, u_buf)
    work = 2.0 * pass_cost + alpha.shape[0]
    state = np.int64(seed) & 0x7FFFFFFFFFFFFFFF
    epoch = 0
    # Shrinking (as in liblinear): an example at a bound whose gradient lies
    # beyond the last pass's projected-gradient range is skipped until the
    # next gap check, which restores every example.
    n_active = n_ws
    pg_max, pg_min = np.inf, -np.inf
    while epoch < max_epochs:
        for t in range(n_active - 1, 0, -1):  # Fisher-Yates shuffle
            state = _lcg(state)
            k = (state >> 16) % (t + 1)
            tmp = order[t]
            order[t] = order[k]
            order[k] = tmp
        new_max, new_min = -np.inf, np.inf
        t = 0
        visited = 0.0
        while t < n_active:
            i = order[t]
            q = sq_norms[i]
            old = alpha[i]
            if q <= 0.0:  # a null example: its hinge is 1, alpha at the bound
                total_alpha += upper[i] - old
                alpha[i] = upper[i]
                t += 1
                continue
            grad = row_margin(data, indices, indptr, dim, sparse, i, y, w, bias) - 1.0
            visited += (indptr[i + 1] - indptr[i]) if sparse else dim
            pg = grad
            if old == 0.0:
                if grad > pg_max:  # shrink: swap with the last active example
                    n_active -= 1
                    order[t] = order[n_active]
                    order[n_active] = i
                    continue
                pg = min(grad, 0.0)
            elif old == upper[i]:
                if grad < pg_min:
                    n_active -= 1
                    order[t] = order[n_active]
                    order[n_active] = i
                    continue
                pg = max(grad, 0.0)
            new_max = max(new_max, pg)
            new_min = min(new_min, pg)
            new = min(max(old - grad / q, 0.0), upper[i])
            if new != old:
                step = (new - old) * y[i]
                col_axpy(data, indices, indptr, dim, sparse, i, step, w)
                visited += (indptr[i + 1] - indptr[i]) if sparse else dim
                w[dim] += step * bias
                total_alpha += new - old
                alpha[i] = new
            t += 1
        pg_max = new_max if new_max > 0.0 else np.inf
        pg_min = new_min if new_min < 0.0 else -np.inf
        epoch += 1
        work += visited + n_active
        if epoch % check_every and epoch < max_epochs and work < max_work:
            continue
        gap, dual = _ws_gap(data, indices, indptr, dim, sparse, y, upper, bias,
                            total_alpha, w, ws, b_fixed, c_fixed, v, m_v, a_buf,
                            c_buf, u_buf)
        work += pass_cost
        n_active = n_ws  # every example again after a check
        pg_max, pg_min = np.inf, -np.inf
        if work >= max_work:
            break
        if work >= min_work and gap <= eps * delta:
            dist2 = 0.0
            for a in range(w.shape[0]):
                diff = w[a] - w_start[a]
                dist2 += diff * diff
            if dual - d_start >= 0.5 * (1.0 - eps) * dist2:
                break
    return epoch, work, gap
