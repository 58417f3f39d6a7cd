# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The problems and the rows of ``python -m blitzlearn`` (see ``blitzlearn._cli``).

Every row's objective is computed here from the model's coefficients, and its
duality gap is that objective minus the best lower bound on the optimum known
for the problem: the dual value that blitzlearn's certificate machinery (the
problem plug-ins' ``full_gap``) finds from each compared model, or for the
SVM the dual value of a reference BlitzSVC fit.  A lower bound from any model
is valid for all of them, so every solver's gap is an honest bound on its own
suboptimality, whichever solver stopped where.
"""

import time

import numpy as np
import scipy.sparse as sp

# Epoch budget of the saga peer (keeps the job short; its gap shows where it
# stopped).
SAGA_MAX_ITER = 100

# The AdaScale family: the S = 1 recipe (batches of 8, 5 epochs) and S = 16.
SGD_RECIPE = dict(loss="log_loss", alpha=1e-3, batch_size=8, eta0=0.05,
                  max_epochs=5, random_state=0)
SGD_SCALE = 16

# A file's labels are read as classes when they are at most this many integers.
MAX_CLASSES = 50


# -- problems -----------------------------------------------------------------
def embedded_regression(random_state=0):
    """The regression problems: diabetes and a generated sparse one."""
    from sklearn.datasets import load_diabetes

    X, y = load_diabetes(return_X_y=True)
    yield "diabetes (442x10, dense)", np.asfortranarray(X), y

    rng = np.random.default_rng(random_state)
    n, d = 400, 4000
    X = sp.random(n, d, density=0.005, format="csc", random_state=rng)
    coef = np.zeros(d)
    coef[rng.choice(d, size=30, replace=False)] = rng.normal(size=30)
    y = X @ coef + 0.01 * rng.normal(size=n)
    yield f"generated sparse ({n}x{d}, {X.nnz} nnz)", X, y


def embedded_classification(random_state=0):
    """The classification problems: breast cancer and a generated sparse one."""
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    yield "breast cancer (569x30, standardised)", np.asfortranarray(X), y

    rng = np.random.default_rng(random_state)
    n, d = 1000, 1000
    X = sp.random(n, d, density=0.01, format="csc", random_state=rng)
    coef = np.zeros(d)
    coef[rng.choice(d, size=30, replace=False)] = 10 * rng.normal(size=30)
    score = X @ coef
    y = (score + 0.5 * rng.normal(size=n) > np.median(score)).astype(int)
    yield f"generated sparse ({n}x{d}, {X.nnz} nnz)", X, y


def load_problem(path):
    """``(name, X, y)`` of a svmlight/LIBSVM file, ``X`` CSC float64."""
    from sklearn.datasets import load_svmlight_file

    X, y = load_svmlight_file(path)
    X = X.tocsc()
    X.sort_indices()
    return f"{path} ({X.shape[0]}x{X.shape[1]}, {X.nnz} nnz)", X, y


def classification_type(y):
    """"classification" for a few integer labels, else "regression"."""
    y = np.asarray(y)
    values = np.unique(y)
    integral = np.all(np.isfinite(values)) and np.all(values == np.round(values))
    if integral and 2 <= values.size <= MAX_CLASSES:
        return "classification"
    return "regression"


def _columns(X):
    """``X`` as the L1 problems read it: CSC with sorted indices or Fortran."""
    if sp.issparse(X):
        X = sp.csc_matrix(X, dtype=np.float64)
        X.sort_indices()
        return X
    return np.asfortranarray(X, dtype=np.float64)


def _binary_labels(y):
    """One {-1, +1} label vector per binary problem (one-vs-rest beyond two)."""
    classes = np.unique(y)
    targets = classes[1:] if classes.size == 2 else classes
    return [np.where(y == c, 1.0, -1.0) for c in targets]


def _ovr_rows(model):
    """``[(coef, intercept)]`` per binary problem of a fitted classifier."""
    if hasattr(model, "estimators_"):  # a OneVsRestClassifier
        return [(np.ravel(e.coef_), float(np.ravel(e.intercept_)[0]))
                for e in model.estimators_]
    coef = np.atleast_2d(model.coef_)
    intercept = np.ravel(model.intercept_) * np.ones(coef.shape[0])
    return list(zip(coef, intercept, strict=True))


def _timed(model, X, y):
    start = time.perf_counter()
    model.fit(X, y)
    return time.perf_counter() - start


def _cells(problem, level, solver, seconds, objective, gap, tol, nnz):
    gap = max(gap, 0.0)  # a gap is >= 0; below, only rounding of the two sums
    return (problem, level, solver, f"{seconds:.4f}", f"{objective:.10g}",
            f"{gap:.2e}", f"{tol:.1e}", "yes" if gap <= tol else "no", nnz)


# -- objectives and lower bounds ---------------------------------------------
def lasso_objective(X, y, coef, intercept, alpha):
    """scikit-learn's Lasso objective, computed outside every solver."""
    resid = y - X @ coef - intercept
    return 0.5 * float(resid @ resid) / X.shape[0] + alpha * float(np.abs(coef).sum())


