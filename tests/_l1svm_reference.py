# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""An independent reference for the L1-regularised squared-hinge SVM.

Plain NumPy/SciPy, without blitzlearn, in the objective's own units
(scikit-learn's ``LinearSVC(penalty="l1", loss="squared_hinge", dual=False)``):

.. math::

    P(w, b) = \\|w\\|_1 + \\beta |b| / B
    + C \\sum_i s_i \\max(0, 1 - y_i (x_i^\\top w + b))^2,

``beta = 1`` for LinearSVC's penalised intercept (``b = B w_b``), 0 for a free
intercept (``mode`` ``"penalized"``, ``"unpenalized"``; None: ``b = 0``).

:func:`reference_solution` runs L-BFGS-B on the split ``w = u - v`` (``u, v >=
0``), then polishes by generalised Newton on the smooth problem with the
support and signs fixed (a quadratic once the samples inside the margin are
fixed), and certifies the result by a dual point of its own: ``a_i = 2 C s_i
max(0, 1 - y_i z_i)``, the heavier class shrunk so that ``sum a_i y_i = 0``
(free intercept), rescaled so that ``|X^T (a y)|_j <= 1`` (and ``B |sum a_i
y_i| <= 1`` for the penalised intercept), ``D(a) = sum_i (a_i - a_i^2 / (4 C
s_i))``.
"""

import numpy as np
from scipy.optimize import minimize


def objective(X, y, w, b, C, s, mode, B=1.0):
    """``P(w, b)`` in float64 (see the module docstring)."""
    w = np.asarray(w, dtype=np.float64)
    z = np.asarray(X @ w, dtype=np.float64).ravel() + b
    pen = abs(b) / B if mode == "penalized" else 0.0
    return (float(np.abs(w).sum()) + pen
            + C * float(s @ np.maximum(1.0 - y * z, 0.0) ** 2))


def _design(X, mode, B):
    """Dense float64 ``X`` with, for ``"penalized"``, the column ``B``."""
    X = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=np.float64)
    if mode == "penalized":
        X = np.hstack([X, np.full((X.shape[0], 1), B)])
    return X


def _split(A, y, C, s, free):
    """Objective and gradient of the split problem in ``(u, v[, b])``."""
    p = A.shape[1]

    def fun(x):
        w = x[:p] - x[p:2 * p]
        b = x[2 * p] if free else 0.0
        m = np.maximum(1.0 - y * (A @ w + b), 0.0)
        g = -2.0 * C * (s * y * m)
        gw = A.T @ g
        grad = np.concatenate([gw + 1.0, -gw + 1.0] + ([[g.sum()]] if free else []))
        return float(x[:2 * p].sum()) + C * float(s @ (m * m)), grad

    return fun


def _polish(A, y, C, s, w, b, free, steps=50):
    """Generalised Newton with the support and its signs fixed."""
    S = np.flatnonzero(w)
    sign = np.sign(w[S])
    cols = np.hstack([A[:, S]] + ([np.ones((A.shape[0], 1))] if free else []))
    v = np.concatenate([w[S]] + ([[b]] if free else []))
    lin = np.concatenate([sign] + ([[0.0]] if free else []))

    def f(v):
        m = np.maximum(1.0 - y * (cols @ v), 0.0)
        return C * float(s @ (m * m)) + float(lin @ v), m

    value, m = f(v)
    for _ in range(steps):
        act = m > 0
        grad = -2.0 * C * cols.T @ (s * y * m) + lin
        H = 2.0 * C * (cols[act].T * s[act]) @ cols[act]
        step = np.linalg.lstsq(H, -grad, rcond=None)[0]
        if np.abs(step).max(initial=0.0) <= 1e-15 * np.abs(v).max(initial=1.0):
            break
        # a step within rounding of the value is taken: near the optimum the
        # decrease (gradient squared over curvature) is below the value's ulp
        slack = 8 * np.finfo(np.float64).eps * abs(value)
        t = 1.0
        while t > 1e-12:
            cand = v + t * step
            if np.all(np.sign(cand[:S.size]) == sign):
                new, m_new = f(cand)
                if new <= value + slack:
                    break
            t *= 0.5
        else:
            break
        v, value, m = cand, new, m_new
    out = w.copy()
    out[S] = v[:S.size]
    return out, (float(v[-1]) if free else b)


def _dual(A, y, C, s, w, b, free):
    """A certified lower bound from the dual point of ``(w, b)``.

    The penalised intercept is a column of ``A``: its constraint is checked
    with the others.
    """
    a = 2.0 * C * s * np.maximum(1.0 - y * (A @ w + b), 0.0)
    if free:  # shrink the heavier class so that sum a_i y_i = 0
        pos, neg = a[y > 0].sum(), a[y < 0].sum()
        if pos > neg:
            a[y > 0] *= neg / pos
        else:
            a[y < 0] *= pos / neg
    top = np.abs(A.T @ (a * y)).max(initial=0.0)
    if top > 1.0:
        a = a / top
    pos = s > 0
    return float(a[pos].sum() - (a[pos] ** 2 / (4.0 * C * s[pos])).sum())


def reference_solution(X, y, C, s, mode, B=1.0):
    """``(coef, intercept, upper, lower)``: a tight solve, certified.

    ``upper = P(coef, intercept)`` and ``lower <= P*`` (weak duality).
    """
    A = _design(X, mode, B)
    n, p = A.shape
    free = mode == "unpenalized"
    fun = _split(A, y, C, s, free)
    x0 = np.zeros(2 * p + free)
    bounds = [(0.0, None)] * (2 * p) + [(None, None)] * free
    res = minimize(fun, x0, jac=True, method="L-BFGS-B", bounds=bounds,
                   options=dict(maxiter=100_000, maxfun=200_000, ftol=1e-16,
                                gtol=1e-10, maxcor=30))
    w = res.x[:p] - res.x[p:2 * p]
    w[np.abs(w) <= 1e-9 * np.abs(w).max(initial=0.0)] = 0.0  # split leftovers
    b = float(res.x[2 * p]) if free else 0.0
    w, b = _polish(A, y, C, s, w, b, free)
    lower = _dual(A, y, C, s, w, b, free)
    if mode == "penalized":
        coef, intercept = w[:-1], B * w[-1]
    else:
        coef, intercept = w, b
    upper = objective(_design(X, None, B), y, coef, intercept, C, s, mode, B)
    return coef, intercept, upper, lower
