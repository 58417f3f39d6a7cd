# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""BlitzLogisticL1: the optimum, a valid certificate, the scikit-learn API.

The reference optimum comes from ``_logistic_reference.reference_solution``:
Newton's method on the support of a hint (the fit under test), extended until
the KKT conditions hold on every feature, and accepted only with an
independently computed duality gap below 1e-12 relative.  That reference is
itself checked against scikit-learn's saga and liblinear and against SciPy's
L-BFGS-B.  Objectives are recomputed in NumPy, never taken from a solver.
"""

import functools
import logging
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import load_classification_dataset, make_binary_data
from _logistic_reference import (
    ReferenceL1Logistic,
    c_min,
    certificate,
    lbfgs_solution,
    logistic_objective,
    null_intercept,
    null_objective,
    reference_solution,
    signed_labels,
)
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from blitzlearn import BlitzLogisticL1

FACTORS = (10, 100, 1000)  # C = C_min * factor
# Relative accuracy of the reference (its own certified gap) ...
REFERENCE_RTOL = 1e-12
# ... and of BlitzLogisticL1's objective against it.
RTOL_OBJECTIVE = 1e-8
# The fits' tolerance (gap <= TOL * C * P_null) and budget.  Every real-data
# fit converges within 25 outer iterations of at most 200 epochs (measured at
# 3f752ea); the budget makes a solver that stalls fail in seconds, not hours.
TOL = 1e-12
MAX_ITER = 50
MAX_EPOCHS = 200

INTERCEPT = pytest.mark.parametrize("fit_intercept", [True, False],
                                    ids=["icpt", "noicpt"])
SPARSE = pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])

REAL_SETS = ("breast_cancer", "leukemia", "colon-cancer", "a9a")
REAL_CASES = [
    pytest.param(name, factor, fit_intercept,
                 id=f"{name}-Cminx{factor}-{'icpt' if fit_intercept else 'noicpt'}")
    for name in REAL_SETS
    for factor in FACTORS
    for fit_intercept in (True, False)
]


def _fit_quietly(est, X, y, **fit_params):
    """Fit ``est``; return it with the ConvergenceWarning messages it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        est.fit(X, y, **fit_params)
    messages = [str(w.message) for w in caught
                if issubclass(w.category, ConvergenceWarning)]
    return est, messages


def _slack(p_ref):
    """Rounding allowance of two objective evaluations near ``p_ref``."""
    return 1e-13 * abs(p_ref)


@functools.cache
def _real_case(name, factor, fit_intercept):
    """The fit and the reference of one real-data case (once per session)."""
    X, y = load_classification_dataset(name)
    C = c_min(X, y, fit_intercept) * factor
    model, messages = _fit_quietly(
        BlitzLogisticL1(C=C, tol=TOL, max_iter=MAX_ITER, max_epochs=MAX_EPOCHS,
                        fit_intercept=fit_intercept), X, y)
    coef, intercept, cert = reference_solution(
        X, y, C, fit_intercept, hint=(model.coef_[0], model.intercept_[0]),
        rtol=REFERENCE_RTOL)
    return {
        "C": C,
        "tol": TOL,
        "model": model,
        "warnings": messages,
        "p_ours": logistic_objective(X, y, model.coef_[0], model.intercept_[0], C),
        "p_ref": cert.primal,
        "ref_coef": coef,
        "ref_intercept": intercept,
        "ref_cert": cert,
        "null": null_objective(y, C, fit_intercept),
    }


# -- the reference itself -------------------------------------------------------


@pytest.mark.parametrize("name, factor, fit_intercept", REAL_CASES)
def test_reference_is_certified(name, factor, fit_intercept):
    ref = _real_case(name, factor, fit_intercept)
    cert = ref["ref_cert"]
    assert -_slack(cert.primal) <= cert.gap <= REFERENCE_RTOL * cert.primal, cert
    assert cert.off_support <= 1.0 + 1e-9, cert  # |C x_j^T r| <= 1 off support
    assert cert.on_support <= 1e-8, cert  # C x_j^T r = sign(w_j) on it
    assert cert.intercept <= 1e-12, cert  # sum r = 0
    assert np.count_nonzero(ref["ref_coef"]) > 0


def _saga(X, y, C, fit_intercept):
    model = LogisticRegression(l1_ratio=1.0, solver="saga", C=C, tol=1e-8,
                               max_iter=100_000, fit_intercept=fit_intercept)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return model.coef_[0], (model.intercept_[0] if fit_intercept else 0.0)


def _liblinear(X, y, C, fit_intercept):
    # liblinear penalises its intercept: the same objective only without one
    assert not fit_intercept
    model = LogisticRegression(l1_ratio=1.0, solver="liblinear", C=C, tol=1e-10,
                               max_iter=100_000, fit_intercept=False)
    return model.fit(X, y).coef_[0], 0.0


CROSS_CHECKS = (
    # saga is fast enough on breast_cancer below C_min * 1000 only
    [("saga", "breast_cancer", f, True) for f in (10, 100)]
    + [("liblinear", name, f, False)
       for name in ("breast_cancer", "leukemia", "colon-cancer") for f in FACTORS]
    # L-BFGS-B takes 5-15 s per colon-cancer case: one C there
    + [("lbfgs", "breast_cancer", f, fi) for f in FACTORS for fi in (True, False)]
    + [("lbfgs", "colon-cancer", 10, fi) for fi in (True, False)]
)


