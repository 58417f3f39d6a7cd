# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""BlitzSVC: the optimum, a valid certificate, safe working sets, the sklearn API.

The objective is LinearSVC's ``loss="hinge", dual=True`` problem.  Every
reference is independent of blitzlearn: scikit-learn's ``LinearSVC``
(liblinear) run to ``tol=1e-10`` gives a primal value, and the dual solver of
``_svm_reference`` (L-BFGS-B plus an exact active-set polish, over every
example on small data and over the examples near the margin of liblinear's
solution on large data) gives a feasible dual point.  The optimum ``P*`` then
lies in ``[D_ref, P_ref]``, an interval checked to be tight, and BlitzSVC's
objective, recomputed in NumPy, is compared with it.  Distances between weight
vectors are bounded through strong convexity: ``|w - w*|^2 / 2 <= P(w) - P*``.
"""

import functools
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import DATASETS
from _svm_reference import (
    augmented_primal,
    augmented_rows,
    dual_objective,
    duality_gap,
    primal_objective,
    solve_dual,
)
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.datasets import load_breast_cancer, load_digits, load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from blitzlearn import BlitzSVC
from blitzlearn._engine import blitzws
from blitzlearn._problems._svm import SVMProblem
from blitzlearn.datasets import load_libsvm

# BlitzSVC's tolerance in the comparisons: gap <= TOL * D(alpha) certifies a
# relative accuracy of TOL.
TOL = 1e-10
MAX_ITER = 10_000
# BlitzSVC's objective must match the optimum to this relative accuracy ...
RTOL_OBJECTIVE = 1e-7
# ... and the reference interval [D_ref, P_ref] be at most this wide (relative).
REFERENCE_WIDTH = 1e-8
# liblinear's tolerance (on its projected gradient) and budget.  On the sets
# below it converges in at most 150k iterations, 3.5 s (w8a, C=1).
LIBLINEAR_TOL = 1e-10
LIBLINEAR_MAX_ITER = 1_000_000

CS = (0.01, 0.1, 1.0)
REAL_SETS = ("breast_cancer", "a9a", "w8a", "gisette")
REAL_CASES = [pytest.param(name, C, id=f"{name}-C{C}")
              for name in REAL_SETS for C in CS]


# --- data --------------------------------------------------------------------

@functools.cache
def _read_libsvm(name):
    X, y = load_libsvm(name, data_home=DATASETS)
    arrays = (X.data, X.indices, X.indptr, y) if sp.issparse(X) else (X, y)
    for array in arrays:  # shared by every test of the session: nobody may write
        array.flags.writeable = False
    return X, y


def load(name):
    """``(X, y)`` with y in {-1, +1}; the LIBSVM sets skip without the data folder."""
    if name == "breast_cancer":
        X, y = load_breast_cancer(return_X_y=True)
        return StandardScaler().fit_transform(X), np.where(y == 1, 1.0, -1.0)
    if not DATASETS.is_dir():
        pytest.skip(f"../shared/datasets not found: {DATASETS} does not exist, "
                    f"so the {name} comparison cannot run")
    return _read_libsvm(name)


def random_problem(n, d, seed=0, sparse=False, density=0.3, noise=0.15):
    """A random binary problem, labels in {-1, +1} from a noisy linear rule."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if sparse:
        X *= rng.random((n, d)) < density
    y = np.where(X @ rng.standard_normal(d) + 0.3 > 0, 1.0, -1.0)
    y[rng.random(n) < noise] *= -1
    y[:2] = [1.0, -1.0]
    return (sp.csr_matrix(X) if sparse else X), y


def augmented_coef(est, row=0, intercept_scaling=1.0):
    """``(w, w_b)`` of a fitted estimator (no ``w_b`` without an intercept)."""
    w = np.asarray(est.coef_[row], dtype=np.float64)
    if not est.fit_intercept:
        return w
    return np.append(w, float(est.intercept_[row]) / intercept_scaling)


