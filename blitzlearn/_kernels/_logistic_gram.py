# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Gram-form kernels of the L1-logistic proximal Newton solver.

When the working set has few features compared with the samples, the
Newton model's Hessian ``X_W^T diag(h) X_W`` is small: building it costs one
sweep over the rows, after which a coordinate-descent pass costs ``m^2`` for
``m`` features instead of a sweep over the columns' entries.  The model can
then be solved accurately, so the Newton iterations converge fast even when
the columns are nearly collinear (one-hot groups), where column-form
coordinate descent needs hundreds of passes.  The Hessian itself is built by
:mod:`._gram`.
"""

from .._jit import njit
from ._columns import JIT
from ._l1 import penalised_step


@njit(**JIT)
def gram_model_cd(gram, b, w, dw, pen, max_passes, rtol, positive=False):
    """Coordinate descent on ``-b^T d + d^T G d / 2 + R(w + d)`` over ``d``.

    ``R`` is the penalty ``pen = (lam, v, l2)`` (``v`` aligned with ``w``):
    ``lam sum_k v_k |u_k| + l2/2 ||u||^2``, plus the constraint ``w + d >= 0``
    with ``positive``.

    ``dw`` holds the start and receives the result.  Stops when a pass's
    largest optimality violation is at most ``rtol`` times the first pass's,
    or after ``max_passes`` passes.  Returns the number of passes.
    """
    lam, pv, l2 = pen
    m = b.shape[0]
    v = b.copy()  # negative model gradient b - G d
    for k in range(m):
        if dw[k] != 0.0:
            for a in range(m):
                v[a] -= gram[a, k] * dw[k]
    first = 0.0
    for n_pass in range(max_passes):
        worst = 0.0
        for k in range(m):
            lip = gram[k, k]
            old = w[k] + dw[k]
            if lip <= 0.0:
                continue
            grad = v[k]
            thr = lam * pv[k]
            slope = grad - l2 * old if l2 > 0.0 else grad
            if old > 0.0:
                e = abs(slope - thr)
            elif old < 0.0:
                e = abs(slope + thr)
            else:
                e = max((grad if positive else abs(grad)) - thr, 0.0)
            worst = max(worst, e)
            new = penalised_step(old, grad, lip, thr, l2, positive)
            if new != old:
                step = new - old
                dw[k] += step
                for a in range(m):
                    v[a] -= gram[a, k] * step
        if n_pass == 0:
            first = worst
        if worst <= rtol * first:
            return n_pass + 1
    return max_passes