@pytest.mark.parametrize(
    "solver, name, factor, fit_intercept", CROSS_CHECKS,
    ids=[f"{s}-{n}-Cminx{f}-{'icpt' if fi else 'noicpt'}"
         for s, n, f, fi in CROSS_CHECKS])
def test_reference_agrees_with_other_solvers(solver, name, factor, fit_intercept):
    # The reference run without a hint (its own active-set path from w = 0)
    # against solvers that share no code with it.
    X, y = load_classification_dataset(name)
    C = c_min(X, y, fit_intercept) * factor
    coef, intercept, cert = reference_solution(X, y, C, fit_intercept)
    other = {"saga": _saga, "liblinear": _liblinear, "lbfgs": lbfgs_solution}
    coef_o, intercept_o = other[solver](X, y, C, fit_intercept)
    p_other = logistic_objective(X, y, coef_o, intercept_o, C)
    p_ref = cert.primal
    # the reference is optimal: no feasible point does better, and its dual
    # value is a true lower bound on every feasible objective
    assert p_ref <= p_other + _slack(p_ref), (p_ref, p_other)
    assert cert.dual <= p_other + _slack(p_ref), (cert.dual, p_other)
    # the other solver, stopped at a moderate tolerance, is close
    assert p_other - p_ref <= 1e-6 * p_ref, (p_other - p_ref) / p_ref
    # and so is the hinted reference of the fit under test
    assert abs(_real_case(name, factor, fit_intercept)["p_ref"] - p_ref) <= (
        _slack(p_ref))


# -- optimum and certificate on real data ----------------------------------------


@pytest.mark.parametrize("name, factor, fit_intercept", REAL_CASES)
def test_objective_matches_reference(name, factor, fit_intercept):
    ref = _real_case(name, factor, fit_intercept)
    p_ours, p_ref = ref["p_ours"], ref["p_ref"]
    model = ref["model"]
    assert abs(p_ours - p_ref) <= RTOL_OBJECTIVE * p_ref, (
        f"BlitzLogisticL1 objective {p_ours!r} (dual_gap_ {model.dual_gap_}, "
        f"n_iter_ {model.n_iter_}, warnings {ref['warnings']}) vs reference "
        f"{p_ref!r}: relative difference {(p_ours - p_ref) / p_ref:.2e}")
    assert np.count_nonzero(model.coef_) > 0


@pytest.mark.parametrize("name, factor, fit_intercept", REAL_CASES)
def test_gap_bounds_suboptimality_and_meets_tol(name, factor, fit_intercept):
    ref = _real_case(name, factor, fit_intercept)
    model = ref["model"]
    gap = float(model.dual_gap_[0])
    # P_ref is the objective of a feasible point, hence >= the minimum:
    # P_ours - P_ref <= P_ours - P* <= dual_gap_ for a valid certificate
    assert gap >= 0.0
    assert ref["p_ours"] - ref["p_ref"] <= gap + _slack(ref["p_ref"]), (
        f"P_ours - P_ref = {ref['p_ours'] - ref['p_ref']:.3e} exceeds the "
        f"certificate dual_gap_ = {gap:.3e}")
    # the documented stop rule: gap <= tol * C * P_null
    assert not ref["warnings"], ref["warnings"]
    bound = ref["tol"] * ref["null"]
    assert gap <= bound, (f"dual_gap_ {gap:.3e} above tol * C * P_null "
                          f"{bound:.3e} after {model.n_iter_} iterations")
    assert model.dual_gap_.shape == (1,) and model.n_iter_.shape == (1,)


@pytest.mark.parametrize("tol", [1e-2, 1e-4])
@pytest.mark.parametrize("factor", FACTORS)
@pytest.mark.parametrize("name", REAL_SETS)
def test_loose_gap_bounds_true_suboptimality(name, factor, tol):
    """At a loose tol the suboptimality is measurable against the reference."""
    ref = _real_case(name, factor, True)
    X, y = load_classification_dataset(name)
    C = ref["C"]
    model, messages = _fit_quietly(BlitzLogisticL1(C=C, tol=tol), X, y)
    assert not messages
    p = logistic_objective(X, y, model.coef_[0], model.intercept_[0], C)
    gap = float(model.dual_gap_[0])
    assert 0.0 <= gap <= tol * ref["null"]
    assert p - ref["p_ref"] <= gap + _slack(ref["p_ref"]), (p - ref["p_ref"], gap)
    # and the loose fit does not beat the reference (which would not be optimal)
    assert p >= ref["p_ref"] - _slack(ref["p_ref"])


