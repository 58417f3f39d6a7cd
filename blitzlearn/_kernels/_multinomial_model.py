# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The quadratic model of the multinomial loss, and its exact minimisation on a
fixed sign pattern.

Notation of :mod:`._multinomial`.  At scores ``Z`` (probabilities ``P``,
negative score gradient ``R``) a Newton iteration minimises over a direction
``d`` (weights of the working set's features and the intercept's classes)

.. math::

    q(d) = -\\sum_{i,k} R_{ik} u_{ik}
    + \\tfrac12 \\sum_i s_i \\bigl(\\sum_k p_{ik} u_{ik}^2 - m_i^2\\bigr)
    + \\lambda \\sum_j \\|W_j + d_j\\|_1,
    \\qquad u_i = \\sum_j x_{ij} d_j + d_b, \\quad m_i = p_i^\\top u_i,

the loss's second-order expansion in the scores' direction ``U``.  The
coordinate descent of :func:`._multinomial.multinomial_subproblem` keeps
``U`` and ``m`` as it moves.

Near a nearly separable optimum (text with 20 classes and a few hundred
rows, large ``C``) that descent crawls: the curvatures ``s_i p_ik (1 -
p_ik)`` span many orders of magnitude, and the coordinates are strongly
coupled, so 64 passes move the model's value by less than the tolerance
needs.  :func:`polish` then minimises ``q`` exactly on the coordinates that
are nonzero (their signs fixed, where the L1 term is linear), by one dense
linear solve, and goes back along the segment to the first coordinate that
would change sign: on that segment ``q`` is a convex quadratic falling
towards the solve's point, so the step never raises the model's value.
"""

import numpy as np

from .._jit import njit
from ._columns import JIT, col_span

# Largest number of coordinates (weights plus intercept classes) solved
# exactly, and the rounds of the sign-constrained solve (each drops the
# coordinates that reached 0).
MAX_POLISH, POLISH_ROUNDS = 1024, 4


@njit(inline="always")
def entry_span(indptr, n, sparse, j):
    """Entries of column ``j`` (positions in ``data``)."""
    if sparse:
        return col_span(indptr, j)
    return np.uint64(j * n), np.uint64((j + 1) * n)


@njit(inline="always")
def entry_row(indices, sparse, start, t):
    """Row of the entry at position ``t`` of a column starting at ``start``."""
    if sparse:
        return np.uint64(indices[t])
    return t - start


@njit(inline="always")
def model_grad(data, indices, sparse, start, stop, s, P, R, U, mu, k):
    """Gradient of the quadratic model in coordinate ``(j, k)`` (column entries
    ``start:stop``): ``sum_i x_ij (s_i p_ik (u_ik - m_i) - R_ik)``."""
    g = 0.0
    for t in range(start, stop):
        i = entry_row(indices, sparse, start, t)
        g += data[t] * (s[i] * P[i, k] * (U[i, k] - mu[i]) - R[i, k])
    return g


@njit(inline="always")
def model_move(data, indices, sparse, start, stop, P, U, mu, k, step):
    """The model's state after coordinate ``(j, k)`` moved by ``step``."""
    for t in range(start, stop):
        i = entry_row(indices, sparse, start, t)
        du = data[t] * step
        U[i, k] += du
        mu[i] += P[i, k] * du


@njit(**JIT)
def _by_rows(data, indices, indptr, n, sparse, ws, col, count):
    """The active coordinates' column entries regrouped by sample:
    ``(ptr, coord, value)``, sample ``i``'s entries at ``ptr[i]:ptr[i+1]``."""
    ptr = np.zeros(n + 1, dtype=np.int64)
    for a in range(count):
        start, stop = entry_span(indptr, n, sparse, ws[col[a]])
        for t in range(start, stop):
            ptr[entry_row(indices, sparse, start, t) + 1] += 1
    for i in range(n):
        ptr[i + 1] += ptr[i]
    fill = ptr[:-1].copy()
    coord = np.empty(ptr[n], dtype=np.int64)
    value = np.empty(ptr[n])
    for a in range(count):
        start, stop = entry_span(indptr, n, sparse, ws[col[a]])
        for t in range(start, stop):
            i = entry_row(indices, sparse, start, t)
            coord[fill[i]] = a
            value[fill[i]] = data[t]
            fill[i] += 1
    return ptr, coord, value


@njit(inline="always")
def _shift_penalty(H, first, K, weight):
    """Add ``weight * (sum of the K coordinates from first)^2`` to ``H``."""
    for a in range(first, first + K):
        for b in range(first, first + K):
            H[a, b] += weight


@njit(**JIT)
def polish_cost(data, indices, indptr, n, sparse, W, dW, ws, fit_intercept):
    """Cost of one :func:`polish` round in pass units (0 when it does not
    apply): the Hessian's outer products, and the LU factorisation's ``2/3
    size^3`` multiply-adds counted at a tenth (dense BLAS runs about ten
    times faster per multiply-add than the passes' scattered column loops)."""
    K = W.shape[1]
    per_row = np.zeros(n)
    count = 0
    for c in range(ws.shape[0]):
        start, stop = entry_span(indptr, n, sparse, ws[c])
        for k in range(K):
            if W[ws[c], k] + dW[c, k] != 0.0:
                count += 1
                for t in range(start, stop):
                    per_row[entry_row(indices, sparse, start, t)] += 1.0
    size = count + (K if fit_intercept else 0)
    if count == 0 or size > MAX_POLISH:
        return 0.0
    cost = size ** 3 / 15.0
    for i in range(n):
        cost += (per_row[i] + (K if fit_intercept else 0)) ** 2
    return cost


