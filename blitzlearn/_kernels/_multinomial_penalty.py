# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Numba kernels of the multinomial model's penalty (weighted, elastic net).

The penalty on ``W`` of shape (n_features, K) is ``lam sum_j v_j ||W_j|| +
l2/2 ||W||_F^2`` with ``||.||`` the L1 norm or, with ``group``, the 2-norm
(``W_j`` the K coefficients of feature ``j``, ``v_j >= 0`` its weight).  The
conjugate of feature ``j``'s part, ``h_j(w) = lam v_j ||w|| + l2/2 ||w||^2``,
is ``h_j*(u) = sum_k (|u_k| - lam v_j)_+^2 / (2 l2)`` (L1) or ``(||u||_2 -
lam v_j)_+^2 / (2 l2)`` (group) for ``l2 > 0``.
"""

import numpy as np

from .._jit import njit
from ._columns import JIT


@njit(**JIT)
def penalty(W, rows, group, v):
    """``sum_j v_j ||W_j||_1`` (or ``||W_j||_2`` with ``group``) over ``rows``."""
    total = 0.0
    for t in range(rows.shape[0]):
        j = rows[t]
        acc = 0.0
        for k in range(W.shape[1]):
            acc += W[j, k] * W[j, k] if group else abs(W[j, k])
        total += v[j] * (np.sqrt(acc) if group else acc)
    return total


@njit(**JIT)
def sq_norm(W, rows):
    """``sum_j ||W_j||_2^2`` over ``rows``."""
    total = 0.0
    for t in range(rows.shape[0]):
        j = rows[t]
        for k in range(W.shape[1]):
            total += W[j, k] * W[j, k]
    return total


@njit(**JIT)
def penalty_along(W, dW, ws, t, group, v):
    """``sum_{j in ws} v_j ||W_j + t dW_j||`` (``dW`` indexed by position in ``ws``)."""
    total = 0.0
    for c in range(ws.shape[0]):
        j = ws[c]
        acc = 0.0
        for k in range(W.shape[1]):
            u = W[j, k] + t * dW[c, k]
            acc += u * u if group else abs(u)
        total += v[j] * (np.sqrt(acc) if group else acc)
    return total


@njit(**JIT)
def sq_along(W, dW, ws, t):
    """``sum_{j in ws} ||W_j + t dW_j||_2^2``."""
    total = 0.0
    for c in range(ws.shape[0]):
        j = ws[c]
        for k in range(W.shape[1]):
            u = W[j, k] + t * dW[c, k]
            total += u * u
    return total


@njit(**JIT)
def conjugate(A, rows, group, lam, v, l2):
    """``sum_{j in rows} h_j*(A_j)`` (module docstring), ``l2 > 0``."""
    total = 0.0
    for t in range(rows.shape[0]):
        j = rows[t]
        thr = lam * v[j]
        if group:
            acc = 0.0
            for k in range(A.shape[1]):
                acc += A[j, k] * A[j, k]
            e = max(np.sqrt(acc) - thr, 0.0)
            total += e * e
        else:
            for k in range(A.shape[1]):
                e = max(abs(A[j, k]) - thr, 0.0)
                total += e * e
    return total / (2.0 * l2)


@njit(**JIT)
def centre(w, dw, group, buf, thr, l2):
    """Shift ``w + dw`` by a constant to the smallest penalty (same loss).

    Adding ``c`` to every class of a feature moves every score of a sample
    by the same amount: the loss, ``R`` and ``u_ik - m_i`` do not change
    (``U`` is left as is; the line search's loss is the same).  The shift
    minimises ``thr ||w - c||_1 + l2/2 ||w - c||^2`` (``thr = lam v_j``):
    without ``l2`` at a median (the one nearest 0, which zeroes a
    coefficient); with the 2-norm, or ``thr = 0``, at the mean; else at
    ``c_m = (sum(w) - (thr / l2) (2 m - K)) / K`` for the number ``m`` of
    coefficients below it, or at the coefficient where the one-sided
    derivatives change sign.  Without penalty nothing moves.
    """
    K = w.shape[0]
    if thr == 0.0 and l2 == 0.0:
        return
    for k in range(K):
        buf[k] = w[k] + dw[k]
    if group or thr == 0.0:
        c = 0.0
        for k in range(K):
            c += buf[k]
        c /= K
    elif l2 == 0.0:
        srt = np.sort(buf)
        lo = srt[(K - 1) // 2]
        hi = srt[K // 2]
        c = min(max(0.0, lo), hi)
    else:
        srt = np.sort(buf)
        total = 0.0
        for k in range(K):
            total += srt[k]
        ratio = thr / l2
        c = srt[K - 1]
        for m in range(K + 1):
            # c_m falls with m, the interval (srt[m - 1], srt[m]) rises
            c_m = (total - ratio * (2.0 * m - K)) / K
            if m == K or c_m <= srt[m]:
                c = c_m if m == 0 else max(c_m, srt[m - 1])
                break
    if c != 0.0:
        for k in range(K):
            dw[k] -= c
