# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Cross-validation of the L1 / elastic-net logistic model over BlitzWS paths."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import _fit_context
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils._param_validation import Interval, StrOptions

from .._backend import host_copy, place, resolve_backend
from .._engine import plain
from .._problems._build import shared_column_stats
from .._problems._l1 import check_penalty
from .._progress import inner_verbose, progress
from .._validation import kernel_input
from ._logistic import MULTICLASS_CONSTRAINTS, BlitzLogisticL1, check_multiclass
from ._logistic_path import (
    _c_grid,
    _check_both_classes,
    _check_every_class,
    _multinomial_path,
    _path,
    c_min,
    multinomial_c_min,
)


def _check_l1_ratios(l1_ratios):
    """The ``l1_ratios`` as a float64 array (``[1.0]`` for None)."""
    if l1_ratios is None:
        return np.array([1.0])
    ratios = np.asarray(l1_ratios, dtype=np.float64).reshape(-1)
    if ratios.size == 0 or not np.all((ratios >= 0.0) & (ratios <= 1.0)):
        raise ValueError("l1_ratios must be a non-empty array-like of numbers in "
                         f"[0, 1]; got l1_ratios={l1_ratios!r}.")
    return ratios


class BlitzLogisticL1CV(BlitzLogisticL1):
    """L1 / elastic-net logistic regression, ``C`` and ``l1_ratio`` cross-validated.

    For each fold, the paths of :func:`blitz_logistic_l1_path` (one binary
    problem, or one per class against the rest) are computed over a common
    grid of Cs, for each of the ``l1_ratios``, and scored on the held-out
    part; the ``(C, l1_ratio)`` with the best total score over the folds is
    refitted on all the data, minimising

    .. math::

        C_{\\ast} \\sum_{i=1}^{n} s_i
        \\log\\bigl(1 + e^{-y_i (x_i^\\top w + b)}\\bigr)
        + \\rho_{\\ast} \\sum_{j=1}^{p} v_j |w_j|
        + \\frac{1 - \\rho_{\\ast}}{2} \\|w\\|_2^2

    (the objective of :class:`BlitzLogisticL1`; ``rho = 1`` without
    ``l1_ratios``).  With more than two classes the model is by default the
    multinomial one of :class:`BlitzLogisticL1` (one path over all the
    classes per fold and ``l1_ratio``); with ``multi_class="ovr"`` one
    ``(C, l1_ratio)`` is chosen for all the one-vs-rest problems, scored on
    the multiclass predictions.  The parameters and fitted attributes follow
    :class:`sklearn.linear_model.LogisticRegressionCV` (its legacy attributes,
    with ``l1_ratios`` its elastic-net ones).

    Parameters
    ----------
    Cs : int or array-like, default=10
        The Cs, or their number: log-spaced from the smallest ``C`` giving a
        nonzero solution on all the data (the smallest over the classes, at
        the largest of the ``l1_ratios``) up to that value over ``eps``.
        With every ``l1_ratio`` 0 no such ``C`` exists: pass the Cs.
    l1_ratios : array-like of shape (n_l1_ratios,), default=None
        The elastic-net mixings ``rho`` in [0, 1] searched (1: L1, 0: ridge);
        None fits the L1 penalty only, and the fitted arrays have no
        ``l1_ratio`` axis.
    penalty_weights : array-like of shape (n_features,), default=None
        Non-negative weights ``v_j`` of the L1 term (see
        :class:`BlitzLogisticL1`); None: all ones.
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
    multi_class : {"multinomial", "ovr"}, default="multinomial"
        The model for more than two classes (see :class:`BlitzLogisticL1`).
    grouped : bool, default=False
        The multinomial model's group penalty (see :class:`BlitzLogisticL1`).
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
        Refit on all the data at the best ``(C, l1_ratio)``; otherwise average
        the folds' best coefficients (and their Cs and l1_ratios), as
        scikit-learn does.
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
    l1_ratios_ : ndarray of shape (n_l1_ratios,)
        The ``l1_ratios`` searched (``[1.0]`` without ``l1_ratios``).
    l1_ratio_ : ndarray of shape (1,) or (n_classes,)
        The chosen ``l1_ratio``, repeated for each binary problem.
    coefs_paths_ : dict of ndarray of shape (n_folds, n_Cs, n_dof) or \
            (n_folds, n_Cs, n_l1_ratios, n_dof)
        Per class (``classes_[1]`` only for two classes), the weights of each
        fold and ``C`` (and ``l1_ratio`` with ``l1_ratios``), the intercept
        last when ``fit_intercept``; for the multinomial model, that class's
        row of the joint solutions.
    scores_ : dict of ndarray of shape (n_folds, n_Cs) or \
            (n_folds, n_Cs, n_l1_ratios)
        The held-out scores, the same array for every class.
    dual_gaps_paths_ : dict of ndarray of shape (n_folds, n_Cs) or \
            (n_folds, n_Cs, n_l1_ratios)
        The certified duality gap of every fold's solve, per class (the
        joint problem's, the same for every class, for the multinomial
        model).
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients of the final model.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Its intercepts.
    dual_gap_ : ndarray of shape (1,) or (n_classes,)
        Duality gaps of the refit (NaN with ``refit=False``).
    n_iter_ : ndarray of shape (1, n_folds, n_Cs) or (n_classes, n_folds, \
            n_Cs), with a last axis of size n_l1_ratios with ``l1_ratios``
        Outer iterations of every fold's solves (a first axis of size 1 for
        the binary and the multinomial model, as scikit-learn's).
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
    >>> enet = BlitzLogisticL1CV(Cs=4, cv=3, l1_ratios=[0.5, 1.0]).fit(X, y)
    >>> enet.scores_[1].shape, enet.coefs_paths_[1].shape, enet.n_iter_.shape
    ((3, 4, 2), (3, 4, 2, 31), (1, 3, 4, 2))
    """

    _parameter_constraints: dict = {
        "Cs": [Interval(Integral, 1, None, closed="left"), "array-like"],
        "l1_ratios": ["array-like", None],
        "penalty_weights": ["array-like", None],
        "eps": [Interval(Real, 0, 1, closed="right")],
        "fit_intercept": ["boolean"],
        "cv": ["cv_object"],
        "scoring": [str, callable, None],
        "tol": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        **MULTICLASS_CONSTRAINTS,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
        "refit": ["boolean"],
        "device": [str],
    }

    def __init__(self, *, Cs=10, l1_ratios=None, penalty_weights=None, eps=1e-3,
                 fit_intercept=True, cv=None, scoring=None, tol=1e-4,
                 max_iter=1000, max_epochs=50000, multi_class="multinomial",
                 grouped=False, class_weight=None, n_jobs=None, verbose=0,
                 refit=True, device="auto"):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.penalty_weights = penalty_weights
        self.eps = eps
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.scoring = scoring
        self.tol = tol
        self.max_iter = max_iter
        self.max_epochs = max_epochs
        self.multi_class = multi_class
        self.grouped = grouped
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit
        self.device = device

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, **params):
        """Fit the paths on every fold, choose ``C_`` (and ``l1_ratio_``) and refit.

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
        ratios = _check_l1_ratios(self.l1_ratios)
        weights = None
        for rho in ratios:  # the weights, checked against every l1_ratio
            _, weights = check_penalty(rho, self.penalty_weights, X.shape[1])
        joint = check_multiclass(
            name, self.multi_class, self.grouped, classes.size, device=device)
        targets = [1] if classes.size == 2 else list(range(classes.size))
        all_labels = [np.where(y_idx == t, 1.0, -1.0) for t in targets]
        if joint:
            _check_every_class(y_idx, sw, classes.size, name)
        else:
            for t, labels in zip(targets, all_labels, strict=True):
                _check_both_classes(labels, sw,
                                    f"{name}, class {plain(classes[t])}")
        start = None
        if np.ndim(self.Cs) == 0 and joint:
            start = multinomial_c_min(X, y_idx, sw, classes.size,
                                      self.fit_intercept, grouped=self.grouped,
                                      l1_ratio=ratios.max(), weights=weights)
        elif np.ndim(self.Cs) == 0:
            start = min(c_min(X, labels, sw, self.fit_intercept,
                              l1_ratio=ratios.max(), weights=weights)
                        for labels in all_labels)
        grid = _c_grid(self.Cs, start, self.eps, ratios.max())
        folds = list(check_cv(self.cv, y_idx, classifier=True).split(
            X, y_idx, **params))
        scorer = check_scoring(self, scoring=self.scoring)
        n_paths = 1 if joint else len(targets)
        with progress(len(folds) * n_paths * grid.size * ratios.size, name,
                      enabled=self.verbose) as bar:
            results = Parallel(n_jobs=self.n_jobs, prefer="threads")(
                delayed(self._fold)(X, y_idx, classes,
                                    None if joint else all_labels, sw, grid,
                                    ratios, weights, train, test, scorer, bar,
                                    backend)
                for train, test in folds)
        # per fold: class, l1_ratio, C (, dof); to class, fold, C, l1_ratio (, dof)
        coefs = np.moveaxis(np.stack([r[0] for r in results], axis=1), 2, 3)
        gaps = np.moveaxis(np.stack([r[1] for r in results], axis=1), 2, 3)
        n_iter = np.moveaxis(np.stack([r[2] for r in results], axis=1), 2, 3)
        scores = np.moveaxis(np.array([r[3] for r in results]), 1, 2)  # fold, C, l1
        if joint:  # one problem: one row of outer iterations, as scikit-learn's
            n_iter = n_iter[:1]
        n_features = X.shape[1]
        if self.refit:
            # the first best in (C, l1_ratio) order, as scikit-learn
            best_c, best_l1 = np.unravel_index(
                int(np.argmax(scores.sum(axis=0))), scores.shape[1:])
            C, rho = float(grid[best_c]), float(ratios[best_l1])
            model = BlitzLogisticL1(
                C=C, l1_ratio=rho, penalty_weights=weights,
                fit_intercept=self.fit_intercept, tol=self.tol,
                max_iter=self.max_iter, max_epochs=self.max_epochs,
                multi_class=self.multi_class, grouped=self.grouped,
                verbose=self.verbose, device=device).fit(
                    X, classes[y_idx], sample_weight=sw)
            coef, intercept = model.coef_, model.intercept_
            self.dual_gap_ = model.dual_gap_
        else:
            best = np.argmax(scores.reshape(len(folds), -1), axis=1)  # per fold
            best_c, best_l1 = np.unravel_index(best, scores.shape[1:])
            C, rho = float(grid[best_c].mean()), float(ratios[best_l1].mean())
            mean = np.mean([coefs[:, f, b, k]
                            for f, (b, k) in enumerate(zip(best_c, best_l1,
                                                           strict=True))], axis=0)
            coef = mean[:, :n_features]  # float64, as BlitzLogisticL1's
            intercept = (mean[:, n_features] if self.fit_intercept
                         else np.zeros(len(targets)))
            self.dual_gap_ = np.full(1 if joint else len(targets), np.nan)
        if self.l1_ratios is None:  # no l1_ratio axis, as scikit-learn
            coefs, gaps, n_iter, scores = (
                coefs[:, :, :, 0], gaps[..., 0], n_iter[..., 0], scores[..., 0])
        keys = classes[targets]
        self.Cs_ = grid
        self.l1_ratios_ = ratios
        self.coefs_paths_ = dict(zip(keys, coefs, strict=True))
        self.dual_gaps_paths_ = dict(zip(keys, gaps, strict=True))
        self.scores_ = {key: scores for key in keys}
        self.n_iter_ = n_iter
        self.classes_ = classes
        self.C_ = np.full(len(targets), C)
        self.l1_ratio_ = np.full(len(targets), rho)
        self.coef_ = np.asarray(coef)
        self.intercept_ = np.asarray(intercept)
        self.device_ = device
        return self

    def _fold(self, X, y_idx, classes, all_labels, sw, grid, ratios, weights,
              train, test, scorer, bar, backend):
        """Paths of every problem and l1_ratio on one fold, and scores.

        The arrays are indexed by class, l1_ratio and C (the scores by the
        last two).  ``all_labels`` None: the multinomial model, whose one
        path per l1_ratio gives every class's row.
        """
        name = type(self).__name__
        x_train, sw_train = X[train], sw[train]
        x_train = place(kernel_input(x_train if sp.issparse(x_train)
                                     else np.asfortranarray(x_train), "columns",
                                     name), "columns", backend)
        stats = shared_column_stats(x_train, np.ones(train.size),
                                    self.fit_intercept)
        if all_labels is None:
            _check_every_class(y_idx[train], sw_train, classes.size,
                               f"{name}, a training fold")
            joint = [_multinomial_path(
                x_train, y_idx[train], sw_train, grid, classes.size,
                fit_intercept=self.fit_intercept, tol=self.tol,
                max_iter=self.max_iter, max_epochs=self.max_epochs,
                verbose=inner_verbose(self.verbose), stats=stats, start=None,
                bar=bar, name=f"{name} (multinomial, l1_ratio={rho:g})",
                grouped=self.grouped, l1_ratio=float(rho), weights=weights)
                for rho in ratios]
            # per class: (coefs (C, dof), gaps (C,), n_iter (C,)) of each ratio
            out = [[(o[0][:, k], o[1], o[2]) for o in joint]
                   for k in range(classes.size)]
            return self._scores(X, y_idx, classes, out, grid, ratios, test,
                                scorer)
        positive = classes[1:] if len(all_labels) == 1 else classes
        for labels in all_labels:
            _check_both_classes(labels[train], sw_train, f"{name}, a training fold")
        out = [[_path(x_train, labels[train], sw_train, grid,
                      fit_intercept=self.fit_intercept, tol=self.tol,
                      max_iter=self.max_iter, max_epochs=self.max_epochs,
                      verbose=inner_verbose(self.verbose), stats=stats,
                      start=None, bar=bar, l1_ratio=float(rho), weights=weights,
                      name=f"{name} (class {plain(positive[t])}, "
                           f"l1_ratio={rho:g})")
                for rho in ratios]
               for t, labels in enumerate(all_labels)]
        return self._scores(X, y_idx, classes, out, grid, ratios, test, scorer)

    def _scores(self, X, y_idx, classes, out, grid, ratios, test, scorer):
        """The fold's arrays (class, l1_ratio, C) from its paths, and its scores."""
        coefs = np.array([[o[0] for o in row] for row in out])  # class, l1, C, dof
        n_rows = len(out)
        n_features = X.shape[1]
        x_test, y_test = X[test], classes[y_idx[test]]
        scores = np.empty((ratios.size, grid.size))
        for k in range(ratios.size):
            for c in range(grid.size):
                model = BlitzLogisticL1(multi_class=self.multi_class)
                model.classes_ = classes
                model.n_features_in_ = n_features
                model.coef_ = coefs[:, k, c, :n_features]
                model.intercept_ = (coefs[:, k, c, n_features]
                                    if self.fit_intercept
                                    else np.zeros(n_rows))
                scores[k, c] = scorer(model, x_test, y_test)
        return (coefs, np.array([[o[1] for o in row] for row in out]),
                np.array([[o[2] for o in row] for row in out]), scores)
