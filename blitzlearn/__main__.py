# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Entry point of ``python -m blitzlearn`` (see ``blitzlearn._cli``)."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
