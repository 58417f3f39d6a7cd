# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The GPU backend.

Without a GPU (CI) the GPU code path runs on a NumPy/SciPy stand-in for CuPy:
the device problems, the host mirror of the working set and the CuPy-input
validation, compared with the CPU backend.  The tests marked ``gpu`` run the
same comparisons on CuPy and are skipped, with the reason, elsewhere.
"""

import sys
import types

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import cupy_or_skip, lasso_objective, make_data
from _logistic_reference import logistic_objective
from _svm_reference import primal_objective
from sklearn.datasets import make_classification

from blitzlearn import BlitzLasso, BlitzLogisticL1, BlitzSVC
from blitzlearn._backend import (
    DeviceMatrix,
    check_device_input,
    device_design,
    numpy_backend,
    stand_in_backend,
)
from blitzlearn.linear_model import (
    BlitzLassoCV,
    BlitzLogisticL1CV,
    blitz_lasso_path,
    blitz_logistic_l1_path,
)

ESTIMATORS = ["lasso", "logistic", "svc"]


def _data(kind, sparse, dtype, n_classes=2):
    if kind == "lasso":
        X, y = make_data(120, 300, sparse=sparse, dtype=dtype, random_state=3)
        return X, y
    X, y = make_classification(150, 200, n_informative=12, n_classes=n_classes,
                               random_state=4)
    X = X.astype(dtype)
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) > 0.8, X, 0.0))
    return X, y


def _coef_dtype(kind, dtype):
    """The dtype of ``coef_``: X's for the Lasso, float64 for the classifiers."""
    return dtype if kind == "lasso" else np.float64


def _estimator(kind, **params):
    tol = 1e-12 if kind == "lasso" else 1e-10
    if kind == "lasso":
        return BlitzLasso(alpha=0.05, tol=tol, **params)
    if kind == "logistic":
        # one-vs-rest: the multinomial model has no device problem (an error)
        return BlitzLogisticL1(C=0.5, tol=tol, multi_class="ovr", **params)
    return BlitzSVC(C=0.1, loss="hinge", tol=tol, **params)


def _objective(kind, model, X, y):
    if kind == "lasso":
        return lasso_objective(X, y, model.coef_, model.intercept_, model.alpha)
    total = 0.0
    for k, cls in enumerate(model.classes_ if model.coef_.shape[0] > 1
                            else model.classes_[1:]):
        labels = np.where(y == cls, 1.0, -1.0)
        if kind == "logistic":
            total += logistic_objective(X, labels, model.coef_[k],
                                        model.intercept_[k], model.C)
        else:
            total += primal_objective(X, labels, model.coef_[k],
                                      model.intercept_[k], model.C)
    return total


def _fit_on_stand_in(model, X, y, device_input):
    """Fit with ``device="cuda"`` on the NumPy stand-in backend.

    ``device_input`` makes the estimator take ``X`` as device input (validated
    and mirrored on demand), as it does CuPy input.
    """
    with stand_in_backend(device_input=device_input):
        return model.set_params(device="cuda").fit(X, y)


