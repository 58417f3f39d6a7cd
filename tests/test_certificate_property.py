# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Property test: ``dual_gap_`` bounds the suboptimality of the returned model.

For a few hundred small random problems per estimator (dense, CSR and CSC
input, float32 and float64, with and without intercept and sample weights,
varied scales, regularisation from near 0 to near the all-zero level), the
objective of the arrays the user receives, ``coef_`` and ``intercept_``
evaluated in float64 exactly in the estimator's objective, is compared with an
independent tight reference optimum ``P*``:

* ``P(coef_, intercept_) - P* <= dual_gap_ + noise`` for every binary problem;
* without a ConvergenceWarning, ``dual_gap_ <= `` the documented absolute
  tolerance.

The references: an exact active-set polish of the Lasso's KKT system started
from scikit-learn's ``Lasso`` (certified by its own duality gap),
``_logistic_reference.reference_solution`` and ``_svm_reference.solve_dual``.
Each reference is itself certified: its gap must be far below the tolerance,
so that a violation larger than the noise cannot hide behind it.

``run_cases(kind, n_cases)`` is also a script entry point: ``python
tests/test_certificate_property.py`` prints the problems tried and the
violations per estimator (for any installed blitzlearn).
"""

import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from _helpers import lasso_objective, tol_bound
from _logistic_reference import c_min, logistic_objective, null_objective
from _logistic_reference import reference_solution as logistic_reference
from _svm_reference import (
    augmented_primal,
    augmented_rows,
    primal_objective,
    solve_dual,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso

from blitzlearn import BlitzLasso, BlitzLogisticL1, BlitzSVC
from blitzlearn.linear_model import blitz_lasso_path, blitz_logistic_l1_path

# Non-canonical sparse input (duplicated entries, in shuffled order, which
# scipy sums) is part of the input space: half of the sparse problems store
# a third of their entries twice.  Switch off to test only canonical input.
INCLUDE_NON_CANONICAL = True

# Problems per estimator in the test run (``python
# tests/test_certificate_property.py COUNT [KIND...]`` runs a larger sweep).
N_CASES = 200
N_PATHS = 25  # paths per kind (each point of a path is checked)

EPS = np.finfo(np.float64).eps

# Float noise allowed on ``P(returned) - P*``.  Both objectives, and the
# estimator's own gap, are sums of O(n + p) float64 terms, each rounded at a
# few eps times the magnitude of what it sums, not of the result: a residual
# y_i - x_i.w - b of a near-interpolating fit with a large intercept is tiny
# while its terms are not.  For a margin-based loss (logistic, hinge) the
# error is then at most a few eps times ``magnitude``, the objective with
# absolute values (1 + |x_i|.|w| + |b| for each margin); for the squared loss,
# an error e_i on r_i moves sum s_i r_i^2 / 2n by at most sqrt(2P) times the
# root-mean-square of e_i (Cauchy-Schwarz), so ``magnitude`` is sqrt(P M) with
# M the mean of s_i (|y_i| + |x_i|.|w| + |b|)^2 / 2.  64 eps times magnitude
# plus |P*| is far above those errors (a few eps times sqrt(n p)) and far below
# any defect worth finding (float32 rounding is 2^29 times eps).
NOISE_FACTOR = 64 * EPS


# -- the generator --------------------------------------------------------------
def _design(rng, n, p, dtype):
    """``(X_as_given, X_dense64)``: X in a random format, and its exact value."""
    scale = 10.0 ** rng.uniform(-2, 2)
    X = rng.standard_normal((n, p)) * scale
    fmt = rng.choice(["dense_c", "dense_f", "csr", "csc"])
    if fmt.startswith("csr") or fmt.startswith("csc"):
        X[rng.random((n, p)) > rng.uniform(0.3, 0.9)] = 0.0
        X[rng.integers(n), rng.integers(p)] = scale  # never an empty matrix
    X = X.astype(dtype)
    dense64 = X.astype(np.float64)
    if fmt == "dense_c":
        return np.ascontiguousarray(X), dense64, fmt
    if fmt == "dense_f":
        return np.asfortranarray(X), dense64, fmt
    M = sp.csr_matrix(X) if fmt == "csr" else sp.csc_matrix(X)
    if INCLUDE_NON_CANONICAL and rng.random() < 0.5:
        M = _duplicate_entries(rng, M)
        fmt += "_noncanonical"
        # what the user means: scipy's sum of the duplicates, in X's dtype
        dense64 = M.toarray().astype(np.float64)
    return M, dense64, fmt


def _duplicate_entries(rng, M):
    """The same matrix with some entries stored twice, in shuffled order."""
    coo = M.tocoo()
    k = max(1, coo.nnz // 3)
    pick = rng.choice(coo.nnz, size=k, replace=False)
    part = (coo.data[pick] * rng.uniform(0.2, 0.8, size=k)).astype(M.dtype)
    data = coo.data.copy()
    data[pick] -= part
    rows = np.concatenate([coo.row, coo.row[pick]])
    cols = np.concatenate([coo.col, coo.col[pick]])
    data = np.concatenate([data, part])
    major, minor = (rows, cols) if M.format == "csr" else (cols, rows)
    order = rng.permutation(rows.size)
    order = order[np.argsort(major[order], kind="stable")]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(
        major, minlength=M.shape[0 if M.format == "csr" else 1]))])
    cls = sp.csr_matrix if M.format == "csr" else sp.csc_matrix
    raw = cls((data[order], minor[order], indptr), shape=M.shape)
    assert not raw.has_canonical_format
    return raw


def _sample_weight(rng, n):
    kind = rng.choice(["none", "uniform", "integer"])
    if kind == "none":
        return None, kind
    if kind == "uniform":
        return rng.uniform(0.1, 3.0, size=n), kind
    return rng.integers(0, 4, size=n).astype(np.float64), kind


def make_case(kind, seed):
    """One random problem of estimator ``kind``: a dict of everything needed."""
    rng = np.random.default_rng([24, seed])
    n = int(rng.integers(6, 32))
    p = int(rng.integers(2, 16))
    dtype = rng.choice([np.float32, np.float64])
    X, X64, fmt = _design(rng, n, p, dtype)
    fit_intercept = bool(rng.random() < 0.6)
    tol = float(rng.choice([1e-4, 1e-4, 1e-6, 1e-8]))
    case = dict(kind=kind, seed=seed, X=X, X64=X64, fmt=fmt, dtype=np.dtype(dtype),
                fit_intercept=fit_intercept, tol=tol)
    if kind == "lasso":
        y = X64 @ (rng.standard_normal(p) * (rng.random(p) < 0.5))
        draws = rng.standard_normal(n)
        y = y + draws * 10.0 ** rng.uniform(-3, 0) * (np.abs(y).max() + 1)
        # a mean far from 0 (up to 1e5 times the spread) tests the intercept
        y = (y + rng.normal() * 10.0 ** rng.uniform(0, 5)) * 10.0 ** rng.uniform(-2, 2)
        sw, sw_kind = _sample_weight(rng, n)
        if sw is not None and sw.sum() == 0:
            sw[0] = 1.0
        top = _lasso_alpha_max(X64, y, fit_intercept, sw)
        # near alpha = 0 a problem with n <= p + 1 samples of positive weight
        # is basis pursuit, whose reference (an exact L1-minimal interpolant)
        # is out of this file's reach
        n_used = n if sw is None else int(np.count_nonzero(sw))
        low = -5 if n_used > p + 2 else -3
        case.update(y=y, sample_weight=sw, sw_kind=sw_kind,
                    reg=top * 10.0 ** rng.uniform(low, 0.05) if top > 0 else 1.0)
        return case
    n_classes = 3 if rng.random() < 0.2 else 2
    informative = rng.random() < 0.6  # labels from X (with noise), or random
    scores = X64 @ rng.standard_normal((p, n_classes))
    scores = scores / (scores.std() + 1e-300)
    for _ in range(100):
        if informative:
            noisy = scores + rng.standard_normal(scores.shape) * rng.uniform(0, 1)
            y = noisy.argmax(axis=1)
        else:
            y = rng.integers(0, n_classes, size=n)
        sw, sw_kind = _sample_weight(rng, n)
        s = np.ones(n) if sw is None else sw
        if all(s[y == c].sum() > 0 and s[y != c].sum() > 0 for c in range(n_classes)):
            break
    case.update(y=y, sample_weight=sw, sw_kind=sw_kind, n_classes=n_classes)
    if kind == "logistic":
        lo = min(c_min(X64, np.where(y == c, 1.0, -1.0), fit_intercept, sw)
                 for c in range(n_classes) if n_classes > 2 or c == 1)
        lo = lo if np.isfinite(lo) else 1.0
        case["reg"] = lo * 10.0 ** rng.uniform(-0.05, 3)
    else:
        scale = float(np.mean(X64 ** 2) * p)  # squared row norm
        case["reg"] = 10.0 ** rng.uniform(-3, 2.5) / max(scale, 1e-12)
        case["intercept_scaling"] = float(10.0 ** rng.uniform(-1, 1))
    return case


def _lasso_alpha_max(X64, y, fit_intercept, sw):
    n = X64.shape[0]
    s = np.ones(n) if sw is None else sw * (n / sw.sum())
    yc = y - (s @ y) / s.sum() if fit_intercept else y
    return float(np.abs(X64.T @ (s * yc)).max()) / n


# -- the references ---------------------------------------------------------------
def _lasso_reference(X64, y, alpha, fit_intercept, sw):
    """``(P_upper, P_lower)``: a polished Lasso optimum and its certified bound.

    With weights ``s`` rescaled to sum to ``n``, centred data (weighted means)
    and ``A = sqrt(s / n) X_c``, ``c = sqrt(s / n) y_c``, the objective is
    ``F(w) = |A w - c|^2 / 2 + alpha |w|_1``, whose dual at ``u`` with
    ``|A^T u| <= alpha`` is ``c.u - |u|^2 / 2``.  The KKT system on the signed
    support of scikit-learn's solution is solved exactly, growing the support
    with its violators.
    """
    n, p = X64.shape
    s = np.ones(n) if sw is None else sw * (n / sw.sum())
    if fit_intercept:
        xm, ym = (s @ X64) / s.sum(), (s @ y) / s.sum()
    else:
        xm, ym = np.zeros(p), 0.0
    root = np.sqrt(s / n)
    A = root[:, None] * (X64 - xm)
    c = root * (y - ym)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sk = Lasso(alpha=alpha, fit_intercept=False, tol=1e-14, max_iter=200_000)
        # the Lasso on (A, c) * sqrt(n): (1/2n)|sqrt(n)(c - A w)|^2 = F - alpha|w|
        w = sk.fit(A * np.sqrt(n), c * np.sqrt(n)).coef_.astype(np.float64)

    def value(w):
        r = A @ w - c
        return 0.5 * float(r @ r) + alpha * float(np.abs(w).sum())

    def lower(w):
        u = c - A @ w
        top = float(np.abs(A.T @ u).max(initial=0.0))
        if top > alpha:
            u = u * (alpha / top)
        return float(c @ u) - 0.5 * float(u @ u)

    # feature-sign search (Lee et al., 2007): exact solves on the signed
    # support, a line search over the sign changes, violators join
    best_w, best = w, value(w)
    signs = np.sign(w)
    for _ in range(100):
        S = np.flatnonzero(signs)
        cand = np.zeros(p)
        if S.size:
            AS = A[:, S]
            cand[S] = np.linalg.lstsq(AS.T @ AS, AS.T @ c - alpha * signs[S],
                                      rcond=None)[0]
        # the best point on [w, cand] among cand and the sign changes
        steps = [1.0]
        for j in S:
            if np.sign(cand[j]) != signs[j] and cand[j] != w[j]:
                steps.append(w[j] / (w[j] - cand[j]))
        points = [w + t * (cand - w) for t in steps if 0.0 <= t <= 1.0]
        new = min(points, key=value)
        new[np.abs(new) <= 1e-15 * np.abs(new).max(initial=0.0)] = 0.0
        moved = value(new) < value(w) - 1e-16 * abs(value(w))
        w = new
        signs = np.sign(w)
        if value(w) < best:
            best_w, best = w, value(w)
        if moved:
            continue
        grad = A.T @ (c - A @ w)
        viol = (np.abs(grad) > alpha * (1 + 1e-13)) & (signs == 0)
        if not viol.any():
            break
        j = int(np.argmax(np.where(viol, np.abs(grad), 0.0)))
        signs[j] = np.sign(grad[j])
    return best, lower(best_w)


def _lasso_magnitude(X64, y, coef, b, sw):
    n = X64.shape[0]
    s = np.ones(n) if sw is None else sw * (n / sw.sum())
    m = np.abs(y) + np.abs(X64) @ np.abs(coef) + abs(b)
    return float(s @ (m * m)) / (2 * n)


def _binary_problems(case, model):
    """Per binary problem: ``(labels, coef, intercept, gap)``."""
    classes = model.classes_
    targets = [1] if classes.size == 2 else range(classes.size)
    out = []
    for k, t in enumerate(targets):
        labels = np.where(case["y"] == classes[t], 1.0, -1.0)
        out.append((labels, np.asarray(model.coef_[k], dtype=np.float64),
                    float(model.intercept_[k]), float(model.dual_gap_[k])))
    return out


def _lasso_record(X64, y, coef, b, alpha, fit_intercept, sw, gap, tol):
    """``(P(returned), P* upper, P* lower, magnitude, gap, tol_abs)`` of a Lasso."""
    returned = lasso_objective(X64, y, coef, b, alpha, sw)
    upper, lower = _lasso_reference(X64, y, alpha, fit_intercept, sw)
    magnitude = np.sqrt(max(upper, 0.0) * _lasso_magnitude(X64, y, coef, b, sw))
    return (returned, upper, lower, magnitude, gap,
            tol_bound(y, tol, fit_intercept, sw))


def _logistic_record(X64, labels, coef, b, C, fit_intercept, sw, gap, tol):
    """The same for one binary L1-logistic problem (labels in {-1, +1})."""
    returned = logistic_objective(X64, labels, coef, b, C, sw)
    try:
        _, _, cert = logistic_reference(X64, labels, C, fit_intercept, sw,
                                        hint=(coef, b))
    except AssertionError:  # the hint's support misled it: from scratch
        _, _, cert = logistic_reference(X64, labels, C, fit_intercept, sw)
    s = np.ones(labels.size) if sw is None else sw
    margins = 1.0 + np.abs(X64) @ np.abs(coef) + abs(b)
    magnitude = C * float(s @ margins) + float(np.abs(coef).sum())
    return (returned, cert.primal, cert.dual, magnitude, gap,
            tol * null_objective(labels, C, fit_intercept, sw))


def _svc_record(X64, labels, coef, b, C, fit_intercept, sw, gap, tol, B):
    """The same for one binary SVM problem (``B`` the intercept scaling)."""
    returned = primal_objective(X64, labels, coef, b, C, sw, B, fit_intercept)
    u = C * (np.ones(labels.size) if sw is None else sw)
    Z = augmented_rows(X64, labels, B if fit_intercept else 0.0)
    wb = b / B if fit_intercept else 0.0
    magnitude = (0.5 * (float(coef @ coef) + wb * wb)
                 + float(u @ (1.0 + np.abs(X64) @ np.abs(coef) + abs(b))))
    # the dual seeded by the returned model's margins (optimising the examples
    # with a margin within 1e-4, then 1e-2 of 1), then, while that is not
    # tight enough for _verdicts, the whole dual: each certified by its own
    # gap, the tighter bounds kept
    upper, lower = np.inf, -np.inf
    guess = np.append(coef, [wb] if fit_intercept else [])
    for start, band in ((guess, 1e-4), (guess, 1e-2), (None, 1e-2)):
        try:
            _, w_ref, ref_gap = solve_dual(Z, u, w_guess=start, band=band)
        except ValueError:  # no margin near 1 at the guess
            continue
        value = augmented_primal(Z, u, w_ref)
        upper, lower = min(upper, value), max(lower, value - ref_gap)
        noise = NOISE_FACTOR * (abs(upper) + magnitude)
        if upper - lower <= 1e-3 * tol * max(lower, 0.0) + 1e3 * noise:
            break
    # BlitzSVC stops at gap <= tol * D, and D <= P*
    return (returned, upper, lower, magnitude, gap, tol * max(lower, 0.0))


def _verdicts(tag, records, warned):
    """Violation messages of ``records`` (see :func:`_lasso_record`)."""
    messages = []
    for returned, upper, lower, magnitude, gap, tol_abs in records:
        noise = NOISE_FACTOR * (abs(upper) + magnitude)
        # the reference must resolve violations far below the tolerance
        if upper - lower > 1e-3 * tol_abs + 1e3 * noise:
            messages.append(f"{tag}: reference not tight ({upper - lower:.3e})")
            continue
        excess = returned - upper
        if excess > gap + noise:
            messages.append(f"{tag}: P(returned) - P* = {excess:.3e} above "
                            f"dual_gap_ {gap:.3e} (noise {noise:.1e})")
        if not warned and excess > tol_abs * (1 + 1e-9) + noise:
            messages.append(f"{tag}: converged, but P(returned) - P* = "
                            f"{excess:.3e} is above the tolerance {tol_abs:.3e}")
        if not warned and gap > tol_abs * (1 + 1e-9) + noise:
            messages.append(f"{tag}: converged with dual_gap_ {gap:.3e} above the "
                            f"tolerance {tol_abs:.3e}")
    return messages


def _fit(call):
    """``(result, warned, error)`` of ``call()``, recording its warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except Exception as exc:  # noqa: BLE001 - reported as a violation
            return None, False, f"raised {type(exc).__name__}: {exc}"
    warned = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    return result, warned, None


