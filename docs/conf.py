# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Sphinx configuration of the blitzlearn documentation.

The site builds offline with warnings as errors::

    python -m sphinx -W -b html docs docs/_build/html

No extension reaches the network: intersphinx is only switched on when the
environment variable ``DOCS_INTERSPHINX=1`` is set, and the theme takes no
remote assets.  ``tests/test_docs.py`` runs that build on a copy of this
folder.
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("agg")

HERE = Path(__file__).resolve().parent
# document this checkout when the docs sit in one (a copy of docs/ made by the
# test suite builds against the blitzlearn that is importable instead)
if (HERE.parent / "blitzlearn" / "__init__.py").exists():
    sys.path.insert(0, str(HERE.parent))

import blitzlearn  # noqa: E402

project = "blitzlearn"
author = "The blitzlearn developers"
copyright = "The blitzlearn developers"  # noqa: A001
release = blitzlearn.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
if os.environ.get("DOCS_INTERSPHINX") == "1":
    extensions.append("sphinx.ext.intersphinx")
    intersphinx_mapping = {
        "python": ("https://docs.python.org/3", None),
        "numpy": ("https://numpy.org/doc/stable", None),
        "sklearn": ("https://scikit-learn.org/stable", None),
        "torch": ("https://docs.pytorch.org/docs/stable", None),
    }

# blitzlearn.torch is documented from its docstrings even where PyTorch is
# not installed (it is not part of the docs extra): autodoc then mocks it
try:
    import torch  # noqa: F401
except ImportError:
    autodoc_mock_imports = ["torch"]

templates_path = ["_templates"]
exclude_patterns = ["_build", "sg_execution_times.rst"]
root_doc = "index"
default_role = "literal"
nitpicky = False

# -- autodoc / autosummary / numpydoc ---------------------------------------
autosummary_generate = True
autodoc_typehints = "none"
autodoc_default_options = {
    "members": True,
    "exclude-members": (
        "set_fit_request, set_score_request, set_predict_request, "
        "set_partial_fit_request"
    ),
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# A documented docstring whose Parameters do not match its signature fails
# the build (with -W).  Style-only checks are left out, and so are those that
# scikit-learn-style methods would trip (no See Also or Examples on methods);
# tests/test_docstrings.py checks that every public class and function has a
# doctested Examples section.
numpydoc_validation_checks = {
    "PR01",  # a parameter of the signature is not documented
    "PR02",  # a documented parameter is not in the signature
    "PR03",  # parameters documented out of order
}
numpydoc_validation_exclude = {r"\.__init__$", r"\.__repr__$"}

# -- sphinx-gallery -----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    # executed: the plot_ scripts; the torch script needs torchrun and is
    # shown in full on the user guide's torch page instead
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"torch_digits_cnn\.py|__init__\.py",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "show_memory": False,
    "write_computation_times": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    # "Examples using X" on the API pages
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("blitzlearn",),
}

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"blitzlearn {release}"
html_static_path = ["_static"]
html_theme_options = {
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "icon_links": [],
    "show_prev_next": True,
    "navigation_with_keys": False,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": [], "install": [], "benchmarks": []}
html_show_sourcelink = False
html_copy_source = False
