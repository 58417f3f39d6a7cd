# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Side-by-side timing of blitzlearn and its peers at the same certified accuracy.

Every solver is timed (median of ``--repeat`` runs after one warm-up fit) until
its solution has a duality gap at most ``--target * P(0)``, where the gap is
computed by :func:`lasso_certificate` below, outside every solver, from the
returned coefficients alone.  A solver whose solution misses the target at its
nominal tolerance is rerun with a 10x tighter one (up to 6 times); the table
reports the tolerance that was needed.

The SVM (``--task svm``, with ``--loss`` and ``--penalty`` as LinearSVC's)
has no cheap external dual certificate:
every solver is timed until its relative primal suboptimality
``(P - P*) / P*`` is at most ``--target``, with ``P*`` bounded below by a
BlitzSVC fit certified to ``1e-10`` (:func:`run_svm`).

Every tolerance is first tried in a forked child process (``_peer_memory.py``),
which checks the accuracy and, when it is met, fits again to measure the peak
resident memory of a warm fit above the child's baseline (the pages of ``X``
are shared and not counted; a copy is). Numba solvers (:data:`JIT_SOLVERS`)
are compiled in the parent first, on a slice of the data, so that the children
inherit the compiled code. A first fit longer than ``--max-seconds`` is killed
and reported as ``> N``; the smaller regularisations of that solver on that
data set are then skipped (``> N skipped``), as they are slower still.

Besides the LIBSVM sets (:func:`blitzlearn.datasets.load_libsvm`) and
``news20-binary`` (see :func:`load`), the ``--datasets`` may name the
generated problems of ``_peer_data.py``: ``rcv1-like``, ``news20-like``,
``e2006-like`` and ``dense-tall``.

Run from the repository root, single-threaded as the reference figures are::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python asv_benchmarks/peer_comparison.py --datasets leukemia colon-cancer

Peers that are not installed (``pip install celer skglm``) are skipped.
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from scipy.special import xlogy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _peer_data import GENERATED, make_peer_data, nbytes  # noqa: E402
from _peer_memory import fit_in_child  # noqa: E402

# solvers that Numba compiles on their first fit in a process: compiled in the
# parent on a slice of the data before the children are forked
JIT_SOLVERS = frozenset({"blitzlearn", "skglm"})
# the O(n + d) part of the memory target: this many float64 vectors of n + d
MEMORY_VECTORS = 16
NAN = float("nan")


class Row(NamedTuple):
    """One line of the table.

    ``seconds`` is the median time to target, NaN when no tolerance tried met
    it, and the cap when ``capped`` is ``"run"`` (a fit was killed at the cap)
    or ``"skipped"`` (not run after a looser level was capped). ``peak`` is the
    peak memory of one fit above its baseline and ``x_bytes`` the memory of
    ``X``, in bytes; ``shape`` is ``(n_samples, n_features)``.
    """

    data: str
    level: str
    solver: str
    seconds: float
    objective: float
    accuracy: float
    nnz: int
    tol: float
    peak: float = NAN
    x_bytes: int = 0
    shape: tuple = (0, 0)
    capped: str = ""


def memory_budget(x_bytes, shape):
    """Extra bytes a fit may take: ``0.5 |X| + MEMORY_VECTORS * 8 (n + d)``.

    That is, the issue's target "peak memory at most 1.5 |X| plus O(n + d)",
    with ``X`` itself (already in memory) counted in the peak.
    """
    return 0.5 * x_bytes + MEMORY_VECTORS * 8 * (shape[0] + shape[1])


def load(name, task, scale=1.0):
    """``(X, y)`` of a LIBSVM set, or of a generated problem if ``name`` is one.

    ``scale`` shrinks the generated problems (both dimensions).
    ``"news20-binary"`` is the binary task that ``../shared/datasets/README.md``
    derives from the 20-class ``news20``: rows scaled to unit norm, ``+1`` for
    classes 1-10 and ``-1`` for classes 11-20.
    """
    if name in GENERATED:
        return make_peer_data(name, task, scale=scale)
    from blitzlearn.datasets import load_libsvm

    if name == "news20-binary":
        X, y = load_libsvm("news20")
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        X = sp.csc_matrix(sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ X)
        return X, np.where(y <= 10, 1.0, -1.0)
    return load_libsvm(name)


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


