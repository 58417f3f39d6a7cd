# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The peer comparison's generated problems, memory measurement, saga and table."""

import importlib.util
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

BENCH = Path(__file__).resolve().parents[1] / "asv_benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def peers():
    try:
        return _load("peer_comparison")
    finally:  # the script puts its folder on the path to find its helpers
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="module")
def data():
    return _load("_peer_data")


@pytest.fixture(scope="module")
def memory():
    return _load("_peer_memory")


SPARSE = ["rcv1-like", "news20-like", "e2006-like"]


@pytest.mark.parametrize("name", SPARSE)
def test_sparse_generators_shape_density_and_tfidf_rows(data, name):
    n, d, density, _ = data.GENERATED[name]
    X, y = data.make_peer_data(name, "lasso", scale=0.05)
    assert X.shape == (round(n * 0.05), round(d * 0.05))
    assert sp.issparse(X) and X.format == "csc" and X.dtype == np.float64
    assert X.nnz / (X.shape[0] * X.shape[1]) == pytest.approx(density, rel=0.1)
    assert X.data.min() > 0
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms, 1.0, rtol=1e-12)
    # power-law columns: a few columns hold a large share of the entries
    df = np.sort(np.diff(X.indptr))[::-1]
    assert df[: d // 20 // 20].sum() > 0.2 * X.nnz
    assert y.shape == (X.shape[0],) and np.unique(y).size > 100


def test_dense_tall_is_fortran_and_tall(data):
    X, y = data.make_peer_data("dense-tall", "lasso", scale=0.1)
    assert X.shape == (5000, 20) and X.flags.f_contiguous
    corr = np.corrcoef(X[:, 0], X[:, 1])[0, 1]
    assert corr == pytest.approx(0.5, abs=0.05)
    assert data.nbytes(X) == 5000 * 20 * 8


@pytest.mark.parametrize("name", ["rcv1-like", "dense-tall"])
def test_generators_are_deterministic_and_labels_balanced(data, name):
    X1, y1 = data.make_peer_data(name, "logistic", scale=0.05)
    X2, y2 = data.make_peer_data(name, "logistic", scale=0.05)
    X3, _ = data.make_peer_data(name, "logistic", scale=0.05, random_state=1)
    if sp.issparse(X1):
        assert (X1 != X2).nnz == 0 and (X1 != X3).nnz > 0
        assert data.nbytes(X1) == X1.data.nbytes + X1.indices.nbytes + (
            X1.indptr.nbytes)
    else:
        assert np.array_equal(X1, X2) and not np.array_equal(X1, X3)
    assert np.array_equal(y1, y2)
    assert set(np.unique(y1)) == {-1.0, 1.0}
    assert abs(y1.mean()) < 0.05


def test_news20_binary_is_the_readme_task(peers):
    from _helpers import DATASETS

    from blitzlearn.datasets import load_libsvm

    if not DATASETS.is_dir():
        pytest.skip(f"../shared/datasets not found: {DATASETS} does not exist")
    raw, classes = load_libsvm("news20", data_home=DATASETS)
    X, y = peers.load("news20-binary", "svm")
    assert X.shape == raw.shape == (15935, 62061) and X.format == "csc"
    assert X.nnz == raw.nnz
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms, 1.0, rtol=1e-12)
    # a row is its raw counts over their norm; +1 exactly for classes 1-10
    i = 7
    row = raw[i].toarray().ravel()
    np.testing.assert_allclose(X[i].toarray().ravel(), row / np.linalg.norm(row))
    assert set(np.unique(classes)) == set(range(1, 21))
    np.testing.assert_array_equal(y == 1.0, classes <= 10)
    assert set(np.unique(y)) == {-1.0, 1.0}


def test_unknown_generated_set_is_rejected(data):
    with pytest.raises(ValueError, match="unknown generated set"):
        data.make_peer_data("rcv2-like")


class _Allocates:
    """An 'estimator' whose fit holds ``mb`` MiB at once, then sleeps."""

    def __init__(self, mb, sleep=0.0):
        self.mb, self.sleep = mb, sleep

    def fit(self, X, y):
        block = np.ones(int(self.mb * 2**20 / 8))
        time.sleep(self.sleep)
        self.coef_ = np.array([block[0], 0.0])
        return self


def _certificate(model):
    return 1.0, 0.0


def test_memory_of_a_fit_is_positive_and_grows_with_its_allocation(memory):
    small = memory.fit_in_child(lambda: _Allocates(4), None, None, _certificate)
    large = memory.fit_in_child(lambda: _Allocates(64), None, None, _certificate,
                                target_gap=0.0)
    assert 0 < small.peak < 16 * 2**20
    assert large.peak == pytest.approx(64 * 2**20, rel=0.15)
    assert (large.objective, large.gap, large.nnz) == (1.0, 0.0, 1)
    assert not large.timed_out