def fit_quietly(est, X, y, **kwargs):
    """Fit, returning the ConvergenceWarnings raised (the tests assert none)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        est.fit(X, y, **kwargs)
    return [w for w in caught if issubclass(w.category, ConvergenceWarning)]


# --- references --------------------------------------------------------------

def reference(X, y, C, sample_weight=None, fit_intercept=True,
              intercept_scaling=1.0, warm_dual=None):
    """``[D_ref, P_ref]`` around the optimum, from liblinear and our dual solver.

    ``warm_dual`` (default: whether n > 2000) solves the dual only over the
    examples near the margin of liblinear's solution; otherwise over all.
    """
    n = X.shape[0]
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    bias = intercept_scaling if fit_intercept else 0.0
    Z = augmented_rows(X, y, bias)
    u = C * s
    with threadpool_limits(limits=1, user_api="blas"):
        lib = LinearSVC(C=C, loss="hinge", dual=True, tol=LIBLINEAR_TOL,
                        max_iter=LIBLINEAR_MAX_ITER, random_state=0,
                        fit_intercept=fit_intercept,
                        intercept_scaling=intercept_scaling)
        lib_warnings = fit_quietly(lib, X, y, sample_weight=sample_weight)
        w_lib = augmented_coef(lib, intercept_scaling=intercept_scaling)
        p_lib = augmented_primal(Z, u, w_lib)
        warm = n > 2000 if warm_dual is None else warm_dual
        alpha, w_dual, gap_dual = solve_dual(Z, u, w_guess=w_lib if warm else None)
    d_ref = dual_objective(Z, alpha)
    p_dual = augmented_primal(Z, u, w_dual)
    p_ref, w_ref = (p_lib, w_lib) if p_lib <= p_dual else (p_dual, w_dual)
    return SimpleNamespace(P_lib=p_lib, w_lib=w_lib, lib_warnings=lib_warnings,
                           D=d_ref, P=p_ref, w=w_ref, alpha=alpha,
                           gap_dual=gap_dual, Z=Z, u=u)


@functools.cache
def real_reference(name, C):
    X, y = load(name)
    return reference(X, y, C)


@functools.cache
def real_fit(name, C, tol=TOL):
    X, y = load(name)
    est = BlitzSVC(loss="hinge", C=C, tol=tol, max_iter=MAX_ITER)
    caught = fit_quietly(est, X, y)
    return est, caught


def distance_bound(p_a, p_b, lower):
    """Bound on ``|w_a - w_b|`` from ``P(w) - P* >= |w - w*|^2 / 2``, P* >= lower."""
    return np.sqrt(2 * max(p_a - lower, 0.0)) + np.sqrt(2 * max(p_b - lower, 0.0))


# --- 1, 2: the optimum and the certificate on real data ---------------------

@pytest.mark.parametrize("name, C", REAL_CASES)
def test_reference_is_certified(name, C):
    ref = real_reference(name, C)
    # liblinear converged, and our dual point proves its value nearly optimal
    assert not ref.lib_warnings
    assert ref.D <= ref.P
    assert ref.P - ref.D <= REFERENCE_WIDTH * ref.P, (ref.P, ref.D)
    assert ref.P_lib - ref.D <= RTOL_OBJECTIVE * ref.P
    if name == "breast_cancer":
        # the full dual solve, cold: its own gap P(w(alpha)) - D(alpha)
        assert ref.gap_dual <= 1e-10 * ref.P, ref.gap_dual
        assert ref.gap_dual == pytest.approx(
            augmented_primal(ref.Z, ref.u, ref.Z.T @ ref.alpha) - ref.D,
            rel=1e-3, abs=1e-12 * ref.P)


@pytest.mark.parametrize("fit_intercept", [True, False], ids=["icpt", "noicpt"])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_reference_solvers_agree_on_a_small_random_problem(sparse, fit_intercept):
    X, y = random_problem(60, 5, seed=21, sparse=sparse)
    sw = np.random.default_rng(21).uniform(0.1, 2.0, X.shape[0])
    ref = reference(X, y, 0.7, sample_weight=sw, fit_intercept=fit_intercept)
    # our dual solve's own gap P(w(alpha)) - D(alpha) ...
    assert ref.gap_dual <= 1e-11 * ref.P, ref.gap_dual
    # ... and liblinear's primal value, against its dual value
    assert not ref.lib_warnings
    assert 0.0 <= ref.P_lib - ref.D <= 1e-9 * ref.P
    est = BlitzSVC(loss="hinge", C=0.7, tol=TOL, fit_intercept=fit_intercept)
    assert not fit_quietly(est, X, y, sample_weight=sw)
    p = primal_objective(X, y, est.coef_[0], est.intercept_[0], 0.7, sw,
                         fit_intercept=fit_intercept)
    assert abs(p - ref.P) <= 1e-10 * ref.P


@pytest.mark.parametrize("name, C", REAL_CASES)
def test_objective_matches_reference(name, C):
    X, y = load(name)
    ref = real_reference(name, C)
    est, caught = real_fit(name, C)
    assert not caught
    n = X.shape[0]
    p = primal_objective(X, y, est.coef_[0], est.intercept_[0], C)
    # the optimum to 1e-7 relative, inside the reference interval
    assert ref.D <= p * (1 + 1e-12)
    assert abs(p - ref.P) <= RTOL_OBJECTIVE * ref.P, (p, ref.P)
    assert p - ref.D <= RTOL_OBJECTIVE * ref.P
    # the certificate: below the stop rule, and bounding the suboptimality
    gap = est.dual_gap_[0]
    assert 0.0 <= gap <= TOL * C * n
    assert p - ref.P <= gap + 1e-12 * ref.P
    # the weights: within what the two objective values allow
    dist = np.linalg.norm(augmented_coef(est) - ref.w)
    assert dist <= distance_bound(p, ref.P, ref.D) + 1e-9 * np.linalg.norm(ref.w)
    assert est.coef_.shape == (1, X.shape[1]) and est.n_iter_[0] >= 1
    assert_array_equal(est.classes_, [-1.0, 1.0])


@pytest.mark.parametrize("C", [0.1, 1.0])
def test_a9a_final_working_set_is_small(C):
    X, _ = load("a9a")
    est, _ = real_fit("a9a", C)
    n = X.shape[0]
    # measured at 92f1b08: 181 examples at C=0.1, 547 at C=1 (n = 32561)
    size = est.working_set_size_[0]
    assert 0 < size < n / 10, size


# --- 2: the gap at loose tolerances, weighted ---------------------------------

@functools.cache
def _weighted_breast_cancer():
    X, y = load("breast_cancer")
    sw = np.random.default_rng(7).uniform(0.2, 3.0, X.shape[0])
    return X, y, sw, reference(X, y, 0.5, sample_weight=sw)


@pytest.mark.parametrize("tol", [1e-2, 1e-4, 1e-6, 1e-9])
def test_gap_bounds_suboptimality_at_any_tol(tol):
    X, y, sw, ref = _weighted_breast_cancer()
    assert ref.P - ref.D <= 1e-10 * ref.P
    est = BlitzSVC(loss="hinge", C=0.5, tol=tol)
    assert not fit_quietly(est, X, y, sample_weight=sw)
    p = primal_objective(X, y, est.coef_[0], est.intercept_[0], 0.5, sw)
    gap = est.dual_gap_[0]
    assert gap <= tol * ref.P  # the documented stop rule: gap <= tol * D <= tol * P*
    assert p - ref.P <= tol * ref.P * (1 + 1e-9)  # hence the relative accuracy
    # P - P* <= gap, with P* in [D_ref, P_ref]
    assert p - ref.P <= gap + 1e-12 * ref.P
    assert p >= ref.D * (1 - 1e-12)


def test_gap_bounds_suboptimality_on_a9a_at_loose_tol():
    X, y = load("a9a")
    ref = real_reference("a9a", 1.0)
    for tol in (1e-3, 1e-5):
        est, caught = real_fit("a9a", 1.0, tol)
        assert not caught
        p = primal_objective(X, y, est.coef_[0], est.intercept_[0], 1.0)
        assert est.dual_gap_[0] <= tol * ref.P
        assert p - ref.P <= est.dual_gap_[0] + 1e-12 * ref.P


# --- 2: input formats -----------------------------------------------------------

def test_dense_and_sparse_formats_give_the_same_optimum():
    X, y = random_problem(1500, 40, seed=3, sparse=True, density=0.15)
    sw = np.random.default_rng(3).uniform(0.5, 2.0, X.shape[0])
    inputs = {
        "csr": X, "csc": X.tocsc(), "coo": X.tocoo(),
        "dense-C": X.toarray(), "dense-F": np.asfortranarray(X.toarray()),
    }
    fits = {}
    for fmt, data in inputs.items():
        est = BlitzSVC(loss="hinge", C=1.0, tol=TOL)
        assert not fit_quietly(est, data, y, sample_weight=sw), fmt
        p = primal_objective(X, y, est.coef_[0], est.intercept_[0], 1.0, sw)
        fits[fmt] = (est, p)
    ref = reference(X, y, 1.0, sample_weight=sw)
    assert ref.P - ref.D <= 1e-10 * ref.P
    for fmt, (est, p) in fits.items():
        assert p == pytest.approx(ref.P, rel=1e-9), fmt
        assert p - ref.D <= est.dual_gap_[0] + 1e-12 * ref.P
        for other, (est2, p2) in fits.items():
            dist = np.linalg.norm(augmented_coef(est) - augmented_coef(est2))
            assert dist <= distance_bound(p, p2, ref.D) + 1e-10, (fmt, other)


# --- 3: screening and working sets are safe -------------------------------------

class RecordingSVMProblem(SVMProblem):
    """``SVMProblem`` recording each discard and each certificate."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.discards = []  # (examples, their alpha when fixed, epoch)
        self.steps = []  # per refresh: the certificate and the iterates
        self.epoch = 0  # bumped by restore(), which undoes every discard
        self.n_restores = 0

    def discard(self, components):
        components = np.asarray(components).copy()
        # an example is fixed once, while alive, at 0 or at its upper bound
        assert np.isin(components, self.alive()).all()
        a = self.alpha[components]
        assert np.all((a == 0.0) | (a == self.upper[components])), a
        self.discards.append((components, a.copy(), self.epoch))
        super().discard(components)

    def restore(self):
        self.epoch += 1
        self.n_restores += 1
        super().restore()

    def _fixed_part(self, ws):
        # sum_{i not in ws} alpha_i y_i x~_i, whichever sum the plug-in took
        fixed_w = super()._fixed_part(ws)
        outside = self.alpha.copy()
        outside[ws] = 0.0
        assert_allclose(fixed_w, self._weights_of(outside), rtol=1e-10, atol=1e-10)
        return fixed_w

    def solve(self, working_set, *args):
        result = super().solve(working_set, *args)
        # the margins at w that the next refresh reads instead of a pass
        if self._ws_margins is not None:
            ws, m_ws = self._ws_margins
            assert_array_equal(ws, np.sort(working_set))
            every = np.arange(self.n_components)
            assert_allclose(m_ws, self._margins(self.w, every)[ws], rtol=1e-10,
                            atol=1e-10)
        return result

    def refresh(self, working_set):
        cert = super().refresh(working_set)
        fixed_upper = [c[a > 0] for c, a, e in self.discards if e == self.epoch]
        self.steps.append({
            "gap": cert.gap, "lower": cert.lower, "alpha": self.alpha.copy(),
            "v": self.v.copy(), "alive": self.alive().copy(),
            "fixed_upper": np.concatenate([np.empty(0, np.intp), *fixed_upper]),
        })
        return cert