@INTERCEPT
@pytest.mark.parametrize("name", REAL_SETS)
def test_c_min_separates_zero_from_nonzero(name, fit_intercept):
    X, y = load_classification_dataset(name)
    cm = c_min(X, y, fit_intercept)
    below = BlitzLogisticL1(C=cm * (1 - 1e-3), tol=TOL,
                            fit_intercept=fit_intercept).fit(X, y)
    assert_array_equal(below.coef_, np.zeros((1, X.shape[1])))
    # w = 0 with the null model's intercept log(n+ / n-)
    assert below.intercept_[0] == pytest.approx(
        null_intercept(y, fit_intercept), rel=1e-10, abs=1e-12)
    C = cm * (1 + 1e-3)
    tol = 1e-9
    above, messages = _fit_quietly(
        BlitzLogisticL1(C=C, tol=tol, max_iter=MAX_ITER, max_epochs=MAX_EPOCHS,
                        fit_intercept=fit_intercept), X, y)
    assert not messages
    # the null model is measurably suboptimal at this C (by more than the
    # tolerance: ~2e-7 C P_null here), so a converged fit cannot return it
    coef, _, cert = reference_solution(X, y, C, fit_intercept)
    p_null = logistic_objective(X, y, np.zeros(X.shape[1]),
                                null_intercept(y, fit_intercept), C)
    assert p_null - cert.primal > 10 * tol * null_objective(y, C, fit_intercept)
    assert np.count_nonzero(above.coef_) > 0, above.dual_gap_
    # the feature that enters first is the one of the largest |x_j^T r0|,
    # as in the reference (run from w = 0)
    assert_array_equal(np.flatnonzero(above.coef_[0]), np.flatnonzero(coef))


# -- input representations ------------------------------------------------------

@INTERCEPT
@SPARSE
@pytest.mark.parametrize("form", ["gram", "gram-one-row-blocks", "columns"])
def test_newton_model_forms_reach_the_same_optimum(monkeypatch, form, sparse,
                                                   fit_intercept):
    # the working-set Newton model solved in Gram form (its matrix built from
    # blocks of rows of X, down to one row per block) or in column form
    # reaches the reference optimum, with sample weights
    import blitzlearn._problems._gram as gram_module
    import blitzlearn._problems._logistic as logistic_problem
    from blitzlearn._problems._logistic import LogisticProblem

    X, y = make_binary_data(120, 40, sparse=sparse, random_state=3)
    X = sp.csc_matrix(X) if sparse else np.asfortranarray(X)
    sw = np.random.default_rng(3).uniform(0.5, 2.0, y.size)
    C = c_min(X, y, fit_intercept, sw) * 30
    if form == "columns":  # no Gram matrix fits
        monkeypatch.setattr(gram_module, "GRAM_MEMORY_SHARE", 0.0)
        monkeypatch.setattr(gram_module, "GRAM_MIN_ENTRIES", 0)
    else:  # the Gram form whenever its matrix fits
        monkeypatch.setattr(logistic_problem, "GRAM_PASSES", 1e12)  # build is free
        if form == "gram-one-row-blocks":
            monkeypatch.setattr(gram_module, "GRAM_BLOCK_SHARE", 0.0)
            monkeypatch.setattr(gram_module, "GRAM_MIN_BLOCK_BYTES", 1)
    calls = []
    monkeypatch.setattr(LogisticProblem, "_solve_gram", _counting(
        LogisticProblem._solve_gram, calls))
    model = BlitzLogisticL1(C=C, tol=1e-12, fit_intercept=fit_intercept).fit(
        X, y, sample_weight=sw)
    assert (len(calls) > 0) == (form != "columns")
    coef, intercept, cert = reference_solution(
        X, y, C, fit_intercept, hint=(model.coef_[0], model.intercept_[0]),
        rtol=REFERENCE_RTOL, sample_weight=sw)
    p = logistic_objective(X, y, model.coef_[0], model.intercept_[0], C, sw)
    assert abs(p - cert.primal) <= 1e-10 * cert.primal
    assert np.count_nonzero(model.coef_) > 1


def _counting(method, calls):
    def wrapped(self, *args, **kwargs):
        calls.append(1)
        return method(self, *args, **kwargs)
    return wrapped


@INTERCEPT
def test_a9a_dense_copy_gives_the_same_model(fit_intercept):
    X, y = load_classification_dataset("a9a")
    C = c_min(X, y, fit_intercept) * 100
    params = dict(C=C, tol=1e-8, fit_intercept=fit_intercept)
    sparse = BlitzLogisticL1(**params).fit(X, y)
    dense = BlitzLogisticL1(**params).fit(X.toarray(), y)
    p_ref = _real_case("a9a", 100, fit_intercept)["p_ref"]
    for model in (sparse, dense):
        p = logistic_objective(X, y, model.coef_[0], model.intercept_[0], C)
        assert 0.0 <= model.dual_gap_[0] <= 1e-8 * null_objective(y, C, fit_intercept)
        assert p - p_ref <= model.dual_gap_[0] + _slack(p_ref)
        assert p - p_ref >= -_slack(p_ref)
    # a9a's optimum need not be unique (collinear one-hot columns): compare
    # the scores, which are unique (the loss is strictly convex in them)
    assert_allclose(sparse.decision_function(X), dense.decision_function(X),
                    rtol=1e-4, atol=1e-4)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@SPARSE
