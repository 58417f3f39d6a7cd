# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The Examples sections of the public docstrings run and print what they say."""

import doctest
import importlib

import pytest

PUBLIC_MODULES = [
    "blitzlearn.linear_model._lasso",
    "blitzlearn.linear_model._logistic",
    "blitzlearn.linear_model._svc",
    "blitzlearn.linear_model._sgd",
    "blitzlearn.linear_model._path",
    "blitzlearn.linear_model._logistic_path",
    "blitzlearn._adascale",
    "blitzlearn.torch._adascale",
]


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_docstring_examples_run(name):
    if name.startswith("blitzlearn.torch"):
        pytest.importorskip("torch", reason="PyTorch is not installed")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
