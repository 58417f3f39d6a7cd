# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The backend-agnostic BlitzWS engine: capsule geometry and cost model."""

import numpy as np
import pytest

from blitzlearn._engine import XI_GRID, capsules
from blitzlearn._engine._scheduler import EPS_GRID, WorkScheduler


def _brute_force_capsule(gamma, gap, dist, xi, n_theta=200_001):
    """The capsule's radius and axis ends from a very fine theta grid (numpy)."""
    theta = np.linspace(0.0, xi, n_theta)[:-1]  # theta in [0, xi)
    inner = (2 * gap / gamma) * (xi - theta) / (1 - theta)
    inner -= theta * dist**2 / (1 + theta)
    radius = theta * np.sqrt(np.maximum(inner, 0) / (1 + theta))
    offset = theta * dist / (1 + theta)
    rho = radius.max()
    h_hi = (offset + radius).max()
    h_lo = min((offset - radius).min(), 0.0)
    return (h_lo + rho) / dist, (h_hi - rho) / dist, rho


@pytest.mark.parametrize("gamma, gap, dist", [(1.0, 2.0, 0.5), (4.0, 0.3, 0.1),
                                              (1.0, 1e-6, 1e-4)])
def test_capsule_matches_brute_force(gamma, gap, dist):
    lo, hi, rho = capsules(gamma, gap, dist)
    for k in range(0, XI_GRID.size - 1, 7):
        b_lo, b_hi, r = _brute_force_capsule(gamma, gap, dist, XI_GRID[k])
        # a coarse theta grid underestimates a smooth maximum only slightly
        assert rho[k] == pytest.approx(r, rel=2e-3, abs=1e-15)
        assert lo[k] == pytest.approx(min(b_lo, b_hi), rel=2e-2, abs=1e-6)
        assert hi[k] == pytest.approx(max(b_lo, b_hi), rel=2e-2, abs=1e-6)


@pytest.mark.parametrize("gap, dist", [(2.0, 0.5), (1.0, 1.2), (3.0, 0.0)])
def test_last_capsule_is_the_safe_ball(gap, dist):
    gamma = 1.0
    lo, hi, rho = capsules(gamma, gap, dist)
    assert XI_GRID[-1] == 1.0
    assert lo[-1] == hi[-1] == 0.5
    assert rho[-1] == pytest.approx(np.sqrt(max(gap / gamma - dist**2 / 4, 0)))


def test_capsules_grow_with_the_target():
    lo, hi, rho = capsules(1.0, 1.0, 0.3)
    assert np.all(np.diff(rho[:-1]) >= -1e-12)
    assert np.all(lo <= hi)
    assert XI_GRID.size == 125 and np.all(np.diff(XI_GRID) >= 0)


def test_scheduler_is_deterministic_and_respects_allowed():
    sizes = np.linspace(1.0, 1e5, XI_GRID.size)
    allowed = np.zeros(XI_GRID.size, dtype=bool)
    allowed[:10] = True
    picks = []
    for _ in range(2):
        sched = WorkScheduler(XI_GRID)
        sched.record(5e3, 0.2, 2e4, 1.0, 0.1, gap_after=0.5)
        picks.append(sched.choose(sizes, 1e5, allowed))
    assert picks[0] == picks[1]
    k, eps, min_work, max_work = picks[0]
    assert k < 10 and eps in EPS_GRID and 0 < min_work < max_work
