# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""BlitzLogisticL1: L1 / elastic-net logistic regression solved by BlitzWS."""


import numpy as np
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted

from .._backend import array_module, expit
from .._problems._build import build_problem, shared_column_stats
from .._problems._l1 import check_penalty
from .._problems._logistic import LogisticProblem
from .._problems._multinomial import MultinomialProblem
from ._base import CLASSIFIER_CONSTRAINTS, PENALTY_CONSTRAINTS
from ._classifier import BlitzClassifierBase

# the model of more than two classes
MULTICLASS_CONSTRAINTS = {
    "multi_class": [StrOptions({"multinomial", "ovr"})],
    "grouped": ["boolean"],
}


def check_multiclass(name, multi_class, grouped, n_classes, *, positive=False,
                     device="cpu"):
    """Whether ``n_classes`` are fitted by the multinomial model; raises where
    the parameters do not fit it (or ``grouped`` does not fit one-vs-rest)."""
    if n_classes <= 2:
        return False
    if multi_class == "ovr":
        if grouped:
            raise ValueError(
                f"{name}: grouped=True penalises the classes of a feature "
                "together, which needs the multinomial model; it does not apply "
                "to multi_class='ovr' with more than two classes."
            )
        return False
    if positive:
        raise ValueError(
            f"{name}: the multinomial model (multi_class='multinomial', the "
            f"default for {n_classes} classes) does not support positive=True "
            "yet; pass multi_class='ovr' for one-vs-rest."
        )
    if device != "cpu":
        raise ValueError(
            f"{name}: the multinomial model (multi_class='multinomial', the "
            f"default for {n_classes} classes) has no GPU solver yet; pass "
            f"device='cpu', or multi_class='ovr' to fit on {device}."
        )
    return True


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
    penalty).

    For more than two classes (``K`` of them) the default is the multinomial
    (softmax) model, scikit-learn's for ``K >= 3``: over ``W`` of shape
    ``(K, p)`` and the unpenalised ``b`` (``K`` values), with ``z_i = W x_i +
    b``,

    .. math::

        \\min_{W, b} \\; C \\sum_{i=1}^{n} s_i
        \\Bigl[\\log \\sum_{k=1}^{K} e^{z_{ik}} - z_{i, y_i}\\Bigr]
        + \\rho \\sum_{j=1}^{p} v_j \\|W_{:, j}\\|_1
        + \\frac{1 - \\rho}{2} \\|W\\|_F^2,

    or, with ``grouped=True``, the group penalty ``sum_j v_j ||W_{:, j}||_2``
    in the L1 term (a feature is used by every class or by none).  ``multi_class="ovr"``
    fits one binary problem per class against the rest instead.  Every fit
    ends with a duality-gap certificate ``dual_gap_``.

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
        intercept), for each problem (the multinomial one, or each binary
        one).
    max_iter : int, default=1000
        Maximum number of BlitzWS outer iterations per problem.
    max_epochs : int, default=50000
        Maximum number of coordinate-descent passes per working-set
        subproblem (summed over its Newton iterations).
    multi_class : {"multinomial", "ovr"}, default="multinomial"
        The model for more than two classes: ``"multinomial"`` minimises
        the softmax loss jointly over the classes (scikit-learn's
        ``LogisticRegression`` does so for three classes or more, and its
        ``predict_proba`` is the model's softmax); ``"ovr"`` fits one
        binary problem per class against the rest (each certified on its
        own; the probabilities are the normalised binary ones).  Two classes
        give the binary model either way.  The multinomial model supports
        ``l1_ratio`` and ``penalty_weights``, not ``positive``, on the CPU
        (elsewhere pass ``"ovr"``).  Earlier versions always fitted
        one-vs-rest (see the changelog).
    grouped : bool, default=False
        With the multinomial model, penalise ``sum_j ||W_{:, j}||_2`` (all
        the classes' coefficients of a feature together: each feature is
        used by every class or by none; glmnet's
        ``type.multinomial="grouped"``) instead of ``sum_j ||W_{:, j}||_1``.
        Meaningless for one-vs-rest with more than two classes (an error);
        with two classes it is the plain L1 penalty.
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
        Intercepts (zeros when ``fit_intercept=False``), float64.  Those of
        the multinomial model are defined up to a common constant (adding one
        to every class changes no probability): they are returned centred,
        summing to 0.
    dual_gap_ : ndarray of shape (1,) or (n_classes,)
        Duality gap of the problem (one value: the binary or the multinomial
        problem) or of each one-vs-rest problem, in objective units: the
        objective is at most ``dual_gap_`` above its minimum.
    n_iter_ : ndarray of shape (1,) or (n_classes,)
        Outer iterations run for each problem (one value for the binary and
        the multinomial model, as scikit-learn's).
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
    Internally each problem is solved in units of ``lambda = 1 / C`` on its
    dual, with the features as BlitzWS components (all the classes of a
    feature together for the multinomial model); the working-set subproblem
    is solved by proximal Newton with (block) coordinate descent on the
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
                                    "positive": ["boolean"],
                                    **MULTICLASS_CONSTRAINTS}

    def __init__(self, C=1.0, *, l1_ratio=1.0, penalty_weights=None,
                 positive=False, fit_intercept=True, tol=1e-4, max_iter=1000,
                 max_epochs=50000, multi_class="multinomial", grouped=False,
                 class_weight=None, warm_start=False, device="auto", verbose=0):
        self.C = C
        self.l1_ratio = l1_ratio
        self.penalty_weights = penalty_weights
        self.positive = positive
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.max_epochs = max_epochs
        self.multi_class = multi_class
        self.grouped = grouped
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

    def _joint_model(self, n_classes, device):
        return check_multiclass(type(self).__name__, self.multi_class,
                                self.grouped, n_classes,
                                positive=self.positive, device=device)

    def _joint_problem(self, X, y_idx, sw, n_classes, start, context):
        stats, l1_ratio, weights = context
        coef0, intercept0 = (None, None) if start is None else start
        return build_problem(MultinomialProblem, X, y_idx, sw, 1.0 / self.C,
                             n_classes=n_classes,
                             fit_intercept=self.fit_intercept,
                             group=self.grouped, coef0=coef0,
                             intercept0=intercept0, stats=stats,
                             l1_ratio=l1_ratio, weights=weights)

    def predict_proba(self, X):
        """Probability estimates of each class.

        For two classes the logistic function of the decision function; for
        more, the softmax of the decision function (the multinomial model) or,
        with ``multi_class="ovr"``, the one-vs-rest probabilities normalised
        to sum to one.

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
        xp = array_module(scores)
        if scores.ndim == 2 and self.multi_class == "multinomial":
            e = xp.exp(scores - scores.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        p = expit(scores)  # on the device for CuPy input
        if scores.ndim == 1:
            return xp.stack([1.0 - p, p], axis=1)
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
