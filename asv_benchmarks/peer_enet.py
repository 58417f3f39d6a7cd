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
weights ``v_j`` in [0.5, 2] (celer refuses zero weights).
``--task logistic-enet`` runs ``BlitzLogisticL1(l1_ratio=rho)``, skglm's
``SparseLogisticRegression(l1_ratio=rho)`` and scikit-learn's
``LogisticRegression(l1_ratio=rho, solver="saga")`` at ``C = C_min * k``
(``--ratios`` are ``1 / k``), the gap from :func:`logistic_enet_certificate`
(celer has no elastic-net logistic; glum, which has one, does not install
here).

``--task cv`` times ``BlitzElasticNetCV`` against scikit-learn's
``ElasticNetCV`` (the same ``KFold(5)`` folds, ``--l1-ratios``, 100 alphas,
``tol=1e-4``: both stop at a duality gap of ``tol * ||y - mean(y)||^2 / n``
on every fold's path) in ``--rounds`` interleaved rounds of process CPU
time (at least 3).

With ``--rounds R`` every level is then timed again in ``R`` interleaved
rounds (each round fits every solver once at the tolerance found, in a
rotating order) in **process CPU time**, and a second table gives the
ratio of the fastest peer's time to blitzlearn's, median and range over
the rounds.  Run from the repository root, single-threaded::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python asv_benchmarks/peer_enet.py --task enet --datasets leukemia
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.special import xlogy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peer_comparison import (  # noqa: E402
    Level,
    _sq,
    format_datasets,
    format_rows,
    load,
    logistic_certificate,
    logistic_point,
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


def logistic_enet_certificate(X, y, coef, intercept, C, rho, fit_intercept):
    """Objective and duality gap of an elastic-net logistic solution.

    ``P = C sum_i log(1 + exp(-y_i z_i)) + rho ||w||_1 + (1 - rho) / 2 ||w||^2``
    (scikit-learn's ``LogisticRegression(C, l1_ratio=rho)``), ``y`` in {-1, 1}.
    The dual point is the negative loss gradient ``theta_i = y_i sigma(-y_i
    z_i)``, with an intercept its heavier class shrunk so that ``sum(theta) =
    0``; with ``q = y theta`` in [0, 1] and ``rho < 1`` (family.md §1) ``D =
    -C sum_i [q_i log q_i + (1 - q_i) log(1 - q_i)] - sum_j [C |x_j^T theta|
    - rho]_+^2 / (2 (1 - rho))``; ``rho = 1`` is
    :func:`peer_comparison.logistic_certificate`.
    """
    if rho >= 1.0:
        return logistic_certificate(X, y, coef, intercept, C, fit_intercept)
    coef, margin, theta = logistic_point(X, y, coef, intercept, fit_intercept)
    primal = (C * float(np.logaddexp(0.0, -margin).sum())
              + rho * float(np.abs(coef).sum()) + 0.5 * (1.0 - rho) * _sq(coef))
    q = np.clip(y * theta, 0.0, 1.0)
    excess = np.maximum(C * np.abs(np.asarray(X.T @ theta).ravel()) - rho, 0.0)
    dual = (-C * float((xlogy(q, q) + xlogy(1.0 - q, 1.0 - q)).sum())
            - _sq(excess) / (2.0 * (1.0 - rho)))
    return primal, primal - dual


def logistic_enet_solvers(rho, fit_intercept):
    """Name -> factory(C, gap, y) of every available elastic-net logistic solver.

    glum (``GeneralizedLinearRegressor(family="binomial", l1_ratio=...)``)
    solves the same problem but is not installable in the benchmark's
    environment; celer has no elastic-net logistic.
    """
    from sklearn.linear_model import LogisticRegression

    from blitzlearn import BlitzLogisticL1

    def null_objective(C, y):  # P(0) with its optimal intercept
        if not fit_intercept:
            return C * y.size * np.log(2.0)
        p = float(np.mean(y > 0))
        return -C * y.size * (p * np.log(p) + (1.0 - p) * np.log1p(-p))

    solvers = {
        # BlitzLogisticL1 stops at gap <= tol * P(0)
        "blitzlearn": lambda C, g, y: BlitzLogisticL1(
            C=C, l1_ratio=rho, tol=g / null_objective(C, y),
            fit_intercept=fit_intercept, max_iter=100_000),
        # saga stops on the largest weight change of an epoch, not a gap:
        # time_to_target tightens it from the relative target down
        "saga": lambda C, g, y: LogisticRegression(
            C=C, l1_ratio=rho, solver="saga", fit_intercept=fit_intercept,
            random_state=0, tol=g / null_objective(C, y), max_iter=1_000_000),
    }
    try:
        from skglm import SparseLogisticRegression

        # skglm's objective is ours divided by C n (alpha = 1 / (C n)); its
        # tol bounds a KKT violation
        solvers["skglm"] = lambda C, g, y: SparseLogisticRegression(
            alpha=1.0 / (C * y.size), l1_ratio=rho, tol=g / null_objective(C, y),
            fit_intercept=fit_intercept, max_iter=1000, max_epochs=1_000_000)
    except ImportError:
        pass
    return solvers


def interleave(X, y, levels, rows, solvers, rounds):
    """Process CPU times of ``rounds`` interleaved fits of every solver.

    ``rows`` are :func:`run_levels`'s rows for ``levels``: each solver that met
    a level's target is fitted again at the tolerance it needed, once per round,
    the order of the solvers rotating from round to round (a round repeats
    a fit shorter than 0.1 s and reports the mean).  Returns
    ``{(level label, solver): [seconds per round]}``.
    """
    times = {}
    for level in levels:
        found = [r for r in rows if r.level == level.label and not r.capped
                 and not np.isnan(r.seconds)]
        builds = {r.solver: (lambda make=solvers[r.solver][0],
                             tol=r.tol * level.tol_unit, reg=level.reg:
                             make(reg, tol, y)) for r in found}
        names = list(builds)
        # a round fits a solver enough times to take about 0.1 s of CPU
        fits = {r.solver: max(1, int(np.ceil(0.1 / r.seconds))) for r in found}
        for k in range(rounds):
            for name in names[k % len(names):] + names[:k % len(names)]:
                models = [builds[name]() for _ in range(fits[name])]
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    start = time.process_time()
                    for model in models:
                        model.fit(X, y)
                    seconds = (time.process_time() - start) / fits[name]
                times.setdefault((level.label, name), []).append(seconds)
    return times


def format_ratios(data, times):
    """Markdown table: blitzlearn's CPU time, the fastest peer's, their ratio.

    The fastest peer is the one with the smallest median; the ratio is
    ``peer / blitzlearn`` per round, its median and range over the rounds
    (above 1: blitzlearn is faster).
    """
    out = ["| data | regularisation | blitzlearn (s) | fastest peer | peer (s) | "
           "ratio median | ratio range |", "|---|---|---|---|---|---|---|"]
    for level in dict.fromkeys(label for label, _ in times):
        ours = times.get((level, "blitzlearn"))
        peers = {name: t for (lab, name), t in times.items()
                 if lab == level and name != "blitzlearn"}
        if not ours or not peers:
            continue
        best = min(peers, key=lambda name: statistics.median(peers[name]))
        ratio = [p / b for p, b in zip(peers[best], ours, strict=True)]
        out.append(f"| {data} | {level} | {statistics.median(ours):.4f} | {best} | "
                   f"{statistics.median(peers[best]):.4f} | "
                   f"{statistics.median(ratio):.2f}x | "
                   f"{min(ratio):.2f}-{max(ratio):.2f}x |")
    return "\n".join(out)


def logistic_levels(X, y, rho, ratios, target, fit_intercept):
    """The levels ``C = C_min / ratio`` of one mix ``rho`` on one data set.

    ``C_min = rho / max_j |x_j^T theta_0|`` is the smallest ``C`` with a
    nonzero weight, ``theta_0`` the dual point of the null model.
    """
    npos = (y > 0).sum()
    c0 = np.log(npos / (y.size - npos)) if fit_intercept else 0.0
    lam_max = float(np.abs(X.T @ (y / (1.0 + np.exp(y * c0)))).max())
    levels = []
    for ratio in ratios:
        C = rho / (lam_max * ratio)
        p0, _ = logistic_enet_certificate(X, y, np.zeros(X.shape[1]), c0, C, rho,
                                          fit_intercept)

        def certificate(model, C=C):
            return logistic_enet_certificate(X, y, model.coef_, model.intercept_,
                                             C, rho, fit_intercept)

        levels.append(Level(f"rho {rho:g}, C_min*{round(1 / ratio)}", C,
                            target * p0, p0, p0, certificate))
    return levels


def enet_levels(X, y, rho, ratios, target, v):
    """The levels ``alpha = alpha_max * ratio`` of one mix on one data set."""
    n = X.shape[0]
    y_c = y - y.mean()
    p0 = 0.5 * _sq(y_c) / n
    corr = np.abs(np.asarray(X.T @ y_c).ravel()) / n
    alpha_max = float(np.max(corr / v)) if v is not None else float(corr.max()) / rho
    levels = []
    for ratio in ratios:
        alpha = alpha_max * ratio

        def certificate(model, alpha=alpha):
            return enet_certificate(X, y, model.coef_, model.intercept_, alpha,
                                    rho, v)

        levels.append(Level(f"rho {rho:g}, 1/{round(1 / ratio)}", alpha,
                            target * p0, p0, p0, certificate))
    return levels


def run_cv(datasets, l1_ratios, rounds, n_alphas=100, tol=1e-4):
    """Markdown table: ``BlitzElasticNetCV`` against ``ElasticNetCV`` in CPU time.

    Each round fits both (in alternating order) on the same ``KFold(5)``
    folds; the ratio is ``ElasticNetCV / BlitzElasticNetCV`` per round.
    """
    from sklearn.linear_model import ElasticNetCV
    from sklearn.model_selection import KFold

    from blitzlearn import BlitzElasticNetCV

    out = ["| data | l1_ratio | blitzlearn (s) | ElasticNetCV (s) | ratio median | "
           "ratio range | (alpha_, l1_ratio_): blitzlearn / scikit-learn |",
           "|---|---|---|---|---|---|---|"]
    for name in datasets:
        X, y = load(name, "lasso")
        kw = {"l1_ratio": list(l1_ratios), "alphas": n_alphas, "cv": KFold(5),
              "tol": tol}
        makers = {"blitzlearn": BlitzElasticNetCV, "sklearn": ElasticNetCV}
        times, chosen = {k: [] for k in makers}, {}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            BlitzElasticNetCV(**kw).fit(X, y)  # compilation
            for k in range(max(rounds, 1)):
                for label in (list(makers) if k % 2 == 0 else list(makers)[::-1]):
                    model = makers[label](**kw)
                    start = time.process_time()
                    model.fit(X, y)
                    times[label].append(time.process_time() - start)
                    chosen[label] = f"({model.alpha_:.3g}, {model.l1_ratio_:g})"
        ratio = [s / b for s, b in zip(times["sklearn"], times["blitzlearn"],
                                       strict=True)]
        out.append(
            f"| {name} | {', '.join(f'{r:g}' for r in l1_ratios)} | "
            f"{statistics.median(times['blitzlearn']):.3f} | "
            f"{statistics.median(times['sklearn']):.3f} | "
            f"{statistics.median(ratio):.2f}x | {min(ratio):.2f}-{max(ratio):.2f}x "
            f"| {chosen['blitzlearn']} / {chosen['sklearn']} |")
        print(out[-1], file=sys.stderr, flush=True)
    return "\n".join(out)


def run(task, datasets, l1_ratios, ratios, target, repeat, keep=None,
        max_seconds=None, scale=1.0, rounds=0, fit_intercept=False):
    """Rows of the comparison (every data set, mix and level) and the ratio tables.

    Returns ``(rows, tables)``: ``tables`` has one :func:`format_ratios`
    table per data set when ``rounds`` is positive.
    """
    rows, tables = [], []
    logistic = task == "logistic-enet"
    for name in datasets:
        X, y = load(name, "logistic" if logistic else "lasso", scale)
        if logistic:
            y = np.where(y > 0, 1.0, -1.0)
        times = {}
        for rho in (l1_ratios if task != "weighted" else [1.0]):
            v = None
            if logistic:
                solvers = logistic_enet_solvers(rho, fit_intercept)
                levels = logistic_levels(X, y, rho, ratios, target, fit_intercept)
            else:
                if task == "weighted":
                    v = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[1])
                    solvers = weighted_solvers(v)
                else:
                    solvers = enet_solvers(rho)
                levels = enet_levels(X, y, rho, ratios, target, v)
            solvers = {k: (f, 1.0, 7) for k, f in solvers.items()
                       if not keep or k in keep}
            found = run_levels(name, X, y, levels, solvers, repeat, max_seconds)
            rows += found
            if rounds:
                times.update(interleave(X, y, levels, found, solvers, rounds))
        if rounds:
            tables.append(format_ratios(name, times))
            print(tables[-1], file=sys.stderr, flush=True)
    return rows, tables


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=["enet", "weighted", "logistic-enet", "cv"],
                        default="enet")
    parser.add_argument("--datasets", nargs="+", default=None,
                        help="default: leukemia colon-cancer gisette rcv1-like; "
                        "for logistic-enet leukemia colon-cancer a9a w8a rcv1-like")
    parser.add_argument("--l1-ratios", nargs="+", type=float, default=None,
                        help="default: 0.5 0.9; for cv 0.5 0.7 0.9")
    parser.add_argument("--ratios", nargs="+", type=float, default=[0.1, 0.01],
                        help="alpha / alpha_max, or C_min / C (logistic-enet)")
    parser.add_argument("--fit-intercept", action="store_true",
                        help="logistic-enet with an unpenalised intercept")
    parser.add_argument("--target", type=float, default=1e-6,
                        help="certified gap target as a fraction of P(0)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=0,
                        help="interleaved CPU-time rounds for the ratio table")
    parser.add_argument("--max-seconds", type=float, default=120.0)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="shrink the generated problems (both dimensions)")
    parser.add_argument("--solvers", nargs="+", default=None)
    args = parser.parse_args(argv)
    if args.task == "cv":
        print(run_cv(args.datasets or ["leukemia"], args.l1_ratios or [0.5, 0.7, 0.9],
                     max(args.rounds, 3)))
        return
    datasets = args.datasets or (
        ["leukemia", "colon-cancer", "a9a", "w8a", "rcv1-like"]
        if args.task == "logistic-enet"
        else ["leukemia", "colon-cancer", "gisette", "rcv1-like"])
    rows, tables = run(args.task, datasets, args.l1_ratios or [0.5, 0.9], args.ratios,
                       args.target, args.repeat, keep=args.solvers,
                       max_seconds=args.max_seconds, scale=args.scale,
                       rounds=args.rounds, fit_intercept=args.fit_intercept)
    print(format_datasets(rows))
    print()
    print(format_rows(rows))
    for table in tables:
        print()
        print(table)


if __name__ == "__main__":
    main()