@INTERCEPT
@pytest.mark.parametrize("data", ["random", "breast_cancer"])
def test_float32_matches_float64(data, sparse, fit_intercept):
    if data == "random":
        X, y = make_binary_data(100, 30, sparse=sparse, random_state=3)
    else:
        X, y = load_classification_dataset("breast_cancer")
        X = sp.csc_matrix(X) if sparse else X
    X32 = X.astype(np.float32)
    X64 = X32.astype(np.float64)  # the same rounded data on both sides
    C = c_min(X64, y, fit_intercept) * 30
    params = dict(C=C, tol=1e-10, fit_intercept=fit_intercept)
    m32 = BlitzLogisticL1(**params).fit(X32, y)
    m64 = BlitzLogisticL1(**params).fit(X64, y)
    # float64 weights whatever X's dtype (as liblinear's): the certified ones
    assert m32.coef_.dtype == np.float64 and m32.intercept_.dtype == np.float64
    assert m64.coef_.dtype == np.float64 and m64.intercept_.dtype == np.float64
    p32 = logistic_objective(X64, y, m32.coef_[0], m32.intercept_[0], C)
    p64 = logistic_objective(X64, y, m64.coef_[0], m64.intercept_[0], C)
    assert abs(p32 - p64) <= 1e-5 * p64
    scale = np.abs(m64.coef_).max()
    assert_allclose(m32.coef_, m64.coef_, rtol=1e-3, atol=1e-3 * scale)


# -- sample weights and class weights --------------------------------------------


@SPARSE
@INTERCEPT
def test_integer_weights_equal_repeated_rows(sparse, fit_intercept):
    X, y = make_binary_data(50, 25, sparse=sparse, random_state=5)
    rng = np.random.default_rng(5)
    sw = rng.integers(0, 4, size=X.shape[0])  # zeros drop rows
    sw[:2] = 2  # both classes keep a positive weight
    rows = np.repeat(np.arange(X.shape[0]), sw)
    X_rep = X.tocsr()[rows].tocsc() if sparse else X[rows]
    y_rep = y[rows]
    C = c_min(X_rep, y_rep, fit_intercept) * 20
    params = dict(C=C, tol=1e-12, fit_intercept=fit_intercept)
    weighted = BlitzLogisticL1(**params).fit(X, y, sample_weight=sw)
    repeated = BlitzLogisticL1(**params).fit(X_rep, y_rep)
    assert np.count_nonzero(repeated.coef_) > 0
    # the two objectives are one function: equal at both solutions
    p_w = logistic_objective(X, y, weighted.coef_[0], weighted.intercept_[0], C, sw)
    p_r = logistic_objective(X_rep, y_rep, repeated.coef_[0],
                             repeated.intercept_[0], C)
    p_w_on_rep = logistic_objective(X_rep, y_rep, weighted.coef_[0],
                                    weighted.intercept_[0], C)
    assert abs(p_w - p_w_on_rep) <= 1e-12 * p_r
    assert abs(p_w - p_r) <= 1e-10 * p_r
    assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-6, atol=1e-8)
    assert_allclose(weighted.intercept_, repeated.intercept_, rtol=1e-6, atol=1e-8)


@INTERCEPT
def test_weighted_fit_matches_reference(fit_intercept):
    X, y = make_binary_data(70, 40, random_state=7)
    sw = np.random.default_rng(7).uniform(0.0, 4.0, size=X.shape[0])
    C = c_min(X, y, fit_intercept, sw) * 50
    model = BlitzLogisticL1(C=C, tol=1e-12, fit_intercept=fit_intercept).fit(
        X, y, sample_weight=sw)
    _, _, cert = reference_solution(X, y, C, fit_intercept, sw,
                                    hint=(model.coef_[0], model.intercept_[0]))
    p = logistic_objective(X, y, model.coef_[0], model.intercept_[0], C, sw)
    assert cert.gap <= REFERENCE_RTOL * cert.primal
    assert abs(p - cert.primal) <= RTOL_OBJECTIVE * cert.primal
    assert p - cert.primal <= model.dual_gap_[0] + _slack(cert.primal)
    assert model.dual_gap_[0] <= 1e-12 * null_objective(y, C, fit_intercept, sw)


def test_weights_are_not_rescaled():
    # the objective multiplies the loss by the weights as they are: doubling
    # every weight is the same as doubling C
    X, y = make_binary_data(50, 20, random_state=6)
    C = c_min(X, y) * 10
    doubled = BlitzLogisticL1(C=C, tol=1e-12).fit(X, y, sample_weight=np.full(50, 2.0))
    twice_c = BlitzLogisticL1(C=2 * C, tol=1e-12).fit(X, y)
    plain = BlitzLogisticL1(C=C, tol=1e-12).fit(X, y)
    assert_allclose(doubled.coef_, twice_c.coef_, rtol=1e-8, atol=1e-10)
    assert np.abs(doubled.coef_ - plain.coef_).max() > 1e-3


