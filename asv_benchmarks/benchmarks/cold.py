# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The first fit in a fresh process, compilation or cache loading included.

Each measurement starts a new Python process with a new, empty user kernel
cache (``BLITZLEARN_CACHE_DIR``, see ``blitzlearn/_jit.py``) and times its
first call (imports and data are done before):

- ``empty``: the cache built into the installed package is ignored too, so
  every kernel the fit runs is compiled (a fresh install on another CPU, or
  one built with ``BLITZLEARN_PRECOMPILE=0``);
- ``installed``: the first fit after ``pip install``, with the kernels the
  wheel was built with;
- ``user``: a second process, after a first one has compiled the kernels
  into the user cache (the installed one ignored).
"""

import json
import os
import subprocess
import sys
import tempfile

CHILD = """
import json, sys, time
sys.path.insert(0, {bench_root!r})
from benchmarks import _data
from blitzlearn import linear_model as lm
name = {name!r}
problem = _data.regression if "asso" in name else _data.classification
X, y = problem("dense", "float64")
calls = dict(
    BlitzLasso=lambda: lm.BlitzLasso(alpha=1.0).fit(X, y),
    BlitzLassoCV=lambda: lm.BlitzLassoCV(alphas=5, cv=3).fit(X, y),
    blitz_lasso_path=lambda: lm.blitz_lasso_path(X, y, alphas=5),
    BlitzLogisticL1=lambda: lm.BlitzLogisticL1(C=0.1).fit(X, y),
    BlitzLogisticL1CV=lambda: lm.BlitzLogisticL1CV(Cs=3, cv=3).fit(X, y),
    blitz_logistic_l1_path=lambda: lm.blitz_logistic_l1_path(X, y, Cs=3),
    BlitzSVC=lambda: lm.BlitzSVC(C=0.1).fit(X, y),
    AdaScaleSGDClassifier=lambda: lm.AdaScaleSGDClassifier(
        scale=16, random_state=0).fit(X, y),
)
start = time.perf_counter()
calls[name]()
print(json.dumps(time.perf_counter() - start))
"""

ESTIMATORS = ["BlitzLasso", "BlitzLassoCV", "blitz_lasso_path", "BlitzLogisticL1",
              "BlitzLogisticL1CV", "blitz_logistic_l1_path", "BlitzSVC",
              "AdaScaleSGDClassifier"]


def first_fit_seconds(name, cache):
    """Seconds of the first call of ``name`` in a new process (see the module)."""
    bench_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = CHILD.format(bench_root=bench_root, name=name)
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, BLITZLEARN_CACHE_DIR=folder,
                   BLITZLEARN_INSTALLED_CACHE="1" if cache == "installed" else "0")
        runs = 2 if cache == "user" else 1
        for _ in range(runs):
            out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                 capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


class ColdFit:
    """Seconds of the first fit in a new process, per kernel cache state."""

    params = [ESTIMATORS, ["empty", "installed", "user"]]
    param_names = ["estimator", "cache"]
    timeout = 600
    number = 1
    repeat = 1

    def track_first_fit(self, name, cache):
        return first_fit_seconds(name, cache)

    track_first_fit.unit = "seconds"
