# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Seeded large problems for the peer comparison, shaped like the usual sets.

The sparse ones imitate tf-idf text data: each row is a bag of word draws
whose column frequencies follow a power law (Zipf), repeated draws of a word
are its term count, the values are ``(1 + log tf) * idf`` and every row is
scaled to unit L2 norm. Targets come from a sparse ground truth ``w`` on
frequent columns: ``y = X w + noise`` for regression and the sign of that
score, split at its median, for classification. Nothing is downloaded; the
full-size problems take a few seconds to build.
"""

import numpy as np
import scipy.sparse as sp

# name -> (n_samples, n_features, density or None for dense, number of
# nonzero true weights). Densities: rcv1.binary has 0.16%, news20.binary
# 0.034%; E2006-tfidf has 0.83%, taken here at 0.4% to keep the slow peers
# within the time cap.
GENERATED = {
    "rcv1-like": (20_000, 47_236, 0.0016, 200),
    "news20-like": (20_000, 1_355_191, 0.0003, 400),
    "e2006-like": (16_000, 150_360, 0.004, 300),
    "dense-tall": (50_000, 200, None, 20),
}


def _zipf_popularity(n_features, rng, exponent=1.1, offset=10.0):
    """Column probabilities ``p ∝ (rank + offset)^-exponent``, ranks shuffled."""
    p = (np.arange(1, n_features + 1) + offset) ** -exponent
    p /= p.sum()
    return p[rng.permutation(n_features)]


def _word_counts(row_lengths, popularity, rng):
    """CSR matrix of term counts: each row draws its words from ``popularity``."""
    n_rows = row_lengths.size
    rows = np.repeat(np.arange(n_rows, dtype=np.int32), row_lengths)
    cdf = np.cumsum(popularity)
    cols = np.searchsorted(cdf, rng.random(rows.size) * cdf[-1]).astype(np.int32)
    np.minimum(cols, popularity.size - 1, out=cols)
    counts = sp.csr_matrix((np.ones(rows.size), (rows, cols)),
                           shape=(n_rows, popularity.size))
    counts.sum_duplicates()
    return counts


def sparse_tfidf(n_samples, n_features, density, random_state=0):
    """A row-normalised tf-idf-like CSC matrix with Zipf column frequencies.

    Parameters
    ----------
    n_samples, n_features : int
        Shape of the matrix.
    density : float
        Target fraction of nonzero entries (met to within a few percent).
    random_state : int, default=0
        Seed; the same seed gives the same matrix.

    Returns
    -------
    X : scipy.sparse.csc_matrix of shape (n_samples, n_features)
        float64, nonnegative, every row of unit L2 norm.
    """
    rng = np.random.default_rng(random_state)
    popularity = _zipf_popularity(n_features, rng)
    # document lengths vary like text: lognormal around the mean length
    mean_len = max(density * n_features, 1.0)
    shape = rng.lognormal(0.0, 0.5, n_samples)
    shape /= shape.mean()
    # repeated draws of a word merge into one entry: draw more words than
    # the target number of entries, by a factor measured on a pilot draw
    pilot_len = np.maximum(1, np.round(mean_len * shape[:2000])).astype(np.int64)
    pilot = _word_counts(pilot_len, popularity, np.random.default_rng(random_state + 1))
    inflate = pilot_len.sum() / max(pilot.nnz, 1)
    lengths = np.maximum(1, np.round(inflate * mean_len * shape)).astype(np.int64)
    counts = _word_counts(lengths, popularity, rng)
    df = np.bincount(counts.indices, minlength=n_features)
    idf = np.log((1.0 + n_samples) / (1.0 + df)) + 1.0
    counts.data = (1.0 + np.log(counts.data)) * idf[counts.indices]
    norms = np.sqrt(np.add.reduceat(counts.data ** 2, counts.indptr[:-1]))
    counts.data /= np.repeat(norms, np.diff(counts.indptr))
    return counts.tocsc()


def dense_tall(n_samples, n_features, random_state=0, rho=0.5):
    """Fortran-ordered Gaussian design with AR(1) correlation ``rho`` between columns.

    Parameters
    ----------
    n_samples, n_features : int
        Shape of the matrix.
    random_state : int, default=0
        Seed.
    rho : float, default=0.5
        Correlation of neighbouring columns (``corr(x_j, x_k) = rho^|j-k|``).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        float64, Fortran order, columns of unit variance.
    """
    rng = np.random.default_rng(random_state)
    X = np.empty((n_samples, n_features), order="F")
    X[:, 0] = rng.standard_normal(n_samples)
    scale = np.sqrt(1.0 - rho * rho)
    for j in range(1, n_features):
        X[:, j] = rho * X[:, j - 1] + scale * rng.standard_normal(n_samples)
    return X


def _targets(X, n_nonzero, random_state):
    """Continuous targets ``X w + noise`` from a sparse ``w`` on frequent columns.

    The noise has half the standard deviation of ``X w``.
    """
    rng = np.random.default_rng(random_state + 7)
    d = X.shape[1]
    if sp.issparse(X):
        # candidates: the 5% most frequent columns (at least n_nonzero)
        df = np.diff(X.indptr)
        pool = np.argsort(-df, kind="stable")[:max(n_nonzero, d // 20)]
    else:
        pool = np.arange(d)
    w = np.zeros(d)
    support = rng.choice(pool, size=min(n_nonzero, pool.size), replace=False)
    w[support] = rng.standard_normal(support.size)
    scores = np.asarray(X @ w).ravel()
    return scores + 0.5 * scores.std() * rng.standard_normal(scores.size)


def make_peer_data(name, task="lasso", scale=1.0, random_state=0):
    """One of the :data:`GENERATED` problems, built deterministically.

    Parameters
    ----------
    name : str
        A key of :data:`GENERATED`: ``"rcv1-like"``, ``"news20-like"``,
        ``"e2006-like"`` or ``"dense-tall"``.
    task : {"lasso", "logistic", "svm"}, default="lasso"
        ``"lasso"`` returns continuous targets, the others labels in {-1, 1}
        (the sign of the same noisy score, split at its median).
    scale : float, default=1.0
        Multiplies both dimensions (the density is kept), for quick runs.
    random_state : int, default=0
        Seed.

    Returns
    -------
    X : scipy.sparse.csc_matrix or ndarray of shape (n_samples, n_features)
        CSC for the sparse problems, Fortran-ordered float64 for ``dense-tall``.
    y : ndarray of shape (n_samples,)
        float64 targets.
    """
    if name not in GENERATED:
        raise ValueError(f"unknown generated set {name!r}; known: {sorted(GENERATED)}")
    n, d, density, n_nonzero = GENERATED[name]
    n = max(int(round(n * scale)), 10)
    d = max(int(round(d * scale)), 10)
    seed = random_state + sorted(GENERATED).index(name) * 1000
    if density is None:
        X = dense_tall(n, d, seed)
    else:
        X = sparse_tfidf(n, d, density, seed)
    y = _targets(X, max(int(round(n_nonzero * min(scale, 1.0))), 2), seed)
    if task != "lasso":
        y = np.where(y > np.median(y), 1.0, -1.0)
    return X, y


def nbytes(X):
    """Bytes held by ``X``: ``data + indices + indptr`` when sparse, else ``nbytes``."""
    if sp.issparse(X):
        return int(X.data.nbytes + X.indices.nbytes + X.indptr.nbytes)
    return int(np.asarray(X).nbytes)
