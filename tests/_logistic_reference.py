# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""An independent high-precision reference for L1-regularised logistic regression.

Everything here is plain NumPy/SciPy, written without blitzlearn, in the
objective's own units (scikit-learn's ``LogisticRegression(l1_ratio=1)``):

.. math::

    P(w, b) = C \\sum_i s_i \\log\\bigl(1 + e^{-y_i (x_i^\\top w + b)}\\bigr)
    + \\|w\\|_1, \\qquad y_i \\in \\{-1, +1\\}.

:func:`reference_solution` is an active-set method: projected Newton on the
smooth problem restricted to a support with fixed signs (``||w||_1`` is then
the linear function ``sign^T w`` on the orthant), run to machine precision,
then the optimality conditions are checked on every feature and violating
features join the support.  A starting support may be given as a hint (for
example from the fit under test); the result is accepted only once the KKT
conditions hold on all features and an independently computed duality gap is
below ``rtol`` times the objective, so a wrong hint can cost time but never
correctness.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin

# Newton iterations per restricted problem, and active-set rounds.
MAX_NEWTON = 200
MAX_ROUNDS = 200
# A feature off the support violates the KKT conditions when |C x_j^T r| > 1 + this.
KKT_ADD = 1e-13


def _dense64(X):
    """``X`` as a float64 ndarray or float64 CSC matrix (no copy when it is)."""
    if sp.issparse(X):
        return sp.csc_matrix(X, dtype=np.float64)
    return np.asarray(X, dtype=np.float64)


def _matvec(X, w):
    """``X @ w`` as a 1-D float64 array, skipping zero weights."""
    nz = np.flatnonzero(w)
    if nz.size == 0:
        return np.zeros(X.shape[0])
    return np.asarray(X[:, nz] @ w[nz], dtype=np.float64).ravel()


def _rmatvec(X, v):
    """``X^T v`` as a 1-D float64 array."""
    return np.asarray(X.T @ v, dtype=np.float64).ravel()


def _weights(n, sample_weight):
    """Sample weights as float64 (all ones by default), *not* rescaled."""
    if sample_weight is None:
        return np.ones(n)
    return np.asarray(sample_weight, dtype=np.float64)


def signed_labels(y, positive):
    """Labels mapped to ``+1`` (``y == positive``) and ``-1`` (the rest), float64."""
    return np.where(np.asarray(y) == positive, 1.0, -1.0)


def null_intercept(y, fit_intercept=True, sample_weight=None):
    """Optimal intercept of ``w = 0``: ``log(S+ / S-)`` (0 without intercept)."""
    if not fit_intercept:
        return 0.0
    s = _weights(y.shape[0], sample_weight)
    return float(np.log(s[y > 0].sum() / s[y < 0].sum()))


def logistic_objective(X, y, w, b, C, sample_weight=None):
    """``C sum_i s_i log(1 + exp(-y_i (x_i.w + b))) + ||w||_1`` in float64.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Design matrix (any float dtype; products are taken in float64).
    y : ndarray of shape (n_samples,)
        Labels in {-1, +1}.
    w : array-like of shape (n_features,)
        Coefficients (a float32 ``coef_`` is upcast before any sum).
    b : float
        Intercept.
    C : float
        Inverse regularisation strength.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weights ``s`` as they are (not rescaled).

    Returns
    -------
    objective : float
    """
    X = _dense64(X)
    w = np.asarray(w, dtype=np.float64).ravel()
    z = _matvec(X, w) + float(b)
    s = _weights(X.shape[0], sample_weight)
    loss = float(s @ np.logaddexp(0.0, -y * z))
    return C * loss + float(np.abs(w).sum())


def null_objective(y, C, fit_intercept=True, sample_weight=None):
    """``C * P_null``: the objective of ``w = 0`` with its best intercept.

    ``tol`` times this is the gap at which ``BlitzLogisticL1`` documents that
    it stops.
    """
    s = _weights(y.shape[0], sample_weight)
    c0 = null_intercept(y, fit_intercept, s)
    return C * float(s @ np.logaddexp(0.0, -y * c0))


