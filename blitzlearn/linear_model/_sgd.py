# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""AdaScaleSGDClassifier: minibatch SGD for linear classifiers, simulating S workers."""

import math
from numbers import Integral, Real

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator, _fit_context
from sklearn.linear_model._base import LinearClassifierMixin, SparseCoefMixin
from sklearn.utils import check_random_state
from sklearn.utils._available_if import available_if
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    check_is_fitted,
)

from .._adascale import GainEstimator, default_smoothing
from .._kernels import _sgd as kern
from .._kernels._columns import as_columns, col_sq_norms, column_bundle
from .._progress import report
from ._classifier import check_classification_data

# the linear rule's warm-up: the first 5.5% of its steps (Goyal et al. 2017,
# as in the AdaScale paper's baseline)
WARMUP_FRACTION = 0.055


class AdaScaleSGDClassifier(LinearClassifierMixin, SparseCoefMixin, BaseEstimator):
    """Linear classifier trained by minibatch SGD at scale S with AdaScale.

    The model minimises the regularised training objective

    .. math::

        F(w, b) = \\frac{1}{n} \\sum_{i=1}^{n} s_i \\,
        \\ell\\bigl(y_i (x_i^\\top w + b)\\bigr) + \\frac{\\alpha}{2}\\|w\\|^2,

    with labels ``y_i`` in {-1, +1}, sample weights ``s_i`` (default 1) and
    the loss ``l`` chosen by ``loss``; the intercept is not penalised.  More
    than two classes give one such problem per class against the rest (as in
    :class:`~sklearn.linear_model.SGDClassifier`), trained together: the
    objective is then the sum of the per-class objectives and every step uses
    the same batches for all classes.

    Each optimizer step simulates ``scale`` (``S``) workers: it draws ``S``
    batches of ``batch_size`` (``b``) rows, computes their ``S`` gradients of
    ``F`` at the same weights and steps along their mean.  The recipe is the
    ``S = 1`` one: a learning-rate schedule ``lr(k)`` over its iterations
    ``k`` and a budget of ``T_SI = max_epochs * ceil(n / b)`` iterations.
    With ``scaling_rule="adascale"`` (Johnson et al., 2020) the step uses
    ``r * lr(floor(tau))``, where the gain ``r`` in ``[1, S]`` is estimated
    from the spread of the ``S`` gradients and ``tau``, the scale-invariant
    iteration count, grows by ``r`` per step; training stops once ``tau >=
    T_SI``.  ``S = 1`` is plain minibatch SGD.

    Parameters
    ----------
    loss : {"log_loss", "hinge", "squared_hinge", "modified_huber"}, \
default="log_loss"
        The loss ``l(m)`` of a margin ``m``: ``log(1 + exp(-m))``,
        ``max(0, 1 - m)``, ``max(0, 1 - m)^2``, or the modified Huber loss
        (``max(0, 1 - m)^2`` for ``m >= -1``, ``-4 m`` below).
    alpha : float, default=1e-4
        Strength ``alpha >= 0`` of the L2 penalty.
    batch_size : int, default=32
        Rows per batch ``b``; see ``sampling`` for how they are drawn.
    scale : int, default=1
        Number ``S`` of batches (simulated workers) per step.
    learning_rate : {"constant", "step", "exponential"}, default="constant"
        Schedule ``lr(k)`` of the ``S = 1`` recipe: ``eta0``; ``eta0`` times
        ``lr_decay`` per milestone passed; or ``eta0 * lr_decay ** (k /
        T_SI)``.
    eta0 : float, default=0.1
        Initial learning rate, positive.
    lr_milestones : sequence of float or None, default=None
        Epochs of the ``S = 1`` recipe at which the "step" schedule
        multiplies the rate by ``lr_decay``; None means 50% and 75% of
        ``max_epochs``.  Only for ``learning_rate="step"``.
    lr_decay : float, default=0.1
        Decay factor in ``(0, 1]`` of the "step" and "exponential" schedules.
    max_epochs : int, default=10
        Length of the ``S = 1`` recipe in epochs of ``ceil(n / b)``
        iterations: ``T_SI = max_epochs * ceil(n / b)``.
    momentum : float, default=0.0
        Heavy-ball momentum ``rho`` in ``[0, 1)``, in PyTorch's form
        ``v <- rho v + g``, ``w <- w - lr v``; the same at every scale.
    scaling_rule : {"adascale", "linear", "identity"}, default="adascale"
        How the rate adapts to ``S``: AdaScale's gain; the linear scaling
        rule with warm-up (rate ``S * lr(S t)`` after a linear ramp from
        ``lr(0)`` over the first 5.5% of the ``ceil(T_SI / S)`` steps); or
        the ``S = 1`` rate for ``T_SI`` steps.
    smoothing : float or None, default=None
        Factor ``theta`` in ``[0, 1)`` of the moving averages of the gain
        estimator; None means ``max(1 - S / 1000, 0)``.
    max_steps : int or None, default=None
        For the linear and identity rules only: the number of steps, with
        the schedule stretched over them (``tau`` grows by ``T_SI /
        max_steps``).  Runs the linear rule for as many steps as AdaScale
        took, for instance.
    sampling : {"reshuffle", "replacement"}, default="reshuffle"
        Where the rows come from: a stream of random permutations of the
        training set (every row seen once per epoch of data; a batch larger
        than the data repeats rows), or independent uniform draws with
        replacement (the model of the AdaScale analysis; a run that stops
        mid-epoch is then not at a disadvantage against one that stops at
        an epoch's end).
    fit_intercept : bool, default=True
        Whether to fit an (unpenalised) intercept.
    random_state : int, RandomState instance or None, default=None
        Seed of the batch order: the stream is made of
        ``RandomState.permutation(n)`` (or ``RandomState.randint(n,
        size=n)``) draws, one per epoch of data.
    verbose : int, default=0
        Print progress on stdout: 1 prints one line per scale-invariant epoch
        (its objective, as in ``objective_history_``, the mean gain of the
        steps since the last line, ``tau`` and the steps taken) and a final
        line; 2 adds the step, ``tau`` and learning rate about once per epoch
        of data.  The same records go to the ``"blitzlearn"`` logger (INFO,
        DEBUG).

    Attributes
    ----------
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
        Weights (float64).
    intercept_ : ndarray of shape (1,) or (n_classes,)
        Intercepts.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_iter_ : int
        Optimizer steps taken.
    tau_ : float
        Scale-invariant iterations done, at least ``T_SI`` unless
        ``max_steps`` stopped the run.
    gain_history_ : ndarray of shape (`n_iter_`,)
        Gain ``r`` at every step, from the gradient statistics of the steps
        before it (1 at the first step and at ``S = 1``); it sets the rate
        only under ``scaling_rule="adascale"``.
    lr_history_ : ndarray of shape (`n_iter_`,)
        Step size used at every step.
    objective_history_ : ndarray of shape (max_epochs + 1,)
        Training objective ``F`` at the start and after the first step that
        reached each scale-invariant epoch ``tau >= e * ceil(n / b)``.
    sigma2_, mu2_ : float
        Final smoothed estimates of the base-batch gradient variance
        ``sigma^2`` and of ``||grad F||^2`` (0 at ``S = 1``).
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features, when X has string column names.

    See Also
    --------
    sklearn.linear_model.SGDClassifier : One sample per step, no scale.

    References
    ----------
    T. B. Johnson, P. Agrawal, H. Gu and C. Guestrin, "AdaScale SGD: a
    user-friendly algorithm for distributed training", ICML 2020.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from blitzlearn import AdaScaleSGDClassifier
    >>> X, y = make_classification(n_samples=2000, random_state=0)
    >>> clf = AdaScaleSGDClassifier(scale=8, random_state=0).fit(X, y)
    >>> bool(clf.n_iter_ < 10 * 63)  # fewer steps than the S = 1 recipe
    True
    >>> bool(1.0 <= clf.gain_history_.min() <= clf.gain_history_.max() <= 8.0)
    True
    """

    _parameter_constraints = {
        "loss": [StrOptions(set(kern.LOSSES))],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "scale": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions(set(kern.SCHEDULES))],
        "eta0": [Interval(Real, 0, None, closed="neither")],
        "lr_milestones": ["array-like", None],
        "lr_decay": [Interval(Real, 0, 1, closed="right")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "scaling_rule": [StrOptions(set(kern.RULES))],
        "smoothing": [Interval(Real, 0, 1, closed="left"), None],
        "max_steps": [Interval(Integral, 1, None, closed="left"), None],
        "sampling": [StrOptions({"reshuffle", "replacement"})],
        "fit_intercept": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(self, loss="log_loss", *, alpha=1e-4, batch_size=32, scale=1,
                 learning_rate="constant", eta0=0.1, lr_milestones=None,
                 lr_decay=0.1, max_epochs=10, momentum=0.0,
                 scaling_rule="adascale", smoothing=None, max_steps=None,
                 sampling="reshuffle", fit_intercept=True, random_state=None,
                 verbose=0):
        self.loss = loss
        self.alpha = alpha
        self.batch_size = batch_size
        self.scale = scale
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.lr_milestones = lr_milestones
        self.lr_decay = lr_decay
        self.max_epochs = max_epochs
        self.momentum = momentum
        self.scaling_rule = scaling_rule
        self.smoothing = smoothing
        self.max_steps = max_steps
        self.sampling = sampling
        self.fit_intercept = fit_intercept
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the model by ``scale``-batch SGD.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; sparse input in CSR, CSC or COO format (CSR is
            used without a copy).
        y : array-like of shape (n_samples,)
            Class labels, at least two classes.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights ``s_i`` of the rows in ``F``.

        Returns
        -------
        self : AdaScaleSGDClassifier
            The fitted estimator.
        """
        X, classes, y_idx, sw = check_classification_data(
            self, X, y, sample_weight, "rows")
        name = type(self).__name__
        if classes.size == 2:
            Y = np.where(y_idx == 1, 1.0, -1.0)[:, None]
        else:
            Y = np.where(y_idx[:, None] == np.arange(classes.size), 1.0, -1.0)
        rng = check_random_state(self.random_state)
        if self.sampling == "reshuffle":
            def draw(n):
                return rng.permutation(n)
        else:
            def draw(n):
                return rng.randint(n, size=n)
        result = _train(X, np.ascontiguousarray(Y), sw, self._recipe(X.shape[0]),
                        draw, self.verbose)
        if result["diverged"]:
            raise ValueError(
                f"{name} diverged at step {result['n_iter']}: the gradients or "
                "the weights are no longer finite. Lower eta0 or scale the data."
            )
        self.classes_ = classes
        self.coef_ = result["W"]
        self.intercept_ = result["b"]
        for key in ("n_iter", "tau", "sigma2", "mu2"):
            setattr(self, key + "_", result[key])
        self.gain_history_ = result["gains"]
        self.lr_history_ = result["rates"]
        self.objective_history_ = result["objectives"]
        report(self.verbose, 1, "%s: %d steps, tau %.1f, objective %.10g, "
               "mean gain %.3f", name, self.n_iter_, self.tau_,
               self.objective_history_[-1],
               float(np.mean(self.gain_history_)) if self.n_iter_ else 1.0)
        return self

    def _recipe(self, n_samples):
        """The run's numbers: schedule, budget, rule (checked against each other)."""
        name = type(self).__name__
        epoch_len = math.ceil(n_samples / self.batch_size)
        t_si = self.max_epochs * epoch_len
        S = int(self.scale)
        if self.learning_rate == "step":
            marks = ([0.5 * self.max_epochs, 0.75 * self.max_epochs]
                     if self.lr_milestones is None else self.lr_milestones)
            marks = np.asarray(marks, dtype=np.float64).ravel()
            if not (np.all(np.isfinite(marks)) and np.all(marks > 0)):
                raise ValueError(
                    f"{name}: lr_milestones must be positive epochs; got "
                    f"{self.lr_milestones!r}."
                )
            milestones = np.ceil(marks * epoch_len).astype(np.int64)
        elif self.lr_milestones is not None:
            raise ValueError(
                f"{name}: lr_milestones is only used by learning_rate='step'; "
                f"got learning_rate={self.learning_rate!r}. Drop lr_milestones "
                "or use learning_rate='step'."
            )
        else:
            milestones = np.zeros(0, dtype=np.int64)
        rule = self.scaling_rule
        if rule == "adascale":
            if self.max_steps is not None:
                raise ValueError(
                    f"{name}: max_steps applies to scaling_rule='linear' or "
                    "'identity'; AdaScale stops when tau reaches "
                    "max_epochs * ceil(n / batch_size)."
                )
            steps, advance = t_si, 0.0
        elif self.max_steps is not None:
            steps, advance = int(self.max_steps), t_si / self.max_steps
        elif rule == "linear":
            steps, advance = math.ceil(t_si / S), float(S)
        else:
            steps, advance = t_si, 1.0
        return dict(
            loss=kern.LOSSES[self.loss], alpha=float(self.alpha),
            fit_intercept=bool(self.fit_intercept), momentum=float(self.momentum),
            scale=S, size=int(self.batch_size), rule=kern.RULES[rule],
            advance=advance, warmup=float(max(1, math.ceil(WARMUP_FRACTION * steps))),
            step_cap=steps, t_si=float(t_si),
            theta=(default_smoothing(S) if self.smoothing is None
                   else float(self.smoothing)),
            schedule=kern.SCHEDULES[self.learning_rate], eta0=float(self.eta0),
            decay=float(self.lr_decay), milestones=milestones,
            epoch_len=float(epoch_len), n_epochs=int(self.max_epochs),
        )

    def _check_proba(self):
        if self.loss not in ("log_loss", "modified_huber"):
            raise AttributeError(
                f"probability estimates are not available for loss={self.loss!r}; "
                "use loss='log_loss' or loss='modified_huber'."
            )
        return True

    @available_if(_check_proba)
    def predict_proba(self, X):
        """Class probabilities.

        With ``log_loss`` each one-vs-rest model gives ``expit(z_k)``; with
        ``modified_huber`` it gives ``(clip(z_k, -1, 1) + 1) / 2``.  Two classes
        use the single model's value for ``classes_[1]``; more classes are
        normalised to sum to one (uniform where every model says 0).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities, in the order of ``classes_``.
        """
        check_is_fitted(self)
        scores = self.decision_function(X)
        if self.loss == "log_loss":
            p = expit(scores)
        else:
            p = (np.clip(scores, -1.0, 1.0) + 1.0) / 2.0
        if p.ndim == 1:
            return np.column_stack([1.0 - p, p])
        total = p.sum(axis=1, keepdims=True)
        zero = total[:, 0] == 0.0
        p[zero] = 1.0
        total[zero] = p.shape[1]
        return p / total

    @available_if(_check_proba)
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities, in the order of ``classes_``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags


def _train(X, Y, sw, recipe, draw, verbose=0):
    """Run the SGD loop of :mod:`blitzlearn._kernels._sgd` over a row stream.

    ``X`` is C-ordered or CSR, ``Y`` the (n, K) labels in {-1, +1}.  The
    compiled loop returns whenever it needs more row indices (about once per
    epoch of data) or a longer history; ``draw(n)`` gives the next ``n``
    row indices.
    """
    data, indices, indptr, sparse = as_columns(X.T)
    n, d = X.shape
    n_out = Y.shape[1]
    chunk = recipe["scale"] * recipe["size"]
    W = np.zeros((n_out, d))
    b = np.zeros(n_out)
    V, Vb = np.zeros_like(W), np.zeros_like(b)
    acc, acc_b = np.zeros_like(W), np.zeros_like(b)
    total, total_b = np.zeros_like(W), np.zeros_like(b)
    # squared row norms, for the gradient norms of one-row batches
    row_sq = np.zeros(n if recipe["size"] == 1 else 0)
    if recipe["size"] == 1:
        col_sq_norms(data, indices, indptr, d, sparse, row_sq)  # rows of X
    # the compiled loop updates the estimator's state array in place
    gain = GainEstimator(recipe["scale"], recipe["theta"])
    counters = np.array([0, 0, 1], dtype=np.int64)  # t, pos, next epoch
    clock = np.zeros(2)  # tau, ||W||^2
    capacity = int(min(recipe["step_cap"], 1 << 16))
    gains, rates = np.empty(capacity), np.empty(capacity)
    objectives = np.empty(recipe["n_epochs"] + 1)
    objectives[0] = kern.objective(data, indices, indptr, d, sparse, Y, sw, W,
                                   b, recipe["alpha"], recipe["loss"])
    order = np.empty(0, dtype=np.int64)
    columns = column_bundle((data, indices, indptr, sparse), d)
    args = kern.recipe_tuple(recipe)
    shown = [0, 0]  # scale-invariant epochs printed, steps when last printed
    while True:
        status = kern.run_steps(
            columns, Y, sw, row_sq, order, (W, b, V, Vb), (acc, acc_b, total, total_b),
            gain.state, counters, clock, args, (gains, rates, objectives))
        if verbose:
            _report_epochs(verbose, shown, counters, clock, gains, rates,
                           objectives)
        if status == kern.NEED_DATA:
            rest = order[counters[kern.POS]:]
            count = max(1, -(-(chunk - rest.size) // n))
            draws = [draw(n) for _ in range(count)]
            order = np.concatenate([rest] + draws).astype(np.int64, copy=False)
            counters[kern.POS] = 0
        elif status == kern.HISTORY_FULL:
            gains = np.concatenate([gains, np.empty_like(gains)])
            rates = np.concatenate([rates, np.empty_like(rates)])
        else:
            break
    t = int(counters[kern.T])
    return dict(
        W=W, b=b, n_iter=t, tau=float(clock[kern.TAU]),
        gains=gains[:t].copy(), rates=rates[:t].copy(), objectives=objectives,
        sigma2=gain.sigma2, mu2=gain.mu2,
        diverged=status == kern.DIVERGED,
    )


def _report_epochs(verbose, shown, counters, clock, gains, rates, objectives):
    """Print the scale-invariant epochs the compiled loop finished since last time.

    One line per epoch: its objective (``objective_history_``), the mean gain
    of the steps since the last line and ``tau``; ``verbose=2`` adds a line
    per return of the loop (about one per epoch of data).  ``shown`` holds
    the epochs printed and the steps taken at the last line, updated here.
    """
    t, due = int(counters[kern.T]), int(counters[kern.NEXT_EPOCH])
    report(verbose, 2, "  step %d  tau %.1f  learning rate %.4g", t,
           clock[kern.TAU], rates[t - 1] if t else 0.0)
    n_epochs = objectives.shape[0] - 1
    if due - 1 <= shown[0]:
        return
    gain = float(np.mean(gains[shown[1]:t])) if t > shown[1] else float("nan")
    for epoch in range(shown[0] + 1, due):
        report(verbose, 1, "epoch %d/%d  objective %.10g  gain %.3f  tau %.1f  "
               "steps %d", epoch, n_epochs, objectives[epoch], gain,
               clock[kern.TAU], t)
    shown[:] = [due - 1, t]
