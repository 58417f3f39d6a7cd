# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""AdaScaleSGDClassifier: fit time and memory, steps, gain, objective, predict.

The same seeded classification data and cases as :mod:`.estimators` (dense
and sparse, float64 and float32); the two levels are the scales ``S = 1``
(plain minibatch SGD) and ``S = 16`` under AdaScale, on the same ``S = 1``
recipe (batches of 16, 5 epochs, ``alpha = 1e-3``, step decay).
"""

import numpy as np
from sklearn.base import clone

from blitzlearn import AdaScaleSGDClassifier

from . import _data
from .estimators import CASES, _case

SCALES = [1, 16]
# two cases cover both layouts, both dtypes and both scales in the quick
# profile (asv starts a process per case); BLITZLEARN_ASV_FULL=1 runs all
SGD_CASES = CASES if len(CASES) == 8 else ["dense-float64-0", "sparse-float32-1"]


def _make(level):
    return AdaScaleSGDClassifier(scale=SCALES[level], batch_size=16, alpha=1e-3,
                                 eta0=0.1, learning_rate="step", max_epochs=5,
                                 random_state=0)


class AdaScaleSGDFit:
    """Time and peak memory of ``fit``, after one untimed fit (kernels loaded)."""

    params = SGD_CASES
    param_names = ["case"]
    timeout = 120

    def setup(self, case):
        layout, dtype, level = _case(case)
        self.X, self.y = _data.classification(layout, dtype)
        self.estimator = _make(level)
        clone(self.estimator).fit(self.X, self.y)

    def time_fit(self, case):
        clone(self.estimator).fit(self.X, self.y)

    def peakmem_fit(self, case):
        clone(self.estimator).fit(self.X, self.y)


class AdaScaleSGDModel:
    """Steps, mean gain and final objective of the fit; ``predict``'s time."""

    params = SGD_CASES
    param_names = ["case"]
    timeout = 300

    def setup_cache(self):
        models = {}
        for case in SGD_CASES:
            layout, dtype, level = _case(case)
            X, y = _data.classification(layout, dtype)
            models[case] = _make(level).fit(X, y)
        return models

    def setup(self, models, case):
        layout, dtype, _ = _case(case)
        self.X, _ = _data.classification(layout, dtype)
        self.model = models[case]
        self.model.predict(self.X[:10])

    def time_predict(self, models, case):
        self.model.predict(self.X)

    def track_n_iter(self, models, case):
        return int(self.model.n_iter_)

    track_n_iter.unit = "steps"

    def track_mean_gain(self, models, case):
        return float(np.mean(self.model.gain_history_))

    track_mean_gain.unit = "gain"

    def track_objective(self, models, case):
        return float(self.model.objective_history_[-1])

    track_objective.unit = "training objective"