class Result(NamedTuple):
    """What :func:`time_to_target` found for one solver at one level."""

    seconds: float
    objective: float
    gap: float
    nnz: int
    tol: float
    peak: float
    capped: bool = False


def time_to_target(make, X, y, reg, target_gap, repeat, certificate,
                   first_tol=None, tries=7, max_seconds=None):
    """Median fit time of the loosest tolerance whose solution meets the target.

    Parameters
    ----------
    make : callable
        ``make(reg, tol, y)`` returns an unfitted estimator.
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Training data.
    y : ndarray of shape (n_samples,)
        Targets.
    reg : float
        Regularisation passed to ``make``.
    target_gap : float
        The accuracy to reach, in the units of ``certificate``'s gap.
    repeat : int
        Number of timed fits (after one warm-up fit) whose median is reported.
    certificate : callable
        ``certificate(model) -> (objective, gap)`` of a fitted model.
    first_tol : float, default=None
        First tolerance tried (default ``target_gap``); up to ``tries - 1``
        more are tried, each 10x tighter.
    tries : int, default=7
        Number of tolerances tried.
    max_seconds : float, default=None
        Cap on one fit, enforced on the first fit at each tolerance (in a
        child process); ``None`` for no cap.

    Returns
    -------
    result : Result
        Median time (NaN if no tolerance met the target; the cap if a fit was
        killed), objective, gap and number of nonzero weights of the last
        fit, the tolerance used (the last one tried if none met the target)
        and the peak memory of one fit in bytes.
    """
    gap_tol = target_gap if first_tol is None else first_tol
    for _ in range(tries):
        def build(tol=gap_tol):
            return make(reg, tol, y)

        check = fit_in_child(build, X, y, certificate, max_seconds, target_gap)
        if check.timed_out:
            return Result(check.seconds, NAN, NAN, -1, gap_tol, check.peak, True)
        if check.gap <= target_gap:
            times = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                build().fit(X, y)  # warm-up: JIT compilation, caches
                for _ in range(repeat):
                    model = build()
                    start = time.perf_counter()
                    model.fit(X, y)
                    times.append(time.perf_counter() - start)
            primal, gap = certificate(model)
            return Result(statistics.median(times), primal, gap,
                          int(np.count_nonzero(model.coef_)), gap_tol, check.peak)
        last_tol = gap_tol
        gap_tol /= 10.0
    return Result(NAN, check.objective, check.gap, check.nnz, last_tol, check.peak)


class Level(NamedTuple):
    """One regularisation level of a data set.

    ``unit`` divides the gap (``P(0)``, or ``P*`` for the SVM) and ``tol_unit``
    the tolerance used, in the table.
    """

    label: str
    reg: float
    target_gap: float
    unit: float
    tol_unit: float
    certificate: object


