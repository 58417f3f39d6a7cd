# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""L1-logistic regularisation paths by BlitzWS, and cross-validation over them."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import _fit_context
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import _check_sample_weight

from .._backend import host_copy, place, resolve_backend
from .._engine import XI_GRID, plain, solve
from .._engine._scheduler import WorkScheduler
from .._problems._build import build_problem, shared_column_stats
from .._problems._logistic import LogisticProblem, balance_classes, null_intercept
from .._progress import inner_verbose, progress
from .._validation import kernel_input
from ._logistic import BlitzLogisticL1
from ._path import check_alphas


def c_min(X, labels, sw, fit_intercept):
    """Smallest ``C`` with a nonzero solution: ``1 / ||X^T r_0||_inf``.

    ``r_0`` is the negative loss gradient of the null model (``w = 0`` and its
    optimal intercept); for every ``C <= c_min`` the weights ``w = 0`` are
    optimal.  Returns ``inf`` when ``X^T r_0 = 0`` (no ``C`` moves ``w``).
    """
    c = null_intercept(labels, sw) if fit_intercept else 0.0
    r = sw * labels / (1.0 + np.exp(labels * c))
    if fit_intercept:
        balance_classes(r, labels)
    top = float(np.abs(np.asarray(X.T @ r, dtype=np.float64)).max(initial=0.0))
    return np.inf if top == 0.0 else 1.0 / top


def _binary_labels(y, pos_class, name):
    """Labels in {-1, +1} (float64) for ``pos_class`` against the rest."""
    classes = np.unique(y)
    if pos_class is None:
        if classes.size != 2:
            raise ValueError(
                f"{name} fits one binary problem: y has {classes.size} classes "
                f"({', '.join(plain(c) for c in classes[:5])}...); pass "
                "pos_class to fit one class against the rest."
            )
        pos_class = classes[1]
    elif pos_class not in classes:
        raise ValueError(f"pos_class={plain(pos_class)} is not a label of y.")
    return np.where(y == pos_class, 1.0, -1.0)


def _c_grid(Cs, start, eps):
    """Cs as an increasing array: ``Cs`` values from ``start`` up to ``start / eps``."""
    if np.ndim(Cs) == 0:
        if not (isinstance(Cs, Integral | np.integer) and Cs >= 1):
            raise ValueError(f"Cs must be a positive int or an array; got {Cs!r}.")
        if not np.isfinite(start):
            raise ValueError(
                "The null model is optimal for every C (X^T r = 0 at w = 0): "
                "no grid of Cs starts from a nonzero solution; pass Cs "
                "explicitly."
            )
        return start * np.geomspace(1.0, 1.0 / eps, int(Cs))
    grid = check_alphas(Cs, "Cs")[::-1]
    if not np.all(grid > 0):
        raise ValueError(f"Cs must be positive; got {Cs!r}.")
    return grid


def _path(X, labels, sw, Cs, *, fit_intercept, tol, max_iter, max_epochs, verbose,
          stats, start, bar, name):
    """Solve one binary problem along the increasing ``Cs``, warm-started.

    ``X`` is the design on the solves' device (see
    :func:`~blitzlearn._backend.place`).
    """
    n_features = X.shape[1]
    w0 = np.zeros(n_features) if start is None else start[:n_features]
    c0 = start[n_features] if start is not None and fit_intercept else None
    problem = build_problem(LogisticProblem, X, labels, sw, 1.0 / Cs[0],
                            fit_intercept=fit_intercept, w0=w0, c0=c0,
                            stats=stats)
    scheduler = WorkScheduler(XI_GRID)
    coefs = np.zeros((Cs.size, n_features + int(fit_intercept)))
    gaps = np.empty(Cs.size)
    n_iter = np.empty(Cs.size, dtype=np.int32)
    for k, C in enumerate(Cs):
        solved = solve(problem, C, tol=tol, max_iter=max_iter,
                       max_epochs=max_epochs, verbose=verbose,
                       name=f"{name} at C={C:.3e}", stacklevel=3,
                       scheduler=scheduler)
        coefs[k, :n_features] = solved.coef
        if fit_intercept:
            coefs[k, -1] = solved.intercept
        gaps[k], n_iter[k] = solved.result.gap, solved.result.n_iter
        bar.update(note=f"C {C:.2e}  gap {solved.result.gap:.1e}")
    return coefs, gaps, n_iter