def check_engine_run(X, y, upper, bias, tol, max_epochs, max_iter=300, seed=0):
    """Run the engine on a recording problem; check it against a reference."""
    n = X.shape[0]
    Z = augmented_rows(X, y, bias)
    if not bias:  # the plug-in always carries the intercept weight (zero here)
        Z = sp.hstack([Z, sp.csr_matrix((n, 1))], format="csr") if sp.issparse(
            Z) else np.hstack([Z, np.zeros((n, 1))])
    Zd = Z.toarray() if sp.issparse(Z) else Z
    row_norms = np.linalg.norm(Zd, axis=1)
    with threadpool_limits(limits=1, user_api="blas"):
        alpha_ref, w_ref, gap_ref = solve_dual(Zd, upper)
    p_star = augmented_primal(Zd, upper, w_ref)
    scale = max(float(upper.sum()), 1e-300)  # P(0)
    assert gap_ref <= 1e-9 * scale, gap_ref
    # margins at the optimum, with their error from the reference's own gap
    m_star = Zd @ w_ref
    m_err = row_norms * np.sqrt(2 * gap_ref) + 1e-7

    problem = RecordingSVMProblem(X, y, upper, bias, seed=seed)
    result = blitzws(problem, tol=tol, max_iter=max_iter, max_epochs=max_epochs)
    eps = 1e-9 * scale

    # every discard is safe: the side an example was fixed at holds at w*
    n_discarded = 0
    for components, a, _ in problem.discards:
        live = upper[components] > 0
        idx, a = components[live], a[live]
        n_discarded += idx.size
        at_zero, at_upper = idx[a == 0.0], idx[a > 0.0]
        assert np.all(m_star[at_zero] >= 1.0 - m_err[at_zero]), m_star[at_zero]
        assert np.all(m_star[at_upper] <= 1.0 + m_err[at_upper]), m_star[at_upper]
    # discarded examples stay at their value (until a restore undoes it)
    for components, a, e in problem.discards:
        if e == problem.epoch:
            assert_array_equal(problem.alpha[components], a)

    # each outer iteration's certificate, recomputed from its iterates
    assert result.history == [step["gap"] for step in problem.steps]
    for step in problem.steps:
        alpha, v = step["alpha"], step["v"]
        assert np.all((alpha >= 0) & (alpha <= upper))
        dual = dual_objective(Zd, alpha)
        assert step["lower"] == pytest.approx(dual, abs=eps)
        m = Zd @ v
        alive, up = step["alive"], step["fixed_upper"]
        relaxed = (0.5 * float(v @ v)
                   + float(upper[alive] @ np.maximum(0.0, 1.0 - m[alive]))
                   + float(upper[up] @ (1.0 - m[up])))
        assert step["gap"] >= 0.0
        assert step["gap"] == pytest.approx(max(relaxed - dual, 0.0), abs=eps)
        # a lower bound, and a relaxed primal still above the optimum
        assert dual <= p_star + eps
        assert relaxed >= p_star - eps

    # the final certificate: P(best) - D(alpha) on the full problem
    best, alpha = problem.best, problem.alpha
    p_best = augmented_primal(Zd, upper, best)
    assert np.all((alpha >= 0) & (alpha <= upper))
    assert result.gap == pytest.approx(p_best - dual_objective(Zd, alpha), abs=eps)
    assert duality_gap(Zd, upper, alpha) >= 0.0
    assert p_best - p_star <= result.gap + eps
    if result.converged:
        assert result.gap <= tol

    # examples outside the final working set sit at 0 or at their bound, on the
    # side w* agrees with: alpha_i = 0 while m*_i < 1 would cost the dual at
    # least u_i (1 - m*_i), which the final gap bounds (and symmetrically)
    outside = np.setdiff1d(np.arange(n), result.working_set)
    outside = outside[upper[outside] > 0]
    a = alpha[outside]
    assert np.all((a == 0.0) | (a == upper[outside]))
    slack = result.gap / upper[outside] + m_err[outside] + 1e-9
    zero, full = a == 0.0, a > 0.0
    assert np.all(m_star[outside][zero] >= 1.0 - slack[zero])
    assert np.all(m_star[outside][full] <= 1.0 + slack[full])
    return problem, result, n_discarded


