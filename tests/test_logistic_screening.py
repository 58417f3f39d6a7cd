# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Safe screening of the L1-logistic plug-in, checked against verified optima.

BlitzWS discards a feature for good when the safe ball around the dual optimum
proves its coefficient is zero.  On small random problems (correlated columns,
exact and sign-flipped duplicates, constant columns, dense or sparse, with or
without intercept and sample weights) the engine runs through a
``LogisticProblem`` subclass that records every discard and re-evaluates every
certificate in NumPy; the result is compared with the high-precision reference
of ``_logistic_reference`` (Newton on the support, verified by the KKT
conditions on every feature and a duality gap below 1e-12 relative).
"""

import numpy as np
import scipy.sparse as sp
from _logistic_reference import (
    c_min,
    dual_objective,
    logistic_objective,
    null_objective,
    reference_solution,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from blitzlearn._engine import blitzws
from blitzlearn._problems._logistic import LogisticProblem

# Gap tolerance of the engine, relative to the null model's loss P_null.
ENGINE_TOL = 1e-12


class RecordingLogisticProblem(LogisticProblem):
    """``LogisticProblem`` that records discards and re-checks each certificate.

    The checks use only the public state (``X``, ``y``, ``s``, ``lam``, ``w``,
    ``intercept()``, ``theta``, ``alive()``) and NumPy.
    """

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
        C = 1.0 / self.lam
        # primal in lambda units: P_sklearn / C
        primal = logistic_objective(X, self.y, self.w, self.intercept(), C,
                                    self.s) / C
        theta = np.array(self.theta, dtype=np.float64)
        corr = X[:, self.alive()].T @ theta
        q = self.y * theta / np.where(self.s > 0, self.s, 1.0)
        self.steps.append({
            "gap": cert.gap,
            "lower": cert.lower,
            "primal": primal,
            "dual": dual_objective(self.y, theta, self.s),
            # theta is dual feasible on the constraints still alive ...
            "infeasibility": np.abs(corr).max(initial=0.0) / self.lam - 1.0,
            "orthogonality": (abs(float(theta.sum())) if self.fit_intercept
                              else 0.0),
            "theta_norm": float(np.abs(theta).sum()),
            # ... and inside the domain of the conjugate loss
            "domain": (float(q.min(initial=0.0)), float(q.max(initial=0.0))),
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
def logistic_problems(draw):
    """The parameters of a random problem (built by :func:`_make_problem`)."""
    return {
        "n": draw(st.integers(4, 40), label="n_samples"),
        "p": draw(st.integers(1, 40), label="n_features"),
        "seed": draw(st.integers(0, 2**32 - 1), label="seed"),
        "structure": draw(st.sampled_from(["iid", "correlated", "duplicates",
                                           "mixed"])),
        "sparse": draw(st.booleans(), label="sparse"),
        "fit_intercept": draw(st.booleans(), label="fit_intercept"),
        "weighted": draw(st.booleans(), label="weighted"),
        "factor": float(np.exp(draw(st.floats(np.log(1.01), np.log(1000.0)),
                                    label="log(C / C_min)"))),
    }


def _make_problem(params):
    """``(X, y, sw)`` of a drawn problem: X float64 C-ordered, y in {-1, +1}."""
    n, p = params["n"], params["p"]
    rng = np.random.default_rng(params["seed"])
    X = _columns(rng, n, p, params["structure"])
    if params["sparse"]:
        X *= rng.random((n, p)) < 0.6
    w_true = 2.0 * rng.standard_normal(p) * (rng.random(p) < 0.3)
    z = X @ w_true + 0.5 * rng.standard_normal(n) + rng.normal(0.0, 1.0)
    y = np.where(rng.random(n) < 1.0 / (1.0 + np.exp(-z)), 1.0, -1.0)
    y[:2] = [1.0, -1.0]  # both classes, each with a positive weight
    sw = rng.uniform(0.2, 3.0, n) if params["weighted"] else np.ones(n)
    return X, y, sw


def _as_input(X, sparse):
    """Fortran-ordered dense or sorted CSC, as the plug-in requires."""
    if sparse:
        Xm = sp.csc_matrix(X)
        Xm.sort_indices()
        return Xm
    return np.asfortranarray(X)


def _run(X, y, sw, fit_intercept, sparse, C, max_epochs, max_iter=2000):
    """Engine run on a recording problem: ``(problem, result, tol)``."""
    problem = RecordingLogisticProblem(
        _as_input(X, sparse), y, sw, 1.0 / C, fit_intercept=fit_intercept,
        w0=np.zeros(X.shape[1]))
    # the estimator's rule, in lambda units: tol times the null model's loss
    tol = ENGINE_TOL * null_objective(y, 1.0, fit_intercept, sw)
    result = blitzws(problem, tol=tol, max_iter=max_iter, max_epochs=max_epochs)
    return problem, result, tol


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(problem=logistic_problems(), max_epochs=st.sampled_from([1, 3, 100_000]))
def test_screening_never_discards_an_active_feature(problem, max_epochs):
    # Small max_epochs leave each subproblem unfinished, so the engine runs
    # many outer iterations with sizeable gaps: that is when screening fires.
    # Screening must be safe whether or not the run converges.
    X, y, sw = _make_problem(problem)
    fit_intercept, sparse = problem["fit_intercept"], problem["sparse"]
    cm = c_min(X, y, fit_intercept, sw)
    if not np.isfinite(cm):
        return  # X^T r0 = 0: w = 0 for every C, nothing to screen
    C = problem["factor"] * cm
    problem, result, tol = _run(X, y, sw, fit_intercept, sparse, C, max_epochs)
    event(f"screened: {bool(problem.discarded)}")
    event(f"converged: {result.converged}")

    w_ref, _, cert = reference_solution(
        X, y, C, fit_intercept, sw, hint=(problem.w, problem.intercept()))
    assert cert.gap <= 1e-12 * cert.primal, cert
    p_ref = cert.primal / C  # lambda units
    slack = 1e-11 * max(tol / ENGINE_TOL, p_ref)

    # -- the run converged and its certificate holds against the reference
    if max_epochs == 100_000:
        assert result.converged, (result.gap, tol, result.history[-5:])
    assert result.converged == (result.gap <= tol)
    assert result.gap >= 0.0
    p_final = logistic_objective(X, y, problem.w, problem.intercept(), C, sw) / C
    assert p_final - p_ref <= result.gap + slack, (p_final - p_ref, result.gap)

    # -- every outer iteration: a gap certified independently
    assert len(result.history) == result.n_iter
    for k, step in enumerate(problem.steps):
        where = f"outer iteration {k + 1}: {step}"
        # the reported lower bound is minus the primal at the current weights
        assert abs(-step["lower"] - step["primal"]) <= slack, where
        assert step["infeasibility"] <= 1e-9, where
        assert step["orthogonality"] <= 1e-9 * max(1.0, step["theta_norm"]), where
        assert -1e-12 <= step["domain"][0] and step["domain"][1] <= 1 + 1e-12, where
        # weak duality, and D(theta) cannot exceed the optimum unless an
        # active constraint was screened (theta is only feasible on the rest)
        assert step["primal"] - step["dual"] >= -slack, where
        assert step["dual"] <= p_ref + slack, where
        # the gap the engine used is at least the one these points certify
        assert step["gap"] >= step["primal"] - step["dual"] - slack, where

    # -- screening: nothing active at the optimum was discarded
    discarded = (np.concatenate(problem.discarded) if problem.discarded
                 else np.empty(0, dtype=int))
    assert np.unique(discarded).size == discarded.size  # each feature once
    threshold = 1e-10 * float(np.abs(w_ref).max(initial=0.0))
    active = np.flatnonzero(np.abs(w_ref) > threshold)
    wrongly = np.intersect1d(discarded, active)
    assert wrongly.size == 0, (
        f"screened features {wrongly} carry weights {w_ref[wrongly]} at the "
        f"reference optimum (max |w| {np.abs(w_ref).max():.3e})")
    assert np.all(problem.w[discarded] == 0.0)


def test_screening_discards_on_an_easy_problem():
    # Guard against the property test passing vacuously: with many irrelevant
    # features and C close to C_min, screening must fire.
    rng = np.random.default_rng(0)
    n, p = 60, 200
    X = rng.standard_normal((n, p))
    z = X[:, :3] @ np.array([3.0, -2.0, 1.5])
    y = np.where(rng.random(n) < 1.0 / (1.0 + np.exp(-z)), 1.0, -1.0)
    sw = np.ones(n)
    C = 2.0 * c_min(X, y, True)
    problem, result, _ = _run(X, y, sw, True, False, C, max_epochs=100_000)
    assert result.converged
    discarded = np.concatenate(problem.discarded)
    assert discarded.size > p // 2
    w_ref, _, _ = reference_solution(X, y, C, True,
                                     hint=(problem.w, problem.intercept()))
    support = np.flatnonzero(w_ref)
    assert support.size > 0
    assert not np.isin(support, discarded).any()


def test_duplicate_columns_are_screened_together():
    # Exact duplicates have the same dual constraint: when the safe ball
    # proves one inactive it proves its twin inactive too.
    rng = np.random.default_rng(1)
    n, p = 40, 40
    X = rng.standard_normal((n, p))
    X[:, 20:] = X[:, :20]
    z = 2.0 * X[:, 0]
    y = np.where(rng.random(n) < 1.0 / (1.0 + np.exp(-z)), 1.0, -1.0)
    C = 1.5 * c_min(X, y, True)
    problem, result, _ = _run(X, y, np.ones(n), True, False, C, max_epochs=2)
    assert result.converged
    assert problem.discarded
    discarded = np.concatenate(problem.discarded)
    w_ref, _, _ = reference_solution(X, y, C, True,
                                     hint=(problem.w, problem.intercept()))
    active = np.flatnonzero(w_ref)
    assert active.size > 0
    assert not np.isin(active, discarded).any()
    assert not np.isin((active + 20) % 40, discarded).any()  # nor their twins
    twins = (discarded + 20) % 40
    assert np.all(np.isin(twins, discarded) | (np.abs(problem.w[twins]) <= 1e-10))
