# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Column primitives on a design matrix stored column by column.

Every kernel in blitzlearn reads the design matrix through the triple
``(data, indices, indptr)`` plus the number of rows ``n`` and a flag ``sparse``:

- CSC input: the matrix's own ``data``, ``indices`` and ``indptr``;
- dense input: ``data`` is the Fortran-ordered matrix flattened without a copy
  (``X.ravel(order="F")``), and ``indices``/``indptr`` are empty int32 arrays.

The larger kernels take the five as one tuple, the column bundle ``X =
(data, indices, indptr, n, sparse)`` (:func:`column_bundle`), so that their
signatures stay short.  Each primitive holds the dense and the CSC loop side
by side and branches on the flag, so every algorithm kernel is written once
for both layouts.  A kernel that takes the flag (or the bundle) is declared
with :func:`layout_kernel`, which compiles it with the flag as a constant, so
the machine code of each layout holds its own loops only.
"""

import inspect

import numpy as np

from .._jit import njit

JIT = dict(cache=True, nogil=True, error_model="numpy")

# Dot products may be reassociated (and use fused multiply-adds) so that LLVM
# vectorises the reduction: the freedom every BLAS ``ddot`` takes, about 4x
# faster on short columns.  No flag that assumes finite values is set, so NaN
# and inf still propagate and ``isfinite`` checks keep working.
JIT_DOT = dict(JIT, fastmath={"reassoc", "contract"})

EMPTY_INDEX = np.empty(0, dtype=np.int32)


def layout_kernel(func):
    """Compile a kernel with its layout flag as a constant.

    The flag is the argument ``sparse``, or the last entry of the column
    bundle ``X`` (see :func:`column_bundle`) for a kernel taking an argument
    named ``X``.  The kernel's body is inlined (at Numba's IR level) into a
    dispatcher ``if sparse: body(..., True, ...) else: body(..., False, ...)``
    (the bundle rebuilt with the constant in its last entry), so LLVM folds
    every test of the flag and each layout's loops compile without the
    other's.  With the flag a runtime value, a pass of the SVM kernel on a9a
    (CSR rows of 14 entries) took twice as long: the dense branch beside each
    short sparse loop kept LLVM from optimising it.  The dispatcher has the
    kernel's name, signature, docstring, source file and first line, so Numba
    caches it like the kernel itself (and drops the cache when that file
    changes).  A kernel may take at most 30 arguments: CPython passes more as
    one tuple, which Numba cannot inline.

    Parameters
    ----------
    func : function
        Kernel taking an argument named ``sparse`` or ``X``.

    Returns
    -------
    kernel : numba dispatcher
        Compiled with the options ``JIT``.
    """
    signature = inspect.signature(func)
    params = list(signature.parameters)
    if "X" in params:
        flag = "X[4]"
        const = {"X": "(X[0], X[1], X[2], X[3], {})"}
    elif "sparse" in params:
        flag = "sparse"
        const = {"sparse": "{}"}
    else:
        raise TypeError(f"{func.__name__} takes no argument named 'sparse' or 'X'")

    def call(value):
        args = [const[name].format(value) if name in const else name
                for name in params]
        return f"_body({', '.join(args)})"

    # padded so that the dispatcher's first line is the kernel's (Numba names
    # its cache files by qualified name and first line)
    source = ("\n" * (func.__code__.co_firstlineno - 1)
              + f"def {func.__name__}{signature}:\n"
              + f"    if {flag}:\n        return {call('True')}\n"
              + f"    return {call('False')}\n")
    namespace = {"_body": njit(inline="always")(func)}
    exec(compile(source, inspect.getfile(func), "exec"), namespace)
    dispatcher = namespace[func.__name__]
    dispatcher.__module__ = func.__module__
    dispatcher.__qualname__ = func.__qualname__
    dispatcher.__doc__ = func.__doc__
    dispatcher.__wrapped__ = func
    return njit(**JIT)(dispatcher)


def column_bundle(cols, n):
    """The column bundle ``(data, indices, indptr, n, sparse)`` of the kernels.

    Parameters
    ----------
    cols : tuple
        ``(data, indices, indptr, sparse)``, as returned by :func:`as_columns`.
    n : int
        Length of the columns.

    Returns
    -------
    X : tuple
        ``(data, indices, indptr, n, sparse)``.
    """
    data, indices, indptr, sparse = cols
    return data, indices, indptr, int(n), bool(sparse)


def as_columns(X):
    """Return the ``(data, indices, indptr, sparse)`` view used by the kernels.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or CSC sparse matrix
        Dense input must be Fortran-ordered; it is never copied.

    Returns
    -------
    columns : tuple
        ``(data, indices, indptr, sparse)``.
    """
    if hasattr(X, "indptr"):
        return X.data, X.indices, X.indptr, True
    if not X.flags.f_contiguous:
        raise ValueError("dense design matrices must be Fortran-ordered")
    return X.ravel(order="F"), EMPTY_INDEX, EMPTY_INDEX, False


@njit(**JIT_DOT)
def vdot(a, b):
    """``a @ b[:len(a)]``, reassociated so that it vectorises."""
    acc = 0.0
    for i in range(a.shape[0]):
        acc += a[i] * b[i]
    return acc


# The sparse loops of ``col_dot`` and ``col_axpy`` run a few dozen entries at a
# time inside the hot loops of every coordinate-descent kernel: they are
# inlined into their callers by Numba (``inline="always"``), which removes a
# call with some thirty arguments per coordinate, and they are not
# reassociated (a gather loop that LLVM vectorises is slower on short
# columns).  On a9a this halved the time of one pass of the SVM kernel.
#
# Their positions are unsigned (``col_span``, ``np.uint64(indices[k])``):
# Numba wraps a negative signed index around (``a[-1]`` is the last entry), a
# test and a select on every load of ``data``, ``indices`` and ``v``, which
# made these loops twice as slow as scipy's ``csr_matvec`` (rcv1-like, all
# rows: 1.5 ms against 0.74 ms; 0.77 ms unsigned).  A valid CSC matrix has no
# negative entry in ``indptr`` or ``indices``.  Every sparse loop of the
# kernels reads its entries this way.
@njit(inline="always")
def col_span(indptr, j):
    """``(start, stop)`` of column ``j``'s entries, as unsigned positions."""
    return np.uint64(indptr[j]), np.uint64(indptr[j + 1])