def check_case(case):
    """Fit the case's estimator; return a list of violation messages."""
    kind, X, X64 = case["kind"], case["X"], case["X64"]
    sw, fit_intercept, tol, reg = (case["sample_weight"], case["fit_intercept"],
                                   case["tol"], case["reg"])
    tag = (f"{kind} seed={case['seed']} {case['fmt']} {case['dtype']} "
           f"intercept={fit_intercept} sw={case['sw_kind']} reg={reg:.3g} "
           f"tol={tol:g}")
    if kind == "lasso":
        model = BlitzLasso(alpha=reg, fit_intercept=fit_intercept, tol=tol)
    elif kind == "logistic":
        # one-vs-rest: each row against its binary reference (the multinomial
        # model's certificate: test_multinomial_problem.py)
        model = BlitzLogisticL1(C=reg, fit_intercept=fit_intercept, tol=tol,
                                multi_class="ovr")
    else:
        model = BlitzSVC(loss="hinge", C=reg, fit_intercept=fit_intercept, tol=tol,
                         intercept_scaling=case["intercept_scaling"])
    model, warned, error = _fit(lambda: model.fit(
        X, case["y"], sample_weight=None if sw is None else sw.copy()))
    if error:
        return [f"{tag}: fit {error}"]
    if kind == "lasso":
        records = [_lasso_record(X64, case["y"], np.asarray(model.coef_, np.float64),
                                 float(model.intercept_), reg, fit_intercept, sw,
                                 float(model.dual_gap_), tol)]
    elif kind == "logistic":
        records = [_logistic_record(X64, labels, coef, b, reg, fit_intercept, sw,
                                    gap, tol)
                   for labels, coef, b, gap in _binary_problems(case, model)]
    else:
        records = [_svc_record(X64, labels, coef, b, reg, fit_intercept, sw, gap,
                               tol, case["intercept_scaling"])
                   for labels, coef, b, gap in _binary_problems(case, model)]
    return _verdicts(tag, records, warned)


