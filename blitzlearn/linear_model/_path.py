# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Lasso regularisation paths by BlitzWS, and cross-validation over them."""

from numbers import Integral

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LassoCV
from sklearn.linear_model._coordinate_descent import _alpha_grid
from sklearn.model_selection import check_cv
from sklearn.utils import check_array

from .._backend import host_copy, place, resolve_backend
from .._device import is_cupy_object
from .._engine import XI_GRID, solve
from .._engine._scheduler import WorkScheduler
from .._problems._build import build_problem
from .._problems._lasso import LassoProblem
from .._progress import inner_verbose, progress
from .._validation import check_sparse_format, kernel_input, scale_rows
from ._lasso import BlitzLasso


def check_alphas(values, name):
    """A 1-D float64 array of non-negative, finite values, sorted decreasing."""
    grid = np.asarray(values, dtype=np.float64)
    if grid.ndim != 1 or grid.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-D array; got shape {grid.shape}."
        )
    if not (np.all(np.isfinite(grid)) and np.all(grid >= 0)):
        raise ValueError(f"{name} must be finite and non-negative; got {values!r}.")
    return np.sort(grid)[::-1]


def blitz_lasso_path(X, y, *, eps=1e-3, alphas=100, precompute="auto", Xy=None,
                     copy_X=True, coef_init=None, verbose=False,
                     return_n_iter=False, positive=False, device="auto",
                     **params):
    """Lasso solutions along a grid of alphas, each certified by BlitzWS.

    Same signature, defaults and shapes as
    :func:`sklearn.linear_model.lasso_path`; for each ``alpha`` it minimises

    .. math::

        \\frac{1}{2 n} \\|y - X w\\|_2^2 + \\alpha \\|w\\|_1

    (no intercept: center ``X`` and ``y`` first, as for ``lasso_path``).  The
    alphas are solved from the largest down, each solve starting from the
    previous solution, whose support becomes the first working set.  A solve
    stops when its duality gap is at most ``tol * ||y||^2 / n``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data (dense, or sparse: a CSC matrix with sorted indices and
        no duplicate entries is used without a copy, anything else is
        converted; ``X`` is never modified).
    y : array-like of shape (n_samples,)
        Target (one output).
    eps : float, default=1e-3
        Length of the path: ``alpha_min / alpha_max = eps``.
    alphas : int or array-like, default=100
        Number of alphas on a log grid from ``alpha_max``, or the alphas
        themselves (solved in decreasing order, returned in that order).
    precompute : "auto", bool or array-like, default="auto"
        Accepted for compatibility; BlitzWS decides per working set whether
        to use the Gram matrix.
    Xy : array-like of shape (n_features,), default=None
        ``X^T y``, used for ``alpha_max`` when given.
    copy_X : bool, default=True
        Accepted for compatibility; ``X`` is never modified.
    coef_init : array-like of shape (n_features,), default=None
        Starting weights of the first alpha.
    verbose : bool or int, default=False
        1 draws a progress bar over the alphas on stdout; 2 also prints each
        solve's lines as a single fit with ``verbose=1`` does (and its final
        certificate), 3 their subproblem details.  The lines also go to the
        ``"blitzlearn"`` logger.
    return_n_iter : bool, default=False
        Also return the outer iterations of every solve.
    positive : bool, default=False
        Constrain the weights to be non-negative.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        Where the solves run, as for :class:`BlitzLasso` (``"auto"`` follows
        ``X``: CuPy input runs on its GPU, after its checks on the host).
    **params : dict
        ``tol`` (default 1e-4), ``max_iter`` (default 1000) and
        ``max_epochs``; also the ``X_offset``, ``X_scale`` and
        ``sample_weight`` that scikit-learn's cross-validation passes (dense
        ``X`` and ``y`` then come centred, rows scaled by
        ``sqrt(sample_weight)``; sparse ``X`` is centred implicitly and its
        rows are scaled here).

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        The alphas, decreasing.
    coefs : ndarray of shape (n_features, n_alphas)
        The weights along the path.
    dual_gaps : ndarray of shape (n_alphas,)
        The certified duality gap of each solution, in objective units.
    n_iters : list of int
        Outer iterations per alpha (with ``return_n_iter=True``).

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from blitzlearn.linear_model import blitz_lasso_path
    >>> X, y = load_diabetes(return_X_y=True)
    >>> X, y = X - X.mean(axis=0), y - y.mean()
    >>> alphas, coefs, gaps = blitz_lasso_path(X, y, alphas=5)
    >>> coefs.shape, bool(alphas[0] > alphas[-1]), bool((gaps >= 0).all())
    ((10, 5), True, True)
    """
    tol = params.pop("tol", 1e-4)
    max_iter = params.pop("max_iter", 1000)
    max_epochs = params.pop("max_epochs", 50000)
    X_offset = params.pop("X_offset", None)
    X_scale = params.pop("X_scale", None)
    sample_weight = params.pop("sample_weight", None)
    params.pop("random_state", None)  # cyclic / random CD: not used
    params.pop("selection", None)
    if params:
        raise TypeError(f"blitz_lasso_path got unexpected parameters {sorted(params)}.")
    name = "blitz_lasso_path"
    _, backend, _ = resolve_backend(device, X, name)
    X = check_array(host_copy(X), accept_sparse=["csc", "csr", "coo"],
                    dtype=[np.float64, np.float32], order="F")
    y = check_array(host_copy(y), ensure_2d=False, dtype=np.float64)
    if y.ndim != 1:
        raise ValueError(
            f"blitz_lasso_path fits one output; got y of shape {y.shape}."
        )
    X = kernel_input(X, "columns", name, y)
    if X_scale is not None and not np.allclose(X_scale, 1.0):
        raise ValueError("blitz_lasso_path does not rescale features (X_scale).")
    n_samples, n_features = X.shape
    # sparse X given with its column means: solve with an unpenalised
    # intercept, which is the same problem as the implicitly centred one
    center = sp.issparse(X) and X_offset is not None and np.any(X_offset != 0)
    if np.ndim(alphas) == 0:
        if not (isinstance(alphas, Integral | np.integer) and alphas >= 1):
            raise ValueError(
                f"alphas must be a positive int or an array of alphas; got {alphas!r}."
            )
        grid = _alpha_grid(X, y, Xy=Xy, l1_ratio=1.0, fit_intercept=bool(center),
                           eps=eps, n_alphas=int(alphas), positive=positive)
    else:
        grid = check_alphas(alphas, "alphas")
    # scikit-learn's cross-validation hands dense X and y centred with their
    # rows already scaled by sqrt(sample_weight); sparse ones only centred
    # (implicitly for X): their rows are scaled here, and sqrt(sample_weight)
    # is then the direction of the implicit intercept
    d = np.ones(n_samples)
    if sample_weight is not None and sp.issparse(X):
        d = np.sqrt(np.asarray(sample_weight, dtype=np.float64))
        X, y = scale_rows(X, d), y * d
    w = (np.zeros(n_features) if coef_init is None
         else np.asarray(coef_init, dtype=np.float64).ravel().copy())
    coefs = np.empty((n_features, grid.size), dtype=X.dtype)
    gaps = np.empty(grid.size)
    n_iters = []
    # one problem for the whole path: the column statistics are computed once
    # and each solve starts from the last one's weights and cost model
    problem = build_problem(LassoProblem, place(X, "columns", backend), y, d,
                            n_samples * grid[0], fit_intercept=center,
                            positive=positive, w0=w)
    scheduler = WorkScheduler(XI_GRID)
    with progress(grid.size, name, enabled=verbose) as bar:
        for k, alpha in enumerate(grid):
            solved = solve(
                problem, alpha, tol=tol, max_iter=max_iter, max_epochs=max_epochs,
                verbose=inner_verbose(verbose),
                name=f"{name} at alpha={alpha:.3e}", stacklevel=2,
                scheduler=scheduler)
            coefs[:, k] = solved.coef
            gaps[k] = solved.result.gap
            n_iters.append(solved.result.n_iter)
            bar.update(note=f"alpha {alpha:.2e}  gap {solved.result.gap:.1e}")
    if return_n_iter:
        return grid, coefs, gaps, n_iters
    return grid, coefs, gaps


