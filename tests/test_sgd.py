# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""AdaScaleSGDClassifier against independent NumPy reimplementations."""

import logging
import math

import numpy as np
import pytest
import scipy.sparse as sp
from _sgd_reference import adascale_sgd, label_matrix, objective, plain_sgd
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_iris, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from blitzlearn import AdaScaleSGDClassifier

LOSSES = ["log_loss", "hinge", "squared_hinge", "modified_huber"]


def _data(n=150, d=6, seed=0, classes=2):
    X, y = make_classification(n_samples=n, n_features=d, n_informative=4,
                               n_classes=classes, n_clusters_per_class=1,
                               flip_y=0.1, random_state=seed)
    X = StandardScaler().fit_transform(X)
    X[np.abs(X) < 0.3] = 0.0  # some structure for the sparse layout
    return X, y


def _final_objective(clf, X, y, sample_weight=None):
    _, Y = label_matrix(y)
    sw = np.ones(X.shape[0]) if sample_weight is None else sample_weight
    return objective(X, Y, sw, clf.coef_, clf.intercept_, clf.alpha, clf.loss)


# --- S = 1 is plain minibatch SGD ---------------------------------------------

@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("momentum, size", [(0.0, 16), (0.9, 16), (0.5, 1)])
def test_scale_one_is_plain_sgd(loss, sparse, momentum, size):
    X, y = _data()
    Xfit = sp.csr_matrix(X) if sparse else X
    clf = AdaScaleSGDClassifier(loss=loss, alpha=1e-3, batch_size=size, eta0=0.05,
                                max_epochs=3, momentum=momentum, random_state=3)
    clf.fit(Xfit, y)
    W, b, steps = plain_sgd(X, y, loss=loss, alpha=1e-3, batch_size=size, eta0=0.05,
                            max_epochs=3, momentum=momentum, seed=3)
    assert clf.n_iter_ == steps == 3 * math.ceil(150 / size)
    assert clf.tau_ == steps
    assert_allclose(clf.coef_, W, rtol=1e-12, atol=1e-14)
    assert_allclose(clf.intercept_, b, rtol=1e-12, atol=1e-14)
    assert_array_equal(clf.gain_history_, 1.0)
    assert_array_equal(clf.lr_history_, 0.05)


def test_scale_one_multiclass_is_independent_binary_sgd():
    # one-vs-rest with shared batches: at S = 1 each class's row is the
    # binary SGD run of that class against the rest
    X, y = _data(classes=3)
    est = dict(alpha=1e-3, batch_size=10, eta0=0.1, max_epochs=2, random_state=0)
    multi = AdaScaleSGDClassifier(**est).fit(X, y)
    assert multi.coef_.shape == (3, X.shape[1])
    for k in range(3):
        binary = AdaScaleSGDClassifier(**est).fit(X, (y == k).astype(int))
        assert_allclose(multi.coef_[k], binary.coef_[0], rtol=1e-12, atol=1e-14)
        assert_allclose(multi.intercept_[k], binary.intercept_[0], rtol=1e-12)


# --- AdaScale, linear and identity rules against the reference ----------------

CASES = [
    dict(scale=4),
    dict(scale=4, loss="hinge", momentum=0.9),
    dict(scale=8, loss="modified_huber", learning_rate="step", eta0=0.5),
    dict(scale=3, loss="squared_hinge", learning_rate="exponential", eta0=0.02,
         smoothing=0.5),
    dict(scale=16, learning_rate="step", lr_milestones=[0.5], eta0=1.0,
         fit_intercept=False),
    dict(scale=4, scaling_rule="linear", learning_rate="step", eta0=0.2),
    dict(scale=4, scaling_rule="linear", max_steps=17, eta0=0.2),
    dict(scale=2, scaling_rule="identity", momentum=0.5),
    dict(scale=5, scaling_rule="identity", max_steps=9),
    dict(scale=8, batch_size=1, eta0=0.05),
    dict(scale=3, batch_size=1, loss="modified_huber", fit_intercept=False),
    dict(scale=6, sampling="replacement", smoothing=0.0),
    dict(scale=1, sampling="replacement", momentum=0.9),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c.values())))
