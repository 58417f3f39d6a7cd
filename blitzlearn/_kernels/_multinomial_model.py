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
needs.  :func:`polish` then minimises ``q`` on the coordinates that are
nonzero (their signs fixed, where the L1 term is linear): by one dense linear
solve when they are few, else by preconditioned conjugate gradients, whose
iterations cost two products with the nonzero coordinates' columns only (a
small fraction of a pass over the working set's K classes).  It then goes
back along the segment to the first coordinate that would change sign: on
that segment ``q`` is a convex quadratic no higher at the solve's point than
at the start (conjugate gradients lower it at every iteration), so the step
never raises the model's value.
"""

import numpy as np

from .._jit import njit
from ._columns import JIT, col_span

# Largest number of coordinates (weights plus intercept classes) solved by a
# dense factorisation (its Hessian takes 50 MB), and the rounds of the
# sign-constrained solve (each drops the coordinates that reached 0).
MAX_DENSE, POLISH_ROUNDS = 2500, 4

# A dense LU factorisation of size ``N`` costs ``N^3 / LU_SCALE`` units of
# the passes' work (one matrix entry times one class): LAPACK ran its ``2/3
# N^3`` multiply-adds at 30-40 GFlop/s on one core, where a unit took about
# 3 ns.
LU_SCALE = 45.0

# Conjugate gradients stop at this residual (relative to the first), and
# are not started with a budget of fewer iterations than MIN_CG.
CG_RTOL, MIN_CG = 1e-12, 10


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


@njit(inline="always")
def intercept_grad(s, P, R, U, mu, k):
    """Gradient of the quadratic model in the intercept's class ``k``:
    ``sum_i s_i p_ik (u_ik - m_i) - R_ik``."""
    g = 0.0
    for i in range(P.shape[0]):
        g += s[i] * P[i, k] * (U[i, k] - mu[i]) - R[i, k]
    return g


@njit(inline="always")
def intercept_move(P, U, mu, k, step):
    """The model's state after the intercept's class ``k`` moved by ``step``."""
    for i in range(P.shape[0]):
        U[i, k] += step
        mu[i] += P[i, k] * step


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


@njit(**JIT)
def _shift_blocks(col, count, K, nb, bohning, bohning_b, features):
    """Blocks whose common shift leaves every probability unchanged: the
    intercept's K classes, and (with ``features``) each feature whose K
    weights are all nonzero.  Returns ``(first, weight)``, the blocks' first
    coordinates and the penalty weights on their shifts' sums."""
    first = np.empty(count // K + 1, dtype=np.int64)
    weight = np.empty(count // K + 1)
    n_blocks = 0
    a = 0
    while features and a < count:
        last = a
        while last + 1 < count and col[last + 1] == col[a]:
            last += 1
        if last - a + 1 == K:
            first[n_blocks] = a
            weight[n_blocks] = bohning[col[a]]
            n_blocks += 1
        a = last + 1
    if nb > 0:
        first[n_blocks] = count
        weight[n_blocks] = bohning_b
        n_blocks += 1
    return first[:n_blocks], weight[:n_blocks]


@njit(**JIT)
def _dense_solve(data, indices, indptr, n, sparse, s, P, ws, col, cls, count, nb,
                 diag, first, weight, rhs):
    """Solve ``(H + diag + shift penalties) delta = rhs`` by LU; ``H`` the
    loss's Hessian in the coordinates ``(col, cls)`` and the intercept's."""
    size = count + nb
    ptr, coord, value = _by_rows(data, indices, indptr, n, sparse, ws, col, count)
    H = np.zeros((size, size))
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
    for a in range(size):
        H[a, a] += diag[a]
        for b in range(a):
            H[a, b] = H[b, a]
    K = P.shape[1]
    for q in range(first.shape[0]):
        for a in range(first[q], first[q] + K):
            for b in range(first[q], first[q] + K):
                H[a, b] += weight[q]
    return np.linalg.solve(H, rhs)


@njit(**JIT)
def _hess_vec(data, indices, indptr, n, sparse, s, P, ws, col, cls, count, nb,
              diag, first, weight, v, Uv, out):
    """``out = (H + diag + shift penalties) v`` without forming ``H``."""
    K = P.shape[1]
    for i in range(n):
        for k in range(K):
            Uv[i, k] = v[count + k] if k < nb else 0.0
    for a in range(count):
        start, stop = entry_span(indptr, n, sparse, ws[col[a]])
        k = cls[a]
        for t in range(start, stop):
            Uv[entry_row(indices, sparse, start, t), k] += data[t] * v[a]
    for i in range(n):  # the score products s_i (diag(p_i) - p_i p_i^T) u_i
        m = 0.0
        for k in range(K):
            m += P[i, k] * Uv[i, k]
        for k in range(K):
            Uv[i, k] = s[i] * P[i, k] * (Uv[i, k] - m)
    for a in range(count):
        start, stop = entry_span(indptr, n, sparse, ws[col[a]])
        k = cls[a]
        acc = 0.0
        for t in range(start, stop):
            acc += data[t] * Uv[entry_row(indices, sparse, start, t), k]
        out[a] = acc
    for k in range(nb):
        acc = 0.0
        for i in range(n):
            acc += Uv[i, k]
        out[count + k] = acc
    for a in range(count + nb):
        out[a] += diag[a] * v[a]
    for q in range(first.shape[0]):
        tot = 0.0
        for a in range(first[q], first[q] + K):
            tot += v[a]
        for a in range(first[q], first[q] + K):
            out[a] += weight[q] * tot


@njit(**JIT)
def _cg_solve(data, indices, indptr, n, sparse, s, P, ws, col, cls, count, nb,
              diag, first, weight, rhs, pre, max_iter):
    """Preconditioned conjugate gradients on the system of :func:`_dense_solve`,
    from 0, with the system's diagonal ``pre`` as preconditioner (Jacobi);
    returns ``(delta, iterations)``."""
    size = count + nb
    K = P.shape[1]
    x = np.zeros(size)
    r = rhs.copy()
    z = np.empty(size)
    Hp = np.empty(size)
    Uv = np.empty((n, K))
    r0 = 0.0
    rz = 0.0
    for a in range(size):
        z[a] = r[a] / pre[a] if pre[a] > 0.0 else 0.0
        r0 += r[a] * r[a]
        rz += r[a] * z[a]
    d = z.copy()
    it = 0
    while it < max_iter and rz > 0.0:
        _hess_vec(data, indices, indptr, n, sparse, s, P, ws, col, cls, count,
                  nb, diag, first, weight, d, Uv, Hp)
        it += 1
        curv = 0.0
        for a in range(size):
            curv += d[a] * Hp[a]
        if not curv > 0.0:
            break
        alpha = rz / curv
        rr = 0.0
        rz_new = 0.0
        for a in range(size):
            x[a] += alpha * d[a]
            r[a] -= alpha * Hp[a]
            z[a] = r[a] / pre[a] if pre[a] > 0.0 else 0.0
            rr += r[a] * r[a]
            rz_new += r[a] * z[a]
        if rr <= CG_RTOL * CG_RTOL * r0:
            break
        beta = rz_new / rz
        rz = rz_new
        for a in range(size):
            d[a] = z[a] + beta * d[a]
    return x, it


@njit(**JIT)
def polish(data, indices, indptr, n, sparse, s, P, R, U, mu, W, dW, db, ws,
           fit_intercept, lam, v, l2, nu, bohning, bohning_b, curv, cb, budget,
           max_dense):
    """Minimise the model ``q`` on its nonzero coordinates, signs kept.

    From the direction ``(dW, db)`` (rows of ``dW`` indexed by position in
    ``ws``; ``U``, ``mu`` its model state), the coordinates ``a`` with
    ``W_a + dW_a != 0`` and the intercept's classes move by the Newton step
    ``delta`` of ``q`` (plus the penalty's L2 part ``l2/2 ||W + dW||^2``)
    restricted to them, where the L1 term is ``lam v_j sign_a (W_a +
    dW_a)``: ``(H + l2 + D) delta = -(g + l2 (W + dW) + lam v_j sign)``,
    ``H`` the loss's Hessian in those coordinates, ``g`` the model's
    gradient, ``D`` the Levenberg-Marquardt damping ``nu`` times Bohning's
    bound (as the coordinate steps use; ``curv`` and ``cb``, the diagonals
    of ``H + l2 + D`` for the working set's weights and the intercept, are
    theirs).  Shifting all K classes of the
    intercept, or (without the L2 part) of a feature whose K weights are
    nonzero, changes neither a probability nor the penalty's slope: a
    penalty on each such shift's sum (of Bohning's weight) makes the system
    definite and keeps the minimiser of ``q`` (the intercept's shift has a
    zero right-hand side, and the subproblem's centring leaves a penalised
    feature with K nonzero weights balanced signs, a zero L1 slope along its
    shift).

    The system is solved by LU when it has at most ``max_dense`` unknowns
    (the subproblem passes ``MAX_DENSE``) and that costs at most ``budget``,
    else by conjugate gradients with as many iterations as ``budget`` pays
    for.  The step is cut at the first
    coordinate that reaches 0 (set to exactly 0), and the solve repeated
    without the coordinates at 0, for at most ``POLISH_ROUNDS`` rounds.
    ``dW``, ``db``, ``U`` and ``mu`` are updated in place.

    Returns
    -------
    work : float
        Work spent, in the passes' units (one matrix entry times one class).
    """
    K = W.shape[1]
    m = ws.shape[0]
    nb = K if fit_intercept else 0
    col = np.empty(m * K, dtype=np.int64)
    cls = np.empty(m * K, dtype=np.int64)
    per_row = np.empty(n)
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
        if count == 0:
            break
        rhs = np.empty(size)
        diag = np.empty(size)
        pre = np.empty(size)
        per_row[:] = nb
        nnz = 0.0
        for a in range(count):
            c = col[a]
            k = cls[a]
            start, stop = entry_span(indptr, n, sparse, ws[c])
            for t in range(start, stop):
                per_row[entry_row(indices, sparse, start, t)] += 1.0
            nnz += float(stop - start)
            w = W[ws[c], k] + dW[c, k]
            thr = lam * v[ws[c]]
            rhs[a] = -(model_grad(data, indices, sparse, start, stop, s, P, R, U,
                                  mu, k) + l2 * w + (thr if w > 0.0 else -thr))
            diag[a] = nu * bohning[c] + l2
            pre[a] = curv[c, k]
        for k in range(nb):
            rhs[count + k] = -intercept_grad(s, P, R, U, mu, k)
            diag[count + k] = nu * bohning_b
            pre[count + k] = cb[k]
        work += 2.0 * nnz + n * nb
        first, weight = _shift_blocks(col, count, K, nb, bohning, bohning_b,
                                      l2 == 0.0)
        dense = size ** 3 / LU_SCALE
        for i in range(n):
            dense += per_row[i] * per_row[i]
        if size <= max_dense and dense <= budget - work:
            delta = _dense_solve(data, indices, indptr, n, sparse, s, P, ws, col,
                                 cls, count, nb, diag, first, weight, rhs)
            work += dense
        else:
            per_iter = 2.0 * nnz + 3.0 * n * K
            max_iter = 4 * size
            if budget - work < max_iter * per_iter:
                max_iter = int((budget - work) / per_iter)
            if max_iter < MIN_CG:
                break
            for q in range(first.shape[0]):
                for a in range(first[q], first[q] + K):
                    pre[a] += weight[q]
            delta, used = _cg_solve(data, indices, indptr, n, sparse, s, P, ws, col,
                                    cls, count, nb, diag, first, weight, rhs, pre,
                                    max_iter)
            work += used * per_iter
        if not np.all(np.isfinite(delta)):
            break
        # the longest step keeping every weight's sign
        t = 1.0
        stop_at = -1
        for a in range(count):
            w = W[ws[col[a]], cls[a]] + dW[col[a], cls[a]]
            if w * (w + delta[a]) < 0.0 and -w / delta[a] < t:
                t = -w / delta[a]
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
            intercept_move(P, U, mu, k, step)
        work += 2.0 * nnz + n * nb
        if stop_at < 0:
            break
    return work