@st.composite
def svm_problems(draw):
    n = draw(st.integers(5, 40), label="n_samples")
    d = draw(st.integers(1, 10), label="n_features")
    seed = draw(st.integers(0, 2**32 - 1), label="seed")
    sparse = draw(st.booleans(), label="sparse")
    intercept = draw(st.sampled_from([0.0, 1.0, 0.5, 3.0]), label="bias")
    weighted = draw(st.booleans(), label="weighted")
    C = 10 ** draw(st.floats(-2, 1), label="log10 C")
    noise = draw(st.sampled_from([0.0, 0.1, 0.3]), label="label noise")

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.3, 3.0)
    if n >= 8 and rng.random() < 0.3:  # some duplicated examples
        k = n // 4
        X[-k:] = X[:k]
    if sparse:
        X *= rng.random((n, d)) < 0.5
    y = np.where(X @ rng.standard_normal(d) + 0.2 > 0, 1.0, -1.0)
    y[rng.random(n) < noise] *= -1
    s = np.ones(n)
    if weighted:
        s = rng.uniform(0.0, 3.0, n) * (rng.random(n) < 0.85)  # some zeros
    X = sp.csr_matrix(X) if sparse else np.ascontiguousarray(X)
    if sparse:
        X.sort_indices()
    return X, y, C * s, intercept


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(problem=svm_problems(), max_epochs=st.sampled_from([1, 3, 100_000]))
def test_screening_and_working_sets_are_safe(problem, max_epochs):
    X, y, upper, bias = problem
    tol = 1e-12 * max(float(upper.sum()), 1e-300)
    problem, result, n_discarded = check_engine_run(X, y, upper, bias, tol,
                                                    max_epochs)
    event(f"discarded: {'some' if n_discarded else 'none'}")
    event(f"converged: {result.converged}")
    event(f"restores: {problem.n_restores}")


