# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Input checks shared by the estimators (beyond ``validate_data``)."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import _check_sample_weight, column_or_1d

SPARSE_FORMATS = ("csc", "csr", "coo")


def check_sparse_format(X, estimator_name):
    """Refuse sparse formats the kernels cannot read without a silent rewrite."""
    if sp.issparse(X) and X.format not in SPARSE_FORMATS:
        raise TypeError(
            f"{estimator_name} accepts sparse X in CSC, CSR or COO format; got a "
            f"sparse matrix in {X.format.upper()} format. Convert it first, for "
            "example with X.tocsc()."
        )


def single_target(y, estimator_name):
    """Return a validated ``y`` as 1-D, refusing multi-output targets clearly.

    A column vector is flattened with scikit-learn's DataConversionWarning.
    """
    if y.ndim == 2 and y.shape[1] != 1:
        raise ValueError(
            f"{estimator_name} does not support multi-output targets: y has shape "
            f"{y.shape}. Fit one estimator per output."
        )
    return column_or_1d(y, warn=True)


def normalized_sample_weight(sample_weight, X):
    """Sample weights as float64 rescaled to sum to ``n_samples`` (or None).

    As in scikit-learn's ``ElasticNet``, the rescaling keeps the meaning of the
    penalty: the objective's ``1 / n_samples`` factor then equals
    ``1 / sum(sample_weight)``.
    """
    if sample_weight is None:
        return None
    sw = _check_sample_weight(sample_weight, X, dtype=np.float64,
                              ensure_non_negative=True)
    total = sw.sum()
    if not total > 0:
        raise ValueError("sample_weight must have a positive sum; got all zeros.")
    return sw * (X.shape[0] / total)


def scale_rows(X, scale):
    """Return ``diag(scale) @ X`` as a new matrix of X's kind, dtype and layout.

    Sparse ``X`` must be CSC (its ``indices`` are then row indices).
    """
    if sp.issparse(X):
        if X.format != "csc":
            raise ValueError(f"scale_rows needs a CSC matrix, got {X.format}")
        out = X.copy()
        out.data = (out.data * scale[out.indices]).astype(X.dtype, copy=False)
        return out
    return np.asfortranarray((X * scale[:, None]).astype(X.dtype, copy=False))


# The sparse format the kernels read for each layout of the design matrix.
KERNEL_FORMATS = {"columns": "csc", "rows": "csr"}


def canonical_sparse(X, layout):
    """Sparse ``X`` in the kernels' format, duplicates summed, indices sorted.

    ``layout`` is ``"columns"`` (CSC) or ``"rows"`` (CSR).  Works for SciPy and
    CuPy sparse matrices.  ``X`` itself (its arrays and flags) is never
    modified: a matrix already canonical in that format is returned as it
    is, anything else is converted or copied first.  Dense ``X`` is returned
    unchanged.
    """
    if getattr(X, "format", None) is None:  # dense
        return X
    A = getattr(X, "to" + KERNEL_FORMATS[layout])()  # X itself if in format
    if not A.has_canonical_format:
        if A is X:
            A = X.copy()
        A.sum_duplicates()  # sums duplicates and sorts the indices
    return A


def _squares_finite(values):
    """Whether ``sum(values ** 2)`` is finite: one BLAS pass over the entries.

    True proves every entry finite and every row's and column's sum of
    squares below float64's largest value (up to rounding).  ``values`` is a
    NumPy or CuPy array; a float32 sum may overflow where float64's would
    not, which only sends the caller to its exact checks.
    """
    flat = values.ravel(order="K")  # a view of a contiguous array
    return bool(np.isfinite(float(flat @ flat)))


def check_magnitudes(X, name, y=None, finite=False):
    """Raise when X's (or y's) entries are so large that the objective overflows.

    The solvers need the squared norms of X's rows and columns (and of ``y``)
    in float64; when one of them is infinite no gap can be computed and the
    fit would end in NaN or frozen weights.  ``X`` and ``y`` are NumPy/SciPy
    or CuPy arrays that hold only finite values, unless ``finite``: then a
    NaN or infinite entry raises too (for callers whose ``check_array`` left
    that check out; the two share one pass).  The exact check runs only when
    the sum of all squares overflows.
    """
    huge = np.finfo(np.float64).max
    parts = [("X", X)] + ([] if y is None else [("y", y)])
    for what, a in parts:
        values = a.data if getattr(a, "format", None) is not None else a
        if values.size == 0 or _squares_finite(values):
            continue
        if finite and not bool(np.isfinite(values).all()):
            kind = ("NaN" if bool(np.isnan(values).any()) else
                    f"infinity or a value too large for {values.dtype!r}")
            raise ValueError(f"{name}: Input {what} contains {kind}.")
        top = max(float(values.max()), -float(values.min()))
        if top == 0.0 or top * top * max(a.shape) <= huge:
            continue
        scaled = a * (1.0 / top)  # entries in [-1, 1]: sums cannot overflow
        sq = scaled.multiply(scaled) if values is not a else scaled * scaled
        sums = [float(sq.sum(axis=k).max()) for k in range(a.ndim)]
        if np.log(max(sums)) + 2.0 * np.log(top) > np.log(huge):
            raise ValueError(
                f"{name}: {what} has entries of magnitude up to {top:.3g}, whose "
                "squares summed over a row or column overflow float64: the "
                "objective cannot be evaluated. Scale the data first (for "
                "example with sklearn.preprocessing.StandardScaler)."
            )


def kernel_input(X, layout, name, y=None, finite=False):
    """Validated ``X`` as every solver entry point hands it to the kernels.

    The one step after scikit-learn's ``check_array`` / ``validate_data``
    shared by every estimator, path, cross-validation and the GPU backend:
    sparse ``X`` comes back canonical in the ``layout``'s format (see
    :func:`canonical_sparse`; copied only when needed, the caller's matrix
    is never modified) and :func:`check_magnitudes` refuses data whose
    squared norms overflow (and, with ``finite``, X with a NaN or an
    infinity, for a caller whose ``check_array`` skipped that pass).
    """
    X = canonical_sparse(X, layout)
    check_magnitudes(X, name, y, finite=finite)
    return X