def run_levels(name, X, y, levels, solvers, repeat, max_seconds=None):
    """Rows of every solver at every level, smallest regularisation last.

    ``solvers`` maps a name to ``(make, first, tries)``: the first tolerance
    tried is ``first`` times the target, in the units of ``level.tol_unit``.
    Once a solver's fit is killed at the cap, its later levels on this data
    set are reported as skipped.
    """
    rows, capped = [], set()
    common = {"x_bytes": nbytes(X), "shape": tuple(X.shape)}
    # compile the Numba solvers here, on a slice, so that children inherit them
    sub = np.linspace(0, X.shape[0] - 1, min(X.shape[0], 200)).astype(np.intp)
    for label, (make, _, _) in solvers.items():
        if label in JIT_SOLVERS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                make(levels[0].reg, 1e-3, y[sub]).fit(X[sub], y[sub])
    for level in levels:
        for label, (make, first, tries) in solvers.items():
            if label in capped:
                rows.append(Row(name, level.label, label, max_seconds, NAN, NAN, -1,
                                NAN, capped="skipped", **common))
                continue
            res = time_to_target(
                make, X, y, level.reg, level.target_gap, repeat, level.certificate,
                # first tolerance: a factor of the target in the tolerance's units
                first_tol=first * level.target_gap / level.unit * level.tol_unit,
                tries=tries,
                max_seconds=max_seconds)
            if res.capped:
                capped.add(label)
            rows.append(Row(name, level.label, label, res.seconds, res.objective,
                            res.gap / level.unit, res.nnz, res.tol / level.tol_unit,
                            res.peak, capped="run" if res.capped else "", **common))
            # progress on stderr: a run cut short still leaves its rows
            print(format_rows(rows[-1:]).splitlines()[-1], file=sys.stderr,
                  flush=True)
    return rows


def run_lasso(datasets, ratios, target, repeat, keep=None, max_seconds=None,
              scale=1.0):
    """Rows of the Lasso comparison: every data set, every ``alpha_max * ratio``."""
    solvers = {k: (v, 1.0, 7) for k, v in lasso_solvers().items()
               if not keep or k in keep}
    rows = []
    for name in datasets:
        X, y = load(name, "lasso", scale)
        n = X.shape[0]
        y_c = y - y.mean()
        alpha_max = float(np.abs(X.T @ y_c).max()) / n
        p0 = 0.5 * float(y_c @ y_c) / n
        levels = []
        for ratio in ratios:
            alpha = alpha_max * ratio

            def certificate(model, alpha=alpha, X=X, y=y):
                return lasso_certificate(X, y, model.coef_, model.intercept_,
                                         alpha)

            levels.append(Level(f"1/{round(1 / ratio)}", alpha, target * p0, p0,
                                p0, certificate))
        rows += run_levels(name, X, y, levels, solvers, repeat, max_seconds)
    return rows


def logistic_point(X, y, coef, intercept, fit_intercept):
    """``(coef, margins, g)`` of a logistic model: the dual point's direction.

    ``coef`` raveled, the margins ``y_i z_i`` and the negative loss gradient
    ``g_i = y_i sigma(-y_i z_i)``; with an intercept the heavier class's
    entries are shrunk so that ``sum(g) = 0``.
    """
    coef = np.ravel(coef)
    z = np.asarray(X @ coef).ravel() + float(np.ravel(intercept)[0]
                                             if np.ndim(intercept) else intercept)
    margin = y * z
    g = y * np.exp(-np.logaddexp(0.0, margin))
    if fit_intercept:
        pos, neg = g[y > 0].sum(), -g[y < 0].sum()
        if pos > neg:
            g[y > 0] *= neg / pos
        else:
            g[y < 0] *= pos / neg
    return coef, margin, g


def logistic_certificate(X, y, coef, intercept, C, fit_intercept):
    """Objective and duality gap of an L1-logistic solution, in scikit-learn units.

    Objective ``C sum_i log(1 + exp(-y_i z_i)) + ||w||_1`` with ``y`` in {-1, 1}.
    The dual point is the negative loss gradient ``g_i = y_i sigma(-y_i z_i)``;
    with an intercept the heavier class's entries are shrunk so that
    ``sum(g) = 0``; then it is scaled into ``|x_j^T theta| <= 1 / C``.
    """
    coef, margin, g = logistic_point(X, y, coef, intercept, fit_intercept)
    loss = float(np.logaddexp(0.0, -margin).sum())
    primal = C * loss + float(np.abs(coef).sum())
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
    it, celer has none; saga and skglm do not penalise it).
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
    # saga stops when an epoch moves no weight by more than tol * max|w|: not
    # a gap, so time_to_target tightens it from the relative target down
    solvers["saga"] = lambda C, g, y: LogisticRegression(
        C=C, l1_ratio=1.0, solver="saga", fit_intercept=fit_intercept,
        random_state=0, tol=g / null_objective(C, y), max_iter=1_000_000)
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