@pytest.mark.parametrize("max_epochs", [1, 3])
def test_screening_fires_and_is_safe_on_breast_cancer(max_epochs):
    X, y = load("breast_cancer")
    X = np.ascontiguousarray(X)
    upper = np.full(X.shape[0], 0.1)
    problem, result, n_discarded = check_engine_run(
        X, y, upper, 1.0, 1e-10 * upper.sum(), max_epochs, max_iter=2000)
    assert result.converged
    assert n_discarded > 0  # the test above is not vacuous
    assert result.working_set.size < X.shape[0]


# --- 4: scikit-learn behaviour ---------------------------------------------------

def test_grid_search_over_C_in_a_pipeline():
    X, y = load_breast_cancer(return_X_y=True)
    grid = {"linearsvc__C": [0.01, 0.1, 1.0]}
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    ours = GridSearchCV(make_pipeline(StandardScaler(),
                                      BlitzSVC(loss="hinge", tol=1e-10)),
                        {"blitzsvc__C": grid["linearsvc__C"]}, cv=cv).fit(X, y)
    theirs = GridSearchCV(
        make_pipeline(StandardScaler(), LinearSVC(
            loss="hinge", tol=LIBLINEAR_TOL, max_iter=LIBLINEAR_MAX_ITER,
            random_state=0)), grid, cv=cv).fit(X, y)
    # same optimum on each fold: at most one test example classified otherwise
    fold = min(test.size for _, test in cv.split(X, y))
    assert_allclose(ours.cv_results_["mean_test_score"],
                    theirs.cv_results_["mean_test_score"], atol=1.0 / fold)
    best = ours.best_estimator_[-1]
    assert best.C == ours.best_params_["blitzsvc__C"]
    assert best.coef_.shape == (1, X.shape[1])
    scaled = ours.best_estimator_[0].transform(X)
    assert_allclose(ours.decision_function(X),
                    scaled @ best.coef_[0] + best.intercept_[0], rtol=1e-12,
                    atol=1e-12)


def test_multiclass_digits_is_one_vs_rest():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    C = 0.1
    est = BlitzSVC(loss="hinge", C=C, tol=1e-10)
    assert not fit_quietly(est, X, y)
    assert_array_equal(est.classes_, np.arange(10))
    assert est.coef_.shape == (10, 64) and est.intercept_.shape == (10,)
    for attr in ("dual_gap_", "n_iter_", "working_set_size_"):
        assert getattr(est, attr).shape == (10,)
    scores = X @ est.coef_.T + est.intercept_
    assert_allclose(est.decision_function(X), scores, rtol=1e-12, atol=1e-12)
    assert_array_equal(est.predict(X), est.classes_[np.argmax(scores, axis=1)])
    lib = LinearSVC(C=C, loss="hinge", tol=LIBLINEAR_TOL,
                    max_iter=LIBLINEAR_MAX_ITER, random_state=0)
    assert not fit_quietly(lib, X, y)
    for k in range(10):
        labels = np.where(y == k, 1.0, -1.0)
        binary = BlitzSVC(loss="hinge", C=C, tol=1e-10).fit(X, y == k)
        assert_allclose(est.coef_[k], binary.coef_[0], rtol=1e-12, atol=1e-14)
        assert_allclose(est.intercept_[k], binary.intercept_[0], rtol=1e-12,
                        atol=1e-14)
        p = primal_objective(X, labels, est.coef_[k], est.intercept_[k], C)
        p_lib = primal_objective(X, labels, lib.coef_[k], lib.intercept_[k], C)
        assert abs(p - p_lib) <= RTOL_OBJECTIVE * p_lib, k
        assert p - p_lib <= est.dual_gap_[k] + 1e-12 * p_lib
        assert est.dual_gap_[k] <= 1e-10 * C * X.shape[0]