def _check_both_classes(labels, sw, what):
    if not (sw[labels > 0].sum() > 0 and sw[labels < 0].sum() > 0):
        raise ValueError(
            f"{what}: each of the two classes needs a positive total sample "
            "weight (a class may be missing from a fold: use a stratified "
            "splitter or fewer folds)."
        )


def blitz_logistic_l1_path(X, y, *, pos_class=None, Cs=10, eps=1e-3,
                           fit_intercept=True, tol=1e-4, max_iter=1000,
                           max_epochs=50000, sample_weight=None, coef_init=None,
                           verbose=0, return_n_iter=False, device="auto"):
    """L1-logistic solutions along a grid of Cs, each certified by BlitzWS.

    For each ``C`` it minimises, over ``w`` and the unpenalised ``b`` (the
    objective of :class:`BlitzLogisticL1` and of scikit-learn's
    ``LogisticRegression(l1_ratio=1, solver="saga")``),

    .. math::

        C \\sum_{i=1}^{n} s_i \\log\\bigl(1 + e^{-y_i (x_i^\\top w + b)}\\bigr)
        + \\|w\\|_1 ,

    with ``y_i = +1`` for ``pos_class`` and ``-1`` otherwise.  The Cs are
    solved in increasing order, from the sparsest solution up, each solve
    starting from the previous solution (whose support enters the first
    working set) with the cost model it learned; screening is redone for each
    ``C``.  A solve stops when its duality gap is at most ``tol`` times the
    objective of the null model (``w = 0``, best ``b``).

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        Training data (dense, or sparse: a CSC matrix with sorted indices and
        no duplicate entries is used without a copy, anything else is
        converted; ``X`` is never modified).
    y : array-like of shape (n_samples,)
        Class labels.
    pos_class : label, default=None
        The positive class, fitted against all others; None requires two
        classes and takes the larger label.
    Cs : int or array-like, default=10
        The Cs (positive), or their number: ``Cs`` values log-spaced from the
        smallest ``C`` with a nonzero solution, ``c_min = 1 / ||X^T r_0||_inf``
        (``r_0`` the null model's negative loss gradient), up to
        ``c_min / eps``.
    eps : float, default=1e-3
        Length of the generated grid: ``C_min / C_max = eps``.
    fit_intercept : bool, default=True
        Whether to fit the unpenalised intercept ``b``.
    tol : float, default=1e-4
        Relative duality-gap tolerance of each solve (see above).
    max_iter : int, default=1000
        Maximum number of BlitzWS outer iterations per ``C``.
    max_epochs : int, default=50000
        Maximum number of coordinate-descent passes per subproblem.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weights ``s`` (not rescaled).
    coef_init : array-like of shape (n_features,) or (n_features + 1,), default=None
        Starting weights of the first ``C`` (the intercept last).
    verbose : int, default=0
        1 draws a progress bar over the Cs on stdout; 2 also prints each
        solve's lines as a single fit with ``verbose=1`` does (and its final
        certificate), 3 their subproblem details.  The lines also go to the
        ``"blitzlearn"`` logger.
    return_n_iter : bool, default=False
        Also return the outer iterations of every solve.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        Where the solves run, as for :class:`BlitzLogisticL1` (``"auto"``
        follows ``X``: CuPy input runs on its GPU, after its checks on the
        host).

    Returns
    -------
    Cs : ndarray of shape (n_Cs,)
        The Cs, increasing.
    coefs : ndarray of shape (n_Cs, n_features) or (n_Cs, n_features + 1)
        The weights for each ``C``, the intercept last when
        ``fit_intercept`` (the layout of scikit-learn's logistic paths).
    dual_gaps : ndarray of shape (n_Cs,)
        The certified duality gap of each solution, in objective units.
    n_iter : ndarray of shape (n_Cs,)
        Outer iterations per ``C`` (with ``return_n_iter=True``).

    See Also
    --------
    BlitzLogisticL1CV : Cross-validation over these paths.
    blitz_lasso_path : The Lasso's path.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from blitzlearn.linear_model import blitz_logistic_l1_path
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> Cs, coefs, gaps = blitz_logistic_l1_path(X, y, Cs=5)
    >>> coefs.shape, bool((Cs[1:] > Cs[:-1]).all())
    ((5, 31), True)
    >>> [int((c[:-1] != 0).sum()) for c in coefs]
    [0, 4, 9, 17, 22]
    """
    name = "blitz_logistic_l1_path"
    _, backend, _ = resolve_backend(device, X, name)
    X = kernel_input(check_array(host_copy(X), accept_sparse=["csc", "csr", "coo"],
                                 dtype=[np.float64, np.float32], order="F"),
                     "columns", name)
    y = np.asarray(host_copy(y))
    if y.ndim != 1:
        raise ValueError(f"{name} fits one output; got y of shape {y.shape}.")
    check_consistent_length(X, y)
    if not (isinstance(tol, Real) and tol >= 0):
        raise ValueError(f"tol must be a non-negative number; got {tol!r}.")
    if not (isinstance(eps, Real) and 0 < eps <= 1):
        raise ValueError(f"eps must be in (0, 1]; got {eps!r}.")
    labels = _binary_labels(y, pos_class, name)
    sw = _check_sample_weight(sample_weight, X, dtype=np.float64,
                              ensure_non_negative=True)
    _check_both_classes(labels, sw, name)
    grid = _c_grid(Cs, c_min(X, labels, sw, fit_intercept) if np.ndim(Cs) == 0
                   else None, eps)
    start = None
    if coef_init is not None:
        start = np.asarray(coef_init, dtype=np.float64).ravel()
        if start.size not in (X.shape[1], X.shape[1] + 1):
            raise ValueError(
                f"coef_init has {start.size} entries; expected {X.shape[1]} or "
                f"{X.shape[1] + 1} (with the intercept)."
            )
        if start.size == X.shape[1]:
            start = np.append(start, 0.0) if fit_intercept else start
    X = place(X, "columns", backend)
    stats = shared_column_stats(X, np.ones(X.shape[0]), fit_intercept)
    with progress(grid.size, name, enabled=verbose) as bar:
        coefs, gaps, n_iter = _path(
            X, labels, sw, grid, fit_intercept=fit_intercept, tol=tol,
            max_iter=max_iter, max_epochs=max_epochs,
            verbose=inner_verbose(verbose), stats=stats, start=start, bar=bar,
            name=name)
    if return_n_iter:
        return grid, coefs, gaps, n_iter
    return grid, coefs, gaps


