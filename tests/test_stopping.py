"""The subproblems' shared stopping rule (:mod:`blitzlearn._kernels._stopping`).

Each test states the rule of the BlitzWS specification (section 6.1) at its
boundaries: every inequality is inclusive.
"""

import numpy as np

from blitzlearn._kernels._stopping import (
    budget_spent,
    enough_progress,
    gap_reached,
    make_budget,
    sq_distance,
)

# eps, delta, min_work, max_work, max_epochs
BUDGET = make_budget(0.25, 8.0, 100, 1000.0, np.int64(7))


def test_make_budget_has_one_type_whatever_the_input():
    assert [type(v) for v in BUDGET] == [float, float, float, float, int]
    assert BUDGET == (0.25, 8.0, 100.0, 1000.0, 7)


def test_budget_is_spent_at_max_epochs_or_max_work():
    assert not budget_spent(BUDGET, 6, 999.0)
    assert budget_spent(BUDGET, 7, 0.0)
    assert budget_spent(BUDGET, 0, 1000.0)


def test_gap_is_reached_at_eps_delta_after_min_work():
    assert gap_reached(BUDGET, 100.0, 2.0)  # eps * delta = 2
    assert not gap_reached(BUDGET, 100.0, np.nextafter(2.0, 3.0))
    assert not gap_reached(BUDGET, 99.0, 0.0)


def test_progress_is_enough_at_half_gamma_one_minus_eps_dist2():
    # gamma / 2 (1 - eps) dist2 = 0.5 * 2 * 0.75 * 4 = 3
    assert enough_progress(BUDGET, 2.0, 3.0, 4.0)
    assert not enough_progress(BUDGET, 2.0, np.nextafter(3.0, 0.0), 4.0)
    assert enough_progress(BUDGET, 1.0, 0.0, 0.0)


def test_sq_distance_matches_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(50), rng.standard_normal(50)
    np.testing.assert_allclose(sq_distance(a, 0.3, b), np.sum((a - 0.3 * b) ** 2),
                               rtol=1e-13)
