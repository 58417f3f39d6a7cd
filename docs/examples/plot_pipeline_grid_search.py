"""
A Pipeline tuned by GridSearchCV
================================

The blitzlearn estimators are scikit-learn estimators: they go into a
:class:`~sklearn.pipeline.Pipeline`, are cloned and refitted by
:class:`~sklearn.model_selection.GridSearchCV`, and their parameters are
searched like any other.  Here a standardisation step and a classifier are
tuned together on scikit-learn's breast-cancer data: the search runs over
the classifier itself (:class:`~blitzlearn.BlitzLogisticL1` or
:class:`~blitzlearn.BlitzSVC`) and over ``C``.
"""

# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from blitzlearn import BlitzLogisticL1, BlitzSVC

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0)

pipe = Pipeline([("scale", StandardScaler()), ("clf", BlitzLogisticL1())])
Cs = np.logspace(-2, 1, 7)
# one search over two kinds of classifier, each over its own range of C
grid = [
    {"clf": [BlitzLogisticL1(tol=1e-6)], "clf__C": Cs},
    {"clf": [BlitzSVC(tol=1e-6)], "clf__C": Cs / 10},
]
search = GridSearchCV(pipe, grid, cv=StratifiedKFold(5, shuffle=True,
                                                     random_state=0))
search.fit(X_train, y_train)

best = search.best_estimator_
print("best:", type(best[-1]).__name__, f"C = {best[-1].C:.3g}")
print(f"cross-validated accuracy: {search.best_score_:.3f}")
print(f"held-out accuracy:        {best.score(X_test, y_test):.3f}")
print("certified gap of the refit:", np.array2string(best[-1].dual_gap_,
                                                       precision=1))

# %%
# The cross-validated accuracy along ``C`` for both classifiers, and the
# number of features the L1 penalty keeps in the logistic model refitted on
# the training set at each ``C``.
results = search.cv_results_
kinds = np.array([type(est).__name__ for est in results["param_clf"]])
fig, (ax_score, ax_nnz) = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
for kind, marker in (("BlitzLogisticL1", "o"), ("BlitzSVC", "s")):
    rows = kinds == kind
    C = np.array(results["param_clf__C"][rows], dtype=float)
    mean = results["mean_test_score"][rows]
    std = results["std_test_score"][rows]
    ax_score.errorbar(C, mean, yerr=std, marker=marker, capsize=3, label=kind)
ax_score.set(xscale="log", xlabel="C", ylabel="accuracy (5-fold CV)",
             title="GridSearchCV over the classifier and C")
ax_score.legend()

nnz = [np.count_nonzero(
    Pipeline([("scale", StandardScaler()), ("clf", BlitzLogisticL1(C=C))])
    .fit(X_train, y_train)[-1].coef_) for C in Cs]
ax_nnz.plot(Cs, nnz, marker="o")
ax_nnz.set(xscale="log", xlabel="C", ylabel="nonzero coefficients (of 30)",
           title="BlitzLogisticL1: sparsity along C")
plt.show()
