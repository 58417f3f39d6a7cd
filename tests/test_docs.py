# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The documentation site builds offline, with warnings as errors.

The build runs on a copy of ``docs/`` in a temporary folder (the generated
API pages and the gallery are written there, not into the checkout), in a
fresh interpreter that imports the same blitzlearn as this test.  It runs the
gallery's ``plot_*.py`` scripts, so it takes a minute or two; deselect it with
``-m "not docs"``.
"""

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import blitzlearn

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
DOCS_PACKAGES = ["sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme",
                 "matplotlib"]
GALLERY = ["plot_lasso_path", "plot_speed_comparison", "plot_adascale_gain",
           "plot_pipeline_grid_search"]

pytestmark = pytest.mark.docs


def _missing_packages():
    return [name for name in DOCS_PACKAGES if importlib.util.find_spec(name) is None]


@pytest.fixture(scope="module")
def built_site(tmp_path_factory):
    missing = _missing_packages()
    if missing:
        pytest.skip(f"the docs extras are not installed ({', '.join(missing)} "
                    "missing): pip install '.[docs]'")
    tmp = tmp_path_factory.mktemp("docs")
    source, out = tmp / "docs", tmp / "html"
    shutil.copytree(DOCS, source, ignore=shutil.ignore_patterns(
        "_build", "generated", "auto_examples", "sg_execution_times.rst",
        "__pycache__"))
    env = dict(os.environ, MPLBACKEND="agg")
    # the build's interpreter imports the blitzlearn this test imported
    package_root = str(Path(blitzlearn.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(
        [package_root] + [p for p in [env.get("PYTHONPATH")] if p])
    env.pop("DOCS_INTERSPHINX", None)  # offline: no inventories fetched
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
         str(source), str(out)],
        cwd=tmp, env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, (
        f"sphinx-build failed (exit {proc.returncode}):\n"
        f"{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}")
    return out


def test_pages_are_built(built_site):
    for page in ["index", "install", "api", "benchmarks", "user_guide/index",
                 "user_guide/objectives", "user_guide/certificate",
                 "user_guide/working_sets", "user_guide/device",
                 "user_guide/adascale", "user_guide/torch",
                 "changelog", "developers/adding_a_model",
                 "auto_examples/index"]:
        assert (built_site / f"{page}.html").is_file(), page


def test_api_pages_cover_the_public_objects(built_site):
    names = ["blitzlearn.torch.AdaScale", "blitzlearn.datasets.load_libsvm",
             "blitzlearn.datasets.default_data_home"]
    names += [f"blitzlearn.{name}" for name in blitzlearn.__all__
              if name != "__version__"]
    for name in names:  # every public object has its generated page
        assert (built_site / "generated" / f"{name}.html").is_file(), (
            f"{name} is missing from docs/api.rst")


def test_gallery_examples_ran_and_drew(built_site):
    for example in GALLERY:
        page = built_site / "auto_examples" / f"{example}.html"
        assert page.is_file(), example
        figure = built_site / "_images" / f"sphx_glr_{example}_001.png"
        assert figure.is_file(), f"{example} drew no figure"


def test_torch_script_is_shown_not_run(built_site):
    assert not (built_site / "auto_examples" / "torch_digits_cnn.html").exists()
    page = (built_site / "user_guide" / "torch.html").read_text(encoding="utf-8")
    assert "init_process_group" in page or "torchrun" in page
