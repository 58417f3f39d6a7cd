# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The asv suite of AdaScaleSGDClassifier runs and reports the fitted model."""

import importlib
import math
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "asv_benchmarks"


@pytest.fixture(scope="module")
def sgd():
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("benchmarks.sgd")
    finally:
        sys.path.remove(str(BENCH))


def _n_rows(sgd, case):
    layout, dtype, _ = sgd._case(case)
    return sgd._data.classification(layout, dtype)[0].shape[0]


def test_fit_benchmarks_run(sgd):
    suite = sgd.AdaScaleSGDFit()
    for case in suite.params:
        suite.setup(case)
        suite.time_fit(case)
        suite.peakmem_fit(case)


def test_model_benchmarks_report_the_fit(sgd):
    suite = sgd.AdaScaleSGDModel()
    models = suite.setup_cache()
    assert sorted(models) == sorted(suite.params)
    scales = set()
    for case in suite.params:
        suite.setup(models, case)
        suite.time_predict(models, case)
        model = models[case]
        assert suite.track_n_iter(models, case) == model.n_iter_
        gain = suite.track_mean_gain(models, case)
        assert 1.0 <= gain <= model.scale
        assert suite.track_objective(models, case) == model.objective_history_[-1]
        assert suite.track_objective(models, case) < np.log(2.0)
        # the S = 1 recipe's budget; AdaScale at S > 1 takes fewer steps
        t_si = model.max_epochs * math.ceil(_n_rows(sgd, case) / model.batch_size)
        if model.scale == 1:
            assert model.n_iter_ == t_si
        else:
            assert math.ceil(t_si / model.scale) <= model.n_iter_ < t_si
        scales.add(model.scale)
    assert scales == {1, 16}