def c_min(X, y, fit_intercept=True, sample_weight=None):
    """Smallest ``C`` with a nonzero coefficient: ``1 / ||X^T r0||_inf``.

    Infinite when ``X^T r0 = 0`` (``w = 0`` is optimal for every ``C``).
    ``r0_i = s_i y_i sigmoid(-y_i c0)`` is the negative loss gradient of the
    null model (``c0 = log(S+ / S-)`` with an intercept, 0 without).
    """
    X = _dense64(X)
    s = _weights(X.shape[0], sample_weight)
    c0 = null_intercept(y, fit_intercept, s)
    r0 = s * y * expit(-y * c0)
    top = float(np.abs(_rmatvec(X, r0)).max())
    return 1.0 / top if top > 0 else np.inf


def _residual(X, y, s, w, b):
    """Scores ``z``, ``r = s y sigmoid(-y z)`` and curvatures ``h``."""
    z = _matvec(X, w) + b
    m = y * z
    p = expit(-m)
    return z, s * y * p, s * p * expit(m)


def _balanced(r, y):
    """``r`` with ``sum(r) = 0``, made by shrinking the heavier class's side."""
    r = r.copy()
    pos, neg = r[y > 0].sum(), -r[y < 0].sum()
    if pos > neg > 0:
        r[y > 0] *= neg / pos
    elif neg > pos > 0:
        r[y < 0] *= pos / neg
    return r


def _neg_entropy(q):
    """``q log q + (1 - q) log(1 - q)`` with ``0 log 0 = 0``."""
    q = np.clip(q, 0.0, 1.0)
    out = np.zeros_like(q)
    inside = q > 0
    out[inside] += q[inside] * np.log(q[inside])
    inside = q < 1
    out[inside] += (1.0 - q[inside]) * np.log1p(-q[inside])
    return out


def dual_objective(y, theta, sample_weight=None):
    """``D(theta) = -sum_i s_i H(y_i theta_i / s_i)`` (in units of ``1 / C``).

    ``H(q) = q log q + (1 - q) log(1 - q)``; ``y_i theta_i / s_i`` must lie in
    [0, 1] (it is clipped there, so check it separately when it matters).
    Samples of zero weight contribute nothing.
    """
    s = _weights(y.shape[0], sample_weight)
    keep = s > 0
    return -float(s[keep] @ _neg_entropy(y[keep] * theta[keep] / s[keep]))


@dataclass
class Certificate:
    """Optimality measures of ``(w, b)`` computed from scratch.

    Attributes
    ----------
    primal : float
        ``P(w, b)``.
    dual : float
        ``C * D(theta)`` at the dual point built from ``(w, b)``.
    gap : float
        ``primal - dual`` (an upper bound on ``P(w, b) - min P``).
    off_support : float
        ``max |C x_j^T r|`` over features with ``w_j = 0`` (KKT: at most 1).
    on_support : float
        ``max |C x_j^T r - sign(w_j)|`` over the support (KKT: 0).
    intercept : float
        ``|sum r| / sum |r|`` (KKT with an intercept: 0; 0 without).
    """

    primal: float
    dual: float
    gap: float
    off_support: float
    on_support: float
    intercept: float


