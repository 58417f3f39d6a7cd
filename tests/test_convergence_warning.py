# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The one ConvergenceWarning: it names the limit that stopped the fit, states
the gap and the tolerance in the same units, and prints labels plainly."""

import re
import warnings

import numpy as np
import pytest
from _toy_problem import ToyProblem
from sklearn.exceptions import ConvergenceWarning

from blitzlearn import BlitzLasso, BlitzLogisticL1, BlitzSVC
from blitzlearn._engine import Certificate, blitzws
from blitzlearn.linear_model import (
    BlitzLassoCV,
    BlitzLogisticL1CV,
    blitz_lasso_path,
    blitz_logistic_l1_path,
)


def _data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 60))
    y = X @ rng.standard_normal(60) + rng.standard_normal(40)
    return X, y, np.where(y > 0, 1.0, 0.0)


def _messages(call):
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        call()
    return [str(w.message) for w in record
            if issubclass(w.category, ConvergenceWarning)]


NUMBER = r"[-+]?\d[\d.]*(e[-+]\d+)?"


def _check(message, limit):
    assert limit in message, message
    gap, tol = re.search(rf"duality gap ({NUMBER}) is above the tolerance "
                         rf"({NUMBER})", message).group(1, 3)
    assert float(gap) > float(tol) > 0, message
    assert "np.float64" not in message and "np.str_" not in message


X, Y, LABELS = _data()
CALLS = {
    "BlitzLasso": lambda **kw: BlitzLasso(alpha=1e-3, tol=1e-12, **kw).fit(X, Y),
    "BlitzLassoCV": lambda **kw: BlitzLassoCV(alphas=2, cv=2, tol=1e-12,
                                              **kw).fit(X, Y),
    "blitz_lasso_path": lambda **kw: blitz_lasso_path(X, Y, alphas=2, tol=1e-12,
                                                      **kw),
    "BlitzLogisticL1": lambda **kw: BlitzLogisticL1(C=100.0, tol=1e-12,
                                                    **kw).fit(X, LABELS),
    "BlitzLogisticL1CV": lambda **kw: BlitzLogisticL1CV(Cs=[100.0], cv=2,
                                                        tol=1e-12,
                                                        **kw).fit(X, LABELS),
    "blitz_logistic_l1_path": lambda **kw: blitz_logistic_l1_path(
        X, LABELS, Cs=[100.0], tol=1e-12, **kw),
    "BlitzSVC": lambda **kw: BlitzSVC(C=100.0, tol=1e-12, **kw).fit(X, LABELS),
}


@pytest.mark.parametrize("entry", list(CALLS))
def test_warning_names_max_iter(entry):
    messages = _messages(lambda: CALLS[entry](max_iter=2))
    assert messages
    for message in messages:
        _check(message, "max_iter=2 ")
        assert "max_epochs" not in message


@pytest.mark.parametrize("entry", [e for e in CALLS if e != "BlitzLassoCV"])
def test_warning_names_max_epochs(entry):  # (LassoCV has no max_epochs)
    # one pass per subproblem cannot reach tol=1e-12 in 3 outer iterations:
    # the message blames max_epochs first (it used to blame max_iter only)
    messages = _messages(lambda: CALLS[entry](max_iter=3, max_epochs=1))
    assert messages
    for message in messages:
        _check(message, "max_epochs=1 ")


def test_labels_print_as_plain_values():
    # one-vs-rest: each problem's warning names its class as the user wrote it
    three = np.where(X[:, 0] > 0.5, 2.0, LABELS)
    for labels, shown in [(three, ["(class 0.0 ", "(class 1.0 ", "(class 2.0 "]),
                          (np.array(["a", "b", "c"])[three.astype(int)],
                           ["(class 'a' ", "(class 'b' ", "(class 'c' "])]:
        messages = _messages(lambda labels=labels: BlitzSVC(
            C=100.0, max_iter=1).fit(X, labels))
        assert len(messages) == 3, messages
        for message, label in zip(messages, shown, strict=True):
            assert message.startswith(f"BlitzSVC {label}against the rest"), message


def test_svc_zero_tolerance_says_why():
    # after one outer iteration the dual objective may still be 0: the
    # tolerance tol * D(alpha) is then 0, and the message shows the factors
    messages = _messages(lambda: BlitzSVC(C=10.0, max_iter=1).fit(X, LABELS))
    assert messages
    for message in messages:
        assert re.search(r"tol=0.0001 times the dual objective D\(alpha\) = ",
                         message), message


class _NaNProblem(ToyProblem):
    """An engine plug-in whose objective overflowed."""

    def __init__(self):
        super().__init__([1.0], 0.5)

    def refresh(self, working_set):
        return Certificate(gap=np.nan, lower=np.inf, dist=0.0)


def test_engine_refuses_a_non_finite_certificate():
    with pytest.raises(ValueError, match="not finite"):
        blitzws(_NaNProblem(), tol=1e-3, max_iter=5, max_epochs=5)


@pytest.mark.parametrize("entry", [e for e in CALLS if not e.endswith("CV")])
def test_warning_points_at_the_callers_line(entry):
    # the warning is attributed to the user's call (here, this file), not to
    # a line inside blitzlearn (the CVs' paths run under joblib and
    # scikit-learn's fit, whose frames lie between)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        CALLS[entry](max_iter=2)
    found = [w for w in record if issubclass(w.category, ConvergenceWarning)]
    assert found and all(w.filename == __file__ for w in found), [
        (w.filename, w.lineno) for w in found]
