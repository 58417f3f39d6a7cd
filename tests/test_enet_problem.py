# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Elastic net and per-feature penalty weights on the L1 problems (problem level).

The problems (:class:`~blitzlearn._problems._lasso.LassoProblem`,
:class:`~blitzlearn._problems._logistic.LogisticProblem`) are run through
:func:`~blitzlearn._engine.blitzws` and compared with independent references
(:mod:`_enet_reference`, scikit-learn): the objectives agree, the certificate
bounds the suboptimality of the returned weights (float32 included), screening
never discards a feature of the reference's support (weight-0 features
included) and a tight solve closes the gap to ~1e-12 relative.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from _enet_reference import (
    enet_objective,
    enet_reference,
    logistic_enet_objective,
    logistic_enet_reference,
)
from sklearn.datasets import load_diabetes
from sklearn.linear_model import ElasticNet, Lasso, LogisticRegression

from blitzlearn._engine import blitzws
from blitzlearn._problems._lasso import LassoProblem
from blitzlearn._problems._logistic import LogisticProblem

EPS = np.finfo(np.float64).eps


class _Recording:
    """Mixin recording every feature the engine discards."""

    def discard(self, components):
        self.discarded = np.union1d(getattr(self, "discarded", []), components)
        super().discard(components)


class RecordingLasso(_Recording, LassoProblem):
    pass


class RecordingLogistic(_Recording, LogisticProblem):
    pass


def _scaled_rows(X, d):
    if sp.issparse(X):
        return sp.csc_matrix(sp.diags(d) @ X, dtype=X.dtype)
    return np.asfortranarray(d[:, None] * X, dtype=X.dtype)


def solve_enet(X, y, alpha, rho, v=None, sw=None, fit_intercept=True, tol=1e-14,
               positive=False):
    """The elastic net at ``(alpha, rho)`` as BlitzLasso would map it.

    Sample weights rescaled to sum to ``n``, rows of ``X`` and ``y`` scaled by
    their square roots ``d``; ``lam = n alpha``.  Returns ``(w, b, gap, problem)``
    with the gap in the objective's units (divided by ``n``).
    """
    n, p = X.shape
    s = np.ones(n) if sw is None else sw * (n / sw.sum())
    d = np.sqrt(s)
    Xs = X if sw is None else _scaled_rows(X, d)
    if not sp.issparse(Xs):
        Xs = np.asfortranarray(Xs)
    problem = RecordingLasso(Xs, y * d, d, n * alpha, fit_intercept=fit_intercept,
                             positive=positive, w0=np.zeros(p), l1_ratio=rho,
                             weights=v)
    result = blitzws(problem, tol=tol * problem.tol_scale(), max_iter=1000,
                     max_epochs=100000)
    w, b = problem.result()
    return w, b, result.gap / n, problem


def solve_logistic(X, y, C, rho, v=None, sw=None, fit_intercept=True, tol=1e-14):
    """Elastic-net logistic regression at ``C`` (``lam = 1 / C``).

    Returns ``(w, b, gap, problem)``, the gap in the objective's units
    (``C`` times the internal one).
    """
    n, p = X.shape
    s = np.ones(n) if sw is None else sw
    Xs = X if sp.issparse(X) else np.asfortranarray(X)
    problem = RecordingLogistic(Xs, y, s, 1.0 / C, fit_intercept=fit_intercept,
                                w0=np.zeros(p), l1_ratio=rho, weights=v)
    result = blitzws(problem, tol=tol * problem.tol_scale(), max_iter=1000,
                     max_epochs=100000)
    w, b = problem.result()
    return w, b, C * result.gap, problem


def _diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X, y


def _sparse_set():
    rng = np.random.default_rng(3)
    X = sp.random(80, 200, density=0.1, random_state=rng, format="csc")
    w = rng.standard_normal(200) * (rng.random(200) < 0.05)
    y = X @ w + 0.1 * rng.standard_normal(80) + 1.0
    return X, y


def _alpha_max(X, y, rho, s):
    yc = y - (s @ y) / s.sum()
    return float(np.abs(X.T @ (s * yc)).max()) / (X.shape[0] * rho)


# -- (a) the elastic net equals scikit-learn's ElasticNet -------------------------


