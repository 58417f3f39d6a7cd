# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The backend seam of the problems: one call builds a problem on any device.

Estimators, paths and CVs build every problem with :func:`build_problem` on
what :meth:`~blitzlearn._backend.FitData.design` (or
:func:`~blitzlearn._backend.place`) gives them: a host matrix builds the
CPU problem, a :class:`~blitzlearn._backend.DeviceMatrix` its device class
(:data:`~blitzlearn._problems._device.ON_DEVICE`), which takes the same
arguments.  Then they solve it with :func:`~blitzlearn._engine.solve`.
"""

from .._backend import DeviceMatrix
from ._device import ON_DEVICE, device_column_stats
from ._l1 import column_stats


def build_problem(kind, X, *args, **kwargs):
    """``kind(X, *args, **kwargs)``, on ``X``'s device.

    Parameters
    ----------
    kind : type
        A CPU problem class (a key of ``ON_DEVICE``).
    X : host matrix or DeviceMatrix
        The design matrix in the layout ``kind`` reads.
    *args, **kwargs
        ``kind``'s other arguments, the same on every device.
    """
    if isinstance(X, DeviceMatrix):
        return ON_DEVICE[kind](X, *args, **kwargs)
    return kind(X, *args, **kwargs)


def shared_column_stats(X, d, fit_intercept):
    """Column statistics of ``X`` (see :func:`~blitzlearn._problems._l1.column_stats`).

    Computed once for problems that share ``X`` (the one-vs-rest classes, a
    path), on ``X``'s device.
    """
    if isinstance(X, DeviceMatrix):
        return device_column_stats(X, d, fit_intercept)
    return column_stats(X, d, fit_intercept)
