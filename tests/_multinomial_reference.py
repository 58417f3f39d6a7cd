# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Independent references for the multinomial L1-logistic problem.

The objective, in the estimator's units (scikit-learn's
``LogisticRegression(l1_ratio=1)`` for ``K >= 3`` classes),

    P(W, b) = C sum_i s_i [logsumexp(z_i) - z_{i, y_i}]
              + r sum_j v_j ||W_{:, j}|| + (1 - r)/2 ||W||_F^2,
    z_i = W x_i + b,

with ``W`` of shape (K, n_features) (scikit-learn's ``coef_``), ``r`` the
``l1_ratio`` (1 by default), ``v`` the penalty weights (all ones by default)
and the norm ``||.||_1`` or ``||.||_2`` (``group``), written with numpy and
scipy only; and FISTA (accelerated proximal gradient with adaptive restart),
run to a tight tolerance, as the reference solver.  Nothing here imports blitzlearn.
"""

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import svds
from scipy.special import logsumexp, softmax


def standard_dataset(name):
    """Iris, wine or digits (a seeded 500-row subset), standardised, Fortran-ordered.

    Digits' constant columns are dropped.
    """
    from sklearn.datasets import load_digits, load_iris, load_wine
    from sklearn.preprocessing import StandardScaler

    load = {"iris": load_iris, "wine": load_wine, "digits": load_digits}[name]
    X, y = load(return_X_y=True)
    if name == "digits":  # a row subset keeps the references fast
        rows = np.random.default_rng(0).choice(y.size, 500, replace=False)
        X, y = X[rows], y[rows]
        X = X[:, X.std(axis=0) > 0]
    return np.asfortranarray(StandardScaler().fit_transform(X)), y


def objective(X, y, s, coef, intercept, C, group=False, l1_ratio=1.0,
              weights=None):
    """``P(W, b)`` in float64, exactly as the module docstring writes it."""
    X = X.astype(np.float64)
    Z = np.asarray(X @ coef.T) + intercept
    loss = float(s @ (logsumexp(Z, axis=1) - Z[np.arange(y.size), y]))
    norms = (np.sqrt((coef ** 2).sum(axis=0)) if group
             else np.abs(coef).sum(axis=0))
    v = np.ones(coef.shape[1]) if weights is None else weights
    return (C * loss + l1_ratio * float(v @ norms)
            + 0.5 * (1.0 - l1_ratio) * float((coef ** 2).sum()))


def _prox(W, t, group, l1_ratio=1.0, weights=None):
    """Proximal map of ``t (r sum_j v_j ||W[:, j]|| + (1 - r)/2 ||W||^2)``."""
    thr = t * l1_ratio * (1.0 if weights is None else weights[None, :])
    if group:
        norms = np.sqrt((W ** 2).sum(axis=0))
        out = W * np.maximum(1.0 - thr / np.maximum(norms, 1e-300), 0.0)
    else:
        out = np.sign(W) * np.maximum(np.abs(W) - thr, 0.0)
    return out / (1.0 + t * (1.0 - l1_ratio))


def _lipschitz(X, s, fit_intercept):
    """A bound on the curvature of ``C^-1 P``'s loss: ``max(s) ||[X, 1]||^2 / 2``."""
    Xa = X.astype(np.float64)
    if fit_intercept:
        ones = np.ones((X.shape[0], 1))
        Xa = sp.hstack([Xa, ones]).tocsr() if sp.issparse(Xa) else np.hstack([Xa, ones])
    if sp.issparse(Xa) and min(Xa.shape) > 2:
        top = float(svds(Xa, k=1, return_singular_vectors=False)[0])
    else:
        top = float(np.linalg.norm(Xa.toarray() if sp.issparse(Xa) else Xa, 2))
    return 0.5 * float(s.max()) * top ** 2


def fista(X, y, s, C, n_classes, *, group=False, fit_intercept=True,
          max_iter=200000, rtol=1e-13, l1_ratio=1.0, weights=None):
    """Minimise ``P`` by FISTA with adaptive restart; returns ``(coef, intercept)``.

    The step is ``1 / L`` with ``L`` the bound of :func:`_lipschitz` (times
    ``C``).  Stops when the objective has not fallen by more than ``rtol``
    (relative) in 500 iterations, or after ``max_iter``.
    """
    X = X.astype(np.float64)
    n, p = X.shape
    K = n_classes
    Y = np.zeros((n, K))
    Y[np.arange(n), y] = 1.0
    step = 1.0 / (C * _lipschitz(X, s, fit_intercept))
    W = np.zeros((K, p))
    b = np.zeros(K)
    if fit_intercept:
        totals = np.bincount(y, weights=s, minlength=K)
        b = np.log(np.maximum(totals, 1e-300) / totals.sum())
    VW, vb, t = W.copy(), b.copy(), 1.0
    best, last_check = np.inf, np.inf
    pen = dict(l1_ratio=l1_ratio, weights=weights)
    value = objective(X, y, s, W, b, C, group, **pen)
    for it in range(max_iter):
        Z = np.asarray(X @ VW.T) + vb
        G = C * s[:, None] * (softmax(Z, axis=1) - Y)
        W_new = _prox(VW - step * np.asarray(X.T @ G).T, step, group, **pen)
        b_new = vb - step * G.sum(axis=0) if fit_intercept else vb
        new_value = objective(X, y, s, W_new, b_new, C, group, **pen)
        if new_value > value:  # adaptive restart
            t = 1.0
            VW, vb = W, b
            continue
        t_new = 0.5 * (1.0 + np.sqrt(1.0 + 4.0 * t * t))
        beta = (t - 1.0) / t_new
        VW = W_new + beta * (W_new - W)
        vb = b_new + beta * (b_new - b)
        W, b, t, value = W_new, b_new, t_new, new_value
        best = min(best, value)
        if it % 500 == 499:
            if last_check - best <= rtol * abs(best):
                break
            last_check = best
    return W, b


def lbfgs_l1(X, y, s, C, n_classes, *, fit_intercept=True, maxiter=20000,
             l1_ratio=1.0, weights=None):
    """Minimise the L1 ``P`` by L-BFGS-B on the split ``W = W+ - W-``, both >= 0.

    A smooth bound-constrained problem (``r sum_j v_j (W+ + W-)_j`` replaces
    ``r sum_j v_j ||W_j||_1``; the L2 term is ``(1 - r)/2 ||W+ - W-||^2``),
    solved with scipy's tolerances at their floor.  Returns ``(coef,
    intercept)``.
    """
    from scipy.optimize import minimize

    X = X.astype(np.float64)
    n, p = X.shape
    K = n_classes
    Y = np.zeros((n, K))
    Y[np.arange(n), y] = 1.0
    size = K * p
    pw = l1_ratio * np.tile(np.ones(p) if weights is None else weights, K)
    l2 = 1.0 - l1_ratio

    def fun(v):
        Wp, Wm = v[:size].reshape(K, p), v[size:2 * size].reshape(K, p)
        b = v[2 * size:] if fit_intercept else np.zeros(K)
        W = Wp - Wm
        Z = np.asarray(X @ W.T) + b
        lse = logsumexp(Z, axis=1)
        value = (C * float(s @ (lse - Z[np.arange(n), y]))
                 + float(pw @ (v[:size] + v[size:2 * size]))
                 + 0.5 * l2 * float((W ** 2).sum()))
        G = C * s[:, None] * (np.exp(Z - lse[:, None]) - Y)
        gW = np.asarray(X.T @ G).T.ravel() + l2 * W.ravel()
        grad = np.concatenate([gW + pw, pw - gW]
                              + ([G.sum(axis=0)] if fit_intercept else []))
        return value, grad

    v0 = np.zeros(2 * size + (K if fit_intercept else 0))
    bounds = [(0.0, None)] * (2 * size) + [(None, None)] * (K if fit_intercept else 0)
    res = minimize(fun, v0, jac=True, method="L-BFGS-B", bounds=bounds,
                   options=dict(maxiter=maxiter, maxfun=2 * maxiter, ftol=1e-15,
                                gtol=1e-10, maxcor=30))
    v = res.x
    W = v[:size].reshape(K, p) - v[size:2 * size].reshape(K, p)
    b = v[2 * size:] if fit_intercept else np.zeros(K)
    return W, b


def dual_bound(X, y, s, coef, intercept, C, group=False, fit_intercept=True):
    """A lower bound on ``min P`` from ``(coef, intercept)`` (Fenchel duality).

    For a sample's loss ``f_i(z) = C s_i [logsumexp(z) - z_{y_i}]`` and ``v_i
    = C s_i (q_i - e_{y_i})`` with ``q_i`` in the simplex, ``f_i(z) >= v_i^T z
    + C s_i H(q_i)`` (``H`` the entropy).  Summed, with ``|(X^T V)_{jk}| <= 1``
    (or ``||(X^T V)_{:, j}||_2 <= 1`` for ``group``) so that the penalty is at
    least ``-<V, X W>``, every ``(W, b)`` has ``P(W, b) >= D + <sum_i v_i,
    b>``, ``D = C sum_i s_i H(q_i)``.  Here ``q_i`` is the softmax at the
    given weights with the intercept first re-solved by Newton steps (so
    ``sum_i v_i`` vanishes to rounding), pulled towards ``e_{y_i}`` by the
    factor that makes ``V`` feasible.

    Returns
    -------
    bound : float
        ``D``.
    slack : float
        ``||sum_i v_i||_1 (max(b) - min(b))``, an estimate of the neglected
        ``<sum_i v_i, b*>`` (0 without an intercept); the caller checks it
        is negligible.
    """
    from scipy.special import entr

    X = X.astype(np.float64)
    n, K = y.size, coef.shape[0]
    Y = np.zeros((n, K))
    Y[np.arange(n), y] = 1.0
    Z = np.asarray(X @ coef.T)
    b = np.asarray(intercept, dtype=np.float64).copy()
    if fit_intercept:  # Newton on sum_i s_i logsumexp(z_i + b) - b^T S
        totals = s @ Y
        for _ in range(50):
            Q = softmax(Z + b, axis=1)
            grad = s @ Q - totals
            if np.abs(grad).sum() <= 1e-15 * s.sum():
                break
            hess = np.diag(s @ Q) - (Q * s[:, None]).T @ Q
            b -= np.linalg.lstsq(hess, grad, rcond=None)[0]
    Q = softmax(Z + b, axis=1)
    V = C * s[:, None] * (Q - Y)
    XtV = np.asarray(X.T @ V)
    norms = (np.sqrt((XtV ** 2).sum(axis=1)) if group else np.abs(XtV).max(axis=1))
    scale = max(1.0, float(norms.max()))
    Q = Y + (Q - Y) / scale
    bound = C * float(s @ entr(np.clip(Q, 0.0, 1.0)).sum(axis=1))
    slack = 0.0
    if fit_intercept:
        slack = float(np.abs((V / scale).sum(axis=0)).sum()) * float(b.max() - b.min())
    return bound, slack
