# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Array backends: where the full passes over ``X`` of a fit run.

A GPU fit keeps ``X`` on the device and runs there every product with all of
it (``X^T v`` for the certificate, the capsule tests and screening, ``X w``
for the scores) and the working-set subproblems
(:mod:`blitzlearn._problems._device_ws`), on the columns of the working set
gathered on the device (:meth:`DeviceMatrix.gather`).  CuPy is imported here
only, and only when a fit asks for a CUDA device.

:func:`numpy_backend` is a stand-in with the same interface on NumPy/SciPy,
so that the GPU code path runs, and is tested, on machines without a GPU.
"""

import contextlib
import functools

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import check_array, check_is_fitted, validate_data

from ._device import GPU_INSTALL_HINT, device_index, is_cupy_object, resolve_device
from ._validation import (
    canonical_sparse,
    check_magnitudes,
    check_sparse_format,
    kernel_input,
    scale_rows,
    single_target,
)


class ArrayBackend:
    """An array module, its sparse module and the host <-> device copies.

    Parameters
    ----------
    xp : module
        ``numpy`` or ``cupy``.
    sparse : module
        ``scipy.sparse`` or ``cupyx.scipy.sparse``.
    index : int or None
        CUDA device ordinal (None for the NumPy stand-in).
    """

    def __init__(self, xp, sparse, index=None):
        self.xp = xp
        self.sparse = sparse
        self.index = index

    def activate(self):
        """Context manager making this backend's device the current one."""
        if self.index is None:
            return contextlib.nullcontext()
        return self.xp.cuda.Device(self.index)

    def to_device(self, a):
        """A host array (or scipy sparse matrix) as a float64 device copy."""
        if sp.issparse(a):  # copied as it is, converted on the device
            kind = self.sparse.csc_matrix if a.format == "csc" else (
                self.sparse.csr_matrix)
            return kind(a).astype(np.float64)
        return self.xp.asarray(a).astype(np.float64, copy=False)

    def to_host(self, a):
        """A device array as a NumPy array."""
        if self.xp is np:
            return np.asarray(a)
        return self.xp.asnumpy(a)


def numpy_backend():
    """The CPU stand-in: NumPy and SciPy behind the backend interface."""
    return ArrayBackend(np, sp)


def cuda_backend(device, estimator_name):
    """The CuPy backend on ``device`` (``"cuda"`` or ``"cuda:N"``).

    Raises
    ------
    ImportError
        If CuPy is not installed.
    RuntimeError
        If no CUDA GPU is visible, or ``cuda:N`` names a GPU that is not there.
    """
    try:
        import cupy
        import cupyx.scipy.sparse as cusparse
    except ImportError as exc:
        raise ImportError(
            f"{estimator_name}: device={device!r} needs CuPy, which is not "
            f"installed. Install the GPU extra: {GPU_INSTALL_HINT}, or fit with "
            "device='cpu'."
        ) from exc
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # CUDA driver missing or broken: no usable GPU
        count = 0
    index = device_index(device)
    if count == 0:
        raise RuntimeError(
            f"{estimator_name}: device={device!r} but CuPy finds no CUDA GPU on "
            f"this machine (see {GPU_INSTALL_HINT} for the GPU requirements); "
            "fit with device='cpu'."
        )
    if index >= count:
        raise RuntimeError(
            f"{estimator_name}: device={device!r} but this machine has {count} "
            f"CUDA GPU(s), numbered from 0."
        )
    return ArrayBackend(cupy, cusparse, index)


