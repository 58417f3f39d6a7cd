# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Safe screening of the Lasso plug-in, checked against high-precision optima.

BlitzWS discards a feature for good when the safe ball around the dual optimum
proves its coefficient is zero.  On small random problems (correlated columns,
exact and sign-flipped duplicates, constant columns, dense or sparse, with or
without intercept, weights and ``positive``) the engine is run to a tight
tolerance through a ``LassoProblem`` subclass that records every discard and
re-evaluates every certificate in NumPy, and the result is compared with
scikit-learn's Lasso run to ``tol=1e-14``.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import alpha_max, centred_target, lasso_objective
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso

from blitzlearn._engine import blitzws
from blitzlearn._problems._lasso import LassoProblem

# Relative gap tolerance of the engine (times ||y - ybar||^2) and of the reference.
ENGINE_TOL = 1e-12
REFERENCE_TOL = 1e-14


class RecordingLassoProblem(LassoProblem):
    """``LassoProblem`` that records discards and re-checks each certificate."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.discarded = []  # one array of feature indices per discard call
        self.steps = []  # per refresh: what NumPy says about the certificate

    def discard(self, components):
        components = np.asarray(components).copy()
        # a feature is screened once, and only while it is alive
        assert np.isin(components, self.alive()).all()
        # a nonzero weight must stay (the plug-in forces it into the working set)
        assert np.all(self.w[components] == 0.0), self.w[components]
        self.discarded.append(components)
        super().discard(components)

    def refresh(self, working_set):
        cert = super().refresh(working_set)
        X = self.X.toarray() if sp.issparse(self.X) else np.asarray(self.X)
        X = X.astype(np.float64)
        # primal P(w, c) with the optimal intercept c, in lambda units
        r = self.y - X @ self.w
        if self.fit_intercept:
            r -= (self.d @ r) / (self.d @ self.d) * self.d
        primal = 0.5 * float(r @ r) + self.lam * float(np.abs(self.w).sum())
        # the dual point and its feasibility on the constraints still alive
        theta = np.array(self.theta, dtype=np.float64)
        corr = X[:, self.alive()].T @ theta
        worst = corr.max(initial=0.0) if self.positive else np.abs(corr).max(
            initial=0.0)
        dual = float(self.y @ theta - 0.5 * theta @ theta)
        self.steps.append({
            "gap": cert.gap,
            "lower": cert.lower,
            "primal": primal,
            "dual": dual,
            "infeasibility": worst / self.lam - 1.0,
            "orthogonality": abs(float(self.d @ theta)) if self.fit_intercept else 0.0,
            "theta_norm": float(np.linalg.norm(theta)),
        })
        return cert


def _columns(rng, n, p, structure):
    """A design matrix with the requested column structure (float64, C order)."""
    if structure == "correlated":
        k = max(1, p // 4)
        X = rng.standard_normal((n, k)) @ rng.standard_normal((k, p))
        X += 0.05 * rng.standard_normal((n, p))
    else:
        X = rng.standard_normal((n, p))
    if structure in ("duplicates", "mixed") and p >= 2:
        n_dup = rng.integers(1, max(2, p // 2) + 1)
        src = rng.integers(0, p, size=n_dup)
        dst = rng.integers(0, p, size=n_dup)
        sign = rng.choice([1.0, -1.0, 2.0], size=n_dup)
        X[:, dst] = X[:, src] * sign  # exact (scaled, sign-flipped) copies
    if structure == "mixed" and p >= 3:
        X[:, rng.integers(0, p)] = 3.0  # a constant column
    return X


@st.composite
def lasso_problems(draw):
    n = draw(st.integers(4, 40), label="n_samples")
    p = draw(st.integers(1, 40), label="n_features")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    structure = draw(st.sampled_from(["iid", "correlated", "duplicates", "mixed"]))
    sparse = draw(st.booleans(), label="sparse")
    fit_intercept = draw(st.booleans(), label="fit_intercept")
    positive = draw(st.booleans(), label="positive")
    weighted = draw(st.booleans(), label="weighted")
    frac = draw(st.floats(0.002, 0.95), label="alpha / alpha_max")

    rng = np.random.default_rng(seed)
    X = _columns(rng, n, p, structure)
    if sparse:
        X *= rng.random((n, p)) < 0.6
    w_true = rng.standard_normal(p) * (rng.random(p) < 0.3)
    y = X @ w_true + 0.3 * rng.standard_normal(n) + 2.0
    sw = rng.uniform(0.2, 3.0, n) if weighted else None
    return X, y, sw, fit_intercept, positive, sparse, frac


def _reference(X, y, sw, alpha, fit_intercept, positive):
    """sklearn's Lasso at tol=1e-14: coefficients and objective."""
    ref = Lasso(alpha=alpha, tol=REFERENCE_TOL, max_iter=1_000_000,
                fit_intercept=fit_intercept, positive=positive)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ref.fit(X, y, sample_weight=sw)
    return ref.coef_, lasso_objective(X, y, ref.coef_, ref.intercept_, alpha, sw)


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(problem=lasso_problems(),
       max_epochs=st.sampled_from([1, 3, 10, 100_000]))
