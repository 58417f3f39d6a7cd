# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""AdaScale for deep models: torch.optim.SGD at scale, with torch.distributed.

Needs PyTorch (``pip install torch`` first, then ``blitzlearn[torch]``);
``import blitzlearn`` never imports it.
"""

from ._adascale import AdaScale

__all__ = ["AdaScale"]
