# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The AdaScale gain estimator, shared by the sklearn estimator and torch.

At scale ``S`` every optimizer step averages ``K`` gradient samples, each
standing for ``S / K`` base batches of the ``S = 1`` recipe (``K = S`` in the
scikit-learn simulation).  From the squared norms of the samples and of their
mean one step gives unbiased estimates of

- ``sigma^2``, the trace of the covariance of one base-batch gradient, and
- ``mu^2 = ||grad F(w)||^2``, the squared norm of the true gradient:

.. math::

    \\hat\\sigma^2 = \\frac{S}{K} \\, \\frac{\\sum_k \\|g_k\\|^2
    - K \\|\\bar g\\|^2}{K - 1}, \\qquad
    \\hat\\mu^2 = \\|\\bar g\\|^2 - \\hat\\sigma^2 / S.

Each estimate is clipped (``sigma^2 >= 1e-6``, ``mu^2 >= 0``) and folded into
an Adam-style debiased exponential moving average with factor ``theta``; the
gain is then

.. math::

    r = \\frac{\\bar\\sigma^2 + \\bar\\mu^2}{\\bar\\sigma^2 / S + \\bar\\mu^2}
    \\in [1, S].

The state is a float64 array ``[m_sigma2, m_mu2, weight, n_updates]`` so the
same Numba functions serve the compiled SGD loop and, through
:class:`GainEstimator`, the torch optimizer.
"""

import math

import numpy as np

from ._jit import njit
from ._kernels._columns import JIT

SIGMA2_FLOOR = 1e-6
STATE_SIZE = 4


def default_smoothing(scale):
    """The smoothing factor ``theta = max(1 - S / 1000, 0)`` of the paper."""
    return max(1.0 - float(scale) / 1000.0, 0.0)


@njit(**JIT)
def step_moments(sum_sq, mean_sq, n_grads, scale):
    """Unbiased ``(sigma^2, mu^2)`` of one step, before clipping.

    Parameters
    ----------
    sum_sq : float
        ``sum_k ||g_k||^2`` over the step's ``n_grads`` gradient samples.
    mean_sq : float
        ``||mean_k g_k||^2``.
    n_grads : int
        Number ``K >= 2`` of gradient samples.
    scale : float
        Scale ``S``: base batches per step.
    """
    k = float(n_grads)
    sigma2 = (scale / k) * (sum_sq - k * mean_sq) / (k - 1.0)
    return sigma2, mean_sq - sigma2 / scale


@njit(**JIT)
def gain_observe(state, sum_sq, mean_sq, n_grads, scale, theta):
    """Fold one step's gradient norms into ``state``; False when skipped.

    A step is skipped (state unchanged) when ``n_grads < 2`` or when an
    estimate is not finite, so one overflowing step never poisons the gains
    that follow.
    """
    if n_grads < 2:
        return False
    sigma2, mu2 = step_moments(sum_sq, mean_sq, n_grads, scale)
    if not (math.isfinite(sigma2) and math.isfinite(mu2)):
        return False
    sigma2 = max(sigma2, SIGMA2_FLOOR)
    mu2 = max(mu2, 0.0)
    state[0] = theta * state[0] + (1.0 - theta) * sigma2
    state[1] = theta * state[1] + (1.0 - theta) * mu2
    state[2] = theta * state[2] + (1.0 - theta)
    state[3] += 1.0
    return True


@njit(**JIT)
def gain_value(state, scale):
    """The gain ``r`` in ``[1, S]`` from the smoothed estimates (1 before any)."""
    if state[2] <= 0.0:
        return 1.0
    sigma2 = state[0] / state[2]
    mu2 = state[1] / state[2]
    r = (sigma2 + mu2) / (sigma2 / scale + mu2)
    return min(max(r, 1.0), scale)


class GainEstimator:
    """AdaScale's gain ratio from per-step gradient norms.

    Parameters
    ----------
    scale : float
        Scale ``S >= 1``: how many base batches one step averages.
    smoothing : float or None, default=None
        Factor ``theta`` in ``[0, 1)`` of the moving averages; None means
        ``max(1 - S / 1000, 0)``.

    Examples
    --------
    Two gradient samples ``[1, 0]`` and ``[0, 1]`` at scale 2: their mean is
    ``[0.5, 0.5]``, all of their spread is noise and the gain is ``S``.

    >>> from blitzlearn._adascale import GainEstimator
    >>> est = GainEstimator(scale=2)
    >>> est.observe(sum_sq=2.0, mean_sq=0.5, n_grads=2)
    True
    >>> est.gain()
    2.0
    """

    def __init__(self, scale, smoothing=None):
        self.state = np.zeros(STATE_SIZE)
        self.set_scale(scale, smoothing)

    def set_scale(self, scale, smoothing=None):
        """Change ``S`` (elastic training); the per-batch variance is kept.

        ``sigma^2`` is the variance of one *base* batch, so it needs no
        rescaling; only the gain formula and the default ``theta`` change.
        """
        scale = float(scale)
        if not (math.isfinite(scale) and scale >= 1.0):
            raise ValueError(f"scale must be a finite number >= 1; got {scale!r}.")
        if smoothing is None:
            smoothing = default_smoothing(scale)
        smoothing = float(smoothing)
        if not 0.0 <= smoothing < 1.0:
            raise ValueError(f"smoothing must be in [0, 1); got {smoothing!r}.")
        self.scale = scale
        self.smoothing = smoothing

    def observe(self, sum_sq, mean_sq, n_grads):
        """Fold in one step; returns False when the step was skipped."""
        return bool(gain_observe(self.state, float(sum_sq), float(mean_sq),
                                 int(n_grads), self.scale, self.smoothing))

    def gain(self, scale=None):
        """The gain ``r`` at ``scale`` (default: the current ``S``)."""
        return float(gain_value(self.state,
                                self.scale if scale is None else float(scale)))

    @property
    def sigma2(self):
        """Smoothed ``sigma^2`` (0 before any observation)."""
        return float(self.state[0] / self.state[2]) if self.state[2] > 0 else 0.0

    @property
    def mu2(self):
        """Smoothed ``mu^2`` (0 before any observation)."""
        return float(self.state[1] / self.state[2]) if self.state[2] > 0 else 0.0

    @property
    def n_updates(self):
        """How many steps were folded in."""
        return int(self.state[3])

    def state_dict(self):
        """Plain floats: safe for ``torch.load(weights_only=True)`` and JSON."""
        return {"scale": self.scale, "smoothing": self.smoothing,
                "state": [float(v) for v in self.state]}

    def load_state_dict(self, state):
        """Restore what :meth:`state_dict` returned."""
        values = np.asarray(state["state"], dtype=np.float64)
        if values.shape != (STATE_SIZE,):
            raise ValueError(
                f"a gain-estimator state has {STATE_SIZE} values; got shape "
                f"{values.shape}."
            )
        self.set_scale(state["scale"], state["smoothing"])
        self.state[:] = values
