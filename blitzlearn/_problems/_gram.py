# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The centred Gram matrix of a working set, kept between subproblems.

Successive working sets (and the solves along a path) mostly share their
features, so the Gram matrix of the last one is kept and edited in place:
the features that left are squeezed out, the new ones appended, and only the
new features' rows are computed, from ``X`` in its own layout (no copy of
its columns; see :mod:`blitzlearn._kernels._gram`).  The matrix lives in one
buffer whose size is fixed up front, so a fit holds one Gram matrix at a time
and never more entries than that buffer.
"""

import numpy as np
import scipy.sparse as sp
from scipy.linalg.blas import dgemm, dsyrk, ssyrk

from .._kernels._gram import (
    csc_row_block,
    dense_row_block,
    gram_finish,
    gram_relayout,
    row_counts,
    weighted_gram_rows,
)

# Memory of a working set's Gram matrix: at most this share of X's memory (or
# GRAM_MIN_ENTRIES entries, when X is small).  The target for a fit is "peak
# at most 1.5 |X| + O(n + d)"; the rest of the half |X| goes to the blocks of
# rows the Gram matrix is built from (GRAM_BLOCK_SHARE) and to allocator
# slack.  Working sets whose Gram matrix is larger are solved in column form.
GRAM_MEMORY_SHARE = 1 / 3
GRAM_MIN_ENTRIES = 2 ** 15
GRAM_BLOCK_SHARE = 1 / 32
GRAM_MIN_BLOCK_BYTES = 2 ** 18


def x_nbytes(X):
    """Memory of a dense or sparse ``X``: its buffer, or ``data + indices + indptr``."""
    if sp.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


def row_block_bytes(X, block_bytes):
    """``block_bytes``, or one block of every row if sparse rows are unsorted.

    :func:`add_gram_rows` cuts a CSC matrix into blocks of rows only when the
    row indices are sorted within each column (see ``csc_row_block``).
    """
    if sp.issparse(X) and not X.has_sorted_indices:
        return 1 << 62
    return int(block_bytes)


def gram_budget(X):
    """``(max_entries, block_bytes)``: the Gram matrix's and the row blocks' limits."""
    size = x_nbytes(X)
    return (int(max(GRAM_MEMORY_SHARE * size / 8, GRAM_MIN_ENTRIES)),
            row_block_bytes(X, max(GRAM_BLOCK_SHARE * size, GRAM_MIN_BLOCK_BYTES)))


def add_gram_rows(cols, n, features, first, weights, block_bytes, gram, *,
                  centre=None, single=False, counts=None):
    """Compute the rows ``first ..`` of ``X_F^T diag(weights) X_F`` into ``gram``.

    ``F`` is ``features``; ``weights`` (non-negative, one per sample) may be
    None for ones.  ``X`` is read in its own layout, one block of rows of
    ``F``'s columns at a time (at most ``block_bytes`` of them), never
    gathered.  Sparse ``X``: one triangle of the new entries is added (the
    mirror entries must be zero), to be symmetrised by ``gram_finish(...,
    add_halves=True)``; its row indices must be sorted within each column
    (otherwise pass a ``block_bytes`` that holds all the entries, as
    :func:`row_block_bytes` does).  Dense
    ``X``: rows ``first ..`` are overwritten by BLAS, to be symmetrised by
    ``gram_finish(..., add_halves=False)``.

    Dense ``X`` only, with ``first = 0``: ``centre`` (one value per feature)
    is subtracted from every row before the product, so that with the
    weighted column means ``centre = X_F^T weights / sum(weights)`` the
    result is the centred matrix ``X_F^T diag(weights) X_F - hx hx^T /
    sum(weights)`` without the cancellation of subtracting it afterwards;
    ``single`` forms the product in float32 BLAS (twice the speed, entries
    to a relative 1e-6 or so: for a model that only steers a method whose
    steps and certificate are computed in float64).  Sparse ``X`` only:
    ``counts`` are the entries of each row in ``F`` when the caller has them
    (from :func:`~blitzlearn._kernels._gram.row_pair_count`).
    """
    data, indices, indptr, sparse = cols
    m = features.size
    if (centre is not None or single) and (sparse or first != 0):
        raise ValueError("centre and single apply to a whole dense Gram matrix")
    if sparse:
        if counts is None:
            counts = np.zeros(n, dtype=np.int64)
            row_counts(indices, indptr, features, counts)
        before = np.zeros(n + 1, dtype=np.int64)  # entries above row i
        np.cumsum(counts, out=before[1:])
        most = max(block_bytes // 12, m)  # entries per block (a row at least)
        bounds = [0]
        while bounds[-1] < n:
            r0 = bounds[-1]
            r1 = np.searchsorted(before, before[r0] + most, "right") - 1
            bounds.append(max(int(r1), r0 + 1))
        bounds = np.array(bounds)
        sizes = before[bounds[1:]] - before[bounds[:-1]]
        block_indices = np.empty(sizes.max(), dtype=np.int32)
        block_data = np.empty(sizes.max())
        offsets = np.empty(np.diff(bounds).max() + 1, dtype=np.int64)
        cursor = indptr[features].astype(np.int64)
        if weights is None:
            weights = np.ones(n)
        for r0, r1 in zip(bounds[:-1], bounds[1:], strict=True):
            part = offsets[:r1 - r0 + 1]
            np.subtract(before[r0:r1 + 1], before[r0], out=part)
            csc_row_block(data, indices, indptr, features, cursor, r0, part,
                          block_indices, block_data)
            weighted_gram_rows(part, block_indices, block_data, weights[r0:r1],
                               gram, first)
        return
    dtype = np.float32 if single else np.float64
    rows = max(1, min(n, block_bytes // (dtype().itemsize * m)))
    space = np.empty(rows * m, dtype=dtype)
    shift = np.zeros(m) if centre is None else np.asarray(centre, dtype=np.float64)
    # gram.T (Fortran) receives X_F^T X_F: rows `first ..` of gram
    out = np.zeros((m, m), dtype=np.float32, order="F") if single else gram.T
    for r0 in range(0, n, rows):
        block = space[:min(rows, n - r0) * m].reshape(-1, m, order="F")
        dense_row_block(data, n, features, r0, shift, block)
        if weights is not None:  # diag(weights) = diag(sqrt(weights))^2
            block *= np.sqrt(weights[r0:r0 + block.shape[0]]).astype(
                dtype, copy=False)[:, None]
        beta = 0.0 if r0 == 0 else 1.0
        if single:
            ssyrk(1.0, block, beta=beta, c=out, trans=1, overwrite_c=1)
        elif first == 0:
            dsyrk(1.0, block, beta=beta, c=out, trans=1, overwrite_c=1)
        else:
            dgemm(1.0, block, block[:, first:], beta=beta, c=gram[first:].T,
                  trans_a=1, overwrite_c=1)
    if single:
        gram.T[...] = out


class WorkingSetGram:
    """Centred Gram matrix ``X_W^T P X_W`` of the last working set ``W``.

    ``P`` projects out the intercept direction ``d``: entry ``(a, b)`` is
    ``x_a^T x_b - d_dots[a] d_dots[b] / d_norm2`` (``d_dots`` is zero without
    intercept).

    Parameters
    ----------
    X : ndarray (Fortran-ordered) or CSC matrix of shape (n_samples, n_features)
        Design matrix.
    cols : tuple
        ``X``'s ``(data, indices, indptr, sparse)`` view
        (:func:`~blitzlearn._kernels._columns.as_columns`).
    d_dots : ndarray of shape (n_features,)
        ``x_j^T d`` for every column (zeros without intercept).
    d_norm2 : float
        ``||d||^2``.
    max_entries : int
        Largest number of entries the matrix may have (its buffer's size).
    block_bytes : int
        Memory of the blocks of rows the new entries are computed from (one
        block of every row when a sparse ``X``'s row indices are unsorted).
    """

    def __init__(self, X, cols, d_dots, d_norm2, max_entries, block_bytes):
        self.cols = cols
        self.n, p = X.shape
        self.d_dots = d_dots
        self.d_norm2 = d_norm2
        self.max_entries = int(max_entries)
        self.block_bytes = row_block_bytes(X, block_bytes)
        self.features = np.empty(0, dtype=np.intp)  # W, in the matrix's order
        self._pos = np.full(p, -1, dtype=np.intp)  # position in W, or -1
        self._buf = None  # allocated at the first use, never touched beyond m^2

    def fits(self, m):
        """Whether the Gram matrix of ``m`` features fits in the buffer."""
        return m * m <= self.max_entries

    def update(self, ws):
        """Make ``W = ws`` (as a set); return ``(features, gram)``.

        ``features`` lists ``ws`` in the matrix's order (the kept features
        first, in their previous order, then the new ones in increasing
        order), ``gram`` is the ``m x m`` matrix, a view of the buffer valid
        until the next call.
        """
        pos = self._pos
        at = pos[ws]
        new = ws[at < 0]
        keep = np.sort(at[at >= 0])
        k, m = self.features.size, ws.size
        if not self.fits(m):
            raise ValueError(f"a Gram matrix of {m} features does not fit")
        if self._buf is None:
            self._buf = np.empty(self.max_entries)
        if new.size or keep.size < k:
            gram_relayout(self._buf, k, keep, m)
            pos[self.features] = -1
            self.features = np.concatenate([self.features[keep], new])
            pos[self.features] = np.arange(m)
        gram = self._buf[:m * m].reshape(m, m)
        if new.size:
            self._fill(gram, self.features, keep.size)
        return self.features, gram

    def _fill(self, gram, features, first):
        """Compute the rows and columns ``first ..`` of ``gram`` from ``X``."""
        add_gram_rows(self.cols, self.n, features, first, None, self.block_bytes,
                      gram)
        gram_finish(gram, first, self.d_dots[features], self.d_norm2, self.cols[3])