@pytest.mark.parametrize("data", ["diabetes", "sparse"])
@pytest.mark.parametrize("rho", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_elastic_net_matches_sklearn(data, rho, weighted, fit_intercept):
    X, y = _diabetes() if data == "diabetes" else _sparse_set()
    n = X.shape[0]
    sw = np.random.default_rng(1).uniform(0.2, 3.0, n) if weighted else None
    s = np.ones(n) if sw is None else sw * n / sw.sum()
    top = _alpha_max(X, y, rho, s)
    for frac in (0.5, 0.05, 0.005):
        alpha = frac * top
        ref = ElasticNet(alpha=alpha, l1_ratio=rho, tol=1e-12, max_iter=100000,
                         fit_intercept=fit_intercept).fit(X, y, sample_weight=sw)
        best = enet_objective(X, y, ref.coef_, ref.intercept_, alpha, rho,
                              sample_weight=sw)
        w, b, gap, _ = solve_enet(X, y, alpha, rho, sw=sw,
                                  fit_intercept=fit_intercept)
        got = enet_objective(X, y, w, b, alpha, rho, sample_weight=sw)
        assert got == pytest.approx(best, rel=1e-9)
        assert got - best <= gap + 64 * EPS * best


# -- (b) weighted Lasso: the column-rescaling identity, weight-0 features ---------


@pytest.mark.parametrize("data", ["diabetes", "sparse"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_weighted_lasso_is_the_lasso_on_rescaled_columns(data, weighted,
                                                         fit_intercept):
    X, y = _diabetes() if data == "diabetes" else _sparse_set()
    n, p = X.shape
    rng = np.random.default_rng(2)
    v = rng.uniform(0.2, 5.0, p)
    sw = rng.uniform(0.2, 3.0, n) if weighted else None
    s = np.ones(n) if sw is None else sw * n / sw.sum()
    Xv = X @ sp.diags(1.0 / v) if sp.issparse(X) else X / v
    Xv = sp.csc_matrix(Xv) if sp.issparse(X) else Xv
    top = _alpha_max(Xv, y, 1.0, s)
    for frac in (0.3, 0.03):
        alpha = frac * top
        ref = Lasso(alpha=alpha, tol=1e-12, max_iter=100000,
                    fit_intercept=fit_intercept).fit(Xv, y, sample_weight=sw)
        w, b, gap, _ = solve_enet(X, y, alpha, 1.0, v=v, sw=sw,
                                  fit_intercept=fit_intercept)
        best = enet_objective(X, y, ref.coef_ / v, ref.intercept_, alpha, 1.0, v,
                              sw)
        got = enet_objective(X, y, w, b, alpha, 1.0, v, sw)
        assert got == pytest.approx(best, rel=1e-9)
        assert got - best <= gap + 64 * EPS * best
        np.testing.assert_allclose(w * v, ref.coef_, rtol=1e-5,
                                   atol=1e-6 * np.abs(ref.coef_).max())


@pytest.mark.parametrize("rho", [1.0, 0.5])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_weight_zero_features_are_unpenalised(rho, weighted, fit_intercept):
    """Against the exact reduction (unpenalised coordinates partialled out)."""
    X, y = _diabetes()
    n, p = X.shape
    rng = np.random.default_rng(4)
    v = rng.uniform(0.5, 2.0, p)
    v[[0, 4, 7]] = 0.0
    sw = rng.uniform(0.2, 3.0, n) if weighted else None
    s = np.ones(n) if sw is None else sw * n / sw.sum()
    top = _alpha_max(X, y, rho, s)
    for frac in (2.0, 0.2, 0.02):  # 2.0: only the free features are nonzero
        alpha = frac * top
        wr, br, best = enet_reference(X, y, alpha, rho, v, sw, fit_intercept)
        w, b, gap, problem = solve_enet(X, y, alpha, rho, v=v, sw=sw,
                                        fit_intercept=fit_intercept)
        got = enet_objective(X, y, w, b, alpha, rho, v, sw)
        assert got == pytest.approx(best, rel=1e-9)
        assert got - best <= gap + 64 * EPS * best
        np.testing.assert_allclose(w[v == 0], wr[v == 0], rtol=1e-6)
        assert not np.isin([0, 4, 7], getattr(problem, "discarded", [])).any()


# -- (c) elastic-net logistic regression -------------------------------------------


def _classification(sparse, seed=0):
    rng = np.random.default_rng(seed)
    n, p = 120, 30
    X = rng.standard_normal((n, p))
    if sparse:
        X *= rng.random((n, p)) < 0.3
    w = rng.standard_normal(p) * (rng.random(p) < 0.3)
    y = np.where(X @ w + 0.5 * rng.standard_normal(n) + 0.3 > 0, 1.0, -1.0)
    return (sp.csc_matrix(X) if sparse else X), y


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("rho", [0.2, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("penalty_weights", ["none", "positive", "zeros"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_logistic_elastic_net_matches_the_reference(sparse, rho, penalty_weights,
                                                    fit_intercept):
    X, y = _classification(sparse)
    n, p = X.shape
    rng = np.random.default_rng(5)
    sw = rng.uniform(0.5, 2.0, n)
    v = None if penalty_weights == "none" else rng.uniform(0.3, 3.0, p)
    if penalty_weights == "zeros":
        v[[1, 2]] = 0.0
    for C in (0.05, 0.5):
        _, _, best = logistic_enet_reference(X, y, C, rho, v, sw, fit_intercept)
        w, b, gap, problem = solve_logistic(X, y, C, rho, v, sw, fit_intercept)
        got = logistic_enet_objective(X, y, w, b, C, rho, v, sw)
        assert got == pytest.approx(best, rel=1e-7)
        assert got - best <= gap + 64 * EPS * best
        if v is not None:
            assert not np.isin(np.flatnonzero(v == 0),
                               getattr(problem, "discarded", [])).any()


# -- (d, e) the certificate and screening on random problems ----------------------


def _random_case(rng):
    n = int(rng.integers(10, 60))
    p = int(rng.integers(2, 60))
    X = rng.standard_normal((n, p)) * 10.0 ** rng.uniform(-1, 1)
    if rng.random() < 0.5:
        X *= rng.random((n, p)) < 0.5
    dtype = np.float32 if rng.random() < 0.3 else np.float64
    X = X.astype(dtype)
    rho = float(rng.choice([0.05, 0.3, 0.7, 1.0]))
    kind = rng.choice(["none", "positive", "zeros"])
    v = None if kind == "none" else rng.uniform(0.1, 4.0, p)
    if kind == "zeros":
        v[rng.random(p) < 0.2] = 0.0
        if rho == 1.0 and not v.any():
            v[0] = 1.0
    sw = rng.uniform(0.2, 3.0, n) if rng.random() < 0.5 else None
    fit_intercept = bool(rng.random() < 0.7)
    tol = float(10.0 ** rng.uniform(-10, -3))
    frac = float(10.0 ** rng.uniform(-2.5, 0))
    sparse = rng.random() < 0.4
    return X, v, rho, sw, fit_intercept, tol, frac, sparse


def _check_screening(problem, w_ref, v):
    """No discarded feature is in the reference's support or unpenalised."""
    discarded = getattr(problem, "discarded", np.empty(0))
    support = np.flatnonzero(np.abs(w_ref) > 1e-9 * max(np.abs(w_ref).max(),
                                                        1e-300))
    assert not np.isin(support, discarded).any()
    if v is not None:
        assert not np.isin(np.flatnonzero(v == 0), discarded).any()


@pytest.mark.parametrize("seed", range(4))
def test_certificate_and_screening_of_the_elastic_net(seed):
    rng = np.random.default_rng(100 + seed)
    for _ in range(25):
        X, v, rho, sw, fit_intercept, tol, frac, sparse = _random_case(rng)
        n, p = X.shape
        w_true = rng.standard_normal(p) * (rng.random(p) < 0.3)
        y = X.astype(np.float64) @ w_true + rng.standard_normal(n) + 3.0
        s = np.ones(n) if sw is None else sw * n / sw.sum()
        alpha = frac * _alpha_max(X.astype(np.float64), y, max(rho, 0.05), s)
        Xg = sp.csc_matrix(X) if sparse else X
        w, b, gap, problem = solve_enet(Xg, y, alpha, rho, v, sw, fit_intercept,
                                        tol=tol)
        X64 = X.astype(np.float64)
        wr, _, best = enet_reference(X64, y, alpha, rho, v, sw, fit_intercept)
        # the weights as returned (float32 for float32 X) are certified
        assert w.dtype == np.float64 and np.all(w == w.astype(X.dtype))
        got = enet_objective(X64, y, w, b, alpha, rho, v, sw)
        noise = 64 * EPS * (abs(best) + float(s @ (y * y)) / n)
        assert got - best <= gap + noise, (got - best, gap)
        assert gap <= tol * problem.tol_scale() / n * (1 + 1e-9) + noise
        _check_screening(problem, wr, v)


@pytest.mark.parametrize("seed", range(3))
def test_certificate_and_screening_of_the_logistic_elastic_net(seed):
    rng = np.random.default_rng(200 + seed)
    for _ in range(12):
        X, v, rho, sw, fit_intercept, tol, frac, sparse = _random_case(rng)
        n, p = X.shape
        X64 = X.astype(np.float64)
        w_true = rng.standard_normal(p) * (rng.random(p) < 0.3)
        score = X64 @ w_true / max(np.abs(X64).max(), 1e-12)
        y = np.where(score + 0.5 * rng.standard_normal(n) > 0, 1.0, -1.0)
        if np.all(y == y[0]):
            y[0] = -y[0]
        s = np.ones(n) if sw is None else sw
        top = float(np.abs(X64.T @ (s * y)).max()) / max(rho, 0.05)
        C = 5.0 / (frac * top) if top > 0 else 1.0
        Xg = sp.csc_matrix(X) if sparse else X
        w, b, gap, problem = solve_logistic(Xg, y, C, rho, v, sw, fit_intercept,
                                            tol=tol)
        wr, _, best = logistic_enet_reference(X64, y, C, rho, v, sw,
                                              fit_intercept)
        got = logistic_enet_objective(X64, y, w, b, C, rho, v, sw)
        noise = 1e3 * EPS * best  # the reference's own accuracy (L-BFGS-B)
        assert got - best <= gap + noise, (got - best, gap)
        _check_screening(problem, wr, v)


# -- the gap closes on small problems, ridge, bad input ---------------------------


@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("penalty_weights", ["none", "zeros"])
@pytest.mark.parametrize("rho", [0.5, 1.0])
def test_the_gap_closes_to_machine_precision(loss, penalty_weights, rho):
    X, y = _classification(False, seed=7)
    p = X.shape[1]
    v = None
    if penalty_weights == "zeros":
        v = np.linspace(0.5, 2.0, p)
        v[[0, 5]] = 0.0
    if loss == "squared":
        yr = X @ np.linspace(-1, 1, p) + 2.0
        w, b, gap, _ = solve_enet(X, yr, 0.05, rho, v, tol=1e-15)
        value = enet_objective(X, yr, w, b, 0.05, rho, v)
    else:
        w, b, gap, _ = solve_logistic(X, y, 0.3, rho, v, tol=1e-15)
        value = logistic_enet_objective(X, y, w, b, 0.3, rho, v)
    assert gap <= 1e-12 * value


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_pure_ridge(fit_intercept):
    """``l1_ratio = 0`` is ridge regression (closed form), with a certificate."""
    X, y = _diabetes()
    n, p = X.shape
    alpha = 0.01
    w, b, gap, problem = solve_enet(X, y, alpha, 0.0, fit_intercept=fit_intercept)
    Xc, yc = X, y
    if fit_intercept:
        Xc, yc = X - X.mean(0), y - y.mean()
    exact = np.linalg.solve(Xc.T @ Xc + n * alpha * np.eye(p), Xc.T @ yc)
    np.testing.assert_allclose(w, exact, rtol=1e-9)
    assert getattr(problem, "discarded", np.empty(0)).size == 0
    assert gap <= 1e-12 * enet_objective(X, y, w, b, alpha, 0.0)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_pure_ridge_logistic(fit_intercept):
    """``l1_ratio = 0``: scikit-learn's L2 ``LogisticRegression``."""
    X, y = _classification(False)
    C = 0.3
    w, b, gap, problem = solve_logistic(X, y, C, 0.0, fit_intercept=fit_intercept)
    ref = LogisticRegression(C=C, tol=1e-12, max_iter=10000,
                             fit_intercept=fit_intercept).fit(X, y)
    best = logistic_enet_objective(X, y, ref.coef_[0],
                                   ref.intercept_[0] if fit_intercept else 0.0,
                                   C, 0.0)
    got = logistic_enet_objective(X, y, w, b, C, 0.0)
    assert got == pytest.approx(best, rel=1e-9)
    assert getattr(problem, "discarded", np.empty(0)).size == 0
    assert gap <= 1e-12 * got


@pytest.mark.parametrize("kwargs, message", [
    (dict(l1_ratio=1.5), r"l1_ratio must lie in \[0, 1\]"),
    (dict(l1_ratio=-0.1), r"l1_ratio must lie in \[0, 1\]"),
    (dict(weights=np.ones(3)), r"shape \(n_features,\) = \(10,\)"),
    (dict(weights=-np.ones(10)), "finite and non-negative"),
    (dict(weights=np.full(10, np.nan)), "finite and non-negative"),
    (dict(weights=np.zeros(10)), "all penalty_weights are zero"),
    (dict(weights=np.r_[0.0, np.ones(9)], positive=True), "positive=True"),
])
def test_bad_penalty_input_is_refused(kwargs, message):
    X = np.asfortranarray(np.random.default_rng(0).standard_normal((8, 10)))
    y = np.ones(8)
    kwargs = dict(dict(fit_intercept=True, positive=False, w0=np.zeros(10)),
                  **kwargs)
    with pytest.raises(ValueError, match=message):
        LassoProblem(X, y, np.ones(8), 1.0, **kwargs)


def test_the_caller_s_weights_are_copied():
    X, y = _diabetes()
    v = np.linspace(0.5, 2.0, X.shape[1])
    kept = v.copy()
    _, _, _, problem = solve_enet(X, y, 0.1, 0.5, v=v)
    v[:] = 7.0
    np.testing.assert_array_equal(problem.weights, kept)
