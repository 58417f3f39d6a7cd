# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""GPU fits against CPU fits of the same estimator, on one machine.

For each problem and estimator, fits with ``device="cpu"`` on NumPy/SciPy
data and with the GPU backend on the same data held by CuPy, to the same
tolerance, and prints a markdown table: times (median of ``--repeat`` after a
warm-up fit on a small problem), the speed-up, the objectives (one formula
per model, outside the solvers) and the certified gaps (``dual_gap_``,
objective units).  Then a 100-alpha ``blitz_lasso_path`` on each backend,
and, where cuML is importable, cuML's ``Lasso`` and ``LogisticRegression``
(L1) at the GPU fit's gap: cuML reports no certificate, so its duality gap
is computed here from its coefficients (:func:`external_gap`), and its
``tol`` tightened until that gap is at most the GPU fit's certified one.

Problems (``--size`` or ``--scale`` shrinks both):

* ``sparse``: 100,000 x 1,000,000 with 50 million nonzeros in random places,
  values uniform in (0, 1];
* ``dense``: 50,000 x 20,000 Gaussian.

The Lasso target is ``X w + noise`` with 100 nonzero weights; the classifiers'
labels are its sign around the median.  Regularisation: ``alpha_max / 10``
for the Lasso, ``10 C_min`` for the L1 logistic, and ``C = 10 / n`` for the
SVM (about 1 / (mean squared row norm) on the sparse set).

Examples::

    python asv_benchmarks/gpu_benchmark.py                 # full size, on a GPU
    python asv_benchmarks/gpu_benchmark.py --size small --repeat 3
    python asv_benchmarks/gpu_benchmark.py --size tiny --stand-in   # no GPU

``--stand-in`` runs the GPU code path on the NumPy/SciPy stand-in of CuPy
(:func:`blitzlearn._backend.stand_in_backend`): a check that the script and
the device code run end to end, not a timing.
"""

import argparse
import contextlib
import statistics
import sys
import time

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone

from blitzlearn import BlitzLasso, BlitzLogisticL1, BlitzSVC, blitz_lasso_path

SIZES = {"tiny": 0.01, "small": 0.1, "full": 1.0}
ESTIMATORS = ("BlitzLasso", "BlitzLogisticL1", "BlitzSVC")


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
    k = min(100, X.shape[1])
    w[rng.choice(X.shape[1], k, replace=False)] = rng.standard_normal(k)
    z = np.asarray(X @ w).ravel()
    y = z + 0.1 * z.std() * rng.standard_normal(n)
    labels = np.where(y > np.median(y), 1, -1)
    return X, y, labels


def _scores(X, w, b):
    return np.asarray(X @ w).ravel() + b


def _coef(model):
    w = np.asarray(model.coef_, dtype=np.float64).ravel()
    b = float(np.ravel(model.intercept_)[0]) if np.ndim(model.intercept_) else (
        float(model.intercept_))
    return w, b


def objective(kind, params, X, y, w, b):
    """The estimator's objective at ``(w, b)``; ``params`` its alpha or C."""
    z = _scores(X, w, b)
    if kind == "BlitzLasso":
        return 0.5 * np.mean((y - z) ** 2) + params["alpha"] * np.abs(w).sum()
    if kind == "BlitzLogisticL1":
        return params["C"] * np.logaddexp(0.0, -y * z).sum() + np.abs(w).sum()
    hinge = np.maximum(0.0, 1.0 - y * z).sum()
    return 0.5 * (w @ w + b * b) + params["C"] * hinge  # intercept_scaling = 1