def test_screening_never_discards_an_active_feature(problem, max_epochs):
    # Small max_epochs leave each subproblem unfinished, so the engine runs
    # many outer iterations with sizeable gaps: that is when screening fires
    # (with 100_000 the first subproblem often solves a small problem outright).
    # With one to ten coordinate-descent passes per outer iteration the engine
    # may legitimately need more than max_iter iterations on ill-conditioned
    # draws; screening must be safe whether or not it converges.
    X, y, sw, fit_intercept, positive, sparse, frac = problem
    n, p = X.shape
    # With weights the plug-in sees rows scaled by d = sqrt(s), s summing to n.
    s = np.ones(n) if sw is None else sw * (n / sw.sum())
    d = np.sqrt(s)
    amax = alpha_max(X, y, fit_intercept, sample_weight=sw)
    if positive:  # the positive problem's alpha_max is one-sided
        yc = centred_target(y, fit_intercept, sw)
        amax = max(float((X.T @ (s * yc)).max()) / n, 0.0)
    if amax <= 1e-10:
        return  # w = 0 for every alpha: nothing to screen
    alpha = frac * amax
    lam = n * alpha

    Xd = X * d[:, None]
    Xd = sp.csc_matrix(Xd) if sparse else np.asfortranarray(Xd)
    if sparse:
        Xd.sort_indices()
    yd = y * d
    problem = RecordingLassoProblem(Xd, yd, d, lam, fit_intercept=fit_intercept,
                                    positive=positive, w0=np.zeros(p))
    yc = centred_target(y, fit_intercept, sw)
    scale = float(s @ (yc * yc))  # ||y - ybar||^2 in the plug-in's units
    result = blitzws(problem, tol=ENGINE_TOL * scale, max_iter=2000,
                     max_epochs=max_epochs)
    event(f"screened: {bool(problem.discarded)}")

    w_ref, p_ref = _reference(X, y, sw, alpha, fit_intercept, positive)
    p_ref_internal = n * p_ref  # lambda units: P_internal = n * P_objective
    slack = 1e-11 * max(scale, abs(p_ref_internal), 1e-300)

    # -- the run converged and its certificate holds against the reference
    if max_epochs == 100_000:
        assert result.converged, (result.gap, ENGINE_TOL * scale,
                                  result.history[-5:])
    assert result.converged == (result.gap <= ENGINE_TOL * scale)
    assert result.gap >= 0.0
    p_final = n * lasso_objective(X, y, problem.w, problem.intercept(), alpha, sw)
    assert p_final - p_ref_internal <= result.gap + slack

    # -- every outer iteration: a non-negative gap, certified independently
    assert len(result.history) == result.n_iter
    assert all(g >= 0.0 for g in result.history)
    for k, step in enumerate(problem.steps):
        where = f"outer iteration {k + 1}: {step}"
        # the reported lower bound is minus the primal at the current weights
        assert abs(-step["lower"] - step["primal"]) <= slack, where
        # theta is dual feasible on the surviving constraints ...
        assert step["infeasibility"] <= 1e-9, where
        assert step["orthogonality"] <= 1e-9 * max(1.0, step["theta_norm"]), where
        # ... so weak duality holds without the clamp at zero, and D(theta)
        # cannot exceed the optimum unless an active constraint was screened
        assert step["primal"] - step["dual"] >= -slack, where
        assert step["dual"] <= p_ref_internal + slack, where
        # the gap the engine used is the one these points certify
        assert step["gap"] >= step["primal"] - step["dual"] - slack, where

    # -- screening: nothing active at the optimum was discarded
    discarded = (np.concatenate(problem.discarded) if problem.discarded
                 else np.empty(0, dtype=int))
    assert np.unique(discarded).size == discarded.size  # each feature once
    # sklearn's coordinate descent leaves exact zeros off the support; allow
    # for tiny weights it may put on features whose constraint is (nearly)
    # active at the optimum, which a safe rule may still discard
    threshold = 1e-7 * max(1.0, float(np.abs(w_ref).max(initial=0.0)))
    active = np.flatnonzero(np.abs(w_ref) > threshold)
    wrongly_discarded = np.intersect1d(discarded, active)
    assert wrongly_discarded.size == 0, (
        f"screened features {wrongly_discarded} carry weights "
        f"{w_ref[wrongly_discarded]} at the reference optimum"
    )
    assert np.all(np.abs(w_ref[discarded]) <= threshold)
    assert np.all(problem.w[discarded] == 0.0)