def test_string_labels():
    X, y01 = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    names = np.array(["benign", "malignant"])[1 - y01]  # sklearn's 1 is benign
    est = BlitzSVC(loss="hinge", C=0.1, tol=1e-10).fit(X, names)
    # classes sorted: "malignant" is the positive class, sklearn's 0
    assert_array_equal(est.classes_, ["benign", "malignant"])
    numeric = BlitzSVC(loss="hinge", C=0.1, tol=1e-10).fit(X, (y01 == 0).astype(int))
    assert_allclose(est.coef_, numeric.coef_, rtol=1e-12, atol=1e-14)
    assert_array_equal(est.predict(X), est.classes_[numeric.predict(X)])
    # three classes, one-vs-rest, labels as strings
    Xi, yi = load_iris(return_X_y=True)
    species = np.array(["setosa", "versicolor", "virginica"])[yi]
    est = BlitzSVC(loss="hinge", C=1.0, tol=1e-10).fit(Xi, species)
    numeric = BlitzSVC(loss="hinge", C=1.0, tol=1e-10).fit(Xi, yi)
    assert_array_equal(est.classes_, ["setosa", "versicolor", "virginica"])
    assert_allclose(est.coef_, numeric.coef_, rtol=1e-12, atol=1e-14)
    assert_array_equal(est.predict(Xi), est.classes_[numeric.predict(Xi)])


@pytest.mark.parametrize("class_weight", [{0: 3.0, 1: 0.4}, "balanced"],
                         ids=["dict", "balanced"])
def test_class_weight_equals_sample_weight(class_weight):
    X, y01 = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    counts = np.bincount(y01)
    if class_weight == "balanced":
        per_class = X.shape[0] / (2 * counts)
    else:
        per_class = np.array([class_weight[0], class_weight[1]])
    sw = per_class[y01]
    a = BlitzSVC(loss="hinge", C=0.2, tol=1e-12, class_weight=class_weight).fit(X, y01)
    b = BlitzSVC(loss="hinge", C=0.2, tol=1e-12).fit(X, y01, sample_weight=sw)
    assert_allclose(a.coef_, b.coef_, rtol=1e-12, atol=1e-14)
    assert_allclose(a.intercept_, b.intercept_, rtol=1e-12, atol=1e-14)
    # and liblinear's class weights define the same objective
    y = np.where(y01 == 1, 1.0, -1.0)
    ref = reference(X, y, 0.2, sample_weight=sw)
    lib = LinearSVC(C=0.2, loss="hinge", tol=LIBLINEAR_TOL, random_state=0,
                    max_iter=LIBLINEAR_MAX_ITER, class_weight=class_weight)
    assert not fit_quietly(lib, X, y01)
    p = primal_objective(X, y, a.coef_[0], a.intercept_[0], 0.2, sw)
    p_lib = primal_objective(X, y, lib.coef_[0], lib.intercept_[0], 0.2, sw)
    assert ref.P - ref.D <= 1e-10 * ref.P
    assert abs(p - ref.P) <= RTOL_OBJECTIVE * ref.P
    assert abs(p_lib - ref.P) <= RTOL_OBJECTIVE * ref.P
    assert a.dual_gap_[0] <= 1e-12 * 0.2 * sw.sum()


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_integer_sample_weight_equals_repeated_rows(sparse):
    X, y = random_problem(120, 7, seed=11, sparse=sparse)
    sw = np.random.default_rng(11).integers(0, 4, X.shape[0])
    rows = np.repeat(np.arange(X.shape[0]), sw)
    weighted = BlitzSVC(loss="hinge", C=0.3, tol=1e-13).fit(X, y, sample_weight=sw)
    repeated = BlitzSVC(loss="hinge", C=0.3, tol=1e-13).fit(X[rows], y[rows])
    # the same function: evaluate both on the weighted data
    pw = primal_objective(X, y, weighted.coef_[0], weighted.intercept_[0], 0.3, sw)
    pr = primal_objective(X, y, repeated.coef_[0], repeated.intercept_[0], 0.3, sw)
    pr_rows = primal_objective(X[rows], y[rows], repeated.coef_[0],
                               repeated.intercept_[0], 0.3)
    assert pr == pytest.approx(pr_rows, rel=1e-12)
    assert pw == pytest.approx(pr, rel=1e-8)
    ref = reference(X, y, 0.3, sample_weight=sw.astype(float))
    assert ref.P - ref.D <= 1e-10 * ref.P
    assert pw == pytest.approx(ref.P, rel=1e-8)
    bound = distance_bound(pw, pr, ref.D) + 1e-10
    assert np.linalg.norm(augmented_coef(weighted)
                          - augmented_coef(repeated)) <= bound


