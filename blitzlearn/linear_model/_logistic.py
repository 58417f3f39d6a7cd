# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""BlitzLogisticL1: L1 / elastic-net logistic regression solved by BlitzWS."""


import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._backend import array_module, expit
from .._problems._build import build_problem, shared_column_stats
from .._problems._l1 import check_penalty
from .._problems._logistic import LogisticProblem
from ._base import CLASSIFIER_CONSTRAINTS, PENALTY_CONSTRAINTS
from ._classifier import BlitzClassifierBase


# the penalty's parameters of the logistic models (checked further by
# blitzlearn._problems._l1.check_penalty once n_features is known)
class BlitzLogisticL1(BlitzClassifierBase):
    """L1 / elastic-net logistic regression, solved by the BlitzWS working-set method.

    The objective is scikit-learn's ``LogisticRegression(C, l1_ratio=rho,
    solver="saga")`` (unpenalised intercept) with per-feature weights ``v_j``
    on the L1 term: for labels ``y_i`` in {-1, +1},

    .. math::

        \\min_{w, b} \\; C \\sum_{i=1}^{n} s_i
        \\log\\bigl(1 + e^{-y_i (x_i^\\top w + b)}\\bigr)
        + \\rho \\sum_{j=1}^{p} v_j |w_j| + \\frac{1 - \\rho}{2} \\|w\\|_2^2,

    where ``s`` are the sample weights times the class weights and ``v`` the
    ``penalty_weights`` (all ones by default: the plain L1 or elastic-net
    penalty).  More than two classes are fitted one-vs-rest, one such problem
    per class.  Every fit ends with a duality-gap certificate ``dual_gap_``.

    Parameters
    ----------
    C : float, default=1.0
        Inverse of the regularisation strength, positive.
    l1_ratio : float in [0, 1], default=1.0
        The elastic-net mixing ``rho``: 1 is the L1 penalty, 0 the squared L2
        (ridge) penalty, as scikit-learn's ``LogisticRegression(l1_ratio=...)``.
    penalty_weights : array-like of shape (n_features,), default=None
        Non-negative, finite weights ``v_j`` multiplying the L1 term only
        (celer's ``weights``, skglm's ``WeightedL1``); ``v_j = 0`` leaves
        feature ``j`` without L1 penalty (it is never screened).  None: all
        ones.  With ``l1_ratio=1`` at least one weight must be positive.
    positive : bool, default=False
        Constrain the coefficients to be non-negative (``w >= 0``; the
        intercept stays free).  With ``l1_ratio=1`` every penalty weight must
        then be positive.
    fit_intercept : bool, default=True
        Whether to fit the unpenalised intercept ``b``.
    tol : float, default=1e-4
        Stop when the duality gap is at most ``tol`` times the objective of the
        null model (``w = 0`` with its optimal intercept; ``b = 0`` without
        intercept), for each binary problem.
    max_iter : int, default=1000
        Maximum number of BlitzWS outer iterations per binary problem.
    max_epochs : int, default=50000
        Maximum number of coordinate-descent passes per working-set
        subproblem (summed over its Newton iterations).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into the sample weights; "balanced"
        uses ``n_samples / (n_classes * np.bincount(y))``.
    warm_start : bool, default=False
        Start from the previous ``coef_`` and ``intercept_`` when refitting
        with the same classes and features.
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
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Coefficients; one row for two classes (of ``classes_[1]``).  Float64
        whatever X's dtype (as liblinear's): ``dual_gap_`` certifies them.
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts (zeros when ``fit_intercept=False``), float64.
    dual_gap_ : ndarray of shape (1,) or (n_classes,)
        Duality gap of each binary problem on the full problem, in objective
        units: the objective is at most ``dual_gap_`` above its minimum.
    n_iter_ : ndarray of shape (1,) or (n_classes,)
        Outer iterations run for each binary problem.
    device_ : str
        Device the fit ran on.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : With the same ``l1_ratio``,
        ``solver="saga"`` and no ``penalty_weights``, the same objective
        solved by a stochastic method.

    Notes
    -----
    Internally each binary problem is solved in units of ``lambda = 1 / C`` on
    its dual, with the features as BlitzWS components; the working-set
    subproblem is solved by proximal Newton with coordinate descent on the
    quadratic model.  The solution depends only on the data and parameters:
    no decision depends on timing.

    Note that scikit-learn's ``liblinear`` solver penalises the intercept, so
    its objective differs from this one when ``fit_intercept=True``.

    References
    ----------
    T. B. Johnson and C. Guestrin. "A Fast, Principled Working Set Algorithm for
    Exploiting Piecewise Linear Structure in Convex Problems", ICML 2018.

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import StandardScaler
    >>> from blitzlearn import BlitzLogisticL1
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = StandardScaler().fit_transform(X)
    >>> clf = BlitzLogisticL1(C=0.1).fit(X, y)
    >>> int((clf.coef_ != 0).sum())
    8
    >>> round(clf.score(X, y), 3)
    0.974
    """

    _parameter_constraints: dict = {**CLASSIFIER_CONSTRAINTS,
                                    **PENALTY_CONSTRAINTS,
                                    "positive": ["boolean"]}

    def __init__(self, C=1.0, *, l1_ratio=1.0, penalty_weights=None,
                 positive=False, fit_intercept=True, tol=1e-4, max_iter=1000,
                 max_epochs=50000, class_weight=None, warm_start=False,
                 device="auto", verbose=0):
        self.C = C
        self.l1_ratio = l1_ratio
        self.penalty_weights = penalty_weights
        self.positive = positive
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.max_epochs = max_epochs
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.device = device
        self.verbose = verbose

    def _prepare(self, X):
        # the penalty is checked once; the centred column norms do not depend
        # on the labels
        l1_ratio, weights = check_penalty(self.l1_ratio, self.penalty_weights,
                                          X.shape[1])
        stats = shared_column_stats(X, np.ones(X.shape[0]), self.fit_intercept)
        return stats, l1_ratio, weights

    def _problem(self, X, labels, sw, start, context):
        stats, l1_ratio, weights = context
        positive = self.positive
        w0 = np.zeros(X.shape[1]) if start is None else start[0]
        if positive:  # a warm start from an unconstrained fit
            w0 = np.maximum(w0, 0.0)
        c0 = None if start is None or not self.fit_intercept else start[1]
        return build_problem(LogisticProblem, X, labels, sw, 1.0 / self.C,
                             fit_intercept=self.fit_intercept, w0=w0, c0=c0,
                             stats=stats, l1_ratio=l1_ratio, weights=weights,
                             positive=positive)

    def predict_proba(self, X):
        """Probability estimates of each class.

        For two classes the logistic function of the decision function; for
        more, the one-vs-rest probabilities normalised to sum to one.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probability of each class, in the order of ``classes_``.
        """
        check_is_fitted(self)
        scores = self.decision_function(X)
        p = expit(scores)  # on the device for CuPy input
        if scores.ndim == 1:
            return array_module(p).stack([1.0 - p, p], axis=1)
        return p / p.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probability of each class, in the order of ``classes_``.
        """
        proba = self.predict_proba(X)
        return array_module(proba).log(proba)
