# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The stopping rule shared by every working-set subproblem solver.

A subproblem solver gets a budget ``(eps, delta, min_work, max_work,
max_epochs)``: ``delta`` is the outer duality gap when the subproblem starts,
``eps`` the fraction of it the subproblem must reach, ``min_work`` and
``max_work`` bounds on the work (a deterministic count of the entries
touched, never the wall-clock time) and ``max_epochs`` a bound on the passes.
Following the BlitzWS specification (``design/blitzws.md``, section 6.1), at
each of its gap checks the solver stops when

- the budget is spent: ``epochs >= max_epochs`` or ``work >= max_work``
  (:func:`budget_spent`); or
- at least ``min_work`` was spent, the subproblem gap is at most
  ``eps * delta`` (:func:`gap_reached`) and the lower bound rose enough:
  ``l_now - l_start >= gamma / 2 (1 - eps) ||x_start - x_now||^2``, with
  ``x`` the dual point of the lower bound and ``gamma`` the strong-convexity
  modulus of the dual (:func:`enough_progress`).

The distance costs a pass over the dual point, so a solver computes it only
once :func:`gap_reached` holds.  The helpers are compiled (callable from
kernels and from Python alike) and evaluate the tests with the same floating
operations in the same order whoever calls them.
"""

from .._jit import njit
from ._columns import JIT


def make_budget(eps, delta, min_work, max_work, max_epochs):
    """The budget tuple ``(eps, delta, min_work, max_work, max_epochs)``.

    Floats and an int whatever the caller passed, so that every kernel taking
    it is compiled for one type only.
    """
    return (float(eps), float(delta), float(min_work), float(max_work),
            int(max_epochs))


@njit(**JIT)
def budget_spent(budget, epochs, work):
    """Whether ``epochs >= max_epochs`` or ``work >= max_work``."""
    return epochs >= budget[4] or work >= budget[3]


@njit(**JIT)
def gap_reached(budget, work, gap):
    """Whether ``work >= min_work`` and ``gap <= eps * delta``."""
    return work >= budget[2] and gap <= budget[0] * budget[1]


@njit(**JIT)
def enough_progress(budget, gamma, progress, dist2):
    """Whether ``progress >= gamma / 2 (1 - eps) dist2``.

    ``progress`` is the rise of the lower bound since the subproblem started
    and ``dist2`` the squared distance its dual point moved.
    """
    return progress >= 0.5 * gamma * (1.0 - budget[0]) * dist2


@njit(**JIT)
def sq_distance(a, kappa, b):
    """``||a - kappa b||^2``, summed in order (the ``dist2`` of the rule)."""
    acc = 0.0
    for i in range(a.shape[0]):
        diff = a[i] - kappa * b[i]
        acc += diff * diff
    return acc
