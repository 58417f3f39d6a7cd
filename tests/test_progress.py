# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""verbose: the printed lines of every estimator, the logger, progress bars."""

import contextlib
import io
import logging
import re

import numpy as np
import pytest
from _helpers import (
    alpha_max,
    lasso_objective,
    load_classification_dataset,
    load_dataset,
    tol_bound,
)
from _logistic_reference import logistic_objective
from sklearn.model_selection import KFold

from blitzlearn import (
    AdaScaleSGDClassifier,
    BlitzLasso,
    BlitzLassoCV,
    BlitzLogisticL1,
    BlitzLogisticL1CV,
    BlitzSVC,
    blitz_lasso_path,
    blitz_logistic_l1_path,
)
from blitzlearn._progress import ProgressBar, progress, report

NUMBER = r"([0-9.eE+-]+|nan|inf)"
ITERATION = re.compile(
    rf"^iter (\d+)  objective {NUMBER}  gap {NUMBER}  tol {NUMBER}  "
    rf"working set (\d+|-)  screened (\d+)$")
CERTIFICATE = re.compile(
    rf"^(.+): (converged|did not converge), duality gap {NUMBER} "
    rf"\(tolerance {NUMBER}\) after (\d+) outer iterations$")
EPOCH = re.compile(rf"^epoch (\d+)/(\d+)  objective {NUMBER}  gain {NUMBER}  "
                   rf"tau {NUMBER}  steps (\d+)$")


def _lines(out):
    """The printed lines, progress bars (``\\r`` redraws) taken out."""
    last = [line.rsplit("\r", 1)[-1].rstrip(" ") for line in out.split("\n")]
    return [line for line in last if line]


def _iterations(lines):
    return [m.groups() for m in map(ITERATION.match, lines) if m]


def _certificates(lines):
    return [m.groups() for m in map(CERTIFICATE.match, lines) if m]


def _lasso_case():
    X, y = load_dataset("diabetes")
    alpha = alpha_max(X, y) / 50
    return BlitzLasso(alpha=alpha, tol=1e-8), X, y


def _logistic_case():
    X, y = load_classification_dataset("breast_cancer")
    return BlitzLogisticL1(C=0.5, tol=1e-8), X, y


def _svc_case():
    X, y = load_classification_dataset("breast_cancer")
    return BlitzSVC(C=0.1, tol=1e-8), X, y


CASES = {"lasso": _lasso_case, "logistic": _logistic_case, "svc": _svc_case}


@pytest.mark.parametrize("case", CASES)
def test_verbose_zero_prints_and_logs_nothing(capsys, caplog, case):
    model, X, y = CASES[case]()
    with caplog.at_level(logging.DEBUG, logger="blitzlearn"):
        model.fit(X, y)
    assert capsys.readouterr() == ("", "")
    assert not [r for r in caplog.records if r.name == "blitzlearn"]


@pytest.mark.parametrize("case", CASES)
def test_verbose_prints_each_outer_iteration_then_the_certificate(capsys, case):
    model, X, y = CASES[case]()
    model.set_params(verbose=1).fit(X, y)
    lines = _lines(capsys.readouterr().out)
    steps = _iterations(lines)
    n_iter = int(np.max(model.n_iter_))
    gap = float(np.max(model.dual_gap_))
    # one line per outer iteration, numbered in order, then the certificate
    assert [int(s[0]) for s in steps] == list(range(1, n_iter + 1))
    assert lines[:-1] == [line for line in lines if ITERATION.match(line)]
    ((name, status, cert_gap, cert_tol, cert_iter),) = _certificates(lines)
    assert name == type(model).__name__ and status == "converged"
    assert cert_gap == f"{gap:.3e}" and int(cert_iter) == n_iter
    # the last iteration met the tolerance: no working set, the same gap
    assert steps[-1][4] == "-" and float(steps[-1][2]) == pytest.approx(gap,
                                                                        rel=1e-3)
    assert float(steps[-1][2]) <= float(steps[-1][3])
    assert all(s[4].isdigit() and int(s[4]) > 0 for s in steps[:-1])
    screened = [int(s[5]) for s in steps]
    assert screened == sorted(screened)  # a running count within the run
    objectives = [float(s[1]) for s in steps]
    assert objectives[-1] <= objectives[0]
    if case == "lasso":
        assert cert_tol == f"{tol_bound(y, model.tol, True):.3e}"
        assert objectives[-1] == pytest.approx(lasso_objective(
            X, y, model.coef_, model.intercept_, model.alpha), rel=1e-8)
    elif case == "logistic":
        assert objectives[-1] == pytest.approx(logistic_objective(
            X, y, model.coef_[0], model.intercept_[0], model.C), rel=1e-8)


