# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""blitz_logistic_l1_path and BlitzLogisticL1CV against independent references.

The references are :mod:`_logistic_reference` (a NumPy active-set solver run
to machine precision, with its own duality gap) and scikit-learn's
``LogisticRegression(l1_ratio=1, solver="saga")``, whose objective (with an
unpenalised intercept) is the one solved here.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import load_classification_dataset
from _logistic_reference import c_min, logistic_objective, reference_solution
from numpy.testing import assert_allclose
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import get_scorer
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import StandardScaler

from blitzlearn import BlitzLogisticL1, BlitzLogisticL1CV, blitz_logistic_l1_path


def _breast_cancer():
    return load_classification_dataset("breast_cancer")


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_path_matches_reference(fit_intercept):
    X, y = _breast_cancer()
    Cs, coefs, gaps, n_iter = blitz_logistic_l1_path(
        X, y, Cs=8, eps=1e-3, fit_intercept=fit_intercept, tol=1e-10,
        return_n_iter=True)
    assert coefs.shape == (8, X.shape[1] + fit_intercept)
    assert n_iter.shape == gaps.shape == (8,) and np.all(gaps >= 0)
    # the grid starts at the smallest C with a nonzero solution
    assert_allclose(Cs[0], c_min(X, y, fit_intercept), rtol=1e-10)
    assert_allclose(Cs[-1] / Cs[0], 1e3)
    assert not coefs[0, :X.shape[1]].any() and coefs[1, :X.shape[1]].any()
    for k, C in enumerate(Cs):
        w = coefs[k, :X.shape[1]]
        b = coefs[k, -1] if fit_intercept else 0.0
        ours = logistic_objective(X, y, w, b, C)
        _, _, cert = reference_solution(X, y, C, fit_intercept,
                                        hint=(w, b))
        # the certificate bounds the distance to the optimum ...
        assert ours - cert.primal <= gaps[k] + 1e-12 * cert.primal
        # ... and meets the tolerance (relative to the null objective)
        null = logistic_objective(X, y, 0 * w, coefs[0, -1] if fit_intercept
                                  else 0.0, C)
        assert gaps[k] <= 1e-10 * null * (1 + 1e-9)
        assert abs(ours - cert.primal) <= 1e-9 * cert.primal


def test_path_matches_saga():
    X, y = _breast_cancer()
    Cs = c_min(X, y) * np.array([3.0, 30.0])
    _, coefs, _ = blitz_logistic_l1_path(X, y, Cs=Cs, tol=1e-10)
    for k, C in enumerate(Cs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ref = LogisticRegression(l1_ratio=1.0, solver="saga", C=C, tol=1e-10,
                                     max_iter=100_000).fit(X, y)
        ours = logistic_objective(X, y, coefs[k, :-1], coefs[k, -1], C)
        theirs = logistic_objective(X, y, ref.coef_[0], ref.intercept_[0], C)
        assert ours <= theirs + 1e-12 * theirs
        assert theirs - ours <= 1e-6 * theirs


def test_path_equals_one_fit_per_C_and_options():
    X, y = _breast_cancer()
    sw = np.random.RandomState(0).uniform(0.5, 2.0, size=y.size)
    grid = [0.5, 0.01, 0.1]
    Cs, coefs, _ = blitz_logistic_l1_path(X, y, Cs=grid, tol=1e-12,
                                          sample_weight=sw)
    assert_allclose(Cs, sorted(grid))
    for k, C in enumerate(Cs):
        model = BlitzLogisticL1(C=C, tol=1e-12).fit(X, y, sample_weight=sw)
        assert_allclose(coefs[k, :-1], model.coef_[0], rtol=1e-6, atol=1e-8)
        assert_allclose(coefs[k, -1], model.intercept_[0], rtol=1e-6, atol=1e-8)
    # sparse input, and labels given by pos_class
    labels = np.where(y > 0, "b", "a")
    _, sparse_coefs, _ = blitz_logistic_l1_path(
        sp.csr_matrix(X), labels, pos_class="b", Cs=grid, tol=1e-12,
        sample_weight=sw)
    assert_allclose(sparse_coefs, coefs, rtol=1e-6, atol=1e-8)
    # a warm start at the last solution needs next to no work
    *_, n_iter = blitz_logistic_l1_path(X, y, Cs=[0.5], coef_init=coefs[-1],
                                        tol=1e-12, sample_weight=sw,
                                        return_n_iter=True)
    assert n_iter[0] <= 2


def test_path_bad_input():
    X, y = _breast_cancer()
    iris_X, iris_y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="l1_ratio"):  # the multinomial path too
        blitz_logistic_l1_path(iris_X, iris_y, l1_ratio=1.5)
    with pytest.raises(ValueError, match="not a label"):
        blitz_logistic_l1_path(X, y, pos_class=7)
    with pytest.raises(ValueError, match="Cs must be"):
        blitz_logistic_l1_path(X, y, Cs=0)
    with pytest.raises(ValueError, match="Cs must be positive"):
        blitz_logistic_l1_path(X, y, Cs=[1.0, 0.0])
    with pytest.raises(ValueError, match="eps"):
        blitz_logistic_l1_path(X, y, eps=0.0)
    with pytest.raises(ValueError, match="coef_init"):
        blitz_logistic_l1_path(X, y, coef_init=np.zeros(3))
    with pytest.raises(ValueError, match="null model is optimal"):
        blitz_logistic_l1_path(np.zeros_like(X), y)
    with pytest.warns(ConvergenceWarning, match=r"at C=\S+ did not converge"):
        blitz_logistic_l1_path(X, y, Cs=3, tol=1e-14, max_iter=1)


