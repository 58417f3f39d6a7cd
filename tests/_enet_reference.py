# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Independent references for the weighted elastic net (squared and logistic loss).

Plain NumPy/SciPy/scikit-learn, written without blitzlearn, in the users' units.

Squared loss (scikit-learn's ``ElasticNet`` scaling, sample weights ``s``
rescaled to sum to ``n``):

.. math::

    P(w, b) = \\frac{1}{2n} \\sum_i s_i (y_i - x_i^\\top w - b)^2
    + \\alpha \\rho \\sum_j v_j |w_j| + \\frac{\\alpha (1 - \\rho)}{2} \\|w\\|^2.

:func:`enet_reference` reduces it exactly to a plain Lasso solved by
scikit-learn: the ridge term becomes ``p`` extra rows ``sqrt(n alpha (1 -
rho)) I`` (target 0, no intercept), the unpenalised coordinates (``v_j = 0``
and the intercept) are partialled out (Frisch-Waugh: project every other
column and the target orthogonally to them) and the penalised columns are
divided by their weights.

Logistic loss (scikit-learn's ``LogisticRegression(C, l1_ratio)`` with
per-feature weights on the L1 part):

.. math::

    P(w, b) = C \\sum_i s_i \\log(1 + e^{-y_i (x_i^\\top w + b)})
    + \\rho \\sum_j v_j |w_j| + \\frac{1 - \\rho}{2} \\|w\\|^2.

