# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Linear models: sparse ones solved by BlitzWS, and AdaScale SGD."""

from ._cv import BlitzElasticNetCV, BlitzLassoCV
from ._lasso import BlitzElasticNet, BlitzLasso
from ._logistic import BlitzLogisticL1
from ._logistic_cv import BlitzLogisticL1CV
from ._logistic_path import blitz_logistic_l1_path
from ._path import blitz_enet_path, blitz_lasso_path
from ._sgd import AdaScaleSGDClassifier
from ._svc import BlitzSVC

__all__ = [
    "AdaScaleSGDClassifier",
    "BlitzElasticNet",
    "BlitzElasticNetCV",
    "BlitzLasso",
    "BlitzLassoCV",
    "BlitzLogisticL1",
    "BlitzLogisticL1CV",
    "BlitzSVC",
    "blitz_enet_path",
    "blitz_lasso_path",
    "blitz_logistic_l1_path",
]
