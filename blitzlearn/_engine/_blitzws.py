# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The BlitzWS outer loop, shared by every problem and backend.

BlitzWS (Johnson & Guestrin, 2018) minimises ``f(z) = psi(z) + sum_i phi_i(z)``
with ``psi`` ``gamma``-strongly convex and each *component* ``phi_i`` piecewise.
Each outer iteration

1. moves the upper point ``y`` towards the last subproblem solution and
   certifies the current model with a gap ``Delta = f(y) - l`` against a
   quadratic minorant ``l + gamma/2 ||z - x||^2`` (``Problem.refresh``);
2. computes capsules for a grid of progress targets (``capsules``) and, per
   component, the smallest capsule that reaches its boundary
   (``Problem.priorities``); components that even the safe ball misses are
   screened for good (``Problem.discard``);
3. lets a deterministic cost model choose the working set and the subproblem
   tolerance (``WorkScheduler``) and solves the relaxed problem on it
   (``Problem.solve``).

A problem plug-in implements the methods of :class:`Problem`; the engine never
looks at the data, so the same loop serves the Lasso and L1-logistic duals
(features as components) and the hinge-loss SVM (examples as components), on
any array backend.
"""

from dataclasses import dataclass, field

import numpy as np

from .._progress import report
from ._capsule import XI_GRID, capsules
from ._scheduler import FIXED_OVERHEAD, WorkScheduler

# Largest factor by which the subproblem's work budget grows, doubling each
# time a subproblem misses its target or the gap stalls with nothing to add.
MAX_BOOST = 1024

# A working set is not shrunk below min_ws_size components (nor the
# problem's support_bound) while a pass over that many costs at most this much
# work: next to an outer iteration's fixed cost its passes are free, and
# smaller ones only add outer iterations (62 x 2000 colon-cancer Lasso at
# alpha_max / 10: 7 outer iterations, 5 with the floor).  A run's first
# working set is left free: a warm start may need only a few components.
CHEAP_PASS = 0.01 * FIXED_OVERHEAD


@dataclass
class Certificate:
    """What ``Problem.refresh`` reports about the current iterates.

    Attributes
    ----------
    gap : float
        ``Delta = f(y) - l`` in the problem's internal units.
    lower : float
        ``l``, the minimum of the quadratic minorant.
    dist : float
        ``||x - y||``, distance between the minorant's centre and ``y``.
    """

    gap: float
    lower: float
    dist: float


@dataclass
class SolveResult:
    """Outcome of :func:`blitzws`."""

    n_iter: int
    gap: float
    converged: bool
    working_set: np.ndarray
    history: list = field(default_factory=list)
    limit: float = 0.0  # the gap threshold in force at the end
    # what ended the run: "converged", "max_iter" (outer iterations used up),
    # "stalled" (stall_limit iterations without progress) or "rounding" (the
    # model as returned, rounded to its output precision, is above the limit)
    stop: str = "converged"
    # whether the last subproblem used all its max_epochs passes
    epochs_capped: bool = False


class Problem:
    """Interface of a BlitzWS problem plug-in.

    Attributes
    ----------
    gamma : float
        Strong-convexity modulus of ``psi``.
    n_components : int
        Number of components ``phi_i``.
    costs : ndarray of shape (n_components,)
        Work of one subproblem pass over each component (e.g. its nnz).
    min_ws_factor : float
        The working set holds at least this many times the components that
        must stay (when there are that many left): worth more than 1 when a
        subproblem's cost hardly grows with its size, so that an extra outer
        iteration costs more than a larger working set.
    support_bound : float
        How many components a solution needs at most, in general position (an
        L1 model: as many nonzero weights as samples): a working set kept at
        ``min_ws_size`` components because its passes are cheap (see
        ``CHEAP_PASS``) holds no more than this.
    """

    gamma = 1.0
    n_components = 0
    costs = None
    min_ws_factor = 1.0
    support_bound = float("inf")

    def objective(self, cert):
        """The model's objective in internal units, for the progress lines.

        ``f(y) = l + Delta`` by default; a dual plug-in returns its primal.
        """
        return cert.lower + cert.gap

    def alive(self):
        """Indices (host ndarray) of the components not screened yet."""
        raise NotImplementedError

    def refresh(self, working_set):
        """Update ``y`` from the last subproblem and return a :class:`Certificate`.

        ``working_set`` is the last subproblem's working set (None at the start).
        """
        raise NotImplementedError

    def priorities(self, beta_lo, beta_hi, rho):
        """Host int array: smallest capsule index reaching each alive component.

        Entries equal ``len(rho)`` for components no capsule reaches; components
        that must stay in every working set (e.g. nonzero weights) get 0.
        Entries of screened components are ignored.
        """
        raise NotImplementedError

    def discard(self, components):
        """Screen ``components`` (host indices) for good."""
        raise NotImplementedError

    def overhead(self):
        """Work of one outer iteration outside the subproblem."""
        raise NotImplementedError

    def solve(self, working_set, eps, gap, min_work, max_work, max_epochs):
        """Solve the relaxed problem on ``working_set`` to gap ``eps * gap``.

        Returns ``(n_epochs, work, subproblem_gap)``.
        """
        raise NotImplementedError

    def full_gap(self, limit=0.0):
        """Gap of the current model on the full problem, no screening assumed.

        This is the final certificate: it must bound the suboptimality of the
        model exactly as the caller will receive it.  A problem whose weights
        are returned in a lower precision rounds them here first and certifies
        the rounded ones.  When this gap exceeds ``limit`` although the
        iteration's certificate was below it, the engine undoes any screening
        and iterates on; if nothing was screened, the run ends not converged
        (``stop == "rounding"``).

        A problem may skip work that could only lower a gap already at most
        ``limit`` (the returned gap is a valid certificate either way).
        """
        raise NotImplementedError

    def restore(self):
        """Undo all screening (used if the full certificate disagrees)."""
        raise NotImplementedError


def _iteration_line(verbose, n_iter, problem, cert, limit, units, working_set,
                    n_screened):
    """Print / log one outer iteration (``verbose >= 1``), in objective units."""
    if verbose:
        report(verbose, 1, "iter %d  objective %.10g  gap %.3e  tol %.3e  "
               "working set %s  screened %d", n_iter,
               units * problem.objective(cert), units * cert.gap, units * limit,
               "-" if working_set is None else working_set.shape[0], n_screened)


def blitzws(problem, *, tol, max_iter, max_epochs, rel_tol=0.0, verbose=0,
            units=1.0, stall_limit=12, min_ws_size=100, scheduler=None):
    """Run BlitzWS until the certified gap is at most ``max(tol, rel_tol * l)``.

    Parameters
    ----------
    problem : Problem
        The problem plug-in, holding the data and a (possibly warm) model.
    tol : float
        Absolute gap tolerance in the problem's internal units.
    max_iter : int
        Maximum number of outer iterations.
    max_epochs : int
        Maximum number of passes over the working set per subproblem.
    rel_tol : float, default=0.0
        Relative gap tolerance: with a lower bound ``l > 0`` on the optimum,
        a gap at most ``rel_tol * l`` certifies a relative suboptimality of at
        most ``rel_tol``.
    verbose : int, default=0
        1: print one line per outer iteration (objective, certified gap,
        tolerance, the working set's size, the components screened so far in
        this run; ``working set -`` when the gap met the tolerance); 2: also
        the subproblem's details (components alive, tolerance factor, passes,
        gap, work).  The lines go to stdout and to the ``"blitzlearn"`` logger
        (:func:`blitzlearn._progress.report`); the caller prints the final
        certificate.
    units : float, default=1.0
        Factor from the problem's internal units to the estimator's objective
        units, for the printed objectives, gaps and tolerances.
    stall_limit : int, default=12
        Stop after this many consecutive iterations in which neither the lower
        bound nor the gap improved (machine precision reached).  An iteration
        that shrinks the gap by less than 1% forces the next working set to be
        larger than the last one, beyond the cap if needed; when it cannot
        grow, or when a subproblem missed its gap target, the next subproblem's
        work budget doubles.
    min_ws_size : int, default=100
        The working set holds at most ``max(min_ws_size, 2 * n_forced)``
        components, where ``n_forced`` components must stay (Blitz's rule).
    scheduler : WorkScheduler or None, default=None
        The cost model to use and update; a path passes the same one to its
        successive solves so that each starts with what the last one learned
        about the cost of subproblems.  None starts a new one.

    Returns
    -------
    result : SolveResult
    """
    if scheduler is None:
        scheduler = WorkScheduler(XI_GRID)
    n_targets = XI_GRID.shape[0]
    working_set = None
    history = []
    best_lower = -np.inf
    best_gap = np.inf
    stalled = 0
    boost = 1
    missed = False
    screening = True
    cert = None
    converged = False
    pending = None  # the last subproblem, scored once the next gap is known
    n_iter = 0
    limit = tol
    n_screened = 0
    stop = "max_iter"
    epochs_capped = False
    for n_iter in range(1, max_iter + 1):
        cert = problem.refresh(working_set)
        check_finite(cert)
        history.append(cert.gap)
        if pending is not None:
            scheduler.record(*pending, gap_after=cert.gap)
        limit = max(tol, rel_tol * cert.lower)
        if cert.gap <= limit:
            full = problem.full_gap(limit)
            if full <= limit:
                cert.gap = full
                converged = True
                _iteration_line(verbose, n_iter, problem, cert, limit, units,
                                None, n_screened)
                break
            if not screening:
                # Nothing is screened and the model as returned (rounded to its
                # output precision) is still above the limit: more iterations
                # cannot close what the rounding opens.  Not converged.
                stop, epochs_capped = "rounding", False
                break
            # A screened constraint is violated: fall back to the full problem.
            problem.restore()
            n_screened = 0
            screening = False
            continue
        # Little progress with the last working set: the next one must grow.
        grow = working_set is not None and cert.gap > 0.99 * history[-2]
        if cert.lower > best_lower or cert.gap < best_gap:
            stalled = 0
        else:
            stalled += 1
            if stalled >= stall_limit:
                stop = "stalled"
                break
        best_lower = max(best_lower, cert.lower)
        best_gap = min(best_gap, cert.gap)

        beta_lo, beta_hi, rho = capsules(problem.gamma, cert.gap, cert.dist)
        alive = problem.alive()
        prio = problem.priorities(beta_lo, beta_hi, rho)[alive]
        if screening:
            out = prio >= n_targets
            if out.any():
                n_screened += int(out.sum())
                problem.discard(alive[out])
                alive, prio = alive[~out], prio[~out]

        # (without screening, unreached components join the last target)
        target = np.minimum(prio, n_targets - 1)
        counts = np.bincount(target, minlength=n_targets)
        sizes = np.cumsum(np.bincount(target, weights=problem.costs[alive],
                                      minlength=n_targets))
        # Blitz's growth rule bounds the working set; the cost model picks
        # within the bound (capsules rank the components).
        cap = max(min_ws_size, 2 * counts[0])
        cumulative = np.cumsum(counts)
        can_grow = working_set is None or cumulative[-1] > working_set.size
        if grow and can_grow:
            allowed = cumulative > working_set.size
        else:
            allowed = cumulative <= cap
            # the problem's floor on the size, where there are that many
            floor = min(problem.min_ws_factor * counts[0], cumulative[-1])
            smallest = min(min_ws_size, problem.support_bound, cumulative[-1],
                           0 if working_set is None else working_set.size)
            if smallest and sizes[np.argmax(cumulative >= smallest)] <= CHEAP_PASS:
                floor = max(floor, smallest)
            allowed &= cumulative >= floor
            allowed[np.argmax(cumulative >= floor)] = True
        # A subproblem that ran out of work before its target, or no progress
        # with nothing left to add: give the next subproblem twice the work.
        boost = min(2 * boost, MAX_BOOST) if missed or (grow and not can_grow) else 1
        k, eps, min_work, max_work = scheduler.choose(
            sizes, problem.overhead(), allowed)
        max_work *= boost
        working_set = alive[prio <= k]
        size = float(problem.costs[working_set].sum())
        n_epochs, work, sub_gap = problem.solve(
            working_set, eps, cert.gap, min_work, max_work, max_epochs)
        if verbose:
            _iteration_line(verbose, n_iter, problem, cert, limit, units,
                            working_set, n_screened)
            report(verbose, 2, "  subproblem: alive %d  eps %.3g  epochs %d  "
                   "gap %.3e  work %.4g  boost %d", alive.shape[0], eps, n_epochs,
                   units * sub_gap, work, boost)
        pending = (size, max(sub_gap, 0.0) / cert.gap, work, cert.gap,
                   XI_GRID[k])
        missed = sub_gap > eps * cert.gap
        epochs_capped = n_epochs >= max_epochs
    if cert is not None and not converged:
        limit = max(tol, rel_tol * cert.lower)
        cert.gap = problem.full_gap(limit)
        check_finite(cert)
        converged = cert.gap <= limit
        report(verbose, 2, "  stopped after %d iterations: full gap %.3e, "
               "tolerance %.3e", n_iter, units * cert.gap, units * limit)
    if working_set is None:
        working_set = np.empty(0, dtype=np.intp)
    return SolveResult(n_iter=n_iter, gap=float(cert.gap), converged=converged,
                       working_set=working_set, history=history,
                       limit=float(limit),
                       stop="converged" if converged else stop,
                       epochs_capped=epochs_capped and not converged)


def check_finite(cert):
    """Raise ``ValueError`` when the certificate is NaN or infinite.

    A gap or bound that is not finite means the objective overflowed (data
    or weights too large for float64): no model could be certified, and
    returning one would hand back NaN or meaningless weights.
    """
    if not (np.isfinite(cert.gap) and np.isfinite(cert.lower)):
        raise ValueError(
            f"The objective is not finite (duality gap {cert.gap}, lower bound "
            f"{cert.lower}): the data are too large for float64 arithmetic. "
            "Scale X (and y) first, for example with "
            "sklearn.preprocessing.StandardScaler."
        )