def test_a_fit_past_the_cap_is_killed_and_reported(memory):
    start = time.perf_counter()
    res = memory.fit_in_child(lambda: _Allocates(32, sleep=30), None, None,
                              _certificate, max_seconds=0.5)
    assert time.perf_counter() - start < 10
    assert res.timed_out and res.seconds == 0.5 and np.isnan(res.gap)
    assert res.peak > 16 * 2**20  # the peak reached before it was killed


def test_a_failing_fit_raises_in_the_parent(memory):
    class Fails:
        def fit(self, X, y):
            raise ValueError("no fit here")

    with pytest.raises(RuntimeError, match="no fit here"):
        memory.fit_in_child(Fails, None, None, _certificate)


@pytest.mark.parametrize("fit_intercept", [False, True])
def test_saga_is_an_l1_logistic_peer(peers, fit_intercept):
    solvers = peers.logistic_solvers(fit_intercept)
    assert "saga" in solvers
    model = solvers["saga"](2.0, 1e-3, np.array([1.0, -1.0]))
    assert model.solver == "saga" and model.l1_ratio == 1.0 and model.C == 2.0
    assert model.fit_intercept is fit_intercept
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 5))
    y = np.where(X[:, 0] + 0.5 * rng.standard_normal(60) > 0, 1.0, -1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecated parameter
        solvers["saga"](1.0, 1e-6, y).fit(X, y)


def test_run_reaches_the_target_with_saga_and_reports_memory(peers, data):
    rows = peers.run_logistic(["rcv1-like"], [0.1], 1e-6, 1,
                              keep=["blitzlearn", "saga"], scale=0.02,
                              max_seconds=60)
    X, _ = data.make_peer_data("rcv1-like", "logistic", scale=0.02)
    assert [r.solver for r in rows] == ["blitzlearn", "saga"]
    for r in rows:
        assert r.seconds > 0 and r.accuracy <= 1e-6 and not r.capped
        assert r.peak > 0 and r.x_bytes == data.nbytes(X) and r.shape == X.shape
    assert rows[0].objective == pytest.approx(rows[1].objective, rel=1e-5)


def test_table_has_the_memory_columns_and_marks_capped_rows(peers):
    common = {"x_bytes": 2**20, "shape": (1000, 100)}
    rows = [
        peers.Row("d", "1/10", "blitzlearn", 0.5, 1.0, 1e-7, 3, 1e-6, 2**19, **common),
        peers.Row("d", "1/10", "sklearn", 5.0, np.nan, np.nan, -1, 1e-6, 2**22,
                  capped="run", **common),
        peers.Row("d", "1/100", "sklearn", 5.0, np.nan, np.nan, -1, np.nan,
                  capped="skipped", **common),
        peers.Row("d", "1/10", "celer", 5.0, np.nan, np.nan, -1, 1e-6, 2**10,
                  capped="run", **common),
    ]
    table = peers.format_rows(rows).splitlines()
    assert "peak (MB)" in table[0] and "peak / mem(X)" in table[0]
    assert "within budget" in table[0]
    assert all(line.count("|") == 12 for line in table)
    assert "| 0.5000 |" in table[2] and "| 0.5 | 0.50 | yes |" in table[2]
    assert "| > 5 |" in table[3] and "| >= 4.0 | >= 4.00 | no |" in table[3]
    assert "| > 5 skipped |" in table[4]
    assert table[5].endswith("| >= 0.0 | >= 0.00 | - |")  # a bound says nothing
    budget = peers.memory_budget(2**20, (1000, 100))
    assert budget == 0.5 * 2**20 + peers.MEMORY_VECTORS * 8 * 1100
    summary = peers.format_datasets(rows).splitlines()
    assert len(summary) == 3 and "| d | 1000 × 100 | 1.0 |" in summary[2]


@pytest.mark.parametrize("estimator", ["lasso", "logistic", "svc"])
def test_profile_fit_accounts_for_the_stages_and_restores_the_methods(estimator):
    try:
        prof = _load("profile_fit")
    finally:
        sys.path.remove(str(BENCH))
    rng = np.random.RandomState(0)
    X = rng.randn(200, 30)
    y = X[:, :3] @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.randn(200)
    make, Xb, yb, problem_class = prof.build(estimator, X, y, 10.0, 1e-6)
    before = {name: getattr(problem_class, name) for name in prof.STAGES}
    total, stages = prof.profile(make, Xb, yb, problem_class, repeat=2)
    assert {name: getattr(problem_class, name) for name in prof.STAGES} == before
    assert stages["__init__"][1] == 1 and stages["solve"][1] >= 1
    assert stages["full_gap"][1] >= 1
    assert 0 < sum(ms for ms, _ in stages.values()) <= total
