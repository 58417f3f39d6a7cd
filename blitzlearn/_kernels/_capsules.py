# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Capsule membership: which capsule first reaches each component's boundary.

Capsule ``k`` is the tube of radius ``rho[k]`` around the segment
``y + beta (x - y)``, ``beta`` in ``[beta_lo[k], beta_hi[k]]``; capsules grow
with ``k``.  Over capsule ``k`` a component's linear value ``v = a^T z`` ranges
over ``[min(v_lo, v_hi) - rho[k] |a|, max(v_lo, v_hi) + rho[k] |a|]`` with
``v = a^T y + beta (a^T x - a^T y)``.  The component's boundary is

- ``SLAB``: ``|v| = level`` (an L1 dual constraint ``|a_j^T theta| <= lam``),
  reached when ``max(|v_lo|, |v_hi|) + rho[k] |a| >= level``;
- ``HALF_SPACE``: ``v = level`` approached from below (``a_j^T theta <= lam``,
  positive weights), reached when ``max(v_lo, v_hi) + rho[k] |a| >= level``;
- ``HYPERPLANE``: ``v = level`` (a hinge's kink, margin 1), reached when the
  range contains ``level``.
"""

import numpy as np

from .._jit import njit
from ._columns import JIT

SLAB, HALF_SPACE, HYPERPLANE = 0, 1, 2


@njit(**JIT)
def capsule_axes(scale, dist, theta, shape, share, lo, hi, rho):
    """Axis ends and radius of each capsule from its candidate balls.

    Row ``k`` of ``theta``, ``shape`` and ``share`` holds the ball parameter
    ``theta``, ``(xi_k - theta) / (1 - theta)`` and ``theta / (1 + theta)``
    of capsule ``k``'s candidate balls; ``scale = 2 Delta / gamma`` and
    ``dist = ||x - y||``.  Ball ``t`` has its centre at ``offset = dist *
    share`` along the axis and the radius ``theta sqrt([scale * shape - dist^2
    share]_+ / (1 + theta))``; the capsule's radius ``rho[k]`` is the largest
    one and its axis ``[lo[k], hi[k]]`` (fractions of ``x - y``) the shortest
    segment whose tube of that radius holds every ball.  One loop over the
    balls: the same values as the array expressions, with none of their
    temporaries (this runs once per outer iteration, where small fits pay
    for every microsecond).
    """
    d2 = dist * dist
    for k in range(theta.shape[0]):
        top = 0.0
        h_hi = -np.inf
        h_lo = 0.0
        for t in range(theta.shape[1]):
            inner = scale * shape[k, t] - d2 * share[k, t]
            radius = theta[k, t] * np.sqrt(max(inner, 0.0) / (1.0 + theta[k, t]))
            offset = dist * share[k, t]
            top = max(top, radius)
            h_hi = max(h_hi, offset + radius)
            h_lo = min(h_lo, offset - radius)
        rho[k] = top
        if dist > 0.0:
            a = (h_lo + top) / dist
            b = (h_hi - top) / dist
            lo[k] = min(a, b)
            hi[k] = max(a, b)
        else:
            lo[k] = 0.0
            hi[k] = 0.0


@njit(**JIT)
def capsule_priorities(at_y, at_x, norms, level, kind, beta_lo, beta_hi, rho,
                       forced, items, out):
    """Smallest capsule index whose capsule reaches each item's boundary.

    For every index ``j`` in ``items``, ``out[j]`` is the smallest ``k`` whose
    capsule reaches the boundary of kind ``kind`` (module docstring), found by
    binary search; ``len(rho)`` when no capsule does, 0 when ``forced[j]``.
    """
    n_caps = rho.shape[0]
    for t in range(items.shape[0]):
        j = items[t]
        if forced[j]:
            out[j] = 0
            continue
        u = at_y[j]
        slope = at_x[j] - u
        lo = 0
        hi = n_caps  # answer lies in [lo, hi]; hi means "in no capsule"
        while lo < hi:
            k = (lo + hi) // 2
            v_lo = u + beta_lo[k] * slope
            v_hi = u + beta_hi[k] * slope
            radius = rho[k] * norms[j]
            if kind == SLAB:
                reached = max(abs(v_lo), abs(v_hi)) + radius >= level
            elif kind == HALF_SPACE:
                reached = max(v_lo, v_hi) + radius >= level
            else:
                reached = min(v_lo, v_hi) - radius <= level <= max(v_lo, v_hi) + radius
            if reached:
                hi = k
            else:
                lo = k + 1
        out[j] = lo
