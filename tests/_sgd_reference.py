# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Independent NumPy reimplementations used to test AdaScaleSGDClassifier.

Written from the formulas of the AdaScale paper (and the estimator's
documented recipe), with no code shared with the package: per-batch
gradients by NumPy matrix products, the two moment estimates, the debiased
moving averages and the gain, the schedules, the linear rule's warm-up and
PyTorch's heavy-ball momentum.
"""

import math

import numpy as np


def loss_and_slope(loss, m):
    """Loss values and derivatives (in the margin) of the four losses."""
    if loss == "log_loss":
        return np.logaddexp(0.0, -m), -0.5 * (1.0 - np.tanh(0.5 * m))
    if loss == "hinge":
        return np.maximum(0.0, 1.0 - m), np.where(m < 1.0, -1.0, 0.0)
    if loss == "squared_hinge":
        t = np.maximum(0.0, 1.0 - m)
        return t * t, -2.0 * t
    value = np.where(m >= 1.0, 0.0, np.where(m >= -1.0, (1.0 - m) ** 2, -4.0 * m))
    slope = np.where(m >= 1.0, 0.0, np.where(m >= -1.0, -2.0 * (1.0 - m), -4.0))
    return value, slope


def label_matrix(y):
    """``(classes, Y)``, Y in {-1, +1}: one column for 2 classes, else one each."""
    classes, idx = np.unique(y, return_inverse=True)
    if classes.size == 2:
        return classes, np.where(idx == 1, 1.0, -1.0)[:, None]
    return classes, np.where(idx[:, None] == np.arange(classes.size), 1.0, -1.0)


def objective(X, Y, sw, W, b, alpha, loss):
    """``mean_i s_i sum_k l(Y_ik (x_i W_k + b_k)) + alpha / 2 ||W||^2``."""
    Z = np.asarray(X @ W.T) + b
    value, _ = loss_and_slope(loss, Y * Z)
    return float((sw[:, None] * value).sum() / X.shape[0]
                 + 0.5 * alpha * (W * W).sum())


def row_stream(n, seed, count, sampling="reshuffle"):
    """The first ``count`` row indices: RandomState(seed).permutation(n) draws
    (or ``randint(n, size=n)`` draws with replacement)."""
    rng = np.random.RandomState(seed)
    draws = [rng.permutation(n) if sampling == "reshuffle" else rng.randint(n, size=n)
             for _ in range(-(-count // n))]
    return np.concatenate(draws)[:count]


def batch_gradient(X, Y, sw, rows, W, b, alpha, loss, fit_intercept):
    """Gradient of F on one batch: ``(gW, gb)``."""
    Xb = X[rows]
    Z = np.asarray(Xb @ W.T) + b
    _, slope = loss_and_slope(loss, Y[rows] * Z)
    C = sw[rows, None] * slope * Y[rows] / rows.size
    gW = np.asarray(Xb.T @ C).T + alpha * W
    gb = C.sum(axis=0) if fit_intercept else np.zeros_like(b)
    return gW, gb


def plain_sgd(X, y, *, loss="log_loss", alpha=1e-4, batch_size=32, eta0=0.1,
              max_epochs=3, momentum=0.0, fit_intercept=True, seed=0,
              sample_weight=None):
    """Textbook minibatch SGD with a constant rate: ``(W, b, n_steps)``."""
    n, d = X.shape
    _, Y = label_matrix(y)
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    steps = max_epochs * math.ceil(n / batch_size)
    stream = row_stream(n, seed, steps * batch_size)
    W = np.zeros((Y.shape[1], d))
    b = np.zeros(Y.shape[1])
    vW, vb = np.zeros_like(W), np.zeros_like(b)
    for t in range(steps):
        rows = stream[t * batch_size:(t + 1) * batch_size]
        gW, gb = batch_gradient(X, Y, sw, rows, W, b, alpha, loss, fit_intercept)
        vW = momentum * vW + gW
        vb = momentum * vb + gb
        W = W - eta0 * vW
        b = b - eta0 * vb
    return W, b, steps


def schedule_rate(kind, eta0, decay, milestones_epochs, epoch_len, t_si, k):
    """``lr(k)`` of the S = 1 recipe."""
    if kind == "constant":
        return eta0
    if kind == "step":
        return eta0 * decay ** sum(k >= math.ceil(m * epoch_len)
                                   for m in milestones_epochs)
    return eta0 * decay ** (k / t_si)


def adascale_sgd(X, y, *, loss="log_loss", alpha=1e-4, batch_size=8, scale=4,
                 learning_rate="constant", eta0=0.1, lr_milestones=None,
                 lr_decay=0.1, max_epochs=2, momentum=0.0,
                 scaling_rule="adascale", smoothing=None, max_steps=None,
                 sampling="reshuffle", fit_intercept=True, seed=0,
                 sample_weight=None):
    """AdaScale / linear / identity SGD from the paper's formulas.

    Returns a dict with W, b, gains, rates, taus (tau before each step) and
    the recorded step statistics ``(sum_k ||g_k||^2, ||g_bar||^2)``.
    """
    n, d = X.shape
    _, Y = label_matrix(y)
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, float)
    S = scale
    epoch_len = math.ceil(n / batch_size)
    t_si = max_epochs * epoch_len
    theta = max(1.0 - S / 1000.0, 0.0) if smoothing is None else smoothing
    if learning_rate == "step" and lr_milestones is None:
        lr_milestones = [0.5 * max_epochs, 0.75 * max_epochs]
    if scaling_rule == "linear":
        steps = max_steps or math.ceil(t_si / S)
    else:
        steps = max_steps or t_si
    advance = t_si / max_steps if max_steps else (S if scaling_rule == "linear" else 1)
    warmup = max(1, math.ceil(0.055 * steps))
    stream = row_stream(n, seed, t_si * S * batch_size, sampling)
    W = np.zeros((Y.shape[1], d))
    b = np.zeros(Y.shape[1])
    vW, vb = np.zeros_like(W), np.zeros_like(b)
    avg_sigma = avg_mu = weight = 0.0
    out = {"gains": [], "rates": [], "taus": [], "stats": [],
           "objectives": [objective(X, Y, sw, W, b, alpha, loss)]}
    tau, t = 0.0, 0
    while tau < t_si and t < steps:
        grads = []
        for s in range(S):
            rows = stream[(t * S + s) * batch_size:(t * S + s + 1) * batch_size]
            gW, gb = batch_gradient(X, Y, sw, rows, W, b, alpha, loss, fit_intercept)
            grads.append(np.concatenate([gW.ravel(), gb]))
        G = np.array(grads)
        g_bar = G.mean(axis=0)
        sum_sq = float((G * G).sum())
        mean_sq = float(g_bar @ g_bar)
        out["stats"].append((sum_sq, mean_sq))
        # the gain of this step comes from the earlier steps' statistics
        if weight == 0.0:
            r = 1.0
        else:
            s2, m2 = avg_sigma / weight, avg_mu / weight
            r = min(max((s2 + m2) / (s2 / S + m2), 1.0), S)
        if S > 1:
            sigma2 = (sum_sq - S * mean_sq) / (S - 1)
            mu2 = mean_sq - sigma2 / S
            sigma2, mu2 = max(sigma2, 1e-6), max(mu2, 0.0)
            avg_sigma = theta * avg_sigma + (1 - theta) * sigma2
            avg_mu = theta * avg_mu + (1 - theta) * mu2
            weight = theta * weight + (1 - theta)
        if scaling_rule == "adascale":
            mult, step = r, r
        elif scaling_rule == "linear":
            mult, step = 1.0 + (S - 1.0) * min(t / warmup, 1.0), advance
        else:
            mult, step = 1.0, advance
        lr = mult * schedule_rate(learning_rate, eta0, lr_decay, lr_milestones or [],
                                  epoch_len, t_si, math.floor(tau))
        gW = g_bar[:-Y.shape[1]].reshape(W.shape)
        gb = g_bar[-Y.shape[1]:]
        vW = momentum * vW + gW
        vb = momentum * vb + gb
        W = W - lr * vW
        b = b - lr * vb
        out["gains"].append(r)
        out["rates"].append(lr)
        out["taus"].append(tau)
        tau += step
        t += 1
        while (len(out["objectives"]) <= max_epochs
               and tau >= len(out["objectives"]) * epoch_len):
            out["objectives"].append(objective(X, Y, sw, W, b, alpha, loss))
    final = objective(X, Y, sw, W, b, alpha, loss)
    out["objectives"] += [final] * (max_epochs + 1 - len(out["objectives"]))
    out["objectives"] = np.array(out["objectives"])
    out.update(W=W, b=b, tau=tau, n_iter=t, gains=np.array(out["gains"]),
               rates=np.array(out["rates"]), taus=np.array(out["taus"]))
    return out