@njit(**JIT)
def polish(data, indices, indptr, n, sparse, s, P, R, U, mu, W, dW, db, ws,
           fit_intercept, lam, nu, bohning, bohning_b):
    """Minimise the model ``q`` on its nonzero coordinates, signs kept.

    From the direction ``(dW, db)`` (rows of ``dW`` indexed by position in
    ``ws``; ``U``, ``mu`` its model state), the coordinates ``a`` with
    ``W_a + dW_a != 0`` and the intercept's classes move by the Newton step
    ``delta`` of ``q`` restricted to them, where the L1 term is ``lam *
    sign_a * (W_a + dW_a)``: ``(H + D) delta = -(g + lam sign)``, ``H`` the
    loss's Hessian in those coordinates, ``g`` the model's gradient, ``D``
    the Levenberg-Marquardt damping ``nu`` times Bohning's bound (as the
    coordinate steps use).  The step is cut at the first coordinate that
    reaches 0 (set to exactly 0), and the solve repeated without the
    coordinates at 0, for at most ``POLISH_ROUNDS`` rounds.  ``dW``, ``db``,
    ``U`` and ``mu`` are updated in place.

    Returns
    -------
    work : float
        Multiply-adds spent.
    """
    K = W.shape[1]
    m = ws.shape[0]
    nb = K if fit_intercept else 0
    col = np.empty(m * K, dtype=np.int64)
    cls = np.empty(m * K, dtype=np.int64)
    work = 0.0
    for _ in range(POLISH_ROUNDS):
        count = 0
        for c in range(m):
            for k in range(K):
                if W[ws[c], k] + dW[c, k] != 0.0:
                    col[count] = c
                    cls[count] = k
                    count += 1
        size = count + nb
        if count == 0 or size > MAX_POLISH:
            break
        ptr, coord, value = _by_rows(data, indices, indptr, n, sparse, ws, col,
                                     count)
        H = np.zeros((size, size))
        rhs = np.empty(size)
        for a in range(count):
            c = col[a]
            k = cls[a]
            start, stop = entry_span(indptr, n, sparse, ws[c])
            v = W[ws[c], k] + dW[c, k]
            rhs[a] = -(model_grad(data, indices, sparse, start, stop, s, P, R, U,
                                  mu, k) + (lam if v > 0.0 else -lam))
            H[a, a] += nu * bohning[c]
        for k in range(nb):
            g = 0.0
            for i in range(n):
                g += s[i] * P[i, k] * (U[i, k] - mu[i]) - R[i, k]
            rhs[count + k] = -g
            H[count + k, count + k] += nu * bohning_b
        # H = sum_i J_i^T s_i (diag(p_i) - p_i p_i^T) J_i, row i of J holding
        # x_ij in class k for weight (j, k), and 1 in class k for b_k
        for i in range(n):
            if s[i] == 0.0:
                continue
            lo = ptr[i]
            hi = ptr[i + 1]
            for e in range(lo, hi + nb):
                a = coord[e] if e < hi else count + (e - hi)
                ka = cls[a] if e < hi else e - hi
                xa = s[i] * (value[e] if e < hi else 1.0)
                pa = P[i, ka]
                for f in range(lo, hi + nb):
                    b = coord[f] if f < hi else count + (f - hi)
                    if b < a:
                        continue
                    kb = cls[b] if f < hi else f - hi
                    xb = value[f] if f < hi else 1.0
                    h = -pa * P[i, kb]
                    if ka == kb:
                        h += pa
                    H[a, b] += xa * xb * h
            work += (hi - lo + nb) ** 2
        for a in range(size):
            for b in range(a):
                H[a, b] = H[b, a]
        # Shifting every class of the intercept, or of a feature whose K
        # weights are all nonzero, by one constant leaves every probability
        # and the model's loss part unchanged.  A penalty on the shift's sum
        # makes the system definite and leaves the minimiser of ``q`` in
        # place: the intercept's shift has a zero right-hand side, and the
        # centred features' weights have balanced signs (a zero L1 slope).
        a = 0
        while a < count:
            last = a
            while last + 1 < count and col[last + 1] == col[a]:
                last += 1
            if last - a + 1 == K:
                _shift_penalty(H, a, K, bohning[col[a]])
            a = last + 1
        if nb > 0:
            _shift_penalty(H, count, K, bohning_b)
        delta = np.linalg.solve(H, rhs)
        work += size ** 3 / 3.0
        if not np.all(np.isfinite(delta)):
            break
        # the longest step keeping every weight's sign
        t = 1.0
        stop_at = -1
        for a in range(count):
            v = W[ws[col[a]], cls[a]] + dW[col[a], cls[a]]
            if v * (v + delta[a]) < 0.0 and -v / delta[a] < t:
                t = -v / delta[a]
                stop_at = a
        if t <= 0.0:
            break
        for a in range(count):
            c = col[a]
            k = cls[a]
            step = t * delta[a]
            if a == stop_at:
                step = -(W[ws[c], k] + dW[c, k])
            if step != 0.0:
                dW[c, k] += step
                start, stop = entry_span(indptr, n, sparse, ws[c])
                model_move(data, indices, sparse, start, stop, P, U, mu, k, step)
        for k in range(nb):
            step = t * delta[count + k]
            db[k] += step
            for i in range(n):
                U[i, k] += step
                mu[i] += P[i, k] * step
        if stop_at < 0:
            break
    return work