def _labels_and_data(kind):
    """Standardised breast_cancer, or iris with unbalanced classes (50/35/20)."""
    if kind == "binary":
        X, y = load_breast_cancer(return_X_y=True)
    else:
        X, y = load_iris(return_X_y=True)
        keep = np.r_[0:50, 50:85, 100:120]
        X, y = X[keep], y[keep]
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("kind", ["binary", "multiclass"])
@pytest.mark.parametrize("class_weight", ["balanced", "dict"])
def test_class_weight_equals_sample_weight(kind, class_weight):
    X, y = _labels_and_data(kind)
    classes, counts = np.unique(y, return_counts=True)
    if class_weight == "balanced":
        per_class = y.shape[0] / (classes.size * counts)
        cw = "balanced"
    else:
        per_class = np.linspace(0.5, 3.0, classes.size)
        cw = dict(zip(classes.tolist(), per_class.tolist(), strict=True))
    sw = per_class[np.searchsorted(classes, y)]
    base = np.random.default_rng(8).uniform(0.5, 2.0, y.shape[0])
    params = dict(C=0.5, tol=1e-9, multi_class="ovr")  # binary references
    by_class = BlitzLogisticL1(class_weight=cw, **params).fit(X, y)
    by_sample = BlitzLogisticL1(**params).fit(X, y, sample_weight=sw)
    assert_allclose(by_class.coef_, by_sample.coef_, rtol=1e-9, atol=1e-12)
    assert_allclose(by_class.intercept_, by_sample.intercept_, rtol=1e-9,
                    atol=1e-12)
    # class weights multiply the sample weights
    both = BlitzLogisticL1(class_weight=cw, **params).fit(X, y, sample_weight=base)
    product = BlitzLogisticL1(**params).fit(X, y, sample_weight=base * sw)
    assert_allclose(both.coef_, product.coef_, rtol=1e-9, atol=1e-12)
    # and the weighted optimum is the reference's (first binary problem)
    labels = signed_labels(y, classes[1] if kind == "binary" else classes[0])
    _, _, cert = reference_solution(X, labels, 0.5, True, sw,
                                    hint=(by_class.coef_[0],
                                          by_class.intercept_[0]))
    p = logistic_objective(X, labels, by_class.coef_[0], by_class.intercept_[0],
                           0.5, sw)
    assert abs(p - cert.primal) <= RTOL_OBJECTIVE * cert.primal
    # the weights matter: the unweighted fit differs
    plain = BlitzLogisticL1(**params).fit(X, y)
    assert np.abs(plain.coef_ - by_class.coef_).max() > 1e-3


# -- special solutions, warm start, options -------------------------------------


@SPARSE
@INTERCEPT
def test_warm_start_from_the_solution_is_no_slower(sparse, fit_intercept):
    X, y = make_binary_data(60, 100, sparse=sparse, random_state=9)
    C = c_min(X, y, fit_intercept) * 50
    model = BlitzLogisticL1(C=C, tol=1e-10, fit_intercept=fit_intercept)
    model.fit(X, y)
    cold_iter = model.n_iter_.copy()
    p_cold = logistic_objective(X, y, model.coef_[0], model.intercept_[0], C)
    assert cold_iter[0] > 1
    model.set_params(warm_start=True).fit(X, y)
    assert model.n_iter_[0] <= cold_iter[0]
    p_warm = logistic_objective(X, y, model.coef_[0], model.intercept_[0], C)
    assert abs(p_warm - p_cold) <= 1e-10 * null_objective(y, C, fit_intercept)


@INTERCEPT
def test_warm_start_along_a_path_reaches_the_cold_solutions(fit_intercept):
    X, y = make_binary_data(60, 100, random_state=10)
    cm = c_min(X, y, fit_intercept)
    warm = BlitzLogisticL1(tol=1e-10, warm_start=True, fit_intercept=fit_intercept)
    total_warm = total_cold = 0
    for C in cm * np.geomspace(2, 200, 5):
        warm.set_params(C=C).fit(X, y)
        cold = BlitzLogisticL1(C=C, tol=1e-10, fit_intercept=fit_intercept).fit(X, y)
        p_warm = logistic_objective(X, y, warm.coef_[0], warm.intercept_[0], C)
        p_cold = logistic_objective(X, y, cold.coef_[0], cold.intercept_[0], C)
        assert abs(p_warm - p_cold) <= (warm.dual_gap_[0] + cold.dual_gap_[0]
                                        + _slack(p_cold))
        total_warm += warm.n_iter_[0]
        total_cold += cold.n_iter_[0]
    assert total_warm <= total_cold


def test_warm_start_multiclass_reaches_the_cold_solution():
    X, y = _labels_and_data("multiclass")
    model = BlitzLogisticL1(C=0.5, tol=1e-10).fit(X, y)
    cold_iter = model.n_iter_.copy()
    coef = model.coef_.copy()
    model.set_params(warm_start=True).fit(X, y)
    assert np.all(model.n_iter_ <= cold_iter)
    assert_allclose(model.coef_, coef, rtol=1e-5, atol=1e-7)


@SPARSE
def test_no_intercept_gives_zero_intercept(sparse):
    X, y = make_binary_data(50, 20, sparse=sparse, random_state=11)
    model = BlitzLogisticL1(C=1.0, fit_intercept=False).fit(X, y)
    assert model.intercept_.shape == (1,)
    assert_array_equal(model.intercept_, 0.0)
    assert_allclose(model.decision_function(X), X @ model.coef_[0])
    X3, y3 = _labels_and_data("multiclass")
    multi = BlitzLogisticL1(C=1.0, fit_intercept=False).fit(X3, y3)
    assert multi.intercept_.shape == (3,)
    assert_array_equal(multi.intercept_, 0.0)


# -- scikit-learn integration ----------------------------------------------------