def lasso_lower_bound(X, y, coef, alpha, fit_intercept=True):
    """A dual value of the Lasso at ``alpha`` from the model ``coef``."""
    from ._problems._lasso import LassoProblem

    n = X.shape[0]
    problem = LassoProblem(X, y, np.ones(n), n * alpha, fit_intercept=fit_intercept,
                           positive=False, w0=np.ravel(coef))
    gap = problem.full_gap()
    return (problem.primal() - gap) / n


def logistic_objective(X, labels, coef, intercept, C):
    """scikit-learn's L1-logistic objective (labels in {-1, +1})."""
    margin = labels * (X @ np.ravel(coef) + intercept)
    return C * float(np.logaddexp(0.0, -margin).sum()) + float(np.abs(coef).sum())


def logistic_lower_bound(X, labels, coef, intercept, C):
    """A dual value of the L1-logistic problem at ``C`` from ``(coef, intercept)``."""
    from ._problems._logistic import LogisticProblem

    problem = LogisticProblem(X, labels, np.ones(X.shape[0]), 1.0 / C,
                              fit_intercept=True, w0=np.ravel(coef), c0=intercept)
    gap = problem.full_gap()
    return C * (problem.primal() - gap)


def svm_objective(X, labels, coef, intercept, C):
    """LinearSVC's hinge objective (intercept as a regularised unit feature)."""
    margin = labels * (X @ np.ravel(coef) + intercept)
    return (0.5 * (float(coef @ coef) + intercept ** 2)
            + C * float(np.maximum(0.0, 1.0 - margin).sum()))


def l2_logistic_objective(X, labels, coef, intercept, alpha):
    """AdaScaleSGDClassifier's (and SGDClassifier's) log-loss objective."""
    margin = labels * (X @ np.ravel(coef) + intercept)
    return (float(np.logaddexp(0.0, -margin).mean())
            + 0.5 * alpha * float(coef @ coef))


# -- the families -------------------------------------------------------------
def lasso_rows(problem, ratios, tol):
    """BlitzLasso and sklearn's Lasso at ``alpha_max * ratio``."""
    from sklearn.linear_model import Lasso

    from .linear_model import BlitzLasso

    name, X, y = problem
    X = _columns(X)
    n = X.shape[0]
    yc = y - y.mean()
    alpha_max = float(np.abs(X.T @ yc).max()) / n
    tol_abs = tol * float(yc @ yc) / n
    BlitzLasso(alpha=alpha_max * ratios[0], tol=tol).fit(X, y)  # compile
    for ratio in ratios:
        alpha = alpha_max * ratio
        models = {"BlitzLasso": BlitzLasso(alpha=alpha, tol=tol),
                  "sklearn Lasso": Lasso(alpha=alpha, tol=tol, max_iter=100_000)}
        seconds = {label: _timed(m, X, y) for label, m in models.items()}
        lower = max(lasso_lower_bound(X, y, m.coef_, alpha) for m in models.values())
        for label, m in models.items():
            objective = lasso_objective(X, y, m.coef_, m.intercept_, alpha)
            yield _cells(name, f"alpha_max*{ratio:g}", label, seconds[label],
                         objective, objective - lower, tol_abs,
                         int(np.count_nonzero(m.coef_)))


