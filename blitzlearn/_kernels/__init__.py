# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Numba kernels (CPU backend)."""
