# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""``import blitzlearn`` is light: no GPU frameworks, estimators on first use."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(code):
    """Run ``code`` in a fresh interpreter that imports this checkout."""
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
        timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_does_not_pull_gpu_frameworks():
    out = _run(
        "import json, sys\n"
        "import blitzlearn\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('cupy', 'cupyx', 'torch'))\n"
        "print(json.dumps({'heavy': heavy, 'version': blitzlearn.__version__,\n"
        "                  'file': blitzlearn.__file__}))\n"
    )
    assert out["heavy"] == []
    assert out["version"]
    assert Path(out["file"]).resolve().is_relative_to(ROOT)


def test_estimator_is_importable_from_the_package():
    out = _run(
        "import json, sys\n"
        "import blitzlearn\n"
        "from blitzlearn import BlitzLasso\n"
        "from blitzlearn.linear_model import BlitzLasso as Direct\n"
        "model = blitzlearn.BlitzLasso(alpha=0.1).fit([[0.0], [1.0], [2.0]], "
        "[0.0, 1.0, 2.0])\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('cupy', 'cupyx', 'torch'))\n"
        "print(json.dumps({'same': BlitzLasso is Direct,\n"
        "                  'listed': 'BlitzLasso' in dir(blitzlearn),\n"
        "                  'coef': float(model.coef_[0]), 'heavy': heavy}))\n"
    )
    assert out["same"] and out["listed"]
    assert 0.0 < out["coef"] < 1.0
    assert out["heavy"] == []


def test_unknown_attribute_raises_attribute_error():
    out = _run(
        "import json\n"
        "import blitzlearn\n"
        "try:\n"
        "    blitzlearn.NoSuchEstimator\n"
        "except AttributeError as exc:\n"
        "    print(json.dumps({'msg': str(exc)}))\n"
    )
    assert "NoSuchEstimator" in out["msg"]
