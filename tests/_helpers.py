# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Shared helpers of the test suite: data sets, random problems, references.

Objectives and references are computed independently of blitzlearn (plain
NumPy/SciPy and scikit-learn), so that the tests check the library against
them; only the reading of the LIBSVM files goes through
``blitzlearn.datasets`` (a thin wrapper of ``load_svmlight_file``).
"""

import functools
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.preprocessing import StandardScaler

from blitzlearn.datasets import load_libsvm

# ../shared/datasets relative to the repository root (see its README.md).
DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"

# The LIBSVM sets the comparisons use (read by blitzlearn.datasets).
_LIBSVM_SETS = ("leukemia", "colon-cancer", "gisette")

DATASET_NAMES = ("diabetes", *_LIBSVM_SETS)

# The sparse LIBSVM sets the classification tests use (kept CSC).
_SPARSE_LIBSVM_SETS = ("a9a", "w8a")


BENCH = Path(__file__).resolve().parents[1] / "asv_benchmarks"


def load_benchmark(name):
    """The module ``asv_benchmarks/<name>.py``, imported from its file.

    The peer scripts put their folder on ``sys.path`` to find their helpers;
    it is taken off again.
    """
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    finally:
        if str(BENCH) in sys.path:
            sys.path.remove(str(BENCH))
    return module


@functools.cache
def _load_libsvm(name):
    X, y = load_libsvm(name, data_home=DATASETS)
    X = np.asfortranarray(X, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    # the arrays are shared by every test of the session: nobody may write
    X.flags.writeable = False
    y.flags.writeable = False
    return X, y


def load_dataset(name):
    """``(X, y)`` of a real data set as dense Fortran float64 (cached, read-only).

    ``"diabetes"`` is scikit-learn's bundled set; the others are read from
    ``../shared/datasets``.  When that folder is absent the calling test is
    skipped; when it exists but a file is missing, the error propagates.
    """
    if name == "diabetes":
        X, y = load_diabetes(return_X_y=True)
        return np.asfortranarray(X, dtype=np.float64), y.astype(np.float64)
    if name not in _LIBSVM_SETS:
        raise KeyError(f"unknown data set {name!r}")
    if not DATASETS.is_dir():
        pytest.skip(f"../shared/datasets not found: {DATASETS} does not exist, "
                    f"so the {name} comparison cannot run")
    return _load_libsvm(name)


def _random_design(rng, n_samples, n_features, sparse, dtype, density):
    """Gaussian design, Fortran-ordered dense or CSC (sorted indices) of ``dtype``."""
    if sparse:
        X = sp.random(n_samples, n_features, density=density, format="csc",
                      random_state=rng, data_rvs=rng.standard_normal)
        X = X.astype(dtype)
        X.sort_indices()
        return X
    return np.asfortranarray(rng.standard_normal((n_samples, n_features)),
                             dtype=dtype)


def _sparse_truth(rng, n_features, low, high):
    """Weights with a third nonzero, magnitudes uniform in [low, high], random signs."""
    w = np.zeros(n_features)
    support = rng.choice(n_features, size=max(1, n_features // 3), replace=False)
    w[support] = rng.uniform(low, high, support.size) * rng.choice([-1, 1],
                                                                  support.size)
    return w


def make_data(n_samples, n_features, sparse=False, dtype=np.float64,
              random_state=0, density=0.3, noise=0.1):
    """A random regression problem with a sparse ground truth.

    Returns ``(X, y)`` with X Fortran-ordered dense or CSC of ``dtype`` and y
    float64 (``y = X w + 1.5 + noise``, about a third of ``w`` nonzero).
    """
    rng = np.random.default_rng(random_state)
    X = _random_design(rng, n_samples, n_features, sparse, dtype, density)
    w = _sparse_truth(rng, n_features, 1.0, 3.0)
    y = np.asarray(X.astype(np.float64) @ w).ravel() + 1.5
    y += noise * rng.standard_normal(n_samples)
    return X, y


def _weights(n, sample_weight):
    """Sample weights rescaled to sum to ``n`` (all ones by default)."""
    if sample_weight is None:
        return np.ones(n)
    sw = np.asarray(sample_weight, dtype=np.float64)
    return sw * (n / sw.sum())


def lasso_objective(X, y, w, b, alpha, sample_weight=None):
    """``(1/(2n)) sum_i s_i (y_i - x_i.w - b)^2 + alpha ||w||_1`` in float64.

    ``s`` are the sample weights rescaled to sum to ``n``, as in sklearn's Lasso.
    """
    # everything in float64: a float32 coef_ must not round the sums
    w = np.asarray(w, dtype=np.float64)
    if sp.issparse(X):
        pred = np.asarray(X.astype(np.float64) @ w).ravel()
    else:
        pred = np.asarray(X, dtype=np.float64) @ w
    y = np.asarray(y, dtype=np.float64)
    n = y.shape[0]
    s = _weights(n, sample_weight)
    r = y - pred - float(b)
    return float(s @ (r * r)) / (2 * n) + alpha * float(np.abs(w).sum())


def centred_target(y, fit_intercept, sample_weight=None):
    """``y - mean_s(y)`` (weighted mean) with an intercept, ``y`` otherwise."""
    y = np.asarray(y, dtype=np.float64)
    if not fit_intercept:
        return y
    s = _weights(y.shape[0], sample_weight)
    return y - (s @ y) / s.sum()


def alpha_max(X, y, fit_intercept=True, sample_weight=None):
    """Smallest alpha with ``w = 0`` optimal: ``||X^T S (y - ybar)||_inf / n``."""
    n = X.shape[0]
    s = _weights(n, sample_weight)
    yc = centred_target(y, fit_intercept, sample_weight)
    if sp.issparse(X):
        X = X.astype(np.float64)
        # centring X is not needed: X^T S (y - ybar) with sum(S (y - ybar)) = 0
        corr = np.asarray(X.T @ (s * yc)).ravel()
    else:
        corr = np.asarray(X, dtype=np.float64).T @ (s * yc)
    return float(np.abs(corr).max()) / n


def tol_bound(y, tol, fit_intercept, sample_weight=None):
    """The documented stop rule: ``tol * sum_i s_i (y_i - ybar)^2 / n``."""
    y = np.asarray(y, dtype=np.float64)
    n = y.shape[0]
    s = _weights(n, sample_weight)
    yc = centred_target(y, fit_intercept, sample_weight)
    return tol * float(s @ (yc * yc)) / n


@functools.cache
def _load_sparse_libsvm(name):
    X, y = load_libsvm(name, data_home=DATASETS)
    X = sp.csc_matrix(X, dtype=np.float64)
    X.sort_indices()
    y = np.ascontiguousarray(y, dtype=np.float64)
    # shared by every test of the session: nobody may write
    for array in (X.data, X.indices, X.indptr, y):
        array.flags.writeable = False
    return X, y


def load_classification_dataset(name):
    """``(X, y)`` of a binary classification set, labels ``y`` in {-1, +1}.

    ``"breast_cancer"`` is scikit-learn's bundled set, standardised, as dense
    Fortran float64 (label +1 for sklearn's class 1, "benign"); ``"leukemia"``
    and ``"colon-cancer"`` come from :func:`load_dataset`; ``"a9a"`` and
    ``"w8a"`` are read from ``../shared/datasets`` as CSC matrices (cached,
    read-only arrays).
    The LIBSVM sets skip the calling test only when that folder is absent.
    """
    if name == "breast_cancer":
        X, y = load_breast_cancer(return_X_y=True)
        X = np.asfortranarray(StandardScaler().fit_transform(X))
        return X, np.where(y == 1, 1.0, -1.0)
    if name in _LIBSVM_SETS:
        return load_dataset(name)
    if name not in _SPARSE_LIBSVM_SETS:
        raise KeyError(f"unknown data set {name!r}")
    if not DATASETS.is_dir():
        pytest.skip(f"../shared/datasets not found: {DATASETS} does not exist, "
                    f"so the {name} comparison cannot run")
    return _load_sparse_libsvm(name)


def make_binary_data(n_samples, n_features, sparse=False, dtype=np.float64,
                     random_state=0, density=0.3):
    """A random binary problem with a sparse logistic ground truth.

    Returns ``(X, y)`` with X Fortran-ordered dense or CSC of ``dtype`` and y
    in {-1, +1} (float64), drawn from ``P(y = 1) = sigmoid(X w + 0.5)`` with a
    third of ``w`` nonzero; both classes are present.
    """
    rng = np.random.default_rng(random_state)
    X = _random_design(rng, n_samples, n_features, sparse, dtype, density)
    w = _sparse_truth(rng, n_features, 0.5, 2.0)
    z = np.asarray(X.astype(np.float64) @ w).ravel() + 0.5
    y = np.where(rng.random(n_samples) < 1.0 / (1.0 + np.exp(-z)), 1.0, -1.0)
    y[:2] = [1.0, -1.0]
    return X, y


def cupy_or_skip():
    """``(cupy, cupyx.scipy.sparse)``, or skip the test saying what is missing."""
    try:
        import cupy
        import cupyx.scipy.sparse as cusparse
    except ImportError:
        pytest.skip("CuPy is not installed")
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            raise RuntimeError("no device")
    except Exception:
        pytest.skip("CuPy finds no CUDA GPU")
    return cupy, cusparse