def test_binary_attributes_and_predictions():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    model = BlitzLogisticL1(C=0.1).fit(X, y)
    assert_array_equal(model.classes_, [0, 1])
    assert model.coef_.shape == (1, 30) and model.intercept_.shape == (1,)
    assert model.n_features_in_ == 30 and model.device_ == "cpu"
    scores = X @ model.coef_[0] + model.intercept_[0]
    assert_allclose(model.decision_function(X), scores, rtol=1e-12, atol=1e-12)
    assert_array_equal(model.predict(X), (scores > 0).astype(int))
    proba = model.predict_proba(X)
    assert_allclose(proba[:, 1], expit(scores), rtol=1e-12)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert_allclose(model.predict_log_proba(X), np.log(proba), rtol=1e-12)
    assert model.score(X, y) > 0.95


@pytest.fixture(scope="module")
def digits_fit():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    return X, y, BlitzLogisticL1(C=0.1, tol=1e-8, multi_class="ovr").fit(X, y)


def test_multiclass_digits_predictions(digits_fit):
    X, y, model = digits_fit
    assert_array_equal(model.classes_, np.arange(10))
    assert model.coef_.shape == (10, 64) and model.intercept_.shape == (10,)
    assert model.dual_gap_.shape == (10,) and model.n_iter_.shape == (10,)
    assert model.score(X, y) > 0.9
    scores = model.decision_function(X)
    assert_allclose(scores, X @ model.coef_.T + model.intercept_, rtol=1e-12,
                    atol=1e-12)
    assert_array_equal(model.predict(X), model.classes_[np.argmax(scores, axis=1)])
    proba = model.predict_proba(X)
    assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    # one-vs-rest probabilities, normalised
    p = expit(scores)
    assert_allclose(proba, p / p.sum(axis=1, keepdims=True), rtol=1e-12)


@pytest.mark.parametrize("k", range(10))
def test_multiclass_rows_are_the_binary_one_vs_rest_fits(digits_fit, k):
    X, y, model = digits_fit
    binary = BlitzLogisticL1(C=0.1, tol=1e-8).fit(X, y == k)
    assert_array_equal(binary.classes_, [False, True])
    assert_allclose(model.coef_[k], binary.coef_[0], rtol=1e-8, atol=1e-10)
    assert_allclose(model.intercept_[k], binary.intercept_[0], rtol=1e-8)
    # and the row is that binary problem's optimum
    labels = signed_labels(y, k)
    _, _, cert = reference_solution(X, labels, 0.1, True,
                                    hint=(model.coef_[k], model.intercept_[k]))
    p = logistic_objective(X, labels, model.coef_[k], model.intercept_[k], 0.1)
    assert abs(p - cert.primal) <= RTOL_OBJECTIVE * cert.primal
    assert p - cert.primal <= model.dual_gap_[k] + _slack(cert.primal)


def test_string_labels():
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    names = np.array(["malignant", "benign"])[y]  # sklearn's coding: 0 = malignant
    numeric = BlitzLogisticL1(C=0.1, tol=1e-12).fit(X, y)
    text = BlitzLogisticL1(C=0.1, tol=1e-12).fit(X, names)
    assert_array_equal(text.classes_, ["benign", "malignant"])
    # classes_[1] is the positive class: "malignant" here, 1 ("benign") there
    assert_allclose(text.coef_, -numeric.coef_, rtol=1e-9, atol=1e-12)
    assert_allclose(text.intercept_, -numeric.intercept_, rtol=1e-9)
    assert_array_equal(text.predict(X), np.array(["malignant", "benign"])[
        numeric.predict(X)])
    # multiclass strings
    X3, y3 = _labels_and_data("multiclass")
    words = np.array(["setosa", "versicolor", "virginica"])[y3]
    model = BlitzLogisticL1(C=1.0).fit(X3, words)
    assert_array_equal(model.classes_, ["setosa", "versicolor", "virginica"])
    assert set(model.predict(X3)) <= set(model.classes_)
    assert model.score(X3, words) > 0.9


def test_grid_search_in_a_pipeline_picks_the_reference_c():
    X, y = load_breast_cancer(return_X_y=True)
    grid = {"clf__C": [1e-3, 1e-2, 1e-1, 1.0, 10.0]}
    cv = StratifiedKFold(n_splits=3, shuffle=True, random_state=0)

    def search(clf):
        pipe = Pipeline([("scale", StandardScaler()), ("clf", clf)])
        return GridSearchCV(pipe, grid, cv=cv, scoring="neg_log_loss").fit(X, y)

    ours = search(BlitzLogisticL1(tol=1e-9))
    ref = search(ReferenceL1Logistic())
    assert ours.best_params_ == ref.best_params_
    assert_allclose(ours.cv_results_["mean_test_score"],
                    ref.cv_results_["mean_test_score"], rtol=1e-6)
    assert isinstance(ours.best_estimator_[-1], BlitzLogisticL1)
    # sensible: better than the smallest C (below C_min ~ 5e-3: the null
    # model) by a margin, and not at the grid's edge
    scores = ours.cv_results_["mean_test_score"]
    assert ours.best_params_["clf__C"] not in (1e-3, 10.0)
    assert ours.best_score_ > scores[0] + 0.1
    assert ours.best_estimator_.score(X, y) > 0.95


# -- invalid input ----------------------------------------------------------------


def _with(array, index, value):
    out = np.array(array, dtype=np.float64, copy=True)
    out[index] = value
    return out


X_OK, Y_OK = make_binary_data(20, 5, random_state=17)

