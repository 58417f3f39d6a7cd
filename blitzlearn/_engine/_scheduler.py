# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Deterministic choice of the working-set size and the subproblem tolerance.

BlitzWS picks, at each outer iteration, a progress target ``xi`` (hence a
working set ``W(xi)``) and a relative subproblem tolerance ``eps`` that maximise
the predicted rate of gap reduction per unit of work,

.. math::

    \\frac{\\log(\\Delta / \\hat\\Delta)}{T_o + \\hat T}, \\quad
    \\hat\\Delta = \\max(\\epsilon, 1 - (1-\\epsilon)\\,\\xi\\,C_{prog})\\,\\Delta,
    \\quad \\hat T = C_{solve}\\,\\mathrm{size}(W(\\xi)) / \\epsilon.

The authors measure ``T_o`` and ``T`` in seconds; here every cost is a count of
matrix entries touched, reported by the kernels, so that the same input always
gives the same sequence of decisions and the same model.
"""

import math

import numpy as np

EPS_GRID = np.array([0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.2, 0.3, 0.5, 0.7])

# Fixed cost of one outer iteration (driver, capsules, vector updates), in
# matrix entries: about what the kernels touch in the time the Python driver
# needs for one iteration.  Without it, small problems would be split into
# many cheap subproblems whose fixed cost the model cannot see.
FIXED_OVERHEAD = 1e6

# Bounds of the progress correction C_prog (the authors keep C_prog >= 1; the
# upper bound stops one lucky iteration from shrinking the next working set).
C_PROG_RANGE = (1.0, 100.0)


class WorkScheduler:
    """Running cost model of the outer loop.

    Parameters
    ----------
    xi : ndarray of shape (n_targets,)
        Progress targets, ascending.
    """

    def __init__(self, xi):
        self.xi = xi
        self._solve_rates = []  # work per (size / eps_real), most recent last
        self._progress = []  # C_prog samples

    @property
    def c_solve(self):
        if not self._solve_rates:
            return 1.0
        return _median(self._solve_rates[-5:])

    @property
    def c_prog(self):
        if not self._progress:
            return 1.0
        value = _median(self._progress[-2:])
        if not math.isfinite(value):
            return 1.0
        return min(max(value, C_PROG_RANGE[0]), C_PROG_RANGE[1])

    def choose(self, sizes, overhead, allowed):
        """Pick a target index, a tolerance and work bounds.

        Parameters
        ----------
        sizes : ndarray of shape (n_targets,)
            Work of one pass over ``W(xi_k)`` for each target.
        overhead : float
            Work of one outer iteration outside the subproblem.
        allowed : ndarray of bool of shape (n_targets,)
            Targets the caller permits.

        Returns
        -------
        k : int
            Index of the chosen target.
        eps : float
            Relative subproblem tolerance.
        min_work, max_work : float
            Bounds on the subproblem's work.
        """
        overhead = overhead + FIXED_OVERHEAD
        eps = EPS_GRID[None, :]
        xi = self.xi[:, None]
        ratio = np.maximum(eps, 1.0 - (1.0 - eps) * xi * self.c_prog)
        ratio = np.clip(ratio, 1e-12, 1.0 - 1e-12)
        cost = self.c_solve * sizes[:, None] / eps
        rate = -np.log(ratio) / (overhead + cost)
        rate[~allowed] = -np.inf
        k, e = np.unravel_index(np.argmax(rate), rate.shape)
        predicted = cost[k, e]
        max_work = min(max(predicted, 0.5 * overhead), 15.0 * overhead)
        return int(k), float(EPS_GRID[e]), 0.1 * overhead, max_work

    def record(self, size, eps_real, work, gap_before, xi_used, *, gap_after):
        """Update the running estimates after a subproblem."""
        eps_real = min(max(eps_real, 1e-12), 0.99)
        if size > 0 and work > 0:
            self._solve_rates.append(work * eps_real / size)
        if eps_real < 0.99 and gap_before > 0:
            prog = (1.0 - gap_after / gap_before) / ((1.0 - eps_real) * xi_used)
            self._progress.append(prog)


def _median(values):
    """Median of a short list of floats (``np.median``'s value, without its
    overhead of tens of microseconds, which small fits pay every iteration)."""
    if any(math.isnan(v) for v in values):
        return math.nan
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2.0
