# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""asv benchmarks of blitzlearn (see ``asv_benchmarks/README.md``)."""