BAD_FITS = {
    "one-class": (lambda: (X_OK, np.ones(20), {}),
                  ValueError, r"at least 2 classes.*only one class"),
    "continuous-y": (lambda: (X_OK, np.linspace(0.0, 1.0, 20), {}),
                     ValueError, r"Unknown label type"),
    "zero-weight-class": (lambda: (X_OK, Y_OK, {"sample_weight": np.where(
                              Y_OK > 0, 0.0, 1.0)}),
                          ValueError, r"zero total sample weight"),
    "zero-weight-class-ovr": (lambda: (X_OK, np.arange(20) % 3, {
                                  "sample_weight": (np.arange(20) % 3 != 2) * 1.0}),
                              ValueError, r"class .*2.* zero total sample weight"),
    "negative-weight": (lambda: (X_OK, Y_OK, {"sample_weight": _with(
                            np.ones(20), 3, -1.0)}),
                        ValueError, r"[Nn]egative values.*sample_weight"),
}


@pytest.mark.parametrize("case", list(BAD_FITS))
def test_bad_input_raises(case):
    make, error, pattern = BAD_FITS[case]
    X, y, fit_params = make()
    with pytest.raises(error, match=pattern):
        BlitzLogisticL1().fit(X, y, **fit_params)


@pytest.mark.parametrize("C", [0.0, -1.0])
def test_non_positive_c_raises(C):
    with pytest.raises(ValueError, match=r"'C' parameter.*range \(0"):
        BlitzLogisticL1(C=C).fit(X_OK, Y_OK)


def test_verbose_logs_to_the_blitzlearn_logger(caplog):
    X, y = make_binary_data(50, 80, random_state=13)
    C = c_min(X, y) * 50
    with caplog.at_level(logging.INFO, logger="blitzlearn"):
        BlitzLogisticL1(C=C, tol=1e-10).fit(X, y)
    assert not [r for r in caplog.records if r.name.startswith("blitzlearn")]
    with caplog.at_level(logging.INFO, logger="blitzlearn"):
        model = BlitzLogisticL1(C=C, tol=1e-10, verbose=1).fit(X, y)
    records = [r for r in caplog.records if r.name.startswith("blitzlearn")]
    assert records
    assert all(r.levelno == logging.INFO for r in records)
    assert any("gap" in r.getMessage() for r in records)
    # one per outer iteration, then the final certificate
    assert len(records) == model.n_iter_[0] + 1


def test_certificate_helper_bounds_the_suboptimality_of_a_loose_fit():
    # The test suite's own certificate (used to accept the reference) is a
    # valid bound away from the optimum too, as is the fit's dual_gap_.
    X, y = make_binary_data(80, 60, random_state=14)
    C = c_min(X, y) * 30
    model = BlitzLogisticL1(C=C, tol=1e-4).fit(X, y)
    cert = certificate(X, y, model.coef_[0], model.intercept_[0], C)
    _, _, ref = reference_solution(X, y, C, hint=(model.coef_[0],
                                                  model.intercept_[0]))
    # both certificates bound the same true suboptimality
    true_gap = cert.primal - ref.primal
    assert -_slack(ref.primal) <= true_gap <= model.dual_gap_[0] + _slack(ref.primal)
    assert true_gap <= cert.gap + _slack(ref.primal)
    assert cert.gap > 1e3 * ref.gap  # the loose point is certified as such


def test_classification_loader_skips_only_without_the_folder(monkeypatch, tmp_path):
    import _helpers

    monkeypatch.setattr(_helpers, "DATASETS", tmp_path / "absent")
    for name in ("a9a", "leukemia"):
        with pytest.raises(pytest.skip.Exception,
                           match=r"^\.\./shared/datasets not found"):
            _helpers.load_classification_dataset(name)
    # the folder exists but the file does not: an error, not a skip
    monkeypatch.setattr(_helpers, "DATASETS", tmp_path)
    with pytest.raises(FileNotFoundError):
        _helpers._load_sparse_libsvm.__wrapped__("a9a")
    # the bundled set never needs the folder
    monkeypatch.setattr(_helpers, "DATASETS", tmp_path / "absent")
    X, y = _helpers.load_classification_dataset("breast_cancer")
    assert X.shape == (569, 30) and set(np.unique(y)) == {-1.0, 1.0}


def test_a9a_loads_as_read_only_csc():
    X, y = load_classification_dataset("a9a")
    assert sp.issparse(X) and X.format == "csc" and X.has_sorted_indices
    assert X.shape == (32561, 123) and X.dtype == np.float64
    assert not X.data.flags.writeable
    assert set(np.unique(y)) == {-1.0, 1.0}


@pytest.mark.parametrize("k_pos, k_neg", [(1.0, 1.0), (0.3, 0.3), (1.0, 0.7),
                                          (0.6, 1.0), (0.0, 0.5), (0.25, 0.0)])
