"""
A Lasso path with its certificates
==================================

:func:`blitzlearn.blitz_lasso_path` takes the arguments of scikit-learn's
:func:`~sklearn.linear_model.lasso_path` and returns, beside the alphas and
the coefficients, the duality gap of every solution: a proven bound on how
far each solution's objective is above the optimum for its alpha.

Here both functions compute the same 50-alpha path on scikit-learn's diabetes
data (centred, since a path has no intercept) at the same tolerance.
"""

# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_diabetes
from sklearn.linear_model import lasso_path

from blitzlearn import blitz_lasso_path

X, y = load_diabetes(return_X_y=True)
X = X - X.mean(axis=0)
y = y - y.mean()
n_samples = X.shape[0]

tol = 1e-4  # the default of both functions
alphas, coefs, gaps = blitz_lasso_path(X, y, alphas=50, eps=1e-3, tol=tol)
_, coefs_sk, gaps_sk = lasso_path(X, y, alphas=alphas, tol=tol)


def objective(coef, alpha):
    """The path's objective ``||y - X w||^2 / (2 n) + alpha ||w||_1``."""
    residual = y - X @ coef
    return residual @ residual / (2 * n_samples) + alpha * np.abs(coef).sum()


# %%
# Both functions stop when their gap is at most ``tol * ||y||^2 / n``.  A gap
# bounds how far an objective is above the optimum, so scikit-learn's
# objective can exceed blitzlearn's by at most scikit-learn's gap, and the
# other way round.
obj = np.array([objective(coefs[:, k], a) for k, a in enumerate(alphas)])
obj_sk = np.array([objective(coefs_sk[:, k], a) for k, a in enumerate(alphas)])
print(f"stopping threshold:               {tol * (y @ y) / n_samples:.1e}")
print(f"largest gap, blitz_lasso_path:    {gaps.max():.1e}")
print(f"largest gap, sklearn lasso_path:  {gaps_sk.max():.1e}")
print("objective differences within the gaps:",
      bool(np.all(obj_sk - obj <= gaps_sk + 1e-12)
           and np.all(obj - obj_sk <= gaps + 1e-12)))
print(f"nonzeros at the smallest alpha: {np.count_nonzero(coefs[:, -1])} of "
      f"{X.shape[1]}")

# %%
# The coefficients follow the same paths.  On this small problem every
# working set holds all ten features and blitzlearn solves each alpha to
# rounding error (gaps of exactly 0 are drawn at the bottom of the log axis,
# ``1e-13``), while scikit-learn stops once its gap is under the threshold.
fig, (ax_coef, ax_gap) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for j in range(X.shape[1]):
    line, = ax_coef.plot(alphas, coefs[j], lw=2)
    ax_coef.plot(alphas, coefs_sk[j], ls="none", marker=".",
                 color=line.get_color())
ax_coef.set(xscale="log", xlabel="alpha", ylabel="coefficient",
            title="coefficients (lines: blitzlearn, dots: scikit-learn)")
ax_coef.invert_xaxis()

floor = 1e-13
ax_gap.plot(alphas, np.maximum(gaps, floor), marker="o", label="blitz_lasso_path")
ax_gap.plot(alphas, np.maximum(gaps_sk, floor), marker="x", ls="--",
            label="sklearn lasso_path")
ax_gap.axhline(tol * (y @ y) / n_samples, color="k", lw=1,
               label="stopping threshold")
ax_gap.set(xscale="log", yscale="log", ylim=(floor / 3, 30), xlabel="alpha",
           ylabel="duality gap (objective units)", title="certified gaps")
ax_gap.invert_xaxis()
ax_gap.legend()
plt.show()
