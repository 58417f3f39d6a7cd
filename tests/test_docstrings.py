# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The Examples sections of the public docstrings run and print what they say."""

import doctest
import importlib
import importlib.util
import inspect

import pytest

PUBLIC_MODULES = [
    "blitzlearn.linear_model._lasso",
    "blitzlearn.linear_model._logistic",
    "blitzlearn.linear_model._svc",
    "blitzlearn.linear_model._sgd",
    "blitzlearn.linear_model._path",
    "blitzlearn.linear_model._cv",
    "blitzlearn.linear_model._logistic_path",
    "blitzlearn.linear_model._logistic_cv",
    "blitzlearn._adascale",
    "blitzlearn.datasets",
    "blitzlearn.torch._adascale",
]


def public_objects():
    """``(qualified name, object)`` of every public class and function.

    The names exported by ``blitzlearn``, ``blitzlearn.linear_model`` and
    ``blitzlearn.torch`` (when PyTorch is installed), and the functions of
    ``blitzlearn.datasets``.
    """
    found = {}
    packages = ["blitzlearn", "blitzlearn.linear_model"]
    if importlib.util.find_spec("torch") is not None:
        packages.append("blitzlearn.torch")
    for package in packages:
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    datasets = importlib.import_module("blitzlearn.datasets")
    for name, obj in vars(datasets).items():
        if (inspect.isfunction(obj) and not name.startswith("_")
                and obj.__module__ == datasets.__name__):
            found[f"{obj.__module__}.{name}"] = obj
    return sorted(found.items())


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_docstring_examples_run(name):
    if name.startswith("blitzlearn.torch"):
        pytest.importorskip("torch", reason="PyTorch is not installed")
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_every_public_object_has_a_doctested_example():
    objects = public_objects()
    assert len(objects) >= 8
    for qualname, obj in objects:
        doc = inspect.getdoc(obj) or ""
        assert "\nExamples\n--------\n" in doc, f"{qualname} has no Examples section"
        assert ">>> " in doc.split("\nExamples\n--------\n", 1)[1], (
            f"{qualname}'s Examples section has no doctest")
        assert obj.__module__ in PUBLIC_MODULES, (
            f"{qualname} is defined in {obj.__module__}, which "
            "test_docstring_examples_run does not doctest")
