# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""BlitzLogisticL1's multinomial model (the default for three classes or more).

``P(W, b) = C sum_i s_i [logsumexp(z_i) - z_{i, y_i}] + r sum_j v_j ||W_{:, j}||
+ (1 - r)/2 ||W||_F^2`` (``||.||_1``, or ``||.||_2`` with ``grouped=True``;
``r`` the ``l1_ratio``, ``v`` the ``penalty_weights``), ``z_i = W x_i + b``,
evaluated by ``_multinomial_reference.objective`` (numpy and scipy only).
The references are scikit-learn's saga at tol 1e-12 where it converges, and
the independent solvers of ``_multinomial_reference`` (L-BFGS-B on the split
L1 problem, FISTA).  Objectives are compared, never intercepts (defined up to
a constant).  The problem itself, its certificate and its screening are
tested in ``test_multinomial_problem.py``.
"""

import functools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _multinomial_reference import fista, lbfgs_l1, objective, standard_dataset
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from blitzlearn import BlitzLogisticL1, BlitzLogisticL1CV
from blitzlearn._backend import stand_in_backend
from blitzlearn.linear_model import blitz_logistic_l1_path

EPS = np.finfo(np.float64).eps


_dataset = functools.cache(standard_dataset)


def _fit(X, y, sample_weight=None, **params):
    params.setdefault("tol", 1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return BlitzLogisticL1(**params).fit(X, y, sample_weight=sample_weight)


def _value(model, X, y, s=None, grouped=False, **pen):
    s = np.ones(y.size) if s is None else s
    C = model.C_[0] if hasattr(model, "C_") else model.C
    return objective(X, np.searchsorted(model.classes_, y), s, model.coef_,
                     model.intercept_, C, grouped, **pen)


def _reference(X, y, s, C, K, grouped=False, **pen):
    """An independent tight solve: L-BFGS-B (L1) or FISTA (group penalty)."""
    if grouped:  # FISTA's objective stops moving within 3000 iterations here
        return fista(X, y, s, C, K, group=True, max_iter=3000, **pen)
    return lbfgs_l1(X, y, s, C, K, maxiter=4000, **pen)


# three C per set, from a sparse to a dense model, with the reference: saga
# at tol 1e-12 where it converges within 20000 epochs (checked), else
# L-BFGS-B on the split problem (saga ran out of epochs on digits at C = 1)
CASES = [("iris", 0.05, "saga"), ("iris", 0.3, "saga"), ("iris", 2.0, "saga"),
         ("wine", 0.05, "saga"), ("wine", 0.3, "saga"), ("wine", 2.0, "saga"),
         ("digits", 0.01, "saga"), ("digits", 0.03, "saga"),
         ("digits", 1.0, "lbfgs")]


@pytest.mark.parametrize("name, C, reference", CASES)
def test_objective_matches_the_references(name, C, reference):
    X, y = _dataset(name)
    model = _fit(X, y, C=C)
    K = np.unique(y).size
    assert model.coef_.shape == (K, X.shape[1]) and model.intercept_.shape == (K,)
    assert model.dual_gap_.shape == (1,) and model.n_iter_.shape == (1,)
    value = _value(model, X, y)
    if reference == "saga":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            saga = LogisticRegression(l1_ratio=1, solver="saga", C=C, tol=1e-12,
                                      max_iter=20000).fit(X, y)
        assert saga.n_iter_[0] < 20000  # saga converged: a valid reference
        ref_coef, ref_intercept = saga.coef_, saga.intercept_
    else:
        ref_coef, ref_intercept = lbfgs_l1(X, y, np.ones(y.size), C, K,
                                           maxiter=4000)
    ref = objective(X, y, np.ones(y.size), ref_coef, ref_intercept, C)
    # the certificate: nothing beats the fit by more than its gap
    assert ref >= value - model.dual_gap_[0] - 64 * EPS * value
    assert abs(value - ref) <= 1e-8 * ref, (value, ref)


@pytest.mark.parametrize("grouped", [False, True])
def test_predict_proba_is_the_softmax(grouped):
    X, y = _dataset("wine")
    model = _fit(X, y, C=0.3, grouped=grouped, tol=1e-8)
    scores = X @ model.coef_.T + model.intercept_
    assert_allclose(model.decision_function(X), scores, rtol=1e-12, atol=1e-12)
    proba = model.predict_proba(X)
    assert_allclose(proba, softmax(scores, axis=1), rtol=1e-12, atol=1e-15)
    assert_allclose(model.predict_log_proba(X), np.log(proba), rtol=1e-12)
    assert_array_equal(model.predict(X), model.classes_[proba.argmax(axis=1)])
    # the same as scikit-learn's softmax on the same weights
    ref = LogisticRegression()
    ref.classes_, ref.coef_, ref.intercept_ = (model.classes_, model.coef_,
                                               model.intercept_)
    assert_allclose(proba, ref.predict_proba(X), rtol=1e-12)


def test_grouped_uses_each_feature_in_every_class_or_none():
    X, y = _dataset("wine")
    C = 0.05
    model = _fit(X, y, C=C, grouped=True)
    used = np.abs(model.coef_) > 0
    assert (used.all(axis=0) | ~used.any(axis=0)).all()
    assert 0 < used.any(axis=0).sum() < X.shape[1]
    ref = _reference(X, y, np.ones(y.size), C, 3, grouped=True)
    value = _value(model, X, y, grouped=True)
    best = objective(X, y, np.ones(y.size), *ref, C, True)
    assert value - model.dual_gap_[0] - 64 * EPS * value <= best
    assert abs(value - best) <= 1e-8 * best


def _small(seed=0, n=60, p=12, K=4):
    rng = np.random.default_rng([30, seed])
    X = rng.standard_normal((n, p))
    X[rng.random((n, p)) < 0.4] = 0.0
    y = np.argmax(X @ rng.standard_normal((p, K)) + rng.standard_normal((n, K)),
                  axis=1)
    y[:K] = np.arange(K)
    return X, y


@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize("tol", [1e-2, 1e-6])
def test_the_certificate_bounds_the_suboptimality_float32(grouped, tol):
    X, y = _small(1)
    X32 = X.astype(np.float32)
    s = np.random.default_rng(3).uniform(0.3, 2.0, y.size)
    model = _fit(X32, y, sample_weight=s, C=0.7, grouped=grouped, tol=tol)
    assert model.coef_.dtype == np.float64  # the weights it certifies
    X64 = X32.astype(np.float64)
    ref = _reference(X64, y, s, 0.7, 4, grouped)
    value = _value(model, X64, y, s, grouped)
    best = objective(X64, y, s, *ref, 0.7, grouped)
    gap = model.dual_gap_[0]
    assert value - gap - 64 * EPS * value <= best
    null = objective(X64, y, s, 0 * model.coef_, 0 * model.intercept_, 0.7)
    assert gap <= tol * null


@pytest.mark.parametrize("grouped", [False, True])
def test_integer_sample_weights_are_repetitions(grouped):
    X, y = _small(2)
    s = np.random.default_rng(4).integers(0, 4, y.size)
    s[:4] = 1
    rows = np.repeat(np.arange(y.size), s)
    weighted = _fit(X, y, sample_weight=s.astype(float), C=0.5, grouped=grouped)
    repeated = _fit(X[rows], y[rows], C=0.5, grouped=grouped)
    a = _value(weighted, X, y, s.astype(float), grouped)
    b = _value(repeated, X[rows], y[rows], grouped=grouped)
    assert abs(a - b) <= max(weighted.dual_gap_[0], repeated.dual_gap_[0]) + 1e-12 * a
    assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X),
                    atol=1e-6)


def test_class_weight_multiplies_the_sample_weights():
    X, y = _small(5)
    cw = {0: 0.5, 1: 2.0, 2: 1.0, 3: 3.0}
    base = np.random.default_rng(6).uniform(0.5, 1.5, y.size)
    by_class = _fit(X, y, sample_weight=base, C=0.4, class_weight=cw)
    by_sample = _fit(X, y, sample_weight=base * np.array([cw[k] for k in y]),
                     C=0.4)
    # the same problem, the same solve
    assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-12, atol=1e-14)
    assert_allclose(by_class.dual_gap_, by_sample.dual_gap_, rtol=1e-12,
                    atol=1e-14)
    balanced = _fit(X, y, C=0.4, class_weight="balanced")
    counts = np.bincount(y)
    sw = y.size / (4 * counts[y])
    value = _value(balanced, X, y, sw)
    ref = objective(X, y, sw, *_reference(X, y, sw, 0.4, 4), 0.4)
    assert value - balanced.dual_gap_[0] - 64 * EPS * value <= ref
    assert abs(value - ref) <= 1e-8 * ref


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_sparse_equals_dense(fit_intercept):
    X, y = _small(7)
    dense = _fit(X, y, C=0.8, fit_intercept=fit_intercept)
    for container in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix):
        model = _fit(container(X), y, C=0.8, fit_intercept=fit_intercept)
        a, b = _value(model, X, y), _value(dense, X, y)
        assert abs(a - b) <= max(model.dual_gap_[0], dense.dual_gap_[0]) + 1e-12 * a
        assert_allclose(model.coef_, dense.coef_, atol=1e-6)
    if not fit_intercept:
        assert not dense.intercept_.any()


def test_string_labels_and_one_vs_rest_stays_available():
    X, y = _dataset("iris")
    labels = np.array(["setosa", "versicolor", "virginica"])[y]
    model = _fit(X, labels, C=0.3)
    assert_array_equal(model.classes_, ["setosa", "versicolor", "virginica"])
    assert_allclose(_value(model, X, labels), _value(_fit(X, y, C=0.3), X, y),
                    rtol=1e-10)
    ovr = _fit(X, y, C=0.3, multi_class="ovr")
    assert ovr.dual_gap_.shape == (3,)
    for k in range(3):  # each row is the binary fit of its class
        binary = _fit(X, (y == k).astype(int), C=0.3)
        assert_allclose(ovr.coef_[k], binary.coef_[0], rtol=1e-7, atol=1e-9)
    p = 1.0 / (1.0 + np.exp(-ovr.decision_function(X)))
    assert_allclose(ovr.predict_proba(X), p / p.sum(axis=1, keepdims=True),
                    rtol=1e-12)
    # two classes: the binary model whatever multi_class
    two = y < 2
    a = _fit(X[two], y[two], C=0.3)
    b = _fit(X[two], y[two], C=0.3, multi_class="ovr", grouped=True)
    assert a.coef_.shape == (1, 4)
    assert_array_equal(a.coef_, b.coef_)


def test_warm_start_reaches_the_same_certified_model():
    X, y = _dataset("wine")
    model = BlitzLogisticL1(C=0.1, tol=1e-10, warm_start=True).fit(X, y)
    model.set_params(C=0.3).fit(X, y)
    cold = _fit(X, y, C=0.3, tol=1e-10)
    assert abs(_value(model, X, y) - _value(cold, X, y)) <= (
        model.dual_gap_[0] + cold.dual_gap_[0] + 1e-12 * _value(cold, X, y))


BAD = {
    "grouped-ovr": ({"grouped": True, "multi_class": "ovr"},
                    "grouped=True .* needs the multinomial model"),
    "l1-ratio": ({"l1_ratio": 1.5}, "l1_ratio"),
    "negative-weights": ({"penalty_weights": -np.ones(4)}, "non-negative"),
    "weights-length": ({"penalty_weights": np.ones(3)}, "shape"),
    "positive": ({"positive": True}, "does not support positive=True"),
    "bad-multi-class": ({"multi_class": "crammer_singer"}, "multi_class"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_is_named(case):
    X, y = _dataset("iris")
    params, match = BAD[case]
    with pytest.raises(ValueError, match=match):
        BlitzLogisticL1(**params).fit(X, y)


def test_a_gpu_fit_is_refused_with_a_clear_error():
    X, y = _dataset("iris")
    with stand_in_backend(), pytest.raises(ValueError, match="no GPU solver yet"):
        BlitzLogisticL1(device="cuda").fit(X, y)
    with stand_in_backend():  # one-vs-rest has the device problems
        model = BlitzLogisticL1(device="cuda", multi_class="ovr", tol=1e-8).fit(X, y)
    assert model.coef_.shape == (3, 4)
    with stand_in_backend(), pytest.raises(ValueError, match="no GPU solver yet"):
        blitz_logistic_l1_path(X, y, device="cuda", Cs=2)


@pytest.mark.parametrize("grouped", [False, True])
def test_the_path_is_the_estimators_fit_at_each_C(grouped):
    X, y = _dataset("wine")
    Cs, coefs, gaps, n_iter = blitz_logistic_l1_path(
        X, y, Cs=4, eps=1e-2, tol=1e-11, grouped=grouped, return_n_iter=True)
    assert coefs.shape == (4, 3, X.shape[1] + 1) and gaps.shape == (4,)
    assert not coefs[0, :, :-1].any()  # the grid starts at the null model
    assert coefs[1, :, :-1].any()
    for C, coef, gap in zip(Cs, coefs, gaps, strict=True):
        model = _fit(X, y, C=C, grouped=grouped, tol=1e-11)
        a = objective(X, y, np.ones(y.size), coef[:, :-1], coef[:, -1], C, grouped)
        b = _value(model, X, y, grouped=grouped)
        assert abs(a - b) <= gap + model.dual_gap_[0] + 1e-12 * b
    # the first C above the largest dual norm of the null model is nonzero
    assert np.isclose(Cs[0] * 100, Cs[-1])


def test_the_path_takes_a_multinomial_start_and_pos_class_is_binary():
    X, y = _dataset("iris")
    Cs, coefs, _ = blitz_logistic_l1_path(X, y, Cs=[0.1, 1.0], tol=1e-10)
    _, again, _ = blitz_logistic_l1_path(X, y, Cs=[1.0], tol=1e-10,
                                         coef_init=coefs[0])
    a = objective(X, y, np.ones(y.size), coefs[1, :, :-1], coefs[1, :, -1], 1.0)
    b = objective(X, y, np.ones(y.size), again[0, :, :-1], again[0, :, -1], 1.0)
    assert abs(a - b) <= 1e-9 * a
    _, binary, _ = blitz_logistic_l1_path(X, y, Cs=[1.0], pos_class=2)
    assert binary.shape == (1, 5)
    with pytest.raises(ValueError, match="coef_init has shape"):
        blitz_logistic_l1_path(X, y, Cs=[1.0], coef_init=np.zeros(5))
    with pytest.raises(ValueError, match="grouped=True applies"):
        blitz_logistic_l1_path(X, y, Cs=[1.0], pos_class=2, grouped=True)


def test_cv_fits_the_multinomial_model():
    X, y = _dataset("wine")
    cv = BlitzLogisticL1CV(Cs=4, cv=3, tol=1e-10).fit(X, y)
    assert cv.coef_.shape == (3, X.shape[1]) and cv.n_iter_.shape == (1, 3, 4)
    assert set(cv.coefs_paths_) == {0, 1, 2}
    assert cv.coefs_paths_[0].shape == (3, 4, X.shape[1] + 1)
    assert_array_equal(cv.dual_gaps_paths_[0], cv.dual_gaps_paths_[2])
    ref = _fit(X, y, C=cv.C_[0], tol=1e-10)
    assert abs(_value(cv, X, y) - _value(ref, X, y)) <= (
        cv.dual_gap_[0] + ref.dual_gap_[0] + 1e-12 * _value(ref, X, y))
    assert_allclose(cv.predict_proba(X), ref.predict_proba(X), atol=1e-6)


# -- elastic net and penalty weights --------------------------------------------
# saga at tol 1e-12 converges within 20000 epochs at these C (asserted)
ENET_CASES = [("iris", 0.3), ("wine", 0.05)]


@pytest.mark.parametrize("l1_ratio", [0.3, 0.7])
@pytest.mark.parametrize("name, C", ENET_CASES)
def test_enet_objective_matches_saga(name, C, l1_ratio):
    X, y = _dataset(name)
    model = _fit(X, y, C=C, l1_ratio=l1_ratio)
    value = _value(model, X, y, l1_ratio=l1_ratio)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        saga = LogisticRegression(l1_ratio=l1_ratio, solver="saga", C=C,
                                  tol=1e-12, max_iter=20000).fit(X, y)
    assert saga.n_iter_[0] < 20000  # saga converged: a valid reference
    ref = objective(X, y, np.ones(y.size), saga.coef_, saga.intercept_, C,
                    l1_ratio=l1_ratio)
    assert ref >= value - model.dual_gap_[0] - 64 * EPS * value
    assert abs(value - ref) <= 1e-8 * ref, (value, ref)


@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize("l1_ratio", [0.3, 0.7])
@pytest.mark.parametrize("C", [0.05, 0.5, 5.0])
def test_weighted_enet_matches_the_reference(grouped, l1_ratio, C):
    X, y = _small(4)
    s = np.random.default_rng(5).uniform(0.3, 2.0, y.size)
    v = np.random.default_rng(6).uniform(0.5, 2.0, X.shape[1])
    v[[1, 4]] = 0.0  # unpenalised features
    pen = dict(l1_ratio=l1_ratio, weights=v)
    model = _fit(X, y, sample_weight=s, C=C, grouped=grouped,
                 l1_ratio=l1_ratio, penalty_weights=v)
    value = _value(model, X, y, s, grouped, **pen)
    best = objective(X, y, s, *_reference(X, y, s, C, 4, grouped, **pen), C,
                     grouped, **pen)
    assert best >= value - model.dual_gap_[0] - 64 * EPS * value
    assert abs(value - best) <= 1e-8 * best, (value, best)
    assert model.coef_[:, [1, 4]].any()
    # sparse input: the same model
    sparse = _fit(sp.csr_matrix(X), y, sample_weight=s, C=C, grouped=grouped,
                  l1_ratio=l1_ratio, penalty_weights=v)
    assert abs(_value(sparse, X, y, s, grouped, **pen) - value) <= (
        sparse.dual_gap_[0] + model.dual_gap_[0] + 1e-12 * value)


@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize("tol", [1e-2, 1e-6])
def test_the_enet_certificate_bounds_the_suboptimality_float32(grouped, tol):
    X, y = _small(7)
    X32 = X.astype(np.float32)
    s = np.random.default_rng(8).uniform(0.3, 2.0, y.size)
    v = np.linspace(0.0, 2.0, X.shape[1])
    pen = dict(l1_ratio=0.6, weights=v)
    model = _fit(X32, y, sample_weight=s, C=0.7, grouped=grouped, tol=tol,
                 l1_ratio=0.6, penalty_weights=v)
    X64 = X32.astype(np.float64)
    value = _value(model, X64, y, s, grouped, **pen)
    best = objective(X64, y, s, *_reference(X64, y, s, 0.7, 4, grouped, **pen),
                     0.7, grouped, **pen)
    gap = model.dual_gap_[0]
    assert value - gap - 64 * EPS * value <= best
    null = objective(X64, y, s, 0 * model.coef_, 0 * model.intercept_, 0.7)
    assert gap <= tol * null


def test_enet_path_and_cv_fit_the_multinomial_model():
    X, y = _dataset("wine")
    v = np.ones(X.shape[1])
    v[0] = 0.0
    Cs, coefs, gaps = blitz_logistic_l1_path(X, y, Cs=3, eps=1e-2, tol=1e-11,
                                             l1_ratio=0.5, penalty_weights=v)
    assert coefs.shape == (3, 3, X.shape[1] + 1)
    pen = dict(l1_ratio=0.5, weights=v)
    for C, coef, gap in zip(Cs, coefs, gaps, strict=True):
        model = _fit(X, y, C=C, tol=1e-11, l1_ratio=0.5, penalty_weights=v)
        a = objective(X, y, np.ones(y.size), coef[:, :-1], coef[:, -1], C, **pen)
        b = _value(model, X, y, **pen)
        assert abs(a - b) <= gap + model.dual_gap_[0] + 1e-12 * b
    cv = BlitzLogisticL1CV(Cs=3, cv=3, l1_ratios=[0.5, 1.0], tol=1e-10,
                           penalty_weights=np.ones(X.shape[1])).fit(X, y)
    assert cv.coefs_paths_[0].shape == (3, 3, 2, X.shape[1] + 1)
    rho = cv.l1_ratio_[0]
    ref = _fit(X, y, C=cv.C_[0], tol=1e-10, l1_ratio=rho)
    assert abs(_value(cv, X, y, l1_ratio=rho) - _value(ref, X, y, l1_ratio=rho)) <= (
        cv.dual_gap_[0] + ref.dual_gap_[0] + 1e-12 * _value(ref, X, y, l1_ratio=rho))
