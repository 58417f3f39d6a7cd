# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Numba kernels of the L1-regularised squared-hinge SVM (liblinear's ``-s 5``).

Notation: labels ``y`` in {-1, +1}, sample weights ``s >= 0``, scores
``z = X w + c``, margins ``y z``.  In lambda units the loss is
``sum_i s_i max(0, 1 - y_i z_i)^2``; its negative gradient in the scores is
``r_i = 2 s_i y_i max(0, 1 - y_i z_i)`` and its generalised curvature
``2 s_i`` on the samples inside the margin (``y_i z_i < 1``), 0 outside.  A
dual point ``theta`` has ``y_i theta_i >= 0`` (``theta_i = 0`` where
``s_i = 0``) and ``D(theta) = sum_i (y_i theta_i - theta_i^2 / (4 s_i))``.
"""

import numpy as np

from .._jit import njit
from ._columns import JIT, col_dot, col_span, layout_kernel, shuffle
from ._l1 import l1_coordinate_step
from ._stopping import budget_spent, enough_progress, gap_reached, sq_distance

# Relative accuracy of the intercept's optimality condition sum(r) = 0 below
# which the intercept is left where it is.
INTERCEPT_RTOL = 1e-13

# Coordinate line search: sufficient-decrease fraction and halvings allowed.
ARMIJO, N_HALVINGS = 0.01, 30

# Curvature added to a coordinate's (keeps a column with no sample inside the
# margin from having a null curvature).
H_JITTER = 1e-12


@njit(**JIT)
def sqhinge_state(y, s, z, r, sums):
    """Fill ``r`` at the scores ``z``; return the loss.

    ``sums`` receives, per class (positive labels first), ``sum y_i r_i`` and
    ``sum r_i^2 / (4 s_i)``: with them ``D(k_c r)`` (a factor ``k_c`` per
    class) is ``sum_c k_c sums[c] - k_c^2 sums[2 + c]`` (no pass over ``r``).
    """
    loss = 0.0
    sums[:] = 0.0
    for i in range(z.shape[0]):
        m = 1.0 - y[i] * z[i]
        if s[i] > 0.0 and m > 0.0:
            loss += s[i] * m * m
            r[i] = 2.0 * s[i] * y[i] * m
            side = 0 if y[i] > 0.0 else 1
            sums[side] += 2.0 * s[i] * m
            sums[2 + side] += s[i] * m * m
        else:
            r[i] = 0.0
    return loss


@njit(**JIT)
def sqhinge_dual(y, s, theta):
    """``D(theta) = sum_i (y_i theta_i - theta_i^2 / (4 s_i))`` (``s_i > 0``)."""
    total = 0.0
    for i in range(theta.shape[0]):
        if s[i] > 0.0:
            total += y[i] * theta[i] - theta[i] * theta[i] / (4.0 * s[i])
    return total


@njit(**JIT)
def intercept_shift(y, s, z):
    """The exact shift ``delta`` of the scores that makes ``sum_i r_i = 0``.

    ``g(delta) = sum_i r_i(z + delta)`` is continuous, non-increasing and
    piecewise linear, with its knots at ``b_i = y_i - z_i`` (where sample
    ``i`` crosses the margin): ``g = sum_{y_i > 0, b_i > delta} 2 s_i (b_i -
    delta) - sum_{y_i < 0, b_i < delta} 2 s_i (delta - b_i)``.  The knots are
    sorted and swept until ``g`` changes sign; the root is that of the linear
    piece found.  Returns 0 when ``g(0)`` already vanishes to
    ``INTERCEPT_RTOL`` (both classes need a positive weight).
    """
    n = z.shape[0]
    g0 = 0.0
    scale = 0.0
    count = 0
    for i in range(n):
        if s[i] > 0.0:
            count += 1
            m = 1.0 - y[i] * z[i]
            if m > 0.0:
                g0 += 2.0 * s[i] * y[i] * m
                scale += 2.0 * s[i] * m
    if abs(g0) <= INTERCEPT_RTOL * scale:
        return 0.0
    knots = np.empty(count)
    which = np.empty(count, dtype=np.int64)
    a_sum = 0.0  # slope magnitude of g on the current piece
    b_sum = 0.0  # g(delta) = b_sum - a_sum * delta on the current piece
    k = 0
    for i in range(n):
        if s[i] > 0.0:
            knots[k] = y[i] - z[i]
            which[k] = i
            if y[i] > 0.0:  # left of every knot, every positive is active
                a_sum += 2.0 * s[i]
                b_sum += 2.0 * s[i] * knots[k]
            k += 1
    order = np.argsort(knots)
    for t in range(count):
        knot = knots[order[t]]
        if b_sum - a_sum * knot <= 0.0:
            return b_sum / a_sum if a_sum > 0.0 else knot
        i = which[order[t]]
        two_s = 2.0 * s[i]
        if y[i] > 0.0:  # leaves the margin to the right of its knot
            a_sum -= two_s
            b_sum -= two_s * knot
        else:  # enters it
            a_sum += two_s
            b_sum += two_s * knot
    return b_sum / a_sum


@njit(**JIT)
def shift_scores(y, s, z):
    """Move ``z`` by :func:`intercept_shift`; return the shift."""
    delta = intercept_shift(y, s, z)
    if delta != 0.0:
        for i in range(z.shape[0]):
            z[i] += delta
    return delta


@njit(inline="always")
def _entry(data, indices, sparse, t, start, const):
    """Row and value of the entry ``t`` of a column (see :func:`_span`)."""
    if const != 0.0:
        return t, const
    if sparse:
        return np.uint64(indices[t]), float(data[t])
    return t - start, float(data[t])


@njit(inline="always")
def _span(indptr, n, sparse, j, n_features):
    """``(start, stop, const)`` of column ``j``: ``const`` is 0 for a column
    of ``X``; for ``j == n_features``, the synthetic intercept column, the
    entries are the rows ``0 .. n - 1`` (``const`` is set by the caller)."""
    if j == n_features:
        return np.uint64(0), np.uint64(n)
    if sparse:
        return col_span(indptr, j)
    return np.uint64(j * n), np.uint64((j + 1) * n)


@njit(inline="always")
def _coordinate(data, indices, indptr, n, sparse, j, n_features, bias, y, s, w, z,
                r, lam):
    """One coordinate step on ``w[j]``: generalised Newton, then backtracking.

    The step minimises ``G d + H d^2 / 2 + lam |w_j + d|`` (``G`` the loss's
    partial derivative, ``H`` its generalised second derivative at ``w``)
    and is shortened until the true objective falls by ``ARMIJO`` times the
    model's predicted decrease.  ``z`` and ``r`` are updated on the column's
    entries.  ``j == n_features`` is the synthetic column of value ``bias``.
    Returns the column entries read.
    """
    start, stop = _span(indptr, n, sparse, j, n_features)
    const = bias if j == n_features else 0.0
    grad = 0.0
    curv = 0.0
    for t in range(start, stop):
        i, v = _entry(data, indices, sparse, t, start, const)
        grad -= v * r[i]
        if s[i] > 0.0 and y[i] * z[i] < 1.0:
            curv += 2.0 * s[i] * v * v
    reads = float(stop - start)
    old = w[j]
    new = l1_coordinate_step(old, -grad, curv + H_JITTER, lam, False)
    if new == old:
        return reads
    d = new - old
    predicted = grad * d + lam * (abs(new) - abs(old))
    if predicted >= 0.0:
        return reads
    step = 1.0
    accepted = False
    for _ in range(N_HALVINGS):
        change = lam * (abs(old + step * d) - abs(old))
        for t in range(start, stop):
            i, v = _entry(data, indices, sparse, t, start, const)
            if s[i] > 0.0:
                m_old = 1.0 - y[i] * z[i]
                move = y[i] * v * (step * d)
                m_new = m_old - move
                if m_old > 0.0 and m_new > 0.0:
                    change -= s[i] * move * (m_new + m_old)
                elif m_new > 0.0:
                    change += s[i] * m_new * m_new
                elif m_old > 0.0:
                    change -= s[i] * m_old * m_old
        reads += float(stop - start)
        if change <= ARMIJO * step * predicted:
            accepted = True
            break
        step *= 0.5
    if not accepted:
        return reads
    delta = step * d
    w[j] = old + delta
    for t in range(start, stop):
        i, v = _entry(data, indices, sparse, t, start, const)
        z[i] += v * delta
        m = 1.0 - y[i] * z[i]
        r[i] = 2.0 * s[i] * y[i] * m if (s[i] > 0.0 and m > 0.0) else 0.0
    return reads + float(stop - start)


@layout_kernel
def l1svm_subproblem(X, y, s, fit_intercept, bias, gamma, w, z, ws, lam, budget,
                     seed):
    """Coordinate descent on the L1 squared-hinge SVM restricted to ``ws``.

    Minimises ``sum_i s_i max(0, 1 - y_i z_i)^2 + lam ||w||_1`` over ``w[ws]``
    (and the unpenalised intercept when ``fit_intercept``), with ``z = X w +
    c`` updated in place; ``w`` must vanish outside ``ws``.  ``w`` has one
    more entry than ``X`` has columns when ``bias`` is nonzero: the weight of
    the synthetic column of value ``bias`` (a penalised intercept), which
    ``ws`` may hold as index ``n_features``.  Each pass visits
    the working set in a pseudo-random order (from ``seed``) with one
    generalised-Newton step per coordinate (:func:`_coordinate`), then moves
    the intercept to its exact optimum (:func:`intercept_shift`) and
    recomputes the loss state from ``z``.

    ``X`` is the column bundle (see :mod:`._columns`).  ``budget`` is ``(eps,
    delta, min_work, max_work, max_epochs)``; the solver stops by the rule of
    :mod:`._stopping` (work in matrix entries, the dual point ``kappa r``),
    checked before each pass.

    Returns
    -------
    n_epochs : int
    work : float
    gap : float
        Working-set gap at the last check.
    shift : float
        Total change of the intercept.
    """
    data, indices, indptr, n, sparse = X
    n_features = w.shape[0] - 1 if bias != 0.0 else w.shape[0]
    n_ws = ws.shape[0]
    nnz_ws = 0.0
    for k in range(n_ws):
        j = ws[k]
        nnz_ws += indptr[j + 1] - indptr[j] if sparse and j < n_features else n
    r = np.empty(n)
    sums = np.empty(4)
    shift = shift_scores(y, s, z) if fit_intercept else 0.0
    loss = sqhinge_state(y, s, z, r, sums)
    l1 = 0.0
    for k in range(n_ws):
        l1 += abs(w[ws[k]])
    p_start = loss + lam * l1
    r_start = r.copy()
    work = 2.0 * n
    gap = np.inf
    epochs = 0
    order = np.arange(n_ws)
    state = np.uint64(seed)
    while True:
        primal = loss + lam * l1
        top = 0.0
        for k in range(n_ws):
            j = ws[k]
            if j == n_features:  # the synthetic column
                g = 0.0
                for i in range(n):
                    g += r[i]
                top = max(top, abs(bias * g))
            else:
                top = max(top, abs(col_dot(data, indices, indptr, n, sparse, j, r)))
        kappa = 1.0 if top <= lam else lam / top
        dual = kappa * (sums[0] + sums[1]) - kappa * kappa * (sums[2] + sums[3])
        gap = primal - dual
        work += nnz_ws + n
        if budget_spent(budget, epochs, work):
            break
        if gap_reached(budget, work, gap) and enough_progress(
                budget, gamma, p_start - primal, sq_distance(r_start, kappa, r)):
            break
        state = shuffle(order, n_ws, state)
        for kk in range(n_ws):
            work += _coordinate(data, indices, indptr, n, sparse, ws[order[kk]],
                                n_features, bias, y, s, w, z, r, lam)
        if fit_intercept:
            shift += shift_scores(y, s, z)
            work += 2.0 * n
        loss = sqhinge_state(y, s, z, r, sums)  # exact again, from z
        l1 = 0.0
        for k in range(n_ws):
            l1 += abs(w[ws[k]])
        work += 2.0 * n
        epochs += 1
    return epochs, work, gap, shift