:func:`logistic_enet_reference` minimises it by L-BFGS-B on the split
``w = w+ - w-`` (a smooth bound-constrained problem), polished by Newton
steps on the support.
"""

import numpy as np
import scipy.sparse as sp
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.linear_model import Lasso


def _dense(X):
    return np.asarray(X.toarray() if sp.issparse(X) else X, dtype=np.float64)


def _scaled_weights(n, sample_weight):
    if sample_weight is None:
        return np.ones(n)
    s = np.asarray(sample_weight, dtype=np.float64)
    return s * (n / s.sum())


def enet_objective(X, y, w, b, alpha, rho, v=None, sample_weight=None):
    """``P(w, b)`` of the weighted elastic net, in float64."""
    X = _dense(X)
    w = np.asarray(w, dtype=np.float64)
    n = X.shape[0]
    s = _scaled_weights(n, sample_weight)
    r = np.asarray(y, dtype=np.float64) - X @ w - float(b)
    v = np.ones(w.size) if v is None else np.asarray(v, dtype=np.float64)
    return (float(s @ (r * r)) / (2 * n) + alpha * rho * float(v @ np.abs(w))
            + 0.5 * alpha * (1 - rho) * float(w @ w))


def enet_reference(X, y, alpha, rho, v=None, sample_weight=None,
                   fit_intercept=True, tol=1e-13):
    """``(w, b, P)`` of the weighted elastic net by the exact Lasso reduction."""
    X = _dense(X)
    n, p = X.shape
    y = np.asarray(y, dtype=np.float64)
    v = np.ones(p) if v is None else np.asarray(v, dtype=np.float64)
    root = np.sqrt(_scaled_weights(n, sample_weight))
    A = root[:, None] * X
    t = root * y
    D = root.copy()
    l2 = n * alpha * (1 - rho)
    if l2 > 0:  # ridge rows
        A = np.vstack([A, np.sqrt(l2) * np.eye(p)])
        t = np.concatenate([t, np.zeros(p)])
        D = np.concatenate([D, np.zeros(p)])
    free = np.flatnonzero(v == 0)
    pen = np.flatnonzero(v > 0)
    N = np.column_stack(([D] if fit_intercept else []) + [A[:, free]])
    if N.shape[1]:
        U, sv, _ = np.linalg.svd(N, full_matrices=False)
        Q = U[:, sv > 1e-12 * sv.max()]
    else:
        Q = np.zeros((A.shape[0], 0))
    Ap = A[:, pen] - Q @ (Q.T @ A[:, pen])
    tp = t - Q @ (Q.T @ t)
    w = np.zeros(p)
    m = A.shape[0]
    if pen.size:
        # 1/(2n) ||tp - Ap w||^2 + alpha rho sum v |w| as a Lasso on m rows
        # with columns Ap / v: alpha' = alpha rho n / m
        lasso = Lasso(alpha=alpha * rho * n / m, fit_intercept=False, tol=tol,
                      max_iter=1_000_000)
        lasso.fit(Ap / v[pen], tp)
        w[pen] = lasso.coef_ / v[pen]
    rest = t - A[:, pen] @ w[pen]
    b = 0.0
    if N.shape[1]:
        coef = np.linalg.lstsq(N, rest, rcond=None)[0]
        if fit_intercept:
            b, coef = float(coef[0]), coef[1:]
        w[free] = coef
    return w, b, enet_objective(X, y, w, b, alpha, rho, v, sample_weight)


def logistic_enet_objective(X, y, w, b, C, rho, v=None, sample_weight=None):
    """``P(w, b)`` of the weighted elastic-net logistic regression, in float64."""
    X = _dense(X)
    w = np.asarray(w, dtype=np.float64)
    s = (np.ones(X.shape[0]) if sample_weight is None
         else np.asarray(sample_weight, dtype=np.float64))
    v = np.ones(w.size) if v is None else np.asarray(v, dtype=np.float64)
    z = X @ w + float(b)
    return (C * float(s @ np.logaddexp(0.0, -y * z)) + rho * float(v @ np.abs(w))
            + 0.5 * (1 - rho) * float(w @ w))


def logistic_enet_reference(X, y, C, rho, v=None, sample_weight=None,
                            fit_intercept=True):
    """``(w, b, P)`` of the weighted elastic-net logistic regression.

    L-BFGS-B on ``(w+, w-, b)`` with ``w+, w- >= 0``, then Newton steps on
    the smooth problem restricted to the support with its signs fixed.
    """
    X = _dense(X)
    n, p = X.shape
    y = np.asarray(y, dtype=np.float64)
    s = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    v = np.ones(p) if v is None else np.asarray(v, dtype=np.float64)
    l1, l2 = rho * v, 1.0 - rho

    def fun(u):
        wp, wm, b = u[:p], u[p:2 * p], (u[-1] if fit_intercept else 0.0)
        w = wp - wm
        m = y * (X @ w + b)
        g_z = -C * s * y * expit(-m)
        f = (C * float(s @ np.logaddexp(0.0, -m)) + float(l1 @ (wp + wm))
             + 0.5 * l2 * float(w @ w))
        gw = X.T @ g_z + l2 * w
        grad = np.concatenate([gw + l1, -gw + l1]
                              + ([[g_z.sum()]] if fit_intercept else []))
        return f, grad

    size = 2 * p + (1 if fit_intercept else 0)
    bounds = [(0, None)] * (2 * p) + [(None, None)] * (size - 2 * p)
    res = minimize(fun, np.zeros(size), jac=True, method="L-BFGS-B",
                   bounds=bounds, options=dict(maxiter=100000, maxfun=200000,
                                               ftol=1e-16, gtol=1e-13,
                                               maxcor=30))
    w = res.x[:p] - res.x[p:2 * p]
    b = float(res.x[-1]) if fit_intercept else 0.0
    # Newton polish on the support (signs fixed), intercept included
    for _ in range(50):
        supp = np.flatnonzero(np.abs(w) > 1e-10 * max(1.0, np.abs(w).max()))
        Z = X[:, supp]
        if fit_intercept:
            Z = np.column_stack([Z, np.ones(n)])
        if Z.shape[1] == 0:
            break
        m = y * (X @ w + b)
        pr = expit(-m)
        g = Z.T @ (-C * s * y * pr)
        g[:supp.size] += l1[supp] * np.sign(w[supp]) + l2 * w[supp]
        H = (Z.T * (C * s * pr * (1 - pr))) @ Z
        H[:supp.size, :supp.size] += l2 * np.eye(supp.size)
        step = np.linalg.lstsq(H, g, rcond=None)[0]
        new_w = w.copy()
        new_w[supp] -= step[:supp.size]
        new_b = b - step[-1] if fit_intercept else 0.0
        if np.any(np.sign(new_w[supp]) != np.sign(w[supp])):
            break  # leaves the orthant: keep the L-BFGS-B point
        if (logistic_enet_objective(X, y, new_w, new_b, C, rho, v, s)
                > logistic_enet_objective(X, y, w, b, C, rho, v, s)):
            break
        w, b = new_w, new_b
        if np.abs(step).max() <= 1e-15 * (1 + np.abs(w).max(initial=0.0)):
            break
    return w, b, logistic_enet_objective(X, y, w, b, C, rho, v, s)