def test_warm_start_reaches_the_same_optimum():
    X, y = load("breast_cancer")
    warm = BlitzSVC(loss="hinge", C=0.05, tol=1e-12, warm_start=True).fit(X, y)
    first = warm.coef_.copy()
    warm.set_params(C=1.0).fit(X, y)
    cold = BlitzSVC(loss="hinge", C=1.0, tol=1e-12).fit(X, y)
    ref = reference(X, y, 1.0)
    for est in (warm, cold):
        p = primal_objective(X, y, est.coef_[0], est.intercept_[0], 1.0)
        assert abs(p - ref.P) <= 1e-9 * ref.P
        assert est.dual_gap_[0] <= 1e-12 * X.shape[0]
    assert not np.allclose(first, warm.coef_)  # it did refit at the new C
    # refitting from the optimum at the same C stays there
    again = warm.fit(X, y)
    p = primal_objective(X, y, again.coef_[0], again.intercept_[0], 1.0)
    assert abs(p - ref.P) <= 1e-9 * ref.P


@pytest.mark.parametrize("fit_intercept, scaling", [(False, 1.0), (True, 2.0),
                                                    (True, 0.5)],
                         ids=["no-intercept", "scaling-2", "scaling-0.5"])
@pytest.mark.parametrize("data", ["breast_cancer", "sparse-random"])
def test_intercept_options_match_liblinear(fit_intercept, scaling, data):
    if data == "breast_cancer":
        X, y = load("breast_cancer")
        X = X + 1.5  # an offset, so that the intercept matters
    else:
        X, y = random_problem(300, 12, seed=5, sparse=True)
    C = 0.3
    est = BlitzSVC(loss="hinge", C=C, tol=1e-12, fit_intercept=fit_intercept,
                   intercept_scaling=scaling)
    assert not fit_quietly(est, X, y)
    if not fit_intercept:
        assert_array_equal(est.intercept_, [0.0])
    ref = reference(X.toarray() if sp.issparse(X) else X, y, C,
                    fit_intercept=fit_intercept, intercept_scaling=scaling)
    assert ref.P - ref.D <= 1e-10 * ref.P
    assert ref.P_lib - ref.D <= RTOL_OBJECTIVE * ref.P  # liblinear agrees
    p = primal_objective(X, y, est.coef_[0], est.intercept_[0], C,
                         intercept_scaling=scaling, fit_intercept=fit_intercept)
    assert abs(p - ref.P) <= RTOL_OBJECTIVE * ref.P
    w = augmented_coef(est, intercept_scaling=scaling)
    assert np.linalg.norm(w - ref.w) <= distance_bound(p, ref.P, ref.D) + 1e-10


@pytest.mark.parametrize("data", ["breast_cancer", "sparse-random"])
def test_same_random_state_gives_the_same_model(data):
    if data == "breast_cancer":
        X, y = load("breast_cancer")
    else:
        X, y = random_problem(800, 30, seed=9, sparse=True)
    fits = [BlitzSVC(loss="hinge", C=1.0, tol=1e-6, random_state=seed).fit(X, y)
            for seed in (3, 3, 4)]
    for attr in ("coef_", "intercept_", "dual_gap_", "n_iter_",
                 "working_set_size_"):
        assert_array_equal(getattr(fits[0], attr), getattr(fits[1], attr))
    # another seed: another path to the same optimum, within the certificates
    p = [primal_objective(X, y, f.coef_[0], f.intercept_[0], 1.0) for f in fits]
    assert abs(p[0] - p[2]) <= max(fits[0].dual_gap_[0], fits[2].dual_gap_[0])


# --- 5: errors -------------------------------------------------------------------

def _small():
    X, y = random_problem(20, 3, seed=1)
    return X, y


@pytest.mark.parametrize("params, X_change, y_change, error, match", [
    ({}, None, lambda y: np.ones_like(y), ValueError, "at least 2 classes"),
    ({}, lambda X: np.where(np.arange(X.size).reshape(X.shape) == 4, np.nan, X),
     None, ValueError, "NaN"),
    ({}, lambda X: np.where(np.arange(X.size).reshape(X.shape) == 4, np.inf, X),
     None, ValueError, "infinity"),
    ({"C": 0.0}, None, None, ValueError, "'C' parameter"),
    ({"C": -1.0}, None, None, ValueError, "'C' parameter"),
    ({"intercept_scaling": 0.0}, None, None, ValueError, "intercept_scaling"),
    ({"intercept_scaling": -2.0}, None, None, ValueError, "intercept_scaling"),
    ({}, None, lambda y: y[:-1], ValueError, "inconsistent numbers of samples"),
    ({}, sp.dia_matrix, None, TypeError, "CSC, CSR or COO"),
    ({}, None, lambda y: y + np.linspace(0.1, 0.5, y.size), ValueError,
     "Unknown label type"),
    ({}, None, lambda y: np.stack([y, y], axis=1), ValueError, "multi-output"),
], ids=["one-class", "nan", "inf", "C-zero", "C-negative", "scaling-zero",
        "scaling-negative", "length", "dia", "continuous-y",
        "multi-output"])