@pytest.mark.parametrize("device_input", [False, True], ids=["host-X", "device-X"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("kind", ESTIMATORS)
def test_stand_in_backend_matches_cpu_backend(kind, sparse, dtype,
                                              device_input):
    X, y = _data(kind, sparse, dtype)
    cpu = _estimator(kind).fit(X, y)
    gpu = _fit_on_stand_in(_estimator(kind), X, y, device_input)
    assert gpu.device_ == "cuda" and cpu.device_ == "cpu"
    assert isinstance(gpu.coef_, np.ndarray)
    assert gpu.coef_.dtype == _coef_dtype(kind, dtype)
    p_cpu, p_gpu = _objective(kind, cpu, X, y), _objective(kind, gpu, X, y)
    assert abs(p_gpu - p_cpu) <= 1e-7 * abs(p_cpu)
    assert np.all(np.atleast_1d(gpu.dual_gap_) >= 0)
    np.testing.assert_allclose(gpu.predict(X), cpu.predict(X), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("device_input", [False, True], ids=["host-X", "device-X"])
def test_stand_in_float32_lasso_certifies_the_rounded_model(
                                                            device_input):
    # the device problem's host mirror is float64: the rounding to X's dtype
    # must come from X, not from the mirror (y's mean of 1e4 makes the float32
    # intercept's rounding cost visible)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 5)).astype(np.float32)
    y = (X.astype(np.float64) @ np.array([1.0, -2, 0, 0, 3])
         + 0.01 * rng.standard_normal(40) + 12345.678)
    cpu = BlitzLasso(alpha=1e-3, tol=1e-8).fit(X, y)
    gpu = _fit_on_stand_in(BlitzLasso(alpha=1e-3, tol=1e-8), X, y,
                           device_input)
    assert gpu.coef_.dtype == np.float32
    # the same rounded model, charged the same rounding cost (about 1.6e-8)
    assert gpu.intercept_ == cpu.intercept_
    assert cpu.dual_gap_ > 1e-8
    assert gpu.dual_gap_ >= 0.5 * cpu.dual_gap_


@pytest.mark.parametrize("kind", ["logistic", "svc"])
def test_stand_in_one_vs_rest_and_warm_start(kind):
    X, y = _data(kind, True, np.float64, n_classes=3)
    cpu = _estimator(kind).fit(X, y)
    gpu = _fit_on_stand_in(_estimator(kind, warm_start=True), X, y,
                           True)
    assert abs(_objective(kind, gpu, X, y) - _objective(kind, cpu, X, y)) <= (
        1e-7 * _objective(kind, cpu, X, y))
    # a warm start from nonzero weights: those columns are mirrored up front
    gpu.set_params(C=gpu.C * 2)
    again = _fit_on_stand_in(gpu, X, y, True)
    ref = _estimator(kind).set_params(C=gpu.C).fit(X, y)
    assert abs(_objective(kind, again, X, y) - _objective(kind, ref, X, y)) <= (
        1e-7 * _objective(kind, ref, X, y))


def test_stand_in_lasso_sample_weight_and_warm_start():
    X, y = make_data(100, 150, sparse=True, random_state=5)
    sw = np.linspace(0.5, 2.0, X.shape[0])
    cpu = BlitzLasso(alpha=0.02, tol=1e-12).fit(X, y, sample_weight=sw)
    with stand_in_backend(device_input=True):
        gpu = BlitzLasso(alpha=0.02, tol=1e-12, device="cuda", warm_start=True)
        gpu.fit(X, y, sample_weight=sw)
        p_cpu = lasso_objective(X, y, cpu.coef_, cpu.intercept_, 0.02, sw)
        p_gpu = lasso_objective(X, y, gpu.coef_, gpu.intercept_, 0.02, sw)
        assert abs(p_gpu - p_cpu) <= 1e-7 * p_cpu
        gpu.set_params(alpha=0.01).fit(X, y, sample_weight=sw)
    ref = BlitzLasso(alpha=0.01, tol=1e-12).fit(X, y, sample_weight=sw)
    p_ref = lasso_objective(X, y, ref.coef_, ref.intercept_, 0.01, sw)
    assert abs(lasso_objective(X, y, gpu.coef_, gpu.intercept_, 0.01, sw)
               - p_ref) <= 1e-7 * p_ref


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_stand_in_paths_match_cpu_paths(sparse):
    # the paths build their problems through the same seam as fit: on the
    # stand-in they run the device problems, with the CPU's objectives
    X, y = make_data(60, 80, sparse=sparse, random_state=3)
    X, y = X - (0 if sparse else X.mean(axis=0)), y - y.mean()
    cpu = blitz_lasso_path(X, y, alphas=6, tol=1e-10)
    with stand_in_backend():
        gpu = blitz_lasso_path(X, y, alphas=6, tol=1e-10, device="cuda")
    np.testing.assert_array_equal(gpu[0], cpu[0])
    for k, alpha in enumerate(cpu[0]):
        p_cpu = lasso_objective(X, y, cpu[1][:, k], 0.0, alpha)
        p_gpu = lasso_objective(X, y, gpu[1][:, k], 0.0, alpha)
        assert abs(p_gpu - p_cpu) <= 1e-7 * p_cpu
    labels = np.where(y > 0, 1.0, -1.0)
    cpu = blitz_logistic_l1_path(X, labels, Cs=5, tol=1e-10)
    with stand_in_backend():
        gpu = blitz_logistic_l1_path(X, labels, Cs=5, tol=1e-10, device="cuda")
    np.testing.assert_array_equal(gpu[0], cpu[0])
    for k, C in enumerate(cpu[0]):
        p_cpu = logistic_objective(X, labels, cpu[1][k, :-1], cpu[1][k, -1], C)
        p_gpu = logistic_objective(X, labels, gpu[1][k, :-1], gpu[1][k, -1], C)
        assert abs(p_gpu - p_cpu) <= 1e-7 * p_cpu


def test_stand_in_cross_validation_runs_on_the_device():
    X, y = make_data(60, 40, sparse=True, random_state=4)
    cpu = BlitzLassoCV(alphas=8, cv=3, tol=1e-10).fit(X, y)
    with stand_in_backend():
        gpu = BlitzLassoCV(alphas=8, cv=3, tol=1e-10, device="cuda").fit(X, y)
    assert gpu.alpha_ == cpu.alpha_
    np.testing.assert_allclose(gpu.mse_path_, cpu.mse_path_, rtol=1e-6)
    labels = np.digitize(y, np.quantile(y, [0.33, 0.66]))
    cpu = BlitzLogisticL1CV(Cs=4, cv=3, tol=1e-10, multi_class="ovr").fit(X, labels)
    with stand_in_backend():
        gpu = BlitzLogisticL1CV(Cs=4, cv=3, tol=1e-10, multi_class="ovr",
                                device="cuda").fit(X, labels)
    assert gpu.device_ == "cuda" and cpu.device_ == "cpu"
    np.testing.assert_array_equal(gpu.C_, cpu.C_)
    np.testing.assert_allclose(gpu.scores_[0], cpu.scores_[0])
    for k, c in enumerate(cpu.classes_):
        ref = np.where(labels == c, 1.0, -1.0)
        p_cpu = logistic_objective(X, ref, cpu.coef_[k], cpu.intercept_[k],
                                   cpu.C_[k])
        p_gpu = logistic_objective(X, ref, gpu.coef_[k], gpu.intercept_[k],
                                   gpu.C_[k])
        assert abs(p_gpu - p_cpu) <= 1e-7 * p_cpu


def test_lasso_cv_refuses_device_input_with_a_way_out():
    class FakeCupy:  # what is_cupy_object recognises
        __module__ = "cupy._core"

    with pytest.raises(TypeError, match=r"X\.get\(\) with device='cuda'"):
        BlitzLassoCV().fit(FakeCupy(), np.ones(3))


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
def test_device_matrix_mirror_fetches_only_what_is_asked(sparse):
    rng = np.random.default_rng(0)
    X = sp.random(40, 30, density=0.3, random_state=1, format="csc") if sparse \
        else np.asfortranarray(rng.standard_normal((40, 30)))
    dense = X.toarray() if sparse else X
    dm = DeviceMatrix(numpy_backend(), X.copy(), None, X.shape, X.dtype)
    host = lambda: dm.host.toarray() if sparse else dm.host  # noqa: E731
    assert not host().any() and not dm.on_host(np.array([0]))
    cols = np.array([7, 2, 7, 19])
    dm.ensure(cols)
    assert dm.on_host(cols) and not dm.on_host(np.array([3]))
    np.testing.assert_array_equal(host()[:, [2, 7, 19]], dense[:, [2, 7, 19]])
    others = np.setdiff1d(np.arange(30), cols)
    assert not host()[:, others].any()
    dm.ensure(np.arange(30))
    np.testing.assert_array_equal(host(), dense)
    v, u = rng.standard_normal(40), rng.standard_normal(30)
    np.testing.assert_allclose(dm.rmatvec(v), dense.T @ v)
    np.testing.assert_allclose(dm.matvec(u), dense @ u)
    np.testing.assert_allclose(dm.column_sq_norms(), (dense ** 2).sum(axis=0))
    counts = np.diff(X.indptr) if sparse else np.full(30, 40)
    np.testing.assert_array_equal(dm.column_counts(), counts)


def test_device_design_of_host_input_reads_it_in_place():
    X = sp.random(20, 10, density=0.5, random_state=2, format="csr",
                  dtype=np.float32)
    dm = device_design(numpy_backend(), X, "rows")
    assert dm.shape == (20, 10) and dm.dtype == np.float32
    assert dm.A.shape == (10, 20) and dm.A.dtype == np.float64
    assert np.shares_memory(dm.host.data, X.data)  # the kernels read X itself
    assert dm.on_host(np.arange(20))


@pytest.mark.parametrize("change, error, match", [
    (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 3, np.nan, X),
     ValueError, "NaN or infinity"),
    (lambda X: X[:, :, None], ValueError, "2D array"),
    (lambda X: X[:0], ValueError, "at least one sample"),
    (lambda X: sp.dia_matrix(X), TypeError, "CSC, CSR or COO"),
    (lambda X: X.astype(complex), ValueError, "numeric"),
], ids=["nan", "3d", "empty", "dia", "complex"])
def test_device_input_errors(change, error, match):
    X = np.arange(12.0).reshape(4, 3)
    with pytest.raises(error, match=match):
        check_device_input(BlitzLasso(), change(X), np.ones(4), numpy_backend(),
                           "columns")


def test_device_input_length_mismatch():
    with pytest.raises(ValueError, match="4 samples but y has 3"):
        check_device_input(BlitzSVC(), np.ones((4, 2)), np.ones(3), numpy_backend(),
                           "rows")


@pytest.mark.parametrize("make", [BlitzLasso, BlitzLogisticL1, BlitzSVC])
@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_cuda_without_cupy_names_the_gpu_extra(monkeypatch, make, device):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy fails
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
    with pytest.raises(ImportError, match=r"needs CuPy.*pip install blitzlearn\[gpu\]"):
        make(device=device).fit(X, y)


def _fake_cupy(count):
    def get_device_count():
        if count is None:
            raise RuntimeError("cudaErrorNoDevice")
        return count

    cupy = types.ModuleType("cupy")
    cupy.cuda = types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=get_device_count))
    cupyx = types.ModuleType("cupyx")
    cupyx.scipy = types.ModuleType("cupyx.scipy")
    cupyx.scipy.sparse = types.ModuleType("cupyx.scipy.sparse")
    return {"cupy": cupy, "cupyx": cupyx, "cupyx.scipy": cupyx.scipy,
            "cupyx.scipy.sparse": cupyx.scipy.sparse}