def test_verbose_two_adds_the_subproblems(capsys):
    model, X, y = _lasso_case()
    model.set_params(verbose=1).fit(X, y)
    one = _lines(capsys.readouterr().out)
    model.set_params(verbose=2).fit(X, y)
    two = _lines(capsys.readouterr().out)
    details = [line for line in two if line.startswith("  subproblem:")]
    # the same iteration lines, each solved one followed by its subproblem
    assert [line for line in two if not line.startswith("  ")] == one
    assert len(details) == model.n_iter_ - 1


def test_multiclass_certificate_per_class(capsys):
    X, y = load_classification_dataset("breast_cancer")
    y3 = np.digitize(X[:, 0], [-0.5, 0.5])
    model = BlitzLogisticL1(C=0.5, tol=1e-8, verbose=1,
                            multi_class="ovr").fit(X, y3)
    certs = _certificates(_lines(capsys.readouterr().out))
    assert [c[0] for c in certs] == [
        f"BlitzLogisticL1 (class {k} against the rest)" for k in model.classes_]
    assert [c[2] for c in certs] == [f"{g:.3e}" for g in model.dual_gap_]
    assert [int(c[4]) for c in certs] == list(model.n_iter_)
    # the multinomial model: one problem, one certificate
    model = BlitzLogisticL1(C=0.5, tol=1e-8, verbose=1).fit(X, y3)
    certs = _certificates(_lines(capsys.readouterr().out))
    assert [c[0] for c in certs] == ["BlitzLogisticL1"]
    assert certs[0][2] == f"{model.dual_gap_[0]:.3e}"
    assert int(certs[0][4]) == model.n_iter_[0]


@contextlib.contextmanager
def _handler_on_the_logger(level):
    """A user's handler on the ``blitzlearn`` logger; yields its stream."""
    logger = logging.getLogger("blitzlearn")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(level)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def test_logger_receives_the_printed_records(capsys):
    model, X, y = _lasso_case()
    with _handler_on_the_logger(logging.DEBUG) as stream:
        model.set_params(verbose=2).fit(X, y)
    assert stream.getvalue().splitlines() == _lines(capsys.readouterr().out)


def test_logger_levels(caplog, capsys):
    model, X, y = _lasso_case()
    with caplog.at_level(logging.DEBUG, logger="blitzlearn"):
        model.set_params(verbose=2).fit(X, y)
    records = [r for r in caplog.records if r.name == "blitzlearn"]
    assert {r.levelno for r in records} == {logging.INFO, logging.DEBUG}
    assert all(r.levelno == logging.DEBUG for r in records
               if r.getMessage().startswith("  "))
    printed = _lines(capsys.readouterr().out)
    assert [r.getMessage() for r in records] == printed


def test_lasso_lines_count_screening():
    # on leukemia (7129 features) the safe ball screens most features
    X, y = load_dataset("leukemia")
    alpha = alpha_max(X, y) / 5
    with _handler_on_the_logger(logging.INFO) as stream:
        BlitzLasso(alpha=alpha, tol=1e-10, verbose=1).fit(X, y)
    counts = [int(s[5]) for s in _iterations(stream.getvalue().splitlines())]
    assert counts and max(counts) > 1000


def test_adascale_prints_every_scale_invariant_epoch(capsys):
    X, y = load_classification_dataset("breast_cancer")
    model = AdaScaleSGDClassifier(scale=4, max_epochs=6, random_state=0)
    model.fit(X, y)
    assert capsys.readouterr() == ("", "")
    model.set_params(verbose=1).fit(X, y)
    lines = _lines(capsys.readouterr().out)
    epochs = [m.groups() for m in map(EPOCH.match, lines) if m]
    assert [int(e[0]) for e in epochs] == list(range(1, 7))
    assert all(int(e[1]) == 6 for e in epochs)
    assert [float(e[2]) for e in epochs] == pytest.approx(
        model.objective_history_[1:], rel=1e-9)
    gains = [float(e[3]) for e in epochs]
    assert all(1.0 <= g <= 4.0 for g in gains)  # AdaScale's gain is in [1, S]
    steps = [int(e[5]) for e in epochs]
    assert steps == sorted(steps) and steps[-1] == model.n_iter_
    assert float(epochs[-1][4]) == pytest.approx(model.tau_, abs=0.05)
    assert lines[-1] == (
        f"AdaScaleSGDClassifier: {model.n_iter_} steps, tau {model.tau_:.1f}, "
        f"objective {model.objective_history_[-1]:.10g}, mean gain "
        f"{np.mean(model.gain_history_):.3f}")
    assert len(lines) == 7


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
    # a shorter line blanks what the longer one left behind
    assert lines[3].rstrip(" ").endswith("4/4") and len(lines[3]) == len(lines[2])
    assert "#" * 30 + "] 4/4" in lines[-1] and lines[-1].endswith("\n")


