# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The multinomial L1-logistic problem, solved by the engine, against references.

``P(W, b) = C sum_i s_i [logsumexp(z_i) - z_{i, y_i}] + r sum_j v_j ||W_{:, j}||
+ (1 - r)/2 ||W||_F^2`` (``||.||_1``, or ``||.||_2`` for the group penalty),
``z_i = W x_i + b``, ``r`` the ``l1_ratio`` and ``v`` the penalty weights.
Every objective is evaluated by ``_multinomial_reference.objective`` (numpy
and scipy); the references are independent solvers (L-BFGS-B on the split L1
problem, FISTA) and, on news20 where those are too slow, a lower bound on the
optimum from a dual point built with numpy and scipy alone.  Objectives are
compared, never intercepts (defined up to a constant).  The comparison with
scikit-learn's saga (iris, wine, digits at three C each) is made through the
estimator, on the same solve step, in ``test_multinomial.py``.
"""

import functools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import DATASETS
from _multinomial_reference import (
    dual_bound,
    fista,
    lbfgs_l1,
    objective,
    standard_dataset,
)

from blitzlearn._engine import solve
from blitzlearn._problems._multinomial import MultinomialProblem

EPS = np.finfo(np.float64).eps


@functools.cache
def _dataset(name):
    """``(X, y)``: standardised dense Fortran float64, or news20's CSC rows."""
    if name == "news20":
        if not DATASETS.is_dir():
            pytest.skip(f"../shared/datasets not found: {DATASETS}")
        from blitzlearn.datasets import load_libsvm

        X, y = load_libsvm("news20", data_home=DATASETS)
        rows = np.random.default_rng(0).choice(X.shape[0], 300, replace=False)
        X = sp.csc_matrix(X[rows], dtype=np.float64)
        X = X[:, np.flatnonzero(np.diff(X.indptr) > 0)].tocsc()
        _, y = np.unique(y[rows], return_inverse=True)
        return X, y
    return standard_dataset(name)


def _fit(X, y, C, *, s=None, group=False, fit_intercept=True, tol=1e-12,
         max_iter=500, l1_ratio=1.0, weights=None):
    """Solve through the estimators' solve step; ``(coef, intercept, gap, problem)``."""
    s = np.ones(y.size) if s is None else s
    problem = MultinomialProblem(X, y, s, 1.0 / C, n_classes=int(y.max()) + 1,
                                 fit_intercept=fit_intercept, group=group,
                                 l1_ratio=l1_ratio, weights=weights)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a ConvergenceWarning fails the test
        out = solve(problem, C, tol=tol, max_iter=max_iter, max_epochs=100000,
                    verbose=0, name="multinomial", stacklevel=1)
    return out.coef, out.intercept, out.result.gap, problem


def _check_against(X, y, s, C, coef, intercept, gap, ref_coef, ref_intercept,
                   group=False, rtol=1e-8, **pen):
    value = objective(X, y, s, coef, intercept, C, group, **pen)
    ref = objective(X, y, s, ref_coef, ref_intercept, C, group, **pen)
    # the certificate: no point beats the returned one by more than the gap
    assert ref >= value - gap - 64 * EPS * value
    assert abs(value - ref) <= rtol * ref, (value, ref)


@pytest.mark.parametrize("C", [0.01, 0.1, 1.0])
def test_objective_matches_lbfgs_on_the_split_problem(C):
    X, y = _dataset("digits")
    s = np.ones(y.size)
    ref = lbfgs_l1(X, y, s, C, int(y.max()) + 1, maxiter=4000)
    coef, intercept, gap, _ = _fit(X, y, C, tol=1e-11)
    _check_against(X, y, s, C, coef, intercept, gap, *ref)


