# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Gram matrices of working sets built from ``X`` in place, against NumPy.

:class:`~blitzlearn._problems._gram.WorkingSetGram` keeps the centred Gram
matrix of the last working set and edits it when features leave or join; the
kernels of :mod:`blitzlearn._kernels._gram` read the columns of ``X`` one
block of rows at a time.  Every matrix is compared with the product of the
gathered columns computed by NumPy / SciPy.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from blitzlearn._kernels._columns import as_columns
from blitzlearn._kernels._gram import gram_finish, row_pair_count, weighted_gram_rows
from blitzlearn._problems._gram import WorkingSetGram, add_gram_rows

# successive working sets: growth, a feature leaving, leaving and joining at
# once, the same set again, a smaller set, and back to growth
SEQUENCE = [[3, 7, 11], [1, 3, 7, 11, 20, 21], [1, 7, 11, 20, 21],
            [0, 1, 11, 20, 25, 29], [0, 1, 11, 20, 25, 29], [11, 25],
            [2, 5, 11, 13, 17, 19, 23, 25, 27]]


def _design(layout, dtype, rng):
    X = rng.standard_normal((40, 30))
    X[:, 4] = 0.0  # an empty column
    X[rng.random(X.shape) < 0.7] = 0.0
    if layout == "dense":
        return np.asfortranarray(X.astype(dtype))
    X = sp.csc_matrix(X.astype(dtype))
    if layout == "unsorted":  # same matrix, rows listed backwards in each column
        for j in range(X.shape[1]):
            part = slice(X.indptr[j], X.indptr[j + 1])
            X.indices[part] = X.indices[part][::-1].copy()
            X.data[part] = X.data[part][::-1].copy()
        X.has_sorted_indices = False
    return X


@pytest.mark.parametrize("layout", ["dense", "sparse"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("block_bytes", [1, 200, 2 ** 20])
def test_weighted_gram_with_centring_matches_numpy(layout, dtype, block_bytes):
    # the L1-logistic Newton model: X_W^T diag(h) X_W - hx hx^T / sum(h),
    # hx = X_W^T h, on an unordered subset of the columns
    rng = np.random.default_rng(1)
    X = _design(layout, dtype, rng)
    dense = X.toarray() if sp.issparse(X) else X
    dense = dense.astype(np.float64)
    h = rng.random(X.shape[0])
    h[::7] = 0.0  # weights may vanish
    ws = np.array([17, 3, 4, 29, 0, 11], dtype=np.intp)
    xw = dense[:, ws]
    hx = xw.T @ h
    expected = (xw.T * h) @ xw - np.outer(hx, hx) / h.sum()
    gram = np.zeros((ws.size, ws.size))
    add_gram_rows(as_columns(X), X.shape[0], ws, 0, h, block_bytes, gram)
    gram_finish(gram, 0, hx, float(h.sum()), sp.issparse(X))
    assert_allclose(gram, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("single", [False, True])
@pytest.mark.parametrize("block_bytes", [1, 200, 2 ** 20])
def test_dense_gram_centred_rows_and_float32(single, block_bytes):
    # the dense L1-logistic model: rows centred on the weighted column means
    # before the product (no cancellation: the columns have means ~100 times
    # their spread), optionally in float32
    rng = np.random.default_rng(3)
    X = np.asfortranarray(100.0 + rng.standard_normal((60, 12)))
    h = rng.random(X.shape[0])
    h[::5] = 0.0
    ws = np.array([7, 2, 9, 0], dtype=np.intp)
    xw = X[:, ws]
    mean = xw.T @ h / h.sum()
    expected = ((xw - mean).T * h) @ (xw - mean)
    gram = np.full((ws.size, ws.size), np.nan)  # every entry must be written
    add_gram_rows(as_columns(X), X.shape[0], ws, 0, h, block_bytes, gram,
                  centre=mean, single=single)
    gram_finish(gram, 0, np.zeros(ws.size), 1.0, False)
    scale = np.abs(expected).max()
    assert_allclose(gram, expected, rtol=0, atol=(1e-5 if single else 1e-11) * scale)
    assert_allclose(gram, gram.T)
    with pytest.raises(ValueError, match="whole dense Gram"):
        add_gram_rows(as_columns(sp.csc_matrix(X)), X.shape[0], ws, 0, h,
                      block_bytes, gram, single=True)


@pytest.mark.parametrize("layout", ["dense", "sparse", "unsorted"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("intercept", [False, True])
@pytest.mark.parametrize("block_bytes", [1, 200, 2 ** 20])
def test_working_set_gram_matches_numpy(layout, dtype, intercept, block_bytes):
    rng = np.random.default_rng(0)
    X = _design(layout, dtype, rng)
    dense = X.toarray() if sp.issparse(X) else X
    dense = dense.astype(np.float64)
    d = rng.random(X.shape[0]) + 0.5 if intercept else np.ones(X.shape[0])
    d_dots = dense.T @ d if intercept else np.zeros(X.shape[1])
    d_norm2 = float(d @ d)
    cache = WorkingSetGram(X, as_columns(X), d_dots, d_norm2, 100, block_bytes)
    for ws in SEQUENCE:
        ws = np.array(ws, dtype=np.intp)
        features, gram = cache.update(ws)
        assert_array_equal(np.sort(features), ws)
        x = dense[:, features]
        expected = x.T @ x - np.outer(d_dots[features], d_dots[features]) / d_norm2
        assert_allclose(gram, expected, rtol=1e-12, atol=1e-12)
        assert_array_equal(gram, gram.T)
    assert not cache.fits(11)
    with pytest.raises(ValueError, match="does not fit"):
        cache.update(np.arange(11))


def test_working_set_gram_keeps_order():
    # kept features stay in their order, new ones follow in increasing order
    X = np.asfortranarray(np.random.default_rng(1).standard_normal((8, 12)))
    cache = WorkingSetGram(X, as_columns(X), np.zeros(12), 8.0, 144, 2 ** 18)
    cache.update(np.array([2, 5, 9]))
    features, _ = cache.update(np.array([0, 5, 6, 9, 11]))
    assert_array_equal(features, [5, 9, 0, 6, 11])


def test_weighted_gram_rows_any_order():
    # the logistic Hessian: rows in any column order, weights, one triangle
    # per pair until gram_finish adds the two halves
    rng = np.random.default_rng(2)
    X = sp.random(30, 9, density=0.4, format="csr", random_state=3)
    h = rng.random(30)
    rows = X.copy()
    for i in range(rows.shape[0]):  # reverse each row's column order
        part = slice(rows.indptr[i], rows.indptr[i + 1])
        rows.indices[part] = rows.indices[part][::-1].copy()
        rows.data[part] = rows.data[part][::-1].copy()
    gram = np.zeros((9, 9))
    weighted_gram_rows(rows.indptr, rows.indices, rows.data, h, gram, 0)
    gram_finish(gram, 0, np.zeros(9), 1.0, True)
    dense = X.toarray()
    assert_allclose(gram, (dense.T * h) @ dense, rtol=1e-13, atol=1e-14)


def test_row_pair_count():
    X = sp.random(25, 10, density=0.3, format="csc", random_state=4)
    cols = np.array([1, 4, 5, 8])
    counts = (X[:, cols] != 0).sum(axis=1).A.ravel()
    out = np.zeros(25, dtype=np.int64)
    assert row_pair_count(X.indices, X.indptr, cols, out) == float(counts @ counts)
    assert_array_equal(out, counts)
