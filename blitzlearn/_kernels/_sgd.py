# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Numba kernels of minibatch SGD with AdaScale for linear classifiers.

The training examples are read as the columns of ``X^T`` (see
:mod:`._columns`: a CSR matrix is the CSC matrix of its transpose, a
C-ordered array the Fortran-ordered array of its transpose), so one kernel
serves dense and sparse input.  A model has ``K`` one-vs-rest rows ``W[k]``
with intercepts ``b[k]``; labels ``Y[i, k]`` are in {-1, +1}.  With margins
``m_ik = Y[i, k] (x_i^T W[k] + b[k])`` the training objective is

.. math::

    F(W, b) = \\frac{1}{n} \\sum_{i=1}^{n} s_i \\sum_{k=1}^{K}
    \\ell(m_{ik}) + \\frac{\\alpha}{2} \\|W\\|_F^2 .

One step draws ``S`` batches of ``b`` indices from ``order``, computes the
``S`` batch gradients of ``F`` (penalty included in each), their squared
norms and their mean, asks the gain estimator of :mod:`.._adascale` for the
gain, and takes a heavy-ball momentum step in PyTorch's form
``v <- rho v + g; w <- w - lr v``.
"""

import math

import numpy as np

from .._adascale import gain_observe, gain_value
from .._jit import njit
from ._columns import JIT, col_axpy, col_dot, col_span, layout_kernel
from ._logistic import _log1pexp, _sigma_neg

LOSSES = {"log_loss": 0, "hinge": 1, "squared_hinge": 2, "modified_huber": 3}
RULES = {"adascale": 0, "linear": 1, "identity": 2}
SCHEDULES = {"constant": 0, "step": 1, "exponential": 2}

# what run_steps returns
NEED_DATA, DONE, HISTORY_FULL, DIVERGED = 0, 1, 2, 3
# slots of the int64 counters and float64 clock arrays
T, POS, NEXT_EPOCH = 0, 1, 2
TAU, W_SQ = 0, 1

# the entries of the recipe tuple that run_steps takes, in order
RECIPE = ("loss", "alpha", "fit_intercept", "momentum", "scale", "size", "rule",
          "advance", "warmup", "step_cap", "t_si", "theta", "schedule", "eta0",
          "decay", "milestones", "epoch_len")


def recipe_tuple(recipe):
    """The entries :data:`RECIPE` of the dict ``recipe``, as a tuple."""
    return tuple(recipe[name] for name in RECIPE)


@njit(**JIT)
def loss_value(loss, m):
    """Loss ``l(m)`` of a margin ``m = y z``."""
    if loss == 0:
        return _log1pexp(-m)
    if loss == 1:
        return max(0.0, 1.0 - m)
    if loss == 2:
        t = max(0.0, 1.0 - m)
        return t * t
    if m >= 1.0:
        return 0.0
    if m >= -1.0:
        return (1.0 - m) * (1.0 - m)
    return -4.0 * m


@njit(**JIT)
def loss_slope(loss, m):
    """Derivative ``l'(m)`` (a subgradient at the kinks)."""
    if loss == 0:
        return -_sigma_neg(m)
    if loss == 1:
        return -1.0 if m < 1.0 else 0.0
    if loss == 2:
        return -2.0 * (1.0 - m) if m < 1.0 else 0.0
    if m >= 1.0:
        return 0.0
    if m >= -1.0:
        return -2.0 * (1.0 - m)
    return -4.0


@njit(**JIT)
def base_rate(schedule, eta0, decay, milestones, t_si, k):
    """Learning rate of the ``S = 1`` recipe at its iteration ``k``."""
    if schedule == 0:
        return eta0
    if schedule == 1:
        passed = 0
        for t in range(milestones.shape[0]):
            if k >= milestones[t]:
                passed += 1
        return eta0 * decay ** passed
    return eta0 * decay ** (k / t_si)


@layout_kernel
def objective(data, indices, indptr, d, sparse, Y, sw, W, Wb, alpha, loss):
    """Training objective ``F(W, b)`` of the module docstring, on all rows."""
    n_rows, n_out = Y.shape
    total = 0.0
    for i in range(n_rows):
        row = 0.0
        for k in range(n_out):
            z = col_dot(data, indices, indptr, d, sparse, i, W[k]) + Wb[k]
            row += loss_value(loss, Y[i, k] * z)
        total += sw[i] * row
    sq = 0.0
    for k in range(n_out):
        for j in range(d):
            sq += W[k, j] * W[k, j]
    return total / n_rows + 0.5 * alpha * sq


