# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""blitz_lasso_path and BlitzLassoCV against scikit-learn's lasso_path / LassoCV."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import load_dataset
from numpy.testing import assert_allclose
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LassoCV, lasso_path
from sklearn.model_selection import KFold

from blitzlearn.linear_model import BlitzLassoCV, blitz_lasso_path


def _centred(name):
    X, y = load_dataset(name)
    return np.asfortranarray(X - X.mean(axis=0)), y - y.mean()


def _objective(X, y, w, alpha):
    r = y - X @ w
    return 0.5 * float(r @ r) / y.size + alpha * float(np.abs(w).sum())


@pytest.mark.parametrize("name", ["diabetes", "leukemia"])
def test_path_matches_lasso_path(name):
    X, y = _centred(name)
    alphas, coefs, gaps, n_iters = blitz_lasso_path(
        X, y, alphas=30, tol=1e-12, return_n_iter=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref_alphas, ref_coefs, _ = lasso_path(X, y, alphas=30, tol=1e-14,
                                              max_iter=200_000)
    assert_allclose(alphas, ref_alphas, rtol=1e-12)
    assert coefs.shape == ref_coefs.shape == (X.shape[1], 30)
    assert len(n_iters) == 30 and np.all(gaps >= 0)
    for k, alpha in enumerate(alphas):
        ours = _objective(X, y, coefs[:, k], alpha)
        ref = _objective(X, y, ref_coefs[:, k], alpha)
        # the certificate bounds the distance to the optimum
        assert ours - ref <= gaps[k] + 1e-12 * abs(ref)
        assert abs(ours - ref) <= 1e-9 * abs(ref)
    if name == "diabetes":  # strongly convex: the weights are unique
        assert_allclose(coefs, ref_coefs, rtol=1e-6, atol=1e-6)


def test_path_options():
    X, y = _centred("diabetes")
    grid = [5.0, 0.5, 1.0, 0.05]
    alphas, coefs, _ = blitz_lasso_path(X, y, alphas=grid, tol=1e-10, positive=True)
    assert_allclose(alphas, sorted(grid, reverse=True))
    assert np.all(coefs >= 0)
    _, ref, _ = lasso_path(X, y, alphas=grid, tol=1e-12, positive=True,
                           max_iter=100_000)
    assert_allclose(coefs, ref, rtol=1e-5, atol=1e-6)
    warm = blitz_lasso_path(X, y, alphas=[0.05], coef_init=coefs[:, -1],
                            tol=1e-10, return_n_iter=True)
    assert warm[3][0] <= 2  # started at the solution
    with pytest.raises(ValueError, match="one output"):
        blitz_lasso_path(X, np.column_stack([y, y]))
    with pytest.raises(TypeError, match="unexpected parameters"):
        blitz_lasso_path(X, y, l1_ratio=0.5)


@pytest.mark.parametrize("name", ["diabetes", "leukemia"])
def test_cv_picks_lasso_cv_alpha(name):
    X, y = load_dataset(name)
    cv = KFold(5, shuffle=True, random_state=0)
    ours = BlitzLassoCV(cv=cv, tol=1e-8).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = LassoCV(cv=cv, tol=1e-8, max_iter=100_000).fit(X, y)
    assert ours.alpha_ == ref.alpha_
    assert_allclose(ours.alphas_, ref.alphas_)
    assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-2)
    assert ours.mse_path_.shape == (100, 5)
    assert abs(ours.score(X, y) - ref.score(X, y)) < 1e-4