def test_clear_errors(params, X_change, y_change, error, match):
    X, y = _small()
    X = X if X_change is None else X_change(X)
    y = y if y_change is None else y_change(y)
    with pytest.raises(error, match=match):
        BlitzSVC(loss="hinge", **params).fit(X, y)


def test_weight_errors():
    X, y = _small()
    sw = np.ones(X.shape[0])
    sw[0] = -1.0
    with pytest.raises(ValueError, match="Negative values"):
        BlitzSVC(loss="hinge").fit(X, y, sample_weight=sw)
    # a class with no weight at all
    with pytest.raises(ValueError, match="zero total sample weight"):
        BlitzSVC(loss="hinge").fit(X, y, sample_weight=(y > 0).astype(float))


def _phi(s, v_dot, d_sq, lin, a, c, u, power):
    return (s * v_dot + 0.5 * s * s * d_sq - s * lin
            + u @ np.maximum(0.0, a - s * c) ** power)


@pytest.mark.parametrize("loss", ["hinge", "squared_hinge"])
@pytest.mark.parametrize("seed", range(40))
def test_margin_segment_minimiser_matches_brute_force(seed, loss):
    # the line search's minimiser against every candidate of a convex
    # piecewise quadratic: the ends, the breakpoints and each piece's
    # stationary point; ties and breakpoints outside (0, 1) included
    # (a = 1 - m_v, c = m_x - m_v, u = upper, read in place through rows:
    # the arrays also hold entries outside rows, which must be ignored);
    # the pieces u max(0, a - s c) (hinge) or u max(0, a - s c)^2
    from blitzlearn._kernels._svm import (
        margin_segment_minimiser,
        squared_segment_minimiser,
    )

    squared = loss == "squared_hinge"
    rng = np.random.RandomState(seed)
    n = rng.randint(0, 60)
    a = np.round(rng.randn(n), 1)  # rounding makes repeated breakpoints
    c = np.round(rng.randn(n), 1) * (rng.rand(n) > 0.1)
    u = rng.rand(n) * rng.choice([0.1, 1.0, 10.0])
    v_dot, lin = rng.randn(2) * rng.choice([0.1, 1.0, 10.0])
    d_sq = rng.rand() * rng.choice([0.0, 1.0, 10.0])
    rows = rng.permutation(n + 5)[:n]
    m_v, m_x, upper = (rng.randn(n + 5) for _ in range(3))
    m_v[rows] = 1.0 - a
    m_x[rows] = c + m_v[rows]
    upper[rows] = u
    a, c = 1.0 - m_v[rows], m_x[rows] - m_v[rows]  # as the kernel sees them
    args = (v_dot, d_sq, lin, a, c, u, 2 if squared else 1)
    minimiser = squared_segment_minimiser if squared else margin_segment_minimiser
    s = minimiser(v_dot, d_sq, lin, m_v, m_x, upper, rows)
    assert 0.0 <= s <= 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        cuts = a / c
    knots = np.unique(np.concatenate([[0.0, 1.0], cuts[(cuts > 0) & (cuts < 1)]]))
    candidates = list(knots)
    for lo, hi in zip(knots[:-1], knots[1:], strict=True):
        mid = 0.5 * (lo + hi)  # phi' on the piece: value + s slope
        act = (a - mid * c) > 0
        if squared:
            value = v_dot - lin - 2.0 * np.sum(u[act] * c[act] * a[act])
            slope = d_sq + 2.0 * np.sum(u[act] * c[act] ** 2)
        else:
            value, slope = v_dot - lin - u[act] @ c[act], d_sq
        if slope > 0 and lo < -value / slope < hi:
            candidates.append(-value / slope)
    best = min(_phi(t, *args) for t in candidates)
    scale = 1.0 + abs(best) + np.abs(u) @ (np.abs(a) + np.abs(c)) ** args[-1]
    assert _phi(s, *args) <= best + 1e-12 * scale


@pytest.mark.parametrize("tol", [1e-4, 1e-10])
def test_integer_weights_equal_repeated_rows(tol):
    # scikit-learn's sample-weight equivalence problem: integer weights are
    # the same objective as repeated rows, so both fits lie within their
    # certified gaps of one optimum (P is 1-strongly convex in (w, w_b):
    # ||v - v*||^2 <= 2 gap); at a tight tol they agree to the check's rtol
    rng = np.random.RandomState(42)
    X = rng.rand(15, 30)
    y = rng.randint(0, 3, size=15)
    sw = rng.randint(0, 5, size=15)
    repeated = BlitzSVC(loss="hinge", tol=tol).fit(X.repeat(sw, axis=0), y.repeat(sw))
    weighted = BlitzSVC(loss="hinge", tol=tol).fit(X, y, sample_weight=sw)
    dist = np.linalg.norm(np.c_[repeated.coef_, repeated.intercept_]
                          - np.c_[weighted.coef_, weighted.intercept_], axis=1)
    assert np.all(dist <= np.sqrt(2 * repeated.dual_gap_)
                  + np.sqrt(2 * weighted.dual_gap_))
    if tol <= 1e-10:
        assert_allclose(weighted.decision_function(X),
                        repeated.decision_function(X), rtol=1e-7, atol=1e-9)
