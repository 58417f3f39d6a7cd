# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The one ConvergenceWarning of every estimator, path and cross-validation."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning


def plain(value):
    """``repr`` of a label as the user wrote it: ``1.0`` or ``'a'``.

    NumPy scalars print as Python ones, never as ``np.float64(1.0)``.
    """
    return repr(value.item() if isinstance(value, np.generic) else value)


def warn_not_converged(result, name, *, tol, scale, max_iter, max_epochs,
                       stacklevel):
    """Warn that a :class:`~blitzlearn._engine.SolveResult` did not converge.

    ``result.gap`` and ``result.limit`` must be in the same (objective)
    units; ``limit = tol * s`` where ``scale`` names ``s`` (e.g. ``"the null
    model's objective"``).  The message names the limit that ended the run:
    ``max_epochs`` when the last subproblem used all its passes, otherwise
    ``max_iter``, a stall at floating-point precision, or the rounding of the
    returned coefficients to X's dtype (``result.stop == "rounding"``).
    ``name`` heads the message (e.g. ``"BlitzSVC (class 1.0)"``); it points
    ``stacklevel`` frames above the caller.
    """
    tolerance = f"the tolerance {result.limit:.4g}"
    if tol > 0:
        tolerance += f" (tol={tol:g} times {scale} = {result.limit / tol:.4g})"
    else:
        tolerance += " (tol=0)"
    if result.epochs_capped:
        cause = (f"its last working-set subproblem stopped at max_epochs="
                 f"{max_epochs} passes, and the run at ")
        cause += (f"max_iter={max_iter} outer iterations"
                  if result.stop == "max_iter" else
                  f"{result.n_iter} outer iterations without progress")
        advice = "Increase max_epochs"
        advice += " or max_iter" if result.stop == "max_iter" else ""
    elif result.stop == "max_iter":
        cause = f"it reached max_iter={max_iter} outer iterations"
        advice = "Increase max_iter"
    elif result.stop == "rounding":
        cause = ("the returned coefficients are rounded to X's dtype, and the "
                 "rounded model is certified only to this gap")
        advice = "Increase tol or pass float64 X"
    else:
        cause = (f"it stopped after {result.n_iter} outer iterations without "
                 "progress (the gap no longer decreases at floating-point "
                 "precision)")
        advice = "Increase tol"
    warnings.warn(
        f"{name} did not converge: the duality gap {result.gap:.4g} is above "
        f"{tolerance}, in objective units; {cause}. {advice}, or scale the "
        "data.",
        ConvergenceWarning,
        stacklevel=stacklevel + 1,
    )
