# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""What the linear classifiers share: label handling, one-vs-rest and joint fitting."""

import numpy as np
from sklearn.base import BaseEstimator, _fit_context
from sklearn.linear_model._base import LinearClassifierMixin, SparseCoefMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, validate_data

from .._backend import device_decision_function, fit_data, host_copy
from .._device import is_cupy_object, single_threaded_blas
from .._engine import plain, solve
from .._validation import check_sparse_format, kernel_input, single_target


class BlitzClassifierBase(LinearClassifierMixin, SparseCoefMixin, BaseEstimator):
    """Validation and fitting loop of the BlitzWS linear classifiers.

    Two classes give one binary problem (``classes_[1]`` is the positive
    class); more give one problem per class against the rest, or one problem
    over all the classes when ``_joint_model`` says so (the multinomial
    model, built by ``_joint_problem``).  A subclass sets ``_layout``
    (``"columns"`` for CSC / Fortran input, ``"rows"`` for CSR / C-ordered
    input) and implements ``_problem``.
    """

    _layout = "columns"

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the model by BlitzWS.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data: dense (any memory order), or sparse CSC, CSR or COO.
        y : array-like of shape (n_samples,)
            Class labels (at least two distinct values).
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights ``s_i``: they multiply the loss terms
            of their samples as they are (not rescaled).

        Returns
        -------
        self : object
            Fitted estimator.
        """
        name = type(self).__name__
        self._check_combination()  # before any work on the data
        data, classes, y_idx, sw = self._validate_classification(
            X, y, sample_weight)
        joint = self._joint_model(classes.size, data.device)
        if joint:
            totals = np.bincount(y_idx, weights=sw, minlength=classes.size)
            if not (totals > 0).all():
                raise ValueError(
                    f"{name}: class {plain(classes[np.argmin(totals)])} has zero "
                    "total sample weight; every class needs a positive total "
                    "weight."
                )
        X = data.design()
        warm = self._warm_start_rows(classes, X.shape[1])
        context = self._prepare(X)
        if joint:
            coef, intercept, gaps, n_iter, extras = self._fit_joint(
                X, y_idx, sw, classes.size, warm, context, name)
        else:
            coef, intercept, gaps, n_iter, extras = self._fit_one_vs_rest(
                X, classes, y_idx, sw, warm, context, name)
        self.classes_ = classes
        # float64 whatever X's dtype, as LinearSVC and liblinear's L1-logistic:
        # dual_gap_ certifies these very weights (rounding them to float32
        # could move the objective by more than the gap)
        self.coef_ = coef
        self.intercept_ = intercept
        self.dual_gap_ = gaps
        self.n_iter_ = n_iter
        self.device_ = data.device
        for key, values in extras.items():
            setattr(self, key, np.asarray(values))
        return self

    def _fit_one_vs_rest(self, X, classes, y_idx, sw, warm, context, name):
        """One binary problem (two classes) or one per class against the rest."""
        targets = [1] if classes.size == 2 else list(range(classes.size))
        coef = np.zeros((len(targets), X.shape[1]))
        intercept = np.zeros(len(targets))
        gaps = np.zeros(len(targets))
        n_iter = np.zeros(len(targets), dtype=np.int32)
        extras = {}
        for k, target in enumerate(targets):
            labels = np.where(y_idx == target, 1.0, -1.0)
            if not (sw[labels > 0].sum() > 0 and sw[labels < 0].sum() > 0):
                raise ValueError(
                    f"{name}: class {plain(classes[target])} against the rest has a "
                    "class with zero total sample weight; every class needs a "
                    "positive total weight."
                )
            start = None if warm is None else (warm[0][k], warm[1][k])
            with single_threaded_blas():  # as in the solve (same sums)
                problem = self._problem(X, labels, sw, start, context)
            solved = solve(
                problem, self.C, tol=self.tol, max_iter=self.max_iter,
                max_epochs=self.max_epochs, verbose=self.verbose,
                name=name if len(targets) == 1
                else f"{name} (class {plain(classes[target])} against the rest)",
                stacklevel=4)
            coef[k], intercept[k] = solved.coef, solved.intercept
            gaps[k], n_iter[k] = solved.result.gap, solved.result.n_iter
            for key, value in self._extras(solved.result).items():
                extras.setdefault(key, []).append(value)
        return coef, intercept, gaps, n_iter, extras

    def _fit_joint(self, X, y_idx, sw, n_classes, warm, context, name):
        """One problem over all the classes (the multinomial model)."""
        start = None if warm is None else warm
        with single_threaded_blas():
            problem = self._joint_problem(X, y_idx, sw, n_classes, start, context)
        solved = solve(problem, self.C, tol=self.tol, max_iter=self.max_iter,
                       max_epochs=self.max_epochs, verbose=self.verbose, name=name,
                       stacklevel=4)
        extras = {key: [value]
                  for key, value in self._extras(solved.result).items()}
        return (solved.coef, np.asarray(solved.intercept, dtype=np.float64),
                np.array([solved.result.gap]),
                np.array([solved.result.n_iter], dtype=np.int32), extras)

    def _joint_model(self, n_classes, device):
        """Whether ``n_classes`` are fitted as one problem (see ``_joint_problem``).

        False here: one-vs-rest.  ``device`` is the fit's device.
        """
        return False

    def _joint_problem(self, X, y_idx, sw, n_classes, start, context):
        """The problem over all the classes of ``y_idx``, warm from ``start``."""
        raise NotImplementedError

    def _problem(self, X, labels, sw, start, context):
        """The binary problem of ``labels`` in {-1, +1}, warm from ``start``.

        ``X`` is the fit's design (host matrix or
        :class:`~blitzlearn._backend.DeviceMatrix`), ``start`` None or
        ``(coef, intercept)``, ``context`` what ``_prepare`` returned.  Built
        with :func:`~blitzlearn._problems.build_problem`.
        """
        raise NotImplementedError

    def _validate_classification(self, X, y, sample_weight):
        """``(data, classes, y_idx, sw)``; ``sw`` has the class weights.

        ``data`` is the :class:`~blitzlearn._backend.FitData` of ``X`` in the
        estimator's layout.
        """
        data = fit_data(self, X, y, layout=self._layout, regression=False)
        classes, y_idx, sw = check_labels(self, data.y, host_copy(sample_weight))
        if self.class_weight is not None:
            cw = compute_class_weight(self.class_weight, classes=classes,
                                      y=classes[y_idx])
            sw = sw * cw[y_idx]
        return data, classes, y_idx, sw

    def _extras(self, result):
        """Per-problem values stored as fitted arrays, from the engine's result."""
        return {}

    def _check_combination(self):
        """Raise on parameters that are valid alone but not together; none here.

        Called by ``fit`` before ``X`` and ``y`` are validated or copied.
        """

    def _prepare(self, X):
        """What the binary problems share (e.g. column statistics); None here.

        ``X`` is the fit's design: the validated host matrix or, for a GPU
        fit, its :class:`~blitzlearn._backend.DeviceMatrix`.
        """
        return None

    def _warm_start_rows(self, classes, n_features):
        """Previous ``(coef_, intercept_)`` in float64 when warm starting."""
        if not (self.warm_start and hasattr(self, "coef_")):
            return None
        if (getattr(self, "classes_", None) is None
                or not np.array_equal(self.classes_, classes)
                or self.coef_.shape[1] != n_features):
            return None
        return self.coef_.astype(np.float64), self.intercept_.astype(np.float64)

    def decision_function(self, X):
        """Confidence scores: the signed distances to the hyperplanes.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples; CuPy input is scored on its GPU.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, the score of ``classes_[1]``; an array of X's
            kind (CuPy for CuPy input).
        """
        if is_cupy_object(X):
            return device_decision_function(self, X)
        return super().decision_function(X)

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input samples; CuPy input is scored on its GPU.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``: CuPy for CuPy input when the labels are
            numeric (string labels come back in NumPy).
        """
        if not is_cupy_object(X):
            return super().predict(X)
        scores = self.decision_function(X)
        index = (scores > 0).astype(np.intp) if scores.ndim == 1 else (
            scores.argmax(axis=1))
        if self.classes_.dtype.kind in "biuf":
            import cupy

            return cupy.asarray(self.classes_)[index]
        return self.classes_[index.get()]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def check_classification_data(estimator, X, y, sample_weight, layout):
    """Validated ``(X, classes, y_idx, sw)`` for a linear classifier's ``fit``.

    ``layout`` is ``"columns"`` (CSC / Fortran-ordered X) or ``"rows"`` (CSR
    / C-ordered X); sparse X comes back canonical (see
    :func:`~blitzlearn._validation.kernel_input`), the caller's untouched.
    ``y_idx`` indexes ``classes``; ``sw`` are the float64 sample weights
    (ones by default).  Raises for a target with fewer than two classes.
    """
    name = type(estimator).__name__
    check_sparse_format(X, name)
    X, y = validate_data(
        estimator, X, y, accept_sparse=["csc", "csr", "coo"],
        dtype=[np.float64, np.float32],
        order="F" if layout == "columns" else "C", multi_output=True,
    )
    X = kernel_input(X, layout, name)
    classes, y_idx, sw = check_labels(estimator, y, sample_weight)
    return X, classes, y_idx, sw


def check_labels(estimator, y, sample_weight):
    """``(classes, y_idx, sw)`` from host labels and weights.

    ``sw`` has one weight per label (ones by default).  Raises for a target
    with fewer than two classes.
    """
    name = type(estimator).__name__
    y = single_target(y, name)
    # numeric labels are classes unless a float one is not integral (what
    # type_of_target calls "continuous"); anything else, and that case, goes
    # through scikit-learn's check (and its errors)
    numeric = isinstance(y, np.ndarray) and y.dtype.kind in "biuf"
    classes = np.unique(y) if numeric else None
    if not numeric or (y.dtype.kind == "f"
                       and not np.array_equal(classes, classes.astype(int))):
        check_classification_targets(y)
    if classes is None:
        classes = np.unique(y)
    y_idx = np.searchsorted(classes, y)  # cheaper than unique's inverse
    if classes.size < 2:
        raise ValueError(
            f"{name} needs samples of at least 2 classes in the data; got "
            f"only one class: {plain(classes[0])}."
        )
    sw = _check_sample_weight(sample_weight, y_idx, dtype=np.float64,
                              ensure_non_negative=True)
    return classes, y_idx, sw