@njit(inline="always")
def col_dot(data, indices, indptr, n, sparse, j, v):
    """Return ``X[:, j] @ v`` (both layouts)."""
    if sparse:
        acc = 0.0
        start, stop = col_span(indptr, j)
        for k in range(start, stop):
            acc += data[k] * v[np.uint64(indices[k])]
        return acc
    # a slice indexed from 0: with ``data[start + i]`` Numba tests every index
    # for a negative value (wraparound), which kept LLVM from vectorising the
    # loop (gisette, dense: BlitzSVC 3x slower)
    return vdot(data[j * n:(j + 1) * n], v)


@njit(inline="always")
def col_axpy(data, indices, indptr, n, sparse, j, a, v):
    """``v += a * X[:, j]`` (both layouts)."""
    if sparse:
        start, stop = col_span(indptr, j)
        for k in range(start, stop):
            v[np.uint64(indices[k])] += a * data[k]
    else:
        col = data[j * n:(j + 1) * n]  # indexed from 0: see col_dot
        for i in range(n):
            v[i] += a * col[i]


@layout_kernel
def xt_dot(data, indices, indptr, n, sparse, v, cols, out):
    """``out[j] = X[:, j] @ v`` for every ``j`` in ``cols``; other entries kept."""
    for t in range(cols.shape[0]):
        j = cols[t]
        out[j] = col_dot(data, indices, indptr, n, sparse, j, v)


@layout_kernel
def add_cols(data, indices, indptr, n, sparse, cols, coef, out):
    """``out += X[:, cols] @ coef`` (no copy of the columns; zero ``coef`` skipped)."""
    for t in range(cols.shape[0]):
        if coef[t] != 0.0:
            col_axpy(data, indices, indptr, n, sparse, cols[t], coef[t], out)


@njit(**JIT)
def copy_into(src, dst):
    """``dst[:] = src`` as a loop (cheaper to compile than slice assignment)."""
    for i in range(src.shape[0]):
        dst[i] = src[i]


@layout_kernel
def col_sq_norms(data, indices, indptr, n, sparse, out):
    """``out[j] = ||X[:, j]||^2`` in float64 for every column (no copy of X)."""
    for j in range(out.shape[0]):
        acc = 0.0
        if sparse:
            start, stop = col_span(indptr, j)
            for k in range(start, stop):
                acc += float(data[k]) * float(data[k])
        else:
            for k in range(j * n, (j + 1) * n):
                acc += float(data[k]) * float(data[k])
        out[j] = acc


# 64-bit linear congruential generator (Knuth's MMIX constants); the high
# 32 bits of each state pick a position by multiply-shift (no division).
_LCG_MUL = np.uint64(6364136223846793005)
_LCG_INC = np.uint64(1442695040888963407)
_U32 = np.uint64(32)


@njit(**JIT)
def shuffle(order, n, state):
    """Fisher-Yates shuffle of ``order[:n]``; returns the generator's new state.

    The coordinate-descent kernels visit their coordinates in pseudo-random
    orders: on strongly correlated columns (tf-idf text, one-hot groups) the
    columns' own order can need tens of times more passes.  The generator is
    seeded by the caller, so the same input always gives the same model.
    """
    for t in range(n - 1, 0, -1):
        state = state * _LCG_MUL + _LCG_INC
        k = np.int64(((state >> _U32) * np.uint64(t + 1)) >> _U32)
        tmp = order[t]
        order[t] = order[k]
        order[k] = tmp
    return state
