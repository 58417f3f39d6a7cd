# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The shared AdaScale gain estimator: formulas, unbiasedness, edge cases."""

import json

import numpy as np
import pytest
from numpy.testing import assert_allclose

from blitzlearn._adascale import GainEstimator, default_smoothing, step_moments


def _observe(est, grads):
    G = np.asarray(grads, dtype=float)
    g_bar = G.mean(axis=0)
    return est.observe((G * G).sum(), g_bar @ g_bar, G.shape[0])


# Worked by hand from the formulas (S = K = 2): sigma2 = sum |g|^2 - 2 |g_bar|^2,
# mu2 = |g_bar|^2 - sigma2 / 2, r = (sigma2 + mu2) / (sigma2 / 2 + mu2).
@pytest.mark.parametrize("grads, gain", [
    ([[1, 0], [0, 1]], 2.0),                 # sigma2 = 1, mu2 = 0: pure noise
    ([[2, 0], [0, 0]], 2.0),                 # sigma2 = 2, mu2 = 0
    ([[3, 1], [1, 1]], 1.2),                 # sigma2 = 2, mu2 = 4: 6 / 5
    ([[1, 1], [1, 1]], (2 + 5e-7) / 2),      # no spread: sigma2 clipped to 1e-6
])
def test_hand_worked_gains(grads, gain):
    est = GainEstimator(scale=2)
    assert _observe(est, grads)
    assert est.gain() == pytest.approx(gain, rel=1e-12)


def test_debiased_moving_average_by_hand():
    # theta = 1/2: after (sigma2, mu2) = (2, 4) then (1, 0) the debiased
    # averages are (0.5*0.5*2 + 0.5*1) / 0.75 = 4/3 and (0.5*0.5*4) / 0.75 = 4/3
    est = GainEstimator(scale=2, smoothing=0.5)
    _observe(est, [[3, 1], [1, 1]])
    assert est.gain() == pytest.approx(1.2)
    _observe(est, [[1, 0], [0, 1]])
    assert est.sigma2 == pytest.approx(4 / 3)
    assert est.mu2 == pytest.approx(4 / 3)
    assert est.gain() == pytest.approx((8 / 3) / (2 / 3 + 4 / 3))


def test_default_smoothing():
    assert default_smoothing(1) == pytest.approx(0.999)
    assert default_smoothing(64) == pytest.approx(0.936)
    assert default_smoothing(1000) == 0.0
    assert default_smoothing(4096) == 0.0
    assert GainEstimator(8).smoothing == pytest.approx(0.992)


@pytest.mark.parametrize("scale, n_grads", [(8, 8), (16, 4)])
def test_moments_are_unbiased(scale, n_grads):
    # K samples each averaging S / K base batches of variance Sigma: each
    # sample has covariance Sigma K / S.  Over many draws the mean estimates
    # must match trace(Sigma) and |mu|^2 within a few standard errors.
    rng = np.random.RandomState(0)
    d, draws = 5, 40_000
    mu = np.array([0.3, -0.2, 0.1, 0.0, 0.05])
    L = rng.normal(size=(d, d)) * 0.4
    sigma2_true = np.trace(L @ L.T)
    noise = rng.normal(size=(draws, n_grads, d)) @ L.T * np.sqrt(n_grads / scale)
    G = mu + noise
    g_bar = G.mean(axis=1)
    sum_sq = (G * G).sum(axis=(1, 2))
    mean_sq = (g_bar * g_bar).sum(axis=1)
    est = np.array([step_moments(a, b, n_grads, float(scale))
                    for a, b in zip(sum_sq, mean_sq, strict=True)])
    for k, truth in enumerate([sigma2_true, mu @ mu]):
        mean, se = est[:, k].mean(), est[:, k].std() / np.sqrt(draws)
        assert abs(mean - truth) < 4 * se, (k, mean, truth, se)
    # the clipped values are biased upwards for mu2 only where it is tiny
    assert abs(est[:, 1].mean() - mu @ mu) / (mu @ mu) < 0.05


def test_pure_noise_gives_gain_scale_and_signal_gives_one():
    rng = np.random.RandomState(1)
    noisy = GainEstimator(scale=16, smoothing=0.9)
    signal = GainEstimator(scale=16, smoothing=0.9)
    for _ in range(300):
        _observe(noisy, rng.normal(size=(16, 50)))
        _observe(signal, 100.0 + 1e-3 * rng.normal(size=(16, 50)))
    assert noisy.gain() > 14.0
    assert signal.gain() == pytest.approx(1.0, abs=1e-6)
    assert 1.0 <= signal.gain() <= noisy.gain() <= 16.0


def test_non_finite_step_is_skipped():
    est = GainEstimator(scale=4)
    rng = np.random.RandomState(2)
    _observe(est, rng.normal(size=(4, 3)))
    before = est.state.copy()
    bad = rng.normal(size=(4, 3))
    bad[1, 2] = np.inf
    assert not _observe(est, bad)
    bad[1, 2] = np.nan
    assert not _observe(est, bad)
    assert np.array_equal(est.state, before)
    assert est.n_updates == 1
    assert _observe(est, rng.normal(size=(4, 3)))
    assert np.isfinite(est.gain())


def test_single_sample_is_not_an_estimate():
    est = GainEstimator(scale=1)
    assert not est.observe(4.0, 4.0, 1)
    assert est.gain() == 1.0


def test_state_dict_round_trip_and_set_scale():
    est = GainEstimator(scale=4)
    rng = np.random.RandomState(3)
    for _ in range(5):
        _observe(est, rng.normal(size=(4, 6)) + 0.5)
    state = json.loads(json.dumps(est.state_dict()))  # plain floats only
    copy = GainEstimator(scale=1)
    copy.load_state_dict(state)
    assert copy.gain() == est.gain()
    assert_allclose(copy.state, est.state)
    sigma2, mu2 = est.sigma2, est.mu2
    est.set_scale(8)
    # the base-batch variance estimate is kept; only the formula's S changes
    assert (est.sigma2, est.mu2) == (sigma2, mu2)
    assert est.gain() == pytest.approx((sigma2 + mu2) / (sigma2 / 8 + mu2))
    assert est.smoothing == pytest.approx(0.992)
    with pytest.raises(ValueError, match="has 4 values"):
        copy.load_state_dict({"scale": 2, "smoothing": 0.5, "state": [1.0]})


@pytest.mark.parametrize("scale, smoothing, match", [
    (0.5, None, "scale must be"), (float("nan"), None, "scale must be"),
    (2, 1.0, "smoothing must be"), (2, -0.1, "smoothing must be"),
])
def test_bad_arguments(scale, smoothing, match):
    with pytest.raises(ValueError, match=match):
        GainEstimator(scale, smoothing)
