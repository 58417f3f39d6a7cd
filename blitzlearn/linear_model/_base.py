# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""What every BlitzWS estimator shares: parameter constraints and the device.

An estimator's ``fit`` is three calls, the same for every model and device:
:func:`~blitzlearn._backend.fit_data` (validation on the fit's device),
:func:`~blitzlearn._problems.build_problem` (the model's problem on that
device) and :func:`~blitzlearn._engine.solve` (the engine run, its
certificate line, ``ConvergenceWarning`` and finite check).  What remains in
an estimator is its model: parameters, the mapping to its problem, and the
fitted attributes.
"""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

# the solver's parameters, shared by every BlitzWS estimator
SOLVER_CONSTRAINTS = {
    "tol": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "warm_start": ["boolean"],
    "device": [str],  # its values are checked by _device.resolve_device
    "verbose": ["verbose"],
}

# the elastic-net mix and the per-feature weights of the L1 term
PENALTY_CONSTRAINTS = {
    "l1_ratio": [Interval(Real, 0, 1, closed="both")],
    "penalty_weights": ["array-like", None],
}

# ... and those of the linear classifiers
CLASSIFIER_CONSTRAINTS = {
    "C": [Interval(Real, 0, None, closed="neither")],
    "fit_intercept": ["boolean"],
    "class_weight": [dict, StrOptions({"balanced"}), None],
    **SOLVER_CONSTRAINTS,
}