def run_logistic(datasets, ratios, target, repeat, keep=None, fit_intercept=False,
                 max_seconds=None, scale=1.0):
    """Rows of the L1-logistic comparison: every data set, ``C = C_min / ratio``."""
    solvers = {k: (v, 1.0, 7) for k, v in logistic_solvers(fit_intercept).items()
               if not keep or k in keep}
    rows = []
    for name in datasets:
        X, y = load(name, "logistic", scale)
        y = np.where(y > 0, 1.0, -1.0)
        npos = (y > 0).sum()
        c0 = np.log(npos / (y.size - npos)) if fit_intercept else 0.0
        lam_max = float(np.abs(X.T @ (y / (1.0 + np.exp(y * c0)))).max())
        levels = []
        for ratio in ratios:
            C = 1.0 / (lam_max * ratio)  # C = C_min / ratio
            p0, _ = logistic_certificate(X, y, np.zeros(X.shape[1]), c0, C,
                                         fit_intercept)

            def certificate(model, C=C, X=X, y=y):
                return logistic_certificate(X, y, model.coef_, model.intercept_,
                                            C, fit_intercept)

            levels.append(Level(f"C_min*{round(1 / ratio)}", C, target * p0, p0, p0,
                                certificate))
        rows += run_levels(name, X, y, levels, solvers, repeat, max_seconds)
    return rows


def svm_objective(X, y, coef, intercept, C, intercept_scaling=1.0, loss="hinge",
                  penalty="l2"):
    """LinearSVC's objective, with the intercept as a regularised feature.

    ``R(w, b / B) + C sum_i l(1 - y_i (x_i^T w + b))`` with ``l(t) = max(0,
    t)`` (hinge) or ``max(0, t)^2`` (squared hinge) and ``R`` half the squared
    norm (``penalty="l2"``) or the L1 norm (``"l1"``).
    """
    coef = np.ravel(coef)
    b = float(np.ravel(intercept)[0])
    z = np.asarray(X @ coef).ravel() + b
    h = np.maximum(0.0, 1.0 - y * z)
    total = float((h * h).sum() if loss == "squared_hinge" else h.sum())
    w_b = b / intercept_scaling
    if penalty == "l1":
        return float(np.abs(coef).sum()) + abs(w_b) + C * total
    return 0.5 * (float(coef @ coef) + w_b ** 2) + C * total


def svm_solvers(loss="hinge", penalty="l2"):
    """Name -> (factory(C, tol, y), first tolerance) for the SVM solvers."""
    from sklearn.svm import LinearSVC

    from blitzlearn import BlitzSVC

    # BlitzSVC's tol bounds (P - P*) / P* (L2) or a gap relative to the null
    # loss (L1), liblinear stops on a (projected) gradient: both start loose,
    # the sweep tightens them until the target is met
    solvers = {"blitzlearn": (lambda C, t, y: BlitzSVC(
        C=C, loss=loss, penalty=penalty, tol=t, max_iter=100_000), 1e-2)}
    if penalty == "l1":
        solvers["LinearSVC (liblinear)"] = (lambda C, t, y: LinearSVC(
            C=C, penalty="l1", dual=False, tol=t, max_iter=1_000_000,
            random_state=0), 1e-1)
    elif loss == "hinge":
        solvers["LinearSVC (liblinear)"] = (lambda C, t, y: LinearSVC(
            C=C, loss="hinge", dual=True, tol=t, max_iter=1_000_000,
            random_state=0), 1e-1)
    else:  # LinearSVC() picks the primal Newton solver when n > p
        solvers["LinearSVC()"] = (lambda C, t, y: LinearSVC(
            C=C, tol=t, max_iter=1_000_000, random_state=0), 1e-1)
        solvers["LinearSVC(dual=True)"] = (lambda C, t, y: LinearSVC(
            C=C, dual=True, tol=t, max_iter=1_000_000, random_state=0), 1e-1)
    return solvers