@njit(inline="always")  # per row, like col_axpy
def axpy_sq_change(data, indices, indptr, n, sparse, j, a, v):
    """``v += a * X[:, j]``; returns ``||v_new||^2 - ||v_old||^2``.

    Each entry's change ``(old + a x)^2 - old^2 = (2 old + a x) a x`` is
    summed while the entry is updated, so the squared norm of a batch
    gradient costs no pass of its own.
    """
    change = 0.0
    if sparse:
        p_lo, p_hi = col_span(indptr, j)
        for p in range(p_lo, p_hi):
            r = np.uint64(indices[p])
            step = a * data[p]
            old = v[r]
            v[r] = old + step
            change += (old + old + step) * step
    else:
        col = data[j * n:(j + 1) * n]
        for r in range(n):
            step = a * col[r]
            old = v[r]
            v[r] = old + step
            change += (old + old + step) * step
    return change


@layout_kernel
def batch_gradients(X, Y, sw, row_sq, order, start, n_batches, size, weights,
                    loss, fit_intercept, scratch):
    """Add the loss parts of ``n_batches`` batch gradients into ``total``.

    ``X`` is the column bundle of ``X^T``, ``weights`` is ``(W, Wb)`` and
    ``scratch`` is ``(acc, acc_b, total, total_b)``.  Batch ``s`` holds the
    rows ``order[start + s size : start + (s + 1) size]``; the loss part
    of its gradient is ``a_s = (1 / size) sum_i s_i l'(m_ik) Y[i, k] (x_i,
    1)`` (no intercept entry without
    ``fit_intercept``).  ``acc``/``acc_b`` are zeroed scratch arrays shaped
    like ``W``/``b``, zero again on return; with sparse rows only the
    batch's own columns are flushed into ``total``.  Batches of one row skip
    them: ``||a_s||^2 = sum_k c_k^2 (||x_i||^2 + 1)`` from the squared row
    norms ``row_sq``.

    Returns ``sum_s ||a_s||^2``.  The penalty is added by the caller:
    ``sum_s ||a_s + alpha W||^2 = sum_s ||a_s||^2 + 2 alpha (sum_s a_s)^T W
    + n_batches alpha^2 ||W||^2``.
    """
    data, indices, indptr, d, sparse = X
    W, Wb = weights
    acc, acc_b, total, total_b = scratch
    n_out = W.shape[0]
    inv = 1.0 / size
    sum_sq = 0.0
    if size == 1:
        for t in range(start, start + n_batches):
            i = order[t]
            for k in range(n_out):
                z = col_dot(data, indices, indptr, d, sparse, i, W[k]) + Wb[k]
                c = sw[i] * loss_slope(loss, Y[i, k] * z) * Y[i, k]
                if c != 0.0:
                    col_axpy(data, indices, indptr, d, sparse, i, c, total[k])
                    sum_sq += c * c * row_sq[i]
                    if fit_intercept:
                        total_b[k] += c
                        sum_sq += c * c
        return sum_sq
    for s in range(n_batches):
        first = start + s * size
        for t in range(first, first + size):
            i = order[t]
            for k in range(n_out):
                z = col_dot(data, indices, indptr, d, sparse, i, W[k]) + Wb[k]
                c = sw[i] * loss_slope(loss, Y[i, k] * z) * Y[i, k] * inv
                if c != 0.0:
                    sum_sq += axpy_sq_change(data, indices, indptr, d, sparse,
                                             i, c, acc[k])
                    if fit_intercept:
                        old = acc_b[k]
                        acc_b[k] = old + c
                        sum_sq += (old + old + c) * c
        for k in range(n_out):
            if sparse:
                # a second visit of a column finds it already flushed (0)
                for t in range(first, first + size):
                    i = order[t]
                    p_lo, p_hi = col_span(indptr, i)  # (start is taken)
                    for p in range(p_lo, p_hi):
                        j = np.uint64(indices[p])
                        a = acc[k, j]
                        if a != 0.0:
                            total[k, j] += a
                            acc[k, j] = 0.0
            else:
                for j in range(d):
                    total[k, j] += acc[k, j]
                    acc[k, j] = 0.0
            total_b[k] += acc_b[k]
            acc_b[k] = 0.0
    return sum_sq


