# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Seeded synthetic problems shared by the benchmarks (built once per process)."""

import functools

import numpy as np
import scipy.sparse as sp

# (n_samples, n_features, density) of each layout: small enough that the
# quick profile (one run of each benchmark) stays within a few minutes.
SHAPES = {"dense": (1000, 200, 1.0), "sparse": (4000, 2000, 0.01)}


@functools.cache
def design(layout, dtype, seed=0):
    """Design matrix: Gaussian entries (dense) or a CSR matrix (sparse)."""
    n, d, density = SHAPES[layout]
    rng = np.random.default_rng(seed)
    if layout == "dense":
        X = rng.standard_normal((n, d))
    else:
        X = sp.random(n, d, density=density, format="csr", random_state=rng,
                      data_rvs=rng.standard_normal)
    return X.astype(dtype)


@functools.cache
def truth(layout, seed=0):
    """Sparse ground-truth weights (20 nonzeros) and the clean scores."""
    _, d, _ = SHAPES[layout]
    rng = np.random.default_rng(seed + 1)
    w = np.zeros(d)
    w[rng.choice(d, 20, replace=False)] = rng.standard_normal(20)
    X = design(layout, "float64", seed)
    return w, np.asarray(X @ w).ravel()


@functools.cache
def regression(layout, dtype, seed=0):
    """``(X, y)`` with ``y = X w + noise``."""
    _, scores = truth(layout, seed)
    rng = np.random.default_rng(seed + 2)
    y = scores + 0.5 * scores.std() * rng.standard_normal(scores.size)
    return design(layout, dtype, seed), y


@functools.cache
def classification(layout, dtype, seed=0):
    """``(X, y)`` with labels in {0, 1} from noisy scores."""
    _, scores = truth(layout, seed)
    rng = np.random.default_rng(seed + 3)
    noisy = scores + 0.5 * scores.std() * rng.standard_normal(scores.size)
    return design(layout, dtype, seed), (noisy > 0).astype(np.int64)
