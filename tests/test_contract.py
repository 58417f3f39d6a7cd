# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The declared problem contract: the toy model, every shipped problem, the check."""

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from _enet_reference import (
    enet_objective,
    enet_reference,
    logistic_enet_objective,
    logistic_enet_reference,
)
from _helpers import make_data
from _l1svm_reference import objective as l1svm_objective
from _l1svm_reference import reference_solution as l1svm_reference
from _logistic_reference import c_min
from _svm_reference import (
    augmented_rows,
    primal_objective,
    solve_squared_hinge,
    squared_hinge_primal,
)
from _toy_problem import ToyProblem, soft_threshold
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import expit, softmax
from sklearn.linear_model import LogisticRegression

from blitzlearn import BlitzLasso, BlitzLogisticL1, BlitzSVC
from blitzlearn._backend import device_design, numpy_backend
from blitzlearn._engine import ModelProblem, Problem, blitzws, check_problem
from blitzlearn._engine._contract import ENGINE_METHODS, MODEL_METHODS, L1Loss
from blitzlearn._problems._device import (
    DeviceL1SVMProblem,
    DeviceLassoProblem,
    DeviceLogisticProblem,
    DeviceSVMProblem,
    device_column_stats,
)
from blitzlearn._problems._l1svm import L1SVMProblem
from blitzlearn._problems._lasso import LassoProblem
from blitzlearn._problems._logistic import LogisticProblem
from blitzlearn._problems._multinomial import MultinomialProblem
from blitzlearn._problems._svm import SVMProblem

N, P = 40, 25


def _regression():
    X, y = make_data(N, P, random_state=5)
    return np.asfortranarray(X), y


def _labels():
    X, y = make_data(N, P, random_state=6)
    return X, np.where(y > np.median(y), 1.0, -1.0)


# the penalised variants: elastic net and penalty weights (two of them zero)
WEIGHTS = np.linspace(0.5, 2.0, P)
WEIGHTS[[3, 11]] = 0.0
VARIANTS = {"enet": dict(l1_ratio=0.6, weights=WEIGHTS),
            "weighted": dict(l1_ratio=1.0, weights=WEIGHTS)}


def _lasso(device=False, **penalty):
    X, y = _regression()
    kwargs = dict(fit_intercept=True, positive=False, w0=np.zeros(P), **penalty)
    if device:
        dm = device_design(numpy_backend(), X, "columns")
        return DeviceLassoProblem(dm, y, np.ones(N), 1.0, **kwargs), (X, y)
    return LassoProblem(X, y, np.ones(N), 1.0, **kwargs), (X, y)


def _logistic(device=False, **penalty):
    X, y = _labels()
    X = np.asfortranarray(X)
    s = np.ones(N)
    if device:
        dm = device_design(numpy_backend(), X, "columns")
        stats = device_column_stats(dm, np.ones(N), True)
        return DeviceLogisticProblem(dm, y, s, 1.0, fit_intercept=True,
                                     w0=np.zeros(P), stats=stats,
                                     **penalty), (X, y)
    return LogisticProblem(X, y, s, 1.0, fit_intercept=True, w0=np.zeros(P),
                           **penalty), (X, y)


def _svm(device=False, loss="hinge"):
    X, y = _labels()
    X = np.ascontiguousarray(X)
    if device:
        dm = device_design(numpy_backend(), X, "rows")
        return DeviceSVMProblem(dm, y, np.ones(N), 1.0, C=1.0, loss=loss), (X, y)
    return SVMProblem(X, y, np.ones(N), 1.0, C=1.0, loss=loss), (X, y)


def _l1svm(intercept, device=False):
    X, y = _labels()
    X = np.asfortranarray(X)
    if device:
        dm = device_design(numpy_backend(), X, "columns")
        return DeviceL1SVMProblem(dm, y, np.ones(N), 1.0, intercept=intercept,
                                  w0=np.zeros(P)), (X, y)
    return L1SVMProblem(X, y, np.ones(N), 1.0, intercept=intercept,
                        w0=np.zeros(P)), (X, y)