@pytest.mark.parametrize("make", [BlitzLasso, BlitzLogisticL1, BlitzSVC])
@pytest.mark.parametrize("count, device, match", [
    (None, "cuda", "finds no CUDA GPU"),
    (0, "cuda:0", "finds no CUDA GPU"),
    (1, "cuda:2", "has 1 CUDA GPU"),
])
def test_cuda_without_a_gpu_says_so(monkeypatch, make, count, device, match):
    for name, module in _fake_cupy(count).items():
        monkeypatch.setitem(sys.modules, name, module)
    X, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
    with pytest.raises(RuntimeError, match=match):
        make(device=device).fit(X, y)


def test_cpu_device_copies_cupy_input_back(monkeypatch):
    class FakeDeviceArray:  # what host_copy needs of a CuPy array: .get()
        __module__ = "cupy._core.core"

        def __init__(self, a):
            self.a = a

        def get(self):
            return self.a

    X, y = make_data(30, 8, random_state=1)
    model = BlitzLasso(alpha=0.1, device="cpu").fit(FakeDeviceArray(X), y)
    ref = BlitzLasso(alpha=0.1).fit(X, y)
    np.testing.assert_array_equal(model.coef_, ref.coef_)
    assert model.device_ == "cpu"


# -- on a GPU ----------------------------------------------------------------



