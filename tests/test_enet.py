# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""BlitzElasticNet, penalty weights on the Lasso family, their paths and CVs.

Estimator level: objectives against scikit-learn at tol 1e-12, the weighted
Lasso against the column-rescaling identity and against celer and skglm
where installed, the certificate against a lower bound of the optimum, the
cross-validation's choice against ``ElasticNetCV``'s, pure ridge against
its closed form, bad input.  The solver's own tests (the dual, screening,
weight-0 features, the gap closing to 1e-12) are in test_enet_problem.py.
"""

import importlib.util
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _enet_reference import enet_objective
from _helpers import load_dataset, make_data
from sklearn.datasets import load_diabetes
from sklearn.linear_model import ElasticNet, ElasticNetCV, Lasso, Ridge, enet_path
from sklearn.model_selection import KFold
from sklearn.utils._param_validation import InvalidParameterError

from blitzlearn import (
    BlitzElasticNet,
    BlitzElasticNetCV,
    BlitzLasso,
    BlitzLassoCV,
    blitz_enet_path,
    blitz_lasso_path,
)
from blitzlearn._backend import stand_in_backend


def _dataset(name):
    if name == "diabetes":
        X, y = load_diabetes(return_X_y=True)
        return np.asfortranarray(X), y
    if name == "sparse":
        return make_data(80, 120, sparse=True, random_state=2)
    return load_dataset(name)


def _alpha_max(X, y, rho):
    yc = y - y.mean()
    return float(np.abs(X.T @ yc).max()) / (X.shape[0] * rho)


@pytest.mark.parametrize("rho", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("name", ["diabetes", "leukemia", "sparse"])
def test_objective_equals_scikit_learn(name, rho):
    X, y = _dataset(name)
    for fraction in (0.5, 0.1, 0.02):
        alpha = fraction * _alpha_max(X, y, rho)
        ours = BlitzElasticNet(alpha=alpha, l1_ratio=rho, tol=1e-12).fit(X, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # coordinate descent at max_iter
            theirs = ElasticNet(alpha=alpha, l1_ratio=rho, tol=1e-12,
                                max_iter=200_000).fit(X, y)
        p_ours = enet_objective(X, y, ours.coef_, ours.intercept_, alpha, rho)
        p_theirs = enet_objective(X, y, theirs.coef_, theirs.intercept_, alpha,
                                  rho)
        assert abs(p_ours - p_theirs) <= 1e-9 * p_theirs, (fraction, p_ours,
                                                           p_theirs)
        assert ours.dual_gap_ <= 1e-12 * np.sum((y - y.mean()) ** 2) / y.size


def test_sample_weights_and_no_intercept():
    X, y = _dataset("diabetes")
    sw = np.random.default_rng(0).uniform(0.0, 2.0, y.size)
    for fit_intercept in (True, False):
        kwargs = dict(alpha=0.01, l1_ratio=0.3, fit_intercept=fit_intercept)
        ours = BlitzElasticNet(tol=1e-12, **kwargs).fit(X, y, sample_weight=sw)
        theirs = ElasticNet(tol=1e-12, max_iter=100_000, **kwargs).fit(
            X, y, sample_weight=sw)
        p = [enet_objective(X, y, m.coef_, m.intercept_, 0.01, 0.3,
                            sample_weight=sw) for m in (ours, theirs)]
        assert abs(p[0] - p[1]) <= 1e-9 * p[1]


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_weighted_lasso_is_the_lasso_on_rescaled_columns(sparse):
    X, y = make_data(60, 90, sparse=sparse, random_state=5)
    v = np.random.default_rng(1).uniform(0.2, 3.0, X.shape[1])
    ours = BlitzLasso(alpha=0.05, penalty_weights=v, tol=1e-12).fit(X, y)
    Xs = X @ sp.diags(1.0 / v) if sparse else X / v
    plain = Lasso(alpha=0.05, tol=1e-12, max_iter=100_000).fit(Xs, y)
    p_ours = enet_objective(X, y, ours.coef_, ours.intercept_, 0.05, 1.0, v)
    p_plain = enet_objective(X, y, plain.coef_ / v, plain.intercept_, 0.05, 1.0, v)
    assert abs(p_ours - p_plain) <= 1e-9 * p_plain
    np.testing.assert_allclose(ours.coef_, plain.coef_ / v, atol=1e-6)


def test_unpenalised_features_are_kept():
    X, y = _dataset("diabetes")
    v = np.ones(X.shape[1])
    v[[2, 5]] = 0.0
    alpha = 2 * _alpha_max(X, y, 1.0)  # every penalised weight is 0
    model = BlitzLasso(alpha=alpha, penalty_weights=v, tol=1e-12).fit(X, y)
    assert np.flatnonzero(model.coef_).tolist() == [2, 5]
    # least squares on the unpenalised columns (with the intercept)
    A = np.column_stack([X[:, [2, 5]], np.ones(y.size)])
    ls = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(model.coef_[[2, 5]], ls[:2], rtol=1e-8)


@pytest.mark.parametrize("package", ["celer", "skglm"])
def test_weighted_lasso_matches_celer_and_skglm(package):
    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} is not installed")
    X, y = make_data(50, 80, random_state=7)
    v = np.random.default_rng(3).uniform(0.1, 2.0, X.shape[1])
    if package == "skglm":
        v[0] = 0.0  # (celer refuses zero weights)
    alpha = 0.05
    ours = BlitzLasso(alpha=alpha, penalty_weights=v, tol=1e-12).fit(X, y)
    if package == "celer":
        from celer import Lasso as CelerLasso

        theirs = CelerLasso(alpha=alpha, weights=v, tol=1e-12,
                            max_iter=1000).fit(X, y)
    else:
        from skglm import WeightedLasso

        theirs = WeightedLasso(alpha=alpha, weights=v, tol=1e-12,
                               max_iter=1000).fit(X, y)
    p_ours = enet_objective(X, y, ours.coef_, ours.intercept_, alpha, 1.0, v)
    p_theirs = enet_objective(X, y, theirs.coef_, theirs.intercept_, alpha, 1.0, v)
    assert p_ours <= p_theirs * (1 + 1e-9)
    assert abs(p_ours - p_theirs) <= 1e-7 * p_theirs


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_certificate_bounds_the_suboptimality(dtype):
    rng = np.random.default_rng(0)
    for trial in range(12):
        sparse = bool(trial % 2)
        X, y = make_data(40, 60, sparse=sparse, dtype=dtype, random_state=trial)
        rho = [0.2, 0.7, 1.0][trial % 3]
        v = rng.uniform(0.0, 2.0, X.shape[1]) if trial % 4 else None
        alpha = rng.uniform(0.02, 0.5) * _alpha_max(X.astype(np.float64), y, 1.0)
        tol = [1e-3, 1e-6][trial % 2]
        model = BlitzElasticNet(alpha=alpha, l1_ratio=rho, penalty_weights=v,
                                tol=tol).fit(X, y)
        tight = BlitzElasticNet(alpha=alpha, l1_ratio=rho, penalty_weights=v,
                                tol=1e-13).fit(X.astype(np.float64), y)
        X64 = X.astype(np.float64)  # the rounded data, in float64
        lower = enet_objective(X64, y, tight.coef_, tight.intercept_, alpha, rho,
                               v) - tight.dual_gap_
        p = enet_objective(X64, y, model.coef_, model.intercept_, alpha, rho, v)
        assert model.coef_.dtype == dtype
        # P - P* <= dual_gap_, checked against a certified lower bound of P*
        assert p - lower <= model.dual_gap_ + tight.dual_gap_ + 1e-13 * p


def test_pure_ridge_is_certified():
    X, y = _dataset("diabetes")
    alpha = 0.01
    model = BlitzElasticNet(alpha=alpha, l1_ratio=0.0, tol=1e-14).fit(X, y)
    ridge = Ridge(alpha=X.shape[0] * alpha, solver="cholesky").fit(X, y)
    np.testing.assert_allclose(model.coef_, ridge.coef_, rtol=1e-6)
    assert model.dual_gap_ <= 1e-14 * np.sum((y - y.mean()) ** 2) / y.size


def test_path_equals_enet_path():
    X, y = _dataset("diabetes")
    X, y = X - X.mean(axis=0), y - y.mean()
    alphas, coefs, gaps = blitz_enet_path(X, y, l1_ratio=0.4, alphas=8, tol=1e-12)
    _, ref, _ = enet_path(X, y, l1_ratio=0.4, alphas=alphas, tol=1e-12,
                          max_iter=100_000)
    for k, alpha in enumerate(alphas):
        p = enet_objective(X, y, coefs[:, k], 0.0, alpha, 0.4)
        p_ref = enet_objective(X, y, ref[:, k], 0.0, alpha, 0.4)
        assert abs(p - p_ref) <= 1e-9 * p_ref
    assert np.all(gaps >= 0)
    # the Lasso's path is its l1_ratio=1 case, point for point
    lasso = blitz_lasso_path(X, y, alphas=alphas, tol=1e-10)
    enet = blitz_enet_path(X, y, l1_ratio=1.0, alphas=alphas, tol=1e-10)
    np.testing.assert_array_equal(lasso[1], enet[1])


def test_weighted_path_starts_at_its_alpha_max():
    X, y = _dataset("diabetes")
    X, y = X - X.mean(axis=0), y - y.mean()
    v = np.linspace(0.5, 2.0, X.shape[1])
    alphas, coefs, _ = blitz_lasso_path(X, y, alphas=4, penalty_weights=v,
                                        tol=1e-10)
    assert not coefs[:, 0].any() and coefs[:, 1].any()
    assert np.isclose(alphas[0], np.max(np.abs(X.T @ y) / v) / y.size)


def test_cross_validation_picks_scikit_learns_pair():
    X, y = _dataset("diabetes")
    folds = list(KFold(4, shuffle=True, random_state=0).split(X))
    kwargs = dict(l1_ratio=[0.2, 0.6, 0.95], alphas=20, cv=folds, tol=1e-10)
    ours = BlitzElasticNetCV(**kwargs).fit(X, y)
    theirs = ElasticNetCV(max_iter=100_000, **kwargs).fit(X, y)
    assert (ours.alpha_, ours.l1_ratio_) == (theirs.alpha_, theirs.l1_ratio_)
    np.testing.assert_allclose(ours.mse_path_, theirs.mse_path_, rtol=1e-6)
    assert isinstance(ours.dual_gap_, float)


def test_cv_passes_weights_to_the_paths_and_the_refit():
    X, y = _dataset("diabetes")
    v = np.linspace(0.0, 2.0, X.shape[1])
    cv = BlitzLassoCV(alphas=[0.5, 0.1, 0.02], cv=3, penalty_weights=v,
                      tol=1e-10).fit(X, y)
    refit = BlitzLasso(alpha=cv.alpha_, penalty_weights=v, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(cv.coef_, refit.coef_, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("params, error, match", [
    (dict(l1_ratio=1.5), InvalidParameterError, "l1_ratio"),
    (dict(penalty_weights=np.ones(3)), ValueError, r"penalty_weights must have "
     r"shape \(n_features,\) = \(10,\)"),
    (dict(penalty_weights=-np.ones(10)), ValueError, "penalty_weights must be "
     "finite and non-negative"),
    (dict(penalty_weights=np.full(10, np.nan)), ValueError, "finite"),
    (dict(penalty_weights=np.zeros(10), l1_ratio=1.0), ValueError,
     "all penalty_weights are zero"),
])
def test_bad_input_names_the_parameter(params, error, match):
    X, y = _dataset("diabetes")
    with pytest.raises(error, match=match):
        BlitzElasticNet(**params).fit(X, y)


def test_weights_are_not_modified():
    X, y = _dataset("diabetes")
    v = np.linspace(0.0, 2.0, X.shape[1])
    v.flags.writeable = False
    before = v.copy()
    BlitzElasticNet(alpha=0.1, penalty_weights=v).fit(X, y)
    np.testing.assert_array_equal(v, before)


def test_stand_in_device_matches_cpu():
    X, y = make_data(60, 80, sparse=True, random_state=9)
    v = np.linspace(0.0, 2.0, X.shape[1])
    cpu = BlitzElasticNet(alpha=0.05, l1_ratio=0.7, penalty_weights=v,
                          tol=1e-12).fit(X, y)
    for device_input in (False, True):
        with stand_in_backend(device_input=device_input):
            gpu = BlitzElasticNet(alpha=0.05, l1_ratio=0.7, penalty_weights=v,
                                  tol=1e-12, device="cuda").fit(X, y)
        p_cpu = enet_objective(X, y, cpu.coef_, cpu.intercept_, 0.05, 0.7, v)
        p_gpu = enet_objective(X, y, gpu.coef_, gpu.intercept_, 0.05, 0.7, v)
        assert gpu.device_ == "cuda"
        assert abs(p_gpu - p_cpu) <= 1e-9 * p_cpu