def run_svm(datasets, Cs, target, repeat, keep=None, max_seconds=None, scale=1.0,
            loss="hinge", penalty="l2"):
    """Time to a relative primal suboptimality ``target`` for each C.

    ``P*`` is bounded below by the dual value of a BlitzSVC fit certified to
    ``1e-10``; every solver's accuracy is ``(P - D_ref) / D_ref``, which
    over-states its suboptimality by at most ``1e-10``.
    """
    from blitzlearn import BlitzSVC

    solvers = {k: (make, (first or target) / target, 10)
               for k, (make, first) in svm_solvers(loss, penalty).items()
               if not keep or k in keep}
    rows = []
    for name in datasets:
        X, y = load(name, "svm", scale)
        # row-wise solvers all read CSR or C-ordered rows (liblinear's
        # wrapper converts to its own rows anyway): convert once here, so
        # that no fit's peak memory counts that copy
        X = X.tocsr() if sp.issparse(X) else np.ascontiguousarray(X)
        y = np.where(y > 0, 1.0, -1.0)
        levels = []
        for C in Cs:
            ref = BlitzSVC(C=C, loss=loss, penalty=penalty, tol=1e-10,
                           max_iter=100_000).fit(X, y)
            lower = svm_objective(X, y, ref.coef_, ref.intercept_, C, loss=loss,
                                  penalty=penalty) - float(np.ravel(ref.dual_gap_)[0])

            def certificate(model, C=C, X=X, y=y, lower=lower):
                primal = svm_objective(X, y, model.coef_, model.intercept_, C,
                                       loss=loss, penalty=penalty)
                if primal < lower * (1 - 1e-12):
                    raise RuntimeError(f"objective {primal} below the bound {lower}")
                return primal, primal - lower

            # the factories take the relative tolerance: reg=C, tol=gap/lower
            levels.append(Level(f"C={C:g}", C, target * lower, lower, 1.0,
                                certificate))
        rows += run_levels(name, X, y, levels, solvers, repeat, max_seconds)
    return rows


def _mb(nbytes_):
    return f"{nbytes_ / 2**20:.1f}"


def format_datasets(rows):
    """Markdown table of the data sets in ``rows``: shape, memory, memory budget."""
    out = ["| data | n × d | mem(X) (MB) | budget: 0.5 mem(X) + "
           f"{MEMORY_VECTORS}·8(n + d) (MB) |", "|---|---|---|---|"]
    for r in {r.data: r for r in rows}.values():
        out.append(f"| {r.data} | {r.shape[0]} × {r.shape[1]} | {_mb(r.x_bytes)} | "
                   f"{_mb(memory_budget(r.x_bytes, r.shape))} |")
    return "\n".join(out)


