# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Numba kernels of the linear SVM (training examples are the components).

Two losses of the margin ``m_i`` with weights ``u_i = C s_i``: the hinge
``u_i max(0, 1 - m_i)`` and the squared hinge ``u_i max(0, 1 - m_i)^2``; the
kernels named ``squared_*`` or taking a ``squared`` flag serve the latter.

The design matrix is read through the rows of ``X``, stored as the columns of
``X^T`` (see :mod:`._columns`): a CSR matrix is the CSC matrix of its
transpose, and a C-ordered array is the Fortran-ordered array of its
transpose.  The weight vector has one more entry than ``X`` has columns: the
weight of the synthetic intercept feature, of constant value ``bias``.
"""

import numpy as np

from .._jit import njit
from ._columns import JIT, add_cols, col_axpy, col_dot, layout_kernel, shuffle
from ._stopping import budget_spent, enough_progress, gap_reached, sq_distance


@njit(inline="always")
def row_margin(data, indices, indptr, dim, sparse, row, label, w, bias):
    """``label * (x_row^T w[:dim] + bias * w[dim])``."""
    return label * (col_dot(data, indices, indptr, dim, sparse, row, w)
                    + bias * w[dim])


@layout_kernel
def row_margins(data, indices, indptr, dim, sparse, rows, y, w, bias, out):
    """``out[i] = row_margin(rows[i])`` for the given rows (no copy of them)."""
    for t in range(rows.shape[0]):
        i = rows[t]
        out[t] = row_margin(data, indices, indptr, dim, sparse, i, y[i], w, bias)


@layout_kernel
def add_rows(data, indices, indptr, dim, sparse, rows, coef, bias, out):
    """``out += sum_t coef[t] (x_{rows[t]}, bias)`` (no copy of the rows)."""
    add_cols(data, indices, indptr, dim, sparse, rows, coef, out)
    for t in range(rows.shape[0]):
        out[dim] += coef[t] * bias


@njit(**JIT)
def margin_segment_minimiser(v_dot, d_sq, lin, m_v, m_x, upper, rows):
    """Minimiser over ``s`` in [0, 1] of a convex piecewise quadratic.

    ``phi(s) = s v_dot + s^2 d_sq / 2 - s lin + sum_i u_i max(0, a_i - s c_i)``
    (plus a constant) over ``i`` in ``rows``: the primal along ``v + s (x -
    v)`` with ``v_dot = v^T (x - v)``, ``d_sq = |x - v|^2``, ``a = 1 - m_v``
    and ``c = m_x - m_v`` (the margins at ``v`` and ``x``) and ``u = upper``,
    all read in place.  See :func:`_select_breakpoint`.
    """
    slope = v_dot - lin
    n = rows.shape[0]
    cuts = np.empty(n)
    jumps = np.empty(n)
    m = 0
    for t in range(n):
        i = rows[t]
        slope, m = _add_piece(1.0 - m_v[i], m_x[i] - m_v[i], upper[i], slope, cuts,
                              jumps, m)
    return _select_breakpoint(slope, d_sq, cuts, jumps, m)


@njit(**JIT)
def move_margins(m_v, m_x, s, rows):
    """``m_v[rows] = (1 - s) m_v[rows] + s m_x[rows]``, in place."""
    for t in range(rows.shape[0]):
        i = rows[t]
        m_v[i] = (1.0 - s) * m_v[i] + s * m_x[i]


@njit(**JIT)
def hinge_sum(upper, margins, rows, squared):
    """``sum_{i in rows} upper_i max(0, 1 - margins_i)``, squared if ``squared``."""
    total = 0.0
    for t in range(rows.shape[0]):
        i = rows[t]
        if margins[i] < 1.0:
            h = 1.0 - margins[i]
            total += upper[i] * (h * h if squared else h)
    return total


@njit(**JIT)
def alpha_quad(upper, alpha, rows):
    """``sum_{i in rows} alpha_i^2 / (4 upper_i)`` (examples with ``upper_i > 0``).

    The squared hinge's dual term; an example of weight 0 has ``alpha_i = 0``.
    """
    total = 0.0
    for t in range(rows.shape[0]):
        i = rows[t]
        if upper[i] > 0.0:
            total += alpha[i] * alpha[i] / (4.0 * upper[i])
    return total


@njit(**JIT)
def squared_segment_minimiser(v_dot, d_sq, lin, m_v, m_x, upper, rows):
    """Minimiser over ``s`` in [0, 1] of a convex piecewise quadratic (C^1).

    ``phi(s) = s v_dot + s^2 d_sq / 2 - s lin + sum_i u_i max(0, a_i - s
    c_i)^2`` (plus a constant) over ``i`` in ``rows``: the squared-hinge
    primal along ``v + s (x - v)``, the arguments as for
    :func:`margin_segment_minimiser`.  See :func:`_select_root`.
    """
    n = rows.shape[0]
    cuts = np.empty(n)
    d_value = np.empty(n)
    d_slope = np.empty(n)
    value, slope, m = v_dot - lin, d_sq, 0
    for t in range(n):
        i = rows[t]
        value, slope, m = _add_squared_piece(
            1.0 - m_v[i], m_x[i] - m_v[i], upper[i], value, slope, cuts, d_value,
            d_slope, m)
    return _select_root(value, slope, cuts, d_value, d_slope, m)


@njit(inline="always")
def _add_squared_piece(a, c, u, value, slope, cuts, d_value, d_slope, m):
    """Record the piece ``u max(0, a - s c)^2`` of ``phi``.

    Its derivative ``-2 u c (a - s c)`` where the piece is active adds
    ``-2 u c a`` to the value and ``2 u c^2`` to the slope of ``phi'`` (the
    line ``value + s slope``) just after ``s = 0``; at its breakpoint in (0, 1),
    if any, the piece switches off (``c > 0``) or on (``c < 0``).  Returns
    ``(value, slope, m)``.
    """
    if a > 0.0 or (a == 0.0 and c < 0.0):
        value -= 2.0 * u * c * a
        slope += 2.0 * u * c * c
    if c != 0.0:
        t = a / c
        if 0.0 < t < 1.0:
            sign = 1.0 if c > 0.0 else -1.0
            cuts[m] = t
            d_value[m] = sign * 2.0 * u * c * a
            d_slope[m] = -sign * 2.0 * u * c * c
            m += 1
    return value, slope, m


@njit(**JIT)
def _select_root(value, slope, cuts, d_value, d_slope, m):
    """The first ``s`` in [0, 1] where ``phi'(s) >= 0``, ``phi'`` continuous.

    ``phi'(s) = value + s slope`` up to the first breakpoint; at ``cuts[k]``
    its value moves by ``d_value[k]`` and its slope by ``d_slope[k]`` (the
    first ``m`` entries).  ``phi'`` is non-decreasing (``phi`` is convex).
    A quickselect over the breakpoints (expected linear time, where sorting
    them cost ``O(n log n)``).
    """
    # Invariant: the answer lies in [lo, hi]; cuts[first:last] are the
    # breakpoints inside (lo, hi); (value, slope) include the moves up to lo.
    lo, hi = 0.0, 1.0
    first, last = 0, m
    while first < last:
        x, y, z = cuts[first], cuts[(first + last) // 2], cuts[last - 1]
        pivot = max(min(x, y), min(max(x, y), z))  # median of three
        # three-way partition: < pivot, == pivot, > pivot
        lt, i, gt = first, first, last
        below_v = 0.0
        below_s = 0.0
        while i < gt:
            if cuts[i] > pivot:
                gt -= 1
                cuts[gt], cuts[i] = cuts[i], cuts[gt]
                d_value[gt], d_value[i] = d_value[i], d_value[gt]
                d_slope[gt], d_slope[i] = d_slope[i], d_slope[gt]
                continue
            below_v += d_value[i]
            below_s += d_slope[i]
            if cuts[i] < pivot:
                cuts[lt], cuts[i] = cuts[i], cuts[lt]
                d_value[lt], d_value[i] = d_value[i], d_value[lt]
                d_slope[lt], d_slope[i] = d_slope[i], d_slope[lt]
                lt += 1
            i += 1
        if value + below_v + pivot * (slope + below_s) >= 0.0:
            hi = pivot
            last = lt
        else:
            value += below_v
            slope += below_s
            lo = pivot
            first = gt
    # no breakpoint inside (lo, hi): phi' is the line value + s slope there
    if value + lo * slope >= 0.0:
        return lo
    if value + hi * slope >= 0.0:
        return -value / slope
    return hi


@njit(inline="always")
def _add_piece(a, c, u, slope, cuts, jumps, m):
    """Record the hinge piece ``u max(0, a - s c)``: its slope at ``s = 0+``
    and its breakpoint in (0, 1), if any.  Returns ``(slope, m)``."""
    if a > 0.0 or (a == 0.0 and c < 0.0):
        slope -= u * c  # active just after s = 0
    if c != 0.0:
        t = a / c
        if 0.0 < t < 1.0:
            cuts[m] = t
            jumps[m] = u * abs(c)
            m += 1
    return slope, m


@njit(**JIT)
def _select_breakpoint(slope, d_sq, cuts, jumps, m):
    """The first ``s`` in [0, 1] where ``phi``'s right derivative is >= 0.

    ``slope`` is the derivative at ``0+`` without the quadratic term; the
    derivative grows by ``jumps[k]`` at ``cuts[k]`` (the first ``m``
    entries): :func:`_select_root` with ``phi'(s) = slope + s d_sq`` moving by
    steps only.
    """
    return _select_root(slope, d_sq, cuts, jumps, np.zeros(m), m)


@njit(inline="always")
def _segment_sums(w, v, b_fixed):
    """``(|v|^2, v^T d, |d|^2, b^T d, |w|^2, b^T v)``, ``d = w - v``, ``b = b_fixed``.

    One pass, each sum in index order.
    """
    v_sq = 0.0
    v_dot = 0.0
    d_sq = 0.0
    lin = 0.0
    w_sq = 0.0
    fixed_v = 0.0
    for k in range(w.shape[0]):
        delta = w[k] - v[k]
        v_sq += v[k] * v[k]
        v_dot += v[k] * delta
        d_sq += delta * delta
        lin += b_fixed[k] * delta
        w_sq += w[k] * w[k]
        fixed_v += b_fixed[k] * v[k]
    return v_sq, v_dot, d_sq, lin, w_sq, fixed_v


@layout_kernel
def _ws_gap(X, rows, y, upper, bias, total_alpha, w, b_fixed, c_fixed, v, m_v, m_w,
            cuts, jumps):
    """Relaxed gap on the working set, at the best point of ``[v, w]``.

    The relaxed primal is ``P_W(z) = |z|^2/2 + sum_{i in W} u_i max(0, 1 -
    m_i(z)) + c_fixed - b_fixed^T z`` (the examples fixed at their upper bound
    are affine) and the dual ``D(alpha) = sum(alpha) - |w|^2/2``.  Example
    ``t`` of ``W`` is row ``i = rows[t]`` of the matrix given and entry ``i``
    of ``y``, ``upper`` and ``m_v`` (its margin at ``v``).  ``m_w[t]``
    receives example ``t``'s margin at ``w``; ``cuts`` and ``jumps`` are
    scratch.  ``X`` is the column bundle of ``X^T``.  Returns
    ``(min_s P_W(v + s (w - v)) - D, D)``.
    """
    data, indices, indptr, dim, sparse = X
    v_sq, v_dot, d_sq, lin, w_sq, fixed_v = _segment_sums(w, v, b_fixed)
    n_ws = rows.shape[0]
    slope = v_dot - lin
    m = 0
    for t in range(n_ws):
        i = rows[t]
        m_w[t] = row_margin(data, indices, indptr, dim, sparse, i, y[i], w, bias)
        slope, m = _add_piece(1.0 - m_v[i], m_w[t] - m_v[i], upper[i], slope, cuts,
                              jumps, m)
    s = _select_breakpoint(slope, d_sq, cuts, jumps, m)
    hinge = 0.0
    for t in range(n_ws):
        i = rows[t]
        h = 1.0 - m_v[i] - s * (m_w[t] - m_v[i])
        if h > 0.0:
            hinge += upper[i] * h
    primal = (0.5 * (v_sq + 2.0 * s * v_dot + s * s * d_sq) + hinge + c_fixed
              - fixed_v - s * lin)
    dual = total_alpha - 0.5 * w_sq
    return primal - dual, dual


@layout_kernel
def _ws_gap_squared(X, rows, y, upper, bias, alpha, total_alpha, w, b_fixed, c_fixed,
                    v, m_v, m_w, cuts, d_value, d_slope):
    """Relaxed gap of the squared hinge on the working set, at the best of ``[v, w]``.

    The relaxed primal is ``P_W(z) = |z|^2/2 + sum_{i in W} u_i max(0, 1 -
    m_i(z))^2 + c_fixed - b_fixed^T z`` (the examples outside ``W`` have
    ``alpha_i = 0``, so ``b_fixed`` and ``c_fixed`` are zero) and the dual
    ``D(alpha) = sum(alpha) - |w|^2/2 - sum_{i in W} alpha_i^2 / (4 u_i)``.
    Arguments as for :func:`_ws_gap` (``alpha`` read at entry ``i`` too;
    ``cuts``, ``d_value`` and ``d_slope`` scratch).  Returns ``(min_s P_W(v +
    s (w - v)) - D, D)``.
    """
    data, indices, indptr, dim, sparse = X
    v_sq, v_dot, d_sq, lin, w_sq, fixed_v = _segment_sums(w, v, b_fixed)
    n_ws = rows.shape[0]
    value, slope, m = v_dot - lin, d_sq, 0
    for t in range(n_ws):
        i = rows[t]
        m_w[t] = row_margin(data, indices, indptr, dim, sparse, i, y[i], w, bias)
        value, slope, m = _add_squared_piece(
            1.0 - m_v[i], m_w[t] - m_v[i], upper[i], value, slope, cuts, d_value,
            d_slope, m)
    s = _select_root(value, slope, cuts, d_value, d_slope, m)
    loss = 0.0
    for t in range(n_ws):
        i = rows[t]
        h = 1.0 - m_v[i] - s * (m_w[t] - m_v[i])
        if h > 0.0:
            loss += upper[i] * (h * h)
    primal = (0.5 * (v_sq + 2.0 * s * v_dot + s * s * d_sq) + loss + c_fixed
              - fixed_v - s * lin)
    dual = total_alpha - 0.5 * w_sq - alpha_quad(upper, alpha, rows)
    return primal - dual, dual


@layout_kernel
def svm_subproblem(X, rows, y, upper, bias, sq_norms, alpha, w, b_fixed, c_fixed,
                   v, m_v, m_w, seed, budget, check_every):
    """Dual coordinate descent on the working set (Hsieh et al., 2008).

    Example ``t`` of the working set is row ``i = rows[t]`` of the matrix
    given and entry ``i`` of ``y``, ``upper``, ``sq_norms``, ``alpha``
    (updated in place) and ``m_v`` (labels, bounds, squared norms, dual
    variables, margins at ``v``), all read in place.  One index per example:
    a pass in random order reads no index array besides its order (a second
    one, a dependent load per example, made a pass on a9a 1.4x slower).
    ``c_fixed`` is the sum of ``alpha`` outside the working set, whose
    examples sit at 0 or at their bound.  On return (``max_epochs >= 1``),
    ``m_w[t]`` is example ``t``'s margin at the final ``w``: every run ends
    with a gap check, which computes them.
    Maximises ``D(alpha) = sum(alpha) - |w(alpha)|^2 / 2`` over
    ``0 <= alpha_i <= upper_i``, keeping ``w = sum_i alpha_i y_i (x_i, bias)``
    (all examples) up to date.  Each pass visits the examples in a
    pseudo-random order drawn from ``seed``, skipping those that shrinking set
    aside since the last gap check.  The relaxed primal is measured at the
    best point between the outer upper point ``v`` and ``w``: at ``w`` alone
    it lags far behind the dual.

    ``X`` is the column bundle of ``X^T`` (``(data, indices, indptr, dim,
    sparse)``, see :mod:`._columns`).  ``budget`` is ``(eps, delta, min_work,
    max_work, max_epochs)``; the solver stops by the rule of :mod:`._stopping`
    (work in matrix entries, ``gamma = 1``, the progress that of the dual
    ``D``, the dual point ``w``), checked every ``check_every`` passes and
    after the last.

    Returns
    -------
    n_epochs : int
    work : float
    gap : float
        Relaxed gap at the last check.
    """
    return _dual_cd(X, rows, y, upper, bias, sq_norms, alpha, w, b_fixed, c_fixed,
                    v, m_v, m_w, seed, budget, check_every, False)


@layout_kernel
def squared_svm_subproblem(X, rows, y, upper, bias, sq_norms, alpha, w, b_fixed,
                           c_fixed, v, m_v, m_w, seed, budget, check_every):
    """Dual coordinate descent on the working set, for the squared hinge.

    As :func:`svm_subproblem` (same arguments and returns), but maximises
    ``D(alpha) = sum(alpha) - |w(alpha)|^2 / 2 - sum_i alpha_i^2 / (4 u_i)``
    over ``alpha >= 0`` (``u = upper``; no upper bound): each coordinate step
    adds the diagonal term ``1 / (2 u_i)`` to ``|x~_i|^2`` and ``alpha_i / (2
    u_i)`` to the gradient; an example of weight ``u_i = 0`` keeps ``alpha_i =
    0``.  ``b_fixed`` and ``c_fixed`` are zero (only ``alpha_i = 0`` is fixed
    outside the working set) and the gap check is :func:`_ws_gap_squared`.
    """
    return _dual_cd(X, rows, y, upper, bias, sq_norms, alpha, w, b_fixed, c_fixed,
                    v, m_v, m_w, seed, budget, check_every, True)


@njit(inline="always")
def _dual_cd(X, rows, y, upper, bias, sq_norms, alpha, w, b_fixed, c_fixed, v, m_v,
             m_w, seed, budget, check_every, squared):
    """The body of both subproblem kernels, ``squared`` a constant in each.

    Inlined (at Numba's IR level) with ``squared`` a literal, so that LLVM
    folds its tests and the hinge's loop holds none of the squared hinge's
    steps (as :func:`._columns.layout_kernel` does for the layout).
    """
    data, indices, indptr, dim, sparse = X
    n_ws = rows.shape[0]
    order = rows.astype(np.int32)  # the shuffled examples (n < 2**31)
    pass_cost = float(n_ws)
    for i in range(n_ws):
        r = rows[i]
        pass_cost += 2.0 * ((indptr[r + 1] - indptr[r]) if sparse else dim)
    w_start = w.copy()
    cuts = np.empty(n_ws)  # scratch of the gap checks
    jumps = np.empty(n_ws)
    slopes = np.empty(n_ws if squared else 0)
    total_alpha = c_fixed
    for t in range(n_ws):
        total_alpha += alpha[rows[t]]
    d_start = total_alpha - 0.5 * (w @ w)
    if squared:
        d_start -= alpha_quad(upper, alpha, rows)
    gap = np.inf  # max_epochs >= 1: the last pass always measures it
    # two passes charged up front: the caller's setup (the working set's rows
    # gathered, the margins at v) and the cost model's calibration count them
    work = 2.0 * pass_cost
    state = np.uint64(seed)
    epoch = 0
    # Shrinking (as in liblinear): an example at a bound whose gradient lies
    # beyond the last pass's projected-gradient range is skipped until the
    # next gap check, which restores every example.
    n_active = n_ws
    pg_max, pg_min = np.inf, -np.inf
    while epoch < budget[4]:
        state = shuffle(order, n_active, state)
        new_max, new_min = -np.inf, np.inf
        keep = 0
        visited = 0.0
        for t in range(n_active):
            i = order[t]
            q = sq_norms[i]
            old = alpha[i]
            bound = upper[i]
            diag = 0.0
            if squared:
                if bound <= 0.0:  # no loss: alpha_i stays 0
                    continue
                diag = 0.5 / bound
                q += diag
                bound = np.inf
            if q <= 0.0:  # a null example: its hinge is 1, alpha at the bound
                total_alpha += bound - old
                alpha[i] = bound
                continue
            grad = row_margin(data, indices, indptr, dim, sparse, i, y[i], w,
                              bias) - 1.0
            if squared:
                grad += diag * old
            nnz = (indptr[i + 1] - indptr[i]) if sparse else dim
            visited += nnz
            pg = grad
            if old == 0.0:
                if grad > pg_max:  # shrink: left out until the next check
                    continue
                pg = min(grad, 0.0)
            elif old == bound:
                if grad < pg_min:
                    continue
                pg = max(grad, 0.0)
            order[keep] = i
            keep += 1
            new_max = max(new_max, pg)
            new_min = min(new_min, pg)
            new = min(max(old - grad / q, 0.0), bound)
            if new != old:
                step = (new - old) * y[i]
                col_axpy(data, indices, indptr, dim, sparse, i, step, w)
                visited += nnz
                w[dim] += step * bias
                total_alpha += new - old
                alpha[i] = new
        n_active = keep
        pg_max = new_max if new_max > 0.0 else np.inf
        pg_min = new_min if new_min < 0.0 else -np.inf
        epoch += 1
        work += visited + n_active
        if epoch % check_every and not budget_spent(budget, epoch, work):
            continue
        if squared:
            gap, dual = _ws_gap_squared(X, rows, y, upper, bias, alpha,
                                        total_alpha, w, b_fixed, c_fixed, v, m_v,
                                        m_w, cuts, jumps, slopes)
        else:
            gap, dual = _ws_gap(X, rows, y, upper, bias, total_alpha, w, b_fixed,
                                c_fixed, v, m_v, m_w, cuts, jumps)
        work += pass_cost
        for t in range(n_ws):  # every example again after a check
            order[t] = rows[t]
        n_active = n_ws
        pg_max, pg_min = np.inf, -np.inf
        if budget_spent(budget, epoch, work):
            break
        if gap_reached(budget, work, gap) and enough_progress(
                budget, 1.0, dual - d_start, sq_distance(w, 1.0, w_start)):
            break
    return epoch, work, gap


@layout_kernel
def add_row_products(data, indices, indptr, dim, sparse, rows, coef, bias, out):
    """``out += sum_t coef[t] x~ x~^T`` with ``x~ = (x_{rows[t]}, bias)``.

    Only the upper triangle of ``out`` (a C-ordered ``(dim + 1, dim + 1)``
    array) is written, the sparse rows' indices sorted (canonical CSR); rows
    with ``coef[t] == 0`` are skipped.  A sparse row of ``k`` entries costs
    ``k (k + 1) / 2`` updates (the squared-hinge Hessian of
    :mod:`.._problems._svm_newton`, which multiplies dense rows with BLAS).
    """
    for t in range(rows.shape[0]):
        c = coef[t]
        if c == 0.0:
            continue
        i = rows[t]
        if sparse:
            start, stop = indptr[i], indptr[i + 1]
            for a in range(start, stop):
                ja = indices[a]
                ca = c * data[a]
                for b in range(a, stop):
                    out[ja, indices[b]] += ca * data[b]
                out[ja, dim] += ca * bias
        else:
            row = data[i * dim:(i + 1) * dim]
            for a in range(dim):
                ca = c * row[a]
                for b in range(a, dim):
                    out[a, b] += ca * row[b]
                out[a, dim] += ca * bias
        out[dim, dim] += c * bias * bias