def test_cv_picks_logistic_regression_cv_C():
    # same folds, same Cs, a continuous score: saga's choice and scores
    X, y = _breast_cancer()
    Cs = c_min(X, y) * np.geomspace(1.5, 40, 8)
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    ours = BlitzLogisticL1CV(Cs=Cs, cv=cv, scoring="neg_log_loss",
                             tol=1e-10).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = LogisticRegressionCV(
            Cs=Cs, cv=cv, l1_ratios=(1.0,), solver="saga", tol=1e-8,
            max_iter=100_000, scoring="neg_log_loss",
            use_legacy_attributes=True).fit(X, y)
    assert_allclose(ours.Cs_, ref.Cs_)
    assert ours.C_ == pytest.approx(ref.C_)
    assert ours.scores_[1].shape == (4, 8)
    assert_allclose(ours.scores_[1], np.squeeze(ref.scores_[1]), rtol=1e-4)
    assert ours.coefs_paths_[1].shape == (4, 8, X.shape[1] + 1)
    assert ours.n_iter_.shape == (1, 4, 8)
    assert ours.dual_gaps_paths_[1].shape == (4, 8)
    assert_allclose(ours.predict_proba(X), ref.predict_proba(X), atol=1e-4)


def test_cv_picks_liblinear_cv_C_without_intercept():
    # without intercept liblinear solves the same objective, to 1e-10: the
    # best C lies inside the grid and the held-out scores agree closely
    X, y = _breast_cancer()
    Cs = c_min(X, y, False) * np.geomspace(2, 2000, 10)
    cv = StratifiedKFold(4, shuffle=True, random_state=0)
    ours = BlitzLogisticL1CV(Cs=Cs, cv=cv, scoring="neg_log_loss", tol=1e-10,
                             fit_intercept=False).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = LogisticRegressionCV(
            Cs=Cs, cv=cv, l1_ratios=(1.0,), solver="liblinear", tol=1e-10,
            max_iter=100_000, scoring="neg_log_loss", fit_intercept=False,
            use_legacy_attributes=True).fit(X, y)
    assert 0 < np.searchsorted(Cs, ref.C_[0]) < Cs.size - 1
    assert ours.C_ == pytest.approx(ref.C_)
    assert_allclose(ours.scores_[1], np.squeeze(ref.scores_[1]), rtol=1e-6)
    assert ours.coefs_paths_[1].shape == (4, 10, X.shape[1])
    assert_allclose(ours.coef_, ref.coef_, rtol=1e-5, atol=1e-7)
    assert_allclose(ours.intercept_, 0.0)


def _iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_cv_multiclass_matches_brute_force():
    # one-vs-rest with one C for all classes, scored on the multiclass
    # predictions: scikit-learn's OneVsRestClassifier on every fold and C
    X, y = _iris()
    Cs = np.geomspace(0.05, 5.0, 5)
    cv = StratifiedKFold(3, shuffle=True, random_state=1)
    ours = BlitzLogisticL1CV(Cs=Cs, cv=cv, tol=1e-10, multi_class="ovr",
                             scoring="neg_log_loss").fit(X, y)
    scorer = get_scorer("neg_log_loss")
    scores = np.empty((3, Cs.size))
    for f, (train, test) in enumerate(cv.split(X, y)):
        for k, C in enumerate(Cs):
            model = OneVsRestClassifier(LogisticRegression(
                l1_ratio=1.0, solver="saga", C=C, tol=1e-10, max_iter=100_000,
                random_state=0))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X[train], y[train])
            scores[f, k] = scorer(model, X[test], y[test])
    best = Cs[np.argmax(scores.sum(axis=0))]
    assert ours.C_.shape == (3,) and np.all(ours.C_ == best)
    assert_allclose(ours.scores_[0], scores, rtol=1e-3)
    assert set(ours.coefs_paths_) == {0, 1, 2}
    assert ours.n_iter_.shape == (3, 3, 5)
    assert ours.coef_.shape == (3, 4)
    refit = BlitzLogisticL1(C=best, tol=1e-10, multi_class="ovr").fit(X, y)
    assert_allclose(ours.coef_, refit.coef_, rtol=1e-6, atol=1e-9)


def test_cv_without_refit_averages_the_folds():
    X, y = _breast_cancer()
    cv = KFold(3, shuffle=True, random_state=2)
    model = BlitzLogisticL1CV(Cs=6, cv=cv, refit=False, tol=1e-8).fit(X, y)
    best = model.scores_[1].argmax(axis=1)
    assert model.C_[0] == pytest.approx(model.Cs_[best].mean())
    paths = model.coefs_paths_[1]
    mean = np.mean([paths[f, b] for f, b in enumerate(best)], axis=0)
    assert_allclose(model.coef_[0], mean[:-1])
    assert_allclose(model.intercept_[0], mean[-1])
    assert np.all(np.isnan(model.dual_gap_))


def test_cv_class_weight_and_missing_class():
    X, y = _breast_cancer()
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    balanced = BlitzLogisticL1CV(Cs=4, cv=cv, class_weight="balanced",
                                 tol=1e-10).fit(X, y)
    ref = BlitzLogisticL1(C=balanced.C_[0], class_weight="balanced",
                          tol=1e-10).fit(X, y)
    assert_allclose(balanced.coef_, ref.coef_, rtol=1e-6, atol=1e-9)
    order = np.argsort(y, kind="stable")  # unshuffled folds: one holds no -1
    with pytest.raises(ValueError, match="positive total sample weight"):
        BlitzLogisticL1CV(Cs=3, cv=KFold(2)).fit(X[order][:300], y[order][:300])