def format_rows(rows, accuracy="gap / P(0)", tol="tol used / P(0)"):
    """Markdown table of ``rows``, with the memory columns.

    ``peak`` is the fit's peak memory above its baseline, ``peak / mem(X)``
    its ratio to the memory of ``X``, and the last column says whether it is
    within :func:`memory_budget` (``>=`` marks a lower bound: the fit was
    killed; ``-`` where that bound is under the budget).
    """
    out = [f"| data | regularisation | solver | time (s) | objective | {accuracy} "
           f"| nnz | {tol} | peak (MB) | peak / mem(X) | within budget |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r.capped:
            sec = f"> {r.seconds:g}" + (" skipped" if r.capped == "skipped" else "")
        else:
            sec = "not met" if np.isnan(r.seconds) else f"{r.seconds:.4f}"
        low = ">= " if r.capped == "run" else ""
        if np.isnan(r.peak):
            peak = ratio = within = "-"
        else:
            peak, ratio = low + _mb(r.peak), f"{low}{r.peak / r.x_bytes:.2f}"
            within = "yes" if r.peak <= memory_budget(r.x_bytes, r.shape) else "no"
            if low and within == "yes":
                within = "-"  # a lower bound under the budget says nothing
        nnz = "-" if r.nnz < 0 else str(r.nnz)
        tol_used = "-" if np.isnan(r.tol) else f"{r.tol:.0e}"
        out.append(f"| {r.data} | {r.level} | {r.solver} | {sec} | {r.objective:.10g} "
                   f"| {r.accuracy:.1e} | {nnz} | {tol_used} | {peak} | {ratio} "
                   f"| {within} |")
    return "\n".join(out)


def _capped(row):
    return len(row) > Row._fields.index("capped") and bool(row.capped)


def plot_rows(rows, path, title):
    """Grouped bars of the time to target, one group per (data, level), log scale.

    Missing bars are solvers that did not reach the target; hatched bars
    stand at the cap for fits that were killed there (or skipped).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = list(dict.fromkeys((r[0], r[1]) for r in rows))
    solvers = list(dict.fromkeys(r[2] for r in rows))
    by_key = {(r[0], r[1], r[2]): r for r in rows}
    width = 0.8 / len(solvers)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(groups)), 4.0))
    for k, solver in enumerate(solvers):
        xs = [g + (k - (len(solvers) - 1) / 2) * width for g in range(len(groups))]
        found = [by_key.get((*group, solver)) for group in groups]
        ys = [np.nan if r is None or _capped(r) else r[3] for r in found]
        bars = ax.bar(xs, ys, width, label=solver)
        caps = [r[3] if r is not None and _capped(r) else np.nan for r in found]
        if not np.all(np.isnan(caps)):
            ax.bar(xs, caps, width, color="none", hatch="//",
                   edgecolor=bars.patches[0].get_facecolor())
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
    parser.add_argument("--datasets", nargs="+", default=None,
                        help=f"LIBSVM sets or generated ones: {', '.join(GENERATED)}")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="shrink the generated problems (both dimensions)")
    parser.add_argument("--ratios", nargs="+", type=float,
                        default=[0.1, 0.01, 0.001],
                        help="alpha / alpha_max (Lasso), C_min / C (logistic)")
    parser.add_argument("--Cs", nargs="+", type=float, default=[0.01, 0.1, 1.0],
                        help="values of C (svm)")
    parser.add_argument("--loss", choices=["hinge", "squared_hinge"],
                        default="hinge", help="loss of the svm task")
    parser.add_argument("--penalty", choices=["l2", "l1"], default="l2",
                        help="penalty of the svm task (l1: squared hinge only)")
    parser.add_argument("--target", type=float, default=1e-6,
                        help="certified gap target as a fraction of P(0); for "
                        "svm, the relative suboptimality (P - P*) / P*")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=300.0,
                        help="kill a fit that runs longer; report '> N'")
    parser.add_argument("--solvers", nargs="+", default=None,
                        help="subset of solvers to run")
    parser.add_argument("--plot", default=None, metavar="PNG",
                        help="also write a bar chart of the times to this file")
    args = parser.parse_args(argv)
    common = {"keep": args.solvers, "max_seconds": args.max_seconds,
              "scale": args.scale}
    if args.task == "lasso":
        rows = run_lasso(args.datasets or ["leukemia", "colon-cancer", "gisette"],
                         args.ratios, args.target, args.repeat, **common)
    elif args.task == "logistic":
        rows = run_logistic(args.datasets or ["leukemia", "a9a"], args.ratios,
                            args.target, args.repeat,
                            fit_intercept=args.fit_intercept, **common)
    else:
        rows = run_svm(args.datasets or ["a9a", "w8a", "gisette"], args.Cs,
                       args.target, args.repeat, loss=args.loss,
                       penalty=args.penalty, **common)
    print(format_datasets(rows))
    print()
    if args.task == "svm":
        print(format_rows(rows, "(P - P*) / P*", "tol used"))
    else:
        print(format_rows(rows))
    if args.plot:
        plot_rows(rows, args.plot, f"{args.task}: time to a {args.target:g} target")


if __name__ == "__main__":
    main()
