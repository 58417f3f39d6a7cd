# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The L1-penalised squared-hinge SVM (liblinear ``-s 5``) at the problem level.

``L1SVMProblem`` solved by :func:`blitzlearn._engine.solve` against
scikit-learn's ``LinearSVC(penalty="l1", loss="squared_hinge", dual=False)``
at a tight tolerance and against the independent reference of
``_l1svm_reference`` (L-BFGS-B on the split weights, polished and certified
by its own dual point); the certificate bounds the suboptimality (seeded
random problems, float32 included); screening never drops a feature of the
reference's support.
"""

import functools
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import DATASETS, load_classification_dataset
from _l1svm_reference import objective, reference_solution
from sklearn.exceptions import ConvergenceWarning
from sklearn.svm import LinearSVC

from blitzlearn._backend import device_design, numpy_backend
from blitzlearn._engine import solve
from blitzlearn._problems._build import build_problem
from blitzlearn._problems._device import DeviceL1SVMProblem
from blitzlearn._problems._l1svm import L1SVMProblem
from blitzlearn.datasets import load_libsvm

MODES = ("penalized", "unpenalized", None)
EPS = np.finfo(np.float64).eps


@functools.cache
def _subset(name, rows=1000):
    """The first ``rows`` examples of a sparse LIBSVM set, CSC float64."""
    if not DATASETS.is_dir():
        pytest.skip(f"../shared/datasets not found: {DATASETS} does not exist")
    X, y = load_libsvm(name, data_home=DATASETS)
    X = sp.csc_matrix(sp.csr_matrix(X)[:rows], dtype=np.float64)
    X.sort_indices()
    return X, np.where(np.asarray(y)[:rows] > 0, 1.0, -1.0)


def _data(name):
    if name == "breast_cancer":
        return load_classification_dataset(name)
    return _subset(name)


def _solve(X, y, s, C, mode, tol, B=1.0, max_epochs=100_000, problem=None):
    if problem is None:
        problem = L1SVMProblem(X, y, s, 1.0 / C, intercept=mode,
                               w0=np.zeros(X.shape[1]), intercept_scaling=B)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = solve(problem, C, tol=tol, max_iter=1000, max_epochs=max_epochs,
                    verbose=0, name="L1SVM", stacklevel=1)
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return out, warned, problem


def _weights(n, weighted, seed=0):
    if not weighted:
        return np.ones(n)
    return np.random.default_rng(seed).uniform(0.2, 3.0, n)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("mode", ["penalized", "unpenalized"])
@pytest.mark.parametrize("C", [0.01, 0.1, 1.0])
@pytest.mark.parametrize("name", ["breast_cancer", "a9a", "w8a"])
def test_objective_matches_linearsvc_and_the_reference(name, C, mode, weighted):
    X, y = _data(name)
    s = _weights(y.size, weighted)
    _, _, upper, lower = reference_solution(X, y, C, s, mode)
    assert upper - lower <= 1e-13 * upper  # the reference is certified
    # the tolerance is relative to the null model's objective: 1e-12 of P*
    problem = L1SVMProblem(X, y, s, 1.0 / C, intercept=mode,
                           w0=np.zeros(X.shape[1]))
    tol = 1e-12 * upper / (C * problem.tol_scale())
    out, warned, _ = _solve(None, y, s, C, mode, tol=tol, problem=problem)
    value = objective(X, y, out.coef, out.intercept, C, s, mode)
    assert not warned
    assert 0.0 <= out.result.gap <= 1e-12 * upper
    assert abs(value - upper) <= 1e-7 * upper
    slack = 1e-14 * upper  # rounding of the objectives' sums
    assert lower - slack <= value <= upper + out.result.gap + slack  # certified
    if mode == "penalized":  # LinearSVC's own objective (intercept_scaling = 1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            sk = LinearSVC(penalty="l1", loss="squared_hinge", dual=False, C=C,
                           tol=1e-10, max_iter=10 ** 6).fit(X, y, sample_weight=s)
        theirs = objective(X, y, sk.coef_[0], sk.intercept_[0], C, s, mode)
        assert abs(value - theirs) <= 1e-7 * theirs
        assert value <= theirs * (1 + 1e-13)


@pytest.mark.parametrize("B", [0.5, 3.0])
def test_penalised_intercept_is_linearsvcs_with_intercept_scaling(B):
    X, y = load_classification_dataset("breast_cancer")
    s = np.ones(y.size)
    C = 0.1
    out, warned, _ = _solve(X, y, s, C, "penalized", tol=1e-13, B=B)
    assert not warned
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = LinearSVC(penalty="l1", loss="squared_hinge", dual=False, C=C,
                       tol=1e-10, max_iter=10 ** 6, intercept_scaling=B).fit(X, y)
    ours = objective(X, y, out.coef, out.intercept, C, s, "penalized", B)
    theirs = objective(X, y, sk.coef_[0], sk.intercept_[0], C, s, "penalized", B)
    assert abs(ours - theirs) <= 1e-9 * theirs
    np.testing.assert_allclose(out.intercept, sk.intercept_[0], rtol=1e-5, atol=1e-7)


def test_no_intercept_matches_linearsvc():
    X, y = _subset("a9a")
    s = np.ones(y.size)
    out, warned, _ = _solve(X, y, s, 0.1, None, tol=1e-13)
    assert not warned and out.intercept == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sk = LinearSVC(penalty="l1", loss="squared_hinge", dual=False, C=0.1,
                       tol=1e-10, max_iter=10 ** 6, fit_intercept=False).fit(X, y)
    ours = objective(X, y, out.coef, 0.0, 0.1, s, None)
    theirs = objective(X, y, sk.coef_[0], 0.0, 0.1, s, None)
    assert abs(ours - theirs) <= 1e-9 * theirs


# -- the certificate bounds the suboptimality (seeded property test) -------------


def _random_case(seed):
    rng = np.random.default_rng(seed)
    n, p = int(rng.integers(20, 70)), int(rng.integers(3, 40))
    X = rng.standard_normal((n, p)) * 10.0 ** rng.uniform(-1, 1)
    sparse = rng.random() < 0.5
    if sparse:
        X[rng.random((n, p)) > 0.5] = 0.0
    dtype = np.float32 if rng.random() < 0.5 else np.float64
    X = X.astype(dtype)
    X64 = X.astype(np.float64)
    w = rng.standard_normal(p) * (rng.random(p) < 0.3)
    y = np.where(X64 @ w + 0.3 * rng.standard_normal(n) > 0, 1.0, -1.0)
    y[:2] = [1.0, -1.0]
    s = rng.uniform(0.1, 3.0, n) if rng.random() < 0.5 else np.ones(n)
    mode = MODES[int(rng.integers(3))]
    B = float(rng.choice([1.0, 0.3, 5.0]))
    C = 10.0 ** rng.uniform(-2, 1)
    tol = float(rng.choice([1e-3, 1e-6]))
    Xg = sp.csc_matrix(X) if sparse else np.asfortranarray(X)
    return dict(X=Xg, X64=X64, y=y, s=s, mode=mode, B=B, C=C, tol=tol,
                tag=f"seed={seed} n={n} p={p} sparse={sparse} {dtype.__name__} "
                    f"{mode} B={B} C={C:.3g} tol={tol:g}")


def _check(case):
    X, X64, y, s, mode, B, C, tol = (case[k] for k in
                                     ("X", "X64", "y", "s", "mode", "B", "C", "tol"))
    problem = L1SVMProblem(X, y, s, 1.0 / C, intercept=mode, intercept_scaling=B,
                           w0=np.zeros(X.shape[1]))
    scale = C * problem.tol_scale()
    out, warned, _ = _solve(None, y, s, C, mode, tol, problem=problem)
    assert out.coef.dtype == np.float64
    returned = objective(X64, y, out.coef, out.intercept, C, s, mode, B)
    _, _, upper, lower = reference_solution(X64, y, C, s, mode, B)
    magnitude = (float(np.abs(out.coef).sum())
                 + C * float(s @ (1.0 + np.abs(X64) @ np.abs(out.coef)
                                  + abs(out.intercept)) ** 2))
    noise = 64 * EPS * magnitude
    messages = []
    if returned - upper > out.result.gap + noise:
        messages.append(f"{case['tag']}: P - P_ref = {returned - upper:.3e} above "
                        f"the gap {out.result.gap:.3e}")
    if returned - lower < -noise:
        messages.append(f"{case['tag']}: below the reference's dual bound")
    if upper - lower > 1e-3 * tol * scale + noise:
        messages.append(f"{case['tag']}: reference not tight "
                        f"({upper - lower:.3e})")
    if not warned and out.result.gap > tol * scale * (1 + 1e-9) + noise:
        messages.append(f"{case['tag']}: converged with a gap above the tolerance")
    return messages


def test_certificate_bounds_the_suboptimality():
    messages = []
    for seed in range(60):
        messages += _check(_random_case(seed))
    assert not messages, "\n".join(messages[:20])


# -- screening is safe -----------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name, C", [("breast_cancer", 0.05), ("a9a", 0.1),
                                     ("w8a", 1.0)])
def test_screening_keeps_the_reference_support(name, C, mode):
    X, y = _data(name)
    s = _weights(y.size, True, seed=3)
    problem = L1SVMProblem(X, y, s, 1.0 / C, intercept=mode,
                           w0=np.zeros(X.shape[1]))
    dropped = []
    discard = problem.discard

    def recording(components):
        dropped.extend(np.asarray(components).tolist())
        discard(components)

    problem.discard = recording
    out, warned, _ = _solve(None, y, s, C, mode, tol=1e-10, problem=problem)
    assert not warned
    coef, _, upper, lower = reference_solution(X, y, C, s, mode)
    assert upper - lower <= 1e-13 * upper
    support = set(np.flatnonzero(np.abs(coef) > 1e-8 * np.abs(coef).max()).tolist())
    assert dropped  # the test exercises the screening
    assert not support & set(dropped)


# -- the device problem (NumPy stand-in backend) -------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_device_problem_solves_the_same_model(mode):
    X, y = _subset("a9a", rows=600)
    s = _weights(y.size, True, seed=4)
    dm = device_design(numpy_backend(), X, "columns")
    problem = build_problem(L1SVMProblem, dm, y, s, 10.0, intercept=mode,
                            w0=np.zeros(X.shape[1]), intercept_scaling=2.0)
    assert isinstance(problem, DeviceL1SVMProblem)
    out, warned, _ = _solve(None, y, s, 0.1, mode, tol=1e-12, problem=problem)
    assert not warned
    cpu, _, _ = _solve(X, y, s, 0.1, mode, tol=1e-12, B=2.0)
    ours = objective(X, y, out.coef, out.intercept, 0.1, s, mode, 2.0)
    theirs = objective(X, y, cpu.coef, cpu.intercept, 0.1, s, mode, 2.0)
    assert abs(ours - theirs) <= 1e-10 * theirs
