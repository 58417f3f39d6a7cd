"""The elastic-net peer benchmark: its external certificate and its tables."""

import numpy as np
import pytest
from _helpers import load_benchmark
from scipy.optimize import minimize


@pytest.fixture(scope="module")
def enet():
    return load_benchmark("peer_enet")


def _reference(X, y, C, rho, fit_intercept):
    """``(w, b, P*)`` by L-BFGS-B on ``w = w+ - w-`` with ``w+, w- >= 0``."""
    d = X.shape[1]

    def objective(z):
        w = z[:d] - z[d:2 * d]
        b = z[-1] if fit_intercept else 0.0
        m = y * (X @ w + b)
        sig = np.exp(-np.logaddexp(0.0, m))  # sigma(-m)
        value = (C * np.logaddexp(0.0, -m).sum() + rho * z[:2 * d].sum()
                 + 0.5 * (1 - rho) * w @ w)
        gw = -C * X.T @ (y * sig) + (1 - rho) * w
        grad = np.concatenate([gw + rho, -gw + rho, [-C * (y * sig).sum()]])
        return value, grad if fit_intercept else np.append(grad[:-1], 0.0)

    bounds = [(0, None)] * (2 * d) + [(None, None)]
    res = minimize(objective, np.zeros(2 * d + 1), jac=True, method="L-BFGS-B",
                   bounds=bounds, options={"ftol": 1e-15, "gtol": 1e-12,
                                           "maxiter": 10_000})
    w = res.x[:d] - res.x[d:2 * d]
    return w, (res.x[-1] if fit_intercept else 0.0), res.fun


@pytest.mark.parametrize("fit_intercept", [False, True])
@pytest.mark.parametrize("rho", [0.3, 0.9])
def test_logistic_enet_certificate_bounds_the_suboptimality(enet, rho, fit_intercept):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((80, 6))
    y = np.where(X[:, 0] - X[:, 1] + 0.5 * rng.standard_normal(80) + 0.4 > 0,
                 1.0, -1.0)
    C = 0.5
    w, b, p_star = _reference(X, y, C, rho, fit_intercept)
    primal, gap = enet.logistic_enet_certificate(X, y, w, b, C, rho, fit_intercept)
    assert primal == pytest.approx(p_star, rel=1e-12)
    assert -1e-12 * p_star <= gap <= 1e-8 * p_star  # tight at the optimum
    for scale in (1e-3, 1e-1, 1.0):  # a valid bound away from it
        w_off = w + scale * rng.standard_normal(w.size)
        p, g = enet.logistic_enet_certificate(X, y, w_off, b, C, rho,
                                              fit_intercept)
        assert p - p_star <= g * (1 + 1e-9) + 1e-12


@pytest.mark.parametrize("peer", ["saga", "skglm"])
def test_logistic_enet_task_meets_the_target_and_tabulates_ratios(enet, peer):
    if peer == "skglm":
        pytest.importorskip("skglm", reason="skglm is an optional peer")
    rows, tables = enet.run("logistic-enet", ["rcv1-like"], [0.5], [0.1], 1e-6, 1,
                            keep=["blitzlearn", peer], scale=0.02,
                            max_seconds=60, rounds=2)
    assert [r.solver for r in rows] == ["blitzlearn", peer]
    for r in rows:
        assert r.seconds > 0 and r.accuracy <= 1e-6 and not r.capped
    assert rows[0].objective == pytest.approx(rows[1].objective, rel=1e-5)
    (table,) = tables
    line = table.splitlines()[-1]
    assert line.startswith("| rcv1-like | rho 0.5, C_min*10 |") and peer in line
