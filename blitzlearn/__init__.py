# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""blitzlearn: certified sparse linear models and large-batch training.

Estimators are imported on first use, so ``import blitzlearn`` stays fast and
never imports CuPy or torch.
"""

import importlib

__version__ = "0.1.0.dev0"

_LAZY = {
    "AdaScaleSGDClassifier": "blitzlearn.linear_model",
    "BlitzElasticNet": "blitzlearn.linear_model",
    "BlitzElasticNetCV": "blitzlearn.linear_model",
    "blitz_enet_path": "blitzlearn.linear_model",
    "BlitzLasso": "blitzlearn.linear_model",
    "BlitzLassoCV": "blitzlearn.linear_model",
    "blitz_lasso_path": "blitzlearn.linear_model",
    "BlitzLogisticL1": "blitzlearn.linear_model",
    "BlitzLogisticL1CV": "blitzlearn.linear_model",
    "blitz_logistic_l1_path": "blitzlearn.linear_model",
    "BlitzSVC": "blitzlearn.linear_model",
}

__all__ = sorted(_LAZY) + ["__version__"]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'blitzlearn' has no attribute {name!r}")


def __dir__():
    return __all__
