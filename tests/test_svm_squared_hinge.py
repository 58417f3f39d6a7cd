# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The squared-hinge SVM problem (``SVMProblem(loss="squared_hinge")``).

With the rows ``z_i = y_i (x_i, B)`` and ``u_i = C s_i``, the problem solves

.. math::

    P(w) = \\tfrac12 \\|w\\|^2 + \\sum_i u_i \\max(0, 1 - z_i^\\top w)^2,

LinearSVC's default objective (liblinear ``-s 1``).  Checked through the
problem API and :func:`~blitzlearn._engine.blitzws`: the objective against
``LinearSVC(loss="squared_hinge")`` at tol 1e-10 and against an independent
solve (``_svm_reference.solve_squared_hinge``: L-BFGS then exact active-set
Newton steps, bracketed by its own dual bound); the gap closing to 1e-12; the
certificate bounding the suboptimality on seeded random problems; screening
fixing only examples whose reference margin is at least 1.  Both subproblem
solvers are checked: dual coordinate descent and the primal Newton steps of
``_problems._svm_newton`` (the fixture ``solver`` forces one of them).  (The exact line
search of the upper point is checked beside the hinge's, in test_svc.py.)
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import load_classification_dataset
from _svm_reference import augmented_rows, solve_squared_hinge, squared_hinge_primal
from sklearn.svm import LinearSVC

from blitzlearn._engine import blitzws
from blitzlearn._kernels._svm import add_row_products
from blitzlearn._problems import _svm_newton
from blitzlearn._problems._svm import SVMProblem

EPS = np.finfo(np.float64).eps


class RecordingProblem(SVMProblem):
    """An :class:`SVMProblem` that records every example it screens."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.screened = []

    def discard(self, components):
        self.screened.append(np.array(components))
        super().discard(components)


@pytest.fixture(params=["newton", "dual_cd"])
def solver(request, monkeypatch):
    """Force Newton steps on every working set, or never."""
    passes = np.inf if request.param == "newton" else -1.0
    monkeypatch.setattr(_svm_newton, "MAX_STEP_PASSES", passes)
    return request.param


def _rows(X):
    """X as the problem reads it: CSR or C-ordered float64."""
    if sp.issparse(X):
        return sp.csr_matrix(X, dtype=np.float64)
    return np.ascontiguousarray(X, dtype=np.float64)


def _solve(X, y, C, bias, sw=None, rel_tol=1e-12):
    """``(problem, result, coef, intercept)`` of a BlitzWS solve."""
    s = np.ones(y.size) if sw is None else np.asarray(sw, dtype=np.float64)
    problem = RecordingProblem(_rows(X), y, C * s, bias, C=C, loss="squared_hinge")
    result = blitzws(problem, tol=0.0, rel_tol=rel_tol, max_iter=1000,
                     max_epochs=50000)
    coef, intercept = problem.result()
    return problem, result, coef, intercept


def _augmented(coef, intercept, bias):
    return np.append(coef, intercept / bias) if bias else coef


def _data(name):
    if name == "breast_cancer":
        X, y = load_classification_dataset(name)
        return np.ascontiguousarray(X), y
    if name == "a9a":
        X, y = load_classification_dataset(name)
        return X.tocsr()[:1500], y[:1500]
    X, y = load_classification_dataset(name)  # w8a: 2000 rows, both classes
    X, y = X.tocsr()[:2000], y[:2000]
    assert 0 < np.sum(y > 0) < y.size
    return X, y


def _weights(n, kind):
    if kind is None:
        return None
    return np.random.default_rng(0).uniform(0.2, 3.0, n)


@pytest.mark.parametrize("weights", [None, "uniform"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("C", [0.01, 0.1, 1.0])
@pytest.mark.parametrize("name", ["breast_cancer", "a9a", "w8a"])
def test_objective_matches_linearsvc_and_reference(name, C, fit_intercept, weights):
    X, y = _data(name)
    sw = _weights(y.size, weights)
    bias = 1.0 if fit_intercept else 0.0
    problem, result, coef, intercept = _solve(X, y, C, bias, sw)
    assert result.converged
    assert coef.dtype == np.float64
    u = C * (np.ones(y.size) if sw is None else sw)
    Z = augmented_rows(X, y, bias)
    ours = squared_hinge_primal(Z, u, _augmented(coef, intercept, bias))
    # the independent reference, certified by its own dual bound
    w_ref, upper, lower = solve_squared_hinge(Z, u)
    assert upper - lower <= 1e-11 * upper
    assert abs(ours - upper) <= 1e-7 * upper
    # dual_gap bounds the suboptimality and met the tolerance
    assert ours - lower <= result.gap + 64 * EPS * upper
    assert result.gap <= 1e-12 * upper
    # scikit-learn's liblinear at a tight tolerance
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a ConvergenceWarning is its problem
        svc = LinearSVC(C=C, loss="squared_hinge", dual=True, tol=1e-10,
                        max_iter=10**6, fit_intercept=fit_intercept,
                        intercept_scaling=1.0).fit(X, y, sample_weight=sw)
    theirs = squared_hinge_primal(
        Z, u, _augmented(svc.coef_[0], svc.intercept_[0] if bias else 0.0, bias))
    assert abs(ours - theirs) <= 1e-7 * theirs
    # screening fixed at alpha_i = 0 only examples above the margin
    if problem.screened:
        fixed = np.concatenate(problem.screened)
        margins = np.asarray(Z @ w_ref).ravel()
        assert np.all(margins[fixed] >= 1.0 - 1e-9)


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("C", [0.01, 0.1, 1.0])
def test_gap_closes_to_1e_12_and_screening_is_safe(C, fit_intercept, solver):
    # breast cancer: many examples far above the margin, so the capsules
    # screen (the test asks that some are), and a tight tolerance
    X, y = _data("breast_cancer")
    bias = 1.0 if fit_intercept else 0.0
    problem, result, coef, intercept = _solve(X, y, C, bias, rel_tol=1e-13)
    Z = augmented_rows(X, y, bias)
    u = C * np.ones(y.size)
    w_ref, upper, lower = solve_squared_hinge(Z, u)
    ours = squared_hinge_primal(Z, u, _augmented(coef, intercept, bias))
    assert result.converged
    assert result.gap <= 1e-12 * upper
    assert -1e-13 * upper <= ours - upper <= result.gap + 64 * EPS * upper
    fixed = np.concatenate(problem.screened) if problem.screened else []
    assert len(fixed) > 0
    margins = Z @ w_ref
    assert np.all(margins[fixed] >= 1.0 - 1e-9)
    # every example inside the margin at the optimum stayed alive
    assert np.all(np.isin(np.flatnonzero(margins < 1.0), problem.alive()))


# -- the certificate bounds the suboptimality (seeded random problems) ---------------


def _case(seed):
    rng = np.random.default_rng(seed)
    n, p = int(rng.integers(3, 60)), int(rng.integers(1, 25))
    X = rng.standard_normal((n, p)) * 10.0 ** rng.uniform(-2, 1.5)
    X *= rng.random((n, p)) < rng.choice([0.3, 1.0])
    if rng.random() < 0.2:
        X[rng.integers(n)] = 0.0  # a null example (a null row without intercept)
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    y[:2] = [1.0, -1.0]
    if rng.random() < 0.5:
        X = sp.csr_matrix(X)
    bias = float(rng.choice([0.0, 0.5, 1.0, 3.0]))
    sw = None
    if rng.random() < 0.5:
        sw = rng.uniform(0.0, 3.0, n) * (rng.random(n) < 0.8)  # zeros included
    C = float(10.0 ** rng.uniform(-3, 2))
    tol = float(rng.choice([1e-2, 1e-5, 1e-9]))
    return X, y, C, bias, sw, tol


@pytest.mark.parametrize("first", range(0, 200, 50))
def test_certificate_bounds_the_suboptimality(first, solver):
    messages = []
    for seed in range(first, first + 50):
        X, y, C, bias, sw, tol = _case(seed)
        problem, result, coef, intercept = _solve(X, y, C, bias, sw, rel_tol=tol)
        u = C * (np.ones(y.size) if sw is None else sw)
        Z = augmented_rows(X, y, bias)
        w = _augmented(coef, intercept, bias)
        ours = squared_hinge_primal(Z, u, w)
        w_ref, upper, lower = solve_squared_hinge(Z, u)
        Zd = Z.toarray() if sp.issparse(Z) else Z
        magnitude = 0.5 * float(w @ w) + float(
            u @ (1.0 + np.abs(Zd) @ np.abs(w)) ** 2)
        noise = 64 * EPS * (abs(upper) + magnitude)
        tag = f"seed {seed} (n={y.size}, C={C:.3g}, bias={bias}, tol={tol:g})"
        if upper - lower > 1e-3 * tol * upper + 1e3 * noise:
            messages.append(f"{tag}: reference not tight ({upper - lower:.3e})")
            continue
        if ours - upper > result.gap + noise:
            messages.append(f"{tag}: P - P* = {ours - upper:.3e} above the gap "
                            f"{result.gap:.3e}")
        if result.converged and result.gap > tol * upper * (1 + 1e-9) + noise:
            messages.append(f"{tag}: converged with gap {result.gap:.3e}")
        if not result.converged:
            messages.append(f"{tag}: not converged ({result.stop})")
        if problem.screened:
            fixed = np.concatenate(problem.screened)
            margins = np.asarray(Z @ w_ref).ravel()[fixed]
            bad = (margins < 1.0 - 1e-7) & (u[fixed] > 0)
            if bad.any():
                messages.append(f"{tag}: screened examples of margin "
                                f"{margins[bad].min():.6f} < 1")
    assert not messages, "\n".join(messages)


@pytest.mark.parametrize("C", [0.01, 1.0])
@pytest.mark.parametrize("name", ["breast_cancer", "a9a"])
def test_both_solvers_reach_the_reference(name, C, solver):
    X, y = _data(name)
    sw = _weights(y.size, "uniform")
    problem, result, coef, intercept = _solve(X, y, C, 1.0, sw)
    u = C * sw
    Z = augmented_rows(X, y, 1.0)
    w_ref, upper, lower = solve_squared_hinge(Z, u)
    ours = squared_hinge_primal(Z, u, _augmented(coef, intercept, 1.0))
    assert result.converged
    assert -1e-13 * upper <= ours - upper <= result.gap + 64 * EPS * upper
    assert result.gap <= 1e-12 * upper


def test_newton_is_taken_where_features_are_few():
    X, y = _data("a9a")  # 1500 rows of 14 entries, 124 weights
    problem = SVMProblem(_rows(X), y, np.ones(y.size), 1.0, loss="squared_hinge")
    assert _svm_newton.newton_suits(problem, np.arange(y.size))
    assert not _svm_newton.newton_suits(problem, np.arange(10))
    hinge = SVMProblem(_rows(X), y, np.ones(y.size), 1.0, loss="hinge")
    assert not _svm_newton.newton_suits(hinge, np.arange(y.size))


@pytest.mark.parametrize("sparse", [False, True])
def test_row_products_fill_the_upper_triangle(sparse):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((30, 7)) * (rng.random((30, 7)) < 0.5)
    rows = np.array([0, 4, 5, 11, 29])
    coef = np.array([0.5, 0.0, 2.0, 1.5, 3.0])
    bias = 0.7
    Xb = np.hstack([X, np.full((30, 1), bias)])[rows]
    expected = np.triu((Xb * coef[:, None]).T @ Xb)
    out = np.zeros((8, 8))
    if sparse:
        A = sp.csr_matrix(X)
        add_row_products(A.data, A.indices, A.indptr, 7, True, rows, coef, bias, out)
    else:
        add_row_products(np.ascontiguousarray(X).ravel(), np.empty(0, np.int32),
                         np.empty(0, np.int32), 7, False, rows, coef, bias, out)
    np.testing.assert_allclose(out, expected, rtol=1e-14, atol=1e-14)


def test_unknown_loss_is_rejected():
    X, y = _data("breast_cancer")
    with pytest.raises(ValueError, match="loss must be one of.*'log'"):
        SVMProblem(X, y, np.ones(y.size), 1.0, loss="log")