@pytest.mark.parametrize("sparse", [False, True])
def test_matches_reference(case, sparse):
    X, y = _data(classes=3 if case.get("loss") == "hinge" else 2)
    Xfit = sp.csr_matrix(X) if sparse else X
    params = {"alpha": 1e-3, "batch_size": 8, "max_epochs": 2, **case}
    clf = AdaScaleSGDClassifier(random_state=7, **params).fit(Xfit, y)
    ref = adascale_sgd(X, y, seed=7, **params)
    assert clf.n_iter_ == ref["n_iter"]
    assert_allclose(clf.gain_history_, ref["gains"], rtol=1e-9)
    assert_allclose(clf.lr_history_, ref["rates"], rtol=1e-9)
    assert_allclose(clf.tau_, ref["tau"], rtol=1e-9)
    assert_allclose(clf.coef_, ref["W"], rtol=1e-8, atol=1e-12)
    assert_allclose(clf.intercept_, ref["b"], rtol=1e-8, atol=1e-12)
    assert_allclose(clf.objective_history_, ref["objectives"], rtol=1e-9)


def test_sample_weight_matches_reference():
    X, y = _data()
    sw = np.random.RandomState(0).uniform(0.0, 3.0, size=y.size)
    clf = AdaScaleSGDClassifier(scale=4, batch_size=8, max_epochs=2, alpha=1e-3,
                                random_state=1).fit(X, y, sample_weight=sw)
    ref = adascale_sgd(X, y, scale=4, batch_size=8, max_epochs=2, alpha=1e-3,
                       seed=1, sample_weight=sw)
    assert_allclose(clf.gain_history_, ref["gains"], rtol=1e-9)
    assert_allclose(clf.coef_, ref["W"], rtol=1e-8)
    ones = AdaScaleSGDClassifier(scale=4, random_state=1).fit(X, y, np.ones(y.size))
    none = AdaScaleSGDClassifier(scale=4, random_state=1).fit(X, y)
    assert_array_equal(ones.coef_, none.coef_)


# --- invariants -----------------------------------------------------------------

@pytest.mark.parametrize("scale", [2, 8, 64])
@pytest.mark.parametrize("loss", ["log_loss", "hinge"])
def test_gain_and_step_count_bounds(scale, loss):
    X, y = _data(n=400, d=10, seed=scale)
    clf = AdaScaleSGDClassifier(loss=loss, scale=scale, batch_size=4, eta0=0.5,
                                max_epochs=4, random_state=0).fit(X, y)
    t_si = 4 * math.ceil(400 / 4)
    r = clf.gain_history_
    assert r[0] == 1.0
    assert np.all((r >= 1.0) & (r <= scale))
    assert math.ceil(t_si / scale) <= clf.n_iter_ <= t_si
    assert clf.tau_ >= t_si > clf.tau_ - r[-1]
    assert_allclose(clf.tau_, r.sum(), rtol=1e-12)
    assert_allclose(clf.lr_history_, 0.5 * r)
    # the speed-up is real: fewer steps than the S = 1 recipe
    assert clf.n_iter_ < t_si


def test_identical_batches_give_gain_one():
    # a batch of n rows is one whole permutation, so all S batch gradients
    # are the same (up to summation order): no noise, no speed-up
    X, y = _data(n=60)
    clf = AdaScaleSGDClassifier(scale=8, batch_size=60, eta0=0.5, max_epochs=30,
                                random_state=0).fit(X, y)
    assert clf.n_iter_ == 30
    assert_allclose(clf.gain_history_, 1.0, atol=1e-4)


def test_linear_rule_warmup_and_budget():
    X, y = _data(n=200)
    clf = AdaScaleSGDClassifier(scale=8, batch_size=4, eta0=0.01, max_epochs=5,
                                scaling_rule="linear", random_state=0).fit(X, y)
    steps = math.ceil(5 * 50 / 8)
    warmup = math.ceil(0.055 * steps)
    assert clf.n_iter_ == steps
    assert clf.lr_history_[0] == pytest.approx(0.01)
    assert_allclose(clf.lr_history_[warmup:], 0.08)
    assert np.all(np.diff(clf.lr_history_[:warmup + 1]) > 0)
    stretched = AdaScaleSGDClassifier(
        scale=8, batch_size=4, eta0=0.01, max_epochs=5, scaling_rule="linear",
        max_steps=100, random_state=0).fit(X, y)
    assert stretched.n_iter_ == 100
    assert stretched.tau_ == pytest.approx(5 * 50)