def _multinomial():
    X, y = make_data(N, P, random_state=7)
    labels = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))  # three classes
    X = np.asfortranarray(X)
    return MultinomialProblem(X, labels, np.ones(N), 1.0, n_classes=3,
                              fit_intercept=True), (X, labels)


def _multinomial_objective(X, y, coef, intercept, C):
    Z = X @ coef.T + intercept
    top = Z.max(axis=1)
    lse = top + np.log(np.exp(Z - top[:, None]).sum(axis=1))
    return C * float(np.sum(lse - Z[np.arange(y.size), y])) + float(np.abs(coef).sum())


def _toy():
    c = np.random.default_rng(0).standard_normal(P)
    return ToyProblem(c, 1.0), (None, c)


PROBLEMS = {
    "lasso": _lasso,
    "logistic": _logistic,
    "svm": _svm,
    "svm-squared-hinge": lambda: _svm(loss="squared_hinge"),
    "device-lasso": lambda: _lasso(device=True),
    "device-logistic": lambda: _logistic(device=True),
    "device-svm": lambda: _svm(device=True),
    "l1svm": lambda: _l1svm("penalized"),
    "l1svm-free": lambda: _l1svm("unpenalized"),
    "device-l1svm": lambda: _l1svm("penalized", device=True),
    "device-l1svm-free": lambda: _l1svm("unpenalized", device=True),
    "multinomial": _multinomial,
    "toy": _toy,
    "enet-lasso": lambda: _lasso(**VARIANTS["enet"]),
    "weighted-lasso": lambda: _lasso(**VARIANTS["weighted"]),
    "enet-logistic": lambda: _logistic(**VARIANTS["enet"]),
    "weighted-logistic": lambda: _logistic(**VARIANTS["weighted"]),
    # the device problems' own subproblem solvers, on every variant
    "device-svm-squared-hinge": lambda: _svm(device=True, loss="squared_hinge"),
    "device-enet-lasso": lambda: _lasso(device=True, **VARIANTS["enet"]),
    "device-weighted-lasso": lambda: _lasso(device=True, **VARIANTS["weighted"]),
    "device-enet-logistic": lambda: _logistic(device=True, **VARIANTS["enet"]),
    "device-weighted-logistic": lambda: _logistic(device=True,
                                                  **VARIANTS["weighted"]),
}


def _variant(name):
    """The penalised variant a problem's name starts with (after ``device-``)."""
    return name.removeprefix("device-").split("-")[0]


PENALISED = [name for name in PROBLEMS if _variant(name) in VARIANTS]


# -- the toy model through the engine ---------------------------------------------


@pytest.mark.parametrize("warm", [False, True])
@pytest.mark.parametrize("lam", [0.3, 1.0, 5.0])
def test_toy_problem_reaches_the_soft_thresholding(lam, warm):
    c = np.random.default_rng(1).standard_normal(500) * 2.0
    problem = ToyProblem(c, lam)
    if warm:
        problem.warm_start(c, 0.0)
    result = blitzws(problem, tol=1e-12 * problem.tol_scale(), max_iter=50,
                     max_epochs=10, min_ws_size=10)
    optimum = soft_threshold(c, lam)
    coef, _ = problem.result()
    assert result.converged
    assert_allclose(coef, optimum, rtol=0, atol=1e-12)
    # the certificate bounds the true suboptimality
    f_star = problem.f(optimum)
    assert 0.0 <= problem.f(coef) - f_star <= result.gap + 1e-12
    assert result.gap <= 1e-12 * problem.tol_scale()


