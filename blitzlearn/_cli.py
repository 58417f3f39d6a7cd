# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""``python -m blitzlearn``: every estimator family beside its scikit-learn peer.

Without ``--data`` the job runs on embedded problems that need no download
(scikit-learn's bundled diabetes and breast-cancer sets, and small generated
sparse problems): the Lasso, the Lasso path and cross-validation on the
regression problems; L1-logistic regression, the linear SVM and AdaScale SGD
on the classification problems.  With ``--data FILE`` it runs on a
svmlight/LIBSVM file, as a regression or a classification problem depending
on its labels (``--task`` overrides).

Each row is printed as soon as its fits finish.  Objectives and duality gaps
are computed outside every solver, from the returned coefficients: a gap is
the row's objective minus the best dual lower bound that blitzlearn's
certificate machinery finds from the row's own model and from the reference
models of the same problem, so a solver that stopped early (saga at its epoch
budget, say) shows the gap it actually left and is marked as not meeting the
tolerance.
"""

import argparse
import os
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._cli_problems import (
    MAX_CLASSES,
    adascale_rows,
    classification_type,
    embedded_classification,
    embedded_regression,
    lasso_objective,
    lasso_rows,
    load_problem,
    logistic_rows,
    path_rows,
    svm_rows,
)

__all__ = ["build_parser", "lasso_objective", "main"]

HEADERS = {
    "certified": ("problem", "level", "solver", "time (s)", "objective",
                  "duality gap", "tol", "met tol", "nnz"),
    "sgd": ("problem", "level", "solver", "time (s)", "objective",
            "gap to optimum", "steps", "mean gain", "accuracy"),
}


class Table:
    """Markdown tables written row by row on ``out``, flushed at each row."""

    def __init__(self, out):
        self.out = out

    def write(self, text=""):
        self.out.write(text + "\n")
        self.out.flush()

    def section(self, title, kind):
        head = HEADERS[kind]
        self.write(f"\n## {title}\n")
        self.write("| " + " | ".join(head) + " |")
        self.write("|" + "---|" * len(head))

    def row(self, cells):
        self.write("| " + " | ".join(str(c) for c in cells) + " |")


def _positive_float(text):
    value = float(text)
    if not value > 0:  # also refuses nan
        raise argparse.ArgumentTypeError(f"must be positive, got {text}")
    return value


def build_parser():
    """The command-line parser of ``python -m blitzlearn``."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="python -m blitzlearn",
        description=(
            "Fit every blitzlearn estimator family (Lasso, L1-logistic, linear "
            "SVM, Lasso path and CV, AdaScale SGD) next to its scikit-learn "
            "peer and print, row by row, fit time, objective, duality gap "
            "(computed outside the solvers), the tolerance and whether it was "
            "met. Without --data, runs on embedded problems: no download."
        ),
    )
    parser.add_argument("--version", action="version",
                        version=f"blitzlearn {__version__}")
    parser.add_argument("--data", metavar="FILE",
                        help="svmlight/LIBSVM file (may be .bz2/.gz) to use "
                             "instead of the embedded problems")
    parser.add_argument("--task", choices=("auto", "regression", "classification"),
                        default="auto",
                        help="how to read --data's labels (default: auto, "
                             "classification when they are few integers)")
    parser.add_argument("--ratios", metavar="R", type=_positive_float, nargs="+",
                        default=[0.1, 0.01],
                        help="regularisation levels: alpha = alpha_max * R for "
                             "the Lasso, C = C_min / R for L1-logistic "
                             "(default: 0.1 0.01)")
    parser.add_argument("--svm-C", metavar="C", type=_positive_float, nargs="+",
                        default=[0.01, 0.1], dest="svm_c",
                        help="C of the linear SVM (default: 0.01 0.1)")
    parser.add_argument("--tol", type=_positive_float, default=1e-6,
                        help="tolerance of every solver, relative to the "
                             "null model's objective (default: 1e-6)")
    return parser


def _read_data(parser, args):
    """``(name, X, y)`` of ``--data``, or a usage error naming the problem."""
    path = args.data
    if not os.path.isfile(path):
        parser.error(f"--data: no such file: {path}")
    try:
        return load_problem(path)
    except (ValueError, OSError, EOFError, UnicodeDecodeError) as exc:
        parser.error(f"--data: {path} is not a svmlight/LIBSVM file ({exc})")


def _quiet(run, *args):
    """Rows of ``run(*args)``, the peers' ConvergenceWarnings silenced.

    A peer that stops early is reported by its gap and "no" in the table.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield from run(*args)


def main(argv=None, out=None):
    """Run the job; returns the exit status (2 with a usage message on bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out = sys.stdout if out is None else out
    table = Table(out)
    start = time.perf_counter()
    if args.data:
        name, X, y = _read_data(parser, args)
        n_labels = np.unique(y).size
        if n_labels < 2:
            parser.error(f"--data: every label of {args.data} is the same; "
                         "nothing to fit")
        kind = args.task if args.task != "auto" else classification_type(y)
        if kind == "classification" and n_labels > MAX_CLASSES:
            parser.error(f"--data: {n_labels} distinct labels is too many classes "
                         f"(at most {MAX_CLASSES}); use --task regression")
        regression = [(name, X, y)] if kind == "regression" else []
        classification = [(name, X, y)] if kind == "classification" else []
        table.write(f"{name}: labels read as a {kind} target"
                    + (f" ({np.unique(y).size} classes)"
                       if kind == "classification" else ""))
    else:
        regression = list(embedded_regression())
        classification = list(embedded_classification())
    table.write(f"tol = {args.tol:g} (each family's note says relative to "
                "what). Fit times exclude compiling Numba's kernels, which "
                "ship with the installed package (or are compiled once on "
                "first use and cached on disk).")
    families = []
    if regression:
        families += [
            ("Lasso: BlitzLasso vs sklearn Lasso", "certified", lasso_rows,
             regression, args.ratios,
             "tol x ||y - mean(y)||^2 / n, the Lasso's own stopping rule"),
            ("Lasso path and cross-validation", "certified", path_rows,
             regression[:1], args.ratios,
             "the Lasso's tolerance at every alpha; the path's gap is its "
             "largest over the alphas"),
        ]
    if classification:
        families += [
            ("L1-logistic: BlitzLogisticL1 vs sklearn saga", "certified",
             logistic_rows, classification, args.ratios,
             "tol x the null model's objective; saga's own tol is on its "
             "steps, and it stops at 100 epochs"),
            ("Linear SVM: BlitzSVC vs sklearn LinearSVC (hinge)", "certified",
             svm_rows, classification, args.svm_c,
             "tol x the optimal objective (BlitzSVC's relative rule)"),
            ("AdaScale SGD vs the linear scaling rule and sklearn SGD", "sgd",
             adascale_rows, classification[:1], None,
             "5 epochs of the S = 1 recipe; gap to the optimum of the same "
             "L2-logistic objective (an L-BFGS reference)"),
        ]
    for title, kind, run, problems, levels, note in families:
        table.section(title, kind)
        for problem in problems:
            for cells in _quiet(run, problem, levels, args.tol):
                table.row(cells)
        table.write(f"\ntolerance: {note}.")
    table.write(f"\ntotal {time.perf_counter() - start:.1f} s")
    return 0