def path_rows(problem, ratios, tol, n_alphas=20, cv=5):
    """blitz_lasso_path vs lasso_path, then BlitzLassoCV vs LassoCV."""
    from sklearn.linear_model import LassoCV, lasso_path

    from .linear_model import BlitzLassoCV, blitz_lasso_path

    name, X, y = problem
    X = _columns(X)
    n = X.shape[0]
    yc = y - y.mean()
    if not sp.issparse(X):  # the paths fit no intercept: centre what we can
        X = np.asfortranarray(X - X.mean(axis=0))
    eps = min(min(ratios), 1.0)
    tol_abs = tol * float(yc @ yc) / n
    level = f"{n_alphas} alphas to alpha_max*{eps:g}"
    blitz_lasso_path(X, yc, eps=eps, alphas=3, tol=tol)  # compile
    paths = {}
    for label, path in (("blitz_lasso_path", blitz_lasso_path),
                        ("sklearn lasso_path", lasso_path)):
        start = time.perf_counter()
        alphas, coefs, _ = path(X, yc, eps=eps, alphas=n_alphas, tol=tol,
                                max_iter=100_000)
        paths[label] = (time.perf_counter() - start, alphas, coefs)
    grid = paths["blitz_lasso_path"][1]
    lower = [max(lasso_lower_bound(X, yc, p[2][:, k], a, fit_intercept=False)
                 for p in paths.values()) for k, a in enumerate(grid)]
    for label, (seconds, alphas, coefs) in paths.items():
        objectives = [lasso_objective(X, yc, coefs[:, k], 0.0, a)
                      for k, a in enumerate(alphas)]
        gap = max(o - b for o, b in zip(objectives, lower, strict=True))
        yield _cells(name, level, label, seconds, objectives[-1], gap, tol_abs,
                     int(np.count_nonzero(coefs[:, -1])))
    level = f"{cv}-fold CV, {n_alphas} alphas"
    for label, model in (("BlitzLassoCV", BlitzLassoCV(eps=eps, alphas=n_alphas,
                                                       cv=cv, tol=tol)),
                         ("sklearn LassoCV", LassoCV(eps=eps, alphas=n_alphas,
                                                     cv=cv, tol=tol,
                                                     max_iter=100_000))):
        seconds = _timed(model, X, y)
        alpha = float(model.alpha_)
        objective = lasso_objective(X, y, model.coef_, model.intercept_, alpha)
        gap = objective - lasso_lower_bound(X, y, model.coef_, alpha)
        yield _cells(name, level, f"{label} (alpha_ {alpha:.3g})", seconds,
                     objective, gap, tol_abs, int(np.count_nonzero(model.coef_)))


