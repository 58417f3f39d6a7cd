# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""``python -m blitzlearn``: the main job on embedded data and on a user file."""

import numpy as np
import pytest
from sklearn.datasets import dump_svmlight_file, make_regression

from blitzlearn._cli import lasso_objective, main


def _rows(out):
    return [line for line in out.splitlines() if line.startswith("| ")][1:]


def test_main_job_on_embedded_data(capsys):
    assert main(["--ratios", "0.1"]) == 0
    rows = _rows(capsys.readouterr().out)
    assert {r.split("|")[3].strip() for r in rows} == {
        "BlitzLasso", "sklearn Lasso", "BlitzLogisticL1", "sklearn saga"}
    by_problem = {}
    for r in rows:
        cells = [c.strip() for c in r.strip("|").split("|")]
        by_problem.setdefault((cells[0], cells[1]), {})[cells[2]] = float(cells[4])
    assert len(by_problem) == 4
    for objectives in by_problem.values():
        if "BlitzLasso" in objectives:  # both Lasso solvers reach the optimum
            assert objectives["BlitzLasso"] == pytest.approx(
                objectives["sklearn Lasso"], rel=1e-6)
        else:  # saga may stop at its epoch budget, never below the optimum
            blitz, saga = objectives["BlitzLogisticL1"], objectives["sklearn saga"]
            assert blitz <= saga * (1 + 1e-9)
            assert blitz == pytest.approx(saga, rel=1e-2)


def test_main_job_on_a_svmlight_file(tmp_path, capsys):
    X, y = make_regression(60, 30, n_informative=5, noise=1.0, random_state=0)
    path = tmp_path / "data.svm"
    dump_svmlight_file(X, y, str(path))
    assert main(["--data", str(path), "--ratios", "0.5"]) == 0
    rows = _rows(capsys.readouterr().out)
    assert len(rows) == 2 and all(str(path) in r for r in rows)


def test_main_job_adds_logistic_rows_for_two_labels(tmp_path, capsys):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 20))
    y = np.where(X[:, 0] + 0.5 * rng.standard_normal(80) > 0, 1, -1)
    path = tmp_path / "binary.svm"
    dump_svmlight_file(X, y, str(path))
    assert main(["--data", str(path), "--ratios", "0.5"]) == 0
    solvers = [r.split("|")[3].strip() for r in _rows(capsys.readouterr().out)]
    assert solvers == ["BlitzLasso", "sklearn Lasso", "BlitzLogisticL1",
                       "sklearn saga"]


def test_bad_ratio_is_refused():
    with pytest.raises(SystemExit):
        main(["--ratios", "-1"])


def test_objective_formula():
    X = np.array([[1.0, 0.0], [0.0, 2.0]])
    y = np.array([1.0, 1.0])
    # 0.5 * ((1 - 1 - 0.5)^2 + (1 - 0 - 0.5)^2) / 2 + 0.1 * 1
    assert lasso_objective(X, y, np.array([1.0, 0.0]), 0.5, 0.1) == pytest.approx(
        0.5 * 0.5 / 2 + 0.1)
