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
from scipy.linalg.blas import dgemm, dsyrk

from .._kernels._gram import (
    csc_row_block,
    dense_row_block,
    gram_finish,
    gram_relayout,
    row_counts,
    weighted_gram_rows,
)


def x_nbytes(X):
    """Memory of a dense or sparse ``X``: its buffer, or ``data + indices + indptr``."""
    if sp.issparse(X):
        return X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    return X.nbytes


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
        Memory of the blocks of rows the new entries are computed from.
    """

    def __init__(self, X, cols, d_dots, d_norm2, max_entries, block_bytes):
        self.cols = cols
        self.n, p = X.shape
        self.d_dots = d_dots
        self.d_norm2 = d_norm2
        self.max_entries = int(max_entries)
        self.block_bytes = int(block_bytes)
        # unsorted row indices: one block of every row (see csc_row_block)
        self._sorted_rows = not cols[3] or X.has_sorted_indices
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
        data, indices, indptr, sparse = self.cols
        m = features.size
        if sparse:
            counts = np.zeros(self.n, dtype=np.int64)
            row_counts(indices, indptr, features, counts)
            before = np.zeros(self.n + 1, dtype=np.int64)  # entries above row i
            np.cumsum(counts, out=before[1:])
            # blocks of rows holding at most `most` entries (a row at least)
            most = max(self.block_bytes // 12, m) if self._sorted_rows else before[-1]
            bounds = [0]
            while bounds[-1] < self.n:
                r0 = bounds[-1]
                r1 = np.searchsorted(before, before[r0] + most, "right") - 1
                bounds.append(max(int(r1), r0 + 1))
            bounds = np.array(bounds)
            sizes = before[bounds[1:]] - before[bounds[:-1]]
            block_indices = np.empty(sizes.max(), dtype=np.int32)
            block_data = np.empty(sizes.max())
            offsets = np.empty(np.diff(bounds).max() + 1, dtype=np.int64)
            cursor = indptr[features].astype(np.int64)
            ones = np.ones(self.n)
            for r0, r1 in zip(bounds[:-1], bounds[1:], strict=True):
                part = offsets[:r1 - r0 + 1]
                np.subtract(before[r0:r1 + 1], before[r0], out=part)
                csc_row_block(data, indices, indptr, features, cursor, r0, part,
                              block_indices, block_data)
                weighted_gram_rows(part, block_indices, block_data, ones[r0:r1],
                                   gram, first)
        else:
            rows = max(1, min(self.n, self.block_bytes // (8 * m)))
            space = np.empty(rows * m)
            for r0 in range(0, self.n, rows):
                block = space[:min(rows, self.n - r0) * m].reshape(-1, m, order="F")
                dense_row_block(data, self.n, features, r0, block)
                beta = 0.0 if r0 == 0 else 1.0
                # gram.T (Fortran) receives X_W^T X_W: rows `first ..` of gram
                if first == 0:
                    dsyrk(1.0, block, beta=beta, c=gram.T, trans=1, overwrite_c=1)
                else:
                    dgemm(1.0, block, block[:, first:], beta=beta,
                          c=gram[first:].T, trans_a=1, overwrite_c=1)
        gram_finish(gram, first, self.d_dots[features], self.d_norm2, sparse)