def test_objective_history_and_optimum():
    # a long decaying run ends near the optimum found by a tight L-BFGS solve
    X, y = _data(n=300, d=8)
    alpha = 1e-2
    clf = AdaScaleSGDClassifier(alpha=alpha, scale=8, batch_size=8, eta0=0.5,
                                learning_rate="step", max_epochs=40,
                                random_state=0).fit(X, y)
    hist = clf.objective_history_
    assert hist.shape == (41,)
    assert hist[0] == pytest.approx(np.log(2.0))
    assert hist[-1] == pytest.approx(_final_objective(clf, X, y), rel=1e-12)
    ref = LogisticRegression(C=1.0 / (alpha * X.shape[0]), tol=1e-12,
                             max_iter=10_000).fit(X, y)
    f_star = objective(X, label_matrix(y)[1], np.ones(300), ref.coef_,
                       ref.intercept_, alpha, "log_loss")
    assert 0.0 <= hist[-1] - f_star < 2e-3


# --- layouts, dtypes, determinism -------------------------------------------------

def test_dense_equals_sparse_and_float32():
    X, y = _data(classes=3)
    est = dict(scale=4, batch_size=8, max_epochs=2, random_state=0)
    dense = AdaScaleSGDClassifier(**est).fit(X, y)
    for fmt in ("csr", "csc", "coo"):
        sparse = AdaScaleSGDClassifier(**est).fit(sp.csr_matrix(X).asformat(fmt), y)
        assert_allclose(sparse.coef_, dense.coef_, rtol=1e-10, atol=1e-13)
    f32 = AdaScaleSGDClassifier(**est).fit(X.astype(np.float32), y)
    assert f32.coef_.dtype == np.float64
    assert_allclose(f32.coef_, dense.coef_, rtol=1e-4, atol=1e-5)
    assert_array_equal(f32.predict(X), dense.predict(X))


def test_deterministic():
    X, y = _data()
    a = AdaScaleSGDClassifier(scale=4, random_state=5).fit(X, y)
    b = AdaScaleSGDClassifier(scale=4, random_state=5).fit(X, y)
    c = AdaScaleSGDClassifier(scale=4, random_state=6).fit(X, y)
    assert_array_equal(a.coef_, b.coef_)
    assert_array_equal(a.gain_history_, b.gain_history_)
    assert not np.array_equal(a.coef_, c.coef_)


# --- predictions --------------------------------------------------------------------

def test_predict_proba():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    for loss in ("log_loss", "modified_huber"):
        clf = AdaScaleSGDClassifier(loss=loss, scale=4, max_epochs=20,
                                    random_state=0).fit(X, y)
        proba = clf.predict_proba(X)
        assert proba.shape == (150, 3)
        assert_allclose(proba.sum(axis=1), 1.0)
        assert np.all(proba >= 0.0)
        assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X))
        with np.errstate(divide="ignore"):
            assert_allclose(clf.predict_log_proba(X), np.log(proba))
        assert clf.score(X, y) > 0.8  # one-vs-rest linear models on iris
    Xb, yb = _data()
    clf = AdaScaleSGDClassifier(random_state=0).fit(Xb, yb)
    p = clf.predict_proba(Xb)
    assert_allclose(p[:, 1], 1.0 / (1.0 + np.exp(-clf.decision_function(Xb))))
    hinge = AdaScaleSGDClassifier(loss="hinge").fit(Xb, yb)
    with pytest.raises(AttributeError, match="predict_proba") as info:
        hinge.predict_proba(Xb)
    assert "not available for loss='hinge'" in str(info.value.__cause__)
    assert not hasattr(hinge, "predict_proba")


