# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Proof that a refactoring keeps the iterates: fit everything, compare bit for bit.

``save`` fits BlitzLasso, BlitzLogisticL1 (with and without intercept) and
BlitzSVC at two regularisations each, BlitzElasticNet and BlitzLogisticL1 at
``l1_ratio=0.5``, ``blitz_lasso_path``, ``blitz_enet_path``,
``blitz_logistic_l1_path``, BlitzLassoCV, BlitzElasticNetCV and
BlitzLogisticL1CV, and
AdaScaleSGDClassifier under several recipes, on the shared LIBSVM sets (both
layouts of leukemia and a9a, 500 rows of gisette, a binary 2000-row subset of
news20), and saves ``coef_``, ``intercept_``, ``dual_gap_``, ``n_iter_`` (and
the paths' and CVs' results) to one ``.npz``.  An exception is saved as its
text, so it is compared too.  ``compare`` reports the arrays that differ, with
their largest relative difference.

Run the reference on an export of the base commit, then the change, each
with its own ``PYTHONPATH`` (the export keeps the main checkout free of
Numba's cache files)::

    git archive BASE blitzlearn | tar -x -C /tmp/base
    export BLITZLEARN_DATA=/path/to/shared/datasets
    PYTHONPATH=/tmp/base python asv_benchmarks/same_iterates.py save base.npz
    PYTHONPATH=$PWD python asv_benchmarks/same_iterates.py save new.npz
    python asv_benchmarks/same_iterates.py compare base.npz new.npz
"""

import argparse
import time
import warnings

import numpy as np
import scipy.sparse as sp

DATASETS = ("leukemia", "colon-cancer", "a9a", "w8a", "gisette", "dorothea", "news20")
BOTH_LAYOUTS = ("leukemia", "a9a")
WITH_CV = ("leukemia", "colon-cancer", "a9a")


def _data(name):
    from blitzlearn.datasets import load_libsvm

    X, y = load_libsvm(name)
    if name == "news20":  # binary: classes 1-10 against 11-20, 2000 rows
        y = np.where(y <= 10, 1.0, -1.0)[:2000]
        X = X.tocsr()[:2000].tocsc()
        X = X[:, np.flatnonzero(np.diff(X.indptr))]
    if name == "gisette":
        X, y = np.asfortranarray(X[:500]), y[:500]
    return X, y


def _layouts(name, X):
    dense = not sp.issparse(X)
    out = {"dense" if dense else "sparse": X}
    if name in BOTH_LAYOUTS:
        other = sp.csc_matrix(X) if dense else np.asfortranarray(X.toarray())
        out["sparse" if dense else "dense"] = other
    return out


class _Results(dict):
    """Arrays by key; ``run`` times a fit and records its result or error."""

    def add(self, key, est):
        for attr in ("coef_", "intercept_", "dual_gap_", "n_iter_", "alpha_", "C_"):
            if hasattr(est, attr):
                v = getattr(est, attr)
                self[f"{key}/{attr}"] = np.asarray(v.toarray() if sp.issparse(v) else v)

    def run(self, key, fit, *args, **kwargs):
        start = time.perf_counter()
        try:
            result = fit(*args, **kwargs)
            if isinstance(result, tuple):  # a path
                for k, v in enumerate(result):
                    self[f"{key}/{k}"] = np.asarray(v)
            else:
                self.add(key, result)
        except Exception as exc:  # compared like a result
            self[f"{key}/error"] = np.array(repr(exc))
        print(f"{key}: {time.perf_counter() - start:.1f}s", flush=True)


def _linear_models(out):
    from blitzlearn import (
        BlitzElasticNet,
        BlitzElasticNetCV,
        BlitzLasso,
        BlitzLassoCV,
        BlitzLogisticL1,
        BlitzLogisticL1CV,
        BlitzSVC,
        blitz_enet_path,
        blitz_lasso_path,
        blitz_logistic_l1_path,
    )
    from blitzlearn.linear_model._logistic_path import c_min

    for name in DATASETS:
        X, y = _data(name)
        layouts = _layouts(name, X)
        for lay, Xl in layouts.items():
            key = f"{name}/{lay}"
            a_max = float(np.abs(np.asarray(Xl.T @ (y - y.mean()))).max()) / y.size
            c0 = c_min(Xl, y, np.ones_like(y), True)
            for div in (10, 100):
                out.run(f"{key}/lasso/{div}", BlitzLasso(alpha=a_max / div).fit,
                        Xl, y)
            for mul in (10, 100):
                out.run(f"{key}/logistic/{mul}", BlitzLogisticL1(C=c0 * mul).fit,
                        Xl, y)
            # the elastic net (l1_ratio 0.5: the L2 part in every kernel)
            out.run(f"{key}/enet/10", BlitzElasticNet(alpha=a_max / 5).fit, Xl, y)
            out.run(f"{key}/logistic_enet/10",
                    BlitzLogisticL1(C=c0 * 20, l1_ratio=0.5).fit, Xl, y)
            out.run(f"{key}/logistic_noint/10",
                    BlitzLogisticL1(C=c0 * 10, fit_intercept=False).fit, Xl, y)
            for C in (0.1, 1.0):
                out.run(f"{key}/svc/{C}", BlitzSVC(C=C, loss="hinge").fit, Xl, y)
                out.run(f"{key}/svc-squared/{C}", BlitzSVC(C=C).fit, Xl, y)
        X0 = next(iter(layouts.values()))
        out.run(f"{name}/lasso_path", blitz_lasso_path, X0, y, alphas=5, eps=1e-2,
                return_n_iter=True)
        out.run(f"{name}/logistic_path", blitz_logistic_l1_path, X0, y, Cs=5,
                eps=1e-2, return_n_iter=True)
        out.run(f"{name}/enet_path", blitz_enet_path, X0, y, alphas=5, eps=1e-2,
                return_n_iter=True)
        if name in WITH_CV:
            out.run(f"{name}/enet_cv", BlitzElasticNetCV(
                l1_ratio=[0.5, 0.9], alphas=5, eps=1e-2, cv=3).fit, X0, y)
            out.run(f"{name}/lasso_cv", BlitzLassoCV(alphas=5, eps=1e-2, cv=3).fit,
                    X0, y)
            out.run(f"{name}/logistic_cv",
                    BlitzLogisticL1CV(Cs=4, eps=1e-2, cv=3).fit, X0, y)


def _sgd(out):
    from blitzlearn import AdaScaleSGDClassifier
    from blitzlearn.datasets import load_libsvm

    X, y = load_libsvm("a9a")
    X, y = X.tocsr()[:8000], y[:8000]
    Xn, yn = load_libsvm("news20")  # multiclass: one-vs-rest rows
    Xn, yn = Xn.tocsr()[:600], yn[:600]
    Xn = Xn[:, np.flatnonzero(np.diff(Xn.tocsc().indptr))][:, :3000]
    sets = (("sparse", X, y), ("dense", np.ascontiguousarray(X.toarray()), y),
            ("news20", Xn, yn))
    recipes = ((1, 1, "adascale"), (32, 4, "adascale"), (16, 4, "linear"))
    for lay, Xs, ys in sets:
        for loss in ("log_loss", "hinge", "modified_huber"):
            for size, scale, rule in recipes:
                for schedule in ("constant", "step"):
                    clf = AdaScaleSGDClassifier(
                        loss=loss, batch_size=size, scale=scale, scaling_rule=rule,
                        max_epochs=1, momentum=0.9 if size > 1 else 0.0,
                        learning_rate=schedule,
                        lr_milestones=[1] if schedule == "step" else None,
                        random_state=0)
                    out.run(f"sgd/{lay}/{loss}/{size}/{scale}/{rule}/{schedule}",
                            clf.fit, Xs, ys)


def save(path):
    """Fit everything and save the results to ``path`` (``.npz``)."""
    import blitzlearn

    print("blitzlearn from", blitzlearn.__file__, flush=True)
    warnings.simplefilter("ignore")
    out = _Results()
    _linear_models(out)
    _sgd(out)
    np.savez(path, **out)
    print(f"saved {len(out)} arrays to {path}")


def compare(path_a, path_b, rtol=1e-12):
    """Print the arrays of two ``save`` files that are not bit-identical.

    Returns the number of arrays that differ by more than ``rtol`` (relative,
    entry by entry) or that only one file holds.
    """
    a, b = np.load(path_a), np.load(path_b)
    only = sorted(set(a.files) ^ set(b.files))
    for key in only:
        print(f"ONLY IN ONE: {key}")
    same = close = differ = 0
    for key in sorted(set(a.files) & set(b.files)):
        x, y = a[key], b[key]
        if x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes():
            same += 1
            continue
        if x.dtype.kind == "f" and x.shape == y.shape:
            scale = np.maximum(np.abs(x), np.finfo(float).tiny)
            rel = float(np.max(np.abs(x - y) / scale, initial=0.0))
            if rel <= rtol:
                close += 1
                print(f"CLOSE {key}: relative difference {rel:.2e}")
                continue
            print(f"DIFF {key}: relative difference {rel:.2e}")
        else:
            print(f"DIFF {key}: {x!r} against {y!r}")
        differ += 1
    print(f"{same} bit-identical, {close} within {rtol:g}, {differ} different, "
          f"{len(only)} in one file only")
    return differ + len(only)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("save").add_argument("path")
    cmp = sub.add_parser("compare")
    cmp.add_argument("base")
    cmp.add_argument("new")
    cmp.add_argument("--rtol", type=float, default=1e-12)
    args = parser.parse_args()
    if args.command == "save":
        save(args.path)
    else:
        raise SystemExit(1 if compare(args.base, args.new, args.rtol) else 0)


if __name__ == "__main__":
    main()