def test_cv_sparse_equals_dense():
    # sparse folds are centred implicitly (X_offset): same path as dense
    X, y = load_dataset("diabetes")
    cv = KFold(4, shuffle=True, random_state=1)
    dense = BlitzLassoCV(cv=cv, alphas=20, tol=1e-10).fit(X, y)
    sparse = BlitzLassoCV(cv=cv, alphas=20, tol=1e-10).fit(sp.csc_matrix(X), y)
    assert dense.alpha_ == sparse.alpha_
    assert_allclose(dense.mse_path_, sparse.mse_path_, rtol=1e-6)
    assert_allclose(dense.coef_, sparse.coef_, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("sparse", [False, True])
def test_cv_with_sample_weight_matches_lasso_cv(sparse):
    X, y = load_dataset("diabetes")
    sw = np.random.RandomState(0).uniform(0.2, 3.0, size=y.size)
    Xfit = sp.csc_matrix(X) if sparse else X
    cv = KFold(4, shuffle=True, random_state=2)
    ours = BlitzLassoCV(cv=cv, alphas=20, tol=1e-10).fit(Xfit, y, sample_weight=sw)
    ref = LassoCV(cv=cv, alphas=20, tol=1e-12, max_iter=100_000).fit(
        Xfit, y, sample_weight=sw)
    assert ours.alpha_ == ref.alpha_
    assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-6)
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=1e-6)


def test_path_solves_are_certified_on_the_full_problem():
    # screening done at a large alpha must not leak into a smaller one: every
    # returned gap bounds the distance to the optimum computed independently
    X, y = _centred("leukemia")
    grid = np.geomspace(1.0, 1e-2, 8) * np.abs(X.T @ y).max() / y.size
    alphas, coefs, gaps = blitz_lasso_path(X, y, alphas=grid, tol=1e-8)
    for k, alpha in enumerate(alphas):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref = lasso_path(X, y, alphas=[alpha], tol=1e-14,
                             max_iter=200_000)[1][:, 0]
        excess = _objective(X, y, coefs[:, k], alpha) - _objective(X, y, ref, alpha)
        assert excess <= gaps[k] + 1e-13
        assert gaps[k] <= 1e-8 * float(y @ y) / y.size


def test_path_equals_one_fit_per_alpha():
    # the path's solve step is BlitzLasso's: same certified solution per alpha
    from blitzlearn import BlitzLasso

    X, y = _centred("diabetes")
    alphas, coefs, gaps = blitz_lasso_path(X, y, alphas=4, tol=1e-12)
    for k, alpha in enumerate(alphas):
        model = BlitzLasso(alpha=alpha, fit_intercept=False, tol=1e-12).fit(X, y)
        assert_allclose(coefs[:, k], model.coef_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("entries, block_bytes", [(0, 2 ** 18), (50, 2 ** 18),
                                                  (2 ** 15, 1)])
def test_path_gram_limits(monkeypatch, entries, block_bytes):
    # a Gram matrix limited in size (column form for the larger working sets),
    # or built one row at a time, gives the same path as the default one
    import blitzlearn._problems._gram as gram_module

    X, y = _centred("diabetes")
    _, ref, _ = blitz_lasso_path(X, y, alphas=10, tol=1e-12)
    monkeypatch.setattr(gram_module, "GRAM_MEMORY_SHARE", 0.0)
    monkeypatch.setattr(gram_module, "GRAM_MIN_ENTRIES", entries)
    monkeypatch.setattr(gram_module, "GRAM_BLOCK_SHARE", 0.0)
    monkeypatch.setattr(gram_module, "GRAM_MIN_BLOCK_BYTES", block_bytes)
    _, coefs, _ = blitz_lasso_path(X, y, alphas=10, tol=1e-12)
    assert_allclose(coefs, ref, rtol=1e-8, atol=1e-10)


def test_path_warns_per_alpha():
    X, y = _centred("leukemia")
    with pytest.warns(ConvergenceWarning, match=r"blitz_lasso_path at alpha=.*"
                      r"duality gap .* tolerance") as record:
        blitz_lasso_path(X, y, alphas=3, eps=1e-2, tol=1e-12, max_iter=1)
    assert len(record) >= 2
    assert all(w.filename == __file__ for w in record)


def test_path_bad_alphas():
    X, y = _centred("diabetes")
    with pytest.raises(ValueError, match="alphas"):
        blitz_lasso_path(X, y, alphas=0)
    with pytest.raises(ValueError, match="alphas"):
        blitz_lasso_path(X, y, alphas=[1.0, -1.0])
    with pytest.raises(ValueError, match="alphas"):
        blitz_lasso_path(X, y, alphas=[])
