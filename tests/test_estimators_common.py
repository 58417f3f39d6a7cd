# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Behaviour every estimator shares: dtypes, layouts, bad input, determinism, pickling.

The per-estimator files keep what is specific to each model (objectives
against references, certificates, warm starts, weights); scikit-learn's own
checks run in ``test_common.py`` and the untouched-input checks in
``test_inputs_untouched.py``.
"""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from blitzlearn import (
    AdaScaleSGDClassifier,
    BlitzElasticNet,
    BlitzElasticNetCV,
    BlitzLasso,
    BlitzLassoCV,
    BlitzLogisticL1,
    BlitzLogisticL1CV,
    BlitzSVC,
)

# name: (make the estimator, regression?, a negative regularisation, whether
# coef_ keeps X's floating dtype)
ESTIMATORS = {
    "BlitzLasso": (lambda: BlitzLasso(alpha=0.05, tol=1e-12), True,
                   {"alpha": -1.0}, True),
    "BlitzElasticNet": (lambda: BlitzElasticNet(alpha=0.05, l1_ratio=0.6,
                                                tol=1e-14), True,
                        {"l1_ratio": 1.5}, True),
    "BlitzElasticNetCV": (lambda: BlitzElasticNetCV(l1_ratio=[0.5, 0.9], cv=3,
                                                    alphas=4, tol=1e-14), True,
                          {"alphas": [0.1, -0.1]}, True),
    # the classifiers keep their float64 weights for float32 X, as LinearSVC
    # and liblinear do (the certificate is of the returned model)
    "BlitzLogisticL1": (lambda: BlitzLogisticL1(C=1.0, tol=1e-12), False,
                        {"C": -1.0}, False),
    # three classes: the multinomial model (L1 and group penalty)
    "BlitzLogisticL1-multinomial": (lambda: BlitzLogisticL1(C=1.0, tol=1e-12),
                                    False, {"C": -1.0}, False),
    "BlitzLogisticL1-grouped": (lambda: BlitzLogisticL1(C=1.0, grouped=True,
                                                        tol=1e-12),
                                False, {"C": -1.0}, False),
    "BlitzSVC": (lambda: BlitzSVC(C=0.5, tol=1e-12), False, {"C": -1.0}, False),
    "BlitzLassoCV": (lambda: BlitzLassoCV(cv=3, alphas=4, tol=1e-12), True,
                     {"alphas": [0.1, -0.1]}, True),
    "BlitzLogisticL1CV": (lambda: BlitzLogisticL1CV(Cs=3, cv=3, tol=1e-12), False,
                          {"Cs": [1.0, -1.0]}, False),
    # so does SGD
    "AdaScaleSGDClassifier": (lambda: AdaScaleSGDClassifier(random_state=0),
                              False, {"alpha": -1.0}, False),
}
NAMES = list(ESTIMATORS)
# With a smooth (L2) part in the penalty, a certified gap bounds the weights'
# error only by its square root: with strong convexity mu, ||w - w*||^2 <=
# 2 gap / mu.  At the smallest gap float64 certifies here (about 1e-15,
# mu = 0.02) that is 5e-7, so those models agree across layouts to 1e-6.
WEIGHTS_ATOL = {"BlitzElasticNet": 1e-6, "BlitzElasticNetCV": 1e-6}
# the variants fitted on three classes (the others on two)
THREE_CLASSES = {"BlitzLogisticL1-multinomial", "BlitzLogisticL1-grouped"}


SHAPES = {"tall": (60, 15), "wide": (30, 80)}


def _data(name, n_samples=60, n_features=15):
    """Sparse-ish data: a regression target, two classes or three."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_samples, n_features))
    X[np.abs(X) < 0.5] = 0.0  # zeros, so that the sparse layouts hold fewer
    y = X @ rng.standard_normal(n_features) + 0.1 * rng.standard_normal(n_samples)
    if name in THREE_CLASSES:
        y = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3])).astype(np.int64)
    elif not ESTIMATORS[name][1]:
        y = (y > np.median(y)).astype(np.int64)
    return X, y


