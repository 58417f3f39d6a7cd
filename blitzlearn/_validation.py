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
