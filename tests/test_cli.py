# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""``python -m blitzlearn``: the main job on embedded data and on a user file."""

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import dump_svmlight_file, load_iris, make_regression
from sklearn.linear_model import LogisticRegression

import blitzlearn
from blitzlearn._cli import lasso_objective, main
from blitzlearn._cli_problems import (
    classification_type,
    lasso_lower_bound,
    logistic_lower_bound,
    logistic_objective,
)

ROOT = Path(__file__).resolve().parents[1]

TITLES = ("Lasso: ", "Lasso path and cross-validation", "L1-logistic: ",
          "Linear SVM: ", "AdaScale SGD")


class FlushLog(io.StringIO):
    """A stream that remembers what had been written at each flush."""

    def __init__(self):
        super().__init__()
        self.flushed = []

    def flush(self):
        self.flushed.append(self.getvalue())


def _tables(text):
    """``{section title: [row cells]}`` of the printed markdown tables."""
    tables, title = {}, None
    for line in text.splitlines():
        if line.startswith("## "):
            title = line[3:]
            tables[title] = []
        elif line.startswith("| ") and not line.startswith("| problem"):
            tables[title].append([c.strip() for c in line.strip("|").split("|")])
    return tables


def _section(tables, prefix):
    (rows,) = [rows for title, rows in tables.items() if title.startswith(prefix)]
    return rows


def test_main_job_runs_every_family_and_streams_its_rows():
    out = FlushLog()
    assert main(["--ratios", "0.1"], out=out) == 0
    text = out.getvalue()
    tables = _tables(text)
    assert [t.split(" vs ")[0].split(":")[0] for t in tables] == [
        "Lasso", "Lasso path and cross-validation", "L1-logistic", "Linear SVM",
        "AdaScale SGD"]
    solvers = {title: {r[2].split(" (")[0] for r in rows}
               for title, rows in tables.items()}
    assert list(solvers.values()) == [
        {"BlitzLasso", "sklearn Lasso"},
        {"blitz_lasso_path", "sklearn lasso_path", "BlitzLassoCV",
         "sklearn LassoCV"},
        {"BlitzLogisticL1", "sklearn saga"}, {"BlitzSVC", "sklearn LinearSVC"},
        {"AdaScaleSGD S=1", "AdaScaleSGD S=16", "linear rule S=16",
         "sklearn SGDClassifier"}]
    # streamed: every row was flushed before anything after it was written
    for line in text.splitlines():
        if line.startswith("| "):
            assert any(f.endswith(line + "\n") for f in out.flushed)
    for prefix in TITLES[:4]:
        for r in _section(tables, prefix):
            gap, tol, met = float(r[5]), float(r[6]), r[7]
            assert gap >= -1e-9 * abs(float(r[4]))  # gaps are never blank
            assert met == ("yes" if gap <= tol else "no")
            if r[2].startswith(("Blitz", "blitz")):  # certified to tol
                assert met == "yes"
    for r in _section(tables, "Lasso: "):  # the optimum: both solvers agree
        objectives = [float(s[4]) for s in _section(tables, "Lasso: ")
                      if s[:2] == r[:2]]
        assert objectives[0] == pytest.approx(objectives[1], rel=1e-6)
    # saga stops at its epoch budget: where it did not reach the optimum it is
    # marked, with the gap it left
    for r in _section(tables, "L1-logistic"):
        if r[2] == "sklearn saga" and float(r[5]) > float(r[6]):
            assert r[7] == "no"
    for r in _section(tables, "AdaScale"):
        assert float(r[5]) >= -1e-8 and 0.5 < float(r[8]) <= 1.0


