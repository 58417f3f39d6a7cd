# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Fit, predict, memory, certificate and iteration counts of each estimator.

Every suite runs on dense and sparse (CSR) data, float64 and float32, at two
regularisation levels.  ``<Estimator>Fit`` times ``fit`` after one untimed fit,
so Numba's compilation is excluded (:mod:`.cold` times the first fit in a
fresh process); ``<Estimator>Model`` reports the fitted gap and iteration
count and times ``predict``.
"""

import os

import numpy as np
from sklearn.base import clone

from blitzlearn import BlitzElasticNet, BlitzLasso, BlitzLogisticL1, BlitzSVC

from . import _data

# Each case is (layout, dtype, level), level being the index of the
# regularisation in the suite's ``levels``.  asv runs every case of every
# benchmark in a fresh process (about 2 s of imports each), so the default
# profile covers both layouts, both dtypes and both levels in 4 cases (asv run
# --quick within 3 minutes on 2 cores); BLITZLEARN_ASV_FULL=1 runs all 8.
if os.environ.get("BLITZLEARN_ASV_FULL") == "1":
    CASES = [f"{layout}-{dtype}-{level}" for layout in ("dense", "sparse")
             for dtype in ("float64", "float32") for level in (0, 1)]
else:
    CASES = ["dense-float64-0", "dense-float32-1", "sparse-float64-1",
             "sparse-float32-0"]


def _case(case):
    layout, dtype, level = case.split("-")
    return layout, dtype, int(level)


class _Fit:
    """Time and peak memory of ``fit``, after one untimed fit (kernels loaded).

    A subclass sets ``params``, ``data(layout, dtype)`` and
    ``make(layout, level)``.
    """

    params = CASES
    param_names = ["case"]
    timeout = 120

    def setup(self, case):
        layout, dtype, level = _case(case)
        self.X, self.y = self.data(layout, dtype)
        self.estimator = self.make(layout, self.levels[level])
        clone(self.estimator).fit(self.X, self.y)

    def time_fit(self, case):
        clone(self.estimator).fit(self.X, self.y)

    def peakmem_fit(self, case):
        clone(self.estimator).fit(self.X, self.y)


class _Model:
    """What the fit reached (gap, outer iterations) and ``predict``'s time.

    The models are fitted once for every case, in ``setup_cache``: asv keys
    that cache by the function's source line, so each subclass defines its own.
    """

    params = CASES
    param_names = ["case"]
    timeout = 300

    def fit_all(self):
        models = {}
        for case in CASES:
            layout, dtype, level = _case(case)
            X, y = self.data(layout, dtype)
            models[case] = self.make(layout, self.levels[level]).fit(X, y)
        return models

    def setup(self, models, case):
        layout, dtype, _ = _case(case)
        self.X, _ = self.data(layout, dtype)
        self.model = models[case]
        self.model.predict(self.X[:10])

    def time_predict(self, models, case):
        self.model.predict(self.X)

    def track_dual_gap(self, models, case):
        return float(np.max(self.model.dual_gap_))

    track_dual_gap.unit = "objective units"

    def track_n_iter(self, models, case):
        return int(np.max(self.model.n_iter_))

    track_n_iter.unit = "outer iterations"


class _Lasso:
    """Lasso at ``alpha_max / 10`` and ``alpha_max / 100``."""

    levels = [10, 100]

    def data(self, layout, dtype):
        return _data.regression(layout, dtype)

    def make(self, layout, level):
        X, y = _data.regression(layout, "float64")
        alpha_max = float(np.abs(X.T @ (y - y.mean())).max()) / y.size
        return BlitzLasso(alpha=alpha_max / level, tol=1e-6)


class _ElasticNet(_Lasso):
    """Elastic net (``l1_ratio=0.5``) with seeded penalty weights in [0.5, 2]."""

    def make(self, layout, level):
        X, y = _data.regression(layout, "float64")
        v = np.random.default_rng(0).uniform(0.5, 2.0, X.shape[1])
        alpha_max = float(np.max(np.abs(X.T @ (y - y.mean())) / v)) / (0.5 * y.size)
        return BlitzElasticNet(alpha=alpha_max / level, l1_ratio=0.5,
                               penalty_weights=v, tol=1e-6)


class _SquaredHingeSVC:
    """LinearSVC's default problem (squared hinge) at ``C = 0.01`` and ``0.1``."""

    levels = [0.01, 0.1]

    def data(self, layout, dtype):
        return _data.classification(layout, dtype)

    def make(self, layout, level):
        return BlitzSVC(C=level, tol=1e-6)


class _Logistic:
    """L1-logistic regression at ``C_min * 10`` and ``C_min * 100``."""

    levels = [10, 100]

    def data(self, layout, dtype):
        return _data.classification(layout, dtype)

    def make(self, layout, level):
        X, y = _data.classification(layout, "float64")
        # C_min: the smallest C with a nonzero weight (intercept fitted)
        c_min = 1.0 / float(np.abs(X.T @ (y - y.mean())).max())
        return BlitzLogisticL1(C=c_min * level, tol=1e-6)


class _SVC:
    """Linear hinge SVM at ``C = 0.01`` and ``C = 0.1``."""

    levels = [0.01, 0.1]

    def data(self, layout, dtype):
        return _data.classification(layout, dtype)

    def make(self, layout, level):
        return BlitzSVC(C=level, loss="hinge", tol=1e-6)


class BlitzLassoFit(_Lasso, _Fit):
    pass


class BlitzLassoModel(_Lasso, _Model):
    def setup_cache(self):
        return self.fit_all()


class BlitzLogisticL1Fit(_Logistic, _Fit):
    pass


class BlitzLogisticL1Model(_Logistic, _Model):
    def setup_cache(self):
        return self.fit_all()


class BlitzSVCFit(_SVC, _Fit):
    pass


class BlitzSVCModel(_SVC, _Model):
    def setup_cache(self):
        return self.fit_all()


class BlitzElasticNetFit(_ElasticNet, _Fit):
    pass


class BlitzElasticNetModel(_ElasticNet, _Model):
    def setup_cache(self):
        return self.fit_all()


class BlitzSVCSquaredHingeFit(_SquaredHingeSVC, _Fit):
    pass


class BlitzSVCSquaredHingeModel(_SquaredHingeSVC, _Model):
    def setup_cache(self):
        return self.fit_all()
