# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Where a fit's time goes: the BlitzWS stages of one estimator on one data set.

Every method of the problem plug-in that the engine calls (``refresh``: the
upper point's line search and the certificate; ``priorities`` and
``discard``: capsules and screening; ``solve``: the subproblem; ``full_gap``:
the final certificate on every component; ``__init__``: column or row
statistics) is wrapped by a timer, and the rest of ``fit`` (input
validation, the engine's own bookkeeping) is reported as ``other``.  The
figures are the mean over ``--repeat`` warm fits (JIT compilation excluded),
in milliseconds, with each stage's share of the fit and the number of calls
per fit.

This is the coarse view; for a line-level one, run the same fits under a
sampling profiler, e.g.::

    OMP_NUM_THREADS=1 py-spy record -r 500 -f raw -o fit.txt -- \\
        python asv_benchmarks/profile_fit.py --estimator svc --data a9a --reg 1

(``py-spy`` attributes the time of a Numba kernel to the Python line that
calls it.)  Run from the repository root::

    OMP_NUM_THREADS=1 python asv_benchmarks/profile_fit.py \\
        --estimator logistic --data rcv1-like --reg 100
"""

import argparse
import collections
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peer_comparison import load  # noqa: E402

STAGES = ("__init__", "refresh", "priorities", "discard", "solve", "full_gap",
          "restore")


def build(estimator, X, y, reg, tol):
    """``(make, X, y, problem_class)``: an estimator factory and its data.

    ``reg`` is ``alpha_max / alpha`` (lasso), ``C / C_min`` (logistic) or
    ``C`` (svc).
    """
    from blitzlearn import BlitzLasso, BlitzLogisticL1, BlitzSVC

    if estimator == "lasso":
        from blitzlearn._problems._lasso import LassoProblem

        yc = y - y.mean()
        alpha = float(np.max(np.abs(X.T @ yc))) / X.shape[0] / reg
        return (lambda: BlitzLasso(alpha=alpha, tol=tol)), X, y, LassoProblem
    labels = np.where(y > np.median(y), 1.0, -1.0) if np.unique(y).size > 2 \
        else np.where(y > 0, 1.0, -1.0)
    if estimator == "logistic":
        from blitzlearn._problems._logistic import LogisticProblem
        from blitzlearn.linear_model._logistic_path import c_min

        C = reg * c_min(X, labels, np.ones(X.shape[0]), False)
        return (lambda: BlitzLogisticL1(C=C, tol=tol, fit_intercept=False)), X, \
            labels, LogisticProblem
    from blitzlearn._problems._svm import SVMProblem

    X = X.tocsr() if sp.issparse(X) else X  # BlitzSVC reads rows
    return (lambda: BlitzSVC(C=reg, loss="hinge", tol=tol, max_iter=100_000)), \
        X, labels, \
        SVMProblem


def profile(make, X, y, problem_class, repeat):
    """Mean milliseconds and calls per fit of each stage, and of the whole fit."""
    seconds = collections.Counter()
    calls = collections.Counter()
    originals = {}
    for name in STAGES:
        method = getattr(problem_class, name)
        originals[name] = method

        def timed(*args, _method=method, _name=name, **kwargs):
            start = time.perf_counter()
            try:
                return _method(*args, **kwargs)
            finally:
                seconds[_name] += time.perf_counter() - start
                calls[_name] += 1

        setattr(problem_class, name, timed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            make().fit(X, y)  # warm-up: compilation, caches
            seconds.clear()
            calls.clear()
            start = time.perf_counter()
            for _ in range(repeat):
                make().fit(X, y)
            total = time.perf_counter() - start
    finally:
        for name, method in originals.items():
            setattr(problem_class, name, method)
    stages = {k: (1e3 * seconds[k] / repeat, calls[k] / repeat) for k in STAGES}
    return 1e3 * total / repeat, stages


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--estimator", choices=["lasso", "logistic", "svc"],
                        default="svc")
    parser.add_argument("--data", default="a9a",
                        help="a LIBSVM set or a generated one (rcv1-like, ...)")
    parser.add_argument("--reg", type=float, default=1.0,
                        help="alpha_max / alpha (lasso), C / C_min (logistic), "
                        "C (svc)")
    parser.add_argument("--tol", type=float, default=1e-6)
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args(argv)
    task = {"lasso": "lasso", "logistic": "logistic", "svc": "svm"}[args.estimator]
    X, y = load(args.data, task)
    make, X, y, problem_class = build(args.estimator, X, y, args.reg, args.tol)
    total, stages = profile(make, X, y, problem_class, args.repeat)
    print(f"{args.estimator} on {args.data}, reg {args.reg:g}, tol {args.tol:g}: "
          f"{total:.1f} ms per fit (mean of {args.repeat})")
    print("| stage | ms per fit | share | calls per fit |")
    print("|---|---|---|---|")
    for name, (ms, n_calls) in stages.items():
        if n_calls:
            print(f"| {name} | {ms:.1f} | {ms / total:.0%} | {n_calls:g} |")
    other = total - sum(ms for ms, _ in stages.values())
    print(f"| other (validation, engine) | {other:.1f} | {other / total:.0%} | |")


if __name__ == "__main__":
    main()
