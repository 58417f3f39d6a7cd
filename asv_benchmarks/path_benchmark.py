# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Lasso regularisation paths: blitzlearn against scikit-learn, celer and skglm.

Every solver computes the same path (the same ``n_alphas`` alphas, log-spaced
from ``alpha_max`` down to ``eps * alpha_max``) of the Lasso without intercept
on centred data,

.. math::

    \\frac{1}{2 n} \\|y - X w\\|_2^2 + \\alpha \\|w\\|_1 ,

each alpha warm-started from the previous one.  All of them get the same
``tol``, which means the same thing for each: a solve stops when its duality
gap is at most ``tol * ||y||^2 / n`` (scikit-learn's ``lasso_path``, celer's
``celer_path`` and blitzlearn's ``blitz_lasso_path`` all scale ``tol`` this
way; skglm's ``tol`` bounds the optimality violation instead and is reported
for reference only).

The script times the solvers interleaved, one round after another (each
round runs every solver once, after one warm-up round that also compiles the
JIT kernels), and reports the median of ``--repeat`` rounds.  The accuracy of
every returned path is then checked by one formula outside the solvers
(:func:`duality_gaps`): the duality gap of each coefficient vector at its
alpha against the best dual point built from the solvers' residuals and from
an untimed reference path at ``tol * 1e-4``, in units of ``tol * ||y||^2 / n``.

Run from the repository root, single-threaded::

    OMP_NUM_THREADS=1 python asv_benchmarks/path_benchmark.py \\
        --datasets leukemia gisette
"""

import argparse
import statistics
import time
import warnings

import numpy as np


def duality_gaps(X, y, paths, alphas):
    """Duality gap of every solver's path at every alpha, in objective units.

    ``paths`` maps a solver's name to its coefficients (n_features, n_alphas).
    The objective is ``P(w) = ||y - X w||^2 / (2 n) + alpha ||w||_1``.  Each
    solver's residual ``r``, scaled by ``min(1, n alpha / ||X^T r||_inf)``, is
    a feasible dual point ``theta`` with value ``D(theta) = (||y||^2 - ||y -
    theta||^2) / (2 n)``; the best of them at each alpha is the common lower
    bound, so that ``P(w) - D`` bounds every solver's suboptimality by the
    same formula, whatever dual point the solver itself kept.
    """
    n = y.shape[0]
    primal = {}
    dual = np.full(alphas.shape[0], -np.inf)
    for name, coefs in paths.items():
        primal[name] = np.empty(alphas.shape[0])
        for k, alpha in enumerate(alphas):
            w = np.asarray(coefs[:, k], dtype=np.float64)
            r = y - X @ w
            primal[name][k] = 0.5 * float(r @ r) / n + alpha * float(np.abs(w).sum())
            top = float(np.abs(X.T @ r).max())
            theta = r * min(1.0, n * alpha / top) if top > 0 else r
            value = 0.5 * (float(y @ y) - float((y - theta) @ (y - theta))) / n
            dual[k] = max(dual[k], value)
    return {name: p - dual for name, p in primal.items()}


def alpha_grid(X, y, n_alphas, eps):
    """``n_alphas`` alphas log-spaced from ``alpha_max`` to ``eps * alpha_max``."""
    alpha_max = float(np.abs(X.T @ y).max()) / y.shape[0]
    return alpha_max * np.geomspace(1.0, eps, n_alphas)


def load(name):
    """Dense, Fortran-ordered, centred float64 ``(X, y)`` of a LIBSVM set."""
    from blitzlearn.datasets import load_libsvm

    X, y = load_libsvm(name)
    X = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float64)
    X = np.asfortranarray(X - X.mean(axis=0))
    y = np.asarray(y, dtype=np.float64)
    return X, y - y.mean()


def solvers(tol):
    """``name -> path(X, y, alphas)`` returning the coefficients (n_features, k)."""
    from sklearn.linear_model import lasso_path

    from blitzlearn.linear_model import blitz_lasso_path

    def blitz(X, y, alphas):
        return blitz_lasso_path(X, y, alphas=alphas, tol=tol)[1]

    def sklearn(X, y, alphas):
        return lasso_path(X, y, alphas=alphas, tol=tol, max_iter=100_000)[1]

    table = {"blitzlearn": blitz, "sklearn": sklearn}
    try:
        from celer.homotopy import celer_path

        def celer(X, y, alphas):
            return celer_path(X, y, "lasso", alphas=alphas, tol=tol,
                              max_iter=1000, max_epochs=100_000)[1]

        table["celer"] = celer
    except ImportError:
        pass
    return table


def run(name, n_alphas, eps, tol, repeat, only):
    X, y = load(name)
    alphas = alpha_grid(X, y, n_alphas, eps)
    table = {k: v for k, v in solvers(tol).items() if not only or k in only}
    times = {k: [] for k in table}
    coefs = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings are measured below
        for k, path in table.items():  # warm-up: JIT compilation, caches
            coefs[k] = path(X, y, alphas[:5])
        for _ in range(repeat):
            for k, path in table.items():
                start = time.perf_counter()
                coefs[k] = path(X, y, alphas)
                times[k].append(time.perf_counter() - start)
    unit = tol * float(y @ y) / y.shape[0]
    # a tight path adds near-optimal dual points to the pool (not timed; any
    # feasible point is a valid lower bound, whoever computed it), so that
    # the common gap measures every solver's suboptimality, not the quality
    # of the dual points the solvers happen to leave behind
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from blitzlearn.linear_model import blitz_lasso_path

        reference = blitz_lasso_path(X, y, alphas=alphas, tol=tol * 1e-4)[1]
    gaps = duality_gaps(X, y, dict(coefs, reference=reference), alphas)
    rows = []
    for k in table:
        rel = gaps[k] / unit
        rows.append((name, k, statistics.median(times[k]), float(rel.max()),
                     int((rel > 1.0).sum())))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=["leukemia", "gisette"])
    parser.add_argument("--n-alphas", type=int, default=100)
    parser.add_argument("--eps", type=float, default=1e-3)
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--solvers", nargs="*", default=None,
                        help="subset of blitzlearn, sklearn, celer")
    args = parser.parse_args(argv)
    print(f"tol={args.tol:g}, {args.n_alphas} alphas, eps={args.eps:g}, median "
          f"of {args.repeat} interleaved rounds after a warm-up")
    print("| data | solver | time (s) | max gap / (tol ||y||^2/n) | alphas above tol |")
    print("|---|---|---|---|---|")
    for name in args.datasets:
        for row in run(name, args.n_alphas, args.eps, args.tol, args.repeat,
                       args.solvers):
            print("| {} | {} | {:.3f} | {:.3g} | {} |".format(*row), flush=True)


if __name__ == "__main__":
    main()