@pytest.mark.parametrize("C", [0.1, 1.0, 3.0, 10.0])
def test_news20_twenty_classes_matches_an_independent_dual_bound(C):
    # The reference is a lower bound on the optimum computed by numpy and
    # scipy alone (``dual_bound``), so ``bound <= min P <= value``: the
    # returned objective is within ``value - bound`` of the optimum.  The
    # solvers are too slow here: saga is 0.6 % (C = 0.1) and 2 % (C = 1) above
    # the optimum after 20000 epochs at tol 1e-12, L-BFGS-B on the split
    # problem needs 39 s of CPU at C = 0.1 and about 400 s at C = 1.
    X, y = _dataset("news20")
    assert y.max() + 1 == 20
    s = np.ones(y.size)
    coef, intercept, gap, problem = _fit(X, y, C, tol=1e-11)
    value = objective(X, y, s, coef, intercept, C)
    bound, slack = dual_bound(X, y, s, coef, intercept, C)
    assert slack <= 1e-12 * value
    assert bound <= value + 64 * EPS * value  # weak duality
    assert value - bound <= 1e-9 * value, (value, bound)
    assert gap <= 1e-10 * value
    assert abs(problem.to_objective_units(problem.primal()) - value) <= 1e-12 * value
    assert 0 < np.count_nonzero(np.abs(coef).max(axis=0)) < X.shape[1]


def _small(seed, n=40, p=8, K=4, sparse=False, dtype=np.float64):
    rng = np.random.default_rng([30, seed])
    X = rng.standard_normal((n, p))
    if sparse:
        X[rng.random((n, p)) < 0.5] = 0.0
    y = np.argmax(X @ rng.standard_normal((p, K)) + rng.standard_normal((n, K)),
                  axis=1)
    y[:K] = np.arange(K)  # every class present
    X = X.astype(dtype)
    return (sp.csc_matrix(X) if sparse else np.asfortranarray(X)), y


def _reference(X, y, s, C, K, group=False, fit_intercept=True, max_iter=20000,
               **pen):
    """L-BFGS-B on the split problem (L1), or FISTA (the group penalty)."""
    if group:
        return fista(X, y, s, C, K, group=True, fit_intercept=fit_intercept,
                     max_iter=max_iter, **pen)
    return lbfgs_l1(X, y, s, C, K, fit_intercept=fit_intercept, maxiter=4000,
                    **pen)


