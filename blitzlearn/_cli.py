# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""``python -m blitzlearn``: fit every estimator beside its scikit-learn twin.

Without ``--data`` the job runs on embedded problems that need no download:
for the Lasso, scikit-learn's diabetes data and a generated sparse
high-dimensional regression; for L1-logistic regression, the standardised
breast-cancer data and a generated sparse classification.  With ``--data FILE``
it runs on a svmlight/LIBSVM file (L1-logistic too when the file has two
labels).  For each problem and regularisation level it prints fit time,
objective, duality gap and number of nonzero coefficients of the blitzlearn
estimator and of the scikit-learn estimator with the same objective.
"""

import argparse
import time
import warnings
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning


@dataclass
class Row:
    problem: str
    level: str
    solver: str
    seconds: float
    objective: float
    gap: float
    nnz: int


def lasso_objective(X, y, coef, intercept, alpha):
    """scikit-learn's Lasso objective, computed outside every solver."""
    resid = y - X @ coef - intercept
    return 0.5 * float(resid @ resid) / X.shape[0] + alpha * float(np.abs(coef).sum())


def lasso_alpha_max(X, y):
    """Smallest alpha for which the Lasso with intercept has all-zero weights."""
    return float(np.abs(X.T @ (y - y.mean())).max()) / X.shape[0]


def _timed_fit(model, X, y):
    """Seconds taken by ``model.fit(X, y)`` (convergence warnings silenced)."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    return time.perf_counter() - start


def run_lasso(name, X, y, ratios, tol):
    """Rows comparing BlitzLasso and scikit-learn's Lasso on one problem."""
    from sklearn.linear_model import Lasso

    from .linear_model import BlitzLasso

    alpha_max = lasso_alpha_max(X, y)
    # Compile the kernels this problem needs, so the times below are solve times.
    BlitzLasso(alpha=alpha_max * ratios[0], tol=tol).fit(X, y)
    rows = []
    for ratio in ratios:
        alpha = alpha_max * ratio
        for label, model in (
            ("BlitzLasso", BlitzLasso(alpha=alpha, tol=tol)),
            ("sklearn Lasso", Lasso(alpha=alpha, tol=tol, max_iter=100_000)),
        ):
            seconds = _timed_fit(model, X, y)
            rows.append(Row(
                problem=name, level=f"alpha_max*{ratio:g}", solver=label,
                seconds=seconds,
                objective=lasso_objective(X, y, model.coef_, model.intercept_, alpha),
                gap=float(model.dual_gap_), nnz=int(np.count_nonzero(model.coef_)),
            ))
    return rows


# Epoch budget of the saga reference in the logistic rows (keeps the job short).
SAGA_MAX_ITER = 100


def logistic_objective(X, y, coef, intercept, C):
    """scikit-learn's L1-logistic objective (labels: ``y > 0`` is positive)."""
    margin = np.where(y > 0, 1.0, -1.0) * (X @ np.ravel(coef) + float(intercept))
    return C * float(np.logaddexp(0.0, -margin).sum()) + float(np.abs(coef).sum())


def run_logistic(name, X, y, ratios, tol):
    """Rows comparing BlitzLogisticL1 and scikit-learn's saga on one problem.

    ``ratios`` are read as ``C_min / C`` (the analogue of ``alpha / alpha_max``).
    The rows' gap is blitzlearn's certificate; saga reports none and may stop
    at ``SAGA_MAX_ITER`` epochs before reaching ``tol`` (its objective shows it).
    """
    from sklearn.linear_model import LogisticRegression

    from .linear_model import BlitzLogisticL1
    from .linear_model._logistic_path import c_min as smallest_c

    labels = np.where(y > 0, 1.0, -1.0)
    c_min = smallest_c(X, labels, np.ones(labels.size), fit_intercept=True)
    BlitzLogisticL1(C=c_min / ratios[0], tol=tol).fit(X, y)  # compile
    rows = []
    for ratio in ratios:
        C = c_min / ratio
        for label, model in (
            ("BlitzLogisticL1", BlitzLogisticL1(C=C, tol=tol)),
            ("sklearn saga", LogisticRegression(C=C, l1_ratio=1.0, solver="saga",
                                                tol=tol, max_iter=SAGA_MAX_ITER)),
        ):
            seconds = _timed_fit(model, X, y)
            rows.append(Row(
                problem=name, level=f"C_min*{1 / ratio:g}", solver=label,
                seconds=seconds,
                objective=logistic_objective(X, y, model.coef_, model.intercept_[0],
                                             C),
                gap=float(getattr(model, "dual_gap_", [np.nan])[0]),
                nnz=int(np.count_nonzero(model.coef_)),
            ))
    return rows


