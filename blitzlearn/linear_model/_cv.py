# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Cross-validation over BlitzWS paths: BlitzLassoCV and BlitzElasticNetCV.

scikit-learn's ``LassoCV`` / ``ElasticNetCV`` do the folds, the centring, the
scoring and the refit; the paths and the refit are BlitzWS's.
"""

import numpy as np
from sklearn.linear_model import ElasticNetCV, LassoCV
from sklearn.model_selection import check_cv

from .._device import is_cupy_object
from .._progress import progress
from .._validation import check_sparse_format
from ._lasso import BlitzElasticNet, BlitzLasso
from ._path import blitz_enet_path, blitz_lasso_path

# what the BlitzWS CVs add to scikit-learn's parameters
_EXTRA_CONSTRAINTS = {"penalty_weights": ["array-like", None], "device": [str]}


class _BlitzPathCV:
    """What BlitzLassoCV and BlitzElasticNetCV add to scikit-learn's CV."""

    def fit(self, X, y, sample_weight=None, **params):
        """Fit the paths on every fold, choose the penalty and refit on all data.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        **params : dict
            Passed to the cross-validation splitter (e.g. ``groups``).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        name = type(self).__name__
        if is_cupy_object(X):
            raise TypeError(
                f"{name} takes X on the host (NumPy or SciPy; the folds are cut "
                "there): pass X.get() with device='cuda' to run the paths and "
                "the refit on the GPU."
            )
        check_sparse_format(X, name)  # as the estimators do
        total = None
        if self.verbose:
            n_alphas = (self.alphas if np.ndim(self.alphas) == 0
                        else len(self.alphas))
            n_ratios = np.size(getattr(self, "l1_ratio", 1.0))
            n_folds = check_cv(self.cv).get_n_splits(X, y, params.get("groups"))
            total = n_folds * int(n_alphas) * n_ratios
        with progress(total, name, enabled=bool(self.verbose)):
            return super().fit(X, y, sample_weight=sample_weight, **params)

    def _is_multitask(self):
        return False


class BlitzLassoCV(_BlitzPathCV, LassoCV):
    """Lasso with the penalty chosen by cross-validation over BlitzWS paths.

    The parameters, the folds, the scoring (mean squared error) and the
    fitted attributes (``alpha_``, ``alphas_``, ``mse_path_``, ``coef_``,
    ``intercept_``, ``dual_gap_``, ``n_iter_``) are those of
    :class:`sklearn.linear_model.LassoCV`; each fold's path is computed by
    :func:`blitz_lasso_path` and the final model is a :class:`BlitzLasso`
    at ``alpha_``, minimising

    .. math::

        \\frac{1}{2 n} \\|y - X w - b\\|_2^2 + \\alpha_{\\ast} \\sum_j v_j |w_j| .

    ``precompute`` and ``selection`` are accepted and not used.  With
    ``verbose``, one progress bar on stdout counts the folds' alphas.

    Parameters
    ----------
    eps : float, default=1e-3
        Length of each path: ``alpha_min / alpha_max = eps``.
    alphas : int or array-like, default=100
        Number of alphas on a log grid from ``alpha_max`` down, or the
        alphas themselves.
    fit_intercept : bool, default=True
        Whether to fit the unpenalised intercept ``b`` (the folds' data are
        centred for the paths, and the refit has an intercept).
    precompute : "auto", bool or array-like, default="auto"
        Accepted for compatibility with ``LassoCV``; BlitzWS chooses the Gram
        form per working set.
    max_iter : int, default=1000
        Maximum number of BlitzWS outer iterations per alpha, and of the
        refit.
    tol : float, default=1e-4
        Each solve stops when its duality gap is at most ``tol`` times
        ``||y - mean(y)||^2 / n`` of its training data, as in
        :class:`BlitzLasso`.
    copy_X : bool, default=True
        Whether the cross-validation may copy ``X`` before centring it, as
        in ``LassoCV``; the solver itself never modifies ``X``.
    cv : int, cross-validation generator or iterable, default=None
        The folds, as in ``LassoCV``: None for 5-fold ``KFold``, an int for
        that many folds, a splitter, or an iterable of (train, test) index
        arrays.
    verbose : bool or int, default=False
        1 draws one progress bar over the folds' solves on stdout, then the
        refit prints its lines as a single fit with ``verbose=1`` does; 2
        also prints every solve's lines.  The lines also go to the
        ``"blitzlearn"`` logger.
    n_jobs : int, default=None
        Number of folds fitted in parallel (joblib); None means 1.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    random_state : int, RandomState instance or None, default=None
        Accepted for compatibility; the solver is deterministic.
    selection : {"cyclic", "random"}, default="cyclic"
        Accepted for compatibility and not used.
    penalty_weights : array-like of shape (n_features,), default=None
        Non-negative weights ``v_j`` of the L1 term (None: all ones), used by
        every path and the refit.  An automatic grid (``alphas`` an int) is
        scikit-learn's, computed without them: pass ``alphas`` when the
        weights are far from 1.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        Where every fold's path and the refit run, as for
        :class:`BlitzLasso` (``X`` itself must be on the host).

    Attributes
    ----------
    alpha_ : float
        The alpha with the lowest mean squared error across the folds.
    alphas_ : ndarray of shape (n_alphas,)
        The grid, decreasing.
    mse_path_ : ndarray of shape (n_alphas, n_folds)
        Mean squared error on each fold's test set at each alpha.
    coef_ : ndarray of shape (n_features,)
        Coefficients of the :class:`BlitzLasso` refitted at ``alpha_``.
    intercept_ : float
        Its intercept.
    dual_gap_ : float
        Its certified duality gap, in objective units.
    n_iter_ : int
        Its number of outer iterations.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.linear_model.LassoCV : The same selection with coordinate-descent
        paths.
    blitz_lasso_path : The paths computed on each fold.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from blitzlearn.linear_model import BlitzLassoCV
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = BlitzLassoCV(cv=5).fit(X, y)
    >>> bool(model.alpha_ in model.alphas_), model.mse_path_.shape
    (True, (100, 5))
    """

    _parameter_constraints: dict = {**LassoCV._parameter_constraints,
                                    **_EXTRA_CONSTRAINTS}

    path = staticmethod(blitz_lasso_path)

    def __init__(self, *, eps=1e-3, alphas=100, fit_intercept=True,
                 precompute="auto", max_iter=1000, tol=1e-4, copy_X=True, cv=None,
                 verbose=False, n_jobs=None, positive=False, random_state=None,
                 selection="cyclic", penalty_weights=None, device="auto"):
        super().__init__(eps=eps, alphas=alphas, fit_intercept=fit_intercept,
                         precompute=precompute, max_iter=max_iter, tol=tol,
                         copy_X=copy_X, cv=cv, verbose=verbose, n_jobs=n_jobs,
                         positive=positive, random_state=random_state,
                         selection=selection)
        self.penalty_weights = penalty_weights
        self.device = device

    def _get_estimator(self):
        return BlitzLasso()


class BlitzElasticNetCV(_BlitzPathCV, ElasticNetCV):
    """Elastic net with ``alpha`` (and ``l1_ratio``) chosen by cross-validation.

    The parameters, the folds, the scoring (mean squared error) and the
    fitted attributes are those of :class:`sklearn.linear_model.ElasticNetCV`;
    each fold's path is computed by :func:`blitz_enet_path` and the final
    model is a :class:`BlitzElasticNet` at the best pair, minimising

    .. math::

        \\frac{1}{2 n} \\|y - X w - b\\|_2^2 + \\alpha_{\\ast} \\rho_{\\ast}
        \\sum_j v_j |w_j| + \\frac{\\alpha_{\\ast} (1 - \\rho_{\\ast})}{2}
        \\|w\\|_2^2 .

    ``precompute`` and ``selection`` are accepted and not used.  With
    ``verbose``, one progress bar on stdout counts the folds' alphas.

    Parameters
    ----------
    l1_ratio : float or list of float, default=0.5
        The mix ``rho`` of the L1 and L2 parts in (0, 1], or several: every
        one gets its paths, and the pair ``(alpha_, l1_ratio_)`` with the
        lowest mean squared error is refitted.
    eps : float, default=1e-3
        Length of each path: ``alpha_min / alpha_max = eps``.
    alphas : int or array-like, default=100
        Number of alphas on a log grid from ``alpha_max`` down, or the
        alphas themselves.
    fit_intercept : bool, default=True
        Whether to fit the unpenalised intercept ``b`` (the folds' data are
        centred for the paths, and the refit has an intercept).
    precompute : "auto", bool or array-like, default="auto"
        Accepted for compatibility with ``LassoCV``; BlitzWS chooses the Gram
        form per working set.
    max_iter : int, default=1000
        Maximum number of BlitzWS outer iterations per alpha, and of the
        refit.
    tol : float, default=1e-4
        Each solve stops when its duality gap is at most ``tol`` times
        ``||y - mean(y)||^2 / n`` of its training data, as in
        :class:`BlitzLasso`.
    cv : int, cross-validation generator or iterable, default=None
        The folds, as in ``LassoCV``: None for 5-fold ``KFold``, an int for
        that many folds, a splitter, or an iterable of (train, test) index
        arrays.
    copy_X : bool, default=True
        Whether the cross-validation may copy ``X`` before centring it, as
        in ``LassoCV``; the solver itself never modifies ``X``.
    verbose : bool or int, default=False
        1 draws one progress bar over the folds' solves on stdout, then the
        refit prints its lines as a single fit with ``verbose=1`` does; 2
        also prints every solve's lines.  The lines also go to the
        ``"blitzlearn"`` logger.
    n_jobs : int, default=None
        Number of folds fitted in parallel (joblib); None means 1.
    positive : bool, default=False
        Constrain the coefficients to be non-negative.
    random_state : int, RandomState instance or None, default=None
        Accepted for compatibility; the solver is deterministic.
    selection : {"cyclic", "random"}, default="cyclic"
        Accepted for compatibility and not used.
    penalty_weights : array-like of shape (n_features,), default=None
        Non-negative weights ``v_j`` of the L1 term (None: all ones), used by
        every path and the refit.  An automatic grid (``alphas`` an int) is
        scikit-learn's, computed without them: pass ``alphas`` when the
        weights are far from 1.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        Where every fold's path and the refit run, as for
        :class:`BlitzLasso` (``X`` itself must be on the host).

    Attributes
    ----------
    alpha_ : float
        The alpha with the lowest mean squared error across the folds.
    l1_ratio_ : float
        The l1_ratio of that pair.
    alphas_ : ndarray of shape (n_alphas,) or (n_l1_ratio, n_alphas)
        The grids, decreasing.
    mse_path_ : ndarray of shape (n_alphas, n_folds) or (n_l1_ratio, n_alphas, n_folds)
        Mean squared error on each fold's test set at each alpha.
    coef_ : ndarray of shape (n_features,)
        Coefficients of the :class:`BlitzElasticNet` refitted at the best pair.
    intercept_ : float
        Its intercept.
    dual_gap_ : float
        Its certified duality gap, in objective units.
    n_iter_ : int
        Its number of outer iterations.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.linear_model.ElasticNetCV : The same selection with
        coordinate-descent paths.
    blitz_enet_path : The paths computed on each fold.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from blitzlearn.linear_model import BlitzElasticNetCV
    >>> X, y = load_diabetes(return_X_y=True)
    >>> model = BlitzElasticNetCV(l1_ratio=[0.5, 0.9], cv=5).fit(X, y)
    >>> model.l1_ratio_ in (0.5, 0.9), model.mse_path_.shape
    (True, (2, 100, 5))
    """

    _parameter_constraints: dict = {**ElasticNetCV._parameter_constraints,
                                    **_EXTRA_CONSTRAINTS}

    path = staticmethod(blitz_enet_path)

    def __init__(self, *, l1_ratio=0.5, eps=1e-3, alphas=100, fit_intercept=True,
                 precompute="auto", max_iter=1000, tol=1e-4, cv=None, copy_X=True,
                 verbose=0, n_jobs=None, positive=False, random_state=None,
                 selection="cyclic", penalty_weights=None, device="auto"):
        super().__init__(l1_ratio=l1_ratio, eps=eps, alphas=alphas,
                         fit_intercept=fit_intercept, precompute=precompute,
                         max_iter=max_iter, tol=tol, cv=cv, copy_X=copy_X,
                         verbose=verbose, n_jobs=n_jobs, positive=positive,
                         random_state=random_state, selection=selection)
        self.penalty_weights = penalty_weights
        self.device = device

    def _get_estimator(self):
        return BlitzElasticNet()
