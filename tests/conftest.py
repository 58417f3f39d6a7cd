# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Fixtures of the test suite (the helpers themselves live in ``_helpers.py``)."""

import pytest
from _helpers import DATASETS, lasso_objective, load_dataset, make_data

__all__ = ["DATASETS", "lasso_objective", "load_dataset", "make_data"]


@pytest.fixture(name="load_dataset", scope="session")
def load_dataset_fixture():
    """The session-wide (cached) loader ``load_dataset(name) -> (X, y)``.

    Tests calling it on a LIBSVM set are skipped, with the reason, only when
    ``../shared/datasets`` is absent.
    """
    return load_dataset