class BlitzLassoCV(LassoCV):
    """Lasso with the penalty chosen by cross-validation over BlitzWS paths.

    The parameters, the folds, the scoring (mean squared error) and the
    fitted attributes (``alpha_``, ``alphas_``, ``mse_path_``, ``coef_``,
    ``intercept_``, ``dual_gap_``, ``n_iter_``) are those of
    :class:`sklearn.linear_model.LassoCV`; each fold's path is computed by
    :func:`blitz_lasso_path` and the final model is a :class:`BlitzLasso`
    at ``alpha_``, minimising

    .. math::

        \\frac{1}{2 n} \\|y - X w - b\\|_2^2 + \\alpha_{\\ast} \\|w\\|_1 .

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
                                    "device": [str]}

    path = staticmethod(blitz_lasso_path)

    def __init__(self, *, eps=1e-3, alphas=100, fit_intercept=True,
                 precompute="auto", max_iter=1000, tol=1e-4, copy_X=True, cv=None,
                 verbose=False, n_jobs=None, positive=False, random_state=None,
                 selection="cyclic", device="auto"):
        super().__init__(eps=eps, alphas=alphas, fit_intercept=fit_intercept,
                         precompute=precompute, max_iter=max_iter, tol=tol,
                         copy_X=copy_X, cv=cv, verbose=verbose, n_jobs=n_jobs,
                         positive=positive, random_state=random_state,
                         selection=selection)
        self.device = device

    def fit(self, X, y, sample_weight=None, **params):
        """Fit the paths on every fold, choose ``alpha_`` and refit on all data.

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
        check_sparse_format(X, name)  # as BlitzLasso does
        total = None
        if self.verbose:
            n_alphas = (self.alphas if np.ndim(self.alphas) == 0
                        else len(self.alphas))
            n_folds = check_cv(self.cv).get_n_splits(X, y, params.get("groups"))
            total = n_folds * int(n_alphas)
        with progress(total, type(self).__name__, enabled=bool(self.verbose)):
            return super().fit(X, y, sample_weight=sample_weight, **params)

    def _get_estimator(self):
        return BlitzLasso()

    def _is_multitask(self):
        return False