def external_gap(kind, params, X, y, w, b):
    """A duality gap of ``(w, b)``, from the coefficients alone (objective units).

    The dual point is the residual (the loss's negative gradient) at ``(w,
    b)``, centred (Lasso) or balanced between the classes (logistic) so that
    it is orthogonal to the intercept, and rescaled into the dual's slabs
    ``|X^T theta| <= lambda``: weak duality makes the gap a bound on the
    suboptimality whoever computed ``(w, b)``.
    """
    n = X.shape[0]
    z = _scores(X, w, b)
    if kind == "BlitzLasso":  # lambda units: n * objective
        lam = n * params["alpha"]
        r = y - z
        r = r - r.mean()  # d^T theta = 0
        primal = n * objective(kind, params, X, y, w, b)
        top = np.abs(np.asarray(X.T @ r).ravel()).max()
        kappa = min(1.0, lam / top) if top > 0 else 1.0
        yc = y - y.mean()
        dual = kappa * float(yc @ r) - 0.5 * kappa ** 2 * float(r @ r)
        return (primal - dual) / n
    lam = 1.0 / params["C"]  # logistic, lambda units: objective / C
    margins = y * z
    p = np.exp(-np.logaddexp(0.0, margins))  # sigma(-m)
    r = y * p
    pos, neg = r[y > 0].sum(), -r[y < 0].sum()
    factor = np.where(y > 0, min(1.0, neg / pos), min(1.0, pos / neg))
    top = np.abs(np.asarray(X.T @ (factor * r)).ravel()).max()
    kappa = min(1.0, lam / top) if top > 0 else 1.0
    q = kappa * factor * p
    with np.errstate(divide="ignore", invalid="ignore"):
        ent = np.where(q > 0, q * np.log(q), 0.0) + np.where(
            q < 1, (1 - q) * np.log1p(-q), 0.0)
    primal = np.logaddexp(0.0, -margins).sum() + lam * np.abs(w).sum()
    return params["C"] * (primal + ent.sum())


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


class Device:
    """Where the ``device="cuda"`` fits run: CuPy, or the NumPy stand-in."""

    def __init__(self, stand_in):
        self.stand_in = stand_in

    def put(self, X):
        if self.stand_in:
            return X
        import cupy
        import cupyx.scipy.sparse as cusparse

        return (cusparse.csc_matrix(X) if sp.issparse(X)
                else cupy.asarray(X, order="F"))

    def context(self):
        if self.stand_in:
            from blitzlearn._backend import stand_in_backend

            return stand_in_backend()
        return contextlib.nullcontext()

    def sync(self):
        if not self.stand_in:
            import cupy

            cupy.cuda.Device().synchronize()


