# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""GPU fits against CPU fits of the same estimator, on one machine.

For each problem and estimator, fits with ``device="cpu"`` on NumPy/SciPy
data and with the GPU backend on the same data held by CuPy, to the same
tolerance, and prints a markdown table: times (median of ``--repeat`` after a
warm-up fit on a small problem), the speed-up, the objectives (one formula
per model, outside the solvers) and the certified gaps.  Needs CuPy and a GPU.

Problems (``--scale`` shrinks both for a quick run):

* ``sparse``: 100,000 x 1,000,000 with 50 million nonzeros in random places,
  values uniform in (0, 1];
* ``dense``: 50,000 x 20,000 Gaussian.

The Lasso target is ``X w + noise`` with 100 nonzero weights; the classifiers'
labels are its sign around the median.  Regularisation: ``alpha_max / 10``
for the Lasso, ``10 C_min`` for the L1 logistic, and ``C = 10 / n`` for the
SVM (about 1 / (mean squared row norm) on the sparse set).

Example::

    python asv_benchmarks/gpu_benchmark.py --problems sparse --repeat 3
"""

import argparse
import statistics
import sys
import time

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from blitzlearn import BlitzLasso, BlitzLogisticL1, BlitzSVC


def make_problem(name, scale, seed=0):
    rng = np.random.default_rng(seed)
    if name == "sparse":
        n, p, nnz = int(100_000 * scale), int(1_000_000 * scale), int(5e7 * scale ** 2)
        rows = rng.integers(0, n, nnz, dtype=np.int32)
        cols = rng.integers(0, p, nnz, dtype=np.int32)
        vals = 1.0 - rng.random(nnz)
        X = sp.csc_matrix((vals, (rows, cols)), shape=(n, p))
        X.sum_duplicates()
    else:
        n, p = int(50_000 * scale), int(20_000 * scale)
        X = np.asfortranarray(rng.standard_normal((n, p)))
    w = np.zeros(X.shape[1])
    w[rng.choice(X.shape[1], 100, replace=False)] = rng.standard_normal(100)
    z = np.asarray(X @ w).ravel()
    y = z + 0.1 * z.std() * rng.standard_normal(n)
    labels = np.where(y > np.median(y), 1, -1)
    return X, y, labels


def objective(kind, model, X, y):
    w = np.asarray(model.coef_, dtype=np.float64).ravel()
    b = float(np.ravel(model.intercept_)[0]) if np.ndim(model.intercept_) else (
        float(model.intercept_))
    z = np.asarray(X @ w).ravel() + b
    if kind == "BlitzLasso":
        return 0.5 * np.mean((y - z) ** 2) + model.alpha * np.abs(w).sum()
    if kind == "BlitzLogisticL1":
        return model.C * np.logaddexp(0.0, -y * z).sum() + np.abs(w).sum()
    hinge = np.maximum(0.0, 1.0 - y * z).sum()
    return 0.5 * (w @ w + b * b) + model.C * hinge  # intercept_scaling = 1


def estimator(kind, X, y, tol, device):
    n = X.shape[0]
    if kind == "BlitzLasso":
        yc = y - y.mean()
        alpha_max = np.abs(np.asarray(X.T @ yc).ravel()).max() / n
        return BlitzLasso(alpha=alpha_max / 10, tol=tol, device=device)
    if kind == "BlitzLogisticL1":
        pos = (y > 0).mean()
        grad = np.asarray(X.T @ np.where(y > 0, 1.0 - pos, -pos)).ravel()
        return BlitzLogisticL1(C=10.0 / np.abs(grad).max(), tol=tol, device=device)
    return BlitzSVC(C=10.0 / n, loss="hinge", tol=tol, device=device)


def to_device(X):
    import cupy
    import cupyx.scipy.sparse as cusparse

    return cusparse.csc_matrix(X) if sp.issparse(X) else cupy.asarray(X, order="F")


def timed(prototype, X, y, repeat):
    times, model = [], None
    for _ in range(repeat):
        model = clone(prototype)
        start = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - start)
    return statistics.median(times), model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=["sparse", "dense"])
    parser.add_argument("--estimators", nargs="+",
                        default=["BlitzLasso", "BlitzLogisticL1", "BlitzSVC"])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--tol", type=float, default=1e-6)
    args = parser.parse_args(argv)

    # warm-up: Numba compilation and CUDA initialisation stay out of the times
    Xw, yw, lw = make_problem("sparse", 0.01)
    for kind in args.estimators:
        target = yw if kind == "BlitzLasso" else lw
        for X, device in ((Xw, "cpu"), (to_device(Xw), "cuda")):
            estimator(kind, Xw, target, 1e-4, device).fit(X, target)
            estimator(kind, Xw.toarray(), target, 1e-4, device).fit(
                np.asfortranarray(Xw.toarray()) if device == "cpu"
                else to_device(Xw.toarray()), target)

    print("| problem | estimator | CPU s | GPU s | speed-up | objective CPU | "
          "objective GPU | gap CPU | gap GPU |")
    print("|---|---|---|---|---|---|---|---|---|", flush=True)
    for problem in args.problems:
        X, y, labels = make_problem(problem, args.scale)
        X_dev = to_device(X)
        for kind in args.estimators:
            target = y if kind == "BlitzLasso" else labels
            t_gpu, gpu = timed(estimator(kind, X, target, args.tol, "cuda"),
                               X_dev, target, args.repeat)
            t_cpu, cpu = timed(estimator(kind, X, target, args.tol, "cpu"),
                               X, target, args.repeat)
            shape = "x".join(str(s) for s in X.shape)
            nnz = f", {X.nnz / 1e6:.0f}M nnz" if sp.issparse(X) else ""
            print(f"| {problem} {shape}{nnz} | {kind} | {t_cpu:.2f} | {t_gpu:.3f} | "
                  f"{t_cpu / t_gpu:.1f}x | {objective(kind, cpu, X, target):.10g} | "
                  f"{objective(kind, gpu, X, target):.10g} | "
                  f"{np.max(cpu.dual_gap_):.2e} | {np.max(gpu.dual_gap_):.2e} |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