def certificate(X, y, w, b, C, fit_intercept=True, sample_weight=None):
    """Duality gap and KKT residuals of ``(w, b)``, independent of any solver.

    The dual point is the negative loss gradient ``r = s y sigmoid(-y z)``,
    made to sum to zero (with an intercept) by shrinking the heavier class's
    entries, then scaled into ``|x_j^T theta| <= 1 / C``; the dual objective is
    ``-sum_i s_i H(y_i theta_i / s_i)``, ``H(q) = q log q + (1-q) log(1-q)``.

    Parameters
    ----------
    X, y, w, b, C, sample_weight
        As in :func:`logistic_objective`.
    fit_intercept : bool
        Whether ``b`` is a fitted (unpenalised) intercept.

    Returns
    -------
    cert : Certificate
    """
    X = _dense64(X)
    w = np.asarray(w, dtype=np.float64).ravel()
    s = _weights(X.shape[0], sample_weight)
    _, r, _ = _residual(X, y, s, w, float(b))
    primal = logistic_objective(X, y, w, b, C, s)
    grad = C * _rmatvec(X, r)
    on = w != 0
    off_support = float(np.abs(grad[~on]).max(initial=0.0))
    on_support = float(np.abs(grad[on] - np.sign(w[on])).max(initial=0.0))
    intercept = float(abs(r.sum()) / np.abs(r).sum()) if fit_intercept else 0.0
    theta = _balanced(r, y) if fit_intercept else r
    top = C * float(np.abs(_rmatvec(X, theta)).max())
    if top > 1.0:
        theta = theta / top
    dual = C * dual_objective(y, theta, s)
    return Certificate(primal=primal, dual=dual, gap=primal - dual,
                       off_support=off_support, on_support=on_support,
                       intercept=intercept)


def _newton_direction(H, g):
    """``-H^+ g`` on the range of ``H``, and ``g``'s part in its null space.

    Returns ``(d, g_null)``; ``H`` is symmetric positive semi-definite.
    """
    lam, V = np.linalg.eigh(H)
    top = max(float(lam.max(initial=0.0)), np.finfo(float).tiny)
    rng = lam > 1e-13 * top
    coords = V.T @ g
    d = -V[:, rng] @ (coords[rng] / lam[rng])
    g_null = V[:, ~rng] @ coords[~rng]
    return d, g_null


def _restricted_newton(X, y, s, C, w, b, support, signs, fit_intercept):
    """Projected Newton on ``min C L(w, b) + signs^T w`` over ``signs * w >= 0``.

    Only ``w[support]`` (and ``b``) move; ``w`` is updated in place, and a
    coordinate that reaches zero is set to exactly zero.  A coordinate at zero
    stays fixed for a step when its gradient or its Newton component points
    out of the orthant.  Along directions in the null space of the Hessian the
    objective is linear: those are followed to the nearest sign boundary.

    Returns ``b``.
    """
    Xs = X[:, support]
    if sp.issparse(Xs):
        Xs = Xs.toarray()
    Xs = np.asarray(Xs)
    n = X.shape[0]

    def objective(v, c):
        return (C * float(s @ np.logaddexp(0.0, -y * (Xs @ v + c)))
                + float(signs @ v))

    for _ in range(MAX_NEWTON):
        v = w[support]
        m = y * (Xs @ v + b)
        p = expit(-m)
        r = s * y * p
        h = s * p * expit(m)
        g = -C * (Xs.T @ r) + signs
        g_b = -C * float(r.sum())
        # coordinates at zero whose gradient pushes out of the orthant stay
        fixed = (v == 0) & (signs * g >= 0)
        while True:
            cols = np.flatnonzero(~fixed)
            A = Xs[:, cols]
            gf = g[cols]
            if fit_intercept:
                A = np.column_stack([A, np.ones(n)])
                gf = np.append(gf, g_b)
            if gf.size == 0:
                return b
            H = C * (A.T @ (h[:, None] * A))
            d, g_null = _newton_direction(H, gf)
            linear = float(np.linalg.norm(g_null)) > 1e-10 * max(
                1.0, float(np.linalg.norm(gf)))
            if linear:
                d = -g_null
            # ... and so do those at zero that the step would push out
            out = (v[cols] == 0) & (signs[cols] * d[:cols.size] < 0)
            if not out.any():
                break
            fixed[cols[out]] = True
        decrement = -float(gf @ d)
        dw = np.zeros(support.size)
        dw[cols] = d[:cols.size]
        db = float(d[cols.size]) if fit_intercept else 0.0
        towards_zero = signs * dw < 0
        with np.errstate(divide="ignore", invalid="ignore"):
            hit = np.where(towards_zero, -v / dw, np.inf)
        f0 = C * float(s @ np.logaddexp(0.0, -m)) + float(signs @ v)
        if linear:
            # the objective is linear along -g_null: go to the first boundary
            step = float(hit.min(initial=np.inf))
            if np.isfinite(step):
                new = v + step * dw
                new[hit <= step] = 0.0
                if objective(new, b + step * db) <= f0:
                    w[support] = new
                    b += step * db
                    continue
            # not linear after all (an ill-conditioned Hessian): Newton on the
            # numerical range only
            d, _ = _newton_direction(H, gf)
            decrement = -float(gf @ d)
            dw[cols] = d[:cols.size]
            db = float(d[cols.size]) if fit_intercept else 0.0
            towards_zero = signs * dw < 0
            with np.errstate(divide="ignore", invalid="ignore"):
                hit = np.where(towards_zero, -v / dw, np.inf)
        # Newton step, projected onto the orthant, with Armijo backtracking
        # (skipped once the predicted decrease is within a few thousand ulps
        # of the objective, where objective differences carry no information
        # and Newton's full step is safe)
        gfull = np.append(g, g_b) if fit_intercept else g
        tiny = decrement <= 1e-12 * max(1.0, abs(f0))
        step = 1.0
        for _ in range(60):
            new = v + step * dw
            new[(hit <= step) | (signs * new < 0)] = 0.0
            nb = b + step * db
            delta = np.append(new - v, nb - b) if fit_intercept else new - v
            if tiny or objective(new, nb) <= f0 + 1e-4 * float(gfull @ delta):
                break
            step *= 0.5
        else:
            return b  # no decrease: rounding level
        if np.array_equal(new, v) and nb == b:
            return b
        w[support] = new
        b = nb
        if decrement <= 1e-24 * max(1.0, abs(f0)):
            return b  # the step just taken reached rounding level
    return b