@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("kind", ESTIMATORS)
def test_gpu_matches_cpu_backend(kind, sparse, dtype):
    cupy, cusparse = cupy_or_skip()
    X, y = _data(kind, sparse, dtype)
    cpu = _estimator(kind).fit(X, y)
    p_cpu = _objective(kind, cpu, X, y)
    X_dev = (cusparse.csr_matrix(X) if sparse else cupy.asarray(X))
    for model in (_estimator(kind).fit(X_dev, y),  # "auto" follows X
                  _estimator(kind, device="cuda").fit(X, y)):
        assert model.device_ == "cuda"
        assert isinstance(model.coef_, np.ndarray)
        assert model.coef_.dtype == _coef_dtype(kind, dtype)
        assert abs(_objective(kind, model, X, y) - p_cpu) <= 1e-7 * abs(p_cpu)
    pred = model.predict(X_dev)
    assert isinstance(pred, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(pred), cpu.predict(X), rtol=1e-4,
                               atol=1e-4)


@pytest.mark.gpu
def test_gpu_cuda_n_and_errors():
    cupy, _ = cupy_or_skip()
    X, y = make_data(50, 20, random_state=2)
    count = cupy.cuda.runtime.getDeviceCount()
    model = BlitzLasso(alpha=0.1, device=f"cuda:{count - 1}").fit(X, y)
    assert model.device_ == f"cuda:{count - 1}"
    with pytest.raises(RuntimeError, match=f"has {count} CUDA GPU"):
        BlitzLasso(device=f"cuda:{count}").fit(X, y)
    with pytest.raises(ValueError, match="NaN or infinity"):
        BlitzLasso().fit(cupy.asarray(np.where(X > 1, np.nan, X)), y)
    with pytest.raises(ValueError, match="expecting 20 features"):
        model.predict(cupy.asarray(X[:, :5]))
    proba = BlitzLogisticL1(C=1.0).fit(X, y > y.mean()).predict_proba(cupy.asarray(X))
    assert isinstance(proba, cupy.ndarray)
    np.testing.assert_allclose(cupy.asnumpy(proba).sum(axis=1), 1.0)