def _on_its_device(method):
    """Run a :class:`DeviceMatrix` method with the matrix's device current."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.backend.activate():
            return method(self, *args, **kwargs)

    return wrapper


class DeviceMatrix:
    """A design matrix on a device, components as columns, with a host mirror.

    Every method makes the matrix's device the current one, so that the
    problems reading it need not know which device that is.

    ``A`` is the device copy in float64: CSC or Fortran-ordered dense, its
    columns the BlitzWS components (``X`` for the L1 models, ``X^T`` for the
    SVM).  ``host`` is a host matrix of the same layout, which the few host
    kernels left read (the columns of unpenalised features, which the dual
    point is projected against; the SVM's fixed examples when ``X`` came
    from the host): the input itself when it came from the host, otherwise
    a mirror whose columns are copied from the device on first use
    (:meth:`ensure`).  The subproblems read the working set's columns on the
    device (:meth:`gather`).
    The mirror's buffers are allocated zeroed and untouched, so the memory of
    the columns never fetched is never committed.

    Parameters
    ----------
    backend : ArrayBackend
    A : device matrix (CSC, or Fortran-ordered dense), float64
    host : host matrix (CSC, or Fortran-ordered dense) or None
        The same matrix on the host (any float dtype); None builds a mirror.
    shape : tuple
        Shape of the estimator's ``X`` (``A``'s transpose for the SVM).
    dtype : numpy dtype
        dtype of the estimator's ``X``.
    """

    def __init__(self, backend, A, host, shape, dtype):
        self.backend = backend
        self.A = A
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.sparse = backend.sparse.issparse(A)
        rows, cols = A.shape
        if host is not None:
            self.host, self._fetched = host, None
        elif self.sparse:
            indptr = backend.to_host(A.indptr).astype(np.int64)
            self.host = sp.csc_matrix(
                (np.zeros(indptr[-1]), np.zeros(indptr[-1], dtype=np.int32), indptr),
                shape=A.shape)
            self.host.has_sorted_indices = True  # once fetched (A is sorted)
            self._fetched = np.zeros(cols, dtype=np.bool_)
        else:
            self.host = np.zeros((rows, cols), order="F")
            self._fetched = np.zeros(cols, dtype=np.bool_)

    def _dev(self, v):
        return self.backend.xp.asarray(v, dtype=np.float64)

    @_on_its_device
    def rmatvec(self, v):
        """``A^T v`` as a host vector (one value per component)."""
        return self.backend.to_host(self.A.T @ self._dev(v)).ravel()

    @_on_its_device
    def matvec(self, u):
        """``A u`` as a host vector."""
        return self.backend.to_host(self.A @ self._dev(u)).ravel()

    @_on_its_device
    def column_sq_norms(self):
        """Squared norm of every column, on the host."""
        xp, A = self.backend.xp, self.A
        sq = A.multiply(A).sum(axis=0) if self.sparse else (A * A).sum(axis=0)
        return self.backend.to_host(xp.asarray(sq)).ravel()

    @_on_its_device
    def column_counts(self):
        """Stored entries of every column (rows for dense), float64 on the host."""
        if self.sparse:
            return np.diff(self.backend.to_host(self.A.indptr)).astype(np.float64)
        return np.full(self.A.shape[1], float(self.A.shape[0]))

    @_on_its_device
    def gather(self, cols):
        """The device submatrix ``A[:, cols]`` (host indices), float64.

        CSC or dense as ``A``; what a subproblem on the device multiplies.
        """
        return self.A[:, self.backend.xp.asarray(cols)]

    @_on_its_device
    def combine(self, cols, coef):
        """``A[:, cols] @ coef`` as a host vector (0 when ``cols`` is empty)."""
        if cols.size == 0:
            return np.zeros(self.A.shape[0])
        return self.backend.to_host(self.gather(cols) @ self._dev(coef)).ravel()

    def on_host(self, cols):
        """Whether the host matrix holds the columns ``cols``."""
        return self._fetched is None or bool(self._fetched[cols].all())

    @_on_its_device
    def ensure(self, cols):
        """Copy the columns ``cols`` (host indices) to the host mirror."""
        if self._fetched is None or cols.size == 0:
            return
        missing = cols[~self._fetched[cols]]
        if missing.size == 0:
            return
        missing = np.unique(missing)
        self._fetched[missing] = True
        to_host, A = self.backend.to_host, self.A
        if not self.sparse:
            self.host[:, missing] = to_host(A[:, self.backend.xp.asarray(missing)])
            return
        indptr = self.host.indptr
        starts, lengths = indptr[missing], indptr[missing + 1] - indptr[missing]
        # positions of the columns' entries: concatenated ranges
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
        where = offsets + np.arange(offsets.size)
        where_dev = self.backend.xp.asarray(where)
        self.host.data[where] = to_host(A.data[where_dev])
        self.host.indices[where] = to_host(A.indices[where_dev])


def resolve_backend(device, X, name):
    """``(device, backend, on_device)`` of a fit on ``X`` with ``device=device``.

    ``backend`` is None for a CPU fit; ``on_device`` says that ``X`` is CuPy
    input that stays on its GPU.  Raises as :func:`resolve_device` and
    :func:`cuda_backend` do.  Every fit, path and CV resolves its backend
    here (the tests swap in :func:`numpy_backend` at this one point).
    """
    device = resolve_device(device, X, name)
    if device == "cpu":
        return device, None, False
    if _stand_in is not None:
        return device, numpy_backend(), _stand_in["device_input"]
    return device, cuda_backend(device, name), is_cupy_object(X)


_stand_in = None  # set by stand_in_backend


@contextlib.contextmanager
def stand_in_backend(*, device_input=False):
    """Within the block, CUDA fits run on :func:`numpy_backend` (for tests).

    Every fit, path and CV asked for ``device="cuda"`` then runs the GPU code
    path on NumPy/SciPy, on machines without a GPU.  ``device_input`` makes
    the estimators treat host ``X`` as input already on the device (validated
    there and mirrored on demand, as CuPy input is).
    """
    global _stand_in
    previous, _stand_in = _stand_in, {"device_input": device_input}
    try:
        yield
    finally:
        _stand_in = previous


class FitData:
    """A fit's validated data, on the device the fit runs on.

    The one switch point between the backends for the estimators: they read
    ``y``, ``dtype`` and ``device``, may scale the rows of ``X``
    (:meth:`scale_rows`) and hand :meth:`design` to
    :func:`~blitzlearn._problems.build_problem`, never asking where ``X`` is.

    Attributes
    ----------
    X : host matrix, or device matrix for CuPy input
        Validated, in the layout the problems read (CSC / Fortran-ordered
        for ``"columns"``, CSR / C-ordered for ``"rows"``, device input as
        :func:`check_device_input` returns it).
    y : ndarray
        The target on the host (float64 for a regression, labels as given
        otherwise).
    dtype : numpy dtype
        The float dtype of ``X`` (float64 for integer X).
    device : str
        ``"cpu"`` or ``"cuda[:N]"``.
    """

    def __init__(self, X, y, dtype, device, backend, on_device, layout):
        self.X, self.y, self.dtype, self.device = X, y, np.dtype(dtype), device
        self._backend, self._on_device, self._layout = backend, on_device, layout

    def scale_rows(self, scale):
        """Replace ``X`` by ``diag(scale) @ X`` (a new matrix; ``layout="columns"``)."""
        if self._on_device:
            self.X = scale_device_rows(self._backend, self.X, scale)
        else:
            self.X = scale_rows(self.X, scale)

    def design(self):
        """``X`` as the problems take it: the host matrix or a :class:`DeviceMatrix`."""
        return place(self.X, self._layout, self._backend,
                     device_input=self._on_device, dtype=self.dtype)


def place(X, layout, backend, *, device_input=False, dtype=None):
    """``X`` where a solve on ``backend`` reads it: itself on the CPU (None).

    Otherwise the :class:`DeviceMatrix` of :func:`device_design`.
    """
    if backend is None:
        return X
    with backend.activate():
        return device_design(backend, X, layout, device_input=device_input,
                             dtype=dtype)


def fit_data(estimator, X, y, *, layout, regression):
    """Validate ``fit``'s ``X`` and ``y`` on the estimator's device: a :class:`FitData`.

    Host input gets ``validate_data`` (sparse CSC, CSR or COO; float64 or
    float32; ``y`` numeric and float64 with ``regression``) and
    :func:`~blitzlearn._validation.kernel_input` (canonical sparse on a copy,
    magnitudes); CuPy input that stays on its GPU gets the same checks
    there (:func:`check_device_input`).  ``y`` must have one output.
    """
    name = type(estimator).__name__
    device, backend, on_device = resolve_backend(estimator.device, X, name)
    y = host_copy(y)
    if on_device:
        with backend.activate():
            X, y, dtype = check_device_input(estimator, X, y, backend, layout)
        if regression:
            y = check_array(y, ensure_2d=False, dtype=np.float64, input_name="y")
        y = single_target(y, name) if regression else y
    else:
        X = host_copy(X)
        check_sparse_format(X, name)
        # X's NaN / infinity check shares kernel_input's pass over X
        X, y = validate_data(
            estimator, X, y, accept_sparse=["csc", "csr", "coo"],
            dtype=[np.float64, np.float32],
            order="F" if layout == "columns" else "C", y_numeric=regression,
            multi_output=True, ensure_all_finite=False,
        )
        if regression:
            # numeric before the magnitude check reads it (a string y raises
            # "could not convert string to float")
            y = np.asarray(single_target(y, name), dtype=np.float64)
            X = kernel_input(X, layout, name, y, finite=True)
        else:
            X = kernel_input(X, layout, name, finite=True)
        dtype = X.dtype
    return FitData(X, y, dtype, device, backend, on_device, layout)


def host_copy(a):
    """``a`` on the host: CuPy arrays and matrices are copied back, the rest kept."""
    return a.get() if is_cupy_object(a) else a


def check_device_input(estimator, X, y, backend, layout):
    """Validate CuPy ``X`` on its device; return ``(A, y, dtype)``.

    ``A`` is ``X`` (``layout="columns"``) or ``X^T`` (``layout="rows"``) as a
    float64 CSC or Fortran-ordered device matrix with sorted indices; ``y``
    comes back on the host, checked for length only; ``dtype`` is the float
    dtype of the fitted attributes (X's, or float64 for integer X).  Sets
    ``n_features_in_`` like ``validate_data``.  The checks are those
    ``check_array`` makes on host input: a sparse format the kernels read,
    two dimensions, a numeric dtype, at least one sample and one feature,
    finite values.
    """
    name = type(estimator).__name__
    xp, cusparse = backend.xp, backend.sparse
    if cusparse.issparse(X) and X.format not in ("csc", "csr", "coo"):
        raise TypeError(
            f"{name} accepts sparse X in CSC, CSR or COO format; got a sparse "
            f"matrix in {X.format.upper()} format. Convert it first, for example "
            "with X.tocsc()."
        )
    if X.ndim != 2:
        raise ValueError(f"{name}: expected a 2D array for X, got {X.ndim}D.")
    if X.dtype.kind not in "fiub":
        raise ValueError(f"{name}: X must be numeric; got dtype {X.dtype}.")
    n, p = X.shape
    if n < 1 or p < 1:
        raise ValueError(f"{name}: X has shape {X.shape}; at least one sample and "
                         "one feature are required.")
    values = X.data if cusparse.issparse(X) else X
    if values.dtype.kind == "f" and not bool(xp.isfinite(values).all()):
        raise ValueError(f"{name}: Input X contains NaN or infinity.")
    validate_data(estimator, X, skip_check_array=True)  # n_features_in_
    y = np.asarray(host_copy(y))
    if y.shape[0] != n:
        raise ValueError(f"{name}: X has {n} samples but y has {y.shape[0]}.")
    dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
    if cusparse.issparse(X):
        # canonical CSC / CSR (a copy unless X already is: the caller's
        # matrix is never sorted in place); a canonical CSR's transpose is a
        # canonical CSC
        A = canonical_sparse(X, layout)
        A = (A if layout == "columns" else A.T).astype(np.float64)
    else:
        A = xp.asfortranarray((X if layout == "columns" else X.T).astype(np.float64))
    check_magnitudes(A, name)
    return A, y, dtype


def device_design(backend, X, layout, *, device_input=False, dtype=None):
    """The :class:`DeviceMatrix` of a fit's ``X``.

    ``X`` is either validated host input (CSC / Fortran-ordered for
    ``layout="columns"``, CSR / C-ordered for ``"rows"``), copied to the
    device once and read by the host kernels in place, or (``device_input``)
    the device matrix ``A`` returned by :func:`check_device_input`, mirrored
    on the host on demand.
    """
    if device_input:
        shape = X.shape if layout == "columns" else X.shape[::-1]
        return DeviceMatrix(backend, X, None, shape, dtype)
    host = X if layout == "columns" else X.T
    A = backend.to_device(host)
    if not backend.sparse.issparse(A):
        A = backend.xp.asfortranarray(A)
    return DeviceMatrix(backend, A, host, X.shape, X.dtype)


def scale_device_rows(backend, A, scale):
    """``diag(scale) @ A`` as a new device matrix.

    ``A`` comes from :func:`check_device_input` in the columns layout.
    """
    with backend.activate():
        s = backend.xp.asarray(scale, dtype=np.float64)
        if backend.sparse.issparse(A):
            out = A.copy()
            out.data = out.data * s[out.indices]
            return out
        return A * s[:, None]


def device_decision_function(estimator, X):
    """``X @ coef_.T + intercept_`` on the device of CuPy ``X``, as CuPy.

    ``estimator`` must be fitted, and ``X`` gets the checks ``predict`` makes
    on host input: two dimensions, the number of features seen in ``fit``,
    finite values.
    """
    import cupy
    import cupyx.scipy.sparse as cusparse

    check_is_fitted(estimator)
    name = type(estimator).__name__
    if X.ndim != 2:
        raise ValueError(f"{name}: expected a 2D array for X, got {X.ndim}D.")
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {name} is expecting "
            f"{estimator.n_features_in_} features as input."
        )
    values = X.data if cusparse.issparse(X) else X
    if values.dtype.kind == "f" and not bool(cupy.isfinite(values).all()):
        raise ValueError(f"{name}: Input X contains NaN or infinity.")
    dtype = X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)
    with values.device:  # X's GPU (sparse matrices tell it by their data)
        coef = cupy.asarray(estimator.coef_, dtype=dtype)
        scores = X.astype(dtype) @ coef.T
        scores = cupy.asarray(scores) + cupy.asarray(estimator.intercept_,
                                                     dtype=dtype)
    if scores.ndim == 2 and scores.shape[1] == 1:
        scores = scores.ravel()
    return scores


def array_module(a):
    """``cupy`` for a CuPy array, ``numpy`` otherwise."""
    if is_cupy_object(a):
        import cupy

        return cupy
    return np


def expit(scores):
    """The logistic function on the host or on the device of ``scores``."""
    if is_cupy_object(scores):
        from cupyx.scipy.special import expit as device_expit

        return device_expit(scores)
    from scipy.special import expit as host_expit

    return host_expit(scores)
