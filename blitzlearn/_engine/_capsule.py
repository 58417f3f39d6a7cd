# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Capsule geometry of BlitzWS.

Given the upper point ``y``, the centre ``x`` of a quadratic minorant
``m(z) = l + gamma/2 ||z - x||^2 <= f(z)``, the gap ``Delta = f(y) - l`` and a
progress target ``xi`` in (0, 1], the capsule ``S(xi)`` is a tube around the
segment through ``y`` and ``x`` that contains every point where the next relaxed
problem could first achieve the progress ``Delta -> (1 - xi) Delta``.  A
component whose boundary misses ``S(xi)`` can be left out of the working set;
one whose boundary misses ``S(1)``, the safe ball
``||z* - (x + y)/2||^2 <= Delta/gamma - ||x - y||^2/4``, is screened for good.

Everything here is O(number of targets) scalar work done on the host (NumPy
and a Numba loop), whatever the backend of the data.
"""

import numpy as np

from .._kernels._capsules import capsule_axes

# Progress targets: 24 values log-spaced from 1e-6 (ratio 10**(1/6)), then 101
# values log-spaced from 1e-2 to 1 (1e-2 appears twice), sorted ascending.
XI_GRID = np.sort(np.concatenate([
    10.0 ** (-6 + np.arange(24) / 6),
    np.logspace(-2, 0, 101),
]))

# Points of the bisection-free search over the ball parameter theta in [0, xi].
_N_THETA = 32


def _grid(xi):
    """``theta``, ``(xi - theta) / (1 - theta)`` and ``theta / (1 + theta)``."""
    theta = xi[:, None] * np.linspace(0.0, 1.0, _N_THETA)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        shape = (xi[:, None] - theta) / (1.0 - theta)
    shape = np.nan_to_num(shape, nan=0.0, posinf=0.0)  # theta = xi = 1
    return theta, shape, theta / (1.0 + theta)


_XI_GRID_TERMS = _grid(XI_GRID)


def _theta_grid(xi):
    """The gap-independent terms of the capsule search (cached for XI_GRID)."""
    return _XI_GRID_TERMS if xi is XI_GRID else _grid(xi)


def capsules(gamma, gap, dist, xi=XI_GRID):
    """Capsule parameters for every progress target.

    Parameters
    ----------
    gamma : float
        Strong-convexity modulus of the smooth part of the objective.
    gap : float
        Current gap ``Delta = f(y) - l`` (non-negative).
    dist : float
        ``||x - y||``.
    xi : ndarray of shape (n_targets,)
        Progress targets sorted ascending, the last one equal to 1.

    Returns
    -------
    beta_lo, beta_hi : ndarray of shape (n_targets,)
        Ends of the capsule's axis as fractions of ``x - y`` measured from ``y``.
    rho : ndarray of shape (n_targets,)
        Capsule radii.

    Notes
    -----
    The candidate first points achieving progress ``xi`` form balls indexed by
    ``theta`` in [0, xi) with centre ``y + theta/(1+theta) (x - y)`` and radius

    .. math::

        R(\\theta) = \\theta \\sqrt{\\Big[\\tfrac{2\\Delta}{\\gamma}
        \\tfrac{\\xi-\\theta}{1-\\theta} - \\tfrac{\\theta d^2}{1+\\theta}\\Big]_+
        / (1+\\theta)}.

    The capsule is the thinnest tube around the axis containing them all.  The
    last target (``xi = 1``) is set to the safe ball in closed form.
    """
    gap = max(float(gap), 0.0)
    dist = float(dist)
    theta, shape, share = _theta_grid(xi)
    lo, hi, rho = np.empty(xi.size), np.empty(xi.size), np.empty(xi.size)
    capsule_axes(2.0 * gap / float(gamma), dist, theta, shape, share, lo, hi, rho)
    # xi = 1: the safe ball, exactly.
    lo[-1] = hi[-1] = 0.5
    rho[-1] = np.sqrt(max(gap / gamma - dist * dist / 4.0, 0.0))
    return lo, hi, rho