def reference_solution(X, y, C, fit_intercept=True, sample_weight=None,
                       hint=None, rtol=1e-12):
    """Minimiser of the L1-logistic objective to machine precision, verified.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Design matrix.
    y : ndarray of shape (n_samples,)
        Labels in {-1, +1}.
    C : float
        Inverse regularisation strength.
    fit_intercept : bool, default=True
        Whether an unpenalised intercept is fitted.
    sample_weight : ndarray of shape (n_samples,), default=None
        Weights, not rescaled; both classes need a positive total.
    hint : tuple (coef, intercept) or None, default=None
        A starting point whose support and signs seed the active set.
    rtol : float, default=1e-12
        The certificate must reach ``gap <= rtol * P``.

    Returns
    -------
    coef : ndarray of shape (n_features,)
    intercept : float
    cert : Certificate
        Its gap and KKT residuals, from :func:`certificate`.

    Raises
    ------
    AssertionError
        If the active-set loop does not reach the certificate.
    """
    X = _dense64(X)
    y = np.asarray(y, dtype=np.float64)
    n, p = X.shape
    s = _weights(n, sample_weight)
    if hint is None:
        w = np.zeros(p)
        b = null_intercept(y, fit_intercept, s)
    else:
        w = np.array(hint[0], dtype=np.float64).ravel()
        b = float(hint[1]) if fit_intercept else 0.0
    signs = np.sign(w)
    for _ in range(MAX_ROUNDS):
        support = np.flatnonzero(signs)
        if support.size:
            b = _restricted_newton(X, y, s, C, w, b, support, signs[support],
                                   fit_intercept)
        elif fit_intercept:
            b = null_intercept(y, True, s)
        signs[w == 0] = 0.0  # features that reached zero leave the support
        _, r, _ = _residual(X, y, s, w, b)
        grad = C * _rmatvec(X, r)
        grad[signs != 0] = 0.0
        excess = np.abs(grad) - 1.0
        violators = np.flatnonzero(excess > KKT_ADD)
        if violators.size == 0:
            cert = certificate(X, y, w, b, C, fit_intercept, s)
            if cert.gap <= rtol * cert.primal:
                return w, b, cert
            break
        # the worst few violators enter at zero with their descent signs
        worst = violators[np.argsort(-excess[violators])[:10]]
        signs[worst] = np.sign(grad[worst])
    cert = certificate(X, y, w, b, C, fit_intercept, s)
    raise AssertionError(f"the reference did not converge: {cert}")