# -- every problem honours the contract -------------------------------------------


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_every_problem_passes_the_check(name):
    problem, _ = PROBLEMS[name]()
    assert isinstance(problem, ModelProblem)
    check_problem(problem)
    for method in ENGINE_METHODS + MODEL_METHODS:
        assert not getattr(getattr(type(problem), method), "__isabstractmethod__",
                           False)
    if "lasso" in name or "logistic" in name or "l1svm" in name:
        assert isinstance(problem, L1Loss)


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_warm_start_then_result_round_trips(name):
    problem, (X, y) = PROBLEMS[name]()
    rng = np.random.default_rng(2)
    if name == "multinomial":  # coef (K, n_features), intercept (K,)
        coef = rng.standard_normal((3, P)) * (rng.random((3, P)) < 0.3)
        problem.warm_start(coef, np.full(3, 0.25))
        out_coef, out_intercept = problem.result()
        assert_array_equal(out_coef, coef)
        assert out_coef is not coef and out_coef.dtype == np.float64
        # the best intercept for the weights: sum_i (e_{y_i} - p_i) = 0
        p = softmax(X @ coef.T + out_intercept, axis=1)
        assert np.abs((np.eye(3)[y] - p).sum(axis=0)).max() <= 1e-10 * N
        out_coef[0, 0] += 1.0
        assert_array_equal(problem.result()[0], coef)
        return
    coef = rng.standard_normal(P) * (rng.random(P) < 0.3)
    intercept = 0.25
    problem.warm_start(coef, intercept)
    out_coef, out_intercept = problem.result()
    assert_array_equal(out_coef, coef)
    assert out_coef is not coef and out_coef.dtype == np.float64
    if "lasso" in name:  # the intercept follows from the weights
        assert_allclose(out_intercept, np.mean(y - X @ coef), rtol=1e-12)
    elif "logistic" in name:  # the best intercept for the weights
        z = X @ coef + out_intercept
        assert abs(float(np.sum(y * expit(-y * z)))) <= 1e-10 * N
    elif name.endswith("l1svm-free"):  # the best intercept for the weights
        z = X @ coef + out_intercept
        assert abs(float(np.sum(y * np.maximum(1.0 - y * z, 0.0)))) <= 1e-10 * N
    elif "svm" in name:  # stored as intercept / bias
        assert_allclose(out_intercept, intercept, rtol=1e-15)
    else:
        assert out_intercept == 0.0  # the toy has none
    out_coef[0] += 1.0  # the caller owns the result
    assert_array_equal(problem.result()[0], coef)


@pytest.mark.parametrize("name", list(PROBLEMS))
def test_tol_scale_is_the_estimators_tolerance_scale(name):
    problem, (X, y) = PROBLEMS[name]()
    scale = problem.tol_scale()
    if name == "multinomial":  # the null model: log priors, -sum_k n_k log(n_k / n)
        counts = np.bincount(y)
        assert_allclose(scale, -float(counts @ np.log(counts / N)), rtol=1e-12)
    elif "lasso" in name:  # ||y - mean(y)||^2 (lambda units: n times the objective's)
        assert_allclose(scale, float(np.sum((y - y.mean()) ** 2)), rtol=1e-12)
    elif "logistic" in name:  # the null model's loss, its intercept log(n+ / n-)
        pos, neg = np.sum(y > 0), np.sum(y < 0)
        expected = pos * np.log1p(neg / pos) + neg * np.log1p(pos / neg)
        assert_allclose(scale, expected, rtol=1e-12)
    elif name.endswith("l1svm"):  # the loss of w = 0, w_b = 0
        assert_allclose(scale, N, rtol=1e-15)
    elif name.endswith("l1svm-free"):  # the loss of w = 0 at its best intercept
        pos, neg = np.sum(y > 0), np.sum(y < 0)
        assert_allclose(scale, 4.0 * pos * neg / N, rtol=1e-12)
    elif "svm" in name:
        assert scale is None  # relative: tol multiplies the dual objective
    else:
        assert_allclose(scale, 0.5 * float(y @ y))  # the toy's f(0)


@pytest.mark.parametrize("name", [n for n in PROBLEMS
                                  if n != "toy" and n not in PENALISED])