def check_path_case(kind, seed):
    """The same through ``blitz_lasso_path`` / ``blitz_logistic_l1_path``.

    A Lasso path has no intercept nor weights (its API's problem); a warning
    at any point of the path waives the tolerance check of the whole path.
    """
    case = make_case(kind, seed)
    X, X64, y, tol = case["X"], case["X64"], case["y"], case["tol"]
    tag = f"{kind}_path seed={seed} {case['fmt']} {case['dtype']} tol={tol:g}"
    if kind == "lasso":
        top = _lasso_alpha_max(X64, y, False, None)
        grid = top * np.array([0.9, 0.3, 0.05, 0.005])
        out, warned, error = _fit(lambda: blitz_lasso_path(X, y, alphas=grid,
                                                           tol=tol))
        if error:
            return [f"{tag}: path {error}"]
        alphas, coefs, gaps = out
        records = [_lasso_record(X64, y, coefs[:, k].astype(np.float64), 0.0,
                                 alphas[k], False, None, gaps[k], tol)
                   for k in range(alphas.size)]
        return _verdicts(tag, records, warned)
    labels = np.where(y == 1, 1.0, -1.0)
    fit_intercept, sw = case["fit_intercept"], case["sample_weight"]
    grid = case["reg"] * np.array([1.0, 4.0, 30.0])
    out, warned, error = _fit(lambda: blitz_logistic_l1_path(
        X, labels, pos_class=1.0, Cs=grid, fit_intercept=fit_intercept, tol=tol,
        sample_weight=None if sw is None else sw.copy()))
    if error:
        return [f"{tag}: path {error}"]
    Cs, coefs, gaps = out
    p = X.shape[1]
    records = [_logistic_record(X64, labels, coefs[k, :p].astype(np.float64),
                                float(coefs[k, p]) if fit_intercept else 0.0,
                                Cs[k], fit_intercept, sw, gaps[k], tol)
               for k in range(Cs.size)]
    return _verdicts(tag, records, warned)


