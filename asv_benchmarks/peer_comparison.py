# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Side-by-side timing of blitzlearn and its peers at the same certified accuracy.

Every solver is timed (median of ``--repeat`` runs after one warm-up fit) until
its solution has a duality gap at most ``--target * P(0)``, where the gap is
computed by :func:`lasso_certificate` below, outside every solver, from the
returned coefficients alone.  A solver whose solution misses the target at its
nominal tolerance is rerun with a 10x tighter one (up to 6 times); the table
reports the tolerance that was needed.

The hinge SVM (``--task svm``) has no cheap external dual certificate:
every solver is timed until its relative primal suboptimality
``(P - P*) / P*`` is at most ``--target``, with ``P*`` bounded below by a
BlitzSVC fit certified to ``1e-10`` (:func:`run_svm`).

Run from the repository root, single-threaded as the reference figures are::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python asv_benchmarks/peer_comparison.py --datasets leukemia colon-cancer

Peers that are not installed (``pip install celer skglm``) are skipped.
"""

import argparse
import statistics
import time
import warnings

import numpy as np
from scipy.special import xlogy


def lasso_certificate(X, y, coef, intercept, alpha, fit_intercept=True):
    """Objective and duality gap of a Lasso solution, in scikit-learn units.

    The dual point is the residual, centred when there is an intercept, scaled
    into the dual feasible set ``|x_j^T theta| <= n alpha``.
    """
    n = X.shape[0]
    resid = y - X @ coef - intercept
    primal = 0.5 * float(resid @ resid) / n + alpha * float(np.abs(coef).sum())
    theta = resid - resid.mean() if fit_intercept else resid
    top = float(np.abs(X.T @ theta).max())
    lam = n * alpha
    if top > lam:
        theta = theta * (lam / top)
    y_eff = y - y.mean() if fit_intercept else y
    dual = (float(y_eff @ theta) - 0.5 * float(theta @ theta)) / n
    return primal, primal - dual


def _sq(v):
    return float(v @ v)


def lasso_solvers():
    """Name -> factory(alpha, gap, y) for every available Lasso solver.

    ``gap`` is the target gap in objective units; each factory converts it into
    the solver's own stopping rule.
    """
    from sklearn.linear_model import Lasso

    from blitzlearn import BlitzLasso

    solvers = {
        # sklearn and BlitzLasso stop at gap <= tol * ||y_c||^2 / n
        "blitzlearn": lambda a, g, y: BlitzLasso(
            alpha=a, tol=g * y.size / _sq(y - y.mean())),
        "sklearn": lambda a, g, y: Lasso(
            alpha=a, tol=g * y.size / _sq(y - y.mean()), max_iter=1_000_000),
    }
    try:
        from celer import Lasso as CelerLasso

        # celer stops at gap <= tol * ||y||^2 / n (y not centred)
        solvers["celer"] = lambda a, g, y: CelerLasso(
            alpha=a, tol=g * y.size / _sq(y), max_iter=10_000,
            max_epochs=1_000_000)
    except ImportError:
        pass
    try:
        from skglm import Lasso as SkglmLasso

        # skglm stops on a KKT violation, not a gap: start from the gap value
        solvers["skglm"] = lambda a, g, y: SkglmLasso(
            alpha=a, tol=g, max_iter=10_000, max_epochs=1_000_000)
    except ImportError:
        pass
    return solvers


def time_to_target(make, X, y, reg, target_gap, repeat, certificate,
                   first_tol=None, tries=7):
    """Median fit time of the loosest tolerance whose solution meets the target.

    ``certificate(model)`` returns ``(objective, gap)`` of a fitted model; the
    tolerances tried are ``first_tol`` (default ``target_gap``) and then up to
    ``tries - 1`` ones, each 10x tighter.
    """
    gap_tol = target_gap if first_tol is None else first_tol
    for _ in range(tries):
        model = make(reg, gap_tol, y)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(X, y)  # warm-up (JIT) and accuracy check
            primal, gap = certificate(model)
            if gap <= target_gap:
                times = []
                for _ in range(repeat):
                    model = make(reg, gap_tol, y)
                    start = time.perf_counter()
                    model.fit(X, y)
                    times.append(time.perf_counter() - start)
                primal, gap = certificate(model)
                return statistics.median(times), primal, gap, model, gap_tol
        gap_tol /= 10.0
    return float("nan"), primal, gap, model, gap_tol


def run_lasso(datasets, ratios, target, repeat, keep=None):
    from blitzlearn.datasets import load_libsvm

    rows = []
    solvers = {k: v for k, v in lasso_solvers().items() if not keep or k in keep}
    for name in datasets:
        X, y = load_libsvm(name)
        n = X.shape[0]
        y_c = y - y.mean()
        alpha_max = float(np.abs(X.T @ y_c).max()) / n
        p0 = 0.5 * float(y_c @ y_c) / n
        for ratio in ratios:
            alpha = alpha_max * ratio
            def certificate(model, alpha=alpha, X=X, y=y):
                return lasso_certificate(X, y, model.coef_, model.intercept_,
                                         alpha)

            for label, make in solvers.items():
                seconds, primal, gap, model, used = time_to_target(
                    make, X, y, alpha, target * p0, repeat, certificate)
                rows.append((name, f"1/{round(1 / ratio)}", label, seconds,
                             primal, gap / p0, int(np.count_nonzero(model.coef_)),
                             used / p0))
    return rows


def logistic_certificate(X, y, coef, intercept, C, fit_intercept):
    """Objective and duality gap of an L1-logistic solution, in scikit-learn units.

    Objective ``C sum_i log(1 + exp(-y_i z_i)) + ||w||_1`` with ``y`` in {-1, 1}.
    The dual point is the negative loss gradient ``g_i = y_i sigma(-y_i z_i)``;
    with an intercept the heavier class's entries are shrunk so that
    ``sum(g) = 0``; then it is scaled into ``|x_j^T theta| <= 1 / C``.
    """
    coef = np.ravel(coef)
    z = np.asarray(X @ coef).ravel() + float(np.ravel(intercept)[0]
                                             if np.ndim(intercept) else intercept)
    margin = y * z
    loss = float(np.logaddexp(0.0, -margin).sum())
    primal = C * loss + float(np.abs(coef).sum())
    g = y * np.exp(-np.logaddexp(0.0, margin))
    if fit_intercept:
        pos, neg = g[y > 0].sum(), -g[y < 0].sum()
        if pos > neg:
            g[y > 0] *= neg / pos
        else:
            g[y < 0] *= pos / neg
    lam = 1.0 / C
    top = float(np.abs(X.T @ g).max())
    theta = g * min(1.0, lam / top) if top > 0 else g
    q = np.clip(y * theta, 0.0, 1.0)
    dual = -float((xlogy(q, q) + xlogy(1.0 - q, 1.0 - q)).sum())
    return primal, C * (loss + lam * float(np.abs(coef).sum()) - dual)


def logistic_solvers(fit_intercept):
    """Name -> factory(C, gap, y) for every available L1-logistic solver.

    Without an intercept every peer solves the same problem; with one, only
    the solvers with an unpenalised intercept are listed (liblinear penalises
    it, celer has none).
    """
    from sklearn.linear_model import LogisticRegression

    from blitzlearn import BlitzLogisticL1

    def null_objective(C, y):
        if not fit_intercept:
            return C * y.size * np.log(2.0)
        npos = (y > 0).sum()
        p = npos / y.size
        return -C * (npos * np.log(p) + (y.size - npos) * np.log1p(-p))

    solvers = {
        # BlitzLogisticL1 stops at gap <= tol * (null model's objective)
        "blitzlearn": lambda C, g, y: BlitzLogisticL1(
            C=C, tol=g / null_objective(C, y), fit_intercept=fit_intercept,
            max_iter=100_000),
    }
    if not fit_intercept:
        solvers["liblinear"] = lambda C, g, y: LogisticRegression(
            C=C, l1_ratio=1.0, solver="liblinear", fit_intercept=False, random_state=0,
            tol=g / null_objective(C, y), max_iter=1_000_000)
    try:
        from celer import LogisticRegression as CelerLogReg

        if not fit_intercept:
            solvers["celer"] = lambda C, g, y: CelerLogReg(
                C=C, tol=g / null_objective(C, y), max_iter=1000,
                max_epochs=1_000_000)
    except ImportError:
        pass
    try:
        from skglm import SparseLogisticRegression

        # skglm's objective is ours divided by C n; its tol bounds a KKT violation
        solvers["skglm"] = lambda C, g, y: SparseLogisticRegression(
            alpha=1.0 / (C * y.size), tol=g / null_objective(C, y),
            fit_intercept=fit_intercept, max_iter=1000, max_epochs=1_000_000)
    except ImportError:
        pass
    return solvers


def run_logistic(datasets, ratios, target, repeat, keep=None, fit_intercept=False):
    from blitzlearn.datasets import load_libsvm

    rows = []
    solvers = {k: v for k, v in logistic_solvers(fit_intercept).items()
               if not keep or k in keep}
    for name in datasets:
        X, y = load_libsvm(name)
        y = np.where(y > 0, 1.0, -1.0)
        npos = (y > 0).sum()
        c0 = np.log(npos / (y.size - npos)) if fit_intercept else 0.0
        lam_max = float(np.abs(X.T @ (y / (1.0 + np.exp(y * c0)))).max())
        for ratio in ratios:
            C = 1.0 / (lam_max * ratio)  # C = C_min / ratio
            p0, _ = logistic_certificate(X, y, np.zeros(X.shape[1]), c0, C,
                                         fit_intercept)

            def certificate(model, C=C, X=X, y=y):
                return logistic_certificate(X, y, model.coef_, model.intercept_,
                                            C, fit_intercept)

            for label, make in solvers.items():
                seconds, primal, gap, model, used = time_to_target(
                    make, X, y, C, target * p0, repeat, certificate)
                rows.append((name, f"C_min*{round(1 / ratio)}", label, seconds,
                             primal, gap / p0, int(np.count_nonzero(model.coef_)),
                             used / p0))
    return rows


def svm_objective(X, y, coef, intercept, C, intercept_scaling=1.0):
    """LinearSVC's hinge objective, with the intercept as a regularised feature.

    ``0.5 (||w||^2 + (b / B)^2) + C sum_i max(0, 1 - y_i (x_i^T w + b))``.
    """
    coef = np.ravel(coef)
    b = float(np.ravel(intercept)[0])
    z = np.asarray(X @ coef).ravel() + b
    hinge = float(np.maximum(0.0, 1.0 - y * z).sum())
    return 0.5 * (float(coef @ coef) + (b / intercept_scaling) ** 2) + C * hinge


def svm_solvers():
    """Name -> (factory(C, tol, y), first tolerance) for the hinge-SVM solvers."""
    from sklearn.svm import LinearSVC

    from blitzlearn import BlitzSVC

    return {
        # BlitzSVC's tol certifies (P - P*) / P* <= tol: the target itself
        "blitzlearn": (lambda C, t, y: BlitzSVC(C=C, tol=t, max_iter=100_000),
                       None),
        # liblinear's dual CD stops on a projected gradient: start loose
        "LinearSVC (liblinear)": (lambda C, t, y: LinearSVC(
            C=C, loss="hinge", dual=True, tol=t, max_iter=1_000_000,
            random_state=0), 1e-1),
    }


def run_svm(datasets, Cs, target, repeat, keep=None):
    """Time to a relative primal suboptimality ``target`` for each C.

    ``P*`` is bounded below by the dual value of a BlitzSVC fit certified to
    ``1e-10``; every solver's accuracy is ``(P - D_ref) / D_ref``, which
    over-states its suboptimality by at most ``1e-10``.
    """
    from blitzlearn import BlitzSVC
    from blitzlearn.datasets import load_libsvm

    rows = []
    solvers = {k: v for k, v in svm_solvers().items() if not keep or k in keep}
    for name in datasets:
        X, y = load_libsvm(name)
        y = np.where(y > 0, 1.0, -1.0)
        for C in Cs:
            ref = BlitzSVC(C=C, tol=1e-10, max_iter=100_000).fit(X, y)
            lower = svm_objective(X, y, ref.coef_, ref.intercept_, C) - float(
                ref.dual_gap_[0])

            def certificate(model, C=C, X=X, y=y, lower=lower):
                primal = svm_objective(X, y, model.coef_, model.intercept_, C)
                if primal < lower * (1 - 1e-12):
                    raise RuntimeError(f"objective {primal} below the bound {lower}")
                return primal, primal - lower

            for label, (make, first) in solvers.items():
                seconds, primal, gap, model, used = time_to_target(
                    make, X, y, C, target * lower, repeat, certificate,
                    first_tol=first if first is not None else target, tries=10)
                rows.append((name, f"C={C:g}", label, seconds, primal,
                             gap / lower, int(np.count_nonzero(model.coef_)),
                             used))
    return rows


def format_rows(rows, accuracy="gap / P(0)", tol="tol used / P(0)"):
    out = [f"| data | regularisation | solver | time (s) | objective | {accuracy} "
           f"| nnz | {tol} |", "|---|---|---|---|---|---|---|---|"]
    for name, level, label, sec, primal, rel_gap, nnz, used in rows:
        out.append(f"| {name} | {level} | {label} | {sec:.4f} | {primal:.10g} | "
                   f"{rel_gap:.1e} | {nnz} | {used:.0e} |")
    return "\n".join(out)


def plot_rows(rows, path, title):
    """Grouped bars of the time to target, one group per (data, level), log scale.

    Missing bars are solvers that did not reach the target.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(dict.fromkeys((r[0], r[1]) for r in rows))
    solvers = list(dict.fromkeys(r[2] for r in rows))
    seconds = {(r[0], r[1], r[2]): r[3] for r in rows}
    width = 0.8 / len(solvers)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(groups)), 4.0))
    for k, solver in enumerate(solvers):
        xs = [g + (k - (len(solvers) - 1) / 2) * width for g in range(len(groups))]
        ys = [seconds.get((*group, solver), np.nan) for group in groups]
        ax.bar(xs, ys, width, label=solver)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([f"{name}\n{level}" for name, level in groups], fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("time to target (s)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=["lasso", "logistic", "svm"],
                        default="lasso")
    parser.add_argument("--fit-intercept", action="store_true",
                        help="L1-logistic with an unpenalised intercept")
    parser.add_argument("--datasets", nargs="+", default=None)
    parser.add_argument("--ratios", nargs="+", type=float,
                        default=[0.1, 0.01, 0.001],
                        help="alpha / alpha_max (Lasso), C_min / C (logistic)")
    parser.add_argument("--Cs", nargs="+", type=float, default=[0.01, 0.1, 1.0],
                        help="values of C (svm)")
    parser.add_argument("--target", type=float, default=1e-6,
                        help="certified gap target as a fraction of P(0); for "
                        "svm, the relative suboptimality (P - P*) / P*")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--solvers", nargs="+", default=None,
                        help="subset of solvers to run")
    parser.add_argument("--plot", default=None, metavar="PNG",
                        help="also write a bar chart of the times to this file")
    args = parser.parse_args(argv)
    if args.task == "lasso":
        rows = run_lasso(args.datasets or ["leukemia", "colon-cancer", "gisette"],
                         args.ratios, args.target, args.repeat, keep=args.solvers)
    elif args.task == "logistic":
        rows = run_logistic(args.datasets or ["leukemia", "a9a"], args.ratios,
                            args.target, args.repeat, keep=args.solvers,
                            fit_intercept=args.fit_intercept)
    else:
        rows = run_svm(args.datasets or ["a9a", "w8a", "gisette"], args.Cs,
                       args.target, args.repeat, keep=args.solvers)
    if args.task == "svm":
        print(format_rows(rows, "(P - P*) / P*", "tol used"))
    else:
        print(format_rows(rows))
    if args.plot:
        plot_rows(rows, args.plot, f"{args.task}: time to a {args.target:g} target")


if __name__ == "__main__":
    main()