def timed(repeat, sync, run, *args, **kwargs):
    """Median seconds of ``run(*args, **kwargs)`` and its last result."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = run(*args, **kwargs)
        if sync is not None:
            sync.sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def _fit(prototype, X, y):
    return clone(prototype).fit(X, y)


def warm_up(estimators, device):
    """Numba compilation and CUDA initialisation stay out of the times."""
    Xw, yw, lw = make_problem("sparse", 0.01)
    for kind in estimators:
        target = yw if kind == "BlitzLasso" else lw
        for X in (Xw, np.asfortranarray(Xw.toarray())):
            estimator(kind, Xw, target, 1e-4, "cpu").fit(X, target)
            with device.context():
                estimator(kind, Xw, target, 1e-4, "cuda").fit(device.put(X), target)


def compare_estimators(problem, X, y, labels, args, device):
    X_dev = device.put(X)
    shape = "x".join(str(s) for s in X.shape)
    nnz = f", {X.nnz / 1e6:.1f}M nnz" if sp.issparse(X) else ""
    rows, gpu_fits = [], {}
    for kind in args.estimators:
        target = y if kind == "BlitzLasso" else labels
        proto = estimator(kind, X, target, args.tol, "cuda")
        with device.context():
            t_gpu, gpu = timed(args.repeat, device, _fit, proto, X_dev, target)
        t_cpu, cpu = timed(args.repeat, None, _fit,
                           clone(proto).set_params(device="cpu"), X, target)
        params = proto.get_params()
        p_cpu = objective(kind, params, X, target, *_coef(cpu))
        p_gpu = objective(kind, params, X, target, *_coef(gpu))
        gpu_fits[kind] = (params, float(np.max(gpu.dual_gap_)), t_gpu)
        rows.append(f"| {problem} {shape}{nnz} | {kind} | {t_cpu:.2f} | {t_gpu:.3f} | "
                    f"{t_cpu / t_gpu:.1f}x | {p_cpu:.10g} | {p_gpu:.10g} | "
                    f"{np.max(cpu.dual_gap_):.2e} | {np.max(gpu.dual_gap_):.2e} |")
        print(rows[-1], flush=True)
    return gpu_fits


def compare_paths(problem, X, y, args, device):
    # host X with device="cuda": the path validates X on the host (CuPy
    # input would be copied back first) and copies it to the device once
    with device.context():
        t_gpu, gpu = timed(args.repeat, device, blitz_lasso_path, X, y,
                           alphas=args.n_alphas, tol=args.tol, device="cuda")
    t_cpu, cpu = timed(args.repeat, None, blitz_lasso_path, X, y,
                       alphas=args.n_alphas, tol=args.tol, device="cpu")
    n = X.shape[0]
    worst = 0.0
    for k, alpha in enumerate(cpu[0]):
        values = [objective("BlitzLasso", {"alpha": alpha}, X, y, coefs[:, k], 0.0)
                  for coefs in (cpu[1], gpu[1])]  # a path fits no intercept
        worst = max(worst, abs(values[1] - values[0]) / values[0])
    print(f"| {problem} | blitz_lasso_path, {args.n_alphas} alphas | {t_cpu:.2f} | "
          f"{t_gpu:.3f} | {t_cpu / t_gpu:.1f}x | max relative objective "
          f"difference {worst:.1e} | n={n} |", flush=True)


def compare_cuml(problem, X, y, labels, gpu_fits, args, device):
    """cuML's Lasso and L1 LogisticRegression at the GPU fit's certified gap."""
    try:
        from cuml.linear_model import Lasso, LogisticRegression
    except ImportError:
        print(f"| {problem} | cuML not importable: skipped |", flush=True)
        return
    X_dev = device.put(X)
    for kind, (params, target_gap, t_blitz) in gpu_fits.items():
        if kind == "BlitzSVC":
            continue
        target = y if kind == "BlitzLasso" else labels
        result = "never reached"
        for tol in (1e-4, 1e-6, 1e-8, 1e-10):
            if kind == "BlitzLasso":
                model = Lasso(alpha=params["alpha"], tol=tol, max_iter=100_000)
            else:
                model = LogisticRegression(penalty="l1", C=params["C"], tol=tol,
                                           max_iter=100_000)
            seconds, model = timed(1, device, model.fit, X_dev, target)
            w = np.asarray(model.coef_.get() if hasattr(model.coef_, "get")
                           else model.coef_, dtype=np.float64).ravel()
            b = model.intercept_
            b = float(np.ravel(b.get() if hasattr(b, "get") else b)[0])
            gap = external_gap(kind, params, X, target, w, b)
            result = (f"tol={tol:g}: {seconds:.3f} s, external gap {gap:.2e} "
                      f"(blitz GPU {t_blitz:.3f} s, gap {target_gap:.2e})")
            if gap <= target_gap:
                break
        print(f"| {problem} | cuML {kind[5:]} | {result} |", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=["sparse", "dense"])
    parser.add_argument("--estimators", nargs="+", default=list(ESTIMATORS))
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--scale", type=float, default=None,
                        help="overrides --size's scale")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--n-alphas", type=int, default=100)
    parser.add_argument("--no-path", action="store_true")
    parser.add_argument("--no-cuml", action="store_true")
    parser.add_argument("--stand-in", action="store_true",
                        help="the NumPy stand-in of CuPy (no GPU; not a timing)")
    args = parser.parse_args(argv)
    scale = SIZES[args.size] if args.scale is None else args.scale
    device = Device(args.stand_in)
    warm_up(args.estimators, device)

    print("| problem | estimator | CPU s | GPU s | speed-up | objective CPU | "
          "objective GPU | gap CPU | gap GPU |")
    print("|---|---|---|---|---|---|---|---|---|", flush=True)
    for problem in args.problems:
        X, y, labels = make_problem(problem, scale)
        gpu_fits = compare_estimators(problem, X, y, labels, args, device)
        if not args.no_path:
            compare_paths(problem, X, y, args, device)
        if not (args.no_cuml or args.stand_in):
            compare_cuml(problem, X, y, labels, gpu_fits, args, device)
    return 0


if __name__ == "__main__":
    sys.exit(main())