def _fit(name, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # tight tol: must meet it
        return ESTIMATORS[name][0]().fit(X, y)


def _same_model(a, b, rtol, atol):
    scale = max(np.abs(a.coef_).max(), 1.0)
    assert_allclose(a.coef_, b.coef_, rtol=rtol, atol=atol * scale)
    assert_allclose(a.intercept_, b.intercept_, rtol=rtol, atol=atol * scale)


LAYOUTS = {
    "C": np.ascontiguousarray,
    "F": np.asfortranarray,
    "csr": sp.csr_matrix,
    "csc": sp.csc_matrix,
    "coo": sp.coo_matrix,
    "csr_array": sp.csr_array,
    "csc_array": sp.csc_array,
    "coo_array": sp.coo_array,
}


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("layout", list(LAYOUTS))
@pytest.mark.parametrize("name", NAMES)
def test_every_layout_gives_the_same_model(name, layout, shape):
    X, y = _data(name, *SHAPES[shape])
    reference = _fit(name, X, y)
    model = _fit(name, LAYOUTS[layout](X), y)
    # the same certified optimum (tol=1e-12), up to the order of the sums
    atol = WEIGHTS_ATOL.get(name, 1e-8)
    _same_model(model, reference, rtol=1e-7, atol=atol)
    Xt = LAYOUTS[layout](X[:7])
    assert_allclose(model.predict(Xt), reference.predict(X[:7]), rtol=1e-7,
                    atol=10 * atol)


@pytest.mark.parametrize("name", NAMES)
def test_float32_and_float64(name):
    X, y = _data(name)
    X32 = X.astype(np.float32)
    m32 = _fit(name, X32, y)
    m64 = _fit(name, X32.astype(np.float64), y)  # the same rounded data
    keeps_dtype = ESTIMATORS[name][3]
    assert m64.coef_.dtype == np.float64
    assert m32.coef_.dtype == (np.float32 if keeps_dtype else np.float64)
    assert np.asarray(m32.intercept_).dtype == m32.coef_.dtype
    _same_model(m32, m64, rtol=1e-5, atol=1e-5)
    if ESTIMATORS[name][1]:
        assert_allclose(m32.predict(X32), m64.predict(X32.astype(np.float64)),
                        rtol=1e-4, atol=1e-4)


def _with(a, index, value):
    a = np.array(a, dtype=np.float64)
    a[index] = value
    return a


BAD_INPUT = {
    "nan-in-X": (lambda X, y: (_with(X, (0, 0), np.nan), y), r"X contains NaN"),
    "inf-in-X": (lambda X, y: (_with(X, (3, 1), np.inf), y), r"X contains infinity"),
    "nan-in-sparse-X": (lambda X, y: (sp.csr_matrix(_with(X, (0, 0), np.nan)), y),
                        r"X contains NaN"),
    "nan-in-y": (lambda X, y: (X, _with(y, 0, np.nan)), r"y contains NaN"),
    "inf-in-y": (lambda X, y: (X, _with(y, 2, -np.inf)), r"y contains infinity"),
    "length-mismatch": (lambda X, y: (X, y[:-1]), r"inconsistent numbers of samples"),
    "1d-X": (lambda X, y: (X[:, 0], y), r"Expected 2D array"),
    "3d-X": (lambda X, y: (X[None], y), r"dim 3"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
@pytest.mark.parametrize("name", NAMES)
def test_bad_input_raises_a_clear_error(name, case):
    make, pattern = BAD_INPUT[case]
    X, y = make(*_data(name, 20, 5))
    with pytest.raises(ValueError, match=pattern):
        ESTIMATORS[name][0]().fit(X, y)


@pytest.mark.parametrize("name", NAMES)
def test_negative_regularisation_raises(name):
    params = ESTIMATORS[name][2]
    (param,) = params
    X, y = _data(name, 20, 5)
    with pytest.raises(ValueError, match=param):
        ESTIMATORS[name][0]().set_params(**params).fit(X, y)


@pytest.mark.parametrize("fmt", ["dok", "lil", "dia", "bsr"])
@pytest.mark.parametrize("name", NAMES)
def test_unsupported_sparse_formats_raise_type_error(name, fmt):
    X, y = _data(name, 20, 5)
    with pytest.raises(TypeError, match=rf"{name.split('-')[0]} accepts sparse X "
                                        r"in CSC, CSR or "
                                        rf"COO format.*{fmt.upper()} format"):
        ESTIMATORS[name][0]().fit(sp.csr_matrix(X).asformat(fmt), y)


@pytest.mark.parametrize("name", NAMES)
def test_readonly_input_is_accepted(name):
    X, y = _data(name)
    reference = _fit(name, X.copy(), y.copy())
    X.flags.writeable = False
    y.flags.writeable = False
    _same_model(_fit(name, X, y), reference, rtol=0, atol=0)


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("name", NAMES)
def test_two_fits_are_bit_identical(name, sparse):
    X, y = _data(name)
    X = sp.csc_matrix(X) if sparse else X
    a = _fit(name, X, y)
    b = _fit(name, X.copy(), y.copy())
    assert_array_equal(a.coef_, b.coef_)
    assert_array_equal(a.intercept_, b.intercept_)
    for attribute in ("n_iter_", "dual_gap_"):
        if hasattr(a, attribute):
            assert_array_equal(getattr(a, attribute), getattr(b, attribute))


@pytest.mark.parametrize("name", NAMES)
def test_pickling_round_trip(name):
    X, y = _data(name)
    model = _fit(name, X, y)
    clone = pickle.loads(pickle.dumps(model))
    assert_array_equal(clone.coef_, model.coef_)
    assert_array_equal(clone.intercept_, model.intercept_)
    assert_array_equal(clone.predict(X), model.predict(X))
    assert clone.get_params() == model.get_params()
    # the clone fits again to the same model
    refit = clone.fit(X, y)
    assert_array_equal(refit.coef_, model.coef_)