def test_set_regularization_is_in_the_estimators_units(name):
    problem, (X, y) = PROBLEMS[name]()
    if name == "multinomial":  # scikit-learn's own multinomial objective
        value = 0.5
        model = LogisticRegression(l1_ratio=1, solver="saga", C=value, tol=1e-12,
                                   max_iter=100000).fit(X, y)
        problem.set_regularization(value)
        result = blitzws(problem, tol=1e-13 * problem.tol_scale(), max_iter=500,
                         max_epochs=50000)
        assert result.converged
        coef, intercept = problem.result()
        assert_allclose(_multinomial_objective(X, y, coef, intercept, value),
                        _multinomial_objective(X, y, model.coef_, model.intercept_,
                                               value), rtol=1e-9)
        return
    if "lasso" in name:
        value = 0.05
        model = BlitzLasso(alpha=value, tol=1e-12).fit(X, y)
    elif "logistic" in name:
        value = 20 * c_min(X, y)
        model = BlitzLogisticL1(C=value, tol=1e-12).fit(X, y)
    elif "l1svm" in name:  # the independent reference's certified solve
        value = 0.3
        mode = "unpenalized" if name.endswith("free") else "penalized"
        ref_coef, ref_b, _, _ = l1svm_reference(X, y, value, np.ones(N), mode)
        model = SimpleNamespace(coef_=ref_coef, intercept_=np.array([ref_b]))
    elif "squared" in name:  # the reference's exact solve (no estimator yet)
        value = 0.3
        w_ref, _, _ = solve_squared_hinge(augmented_rows(X, y, 1.0), value * np.ones(N))
        model = SimpleNamespace(coef_=w_ref[:-1], intercept_=w_ref[-1:])
    else:
        value = 0.3
        model = BlitzSVC(C=value, loss="hinge", tol=1e-12).fit(X, y)
    problem.set_regularization(value)
    scale = problem.tol_scale()
    result = blitzws(problem, tol=0.0 if scale is None else 1e-12 * scale,
                     rel_tol=1e-12 if scale is None else 0.0, max_iter=500,
                     max_epochs=50000)
    assert result.converged
    coef, intercept = problem.result()
    if "l1svm" in name:  # its optimum may not be unique: the same objective
        ones = np.ones(N)
        assert_allclose(
            l1svm_objective(X, y, coef, intercept, value, ones, mode),
            l1svm_objective(X, y, np.ravel(model.coef_),
                            np.ravel(model.intercept_)[0], value, ones, mode),
            rtol=1e-10)
        return
    if "squared" in name:
        Z = augmented_rows(X, y, 1.0)
        assert_allclose(
            squared_hinge_primal(Z, value * np.ones(N), np.append(coef, intercept)),
            squared_hinge_primal(Z, value * np.ones(N), w_ref), rtol=1e-10)
    elif "svm" in name:  # a strongly convex primal: the same weights
        assert_allclose(primal_objective(X, y, coef, intercept, value),
                        primal_objective(X, y, model.coef_[0],
                                         model.intercept_[0], value), rtol=1e-10)
    model_coef = np.ravel(model.coef_)
    assert_allclose(coef, model_coef, rtol=1e-5, atol=1e-7 * np.abs(model_coef).max())
    assert_allclose(intercept, np.ravel(model.intercept_)[0], rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", PENALISED)
def test_set_regularization_of_the_penalised_variants(name):
    """``alpha`` (``C``) splits by ``l1_ratio`` as in scikit-learn's ElasticNet
    (LogisticRegression); the weights multiply the L1 term only."""
    problem, (X, y) = PROBLEMS[name]()
    variant = VARIANTS[_variant(name)]
    rho, v = variant["l1_ratio"], variant["weights"]
    if "lasso" in name:
        value = 0.05
        _, _, best = enet_reference(X, y, value, rho, v)
    else:
        value = 20 * c_min(X, y)
        _, _, best = logistic_enet_reference(X, y, value, rho, v)
    problem.set_regularization(value)
    assert problem.lam == pytest.approx(problem.strength * rho, rel=1e-15)
    assert problem.l2 == pytest.approx(problem.strength * (1 - rho), rel=1e-15,
                                       abs=0.0)
    result = blitzws(problem, tol=1e-12 * problem.tol_scale(), max_iter=500,
                     max_epochs=50000)
    assert result.converged
    coef, intercept = problem.result()
    if "lasso" in name:
        got = enet_objective(X, y, coef, intercept, value, rho, v)
    else:
        got = logistic_enet_objective(X, y, coef, intercept, value, rho, v)
    assert_allclose(got, best, rtol=1e-9)
    assert coef[3] != 0.0 and coef[11] != 0.0  # the unpenalised features


# -- the check names what is wrong ------------------------------------------------


def _duck(skip=(), **attributes):
    """A duck-typed problem with the toy's methods, less ``skip``."""
    methods = {m: getattr(ToyProblem, m) for m in ENGINE_METHODS if m not in skip}
    cls = type("DuckProblem", (), methods)
    problem = cls()
    base = dict(gamma=1.0, n_components=3, costs=np.ones(3), min_ws_factor=1.0,
                support_bound=np.inf)
    base.update(attributes)
    for key, value in base.items():
        setattr(problem, key, value)
    return problem


def test_a_complete_duck_typed_problem_passes():
    check_problem(_duck())


@pytest.mark.parametrize("skip, attributes, message", [
    (("solve",), {}, r"method solve\(\) is missing"),
    (("refresh", "restore"), {}, r"refresh\(\) is missing; method restore"),
    ((), {"gamma": 0.0}, r"gamma must be a positive finite float, got 0.0"),
    ((), {"gamma": None}, r"gamma must be"),
    ((), {"n_components": 3.0}, r"n_components must be a non-negative int"),
    ((), {"costs": None}, r"costs must be a float ndarray, got NoneType"),
    ((), {"costs": np.ones(3, dtype=np.int64)}, r"float ndarray.*dtype int64"),
    ((), {"costs": np.ones(4)}, r"costs must have shape \(n_components,\) = \(3,\)"),
    ((), {"costs": np.array([1.0, np.nan, 1.0])}, r"finite and non-negative"),
    ((), {"min_ws_factor": -1.0}, r"min_ws_factor must be a positive float"),
    ((), {"support_bound": 0}, r"support_bound must be a positive number"),
])
def test_a_broken_problem_fails_the_check_with_a_clear_message(skip, attributes,
                                                                message):
    problem = _duck(skip, **attributes)
    with pytest.raises(TypeError, match=r"DuckProblem is not a valid BlitzWS "
                                        r"problem.*" + message):
        check_problem(problem)
    # the engine runs the check before anything else
    with pytest.raises(TypeError, match="DuckProblem"):
        blitzws(problem, tol=1e-3, max_iter=5, max_epochs=5)


def test_a_problem_missing_a_method_cannot_be_built():
    class NoRestore(Problem):
        alive = refresh = priorities = discard = overhead = solve = full_gap = (
            lambda self, *args: None)

    with pytest.raises(TypeError, match="NoRestore.*restore"):
        NoRestore()
    # a subclass that deletes a shipped method's body is caught by the check
    problem, _ = _toy()
    problem.__class__ = type("Half", (ToyProblem,), {"solve": Problem.solve})
    with pytest.raises(TypeError, match=r"Half is not a valid.*solve\(\) is not "
                                        r"implemented"):
        check_problem(problem)


def test_a_model_without_the_estimators_methods_cannot_be_built():
    methods = {m: getattr(ToyProblem, m) for m in ENGINE_METHODS}
    cls = type("EngineOnly", (ModelProblem,), methods)
    with pytest.raises(TypeError, match="EngineOnly.*result"):
        cls()


def test_the_developer_page_quotes_the_toy_problem():
    """Every line of the page's code blocks is a line of the tested toy or of
    the estimators' code (the walk from ``fit`` to the kernels)."""
    root = Path(__file__).resolve().parents[1]
    page = (root / "docs" / "developers" / "adding_a_model.rst").read_text()
    sources = [root / "tests" / "_toy_problem.py",
               *sorted((root / "blitzlearn" / "linear_model").glob("*.py"))]
    toy = {line.strip() for path in sources
           for line in path.read_text().splitlines()}
    blocks = re.findall(r"\.\. code-block:: python\n\n((?:(?: {4}.*)?\n)+)", page)
    assert len(blocks) >= 4
    for block in blocks:
        for line in block.splitlines():
            if line.strip():
                assert line.strip() in toy, line