def test_screening_discards_on_an_easy_problem():
    # Guard against the property test passing vacuously: on a problem with
    # many irrelevant features and a large alpha, screening must fire.
    rng = np.random.default_rng(0)
    n, p = 50, 200
    X = np.asfortranarray(rng.standard_normal((n, p)))
    y = X[:, :3] @ np.array([3.0, -2.0, 1.5]) + 0.1 * rng.standard_normal(n)
    lam = 0.5 * float(np.abs(X.T @ (y - y.mean())).max())
    problem = RecordingLassoProblem(X, y, np.ones(n), lam, fit_intercept=True,
                                    positive=False, w0=np.zeros(p))
    result = blitzws(problem, tol=1e-12 * float((y - y.mean()) @ (y - y.mean())),
                     max_iter=1000, max_epochs=100_000)
    assert result.converged
    discarded = np.concatenate(problem.discarded)
    assert discarded.size > p // 2
    assert not np.isin([0, 1, 2], discarded).any()


@pytest.mark.parametrize("sparse", [False, True])
def test_duplicate_columns_are_screened_together(sparse):
    # Exact duplicates have the same dual constraint: when the safe ball
    # proves one inactive it proves its twin inactive too.
    rng = np.random.default_rng(1)
    n, p = 30, 40
    X = rng.standard_normal((n, p))
    X[:, 20:] = X[:, :20]
    y = X[:, 0] * 2.0 + 0.1 * rng.standard_normal(n)
    Xm = sp.csc_matrix(X) if sparse else np.asfortranarray(X)
    yc = y - y.mean()
    lam = 0.5 * float(np.abs(X.T @ yc).max())
    problem = RecordingLassoProblem(Xm, y, np.ones(n), lam, fit_intercept=True,
                                    positive=False, w0=np.zeros(p))
    result = blitzws(problem, tol=1e-12 * float(yc @ yc), max_iter=1000,
                     max_epochs=2)
    assert result.converged
    assert problem.discarded  # something was screened
    discarded = np.concatenate(problem.discarded)
    assert not np.isin([0, 20], discarded).any()  # the true feature and its twin
    twins = (discarded + 20) % 40
    # the twin of a discarded feature has the same inactive constraint: it is
    # discarded as well, or at least ends with a zero weight
    assert np.all(np.isin(twins, discarded) | (np.abs(problem.w[twins]) <= 1e-10))
