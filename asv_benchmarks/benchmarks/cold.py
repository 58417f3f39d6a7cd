# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The first fit in a fresh process with an empty Numba cache (compilation included)."""

import json
import os
import subprocess
import sys
import tempfile

CHILD = """
import json, sys, time
sys.path.insert(0, {bench_root!r})
from benchmarks import _data
import blitzlearn
name = {name!r}
if name == "BlitzLasso":
    X, y = _data.regression("dense", "float64")
    est = blitzlearn.BlitzLasso(alpha=1.0)
elif name == "AdaScaleSGDClassifier":
    X, y = _data.classification("dense", "float64")
    est = blitzlearn.AdaScaleSGDClassifier(scale=16, random_state=0)
else:
    X, y = _data.classification("dense", "float64")
    est = getattr(blitzlearn, name)(C=0.1)
start = time.perf_counter()
est.fit(X, y)
print(json.dumps(time.perf_counter() - start))
"""


class ColdFit:
    """Seconds of the first ``fit`` call: data built and imports done before."""

    params = ["BlitzLasso", "BlitzLogisticL1", "BlitzSVC", "AdaScaleSGDClassifier"]
    param_names = ["estimator"]
    timeout = 300
    number = 1
    repeat = 1

    def track_first_fit(self, name):
        bench_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        with tempfile.TemporaryDirectory() as cache:
            env = dict(os.environ, NUMBA_CACHE_DIR=cache)
            code = CHILD.format(bench_root=bench_root, name=name)
            out = subprocess.run([sys.executable, "-c", code], env=env, check=True,
                                 capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    track_first_fit.unit = "seconds"