def embedded_classification(random_state=0):
    """The default classification problems: breast cancer and a sparse one."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    yield "breast cancer (569x30, standardised)", np.asfortranarray(X), y

    rng = np.random.default_rng(random_state)
    n, d = 5000, 2000
    X = sp.random(n, d, density=0.005, format="csc", random_state=rng)
    coef = np.zeros(d)
    coef[rng.choice(d, size=50, replace=False)] = 10 * rng.normal(size=50)
    score = X @ coef
    y = (score + 0.5 * rng.normal(size=n) > np.median(score)).astype(int)
    yield f"generated sparse ({n}x{d}, {X.nnz} nnz)", X, y


def embedded_problems(random_state=0):
    """The default problems: diabetes and a generated sparse regression."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    yield "diabetes (442x10, dense)", np.asfortranarray(X), y

    rng = np.random.default_rng(random_state)
    n, d = 1000, 20000
    X = sp.random(n, d, density=0.002, format="csc", random_state=rng)
    support = rng.choice(d, size=50, replace=False)
    coef = np.zeros(d)
    coef[support] = rng.normal(size=50)
    y = X @ coef + 0.01 * rng.normal(size=n)
    yield f"generated sparse ({n}x{d}, {X.nnz} nnz)", X, y


def load_problem(path):
    """A svmlight/LIBSVM file as a regression problem on its labels."""
    from sklearn.datasets import load_svmlight_file

    X, y = load_svmlight_file(path)
    return f"{path} ({X.shape[0]}x{X.shape[1]}, {X.nnz} nnz)", X.tocsc(), y


def format_table(rows):
    """Markdown table of the rows."""
    head = ("| problem | level | solver | fit time (s) | objective | duality gap "
            "| nnz |\n|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        lines.append(f"| {r.problem} | {r.level} | {r.solver} | {r.seconds:.4f} | "
                     f"{r.objective:.12g} | {r.gap:.2e} | {r.nnz} |")
    return "\n".join(lines)


def build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m blitzlearn",
        description=(
            "Fit every blitzlearn estimator next to its scikit-learn equivalent "
            "and print fit time, objective, duality gap and nonzeros. Without "
            "--data, runs on embedded problems (diabetes and a generated sparse "
            "high-dimensional regression); no download needed."
        ),
    )
    parser.add_argument("--data", metavar="FILE",
                        help="svmlight/LIBSVM file (may be .bz2/.gz) to use instead")
    parser.add_argument("--ratios", metavar="R", type=float, nargs="+",
                        default=[0.1, 0.01],
                        help="regularisation as fractions of alpha_max, and "
                             "C_min / C for L1-logistic (default: 0.1 0.01)")
    parser.add_argument("--tol", type=float, default=1e-6,
                        help="tolerance passed to every solver (default: 1e-6)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    if any(not 0 < r for r in args.ratios):
        build_parser().error("--ratios must be positive")
    problems = ([load_problem(args.data)] if args.data
                else list(embedded_problems()))
    rows = []
    for name, X, y in problems:
        rows += run_lasso(name, X, y, args.ratios, args.tol)
    if args.data:
        binary = [p for p in problems if np.unique(p[2]).size == 2]
    else:
        binary = list(embedded_classification())
    for name, X, y in binary:
        rows += run_logistic(name, X, y, args.ratios, args.tol)
    print(format_table(rows))
    print("\nFit times follow one warm-up fit per problem (Numba compiles its kernels "
          "on first use); objectives are scikit-learn's, computed outside the "
          f"solvers. saga runs at most {SAGA_MAX_ITER} epochs and reports no gap.")
    return 0