class BlitzLogisticL1CV(BlitzLogisticL1):
    """L1-logistic regression with ``C`` chosen by cross-validation over BlitzWS paths.

    For each fold, the paths of :func:`blitz_logistic_l1_path` (one binary
    problem, or one per class against the rest) are computed over a common
    grid of Cs and scored on the held-out part; the ``C`` with the best total
    score over the folds is refitted on all the data, minimising

    .. math::

        C_{\\ast} \\sum_{i=1}^{n} s_i
        \\log\\bigl(1 + e^{-y_i (x_i^\\top w + b)}\\bigr) + \\|w\\|_1

    (the objective of :class:`BlitzLogisticL1`).  The parameters and fitted
    attributes follow :class:`sklearn.linear_model.LogisticRegressionCV`; with
    more than two classes, one ``C`` is chosen for all the one-vs-rest
    problems, scored on the multiclass predictions.

    Parameters
    ----------
    Cs : int or array-like, default=10
        The Cs, or their number: log-spaced from the smallest ``C`` giving a
        nonzero solution on all the data (the smallest over the classes) up
        to that value over ``eps``.
    eps : float, default=1e-3
        Length of the generated grid: ``C_min / C_max = eps``.
    fit_intercept : bool, default=True
        Whether to fit the unpenalised intercept ``b``.
    cv : int, cross-validation generator or iterable, default=None
        Folds, as in scikit-learn (None: stratified 5-fold).
    scoring : str or callable, default=None
        Scorer of the held-out parts (None: accuracy); it receives the
        unweighted held-out samples.
    tol : float, default=1e-4
        Relative duality-gap tolerance of every solve (see
        :class:`BlitzLogisticL1`).
    max_iter : int, default=1000
        Maximum number of BlitzWS outer iterations per solve.
    max_epochs : int, default=50000
        Maximum number of coordinate-descent passes per subproblem.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into the sample weights (computed
        once on all the data).
    n_jobs : int, default=None
        Folds computed in parallel (threads).
    verbose : int, default=0
        1 draws one progress bar over the folds' solves on stdout, then the
        refit prints its lines as a single fit with ``verbose=1`` does; 2
        also prints every solve's lines.  The lines also go to the
        ``"blitzlearn"`` logger.
    refit : bool, default=True
        Refit on all the data at the best ``C``; otherwise average the folds'
        best coefficients (and their Cs), as scikit-learn does.
    device : {"auto", "cpu", "cuda"} or str, default="auto"
        Where every path and the refit run, as for :class:`BlitzLogisticL1`
        (the folds are cut on the host and copied to the device).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    Cs_ : ndarray of shape (n_Cs,)
        The Cs, increasing.
    C_ : ndarray of shape (1,) or (n_classes,)
        The chosen ``C``, repeated for each binary problem.
    coefs_paths_ : dict of ndarray of shape (n_folds, n_Cs, n_dof)
        Per class (``classes_[1]`` only for two classes), the weights of each
        fold and ``C``, the intercept last when ``fit_intercept``.
    scores_ : dict of ndarray of shape (n_folds, n_Cs)
        The held-out scores, the same array for every class.
    dual_gaps_paths_ : dict of ndarray of shape (n_folds, n_Cs)
        The certified duality gap of every fold's solve, per class.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients of the final model.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Its intercepts.
    dual_gap_ : ndarray of shape (1,) or (n_classes,)
        Duality gaps of the refit (NaN with ``refit=False``).
    n_iter_ : ndarray of shape (1, n_folds, n_Cs) or (n_classes, n_folds, n_Cs)
        Outer iterations of every fold's solves.
    device_ : str
        Device the fit ran on.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.linear_model.LogisticRegressionCV : The same search with other
        solvers.
    blitz_logistic_l1_path : The paths computed on each fold.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from blitzlearn.linear_model import BlitzLogisticL1CV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = BlitzLogisticL1CV(Cs=8, cv=4).fit(X, y)
    >>> clf.scores_[1].shape, clf.coefs_paths_[1].shape
    ((4, 8), (4, 8, 31))
    >>> bool(clf.C_[0] in clf.Cs_), round(clf.score(X, y), 3)
    (True, 0.991)
    """

    _parameter_constraints: dict = {
        "Cs": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "eps": [Interval(Real, 0, 1, closed="right")],
        "fit_intercept": ["boolean"],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "refit": ["boolean"],
        "device": [str],
    }

    def __init__(self, *, Cs=10, eps=1e-3, fit_intercept=True, cv=None,
                 scoring=None, tol=1e-4, max_iter=1000, max_epochs=50000,
                 class_weight=None, n_jobs=None, verbose=0, refit=True,
                 device="auto"):
        self.Cs = Cs
        self.eps = eps
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.scoring = scoring
        self.tol = tol
        self.max_iter = max_iter
        self.max_epochs = max_epochs
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **params):
        """Fit the paths on every fold, choose ``C_`` and refit.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data: dense (any memory order), or sparse CSC, CSR or COO.
        y : array-like of shape (n_samples,)
            Class labels (at least two distinct values).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights of the training losses.
        **params : dict
            Passed to the cross-validation splitter (e.g. ``groups``).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        name = type(self).__name__
        # the folds are cut on the host and placed on the fit's device
        device, backend, _ = resolve_backend(self.device, X, name)
        data, classes, y_idx, sw = self._validate_classification(
            host_copy(X), y, sample_weight)
        X = data.X
        targets = [1] if classes.size == 2 else list(range(classes.size))
        all_labels = [np.where(y_idx == t, 1.0, -1.0) for t in targets]
        for t, labels in zip(targets, all_labels, strict=True):
            _check_both_classes(labels, sw, f"{name}, class {plain(classes[t])}")
        start = None
        if np.ndim(self.Cs) == 0:
            start = min(c_min(X, labels, sw, self.fit_intercept)
                        for labels in all_labels)
        grid = _c_grid(self.Cs, start, self.eps)
        folds = list(check_cv(self.cv, y_idx, classifier=True).split(
            X, y_idx, **params))
        scorer = check_scoring(self, scoring=self.scoring)
        with progress(len(folds) * len(targets) * grid.size, name,
                      enabled=self.verbose) as bar:
            results = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(self._fold)(X, y_idx, classes, all_labels, sw, grid,
                                    train, test, scorer, bar, backend)
                for train, test in folds)
        coefs = np.stack([r[0] for r in results], axis=1)  # class, fold, C, dof
        gaps = np.stack([r[1] for r in results], axis=1)
        self.n_iter_ = np.stack([r[2] for r in results], axis=1)
        scores = np.array([r[3] for r in results])  # fold, C
        keys = classes[targets]
        self.Cs_ = grid
        self.coefs_paths_ = dict(zip(keys, coefs, strict=True))
        self.dual_gaps_paths_ = dict(zip(keys, gaps, strict=True))
        self.scores_ = {key: scores for key in keys}
        n_features = X.shape[1]
        if self.refit:
            best = int(np.argmax(scores.sum(axis=0)))
            C = float(grid[best])
            model = BlitzLogisticL1(
                C=C, fit_intercept=self.fit_intercept, tol=self.tol,
                max_iter=self.max_iter, max_epochs=self.max_epochs,
                verbose=self.verbose, device=device).fit(
                    X, classes[y_idx], sample_weight=sw)
            coef, intercept = model.coef_, model.intercept_
            self.dual_gap_ = model.dual_gap_
        else:
            best = np.argmax(scores, axis=1)  # per fold, as scikit-learn
            C = float(grid[best].mean())
            mean = np.mean([coefs[:, f, b] for f, b in enumerate(best)], axis=0)
            coef = mean[:, :n_features]  # float64, as BlitzLogisticL1's
            intercept = (mean[:, n_features] if self.fit_intercept
                         else np.zeros(len(targets)))
            self.dual_gap_ = np.full(len(targets), np.nan)
        self.classes_ = classes
        self.C_ = np.full(len(targets), C)
        self.coef_ = np.asarray(coef)
        self.intercept_ = np.asarray(intercept)
        self.device_ = device
        return self

    def _fold(self, X, y_idx, classes, all_labels, sw, grid, train, test, scorer,
              bar, backend):
        """Paths of every binary problem on one fold, and their held-out scores."""
        x_train, sw_train = X[train], sw[train]
        x_train = place(kernel_input(x_train if sp.issparse(x_train)
                                     else np.asfortranarray(x_train), "columns",
                                     type(self).__name__), "columns", backend)
        stats = shared_column_stats(x_train, np.ones(train.size),
                                    self.fit_intercept)
        out = []
        positive = classes[1:] if len(all_labels) == 1 else classes
        for t, labels in enumerate(all_labels):
            _check_both_classes(labels[train], sw_train,
                                f"{type(self).__name__}, a training fold")
            out.append(_path(
                x_train, labels[train], sw_train, grid,
                fit_intercept=self.fit_intercept, tol=self.tol,
                max_iter=self.max_iter, max_epochs=self.max_epochs,
                verbose=inner_verbose(self.verbose), stats=stats, start=None,
                bar=bar,
                name=f"{type(self).__name__} (class {plain(positive[t])})"))
        coefs = np.stack([o[0] for o in out])  # class, C, dof
        scores = np.empty(grid.size)
        n_features = X.shape[1]
        x_test, y_test = X[test], classes[y_idx[test]]
        for k in range(grid.size):
            model = BlitzLogisticL1()
            model.classes_ = classes
            model.n_features_in_ = n_features
            model.coef_ = coefs[:, k, :n_features]
            model.intercept_ = (coefs[:, k, n_features] if self.fit_intercept
                                else np.zeros(len(all_labels)))
            scores[k] = scorer(model, x_test, y_test)
        return (coefs, np.stack([o[1] for o in out]),
                np.stack([o[2] for o in out]), scores)
