# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Gram matrices of column subsets, built from ``X`` without gathering them.

The Gram-form solvers (Lasso working sets, the L1-logistic Newton model) need
``G = X_W^T diag(h) X_W`` for a set ``W`` of ``m`` columns.  Gathering
``X[:, W]`` first costs a copy of those columns, up to a copy of ``X``.  These
kernels read ``X`` in its own layout instead, one block of rows at a time:

- :func:`csc_row_block` transposes the entries of ``W`` in a range of rows
  into a small CSR block (sparse ``X``), :func:`dense_row_block` copies them
  into a small dense block (Fortran-ordered ``X``, handed to BLAS);
- :func:`weighted_gram_rows` adds a CSR block's rows into ``G``;
- :func:`gram_finish` symmetrises the new entries and subtracts the intercept
  direction's rank-one term;
- :func:`gram_relayout` moves a cached ``G`` in place when columns leave or
  join ``W``, so that only the new columns' rows are computed.
"""

import numpy as np

from .._jit import njit
from ._columns import JIT, col_span


@njit(**JIT)
def row_counts(indices, indptr, cols, out):
    """``out[i]`` = number of entries of row ``i`` in the CSC columns ``cols``.

    ``out`` (one entry per row) must be all zeros on entry.
    """
    for t in range(cols.shape[0]):
        j = cols[t]
        start, stop = col_span(indptr, j)
        for k in range(start, stop):
            out[np.uint64(indices[k])] += 1


@njit(**JIT)
def row_pair_count(indices, indptr, cols, count):
    """``sum_i c_i^2``, ``c_i`` the entries of row ``i`` in the CSC columns ``cols``.

    The cost of building ``X_W^T diag(h) X_W`` row by row, counted without
    gathering the columns of ``W``.  ``count`` (int64, one zero per row on
    entry) receives the ``c_i`` (:func:`row_counts`), which
    :func:`~blitzlearn._problems._gram.add_gram_rows` can take.
    """
    row_counts(indices, indptr, cols, count)
    total = 0.0
    for i in range(count.shape[0]):
        total += float(count[i]) * float(count[i])
    return total


@njit(**JIT)
def csc_row_block(data, indices, indptr, cols, cursor, r0, block_indptr,
                  block_indices, block_data):
    """Rows ``r0 : r0 + len(block_indptr) - 1`` of ``X[:, cols]`` as CSR.

    ``block_indptr`` must already hold the rows' offsets (from
    :func:`row_counts`); the column indices written are positions in ``cols``,
    in increasing order within each row.  ``cursor[t]`` is where column
    ``cols[t]``'s entries of row ``r0`` or later start; it is moved past the
    block's rows.  The rows of each column must be sorted, unless the block
    holds every row (then ``cursor`` is ``indptr[cols]`` and no entry is
    beyond the block).
    """
    n_rows = block_indptr.shape[0] - 1
    r1 = r0 + n_rows
    fill = block_indptr[:-1].copy()
    for t in range(cols.shape[0]):
        j = cols[t]
        k = cursor[t]
        end = indptr[j + 1]
        while k < end and indices[k] < r1:
            slot = fill[indices[k] - r0]
            block_indices[slot] = t
            block_data[slot] = data[k]
            fill[indices[k] - r0] = slot + 1
            k += 1
        cursor[t] = k


@njit(**JIT)
def dense_row_block(data, n, cols, r0, shift, out):
    """``out = X[r0 : r0 + out.shape[0], cols] - shift`` (dense layout).

    ``data`` is the Fortran-ordered ``X`` flattened; ``out`` has one column
    per entry of ``cols`` and ``shift`` one entry per column (subtracted in
    float64, before ``out``'s own precision).
    """
    for t in range(cols.shape[0]):
        start = cols[t] * n + r0
        col = data[start:start + out.shape[0]]  # indexed from 0 (no wraparound)
        for i in range(out.shape[0]):
            out[i, t] = float(col[i]) - shift[t]


@njit(**JIT)
def weighted_gram_rows(indptr, indices, data, h, gram, first):
    """Add ``h_i x_i x_i^T`` over the rows ``x_i`` of a CSR block into ``gram``.

    Only the products of pairs whose later column index is at least
    ``first`` are added, each once, in one of the two triangles (to be
    symmetrised by :func:`gram_finish` with ``add_halves``).  With ``first >
    0`` the rows must list their columns in increasing order; with ``first ==
    0`` any order.
    """
    for i in range(indptr.shape[0] - 1):
        hi = h[i]
        start, end = col_span(indptr, i)  # a CSR block: rows as columns
        lo = start
        while lo < end and indices[lo] < first:
            lo += np.uint64(1)
        for a in range(start, end):
            va = hi * data[a]
            ia = np.uint64(indices[a])
            for b in range(max(a, lo), end):
                gram[ia, np.uint64(indices[b])] += va * data[b]


@njit(**JIT)
def gram_finish(gram, first, dd, d_norm2, add_halves):
    """Symmetrise the entries of ``gram`` in a row or column ``>= first``.

    With ``add_halves`` an entry is the sum of its two mirror images (one of
    them zero, as :func:`weighted_gram_rows` leaves them); without, it is
    taken from the row ``>= first`` (the rows filled by BLAS).  Each such
    entry then loses ``dd_a dd_b / d_norm2`` (the centring on the intercept
    direction; ``dd`` zero without intercept).
    """
    m = gram.shape[0]
    for a in range(first, m):
        for b in range(a + 1):
            v = gram[a, b]
            if add_halves and b != a:
                v += gram[b, a]
            v -= dd[a] * dd[b] / d_norm2
            gram[a, b] = v
            gram[b, a] = v


@njit(**JIT)
def gram_relayout(buf, k, keep, m):
    """Move a ``k x k`` matrix stored flat in ``buf`` to its rows/columns ``keep``.

    ``keep`` (increasing positions) become positions ``0 .. len(keep) - 1`` of
    an ``m x m`` matrix in ``buf[:m * m]`` (row-major, as ``k x k`` was); its
    rows and columns ``len(keep) .. m - 1`` are set to zero.  In place: the
    dropped rows and columns are squeezed out front to back (every entry moves
    towards the start), then the matrix is widened back to front.
    """
    kk = keep.shape[0]
    for a in range(kk):
        src = keep[a] * k
        for b in range(kk):
            buf[a * kk + b] = buf[src + keep[b]]
    for a in range(kk - 1, -1, -1):
        for b in range(kk - 1, -1, -1):
            buf[a * m + b] = buf[a * kk + b]
        for b in range(kk, m):
            buf[a * m + b] = 0.0
    for i in range(kk * m, m * m):
        buf[i] = 0.0
