# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The working-set subproblems on the device (``_problems/_device_ws.py``).

Every estimator, path and CV fitted with ``device="cuda"`` agrees with the
CPU backend: on the NumPy/SciPy stand-in of the array module in CI, on CuPy
in the tests marked ``gpu`` (skipped, with the reason, without a GPU).  The
objectives are computed here from their formulas, outside the solvers; the
certificates are checked against the CPU backend's tight solution; and the
device problems never copy a working-set column to the host.
"""

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import cupy_or_skip, make_data
from _l1svm_reference import objective as l1svm_objective
from sklearn.base import clone
from sklearn.datasets import make_classification

from blitzlearn import (
    BlitzElasticNet,
    BlitzElasticNetCV,
    BlitzLasso,
    BlitzLassoCV,
    BlitzLogisticL1,
    BlitzLogisticL1CV,
    BlitzSVC,
    blitz_enet_path,
    blitz_lasso_path,
    blitz_logistic_l1_path,
)
from blitzlearn._backend import device_design, numpy_backend, stand_in_backend
from blitzlearn._engine import blitzws
from blitzlearn._kernels._stopping import make_budget
from blitzlearn._problems._device import (
    DeviceL1SVMProblem,
    DeviceLassoProblem,
    DeviceLogisticProblem,
    DeviceSVMProblem,
)
from blitzlearn._problems._device_ws import LassoWorkingSet, fista

WEIGHTS = np.linspace(0.5, 1.5, 40)

# name: (estimator, its objective's family); tight tolerances
MODELS = {
    "lasso": lambda: BlitzLasso(alpha=0.05, tol=1e-12),
    "enet": lambda: BlitzElasticNet(alpha=0.05, l1_ratio=0.5, tol=1e-12),
    "weighted-positive-lasso": lambda: BlitzLasso(
        alpha=0.02, positive=True, penalty_weights=WEIGHTS, tol=1e-12),
    "logistic": lambda: BlitzLogisticL1(C=0.5, tol=1e-10),
    "logistic-enet": lambda: BlitzLogisticL1(C=0.5, l1_ratio=0.5,
                                             penalty_weights=WEIGHTS, tol=1e-10),
    "svc-hinge": lambda: BlitzSVC(C=0.1, loss="hinge", tol=1e-10),
    "svc-squared-hinge": lambda: BlitzSVC(C=0.1, tol=1e-10),
    "svc-l1": lambda: BlitzSVC(C=0.5, penalty="l1", tol=1e-10),
}


def _data(name, sparse, dtype):
    if "lasso" in name or name == "enet":
        X, y = make_data(60, 40, sparse=sparse, dtype=dtype, random_state=3)
        return X, y
    X, y = make_classification(80, 40, n_informative=8, random_state=4)
    X = X.astype(dtype)
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) > 0.8, X, 0.0))
    return X, np.where(y > 0, 1.0, -1.0)


def objective(model, X, y, coef=None, intercept=None):
    """The objective of the estimator ``model`` at ``coef`` and ``intercept``.

    Its fitted ``coef_`` and ``intercept_`` by default; the parameters
    (``alpha`` or ``C``, ``l1_ratio``, ``penalty_weights``, the loss) are
    ``model``'s.
    """
    coef = model.coef_ if coef is None else coef
    intercept = model.intercept_ if intercept is None else intercept
    w = np.asarray(coef, dtype=np.float64).ravel()
    b = float(np.ravel(intercept)[0])
    z = np.asarray(X.astype(np.float64) @ w).ravel() + b
    v = model.get_params().get("penalty_weights")
    v = np.ones(w.size) if v is None else v
    if isinstance(model, BlitzElasticNet):  # BlitzLasso included
        rho = model.l1_ratio
        return (0.5 * np.mean((y - z) ** 2) + model.alpha * (
            rho * float(v @ np.abs(w)) + 0.5 * (1.0 - rho) * float(w @ w)))
    if isinstance(model, BlitzLogisticL1):
        rho = model.l1_ratio
        return (model.C * float(np.logaddexp(0.0, -y * z).sum())
                + rho * float(v @ np.abs(w)) + 0.5 * (1.0 - rho) * float(w @ w))
    if model.penalty == "l1":
        return l1svm_objective(X, y, w, b, model.C, np.ones(y.size), "penalized")
    hinge = np.maximum(1.0 - y * z, 0.0)
    loss = hinge if model.loss == "hinge" else hinge ** 2
    return 0.5 * (float(w @ w) + b * b) + model.C * float(loss.sum())




BACKENDS = ["stand-in", pytest.param("gpu", marks=pytest.mark.gpu)]


def _on_device(backend, fit, X):
    """``fit(X)`` with ``device="cuda"``: the stand-in (``X`` as device
    input), or CuPy with ``X`` copied to the GPU."""
    if backend == "stand-in":
        with stand_in_backend(device_input=True):
            return fit(X)
    cupy, cusparse = cupy_or_skip()
    return fit(cusparse.csr_matrix(X) if sp.issparse(X) else cupy.asarray(X))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("name", list(MODELS))
def test_device_estimators_match_the_cpu_backend(name, sparse, dtype, backend):
    X, y = _data(name, sparse, dtype)
    cpu = MODELS[name]().fit(X, y)
    p_cpu = objective(cpu, X, y)
    gpu = _on_device(backend,
                     lambda X_: MODELS[name]().set_params(device="cuda").fit(X_, y), X)
    assert gpu.device_ == "cuda"
    assert gpu.coef_.dtype == cpu.coef_.dtype
    p_gpu = objective(gpu, X, y)
    assert abs(p_gpu - p_cpu) <= 1e-7 * abs(p_cpu)
    # a loose fit: its certificate bounds its suboptimality (P* <= p_cpu)
    loose = _on_device(backend, lambda X_: MODELS[name]().set_params(
        device="cuda", tol=1e-3).fit(X_, y), X)
    gap = float(np.max(loose.dual_gap_))
    assert objective(loose, X, y) - p_cpu <= gap + 1e-9 * abs(p_cpu)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_device_paths_match_the_cpu_backend(sparse, dtype, backend):
    X, y = _data("lasso", sparse, dtype)
    n = y.size
    for path, extra in ((blitz_lasso_path, {}),
                        (blitz_enet_path, {"l1_ratio": 0.5})):
        rho = extra.get("l1_ratio", 1.0)
        cpu = path(X, y, alphas=5, tol=1e-12, **extra)
        gpu = _on_device(backend, lambda X_, path=path, extra=extra: path(
            X_, y, alphas=5, tol=1e-12, device="cuda", **extra), X)
        np.testing.assert_array_equal(gpu[0], cpu[0])
        for k, alpha in enumerate(cpu[0]):
            values = []
            for coefs in (cpu[1], gpu[1]):
                w = coefs[:, k].astype(np.float64)
                r = y - np.asarray(X.astype(np.float64) @ w).ravel()
                values.append(0.5 * float(r @ r) / n + alpha * (
                    rho * np.abs(w).sum() + 0.5 * (1 - rho) * float(w @ w)))
            assert abs(values[1] - values[0]) <= 1e-7 * values[0]
    Xc, labels = _data("logistic", sparse, dtype)
    cpu = blitz_logistic_l1_path(Xc, labels, Cs=4, tol=1e-10)
    gpu = _on_device(backend, lambda X_: blitz_logistic_l1_path(
        X_, labels, Cs=4, tol=1e-10, device="cuda"), Xc)
    np.testing.assert_array_equal(gpu[0], cpu[0])
    for k, C in enumerate(cpu[0]):
        values = []
        for coefs in (cpu[1], gpu[1]):
            w, b = coefs[k, :-1], coefs[k, -1]
            z = np.asarray(Xc.astype(np.float64) @ w).ravel() + b
            values.append(C * float(np.logaddexp(0.0, -labels * z).sum())
                          + float(np.abs(w).sum()))
        assert abs(values[1] - values[0]) <= 1e-7 * values[0]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_device_cvs_match_the_cpu_backend(sparse, dtype, backend):
    # the CVs cut their folds on the host: X stays host input (device="cuda")
    X, y = _data("lasso", sparse, dtype)
    Xc, labels = _data("logistic", sparse, dtype)
    # (eps=1e-2: the grid stops short of the near-interpolating fold models,
    # whose held-out errors the objective hardly determines)
    cases = ((BlitzLassoCV(alphas=5, eps=1e-2, cv=3, tol=1e-12), X, y),
             (BlitzElasticNetCV(l1_ratio=0.5, alphas=5, eps=1e-2, cv=3,
                                tol=1e-12), X, y),
             (BlitzLogisticL1CV(Cs=3, cv=3, tol=1e-10), Xc, labels))
    for prototype, data, target in cases:
        cpu = clone(prototype).fit(data, target)
        if backend == "stand-in":
            with stand_in_backend():
                gpu = clone(prototype).set_params(device="cuda").fit(data, target)
        else:
            cupy_or_skip()
            gpu = clone(prototype).set_params(device="cuda").fit(data, target)
        if isinstance(cpu, BlitzLogisticL1CV):
            np.testing.assert_array_equal(gpu.C_, cpu.C_)
            spec = BlitzLogisticL1(C=float(cpu.C_[0]))
        else:
            assert gpu.alpha_ == cpu.alpha_
            # held-out errors are not certified (the weights are not unique
            # along directions the training rows do not see): 1e-4 here
            np.testing.assert_allclose(gpu.mse_path_, cpu.mse_path_, rtol=1e-4)
            spec = BlitzElasticNet(alpha=cpu.alpha_,
                                   l1_ratio=getattr(cpu, "l1_ratio_", 1.0))
        p_cpu = objective(spec, data, target, cpu.coef_, cpu.intercept_)
        p_gpu = objective(spec, data, target, gpu.coef_, gpu.intercept_)
        assert abs(p_gpu - p_cpu) <= 1e-7 * abs(p_cpu)


# -- the device problems directly -------------------------------------------------

def _device_problems(sparse):
    """The device problems on device input (a mirror filled only on demand)."""
    X, y = _data("lasso", sparse, np.float64)
    Xc, labels = _data("logistic", sparse, np.float64)
    A = sp.csc_matrix(X) if sparse else np.asfortranarray(X)
    Ac = sp.csc_matrix(Xc) if sparse else np.asfortranarray(Xc)
    At = sp.csc_matrix(Xc.T) if sparse else np.asfortranarray(Xc.T)
    n, p = X.shape
    backend = numpy_backend()
    lasso = DeviceLassoProblem(
        device_design(backend, A, "columns", device_input=True, dtype=X.dtype),
        y, np.ones(n), 0.05 * n, fit_intercept=True, positive=False,
        w0=np.zeros(p), l1_ratio=0.7)
    logistic = DeviceLogisticProblem(
        device_design(backend, Ac, "columns", device_input=True, dtype=X.dtype),
        labels, np.ones(labels.size), 2.0, fit_intercept=True,
        w0=np.zeros(Xc.shape[1]))
    svm = DeviceSVMProblem(
        device_design(backend, At, "rows", device_input=True, dtype=X.dtype),
        labels, 0.1 * np.ones(labels.size), 1.0, C=0.1, loss="hinge")
    l1svms = [DeviceL1SVMProblem(
        device_design(backend, Ac, "columns", device_input=True, dtype=X.dtype),
        labels, np.ones(labels.size), 2.0, intercept=mode,
        w0=np.zeros(Xc.shape[1])) for mode in ("penalized", "unpenalized")]
    return lasso, logistic, svm, *l1svms


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_device_problems_copy_no_column_to_the_host(sparse):
    for problem in _device_problems(sparse):
        scale = problem.tol_scale()
        result = blitzws(problem, tol=0.0 if scale is None else 1e-10 * scale,
                         rel_tol=1e-10 if scale is None else 0.0, max_iter=200,
                         max_epochs=50000)
        assert result.converged and result.n_iter > 1
        assert not problem._dm._fetched.any()


def test_the_subproblem_meets_the_stopping_rule():
    lasso = _device_problems(False)[0]
    gap = lasso.refresh(None).gap
    ws = np.arange(lasso.n_components)
    epochs, work, sub_gap = lasso.solve(ws, 1e-4, gap, 0.0, np.inf, 50000)
    assert 0 < epochs < 50000
    assert 0.0 <= sub_gap <= 1e-4 * gap
    # the full working set: the subproblem is the problem, its gap the full one
    assert lasso.full_gap() <= 1e-4 * gap * (1 + 1e-6) + 1e-12
    # and the budget ends it otherwise, after the gap check of its last pass
    lasso.warm_start(np.zeros(lasso.n_components))
    epochs, _, sub_gap = lasso.solve(ws, 1e-12, lasso.refresh(None).gap, 0.0,
                                     np.inf, 3)
    assert epochs == 3 and np.isfinite(sub_gap)


def test_fista_converges_from_a_too_small_lipschitz_estimate():
    lasso = _device_problems(True)[0]
    lasso.refresh(None)
    ws = np.arange(lasso.n_components)
    sub = LassoWorkingSet(lasso, ws)
    budget = make_budget(1e-6, 1.0, 0.0, np.inf, 5000)
    x, r, epochs, _, gap, lip = fista(sub, sub.x0, 1e-9, budget)
    # backtracking grew the estimate, and the gap was reached by the rule
    assert lip > 1e-3 and epochs < 5000
    assert 0.0 <= gap <= 1e-6
    # the image is the residual of the returned weights, at the best intercept
    r_ref = lasso.y - lasso._dm.A @ x
    r_ref -= r_ref.mean()
    np.testing.assert_allclose(r, r_ref, atol=1e-10)
