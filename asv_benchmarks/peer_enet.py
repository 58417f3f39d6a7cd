# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Elastic net and weighted Lasso against their peers at the same certified gap.

The same protocol as ``peer_comparison.py`` (whose machinery this reuses):
every solver's tolerance is tightened until its solution has a duality gap at
most ``--target * P(0)``, computed by :func:`enet_certificate` below from the
returned coefficients alone, outside every solver; the table reports the
median of ``--repeat`` warm fits at the loosest tolerance that met it.

``--task enet`` runs ``BlitzElasticNet``, scikit-learn's ``ElasticNet``,
celer's ``ElasticNet`` and skglm's ``ElasticNet`` at each ``--l1-ratios``;
``--task weighted`` runs ``BlitzLasso(penalty_weights=v)``, celer's
``Lasso(weights=v)`` and skglm's ``WeightedLasso(weights=v)`` with seeded
weights ``v_j`` in [0.5, 2] (celer refuses zero weights).  Run from the
repository root, single-threaded::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python asv_benchmarks/peer_enet.py --task enet --datasets leukemia
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peer_comparison import (  # noqa: E402
    Level,
    _sq,
    format_datasets,
    format_rows,
    load,
    run_levels,
)


def enet_certificate(X, y, coef, intercept, alpha, rho, v=None):
    """Objective and duality gap of an elastic-net solution (scikit-learn units).

    ``P = ||y - X w - b||^2 / (2n) + alpha rho sum_j v_j |w_j| + alpha (1 - rho)
    / 2 ||w||^2``.  The dual point is the residual ``theta``, centred with an
    intercept; for ``rho < 1`` the dual is unconstrained (family.md §1):
    ``D = (theta.y - ||theta||^2 / 2) / n - sum_j [|x_j.theta| / n - l1 v_j]_+^2
    / (2 l2)``; for ``rho = 1`` ``theta`` is scaled into the slabs
    ``|x_j.theta| / n <= l1 v_j`` (all ``v_j > 0`` here).
    """
    n = X.shape[0]
    coef = np.ravel(coef)
    v = np.ones(coef.size) if v is None else v
    l1, l2 = alpha * rho, alpha * (1.0 - rho)
    resid = y - X @ coef - intercept
    primal = (0.5 * _sq(resid) / n + l1 * float(v @ np.abs(coef))
              + 0.5 * l2 * _sq(coef))
    theta = resid - resid.mean()
    y_c = y - y.mean()
    corr = np.abs(np.asarray(X.T @ theta).ravel()) / n
    if l2 > 0:
        excess = np.maximum(corr - l1 * v, 0.0)
        dual = (float(y_c @ theta) - 0.5 * _sq(theta)) / n - _sq(excess) / (2 * l2)
    else:
        scale = min(1.0, float(np.min(l1 * v / np.maximum(corr, 1e-300))))
        theta = theta * scale
        dual = (float(y_c @ theta) - 0.5 * _sq(theta)) / n
    return primal, primal - dual


def enet_solvers(rho):
    """Name -> factory(alpha, gap, y) of every available elastic-net solver."""
    from sklearn.linear_model import ElasticNet

    from blitzlearn import BlitzElasticNet

    # BlitzElasticNet and scikit-learn stop at gap <= tol * ||y_c||^2 / n
    solvers = {
        "blitzlearn": lambda a, g, y: BlitzElasticNet(
            alpha=a, l1_ratio=rho, tol=g * y.size / _sq(y - y.mean())),
        "sklearn": lambda a, g, y: ElasticNet(
            alpha=a, l1_ratio=rho, tol=g * y.size / _sq(y - y.mean()),
            max_iter=1_000_000),
    }
    try:
        from celer import ElasticNet as CelerElasticNet

        # celer stops at gap <= tol * ||y||^2 / n (y not centred)
        solvers["celer"] = lambda a, g, y: CelerElasticNet(
            alpha=a, l1_ratio=rho, tol=g * y.size / _sq(y), max_iter=10_000,
            max_epochs=1_000_000)
    except ImportError:
        pass
    try:
        from skglm import ElasticNet as SkglmElasticNet

        # skglm stops on a KKT violation: start from the gap value
        solvers["skglm"] = lambda a, g, y: SkglmElasticNet(
            alpha=a, l1_ratio=rho, tol=g, max_iter=10_000, max_epochs=1_000_000)
    except ImportError:
        pass
    return solvers


def weighted_solvers(v):
    """Name -> factory(alpha, gap, y) of every available weighted-Lasso solver."""
    from blitzlearn import BlitzLasso

    solvers = {"blitzlearn": lambda a, g, y: BlitzLasso(
        alpha=a, penalty_weights=v, tol=g * y.size / _sq(y - y.mean()))}
    try:
        from celer import Lasso as CelerLasso

        solvers["celer"] = lambda a, g, y: CelerLasso(
            alpha=a, weights=v, tol=g * y.size / _sq(y), max_iter=10_000,
            max_epochs=1_000_000)
    except ImportError:
        pass
    try:
        from skglm import WeightedLasso

        solvers["skglm"] = lambda a, g, y: WeightedLasso(
            alpha=a, weights=v, tol=g, max_iter=10_000, max_epochs=1_000_000)
    except ImportError:
        pass
    return solvers


def run(task, datasets, l1_ratios, ratios, target, repeat, keep=None,
        max_seconds=None, scale=1.0):
    """Rows of the comparison: every data set, mix and ``alpha_max * ratio``."""
    rows = []
    for name in datasets:
        X, y = load(name, "lasso", scale)
        n = X.shape[0]
        y_c = y - y.mean()
        p0 = 0.5 * _sq(y_c) / n
        corr = np.abs(np.asarray(X.T @ y_c).ravel()) / n
        for rho in (l1_ratios if task == "enet" else [1.0]):
            v = None
            if task == "weighted":
                v = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[1])
                solvers = weighted_solvers(v)
                alpha_max = float(np.max(corr / v))
            else:
                solvers = enet_solvers(rho)
                alpha_max = float(corr.max()) / rho
            solvers = {k: (f, 1.0, 7) for k, f in solvers.items()
                       if not keep or k in keep}
            levels = []
            for ratio in ratios:
                alpha = alpha_max * ratio

                def certificate(model, alpha=alpha, X=X, y=y, rho=rho, v=v):
                    return enet_certificate(X, y, model.coef_, model.intercept_,
                                            alpha, rho, v)

                label = f"rho {rho:g}, 1/{round(1 / ratio)}"
                levels.append(Level(label, alpha, target * p0, p0, p0,
                                    certificate))
            rows += run_levels(name, X, y, levels, solvers, repeat, max_seconds)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=["enet", "weighted"], default="enet")
    parser.add_argument("--datasets", nargs="+",
                        default=["leukemia", "colon-cancer", "gisette",
                                 "rcv1-like"])
    parser.add_argument("--l1-ratios", nargs="+", type=float, default=[0.5, 0.9])
    parser.add_argument("--ratios", nargs="+", type=float, default=[0.1, 0.01],
                        help="alpha / alpha_max")
    parser.add_argument("--target", type=float, default=1e-6,
                        help="certified gap target as a fraction of P(0)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="shrink the generated problems (both dimensions)")
    parser.add_argument("--solvers", nargs="+", default=None)
    args = parser.parse_args(argv)
    rows = run(args.task, args.datasets, args.l1_ratios, args.ratios, args.target,
               args.repeat, keep=args.solvers, max_seconds=args.max_seconds,
               scale=args.scale)
    print(format_datasets(rows))
    print()
    print(format_rows(rows))


if __name__ == "__main__":
    main()
