# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Elastic-net logistic regression and per-feature L1 weights.

BlitzLogisticL1(C, l1_ratio=rho, penalty_weights=v) minimises

    C sum_i s_i log(1 + exp(-y_i (x_i^T w + b))) + rho sum_j v_j |w_j|
    + (1 - rho)/2 ||w||^2,

checked against the independent L-BFGS-B reference of ``_enet_reference``,
the column-rescaling identity of the weights, scikit-learn's
``LogisticRegression`` / ``LogisticRegressionCV`` and the certificate.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from _enet_reference import logistic_enet_objective, logistic_enet_reference
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from blitzlearn import BlitzLogisticL1
from blitzlearn._backend import stand_in_backend
from blitzlearn.linear_model import BlitzLogisticL1CV, blitz_logistic_l1_path


def _cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def _sparse_set(seed=0, n=200, p=60):
    rng = np.random.default_rng(seed)
    X = sp.random(n, p, density=0.15, format="csc", random_state=seed,
                  data_rvs=rng.standard_normal)
    w = rng.standard_normal(p) * (rng.random(p) < 0.2)
    y = (X @ w + 0.3 * rng.standard_normal(n) > 0).astype(int)
    return X, y


def _signed(y):
    return np.where(y == np.unique(y)[1], 1.0, -1.0)


def _objective(model, X, y, v=None):
    return logistic_enet_objective(X, _signed(y), model.coef_[0],
                                   model.intercept_[0], model.C, model.l1_ratio, v)


