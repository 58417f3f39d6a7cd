# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""BlitzElasticNet and BlitzLasso: solved by BlitzWS with a duality-gap certificate."""

import warnings
from numbers import Real

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.linear_model._base import LinearModel
from sklearn.utils._param_validation import Interval

from .._backend import device_decision_function, fit_data, host_copy
from .._device import is_cupy_object
from .._engine import solve
from .._problems._build import build_problem
from .._problems._lasso import LassoProblem
from .._validation import normalized_sample_weight
from ._base import PENALTY_CONSTRAINTS, SOLVER_CONSTRAINTS


class BlitzElasticNet(RegressorMixin, LinearModel):
    """Linear model with an elastic-net penalty, solved by BlitzWS.

    The objective is scikit-learn's :class:`~sklearn.linear_model.ElasticNet`,
    with optional per-feature weights ``v`` on the L1 term:

    .. math::

        \\min_{w, b} \\; \\frac{1}{2 n} \\sum_{i=1}^{n} s_i (y_i - x_i^\\top w - b)^2
        + \\alpha \\rho \\sum_{j} v_j |w_j|
        + \\frac{\\alpha (1 - \\rho)}{2} \\|w\\|_2^2,

    where ``rho`` is ``l1_ratio``, ``s`` are the sample weights rescaled to
    sum to ``n`` (all ones by default) and ``b`` is unpenalised.  Every fit
    ends with a duality-gap certificate ``dual_gap_`` that bounds the distance
    of the objective to the optimum.

    Parameters
    ----------
    alpha : float, default=1.0
        Strength of the penalty, non-negative.
    l1_ratio : float, default=0.5
        The mix ``rho`` in [0, 1]: 1 is the Lasso (:class:`BlitzLasso`), 0 is
        ridge regression (certified too, with nothing to screen).
    fit_intercept : bool, default=True
        Whether to fit the unpenalised intercept ``b``.
    positive : bool, default=False
        When True, constrain the coefficients to be non-negative.
    penalty_weights : array-like of shape (n_features,), default=None
        Non-negative weights ``v_j`` of the L1 term (None: all ones): the
        penalty of feature ``j`` is ``v_j |w_j|``, and ``v_j = 0`` leaves it
        unpenalised (never screened).  As celer's ``Lasso(weights=v)`` and
        skglm's ``WeightedLasso(weights=v)``.
    tol : float, default=1e-4
        Stop when the duality gap is at most ``tol * ||y - mean(y)||^2 / n``
        (``mean(y)`` is 0 without intercept, norms are weighted by ``s``): the
        same rule, in objective units, as scikit-learn's ``Lasso``.
    max_iter : int, default=1000
        Maximum number of BlitzWS outer iterations.
    max_epochs : int, default=50000
        Maximum number of coordinate-descent passes per working-set subproblem.
    warm_start : bool, default=False
        Start from the previous ``coef_`` when refitting.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        Where to fit: ``"auto"`` follows the input (CuPy input runs on its
        GPU), ``"cpu"`` uses the Numba kernels, ``"cuda"`` / ``"cuda:N"`` the
        CuPy backend (NumPy/SciPy input is copied to the GPU once; errors
        without CuPy or a GPU, never a silent fallback).  Fitted attributes
        are NumPy either way; predictions follow ``X``'s kind.
    verbose : int, default=0
        Print progress on stdout: 1 prints one line per outer iteration
        (objective, duality gap, tolerance, working-set size, components
        screened so far) and the final certificate; 2 adds each subproblem's
        details.  The same records go to the ``"blitzlearn"`` logger (INFO
        for level 1, DEBUG for level 2).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Coefficients ``w``, in X's dtype (as scikit-learn's ``Lasso``): for
        float32 input ``dual_gap_`` certifies the rounded float32 values.
    intercept_ : float
        Intercept ``b`` (0.0 when ``fit_intercept=False``), in X's dtype.
    dual_gap_ : float
        Duality gap of the returned model on the full problem, in objective
        units: the objective is at most ``dual_gap_`` above its minimum.
    n_iter_ : int
        Number of outer iterations run.
    device_ : str
        Device the fit ran on.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.linear_model.ElasticNet : The same objective (without weights)
        solved by cyclic coordinate descent.
    BlitzLasso : The ``l1_ratio=1`` case.

    Notes
    -----
    Internally the problem is solved in units of ``n`` times the objective
    on its dual (for ``l1_ratio < 1`` an unconstrained one), with the
    features as BlitzWS components: a feature enters the working set only if
    its dual constraint can be active near the optimum,
    and it is discarded for good when a safe ball around the optimum proves
    its coefficient is zero.  The working-set size and the subproblem
    tolerance come from a cost model that counts matrix entries touched, so
    the same input always gives the same model.

    Sparse input is read in CSC form (CSR and COO are converted, never
    densified or centred; duplicate entries are summed and indices sorted
    on a copy: ``X`` itself is never modified); float32 input is solved on
    float32 data with float64 accumulation.

    References
    ----------
    T. B. Johnson and C. Guestrin. "A Fast, Principled Working Set Algorithm for
    Exploiting Piecewise Linear Structure in Convex Problems", ICML 2018.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from blitzlearn import BlitzElasticNet
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = BlitzElasticNet(alpha=0.01, l1_ratio=0.7).fit(X, y)
    >>> int((model.coef_ != 0).sum())
    10
    >>> bool(model.dual_gap_ <= 1e-4 * y.var())
    True
    """

    _parameter_constraints: dict = {
        "alpha": [Interval(Real, 0, None, closed="left")],
        "fit_intercept": ["boolean"],
        "positive": ["boolean"],
        **PENALTY_CONSTRAINTS,
        **SOLVER_CONSTRAINTS,
    }

    def __init__(self, alpha=1.0, *, l1_ratio=0.5, fit_intercept=True,
                 positive=False, penalty_weights=None, tol=1e-4, max_iter=1000,
                 max_epochs=50000, warm_start=False, device="auto", verbose=0):
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.positive = positive
        self.penalty_weights = penalty_weights
        self.tol = tol
        self.max_iter = max_iter
        self.max_epochs = max_epochs
        self.warm_start = warm_start
        self.device = device
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model by BlitzWS.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data: dense (any memory order), or sparse CSC, CSR or COO.
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights, rescaled internally to sum to
            ``n_samples``.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        name = type(self).__name__
        if self.alpha == 0:
            warnings.warn(
                f"With alpha=0 {name} solves unpenalised least squares, for which "
                "the rescaled-residual duality gap is no certificate and the "
                "solver will not report convergence; use "
                "sklearn.linear_model.LinearRegression instead.",
                UserWarning,
                stacklevel=2,
            )
        data = fit_data(self, X, y, layout="columns", regression=True)
        n_samples, n_features = data.X.shape
        sw = normalized_sample_weight(host_copy(sample_weight), data.X)
        if sw is None:
            d = np.ones(n_samples)
            y = data.y
        else:
            d = np.sqrt(sw)
            data.scale_rows(d)
            y = data.y * d

        w0 = np.zeros(n_features)
        if self.warm_start and getattr(self, "coef_", None) is not None:
            if self.coef_.shape == (n_features,):
                w0 = self.coef_.astype(np.float64)
        problem = build_problem(LassoProblem, data.design(), y, d,
                                n_samples * self.alpha,
                                fit_intercept=self.fit_intercept,
                                positive=self.positive, w0=w0,
                                l1_ratio=self.l1_ratio,
                                weights=self.penalty_weights)
        solved = solve(problem, self.alpha, tol=self.tol, max_iter=self.max_iter,
                       max_epochs=self.max_epochs, verbose=self.verbose,
                       name=name, stacklevel=3)
        dtype = data.dtype
        self.coef_ = solved.coef.astype(dtype)
        self.intercept_ = dtype.type(solved.intercept) if self.fit_intercept else 0.0
        self.dual_gap_ = solved.result.gap
        self.n_iter_ = solved.result.n_iter
        self.device_ = data.device
        return self

    def _decision_function(self, X):
        if is_cupy_object(X):  # predicted on X's GPU, returned as CuPy
            return device_decision_function(self, X)
        return super()._decision_function(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


class BlitzLasso(BlitzElasticNet):
    """Linear model with an L1 penalty, solved by the BlitzWS working-set method.

    The objective is exactly scikit-learn's :class:`~sklearn.linear_model.Lasso`,
    with optional per-feature weights ``v`` (the adaptive or weighted Lasso):

    .. math::

        \\min_{w, b} \\; \\frac{1}{2 n} \\sum_{i=1}^{n} s_i (y_i - x_i^\\top w - b)^2
        + \\alpha \\sum_j v_j |w_j|,

    where ``s`` are the sample weights rescaled to sum to ``n`` (all ones by
    default) and ``b`` is unpenalised: :class:`BlitzElasticNet` with
    ``l1_ratio=1``, the same code.  Every fit ends with a duality-gap
    certificate ``dual_gap_`` that bounds the distance of the objective to the
    optimum.

    Parameters
    ----------
    alpha : float, default=1.0
        Strength of the L1 penalty, non-negative.
    fit_intercept : bool, default=True
        Whether to fit the unpenalised intercept ``b``.
    positive : bool, default=False
        When True, constrain the coefficients to be non-negative.
    penalty_weights : array-like of shape (n_features,), default=None
        Non-negative weights ``v_j`` of the L1 term (None: all ones): the
        penalty of feature ``j`` is ``v_j |w_j|``, and ``v_j = 0`` leaves it
        unpenalised (never screened).  As celer's ``Lasso(weights=v)`` and
        skglm's ``WeightedLasso(weights=v)``.
    tol : float, default=1e-4
        Stop when the duality gap is at most ``tol * ||y - mean(y)||^2 / n``
        (``mean(y)`` is 0 without intercept, norms are weighted by ``s``): the
        same rule, in objective units, as scikit-learn's ``Lasso``.
    max_iter : int, default=1000
        Maximum number of BlitzWS outer iterations.
    max_epochs : int, default=50000
        Maximum number of coordinate-descent passes per working-set subproblem.
    warm_start : bool, default=False
        Start from the previous ``coef_`` when refitting.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        Where to fit: ``"auto"`` follows the input (CuPy input runs on its
        GPU), ``"cpu"`` uses the Numba kernels, ``"cuda"`` / ``"cuda:N"`` the
        CuPy backend (NumPy/SciPy input is copied to the GPU once; errors
        without CuPy or a GPU, never a silent fallback).  Fitted attributes
        are NumPy either way; predictions follow ``X``'s kind.
    verbose : int, default=0
        Print progress on stdout: 1 prints one line per outer iteration
        (objective, duality gap, tolerance, working-set size, components
        screened so far) and the final certificate; 2 adds each subproblem's
        details.  The same records go to the ``"blitzlearn"`` logger (INFO
        for level 1, DEBUG for level 2).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        Coefficients ``w``, in X's dtype (as scikit-learn's ``Lasso``): for
        float32 input ``dual_gap_`` certifies the rounded float32 values.
    intercept_ : float
        Intercept ``b`` (0.0 when ``fit_intercept=False``), in X's dtype.
    dual_gap_ : float
        Duality gap of the returned model on the full problem, in objective
        units: the objective is at most ``dual_gap_`` above its minimum.
    n_iter_ : int
        Number of outer iterations run.
    device_ : str
        Device the fit ran on.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.linear_model.Lasso : The same objective solved by cyclic
        coordinate descent.

    Notes
    -----
    Internally the problem is solved in units of ``lambda = n * alpha`` on its
    dual, with the features as BlitzWS components: a feature enters the
    working set only if its dual constraint can be active near the optimum,
    and it is discarded for good when a safe ball around the optimum proves
    its coefficient is zero.  The working-set size and the subproblem
    tolerance come from a cost model that counts matrix entries touched, so
    the same input always gives the same model.

    Sparse input is read in CSC form (CSR and COO are converted, never
    densified or centred; duplicate entries are summed and indices sorted
    on a copy: ``X`` itself is never modified); float32 input is solved on
    float32 data with float64 accumulation.

    References
    ----------
    T. B. Johnson and C. Guestrin. "A Fast, Principled Working Set Algorithm for
    Exploiting Piecewise Linear Structure in Convex Problems", ICML 2018.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from blitzlearn import BlitzLasso
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = BlitzLasso(alpha=0.1).fit(X, y)
    >>> int((model.coef_ != 0).sum())
    7
    >>> bool(model.dual_gap_ <= 1e-4 * y.var())
    True
    """

    _parameter_constraints: dict = {
        key: value for key, value in BlitzElasticNet._parameter_constraints.items()
        if key != "l1_ratio"
    }

    def __init__(self, alpha=1.0, *, fit_intercept=True, positive=False,
                 penalty_weights=None, tol=1e-4, max_iter=1000, max_epochs=50000,
                 warm_start=False, device="auto", verbose=0):
        super().__init__(alpha=alpha, l1_ratio=1.0, fit_intercept=fit_intercept,
                         positive=positive, penalty_weights=penalty_weights,
                         tol=tol, max_iter=max_iter, max_epochs=max_epochs,
                         warm_start=warm_start, device=device, verbose=verbose)