def test_grid_search_over_alpha():
    X, y = _data(n=300)
    pipe = make_pipeline(StandardScaler(),
                         AdaScaleSGDClassifier(scale=4, random_state=0))
    grid = GridSearchCV(pipe, {"adascalesgdclassifier__alpha": [1e-4, 1e-2, 1.0]},
                        cv=3).fit(X, y)
    best = grid.best_params_["adascalesgdclassifier__alpha"]
    assert best in (1e-4, 1e-2)  # alpha = 1 shrinks the weights to nothing
    direct = make_pipeline(StandardScaler(), AdaScaleSGDClassifier(
        scale=4, alpha=best, random_state=0)).fit(X, y)
    assert_array_equal(grid.best_estimator_[-1].coef_, direct[-1].coef_)


def test_verbose_logs(caplog):
    X, y = _data()
    with caplog.at_level(logging.INFO, logger="blitzlearn"):
        AdaScaleSGDClassifier(scale=2, verbose=1, random_state=0).fit(X, y)
    assert "tau" in caplog.text


# --- errors ------------------------------------------------------------------

@pytest.mark.parametrize("params, match", [
    (dict(alpha=-1.0), "alpha"),
    (dict(scale=0), "scale"),
    (dict(batch_size=0), "batch_size"),
    (dict(momentum=1.0), "momentum"),
    (dict(eta0=0.0), "eta0"),
    (dict(loss="squared_error"), "loss"),
    (dict(scaling_rule="sqrt"), "scaling_rule"),
    (dict(smoothing=1.0), "smoothing"),
    (dict(lr_decay=0.0), "lr_decay"),
    (dict(lr_milestones=[2.0]), "only used by learning_rate='step'"),
    (dict(learning_rate="step", lr_milestones=[-1.0]), "positive epochs"),
    (dict(max_steps=10), "max_steps applies to"),
    (dict(sampling="bootstrap"), "sampling"),
])
def test_bad_parameters(params, match):
    X, y = _data()
    with pytest.raises(ValueError, match=match):
        AdaScaleSGDClassifier(**params).fit(X, y)


def test_bad_input():
    X, y = _data()
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        AdaScaleSGDClassifier().fit(bad, y)
    bad[0, 0] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        AdaScaleSGDClassifier().fit(bad, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        AdaScaleSGDClassifier().fit(X, np.zeros(y.size))
    with pytest.raises(ValueError, match="Unknown label type"):
        AdaScaleSGDClassifier().fit(X, np.linspace(0, 1, y.size))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        AdaScaleSGDClassifier().fit(X, y[:-1])
    with pytest.raises(TypeError, match="BSR"):
        AdaScaleSGDClassifier().fit(sp.bsr_matrix(X), y)
    with pytest.raises(ValueError, match="multi-output"):
        AdaScaleSGDClassifier().fit(X, np.column_stack([y, y]))
    clf = AdaScaleSGDClassifier().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, :3])


def test_divergence_is_an_error():
    X, y = _data()
    with pytest.raises(ValueError, match="diverged at step"):
        AdaScaleSGDClassifier(loss="squared_hinge", eta0=1e6, alpha=0.0,
                              max_epochs=50).fit(X * 1e3, y)


def test_shared_gain_estimator_on_recorded_statistics():
    # the step statistics recorded by the reference, replayed through the
    # GainEstimator the torch optimizer uses, give the estimator's gains
    from blitzlearn._adascale import GainEstimator

    X, y = _data()
    params = dict(scale=8, batch_size=4, max_epochs=2, alpha=1e-3, eta0=0.2)
    clf = AdaScaleSGDClassifier(random_state=2, **params).fit(X, y)
    ref = adascale_sgd(X, y, seed=2, **params)
    est = GainEstimator(scale=8)
    replayed = []
    for sum_sq, mean_sq in ref["stats"]:
        replayed.append(est.gain())  # the gain of a step precedes its statistics
        est.observe(sum_sq, mean_sq, 8)
    assert_allclose(replayed, clf.gain_history_, rtol=1e-9)
    assert_allclose(est.sigma2, clf.sigma2_, rtol=1e-9)
    assert_allclose(est.mu2, clf.mu2_, rtol=1e-9)
