# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Shim for tools that still call setup.py; all metadata lives in pyproject.toml."""

from setuptools import setup

setup()