def test_a_line_reported_under_a_bar_is_printed_above_it(capsys):
    with progress(2, "outer", enabled=True) as bar:
        bar.update(note="a")
        report(1, 1, "line %d", 7)
        bar.update()
    out = capsys.readouterr().out
    before, after = out.split("line 7\n")
    assert before.endswith("\r" + " " * len("outer [" + "#" * 15 + "." * 15
                                              + "] 1/2  a") + "\r")
    assert after.startswith("\router [")
    assert _lines(out) == ["line 7", "outer [" + "#" * 30 + "] 2/2"]


def _bars(out):
    """The last state of every bar drawn on stdout: [(desc, done, total)].

    Bars are told apart by their label; other writers may interleave their
    own lines.
    """
    last = {}
    for desc, done, total in re.findall(r"\r(\w+) \[[#.]+\] (\d+)/(\d+)", out):
        last[desc] = (desc, done, total)
    return list(last.values())


def test_paths_show_a_bar_when_verbose(capsys):
    X, y = load_dataset("diabetes")
    Xc, yc = load_classification_dataset("breast_cancer")
    blitz_lasso_path(X - X.mean(0), y - y.mean(), alphas=7)
    blitz_logistic_l1_path(Xc, yc, Cs=5)
    assert capsys.readouterr() == ("", "")
    blitz_lasso_path(X - X.mean(0), y - y.mean(), alphas=7, verbose=True)
    blitz_logistic_l1_path(Xc, yc, Cs=5, verbose=1)
    out = capsys.readouterr().out
    assert _bars(out) == [
        ("blitz_lasso_path", "7", "7"), ("blitz_logistic_l1_path", "5", "5")]
    # verbose=1: only the bars, no solve's lines
    assert not _iterations(_lines(out)) and not _certificates(_lines(out))


def test_paths_print_each_solve_at_verbose_two(capsys):
    X, y = load_dataset("diabetes")
    Xc, yc = load_classification_dataset("breast_cancer")
    alphas, _, gaps = blitz_lasso_path(X - X.mean(0), y - y.mean(), alphas=4,
                                       verbose=2)
    Cs, _, c_gaps, c_iter = blitz_logistic_l1_path(Xc, yc, Cs=3, verbose=2,
                                                   return_n_iter=True)
    lines = _lines(capsys.readouterr().out)
    certs = _certificates(lines)
    assert [c[0] for c in certs] == (
        [f"blitz_lasso_path at alpha={a:.3e}" for a in alphas]
        + [f"blitz_logistic_l1_path at C={C:.3e}" for C in Cs])
    assert [c[2] for c in certs] == [f"{g:.3e}" for g in [*gaps, *c_gaps]]
    assert [int(c[4]) for c in certs[4:]] == list(c_iter)
    assert len(_iterations(lines)) >= len(certs)


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_cv_shows_one_bar_over_the_folds(capsys, n_jobs):
    X, y = load_dataset("diabetes")
    Xc, yc = load_classification_dataset("breast_cancer")
    BlitzLassoCV(cv=3, alphas=6, n_jobs=n_jobs).fit(X, y)
    BlitzLogisticL1CV(Cs=4, cv=KFold(3), n_jobs=n_jobs).fit(Xc, yc)
    assert capsys.readouterr().out == ""
    lasso = BlitzLassoCV(cv=3, alphas=6, verbose=1, n_jobs=n_jobs).fit(X, y)
    logistic = BlitzLogisticL1CV(Cs=4, cv=KFold(3), verbose=1,
                                 n_jobs=n_jobs).fit(Xc, yc)
    out = capsys.readouterr().out
    # the folds' paths advance the estimator's bar instead of drawing theirs
    assert _bars(out) == [
        ("BlitzLassoCV", "18", "18"), ("BlitzLogisticL1CV", "12", "12")]
    # then the refits print their lines, as a single fit at verbose=1
    certs = _certificates(_lines(out))
    assert [(c[0], c[2]) for c in certs] == [
        ("BlitzLasso", f"{lasso.dual_gap_:.3e}"),
        ("BlitzLogisticL1", f"{logistic.dual_gap_[0]:.3e}")]


def test_disabled_outer_bar_draws_nothing(capsys):
    with progress(3, "outer", enabled=False) as bar:
        bar.update()
        with progress(2, "inner", enabled=True) as inner:
            inner.update()
    assert _bars(capsys.readouterr().out) == [("inner", "1", "2")]
