# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Compile every kernel a fit uses, once, into a kernel cache.

``setup.py`` runs ``python -m blitzlearn._precompile FOLDER`` when it builds a
wheel, so the installed package carries its compiled kernels
(``blitzlearn/_jit_cache``, see :mod:`blitzlearn._jit`).  Without an argument
it fills the user cache, for example when building a container image on the
machine that will run it::

    python -m blitzlearn._precompile

The kernels compiled are exactly those of a set of tiny fits: every estimator,
path and cross-validation on dense, CSC and CSR input in float64 and float32,
with and without intercept and sample weights, narrow and wide, binary and
multiclass.
"""

import os
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp


def _problems():
    rng = np.random.default_rng(0)
    for n, d in ((60, 8), (30, 90), (200, 50)):
        X = rng.standard_normal((n, d))
        X[np.abs(X) < 0.5] = 0.0
        w = np.zeros(d)
        w[:4] = 1.0
        y = X @ w + 0.1 * rng.standard_normal(n)
        labels = np.arange(n) % 3
        for dtype in (np.float64, np.float32):
            Xd = X.astype(dtype)
            for layout in (np.asfortranarray(Xd), sp.csc_matrix(Xd), sp.csr_matrix(Xd)):
                yield layout, y, (y > np.median(y)).astype(np.int64), labels


def fits():
    """Run the tiny fits (all warnings silenced); return their number."""
    from . import linear_model as lm

    count = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for X, y, y2, y3 in _problems():
            sw = np.linspace(0.5, 1.5, X.shape[0])
            for intercept in (True, False):
                lm.BlitzLasso(alpha=0.01, fit_intercept=intercept).fit(X, y)
                lm.BlitzLasso(alpha=0.01, fit_intercept=intercept, positive=True).fit(
                    X, y, sample_weight=sw)
                lm.BlitzLogisticL1(C=1.0, fit_intercept=intercept).fit(X, y2)
                lm.BlitzLogisticL1(C=1.0, fit_intercept=intercept,
                                   class_weight="balanced").fit(X, y3, sample_weight=sw)
                for loss in ("squared_hinge", "hinge"):
                    lm.BlitzSVC(C=1.0, loss=loss, fit_intercept=intercept).fit(X, y2)
                    lm.BlitzSVC(C=1.0, loss=loss, fit_intercept=intercept).fit(
                        X, y3, sample_weight=sw)
                lm.BlitzSVC(C=1.0, penalty="l1", fit_intercept=intercept).fit(X, y2)
                lm.BlitzSVC(C=1.0, penalty="l1", fit_intercept=intercept,
                            penalize_intercept=False).fit(X, y3, sample_weight=sw)
                lm.AdaScaleSGDClassifier(scale=4, fit_intercept=intercept, max_epochs=2,
                                         random_state=0).fit(X, y2, sample_weight=sw)
                lm.AdaScaleSGDClassifier(loss="hinge", scale=1, max_epochs=1,
                                         fit_intercept=intercept, momentum=0.5,
                                         scaling_rule="linear",
                                         random_state=0).fit(X, y3)
                count += 8
            lm.blitz_lasso_path(X, y, alphas=3)
            lm.BlitzLassoCV(alphas=3, cv=2).fit(X, y)
            lm.blitz_logistic_l1_path(X, y2, Cs=3)
            lm.BlitzLogisticL1CV(Cs=2, cv=2).fit(X, y3)
            count += 4
    return count


def main(argv=None):
    """``python -m blitzlearn._precompile [FOLDER]``: fill a kernel cache."""
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        os.environ["BLITZLEARN_CACHE_DIR"] = os.path.abspath(argv[0])
        os.environ["BLITZLEARN_INSTALLED_CACHE"] = "0"  # compile everything
    from . import _jit

    start = time.perf_counter()
    count = fits()
    print(f"blitzlearn: compiled the kernels of {count} fits into "
          f"{_jit.user_cache_dir() / _jit.TAG} in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