@njit(**JIT)  # its calls of the layout kernels below pick the layout
def run_steps(X, Y, sw, row_sq, order, model, scratch, gain_state, counters, clock,
              recipe, history):
    """Take optimizer steps until the data, the history or the budget runs out.

    The arguments come grouped: ``X`` is the column bundle of ``X^T`` (see
    :mod:`._columns`), ``model`` is ``(W, Wb, V, Vb)`` (weights, intercepts
    and their momentum buffers), ``scratch`` is ``(acc, acc_b, total,
    total_b)`` (see :func:`batch_gradients`), ``recipe`` the entries
    :data:`RECIPE` (see :func:`recipe_tuple`) and ``history`` is ``(gains,
    rates, objectives)``, filled step by step (objectives by epoch).

    The loop state lives in the arrays: ``counters`` holds the step count
    ``t``, the position in ``order`` and the next scale-invariant epoch
    whose objective is due; ``clock`` holds ``tau`` and
    ``||W||^2``.  Each step consumes ``scale * size`` entries of ``order``.

    ``rule`` picks the learning-rate multiplier ``m`` and the advance of
    ``tau``: AdaScale (0) uses the gain ``r`` for both (``r = 1`` on the first
    step); the linear rule (1) uses ``m = scale`` after a linear warm-up over
    ``warmup`` steps and advances ``advance``; identity (2) uses ``m = 1``.
    The step size is ``m * base_rate(floor(tau))``.  Stops when ``tau >=
    t_si`` or after ``step_cap`` steps.

    Returns NEED_DATA, DONE, HISTORY_FULL or DIVERGED.
    """
    data, indices, indptr, d, sparse = X
    W, Wb, V, Vb = model
    acc, acc_b, total, total_b = scratch
    (loss, alpha, fit_intercept, momentum, scale, size, rule, advance, warmup,
     step_cap, t_si, theta, schedule, eta0, decay, milestones,
     epoch_len) = recipe
    gains, rates, objectives = history
    n_out = W.shape[0]
    n_epochs = objectives.shape[0] - 1
    chunk = scale * size
    while True:
        t = counters[T]
        if clock[TAU] >= t_si or t >= step_cap:
            obj = objective(data, indices, indptr, d, sparse, Y, sw, W, Wb,
                            alpha, loss)
            for e in range(counters[NEXT_EPOCH], n_epochs + 1):
                objectives[e] = obj
            counters[NEXT_EPOCH] = n_epochs + 1
            return DONE
        if t >= gains.shape[0]:
            return HISTORY_FULL
        start = counters[POS]
        if start + chunk > order.shape[0]:
            return NEED_DATA
        sum_sq = batch_gradients(X, Y, sw, row_sq, order, start, scale, size,
                                 (W, Wb), loss, fit_intercept, scratch)
        counters[POS] = start + chunk
        # mean gradient, penalty included, left in total / total_b
        mean_sq = 0.0
        cross = 0.0
        for k in range(n_out):
            for j in range(d):
                cross += total[k, j] * W[k, j]
                g = total[k, j] / scale + alpha * W[k, j]
                total[k, j] = g
                mean_sq += g * g
            total_b[k] /= scale
            mean_sq += total_b[k] * total_b[k]
        sum_sq += alpha * (2.0 * cross + scale * alpha * clock[W_SQ])
        if not (math.isfinite(mean_sq) and math.isfinite(sum_sq)):
            return DIVERGED
        # the gain comes from the earlier steps only, so that it does not
        # depend on this step's gradient
        r = gain_value(gain_state, float(scale))
        gain_observe(gain_state, sum_sq, mean_sq, scale, float(scale), theta)
        if rule == 0:
            mult = r
            step = r
        elif rule == 1:
            mult = 1.0 + (scale - 1.0) * min(t / warmup, 1.0)
            step = advance
        else:
            mult = 1.0
            step = advance
        lr = mult * base_rate(schedule, eta0, decay, milestones, t_si,
                              math.floor(clock[TAU]))
        w_sq = 0.0
        for k in range(n_out):
            for j in range(d):
                v = momentum * V[k, j] + total[k, j]
                V[k, j] = v
                W[k, j] -= lr * v
                total[k, j] = 0.0
                w_sq += W[k, j] * W[k, j]
            if fit_intercept:
                v = momentum * Vb[k] + total_b[k]
                Vb[k] = v
                Wb[k] -= lr * v
            total_b[k] = 0.0
        if not math.isfinite(w_sq):
            return DIVERGED
        clock[W_SQ] = w_sq
        gains[t] = r
        rates[t] = lr
        clock[TAU] += step
        counters[T] = t + 1
        due = counters[NEXT_EPOCH]
        if due <= n_epochs and clock[TAU] >= due * epoch_len:
            obj = objective(data, indices, indptr, d, sparse, Y, sw, W, Wb,
                            alpha, loss)
            while due <= n_epochs and clock[TAU] >= due * epoch_len:
                objectives[due] = obj
                due += 1
            counters[NEXT_EPOCH] = due
