# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""verbose: per-iteration logging of every Blitz estimator, progress bars."""

import io
import logging
import re

import numpy as np
import pytest
from _helpers import load_classification_dataset, load_dataset
from sklearn.model_selection import KFold

from blitzlearn import (
    BlitzLasso,
    BlitzLassoCV,
    BlitzLogisticL1,
    BlitzLogisticL1CV,
    BlitzSVC,
    blitz_lasso_path,
    blitz_logistic_l1_path,
)
from blitzlearn._progress import ProgressBar, progress

ITERATION = re.compile(r"iter (\d+)\s+gap ([0-9.e+-]+)\s+working set (\d+)\s+"
                       r"screened (\d+)")


def _records(caplog):
    return [r for r in caplog.records if r.name == "blitzlearn"]


def _fit_cases():
    X, y = load_dataset("leukemia")
    Xc, yc = load_classification_dataset("breast_cancer")
    alpha = float(np.abs(X.T @ (y - y.mean())).max()) / y.size / 20
    return [
        (BlitzLasso(alpha=alpha, tol=1e-10), X, y),
        (BlitzLogisticL1(C=0.5, tol=1e-10), Xc, yc),
        (BlitzSVC(C=0.1, tol=1e-8), Xc, yc),
    ]


@pytest.mark.parametrize("case", range(3))
def test_verbose_logs_every_outer_iteration(caplog, case):
    model, X, y = _fit_cases()[case]
    with caplog.at_level(logging.INFO, logger="blitzlearn"):
        model.fit(X, y)
    assert not _records(caplog)  # silent by default
    with caplog.at_level(logging.INFO, logger="blitzlearn"):
        model.set_params(verbose=1).fit(X, y)
    records = _records(caplog)
    assert all(r.levelno == logging.INFO for r in records)
    steps = [ITERATION.search(r.getMessage()) for r in records]
    steps = [m for m in steps if m]
    n_iter = int(np.max(model.n_iter_))
    # one line per outer iteration that solved a subproblem, numbered in
    # order, then the certificate that stopped the run
    assert [int(m.group(1)) for m in steps] == list(range(1, len(steps) + 1))
    assert len(steps) >= n_iter - 1
    assert "converged" in records[-1].getMessage()
    gaps = [float(m.group(2)) for m in steps]
    assert all(g > 0 for g in gaps)
    assert all(int(m.group(3)) > 0 for m in steps)
    screened = [int(m.group(4)) for m in steps]
    assert screened == sorted(screened)  # a running count within the run


def test_lasso_logs_screening():
    # on leukemia (7129 features) the safe ball screens most features
    X, y = load_dataset("leukemia")
    alpha = float(np.abs(X.T @ (y - y.mean())).max()) / y.size / 5
    logger = logging.getLogger("blitzlearn")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        BlitzLasso(alpha=alpha, tol=1e-10, verbose=1).fit(X, y)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    counts = [int(m.group(4)) for m in ITERATION.finditer(stream.getvalue())]
    assert counts and max(counts) > 1000


def test_progress_bar_text():
    out = io.StringIO()
    bar = ProgressBar(4, "demo", file=out)
    bar.update(note="first")
    bar.update(3)
    bar.update()  # never past the total
    bar.close()
    lines = out.getvalue().split("\r")
    assert lines[1].startswith("demo [") and lines[1].endswith("0/4")
    assert lines[2].endswith("1/4  first")
    assert "#" * 30 + "] 4/4" in lines[-1] and lines[-1].endswith("\n")


def _bars(err):
    """The last state of every bar drawn on stderr: [(desc, done, total)].

    Bars are told apart by their label; other writers (joblib's verbose
    messages) may interleave their own lines.
    """
    last = {}
    for desc, done, total in re.findall(r"\r(\w+) \[[#.]+\] (\d+)/(\d+)", err):
        last[desc] = (desc, done, total)
    return list(last.values())


def test_paths_show_a_bar_when_verbose(capsys):
    X, y = load_dataset("diabetes")
    Xc, yc = load_classification_dataset("breast_cancer")
    blitz_lasso_path(X - X.mean(0), y - y.mean(), alphas=7)
    blitz_logistic_l1_path(Xc, yc, Cs=5)
    assert capsys.readouterr().err == ""
    blitz_lasso_path(X - X.mean(0), y - y.mean(), alphas=7, verbose=True)
    blitz_logistic_l1_path(Xc, yc, Cs=5, verbose=1)
    assert _bars(capsys.readouterr().err) == [
        ("blitz_lasso_path", "7", "7"), ("blitz_logistic_l1_path", "5", "5")]


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_cv_shows_one_bar_over_the_folds(capsys, n_jobs):
    X, y = load_dataset("diabetes")
    Xc, yc = load_classification_dataset("breast_cancer")
    BlitzLassoCV(cv=3, alphas=6, n_jobs=n_jobs).fit(X, y)
    BlitzLogisticL1CV(Cs=4, cv=KFold(3), n_jobs=n_jobs).fit(Xc, yc)
    assert capsys.readouterr().err == ""
    BlitzLassoCV(cv=3, alphas=6, verbose=1, n_jobs=n_jobs).fit(X, y)
    BlitzLogisticL1CV(Cs=4, cv=KFold(3), verbose=1, n_jobs=n_jobs).fit(Xc, yc)
    # the folds' paths advance the estimator's bar instead of drawing theirs
    assert _bars(capsys.readouterr().err) == [
        ("BlitzLassoCV", "18", "18"), ("BlitzLogisticL1CV", "12", "12")]


def test_disabled_outer_bar_draws_nothing(capsys):
    with progress(3, "outer", enabled=False) as bar:
        bar.update()
        with progress(2, "inner", enabled=True) as inner:
            inner.update()
    assert _bars(capsys.readouterr().err) == [("inner", "1", "2")]
