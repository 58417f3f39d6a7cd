# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The asv suite stays valid: asv discovers it, and every benchmark runs once."""

import importlib
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _helpers import load_benchmark

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "asv_benchmarks"


@pytest.fixture(scope="module")
def benchmarks():
    sys.path.insert(0, str(BENCH))
    try:
        yield importlib.import_module("benchmarks.estimators"), importlib.import_module(
            "benchmarks.cold"), importlib.import_module("benchmarks.gpu")
    finally:
        sys.path.remove(str(BENCH))


def test_asv_check_finds_no_problem():
    out = subprocess.run(
        [sys.executable, "-m", "asv", "check", "--python=same",
         "--config", str(BENCH / "asv.conf.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "No problems found" in out.stdout, out.stdout


SUITES = ["BlitzLasso", "BlitzLogisticL1", "BlitzSVC"]


@pytest.mark.parametrize("name", SUITES)
def test_fit_benchmarks_run(benchmarks, name):
    estimators = benchmarks[0]
    suite = getattr(estimators, f"{name}Fit")()
    for case in suite.params:
        suite.setup(case)
        suite.time_fit(case)
        suite.peakmem_fit(case)


@pytest.mark.parametrize("name", SUITES)
def test_model_benchmarks_report_a_certified_fit(benchmarks, name):
    estimators = benchmarks[0]
    suite = getattr(estimators, f"{name}Model")()
    models = suite.setup_cache()
    assert sorted(models) == sorted(suite.params)
    for case in suite.params:
        suite.setup(models, case)
        suite.time_predict(models, case)
        model = models[case]
        assert np.all(model.dual_gap_ >= 0)
        assert suite.track_dual_gap(models, case) == float(np.max(model.dual_gap_))
        assert suite.track_n_iter(models, case) >= 1


def test_cases_cover_both_layouts_dtypes_and_levels(benchmarks):
    estimators = benchmarks[0]
    cases = [estimators._case(c) for c in estimators.CASES]
    assert {c[0] for c in cases} == {"dense", "sparse"}
    assert {c[1] for c in cases} == {"float64", "float32"}
    assert {c[2] for c in cases} == {0, 1}
    for layout in ("dense", "sparse"):
        assert {c[1] for c in cases if c[0] == layout} == {"float64", "float32"}


def test_cold_fit_runs_in_a_fresh_process(benchmarks):
    cold = benchmarks[1]
    # every estimator has a call in the child, and only those
    assert re.findall(r"^    (\w+)=lambda", cold.CHILD, re.M) == cold.ESTIMATORS
    # a first process compiles into a fresh user cache, a second one loads
    seconds = cold.ColdFit().track_first_fit("BlitzLasso", "user")
    assert 0 < seconds < 300


def test_gpu_benchmarks_are_not_available_without_a_gpu(benchmarks):
    gpu = benchmarks[2]
    try:
        import cupy  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("CuPy is installed: the GPU benchmark may run here")
    with pytest.raises(NotImplementedError, match="no GPU fit here"):
        gpu.GPUFit().setup("BlitzSVC")


def _peer_comparison():
    return load_benchmark("peer_comparison")


def test_peer_comparison_table_and_plot(tmp_path):
    peers = _peer_comparison()
    rows = [peers.Row("a9a", "C=1", "blitzlearn", 0.5, 11433.7, 8e-7, 120, 1e-6,
                      2e6, 4e6, (100, 10)),
            peers.Row("a9a", "C=1", "LinearSVC (liblinear)", float("nan"), 11433.8,
                      2e-6, 121, 1e-9, 3e6, 4e6, (100, 10))]
    table = peers.format_rows(rows, "(P - P*) / P*", "tol used")
    assert table.splitlines()[0].count("|") == 12
    assert "| not met |" in table.splitlines()[3]
    assert "| a9a | C=1 | blitzlearn | 0.5000 |" in table
    path = tmp_path / "times.png"
    peers.plot_rows(rows, path, "svm")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_svm_objective_is_linearsvc_objective():
    peers = _peer_comparison()
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((30, 4)), np.where(rng.random(30) < 0.5, -1.0, 1.0)
    assert peers.svm_objective(X, y, np.zeros(4), [0.0], 0.7) == pytest.approx(0.7 * 30)
    w, b = rng.standard_normal(4), 0.3
    hinge = np.maximum(0.0, 1.0 - y * (X @ w + b)).sum()
    expected = 0.5 * (w @ w + (b / 2.0) ** 2) + 0.7 * hinge
    assert peers.svm_objective(X, y, w, [b], 0.7, intercept_scaling=2.0) == (
        pytest.approx(expected, rel=1e-14))