def logistic_rows(problem, ratios, tol):
    """BlitzLogisticL1 and saga at ``C = C_min / ratio`` (one-vs-rest)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    from ._problems._logistic import null_loss
    from .linear_model import BlitzLogisticL1
    from .linear_model._logistic_path import c_min as smallest_c

    name, X, y = problem
    X = _columns(X)
    binaries = _binary_labels(y)
    ones = np.ones(X.shape[0])
    c_min = min(smallest_c(X, labels, ones, fit_intercept=True)
                for labels in binaries)
    # one-vs-rest, as the saga rows and the certificates below (the
    # multinomial model has no row here yet)
    BlitzLogisticL1(C=c_min / ratios[0], tol=tol, multi_class="ovr").fit(X, y)
    for ratio in ratios:
        C = c_min / ratio
        saga = LogisticRegression(C=C, l1_ratio=1.0, solver="saga", tol=tol,
                                  max_iter=SAGA_MAX_ITER)
        models = {"BlitzLogisticL1": BlitzLogisticL1(C=C, tol=tol,
                                                     multi_class="ovr"),
                  "sklearn saga": saga if len(binaries) == 1
                  else OneVsRestClassifier(saga)}
        seconds = {label: _timed(m, X, y) for label, m in models.items()}
        rows = {label: _ovr_rows(m) for label, m in models.items()}
        lower = sum(max(logistic_lower_bound(X, labels, *r[k], C)
                        for r in rows.values())
                    for k, labels in enumerate(binaries))
        tol_abs = tol * sum(C * null_loss(labels, ones, True) for labels in binaries)
        for label, r in rows.items():
            objective = sum(logistic_objective(X, labels, *r[k], C)
                            for k, labels in enumerate(binaries))
            nnz = sum(int(np.count_nonzero(coef)) for coef, _ in r)
            yield _cells(name, f"C_min*{1 / ratio:g}", label, seconds[label],
                         objective, objective - lower, tol_abs, nnz)


def svm_rows(problem, Cs, tol):
    """BlitzSVC and LinearSVC (hinge loss, dual coordinate descent) at each C."""
    from sklearn.svm import LinearSVC

    from .linear_model import BlitzSVC

    name, X, y = problem
    X = sp.csr_matrix(X) if sp.issparse(X) else np.ascontiguousarray(X)
    binaries = _binary_labels(y)
    BlitzSVC(C=Cs[0], loss="hinge", tol=tol).fit(X, y)  # compile
    for C in Cs:
        # the dual value of a 1000x tighter BlitzSVC fit bounds the optimum
        ref = BlitzSVC(C=C, loss="hinge", tol=tol * 1e-3).fit(X, y)
        bounds = [svm_objective(X, labels, coef, b, C) - gap for (coef, b), labels,
                  gap in zip(_ovr_rows(ref), binaries, ref.dual_gap_, strict=True)]
        models = {"BlitzSVC": BlitzSVC(C=C, loss="hinge", tol=tol),
                  "sklearn LinearSVC": LinearSVC(C=C, loss="hinge", tol=tol,
                                                 max_iter=1000)}
        for label, model in models.items():
            seconds = _timed(model, X, y)
            r = _ovr_rows(model)
            objective = sum(svm_objective(X, labels, *r[k], C)
                            for k, labels in enumerate(binaries))
            lower = sum(bounds)
            if label == "BlitzSVC":  # its own certificate may be the better bound
                lower = max(lower, objective - float(np.sum(model.dual_gap_)))
            yield _cells(name, f"C={C:g}", label, seconds, objective,
                         objective - lower, tol * lower,
                         sum(int(np.count_nonzero(c)) for c, _ in r))


def adascale_rows(problem, levels, tol):
    """AdaScale (S = 16), the linear rule and sklearn's SGD, 5 epochs each."""
    from sklearn.linear_model import LogisticRegression, SGDClassifier

    from .linear_model import AdaScaleSGDClassifier

    name, X, y = problem
    X = sp.csr_matrix(X) if sp.issparse(X) else np.ascontiguousarray(X)
    n = X.shape[0]
    binaries = _binary_labels(y)
    alpha = SGD_RECIPE["alpha"]
    reference = LogisticRegression(C=1.0 / (n * alpha), tol=1e-10, max_iter=10_000)
    optimum = 0.0
    for labels in binaries:
        reference.fit(X, labels)
        optimum += l2_logistic_objective(X, labels, reference.coef_[0],
                                         reference.intercept_[0], alpha)
    for rule in ("adascale", "linear"):  # compile
        AdaScaleSGDClassifier(scale=2, scaling_rule=rule, **SGD_RECIPE).fit(X, y)
    level = f"batch {SGD_RECIPE['batch_size']}, {SGD_RECIPE['max_epochs']} epochs"
    models = {
        "AdaScaleSGD S=1": AdaScaleSGDClassifier(**SGD_RECIPE),
        f"AdaScaleSGD S={SGD_SCALE}": AdaScaleSGDClassifier(scale=SGD_SCALE,
                                                            **SGD_RECIPE),
        f"linear rule S={SGD_SCALE}": AdaScaleSGDClassifier(
            scale=SGD_SCALE, scaling_rule="linear", **SGD_RECIPE),
        "sklearn SGDClassifier": SGDClassifier(
            loss="log_loss", alpha=alpha, learning_rate="constant",
            eta0=SGD_RECIPE["eta0"], max_iter=SGD_RECIPE["max_epochs"], tol=None,
            random_state=0),
    }
    for label, model in models.items():
        seconds = _timed(model, X, y)
        r = _ovr_rows(model)
        objective = sum(l2_logistic_objective(X, labels, *r[k], alpha)
                        for k, labels in enumerate(binaries))
        adascale = isinstance(model, AdaScaleSGDClassifier)
        steps = model.n_iter_ if adascale else int(model.t_ - 1)
        gain = (f"{model.gain_history_.mean():.2f}"
                if adascale and model.scaling_rule == "adascale" else "-")
        yield (name, level, label, f"{seconds:.4f}", f"{objective:.10g}",
               f"{objective - optimum:.2e}", steps, gain,
               f"{model.score(X, y):.4f}")
