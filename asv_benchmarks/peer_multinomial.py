# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Multinomial L1-logistic regression against scikit-learn's saga, same certified gap.

The objective is scikit-learn's ``LogisticRegression(l1_ratio=1)`` for three
classes or more, ``P(W, b) = C sum_i [logsumexp(z_i) - z_{i, y_i}] +
||W||_1`` with ``z_i = W x_i + b`` (``BlitzLogisticL1``'s default model).
Every solver's tolerance is tightened (10x per try) until its solution has a
duality gap at most ``--target * P(0)``, computed by
:func:`multinomial_certificate` below from the returned coefficients alone,
outside every solver (``P(0)`` is the null model's objective, ``W = 0`` and
the log class priors as intercept).  The first try of each tolerance runs in
a forked child, killed after ``--max-seconds`` (``peer_comparison.py``'s
machinery); at the loosest tolerance that met the target the solvers are then
timed in the parent, interleaved (one fit of each solver per round, after
one warm-up fit each), and the table gives the median CPU time
(``time.process_time``) of ``--repeat`` rounds.

Data sets: ``digits`` (scikit-learn's, standardised; 10 classes),
``news20-<n>`` (``n`` seeded rows of LIBSVM's 20-class ``news20``, rows scaled
to unit norm, unused columns dropped) and ``sparse50`` (a generated tf-idf-like
matrix of ``_peer_data.py`` with 50 classes, the argmax of a sparse linear
score plus Gumbel noise).  Run from the repository root, single-threaded::

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \\
        python asv_benchmarks/peer_multinomial.py --datasets digits
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.special import logsumexp, xlogy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _peer_data import sparse_tfidf  # noqa: E402
from _peer_memory import fit_in_child  # noqa: E402

NAN = float("nan")


def load(name):
    """``(X, y)`` of one of the data sets of the module docstring (``y`` in 0..K-1)."""
    if name == "digits":
        from sklearn.datasets import load_digits
        from sklearn.preprocessing import StandardScaler

        X, y = load_digits(return_X_y=True)
        X = X[:, X.std(axis=0) > 0]
        return np.asfortranarray(StandardScaler().fit_transform(X)), y
    if name.startswith("news20"):
        from blitzlearn.datasets import load_libsvm

        X, y = load_libsvm("news20")
        n = int(name.split("-")[1]) if "-" in name else X.shape[0]
        rows = np.sort(np.random.default_rng(0).choice(X.shape[0], n, replace=False))
        X = sp.csr_matrix(X[rows])
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
        X = sp.csc_matrix(sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ X)
        X = X[:, np.flatnonzero(np.diff(X.indptr))].tocsc()
        return X, np.unique(y[rows], return_inverse=True)[1]
    if name == "sparse50":
        X = sparse_tfidf(5000, 20000, 0.002, random_state=50)
        rng = np.random.default_rng(51)
        frequent = np.argsort(-np.diff(X.indptr), kind="stable")[:400]
        W = np.zeros((X.shape[1], 50))
        W[frequent] = rng.standard_normal((400, 50)) * (rng.random((400, 50)) < 0.2)
        scores = np.asarray(X @ W) * 8.0 + rng.gumbel(size=(X.shape[0], 50))
        return X, np.unique(scores.argmax(axis=1), return_inverse=True)[1]
    raise ValueError(f"unknown data set {name!r}")


def multinomial_certificate(X, y, coef, intercept, C):
    """Objective and duality gap of a multinomial L1 solution (scikit-learn units).

    The dual point comes from the softmax probabilities ``q_i = p_i``: first
    mixed with the class priors, ``q_i <- (1 - t) q_i + t pi``, by the
    smallest ``t`` that makes ``sum_i (q_i - e_{y_i}) = 0`` (the intercept's
    dual constraint) with ``pi >= 0``; then ``G = C (q - Y)`` is shrunk,
    ``q_i <- e_{y_i} + (q_i - e_{y_i}) / s`` with ``s = max(1, max_jk
    |(X^T G)_{jk}|)``, into the L1 dual's box.  The dual value is ``C sum_i
    H(q_i)`` (``H`` the Shannon entropy); weak duality makes ``P - D`` a bound
    on ``P - P*`` (``../shared/design/family.md``, section 5).
    """
    n, K = X.shape[0], coef.shape[0]
    Z = np.asarray(X @ coef.T) + intercept
    lse = logsumexp(Z, axis=1)
    primal = C * float((lse - Z[np.arange(n), y]).sum()) + float(np.abs(coef).sum())
    Q = np.exp(Z - lse[:, None])
    Y = np.zeros((n, K))
    Y[np.arange(n), y] = 1.0
    totals = Y.sum(axis=0)
    m = Q.sum(axis=0)
    over = m > totals  # classes the probabilities over-count
    t = float(np.max((m[over] - totals[over]) / m[over])) if over.any() else 0.0
    if t > 0.0:
        pi = np.maximum((totals - (1.0 - t) * m) / (t * n), 0.0)
        Q = (1.0 - t) * Q + t * pi
    G = C * (Q - Y)
    s = max(1.0, float(np.abs(np.asarray(X.T @ G)).max()))
    Q = Y + (Q - Y) / s
    dual = -C * float(xlogy(Q, np.clip(Q, 0.0, None)).sum())
    return primal, primal - dual


def null_objective(X, y, C):
    """``P(0)``: ``W = 0`` with the log class priors as intercept."""
    K = int(y.max()) + 1
    prior = np.bincount(y, minlength=K) / y.size
    return multinomial_certificate(X, y, np.zeros((K, X.shape[1])), np.log(prior),
                                   C)[0]


def c_min(X, y):
    """Smallest ``C`` with a nonzero solution: ``1 / max |X^T (Y - priors)|``."""
    K = int(y.max()) + 1
    Y = np.zeros((y.size, K))
    Y[np.arange(y.size), y] = 1.0
    return 1.0 / float(np.abs(np.asarray(X.T @ (Y - Y.mean(axis=0)))).max())


def solvers():
    """Name -> (factory(C, tol), first tol, tries)."""
    from sklearn.linear_model import LogisticRegression

    from blitzlearn import BlitzLogisticL1

    return {
        # BlitzLogisticL1 stops at gap <= tol * P(0): the target itself
        "blitzlearn": (lambda C, tol: BlitzLogisticL1(C=C, tol=tol,
                                                      max_iter=100_000), 1.0, 4),
        # saga stops when an epoch moves no weight by more than tol * max|w|:
        # not a gap, so it is tightened from a loose start
        "saga": (lambda C, tol: LogisticRegression(
            C=C, l1_ratio=1.0, solver="saga", tol=tol, max_iter=100_000,
            random_state=0), 1e2, 5),
    }


def _cpu_fit(model, X, y):
    start = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, y)
    return time.process_time() - start


def run(names, ratios, target, repeat, max_seconds, keep=None):
    rows = []
    for name in names:
        X, y = load(name)
        base = c_min(X, y)
        for ratio in ratios:
            C = base * ratio
            p0 = null_objective(X, y, C)
            goal = target * p0
            found = {}
            for label, (make, first, tries) in solvers().items():
                if keep and label not in keep:
                    continue
                tol, check = first * target, None
                for _ in range(tries):
                    def build(tol=tol, make=make, C=C):
                        return make(C, tol)

                    def certify(m, X=X, y=y, C=C):
                        return multinomial_certificate(X, y, m.coef_,
                                                       m.intercept_, C)

                    check = fit_in_child(build, X, y, certify, max_seconds, goal)
                    if check.timed_out or check.gap <= goal:
                        break
                    tol /= 10.0
                found[label] = (tol, check)
                print(f"{name} C_min*{ratio:g} {label}: tol {tol:.0e} gap/P(0) "
                      f"{check.gap / p0:.1e} first fit {check.seconds:.2f} s"
                      + (" (capped)" if check.timed_out else ""),
                      file=sys.stderr, flush=True)
            ok = {k: v for k, v in found.items()
                  if not v[1].timed_out and v[1].gap <= goal}
            times = {k: [] for k in ok}
            for k in ok:  # warm-up: Numba compilation, caches
                _cpu_fit(solvers()[k][0](C, ok[k][0]), X, y)
            for _ in range(repeat):  # interleaved rounds
                for k in ok:
                    times[k].append(_cpu_fit(solvers()[k][0](C, ok[k][0]), X, y))
            for k, (tol, check) in found.items():
                seconds = statistics.median(times[k]) if k in times else NAN
                rows.append((name, X.shape, int(y.max()) + 1, f"C_min*{ratio:g}", k,
                             seconds, check.gap / p0, tol, check.timed_out))
    return rows


def format_rows(rows, max_seconds):
    lines = [f"{'data':<12} {'shape':>14} {'K':>3} {'level':>10} {'solver':>10} "
             f"{'CPU s':>9} {'gap/P(0)':>9} {'tol':>7} {'speed-up':>9}"]
    blitz = {(r[0], r[3]): r[5] for r in rows if r[4] == "blitzlearn"}
    for data, shape, K, level, solver, sec, gap, tol, capped in rows:
        shown = (f">{max_seconds:g}" if capped else
                 ("missed" if np.isnan(sec) else f"{sec:.3f}"))
        ratio = ""
        if solver != "blitzlearn" and not np.isnan(sec):
            ratio = f"{sec / blitz[(data, level)]:.1f}x"
        elif solver != "blitzlearn":
            ratio = f">{max_seconds / blitz[(data, level)]:.0f}x" if capped else "-"
        lines.append(f"{data:<12} {str(shape):>14} {K:>3} {level:>10} {solver:>10} "
                     f"{shown:>9} {gap:>9.1e} {tol:>7.0e} {ratio:>9}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+",
                        default=["digits", "news20-3000", "sparse50"])
    parser.add_argument("--ratios", nargs="+", type=float, default=[10.0],
                        help="C / C_min")
    parser.add_argument("--target", type=float, default=1e-6,
                        help="certified gap target as a fraction of P(0)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-seconds", type=float, default=300.0)
    parser.add_argument("--solvers", nargs="+", default=None)
    args = parser.parse_args(argv)
    rows = run(args.datasets, args.ratios, args.target, args.repeat,
               args.max_seconds, keep=args.solvers)
    print(format_rows(rows, args.max_seconds))


if __name__ == "__main__":
    main()