def test_residual_dual_equals_the_dual_of_the_scaled_residual(k_pos, k_neg):
    from blitzlearn._kernels._logistic import (
        logistic_dual,
        logistic_state,
        residual_dual,
    )

    rng = np.random.default_rng(7)
    n = 400
    y = np.where(rng.random(n) < 0.4, 1.0, -1.0)
    s = rng.uniform(0.5, 2.0, n)
    s[:5] = 0.0  # weightless samples
    z = 3.0 * rng.standard_normal(n)
    z[5:10] = -40.0 * y[5:10]  # p rounds to 1 for these
    r, h, ent = np.empty(n), np.empty(n), np.empty(6)
    logistic_state(y, s, z, r, h, ent)
    theta = np.where(y > 0, k_pos, k_neg) * r
    expected = logistic_dual(y, s, theta, 1.0)
    assert residual_dual(y, s, r, k_pos, k_neg, ent) == pytest.approx(
        expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("t", [1.0, 0.5, 2.0 ** -20])
def test_state_along_equals_the_state_after_the_move(t):
    """The line search's trial state is the state ``logistic_state`` computes
    once ``z`` has moved, bit for bit (weightless samples, saturated p)."""
    from blitzlearn._kernels._logistic import logistic_state, state_along

    rng = np.random.default_rng(3)
    n = 300
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    s = rng.uniform(0.5, 2.0, n)
    s[:4] = 0.0
    z = 2.0 * rng.standard_normal(n)
    u = rng.standard_normal(n)
    u[4:8] = 50.0 * y[4:8]  # p underflows to 0 along the step
    r1, h1, e1 = np.full(n, np.nan), np.full(n, np.nan), np.empty(6)
    loss1 = state_along(y, s, z, u, t, r1, h1, e1)
    moved = z + t * u
    r2, h2, e2 = np.empty(n), np.empty(n), np.empty(6)
    loss2 = logistic_state(y, s, moved, r2, h2, e2)
    assert loss1 == loss2
    np.testing.assert_array_equal(r1, r2)
    np.testing.assert_array_equal(h1, h2)
    np.testing.assert_array_equal(e1, e2)
    # and the loss is the weighted logistic loss, computed independently
    expected = float(s @ np.logaddexp(0.0, -y * moved))
    assert loss1 == pytest.approx(expected, rel=1e-13)


@pytest.mark.parametrize("scale", [1.0, 1e3])
def test_armijo_step_leaves_the_state_of_the_step_it_returns(scale):
    """A long direction forces halvings; after the search ``r``, ``h`` and
    ``ent`` hold the state at ``z + t u`` for the returned ``t``, and the step
    meets the sufficient-decrease condition."""
    from blitzlearn._kernels._logistic import ARMIJO, armijo_step, logistic_state

    rng = np.random.default_rng(5)
    n, m = 200, 6
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    s = np.ones(n)
    A = rng.standard_normal((n, m))
    w = np.zeros(m)
    z = np.zeros(n)
    r, h, ent = np.empty(n), np.empty(n), np.empty(6)
    loss = logistic_state(y, s, z, r, h, ent)
    dw = scale * (A.T @ r) / n  # a descent direction, far too long when scaled
    u = A @ dw
    lam = 0.1
    t, n_evals, loss_t = armijo_step(y, s, z, u, w, dw, (lam, np.ones(m), 0.0),
                                    loss, r, h, ent)
    assert n_evals >= 1 and (scale == 1.0 or t < 1.0)
    r2, h2, e2 = np.empty(n), np.empty(n), np.empty(6)
    assert loss_t == logistic_state(y, s, z + t * u, r2, h2, e2)
    np.testing.assert_array_equal(r, r2)
    np.testing.assert_array_equal(h, h2)
    np.testing.assert_array_equal(ent, e2)
    f0 = loss
    g0 = -float(logistic_gradient_dot(y, s, z, u))
    decrease = g0 + lam * (np.abs(w + dw).sum() - np.abs(w).sum())
    f_t = loss_t + lam * np.abs(w + t * dw).sum()
    assert f_t <= f0 + ARMIJO * t * decrease


def logistic_gradient_dot(y, s, z, u):
    """``r^T u`` at ``z`` with ``r_i = s_i y_i sigma(-y_i z_i)`` (NumPy)."""
    from scipy.special import expit

    return float((s * y * expit(-y * z)) @ u)


@SPARSE
def test_column_form_with_a_constant_column_and_an_intercept(monkeypatch, sparse):
    # with an intercept a constant column has zero centred curvature and a
    # zero gradient: the column-form model (whose sparse column statistics are
    # gathered with the first pass's gradients) still reaches the optimum
    import blitzlearn._problems._gram as gram_module

    X, y = make_binary_data(150, 30, sparse=sparse, random_state=11)
    X = sp.hstack([sp.csc_matrix(X), sp.csc_matrix(np.full((150, 1), 2.0))])
    X = sp.csc_matrix(X) if sparse else np.asfortranarray(X.toarray())
    C = c_min(X, y, True) * 20
    monkeypatch.setattr(gram_module, "GRAM_MEMORY_SHARE", 0.0)
    monkeypatch.setattr(gram_module, "GRAM_MIN_ENTRIES", 0)
    model = BlitzLogisticL1(C=C, tol=1e-12, fit_intercept=True).fit(X, y)
    coef, intercept, cert = reference_solution(
        X, y, C, True, hint=(model.coef_[0], model.intercept_[0]),
        rtol=REFERENCE_RTOL)
    p = logistic_objective(X, y, model.coef_[0], model.intercept_[0], C)
    assert abs(p - cert.primal) <= 1e-10 * cert.primal
    assert np.count_nonzero(model.coef_) > 1