def lbfgs_solution(X, y, C, fit_intercept=True, sample_weight=None):
    """A second, unrelated solver: L-BFGS-B on the split form ``w = u - v``.

    ``min C L(X (u - v) + b) + 1^T (u + v)`` over ``u, v >= 0`` is smooth with
    bounds, which SciPy's L-BFGS-B (restarted until it stalls) solves to
    about 1e-12 relative on small problems (too slow for large ones); it
    shares nothing with
    :func:`reference_solution` but :func:`logistic_objective`'s formula.

    Returns
    -------
    coef : ndarray of shape (n_features,)
    intercept : float
    """
    X = _dense64(X)
    n, p = X.shape
    s = _weights(n, sample_weight)

    def fun(x):
        u, v = x[:p], x[p:2 * p]
        b = x[-1] if fit_intercept else 0.0
        z = np.asarray(X @ (u - v)).ravel() + b
        r = s * y * expit(-y * z)
        gw = -C * _rmatvec(X, r)
        grad = [gw + 1.0, 1.0 - gw]
        if fit_intercept:
            grad.append([-C * r.sum()])
        value = C * float(s @ np.logaddexp(0.0, -y * z)) + u.sum() + v.sum()
        return value, np.concatenate(grad)

    x0 = np.zeros(2 * p + int(fit_intercept))
    if fit_intercept:
        x0[-1] = null_intercept(y, True, s)
    bounds = [(0.0, None)] * (2 * p) + [(None, None)] * int(fit_intercept)
    best = np.inf
    # L-BFGS-B may stop early on a stale curvature memory: restart it from
    # its own point until a restart no longer helps
    for _ in range(10):
        res = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                       options=dict(maxiter=100_000, maxfun=200_000, ftol=1e-15,
                                    gtol=1e-12, maxcor=30))
        x0 = res.x
        if res.fun >= best - 1e-15 * abs(best):
            break
        best = res.fun
    coef = x0[:p] - x0[p:2 * p]
    return coef, (float(x0[-1]) if fit_intercept else 0.0)


class ReferenceL1Logistic(ClassifierMixin, BaseEstimator):
    """A minimal binary classifier fitted by :func:`reference_solution`.

    The scikit-learn twin of the estimator under test for model-selection
    comparisons (``GridSearchCV``): same objective, an independent solver.

    Parameters
    ----------
    C : float, default=1.0
        Inverse regularisation strength.
    fit_intercept : bool, default=True
        Whether an unpenalised intercept is fitted.
    """

    def __init__(self, C=1.0, fit_intercept=True):
        self.C = C
        self.fit_intercept = fit_intercept

    def fit(self, X, y):
        """Fit on two classes (``classes_[1]`` is +1).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : ReferenceL1Logistic
        """
        self.classes_ = np.unique(y)
        if self.classes_.size != 2:
            raise ValueError("ReferenceL1Logistic is binary only")
        labels = signed_labels(y, self.classes_[1])
        coef, intercept, _ = reference_solution(np.asarray(X, dtype=float),
                                                labels, self.C,
                                                self.fit_intercept)
        self.coef_ = coef[None, :]
        self.intercept_ = np.array([intercept])
        return self

    def decision_function(self, X):
        """``X @ coef_[0] + intercept_[0]``."""
        return np.asarray(X, dtype=float) @ self.coef_[0] + self.intercept_[0]

    def predict(self, X):
        """The class of the sign of the decision function."""
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def predict_proba(self, X):
        """``[1 - sigmoid(f), sigmoid(f)]`` with ``f`` the decision function."""
        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])
