"""Checks of the column primitives every kernel is built on.

Speed is measured by the benchmarks, not here; these tests check properties
of the compiled code instead: :func:`layout_kernel` compiles a kernel for
both layouts under the kernel's identity, and the dense column loops must
compile to contiguous vector loads.  Indexing ``data[start + i]`` with a signed offset
makes Numba test every index for wraparound, and LLVM then falls back to
masked gathers (BlitzSVC on dense gisette ran 3x slower).
"""

import os
import re
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from numba import njit

from blitzlearn._kernels._columns import (
    EMPTY_INDEX,
    JIT,
    JIT_DOT,
    as_columns,
    col_axpy,
    col_dot,
    column_bundle,
    layout_kernel,
    vdot,
)

VECTOR_LOAD = re.compile(r"load <\d+ x double>")
GATHER = re.compile(r"masked\.gather")


def _optimised_ir(py_func, flags, *args):
    # a fresh dispatcher: cached code cannot be inspected
    compiled = njit(**dict(flags, cache=False))(py_func)
    compiled(*args)
    return compiled.inspect_llvm(compiled.signatures[0])


def test_dense_dot_vectorises_with_contiguous_loads():
    def dot(data, n, j, v):
        return col_dot(data, EMPTY_INDEX, EMPTY_INDEX, n, False, j, v)

    data = np.arange(40.0)
    v = np.ones(11)  # the SVM's weights carry one more entry than a row
    ir = _optimised_ir(dot, JIT, data, 10, 1, v)
    assert VECTOR_LOAD.search(ir)
    assert not GATHER.search(ir)
    assert dot(data, 10, 1, v) == data[10:20].sum()
    ir = _optimised_ir(vdot.py_func, JIT_DOT, data[10:20], v)
    assert VECTOR_LOAD.search(ir)
    assert not GATHER.search(ir)


def test_dense_axpy_vectorises_with_contiguous_loads():
    def axpy(data, n, j, a, v):
        col_axpy(data, EMPTY_INDEX, EMPTY_INDEX, n, False, j, a, v)

    data = np.arange(40.0)
    v = np.zeros(10)
    ir = _optimised_ir(axpy, JIT, data, 10, 2, 0.5, v)
    assert VECTOR_LOAD.search(ir)
    assert not GATHER.search(ir)
    np.testing.assert_array_equal(v, 0.5 * data[20:30])


def test_col_dot_both_layouts_match_numpy():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((7, 5))
    X[X < 0.3] = 0.0
    v = rng.standard_normal(7)

    @njit
    def all_dots(data, indices, indptr, n, sparse, v, out):
        for j in range(out.shape[0]):
            out[j] = col_dot(data, indices, indptr, n, sparse, j, v)

    dense, sparse = np.empty(5), np.empty(5)
    all_dots(np.asfortranarray(X).ravel(order="F"), EMPTY_INDEX, EMPTY_INDEX, 7,
             False, v, dense)
    C = sp.csc_matrix(X)
    all_dots(C.data, C.indices, C.indptr, 7, True, v, sparse)
    np.testing.assert_allclose(dense, X.T @ v, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(sparse, X.T @ v, rtol=1e-14, atol=1e-14)


def _scaled_dots(data, indices, indptr, n, sparse, v, scale, out):
    """``out = scale * X^T v``."""
    for j in range(out.shape[0]):
        out[j] = scale * col_dot(data, indices, indptr, n, sparse, j, v)


def _matrix_and_vector(seed, n, d):
    """A seeded ``(n, d)`` matrix with zeros and a vector of length ``n``."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    X[X < 0.2] = 0.0
    return X, rng.standard_normal(n)


def test_layout_kernel_runs_each_layout_and_keeps_the_kernels_identity():
    kernel = layout_kernel(_scaled_dots)
    assert kernel.__name__ == "_scaled_dots"
    assert kernel.__doc__ == _scaled_dots.__doc__
    # Numba names cache files by the first line
    first_line = _scaled_dots.__code__.co_firstlineno
    assert kernel.py_func.__code__.co_firstlineno == first_line
    X, v = _matrix_and_vector(1, 9, 4)
    dense, sparse = np.empty(4), np.empty(4)
    kernel(np.asfortranarray(X).ravel(order="F"), EMPTY_INDEX, EMPTY_INDEX, 9, False,
           v, 2.0, dense)
    C = sp.csc_matrix(X)
    # keywords reach the kernel's parameters by name
    kernel(C.data, C.indices, C.indptr, 9, sparse=True, v=v, scale=2.0, out=sparse)
    np.testing.assert_allclose(dense, 2.0 * X.T @ v, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(sparse, 2.0 * X.T @ v, rtol=1e-14, atol=1e-14)


def _bundle_dots(X, v, scale, out):
    """``out = scale * X^T v`` with ``X`` a column bundle."""
    data, indices, indptr, n, sparse = X
    for j in range(out.shape[0]):
        out[j] = scale * col_dot(data, indices, indptr, n, sparse, j, v)


def test_layout_kernel_takes_a_column_bundle():
    kernel = layout_kernel(_bundle_dots)
    assert kernel.__name__ == "_bundle_dots"
    first = kernel.py_func.__code__.co_firstlineno
    assert first == _bundle_dots.__code__.co_firstlineno
    X, v = _matrix_and_vector(2, 8, 5)
    for A in (np.asfortranarray(X), sp.csc_matrix(X)):
        bundle = column_bundle(as_columns(A), 8)
        assert bundle[3:] == (8, sp.issparse(A))
        out = np.empty(5)
        kernel(bundle, v, 3.0, out)
        np.testing.assert_allclose(out, 3.0 * X.T @ v, rtol=1e-14, atol=1e-14)


def test_layout_kernel_needs_a_sparse_argument():
    def no_flag(data, n, out):
        out[0] = n

    with pytest.raises(TypeError,
                       match="no_flag takes no argument named 'sparse' or 'X'"):
        layout_kernel(no_flag)


_CACHE_CHILD = """
import numpy as np
from blitzlearn._kernels._columns import EMPTY_INDEX, xt_dot
out = np.zeros(2)
xt_dot(np.arange(6.0), EMPTY_INDEX, EMPTY_INDEX, 3, False, np.ones(3),
       np.arange(2), out)
assert out.tolist() == [3.0, 12.0], out
print(sum(xt_dot.stats.cache_hits.values()), sum(xt_dot.stats.cache_misses.values()))
"""


def test_layout_kernels_are_cached_on_disk(tmp_path):
    # the dispatcher is built by exec: Numba must still find its source file,
    # or every process would compile every kernel again
    env = dict(os.environ, BLITZLEARN_CACHE_DIR=str(tmp_path),
               BLITZLEARN_INSTALLED_CACHE="0")
    runs = [subprocess.run([sys.executable, "-c", _CACHE_CHILD], env=env, check=True,
                           capture_output=True, text=True).stdout.split()
            for _ in range(2)]
    assert runs == [["0", "1"], ["1", "0"]]
