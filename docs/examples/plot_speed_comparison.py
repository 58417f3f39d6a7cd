"""
Speed against scikit-learn, live
================================

A small timing of :class:`blitzlearn.BlitzLasso` against scikit-learn's
:class:`~sklearn.linear_model.Lasso`, run on the machine that built these
pages: a generated sparse problem, three regularisation levels, the same
objective and the same stopping rule (duality gap at most
``tol * ||y - mean(y)||^2 / n``) for both.

It is a sketch, not the benchmark.  The tables on the :doc:`benchmarks page
<../benchmarks>` compare blitzlearn with scikit-learn, celer and skglm on
real and larger generated data, at a certified accuracy checked outside the
solvers, with peak memory; they are produced by
``asv_benchmarks/peer_comparison.py``.  celer and skglm are timed here too
when they happen to be installed (``pip install celer skglm``); the
documentation build does not need them.
"""

# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause

import time

import matplotlib.pyplot as plt
import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import Lasso

from blitzlearn import BlitzLasso

# %%
# The problem: 1000 samples, 20000 sparse features (1% nonzero), a target
# made of 50 of them plus noise.  ``alpha`` is set relative to
# ``alpha_max``, the smallest value at which every coefficient is zero.
rng = np.random.RandomState(0)
n_samples, n_features = 1000, 20000
X = sp.random(n_samples, n_features, density=0.01, format="csc",
              random_state=rng)
w_true = np.zeros(n_features)
w_true[rng.choice(n_features, 50, replace=False)] = rng.randn(50)
y = X @ w_true + 0.01 * rng.randn(n_samples)
y_centred = y - y.mean()
alpha_max = np.abs(X.T @ y_centred).max() / n_samples
tol = 1e-6

solvers = {
    "blitzlearn": lambda alpha: BlitzLasso(alpha=alpha, tol=tol),
    "scikit-learn": lambda alpha: Lasso(alpha=alpha, tol=tol, max_iter=100_000),
}
try:  # optional peers: the same objective, their own stopping rules
    import celer

    solvers["celer"] = lambda alpha: celer.Lasso(alpha=alpha, tol=tol)
except ImportError:
    print("celer is not installed: not timed")
try:
    import skglm

    solvers["skglm"] = lambda alpha: skglm.Lasso(alpha=alpha, tol=tol,
                                                 fit_intercept=True)
except ImportError:
    print("skglm is not installed: not timed")


def best_time(make, alpha, repeat=3, budget=1.0):
    """Best wall-clock time of up to ``repeat`` fits (fewer past ``budget`` s)."""
    times = []
    while len(times) < repeat and sum(times) < budget:
        model = make(alpha)
        start = time.perf_counter()
        model.fit(X, y)
        times.append(time.perf_counter() - start)
    return min(times), model


def relative_gap(model, alpha):
    """Duality gap of a fitted model, by one formula for every solver.

    The residual of ``coef_`` with its best intercept, centred and rescaled
    into the dual feasible set, gives a dual point; the gap is reported in
    units of ``||y - mean(y)||^2 / n``, those of ``tol``.
    """
    w = np.ravel(model.coef_)
    fitted = X @ w
    residual = y_centred - (fitted - fitted.mean())
    primal = residual @ residual / (2 * n_samples) + alpha * np.abs(w).sum()
    scale = min(1.0, n_samples * alpha / np.abs(X.T @ residual).max())
    theta = scale * residual
    dual = (y_centred @ y_centred - (y_centred - theta) @ (y_centred - theta)) / (
        2 * n_samples)
    return max(primal - dual, 0.0) / (y_centred @ y_centred / n_samples)


# %%
# Each solver fits each level.  The gap column is computed outside the
# solvers, so it shows what each one's nominal ``tol`` achieved: a value
# above ``tol`` means a solver stopped on its own criterion before the
# certified accuracy that blitzlearn and scikit-learn stop at (the benchmarks
# rerun such a solver with a tighter ``tol`` and time that run).
ratios = [10, 100, 1000]
timings = {name: [] for name in solvers}
gaps = {name: [] for name in solvers}
for make in solvers.values():  # one untimed fit each: compilation, caches
    make(alpha_max / 10).fit(X, y)
print(f"{'alpha':>16}  {'solver':<12}  {'time (s)':>8}  {'gap / tol unit':>14}  nnz")
for ratio in ratios:
    alpha = alpha_max / ratio
    for name, make in solvers.items():
        seconds, model = best_time(make, alpha)
        timings[name].append(seconds)
        gaps[name].append(relative_gap(model, alpha))
        print(f"{'alpha_max/' + str(ratio):>16}  {name:<12}  {seconds:8.4f}  "
              f"{gaps[name][-1]:14.1e}  {np.count_nonzero(model.coef_)}")

# %%
# The times, on a log scale (shorter is better); a hatched bar is a fit whose
# gap is above ``tol``.  They come from a single build on a shared machine
# and move from one run to the next; only the orders of magnitude are meant
# to be read here.
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
width = 0.8 / len(solvers)
positions = np.arange(len(ratios))
for k, (name, values) in enumerate(timings.items()):
    bars = ax.bar(positions + (k - (len(solvers) - 1) / 2) * width, values,
                  width, label=name)
    for bar, gap in zip(bars, gaps[name], strict=True):
        if gap > tol:
            bar.set_hatch("//")
ax.set_xticks(positions, [f"alpha_max / {r}" for r in ratios])
ax.set(yscale="log", ylabel="fit time (s), best of up to 3",
       title="Lasso, 1000 × 20000 sparse, tol=1e-6")
ax.legend()
plt.show()