@pytest.mark.parametrize("C", [0.02, 0.2, 2.0])
@pytest.mark.parametrize("l1_ratio", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("data", ["cancer", "sparse"])
def test_objective_equals_the_reference(data, l1_ratio, C):
    X, y = _cancer() if data == "cancer" else _sparse_set()
    model = BlitzLogisticL1(C=C, l1_ratio=l1_ratio, tol=1e-12).fit(X, y)
    _, _, p_ref = logistic_enet_reference(X, _signed(y), C, l1_ratio)
    p = _objective(model, X, y)
    assert abs(p - p_ref) <= 1e-7 * p_ref
    assert model.dual_gap_[0] <= 1e-9 * p_ref


@pytest.mark.parametrize("C", [0.05, 1.0])
def test_ridge_is_certified_and_equals_sklearn(C):
    # l1_ratio=0: the L2-penalised logistic regression of scikit-learn
    X, y = _cancer()
    model = BlitzLogisticL1(C=C, l1_ratio=0.0, tol=1e-12).fit(X, y)
    ref = LogisticRegression(C=C, l1_ratio=0.0, solver="lbfgs", tol=1e-12,
                             max_iter=100000).fit(X, y)
    p = _objective(model, X, y)
    p_ref = logistic_enet_objective(X, _signed(y), ref.coef_[0],
                                    ref.intercept_[0], C, 0.0)
    assert p <= p_ref * (1 + 1e-9)
    assert p_ref - p <= 1e-8 * p_ref
    assert 0 <= model.dual_gap_[0] <= 1e-10 * p
    assert np.all(model.coef_ != 0)


@pytest.mark.parametrize("data", ["cancer", "sparse"])
def test_weights_equal_the_lasso_on_rescaled_columns(data):
    # with l1_ratio=1, the weighted problem on X is the plain one on X / v,
    # with w = w~ / v
    X, y = _cancer() if data == "cancer" else _sparse_set(1)
    v = np.random.default_rng(2).uniform(0.3, 3.0, X.shape[1])
    X_scaled = X @ sp.diags(1.0 / v) if sp.issparse(X) else X / v
    plain = BlitzLogisticL1(C=0.3, tol=1e-13).fit(X_scaled, y)
    weighted = BlitzLogisticL1(C=0.3, penalty_weights=v, tol=1e-13).fit(X, y)
    p_plain = _objective(plain, X_scaled, y)
    p_weighted = _objective(weighted, X, y, v)
    assert abs(p_plain - p_weighted) <= 1e-10 * p_plain
    np.testing.assert_allclose(weighted.coef_[0], plain.coef_[0] / v,
                               rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(weighted.intercept_, plain.intercept_, rtol=1e-6)
    assert np.array_equal(weighted.coef_[0] != 0, plain.coef_[0] != 0)


@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_weight_zero_features_are_unpenalised(l1_ratio):
    X, y = _cancer()
    v = np.ones(X.shape[1])
    free = [0, 7, 20]
    v[free] = 0.0
    # far below c_min: the penalised features are all 0, the free ones are not
    C = 1e-3
    model = BlitzLogisticL1(C=C, l1_ratio=l1_ratio, penalty_weights=v,
                            tol=1e-12).fit(X, y)
    w_ref, _, p_ref = logistic_enet_reference(X, _signed(y), C, l1_ratio, v)
    assert abs(_objective(model, X, y, v) - p_ref) <= 1e-7 * p_ref
    assert np.all(model.coef_[0, free] != 0)
    if l1_ratio == 1.0:
        assert np.flatnonzero(model.coef_[0]).tolist() == free
        # the free features are at the optimum of the loss alone
        z = X @ model.coef_[0] + model.intercept_[0]
        ys = _signed(y)
        grad = X[:, free].T @ (-ys / (1 + np.exp(ys * z)))
        assert np.abs(grad).max() <= 1e-6
    np.testing.assert_allclose(model.coef_[0, free], w_ref[free], rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("seed", range(4))
def test_dual_gap_bounds_the_suboptimality(seed, dtype):
    rng = np.random.default_rng(seed)
    n, p = 80, 120
    X = rng.standard_normal((n, p)).astype(dtype)
    y = (X[:, :5].astype(float) @ rng.standard_normal(5)
         + rng.standard_normal(n) > 0).astype(int)
    v = rng.uniform(0.0, 2.0, p) * (rng.random(p) < 0.9)
    l1_ratio = float(rng.choice([0.0, 0.3, 0.8, 1.0]))
    C = float(rng.uniform(0.05, 1.0))
    sw = rng.uniform(0.5, 2.0, n)
    model = BlitzLogisticL1(C=C, l1_ratio=l1_ratio, penalty_weights=v,
                            tol=1e-3).fit(X, y, sample_weight=sw)
    X64 = X.astype(np.float64)
    _, _, p_ref = logistic_enet_reference(X64, _signed(y), C, l1_ratio, v, sw)
    p = logistic_enet_objective(X64, _signed(y), model.coef_[0],
                                model.intercept_[0], C, l1_ratio, v, sw)
    gap = model.dual_gap_[0]
    assert gap >= 0
    # P - gap is a lower bound of P* <= p_ref (the reference's own error ~1e-12)
    assert p - gap <= p_ref * (1 + 1e-10)


def test_path_with_weights_and_l1_ratio_starts_at_c_min():
    X, y = _cancer()
    v = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[1])
    Cs, coefs, gaps = blitz_logistic_l1_path(X, y, Cs=4, l1_ratio=0.5,
                                             penalty_weights=v, tol=1e-10)
    ys = _signed(y)
    b0 = np.log((ys > 0).sum() / (ys < 0).sum())
    r0 = ys / (1 + np.exp(ys * b0))
    assert Cs[0] == pytest.approx(1 / np.max(np.abs(X.T @ r0) / (0.5 * v)),
                                  rel=1e-10)
    assert not coefs[0, :-1].any() and coefs[1, :-1].any()
    # just above c_min the solution moves
    _, above, _ = blitz_logistic_l1_path(X, y, Cs=[Cs[0] * 1.01], l1_ratio=0.5,
                                         penalty_weights=v, tol=1e-10)
    assert above[0, :-1].any()
    for k, C in enumerate(Cs):
        model = BlitzLogisticL1(C=C, l1_ratio=0.5, penalty_weights=v,
                                tol=1e-10).fit(X, y)
        p_path = logistic_enet_objective(X, ys, coefs[k, :-1], coefs[k, -1], C,
                                         0.5, v)
        assert abs(p_path - _objective(model, X, y, v)) <= 1e-8 * p_path


def test_ridge_path_needs_explicit_cs():
    X, y = _cancer()
    with pytest.raises(ValueError, match="l1_ratio=0.*pass Cs explicitly"):
        blitz_logistic_l1_path(X, y, Cs=5, l1_ratio=0.0)
    Cs, coefs, gaps = blitz_logistic_l1_path(X, y, Cs=[0.01, 0.1], l1_ratio=0.0,
                                             tol=1e-10)
    assert np.all(coefs[:, :-1] != 0)
    with pytest.raises(ValueError, match="l1_ratios are all 0|l1_ratio=0"):
        BlitzLogisticL1CV(Cs=3, l1_ratios=[0.0]).fit(X, y)


@pytest.mark.parametrize("params, match", [
    ({"penalty_weights": -np.ones(30)}, "penalty_weights"),
    ({"penalty_weights": np.r_[np.nan, np.ones(29)]}, "penalty_weights"),
    ({"penalty_weights": np.ones(29)}, "penalty_weights"),
    ({"penalty_weights": np.zeros(30)}, "penalty_weights"),
    ({"l1_ratio": 1.5}, "l1_ratio"),
    ({"l1_ratio": -0.1}, "l1_ratio"),
])
def test_bad_penalty_names_the_parameter(params, match):
    X, y = _cancer()
    with pytest.raises(ValueError, match=match):
        BlitzLogisticL1(**params).fit(X, y)
    path_params = {"penalty_weights" if k == "penalty_weights" else k: v
                   for k, v in params.items()}
    with pytest.raises(ValueError, match=match):
        blitz_logistic_l1_path(X, y, Cs=[1.0], **path_params)
    cv_params = {("l1_ratios" if k == "l1_ratio" else k):
                 ([v] if k == "l1_ratio" else v) for k, v in params.items()}
    with pytest.raises(ValueError, match=match):
        BlitzLogisticL1CV(Cs=[1.0], cv=2, **cv_params).fit(X, y)


def test_zero_weights_allowed_with_an_l2_part():
    X, y = _cancer()
    model = BlitzLogisticL1(C=0.1, l1_ratio=0.5, penalty_weights=np.zeros(30),
                            tol=1e-12).fit(X, y)
    ref = LogisticRegression(C=0.1 / 0.5, l1_ratio=0.0, tol=1e-12,
                             max_iter=100000).fit(X, y)
    # C sum log + 0.25 ||w||^2 is (C / 0.5) sum log + 0.5 ||w||^2, halved
    np.testing.assert_allclose(model.coef_, ref.coef_, rtol=1e-5, atol=1e-8)


def test_cv_picks_sklearn_c_and_l1_ratio():
    X, y = _cancer()
    X, y = X[:120, :8], y[:120]
    X = StandardScaler().fit_transform(X)
    # Cs above every fold's c_min: at w = 0, saga stops after one epoch with an
    # unconverged intercept (its stopping test is on the change of w)
    Cs = [0.05, 0.2, 1.0, 4.0]
    l1_ratios = [0.2, 0.6, 1.0]
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    ours = BlitzLogisticL1CV(Cs=Cs, l1_ratios=l1_ratios, cv=folds,
                             scoring="neg_log_loss", tol=1e-12).fit(X, y)
    ref = LogisticRegressionCV(Cs=Cs, l1_ratios=l1_ratios, cv=folds,
                               solver="saga", scoring="neg_log_loss", tol=1e-10,
                               max_iter=200000, use_legacy_attributes=True
                               ).fit(X, y)
    assert ours.C_[0] == ref.C_[0]
    assert ours.l1_ratio_[0] == ref.l1_ratio_[0]
    np.testing.assert_array_equal(ours.l1_ratios_, ref.l1_ratios_)
    for name in ("scores_", "coefs_paths_"):
        assert getattr(ours, name)[1].shape == getattr(ref, name)[1].shape
    assert ours.n_iter_.shape == ref.n_iter_.shape
    assert ours.dual_gaps_paths_[1].shape == ours.scores_[1].shape
    np.testing.assert_allclose(ours.scores_[1], ref.scores_[1], rtol=1e-5)
    np.testing.assert_allclose(ours.coefs_paths_[1], ref.coefs_paths_[1],
                               atol=1e-5)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-5)


def test_cv_without_l1_ratios_keeps_its_shapes_and_refit_false_averages():
    X, y = _cancer()
    folds = list(StratifiedKFold(3, shuffle=True, random_state=0).split(X, y))
    plain = BlitzLogisticL1CV(Cs=4, cv=folds, tol=1e-10).fit(X, y)
    assert plain.scores_[1].shape == (3, 4)
    assert plain.coefs_paths_[1].shape == (3, 4, 31)
    assert plain.n_iter_.shape == (1, 3, 4)
    assert plain.l1_ratio_.tolist() == [1.0]
    one = BlitzLogisticL1CV(Cs=4, cv=folds, l1_ratios=[1.0], tol=1e-10).fit(X, y)
    np.testing.assert_array_equal(one.scores_[1][..., 0], plain.scores_[1])
    np.testing.assert_array_equal(one.coef_, plain.coef_)
    avg = BlitzLogisticL1CV(Cs=4, cv=folds, l1_ratios=[0.3, 1.0], refit=False,
                            tol=1e-10).fit(X, y)
    best = [np.unravel_index(np.argmax(s), s.shape) for s in avg.scores_[1]]
    paths = avg.coefs_paths_[1]
    np.testing.assert_allclose(
        avg.coef_[0], np.mean([paths[f, c, k, :-1] for f, (c, k) in
                               enumerate(best)], axis=0))
    assert avg.l1_ratio_[0] == pytest.approx(
        np.mean([avg.l1_ratios_[k] for _, k in best]))
    assert np.isnan(avg.dual_gap_).all()


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_stand_in_gpu_matches_cpu(sparse):
    X, y = _sparse_set(3) if sparse else _cancer()
    v = np.random.default_rng(1).uniform(0.0, 2.0, X.shape[1])
    params = dict(C=0.3, l1_ratio=0.6, penalty_weights=v, tol=1e-10)
    cpu = BlitzLogisticL1(**params).fit(X, y)
    with stand_in_backend(device_input=True):
        gpu = BlitzLogisticL1(device="cuda", **params).fit(X, y)
    assert gpu.device_ == "cuda" and cpu.device_ == "cpu"
    p_cpu, p_gpu = _objective(cpu, X, y, v), _objective(gpu, X, y, v)
    assert abs(p_gpu - p_cpu) <= 1e-7 * p_cpu
    cpu_path = blitz_logistic_l1_path(X, y, Cs=3, l1_ratio=0.6,
                                      penalty_weights=v, tol=1e-10)
    with stand_in_backend():
        gpu_path = blitz_logistic_l1_path(X, y, Cs=3, l1_ratio=0.6,
                                          penalty_weights=v, tol=1e-10,
                                          device="cuda")
    np.testing.assert_array_equal(gpu_path[0], cpu_path[0])
    # the device's subproblem solver (FISTA) stops elsewhere below the
    # tolerance: the points agree in objective, and their weights within
    # what the certificates allow, P - P* >= (1 - l1_ratio) / 2 |w - w*|^2
    mu = 1.0 - 0.6
    for k, C in enumerate(cpu_path[0]):
        p = [logistic_enet_objective(X, _signed(y), path[1][k, :-1],
                                     path[1][k, -1], C, 0.6, v)
             for path in (cpu_path, gpu_path)]
        assert abs(p[1] - p[0]) <= 1e-7 * p[0]
        # (a gap of 0 is one below the objective's rounding, 1e-13 P)
        bound = sum(np.sqrt(2.0 * max(path[2][k], 1e-13 * p[0]) / mu)
                    for path in (cpu_path, gpu_path))
        assert np.linalg.norm(gpu_path[1][k, :-1] - cpu_path[1][k, :-1]) <= bound


def test_weights_mean_skglm_weighted_l1():
    # skglm's mean logistic datafit with WeightedL1(alpha, v) is C = 1 / (n alpha)
    skglm = pytest.importorskip("skglm")
    from skglm.datafits import Logistic
    from skglm.penalties import WeightedL1
    from skglm.solvers import ProxNewton

    X, y = _cancer()
    v = np.random.default_rng(0).uniform(0.2, 2.0, X.shape[1])
    alpha = 0.01
    ref = skglm.GeneralizedLinearEstimator(
        Logistic(), WeightedL1(alpha, v),
        ProxNewton(tol=1e-12, fit_intercept=False)).fit(X, _signed(y))
    ours = BlitzLogisticL1(C=1 / (X.shape[0] * alpha), penalty_weights=v,
                           fit_intercept=False, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(ours.coef_[0], np.ravel(ref.coef_), atol=1e-8)


def _positive_reference(X, y, C, rho, v):
    """``P*`` of the problem with ``w >= 0`` (smooth there): L-BFGS-B."""
    from scipy.optimize import minimize
    from scipy.special import expit

    X = X.toarray() if sp.issparse(X) else X
    p = X.shape[1]

    def fun(u):
        w, b = u[:p], u[p]
        m = y * (X @ w + b)
        g = -C * y * expit(-m)
        f = (C * np.logaddexp(0.0, -m).sum() + rho * v @ w
             + 0.5 * (1 - rho) * w @ w)
        return f, np.r_[X.T @ g + rho * v + (1 - rho) * w, g.sum()]

    res = minimize(fun, np.zeros(p + 1), jac=True, method="L-BFGS-B",
                   bounds=[(0, None)] * p + [(None, None)],
                   options=dict(maxiter=100000, maxfun=200000, ftol=1e-16,
                                gtol=1e-13, maxcor=30))
    return res.fun


@pytest.mark.parametrize("l1_ratio", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("data", ["cancer", "sparse"])
def test_positive_equals_the_constrained_reference(data, l1_ratio):
    X, y = _cancer() if data == "cancer" else _sparse_set(4)
    if data == "cancer":
        X = X * np.where(np.arange(X.shape[1]) % 2, -1.0, 1.0)  # both signs
    v = np.random.default_rng(5).uniform(0.5, 2.0, X.shape[1])
    C = 0.5
    model = BlitzLogisticL1(C=C, l1_ratio=l1_ratio, penalty_weights=v,
                            positive=True, tol=1e-12).fit(X, y)
    free = BlitzLogisticL1(C=C, l1_ratio=l1_ratio, penalty_weights=v,
                           tol=1e-12).fit(X, y)
    assert np.all(model.coef_ >= 0) and (model.coef_ > 0).any()
    assert (free.coef_ < 0).any()  # the constraint binds
    p_ref = _positive_reference(X, _signed(y), C, l1_ratio, v)
    p = _objective(model, X, y, v)
    assert abs(p - p_ref) <= 1e-7 * p_ref
    assert 0 <= model.dual_gap_[0] <= 1e-9 * p
    # a loose fit's gap still bounds its suboptimality
    loose = BlitzLogisticL1(C=C, l1_ratio=l1_ratio, penalty_weights=v,
                            positive=True, tol=1e-3).fit(X, y)
    assert np.all(loose.coef_ >= 0)
    assert _objective(loose, X, y, v) - loose.dual_gap_[0] <= p_ref * (1 + 1e-10)


def test_positive_with_unpenalised_features_needs_an_l2_part():
    X, y = _cancer()
    v = np.ones(X.shape[1])
    v[0] = 0.0
    with pytest.raises(ValueError, match="positive=True"):
        BlitzLogisticL1(positive=True, penalty_weights=v).fit(X, y)


def test_stand_in_gpu_positive_matches_cpu():
    X, y = _sparse_set(4)
    params = dict(C=0.5, l1_ratio=0.5, positive=True, tol=1e-10)
    cpu = BlitzLogisticL1(**params).fit(X, y)
    with stand_in_backend(device_input=True):
        gpu = BlitzLogisticL1(device="cuda", **params).fit(X, y)
    assert np.all(gpu.coef_ >= 0) and gpu.device_ == "cuda"
    p_cpu, p_gpu = _objective(cpu, X, y), _objective(gpu, X, y)
    assert abs(p_gpu - p_cpu) <= 1e-7 * p_cpu
