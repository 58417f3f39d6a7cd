# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""A toy model on the BlitzWS contract: the walk-through of docs/developers.

``f(z) = 1/2 ||z - c||^2 + lam * sum_i |z_i|``: ``psi(z) = 1/2 ||z - c||^2``
is 1-strongly convex and each component ``phi_i(z) = lam |z_i|`` has two
linear pieces meeting on the hyperplane ``z_i = 0``.  The optimum is the soft
thresholding ``sign(c) * max(|c| - lam, 0)``.
"""

import numpy as np

from blitzlearn._engine import Certificate, ModelProblem
from blitzlearn._kernels._capsules import HYPERPLANE, capsule_priorities


def soft_threshold(c, lam):
    return np.sign(c) * np.maximum(np.abs(c) - lam, 0.0)


class ToyProblem(ModelProblem):
    """BlitzWS on ``1/2 ||z - c||^2 + lam ||z||_1`` (components: coordinates)."""

    gamma = 1.0

    def __init__(self, c, lam):
        self.c = np.asarray(c, dtype=np.float64)
        self.n_components = self.c.size
        self.costs = np.ones(self.n_components)
        self.lam = float(lam)
        self.y = np.zeros(self.n_components)  # the upper point
        self._reset()

    def _reset(self):
        n = self.n_components
        self._alive = np.arange(n)
        # the piece of phi_i used outside the working set: lam * side_i * z_i
        self.side = np.where(self.y != 0, np.sign(self.y), np.sign(self.c))
        self.x = self.c - self.lam * self.side  # minimiser of the relaxed f
        self.lower = None

    def f(self, z):
        return 0.5 * float((z - self.c) @ (z - self.c)) + self.lam * np.abs(z).sum()

    # -- the engine's side (Problem) ------------------------------------------
    def alive(self):
        return self._alive

    def refresh(self, working_set):
        # relaxed f: exact |z_i| on the last working set, the linear piece
        # elsewhere; every piece is below phi_i, so its minimum l bounds f
        x, side = self.x, self.side
        relaxed = 0.5 * float((x - self.c) @ (x - self.c))
        exact = np.zeros(self.n_components, dtype=np.bool_)
        if working_set is not None:
            exact[working_set] = True
        relaxed += self.lam * float(np.abs(x[exact]).sum()
                                    + (side[~exact] * x[~exact]).sum())
        self.lower = relaxed
        if self.f(x) < self.f(self.y):  # the upper point: the better of y, x
            self.y = x.copy()
        return Certificate(gap=max(self.f(self.y) - relaxed, 0.0), lower=relaxed,
                           dist=float(np.linalg.norm(x - self.y)))

    def priorities(self, beta_lo, beta_hi, rho):
        out = np.empty(self.n_components, dtype=np.intp)
        forced = self.y == 0  # on the kink: no piece can stand for phi_i
        capsule_priorities(self.y, self.x, np.ones(self.n_components), 0.0,
                           HYPERPLANE, beta_lo, beta_hi, rho, forced,
                           self._alive, out)
        return out

    def discard(self, components):
        # a screened coordinate keeps the piece of the upper point's side
        self.side[components] = np.sign(self.y[components])
        keep = np.ones(self.n_components, dtype=np.bool_)
        keep[components] = False
        self._alive = self._alive[keep[self._alive]]

    def overhead(self):
        return float(self._alive.size)

    def solve(self, working_set, eps, gap, min_work, max_work, max_epochs):
        # separable: the relaxed problem's exact minimiser, in one pass
        outside = np.ones(self.n_components, dtype=np.bool_)
        outside[working_set] = False
        self.side[outside] = np.where(self.y[outside] != 0,
                                      np.sign(self.y[outside]), self.side[outside])
        self.x = self.c - self.lam * self.side
        self.x[working_set] = soft_threshold(self.c[working_set], self.lam)
        return 1, float(working_set.size), 0.0

    def full_gap(self, limit=0.0):
        return max(self.f(self.y) - self.lower, 0.0)

    def restore(self):
        self._alive = np.arange(self.n_components)

    # -- the estimators' side (ModelProblem) ----------------------------------
    def set_regularization(self, value):
        self.lam = float(value)
        self._reset()

    def tol_scale(self):
        return self.f(np.zeros(self.n_components))  # the objective of z = 0

    def warm_start(self, coef, intercept):
        self.y = np.array(coef, dtype=np.float64)
        self._reset()

    def result(self):
        return self.y.copy(), 0.0
