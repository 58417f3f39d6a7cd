# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""GPU fits (``device="cuda"``); reported as n/a where no GPU backend runs."""

from blitzlearn import BlitzLasso, BlitzLogisticL1, BlitzSVC

from . import _data

MAKERS = {
    "BlitzLasso": lambda: BlitzLasso(alpha=1.0, device="cuda"),
    "BlitzLogisticL1": lambda: BlitzLogisticL1(C=0.1, device="cuda"),
    "BlitzSVC": lambda: BlitzSVC(C=0.1, loss="hinge", device="cuda"),
}


class GPUFit:
    """Fit on the GPU, sparse float64 data."""

    params = list(MAKERS)
    param_names = ["estimator"]
    timeout = 300

    def setup(self, name):
        if name == "BlitzLasso":
            self.X, self.y = _data.regression("sparse", "float64")
        else:
            self.X, self.y = _data.classification("sparse", "float64")
        try:
            MAKERS[name]().fit(self.X, self.y)
        except (ImportError, NotImplementedError, RuntimeError) as exc:
            # asv reports a benchmark whose setup raises this as n/a
            raise NotImplementedError(f"no GPU fit here: {exc}") from exc

    def time_fit(self, name):
        MAKERS[name]().fit(self.X, self.y)