def run_cases(kind, n_cases, first=0):
    """``(problems tried, list of violation messages)`` for one estimator.

    ``kind`` is "lasso", "logistic", "svc", "lasso_path" or "logistic_path".
    """
    messages = []
    for seed in range(first, first + n_cases):
        if kind.endswith("_path"):
            messages += check_path_case(kind[:-len("_path")], seed)
        else:
            messages += check_case(make_case(kind, seed))
    return n_cases, messages


# -- the tests ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["lasso", "logistic", "svc"])
def test_certificate_bounds_returned_model(kind):
    n, messages = run_cases(kind, N_CASES)
    assert not messages, f"{len(messages)} violations in {n} problems:\n" + "\n".join(
        messages[:20])


@pytest.mark.parametrize("kind", ["lasso_path", "logistic_path"])
def test_certificate_bounds_every_point_of_a_path(kind):
    n, messages = run_cases(kind, N_PATHS)
    assert not messages, f"{len(messages)} violations in {n} problems:\n" + "\n".join(
        messages[:20])


def test_float32_svc_returns_the_certified_float64_model():
    # issue 24's example: 24 x 24 Gaussian X in float32, C = 3000.  Rounding
    # coef_ to float32 moved the objective by more than the tolerance, with
    # dual_gap_ (of the float64 weights) claiming convergence
    rng = np.random.default_rng(0)
    X = rng.standard_normal((24, 24)).astype(np.float32)
    y = np.where(rng.standard_normal(24) > 0, 1.0, -1.0)
    model = BlitzSVC(loss="hinge", C=3000.0, tol=1e-4).fit(X, y)
    assert model.coef_.dtype == np.float64 and model.intercept_.dtype == np.float64
    X64 = X.astype(np.float64)
    returned, upper, lower, magnitude, gap, tol_abs = _svc_record(
        X64, y, model.coef_[0], float(model.intercept_[0]), 3000.0, True, None,
        float(model.dual_gap_[0]), 1e-4, 1.0)
    noise = NOISE_FACTOR * (abs(upper) + magnitude)
    assert upper - lower <= 1e-6 * tol_abs
    assert returned - upper <= gap + noise
    assert returned - upper <= tol_abs


