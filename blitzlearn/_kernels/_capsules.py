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

from numba import njit

from ._columns import JIT

SLAB, HALF_SPACE, HYPERPLANE = 0, 1, 2


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