@pytest.mark.parametrize("group", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("C", [0.05, 0.5, 5.0])
def test_objective_matches_independent_solvers(group, weighted, C):
    X, y = _small(1)
    s = (np.random.default_rng(2).uniform(0.2, 3.0, y.size) if weighted
         else np.ones(y.size))
    ref = _reference(X, y, s, C, 4, group=group)
    coef, intercept, gap, _ = _fit(X, y, C, s=s, group=group)
    _check_against(X, y, s, C, coef, intercept, gap, *ref, group=group)


@pytest.mark.parametrize("group", [False, True])
def test_integer_weights_are_repeated_samples(group):
    X, y = _small(3)
    s = np.random.default_rng(4).integers(0, 4, y.size).astype(np.float64)
    s[:4] = 1.0
    rows = np.repeat(np.arange(y.size), s.astype(int))
    coef, intercept, gap, _ = _fit(X, y, 0.5, s=s, group=group)
    coef2, intercept2, gap2, _ = _fit(np.asfortranarray(X[rows]), y[rows], 0.5,
                                      group=group)
    a = objective(X, y, s, coef, intercept, 0.5, group)
    b = objective(X[rows], y[rows], np.ones(rows.size), coef2, intercept2, 0.5,
                  group)
    assert abs(a - b) <= max(gap, gap2) + 1e-12 * a


@pytest.mark.parametrize("group", [False, True])
@pytest.mark.parametrize("name", ["iris", "wine", "digits"])
def test_gap_closes_at_a_tight_tolerance(name, group):
    X, y = _dataset(name)
    C = 0.1
    coef, intercept, gap, problem = _fit(X, y, C, group=group, tol=1e-14)
    value = objective(X, y, np.ones(y.size), coef, intercept, C, group)
    assert gap <= 1e-12 * value
    # the problem's own primal (lambda units) is the reference's objective
    assert abs(problem.to_objective_units(problem.primal()) - value) <= 1e-13 * value


def test_null_model_and_units():
    X, y = _dataset("wine")
    s = np.random.default_rng(5).uniform(0.5, 2.0, y.size)
    problem = MultinomialProblem(X, y, s, 1.0, n_classes=3, fit_intercept=True)
    totals = np.bincount(y, weights=s)
    expected = -float(totals @ np.log(totals / totals.sum()))
    assert np.isclose(problem.tol_scale(), expected, rtol=1e-12)
    # the null model: W = 0, b the log priors (up to a constant)
    coef, intercept = problem.result()
    assert not coef.any() and coef.shape == (3, X.shape[1])
    assert np.isclose(objective(X, y, s, coef, intercept, 1.0), expected, rtol=1e-12)
    problem.set_regularization(4.0)
    assert problem.to_objective_units(2.0) == 8.0
    # large C => lambda = 1 / C; above the largest dual norm, the null model
    g = np.abs(X.T @ (s[:, None] * (np.eye(3)[y] - totals / totals.sum()))).max()
    coef, _, gap, _ = _fit(X, y, 0.99 / g, s=s)
    assert not coef.any() and gap <= 1e-12 * expected


def _random_case(seed):
    rng = np.random.default_rng([31, seed])
    n, p = int(rng.integers(8, 40)), int(rng.integers(2, 12))
    K = int(rng.integers(3, 6))
    dtype = rng.choice([np.float32, np.float64])
    sparse = bool(rng.random() < 0.4)
    X, y = _small(seed, n=max(n, K), p=p, K=K, sparse=sparse, dtype=dtype)
    X = X * 10.0 ** rng.uniform(-1, 1)
    if sparse:
        X = sp.csc_matrix(X)
    s = rng.uniform(0.1, 3.0, y.size) if rng.random() < 0.5 else np.ones(y.size)
    return dict(X=X, y=y, s=s, K=K, group=bool(rng.random() < 0.4),
                fit_intercept=bool(rng.random() < 0.7),
                C=float(10.0 ** rng.uniform(-1.5, 1.5)),
                tol=float(rng.choice([1e-3, 1e-5, 1e-8])))


@pytest.mark.parametrize("seed", range(12))
def test_the_certificate_bounds_the_suboptimality(seed):
    case = _random_case(seed)
    X, y, s, C, group = case["X"], case["y"], case["s"], case["C"], case["group"]
    fit_intercept = case["fit_intercept"]
    if fit_intercept is False:
        y = y.copy()
    coef, intercept, gap, _ = _fit(X, y, C, s=s, group=group, tol=case["tol"],
                                   fit_intercept=fit_intercept)
    assert coef.dtype == np.float64 and coef.shape == (case["K"], X.shape[1])
    # an upper bound on P*: tight enough for the tolerances drawn
    ref = _reference(X, y, s, C, case["K"], group=group,
                     fit_intercept=fit_intercept, max_iter=5000)
    X64 = X.astype(np.float64)
    value = objective(X64, y, s, coef, intercept, C, group)
    best = objective(X64, y, s, *ref, C, group)
    # P(returned) - P* <= gap, P* <= best; the reference is tight enough
    assert value - gap - 64 * EPS * value <= best
    assert gap <= case["tol"] * objective(X64, y, s, 0 * coef, 0 * intercept, C)
    if not fit_intercept:
        assert not intercept.any()


@pytest.mark.parametrize("group", [False, True])
@pytest.mark.parametrize("name, C", [("wine", 0.05), ("digits", 0.01),
                                     ("digits", 0.1)])
def test_screening_never_discards_a_feature_of_the_optimum(name, C, group):
    X, y = _dataset(name)
    s = np.ones(y.size)
    problem = MultinomialProblem(X, y, s, 1.0 / C, n_classes=int(y.max()) + 1,
                                 fit_intercept=True, group=group)
    discarded = []
    original = problem.discard
    problem.discard = lambda comps: (discarded.extend(comps), original(comps))[1]
    solve(problem, C, tol=1e-8, max_iter=500, max_epochs=100000, verbose=0,
          name="multinomial", stacklevel=1)
    assert discarded  # the test exercises screening
    # (FISTA's objective no longer moves after 2000 iterations here)
    ref, _ = (fista(X, y, s, C, int(y.max()) + 1, group=True, max_iter=3000)
              if group else lbfgs_l1(X, y, s, C, int(y.max()) + 1, maxiter=4000))
    used = np.flatnonzero(np.abs(ref).max(axis=0) > 1e-6 * np.abs(ref).max())
    assert not np.intersect1d(used, discarded).size


def test_warm_start_round_trips_and_bad_input_is_named():
    X, y = _small(6)
    problem = MultinomialProblem(X, y, np.ones(y.size), 1.0, n_classes=4,
                                 fit_intercept=False)
    coef = np.random.default_rng(7).standard_normal((4, X.shape[1]))
    problem.warm_start(coef, np.zeros(4))
    out, intercept = problem.result()
    assert np.array_equal(out, coef) and out is not coef
    assert np.array_equal(intercept, np.zeros(4))
    with pytest.raises(ValueError, match="class index"):
        MultinomialProblem(X, y + 4, np.ones(y.size), 1.0, n_classes=4,
                           fit_intercept=True)
    s = np.ones(y.size)
    s[y == 2] = 0.0
    with pytest.raises(ValueError, match="positive total sample weight"):
        MultinomialProblem(X, y, s, 1.0, n_classes=4, fit_intercept=True)


# -- elastic net and penalty weights --------------------------------------------
# some weights 0 (unpenalised features), one large
WEIGHTS = np.array([1.0, 0.0, 2.0, 0.5, 1.0, 0.0, 3.0, 1.0])


@pytest.mark.parametrize("group", [False, True])
@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("l1_ratio", [0.3, 0.7, 1.0])
@pytest.mark.parametrize("C", [0.05, 0.5, 5.0])
def test_enet_and_weights_match_independent_solvers(group, sparse, l1_ratio, C):
    X, y = _small(11, sparse=sparse)
    s = np.random.default_rng(12).uniform(0.2, 3.0, y.size)
    pen = dict(l1_ratio=l1_ratio, weights=WEIGHTS)
    ref = _reference(X, y, s, C, 4, group=group, **pen)
    coef, intercept, gap, problem = _fit(X, y, C, s=s, group=group, **pen)
    _check_against(X, y, s, C, coef, intercept, gap, *ref, group=group, **pen)
    value = objective(X, y, s, coef, intercept, C, group, **pen)
    assert gap <= 1e-11 * value
    # the problem's own primal (lambda units) is the reference's objective
    assert abs(problem.to_objective_units(problem.primal()) - value) <= 1e-12 * value


@pytest.mark.parametrize("group", [False, True])
@pytest.mark.parametrize("C", [0.1, 1.0])
def test_weights_are_a_column_rescaling(group, C):
    # l1_ratio = 1: the weighted problem on X is the plain one on X / v, with
    # W_j = W'_j / v_j
    X, y = _small(13)
    v = np.random.default_rng(14).uniform(0.3, 3.0, X.shape[1])
    s = np.ones(y.size)
    coef, intercept, gap, _ = _fit(X, y, C, group=group, weights=v)
    coef2, intercept2, gap2, _ = _fit(np.asfortranarray(X / v), y, C, group=group)
    a = objective(X, y, s, coef, intercept, C, group, weights=v)
    b = objective(X / v, y, s, coef2, intercept2, C, group)
    assert abs(a - b) <= max(gap, gap2) + 1e-12 * a
    np.testing.assert_allclose(coef, coef2 / v, atol=1e-5 * np.abs(coef).max())


@pytest.mark.parametrize("seed", range(8))
def test_the_certificate_bounds_the_suboptimality_enet(seed):
    case = _random_case(seed + 100)
    X, y, s, C, group = case["X"], case["y"], case["s"], case["C"], case["group"]
    rng = np.random.default_rng([32, seed])
    v = rng.uniform(0.0, 2.0, X.shape[1])
    l1_ratio = float(rng.choice([0.3, 0.7, 1.0]))
    if l1_ratio < 1.0:  # (with l1_ratio = 1 a free feature may separate the
        # classes: no optimum; the weight-0 features are tested on wine)
        v[rng.random(v.size) < 0.25] = 0.0
    v[0] = 1.0
    pen = dict(l1_ratio=l1_ratio, weights=v)
    fit_intercept = case["fit_intercept"]
    coef, intercept, gap, _ = _fit(X, y, C, s=s, group=group, tol=case["tol"],
                                   fit_intercept=fit_intercept, **pen)
    ref = _reference(X, y, s, C, case["K"], group=group,
                     fit_intercept=fit_intercept, max_iter=5000, **pen)
    X64 = X.astype(np.float64)
    value = objective(X64, y, s, coef, intercept, C, group, **pen)
    best = objective(X64, y, s, *ref, C, group, **pen)
    assert value - gap - 64 * EPS * value <= best
    null = objective(X64, y, s, 0 * coef, 0 * intercept, C, group, **pen)
    assert gap <= case["tol"] * null


@pytest.mark.parametrize("group", [False, True])
@pytest.mark.parametrize("l1_ratio", [0.5, 1.0])
def test_screening_never_discards_a_feature_of_the_enet_optimum(group, l1_ratio):
    X, y = _dataset("wine")
    s = np.ones(y.size)
    C = 0.05
    v = np.ones(X.shape[1])
    v[[0, 5]] = 0.0  # unpenalised: never screened
    v[[1, 2]] = 3.0
    pen = dict(l1_ratio=l1_ratio, weights=v)
    problem = MultinomialProblem(X, y, s, 1.0 / C, n_classes=3,
                                 fit_intercept=True, group=group, **pen)
    discarded = []
    original = problem.discard
    problem.discard = lambda comps: (discarded.extend(comps), original(comps))[1]
    out = solve(problem, C, tol=1e-10, max_iter=500, max_epochs=100000,
                verbose=0, name="multinomial", stacklevel=1)
    assert discarded  # the test exercises screening
    assert not np.intersect1d([0, 5], discarded).size
    ref, ref_intercept = _reference(X, y, s, C, 3, group=group, **pen)
    used = np.flatnonzero(np.abs(ref).max(axis=0) > 1e-6 * np.abs(ref).max())
    assert {0, 5} <= set(used.tolist())
    assert not np.intersect1d(used, discarded).size
    value = objective(X, y, s, out.coef, out.intercept, C, group, **pen)
    best = objective(X, y, s, ref, ref_intercept, C, group, **pen)
    assert abs(value - best) <= 1e-8 * best


def test_bad_penalties_are_named():
    X, y = _small(6)
    s = np.ones(y.size)
    kw = dict(n_classes=4, fit_intercept=True)
    with pytest.raises(ValueError, match="l1_ratio must lie in"):
        MultinomialProblem(X, y, s, 1.0, l1_ratio=1.5, **kw)
    with pytest.raises(ValueError, match="non-negative"):
        MultinomialProblem(X, y, s, 1.0, weights=-np.ones(X.shape[1]), **kw)
    with pytest.raises(ValueError, match="shape"):
        MultinomialProblem(X, y, s, 1.0, weights=np.ones(3), **kw)
    with pytest.raises(ValueError, match="all penalty_weights are zero"):
        MultinomialProblem(X, y, s, 1.0, weights=np.zeros(X.shape[1]), **kw)


def _model_value(X, s, P, R, W, dW, db, ws, lam, v, l2):
    """The Newton model ``q`` of ``_multinomial_model`` (with the penalty's
    weights and L2 part), in numpy."""
    D = np.zeros_like(W)
    D[ws] = dW
    U = np.asarray(X @ D) + db
    mu = (P * U).sum(axis=1)
    quad = 0.5 * float(s @ ((P * U * U).sum(axis=1) - mu * mu))
    new = W[ws] + dW
    return (-float((R * U).sum()) + quad + lam * float(v[ws] @ np.abs(new).sum(axis=1))
            + 0.5 * l2 * float((new ** 2).sum()))


@pytest.mark.parametrize("enet", [False, True])
@pytest.mark.parametrize("solve", ["dense", "cg"])
@pytest.mark.parametrize("sparse", [False, True])
def test_polish_minimises_the_model_on_its_sign_pattern(sparse, solve, enet):
    # From any direction, the polish never raises the model's value; where
    # it keeps every nonzero weight's sign it is the model's minimiser over
    # those weights and the intercept: gradient + lam sign = 0 there.  Both
    # solves: LU, and conjugate gradients (no size is dense enough).
    from blitzlearn._kernels._columns import as_columns
    from blitzlearn._kernels._multinomial_model import polish

    exact = 0
    for seed in range(12):
        rng = np.random.default_rng([32, seed])
        n, p, K = 30, 10, 4
        X, _ = _small(seed, n=n, p=p, K=K, sparse=sparse)
        y = rng.integers(0, K, n)
        s = rng.uniform(0.5, 2.0, n)
        Z = 3.0 * rng.standard_normal((n, K))
        P = np.exp(Z - Z.max(axis=1, keepdims=True))
        P /= P.sum(axis=1, keepdims=True)
        R = s[:, None] * (np.eye(K)[y] - P)
        ws = np.sort(rng.choice(p, 6, replace=False)).astype(np.int64)
        W = np.zeros((p, K))
        # large weights (some zero): the step keeps most sign patterns
        W[ws] = (rng.choice([-1.0, 1.0], (6, K)) * rng.uniform(2.0, 20.0, (6, K))
                 * (rng.random((6, K)) < 0.5))
        dW = 0.1 * rng.standard_normal((6, K)) * (rng.random((6, K)) < 0.7)
        # a zero class per feature (the subproblem's centring gives one, or
        # balanced signs, where the weights' common shift is flat)
        dW[W[ws] == 0.0] = 0.0
        none = rng.integers(0, K, 6)
        W[ws, none] = 0.0
        dW[np.arange(6), none] = 0.0
        db = 0.1 * rng.standard_normal(K)
        D = np.zeros_like(W)
        D[ws] = dW
        U = np.ascontiguousarray(np.asarray(X @ D) + db)
        mu = (P * U).sum(axis=1)
        lam = 0.3
        # penalty weights (some 0) and an L2 part, or the plain L1 penalty
        v = rng.choice([0.0, 0.5, 1.0, 2.0], p) if enet else np.ones(p)
        l2 = 0.2 if enet else 0.0
        before = _model_value(X, s, P, R, W, dW, db, ws, lam, v, l2)
        nonzero = np.count_nonzero(W[ws] + dW)
        data, indices, indptr, is_sparse = as_columns(X)
        X2 = X.multiply(X) if sparse else X * X
        bohning = 0.5 * np.asarray(X2.T @ s).ravel()[ws]
        # the diagonals of the model's Hessian (no damping) plus l2
        H_diag = s[:, None] * P * (1.0 - P)
        curv = np.asarray(X2.T @ H_diag)[ws] + l2
        polish(data, indices, indptr, n, is_sparse, s, P, R, U, mu, W, dW, db,
               ws, True, lam, v, l2, 0.0, bohning, 0.5 * s.sum(), curv,
               H_diag.sum(axis=0), np.inf, 1000 if solve == "dense" else 0)
        after = _model_value(X, s, P, R, W, dW, db, ws, lam, v, l2)
        assert after <= before + 1e-12 * abs(before)
        # the model state kept in place is the direction's
        D[ws] = dW
        assert np.allclose(U, np.asarray(X @ D) + db, rtol=0, atol=1e-10)
        assert np.allclose(mu, (P * U).sum(axis=1), rtol=0, atol=1e-10)
        V = W[ws] + dW
        if np.count_nonzero(V) == nonzero:
            exact += 1
            M = s[:, None] * P * (U - mu[:, None]) - R  # the model's score gradient
            G = np.asarray(X.T @ M)[ws]
            slope = G + l2 * V + lam * v[ws, None] * np.sign(V)
            assert np.abs(slope[V != 0]).max() <= 1e-9
            assert np.abs(M.sum(axis=0)).max() <= 1e-9
    assert exact > 0