def test_float32_lasso_certifies_its_rounded_intercept():
    # y with a mean of 1e4: the float32 intercept is 1e-3 away from the
    # optimal one, which the certificate must charge (it reported 0 before,
    # its dual value overstated by mean(y) * sum(theta))
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 5)).astype(np.float32)
    X64 = X.astype(np.float64)
    y = X64 @ np.array([1.0, -2, 0, 0, 3]) + 0.01 * rng.standard_normal(40) + 12345.678
    alpha = 1e-3
    model = BlitzLasso(alpha=alpha, tol=1e-8).fit(X, y)
    assert model.coef_.dtype == np.float32
    assert np.asarray(model.intercept_).dtype == np.float32
    returned, upper, lower, magnitude, gap, tol_abs = _lasso_record(
        X64, y, model.coef_.astype(np.float64), float(model.intercept_), alpha, True,
        None, float(model.dual_gap_), 1e-8)
    noise = NOISE_FACTOR * (abs(upper) + magnitude)
    assert upper - lower <= 1e-6 * tol_abs
    assert returned - upper > 100 * noise  # the rounding is visible
    assert returned - upper <= gap + noise <= tol_abs
    # a tolerance below the rounding's cost: a warning, after a few iterations
    with pytest.warns(ConvergenceWarning, match="rounded to X's dtype"):
        strict = BlitzLasso(alpha=alpha, tol=1e-10).fit(X, y)
    assert strict.n_iter_ <= 10
    assert strict.dual_gap_ >= returned - upper - noise


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else N_CASES
    kinds = sys.argv[2:] or ["lasso", "logistic", "svc"]
    for kind in kinds:
        tried, found = run_cases(kind, count)
        broken = {m.split(":")[0] for m in found}
        weak = {m.split(":")[0] for m in found if "reference not tight" in m}
        raised = {m.split(":")[0] for m in found if "raised" in m}
        above = {m.split(":")[0] for m in found if "converged, but" in m}
        print(f"{kind}: {tried} problems tried, {len(broken)} with violations "
              f"({len(weak)} of them: reference not tight, {len(raised)}: fit "
              f"raised, {len(above)}: converged, yet further than the "
              "tolerance from P*)")
        for line in found:
            print("   ", line)