def test_rows_appear_while_the_job_runs(tmp_path):
    X, y = load_iris(return_X_y=True)
    path = tmp_path / "iris.svm"
    dump_svmlight_file(X, y, str(path))
    # buffered stdout, as in a pipe: only the job's flushes make rows appear
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.Popen(
        [sys.executable, "-m", "blitzlearn", "--data", str(path), "--ratios",
         "0.1"], stdout=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("| /"):  # the first row: stop the job right there
            proc.kill()
            break
    lines += proc.stdout.readlines()
    proc.wait()
    # the row came while the job was running: had the output been held back
    # to the end, the job's last line ("total ...") would have been in the
    # pipe with it (a fast job may have printed a few more lines before the
    # kill took effect)
    assert any(line.startswith("| /") for line in lines)
    assert not [line for line in lines if line.startswith("total ")]
    assert lines[0].startswith(f"{path} (150x4, 600 nnz): labels read as a "
                               "classification target (3 classes)")


def test_multiclass_file_is_a_classification(tmp_path):
    X, y = load_iris(return_X_y=True)
    path = tmp_path / "iris.svm"
    dump_svmlight_file(X, y, str(path))
    out = io.StringIO()
    assert main(["--data", str(path), "--ratios", "0.1", "--svm-C", "0.1"],
                out=out) == 0
    text = out.getvalue()
    assert "classification target (3 classes)" in text
    tables = _tables(text)
    assert not [t for t in tables if t.startswith("Lasso")]  # no Lasso on ids
    logistic = _section(tables, "L1-logistic")
    assert [r[2] for r in logistic] == ["BlitzLogisticL1", "sklearn saga"]
    # three one-vs-rest problems of 4 features each
    assert all(0 < int(r[8]) <= 12 for r in logistic)
    assert len(_section(tables, "Linear SVM")) == 2


def test_regression_file_runs_the_lasso_families(tmp_path):
    X, y = make_regression(60, 30, n_informative=5, noise=1.0, random_state=0)
    path = tmp_path / "data.svm"
    dump_svmlight_file(X, y, str(path))
    out = io.StringIO()
    assert main(["--data", str(path), "--ratios", "0.5"], out=out) == 0
    tables = _tables(out.getvalue())
    assert list(tables) == ["Lasso: BlitzLasso vs sklearn Lasso",
                            "Lasso path and cross-validation"]
    assert all(str(path) in r[0] for r in _section(tables, "Lasso: "))


def test_classification_type():
    assert classification_type(np.array([1.0, -1.0, 1.0])) == "classification"
    assert classification_type(np.array([0.0, 1.0, 2.0, 2.0])) == "classification"
    assert classification_type(np.array([0.5, 1.0, 2.0])) == "regression"
    assert classification_type(np.arange(200.0)) == "regression"


def _usage_error(argv, capsys, match):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: python -m blitzlearn") and match in err
    assert "Traceback" not in err


def test_missing_file_is_a_usage_error(tmp_path, capsys):
    _usage_error(["--data", str(tmp_path / "nope.svm")], capsys, "no such file")


def test_non_svmlight_file_is_a_usage_error(tmp_path, capsys):
    path = tmp_path / "notes.txt"
    path.write_text("these are\nnot svmlight lines\n")
    _usage_error(["--data", str(path)], capsys, "is not a svmlight/LIBSVM file")


def test_constant_labels_are_a_usage_error(tmp_path, capsys):
    path = tmp_path / "same.svm"
    dump_svmlight_file(np.eye(4), np.ones(4), str(path))
    _usage_error(["--data", str(path)], capsys, "every label")


@pytest.mark.parametrize("argv", [["--tol", "-1"], ["--tol", "0"], ["--tol", "nan"],
                                  ["--ratios", "-1"], ["--svm-C", "0"],
                                  ["--task", "clustering"]])
def test_bad_numbers_are_usage_errors(argv, capsys):
    _usage_error(argv, capsys, argv[0])


def test_version_and_exit_codes_in_a_subprocess(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    ok = subprocess.run([sys.executable, "-m", "blitzlearn", "--version"],
                        capture_output=True, text=True, env=env, cwd=tmp_path)
    assert ok.returncode == 0
    assert ok.stdout.strip() == f"blitzlearn {blitzlearn.__version__}"
    bad = subprocess.run([sys.executable, "-m", "blitzlearn", "--tol", "-1"],
                         capture_output=True, text=True, env=env, cwd=tmp_path)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "must be positive" in bad.stderr


def test_objective_formula():
    X = np.array([[1.0, 0.0], [0.0, 2.0]])
    y = np.array([1.0, 1.0])
    # 0.5 * ((1 - 1 - 0.5)^2 + (1 - 0 - 0.5)^2) / 2 + 0.1 * 1
    assert lasso_objective(X, y, np.array([1.0, 0.0]), 0.5, 0.1) == pytest.approx(
        0.5 * 0.5 / 2 + 0.1)


def test_lower_bounds_bound_the_optimum():
    # the external certificates: below the optimum found by a tight reference,
    # and close to it from a near-optimal model
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 20))
    y = X[:, 0] - 2 * X[:, 1] + 0.1 * rng.standard_normal(50)
    alpha = 0.05
    fit = blitzlearn.BlitzLasso(alpha=alpha, tol=1e-14).fit(X, y)
    best = lasso_objective(X, y, fit.coef_, fit.intercept_, alpha)
    Xf = np.asfortranarray(X)
    assert lasso_lower_bound(Xf, y, fit.coef_, alpha) == pytest.approx(best,
                                                                      rel=1e-10)
    assert lasso_lower_bound(Xf, y, np.zeros(20), alpha) <= best
    labels = np.where(y > 0, 1.0, -1.0)
    C = 1.0
    ref = LogisticRegression(C=C, l1_ratio=1.0, solver="saga", tol=1e-12,
                             max_iter=100_000).fit(X, labels)
    value = logistic_objective(X, labels, ref.coef_[0], ref.intercept_[0], C)
    lower = logistic_lower_bound(Xf, labels, ref.coef_[0], ref.intercept_[0], C)
    assert lower <= value + 1e-9
    assert lower == pytest.approx(value, rel=1e-6)
    assert logistic_lower_bound(sp.csc_matrix(X), labels, np.zeros(20), 0.0,
                                C) <= value
