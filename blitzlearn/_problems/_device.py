# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The BlitzWS problems with ``X`` on a device (the GPU backend).

Each outer iteration of BlitzWS reads all of ``X``: the products ``X^T r`` and
``X^T theta`` behind the certificate, the capsule tests and the screening, and
the scores ``X w`` (for the SVM, ``X w`` and ``X^T alpha``).  These passes are
what grows with the data, and they run on the device, through
:class:`~blitzlearn._backend.DeviceMatrix`.  The working-set subproblem
stays the host's: coordinate descent is sequential (each step reads the
result of the last), so a GPU would run it one coordinate at a time, while the
host kernels run it in cache on the few columns (or rows) of the working set,
mirrored from the device when they first enter one.  The vectors of length
``n`` or ``p`` stay on the host; one product moves one of them each way.

The classes below are the CPU problems with those passes redirected (the
override points declared by :class:`~blitzlearn._engine._contract.ColumnPasses`
and :class:`~blitzlearn._engine._contract.RowPasses`): the engine, the
certificates, the capsules and the solvers are the same code.
"""

import numpy as np

from ._l1 import centred_stats
from ._l1svm import L1SVMProblem
from ._lasso import LassoProblem
from ._logistic import LogisticProblem
from ._svm import SVMProblem


def device_column_stats(dm, d, fit_intercept):
    """:func:`~blitzlearn._problems._l1.column_stats` of a device matrix."""
    dots = dm.rmatvec(d) if fit_intercept else None
    return centred_stats(dm.column_sq_norms(), dots, d, fit_intercept,
                         dm.column_counts())


def _mirror_start(dm, w0, weights):
    """Mirror the columns the host kernels read from the start.

    Those of the nonzero starting weights (for the residual) and of the
    unpenalised features (weight 0: the dual point is projected off them).
    """
    cols = np.flatnonzero(w0)
    if weights is not None:
        cols = np.union1d(cols, np.flatnonzero(np.asarray(weights) == 0))
    dm.ensure(cols)


class _HostWorkingSet:
    """The subproblem on the host, once the working set is in the mirror."""

    def solve(self, working_set, eps, gap, min_work, max_work, max_epochs):
        self._dm.ensure(working_set)
        return super().solve(working_set, eps, gap, min_work, max_work,
                             max_epochs)


class _DeviceColumns(_HostWorkingSet):
    """Products with all columns on the device; the working set's on the host."""

    def _xt(self, v, cols, out):
        out[cols] = self._dm.rmatvec(v)[cols]

    def warm_start(self, coef, intercept=None):
        _mirror_start(self._dm, coef, None)  # the host kernels read them for r
        super().warm_start(coef, intercept)


class DeviceLassoProblem(_DeviceColumns, LassoProblem):
    """:class:`~blitzlearn._problems._lasso.LassoProblem` on a device.

    Parameters
    ----------
    dm : DeviceMatrix
        ``X`` (rows scaled by ``d``), components as columns.
    y, d, lam, fit_intercept, positive, w0, stats, l1_ratio, weights
        As for :class:`~blitzlearn._problems._lasso.LassoProblem`; ``stats``
        come from :func:`device_column_stats` when not given.
    coef_dtype : dtype or None
        As for the CPU problem; None takes the dtype of the estimator's
        ``X`` (the mirror may be float64).
    """

    def __init__(self, dm, y, d, lam, *, fit_intercept, positive, w0, stats=None,
                 coef_dtype=None, l1_ratio=1.0, weights=None):
        self._dm = dm
        _mirror_start(dm, w0, weights)
        if stats is None:
            stats = device_column_stats(dm, d, fit_intercept)
        super().__init__(dm.host, y, d, lam, fit_intercept=fit_intercept,
                         positive=positive, w0=w0, stats=stats,
                         coef_dtype=dm.dtype if coef_dtype is None else coef_dtype,
                         l1_ratio=l1_ratio, weights=weights)


class DeviceLogisticProblem(_DeviceColumns, LogisticProblem):
    """:class:`~blitzlearn._problems._logistic.LogisticProblem` on a device.

    ``stats`` (``device_column_stats(dm, ones, fit_intercept)``) may be
    shared by the one-vs-rest problems.
    """

    def __init__(self, dm, y, s, lam, *, fit_intercept, w0, c0=None, stats=None,
                 l1_ratio=1.0, weights=None, positive=False):
        self._dm = dm
        _mirror_start(dm, w0, weights)
        if stats is None:
            stats = device_column_stats(dm, np.ones(dm.shape[0]), fit_intercept)
        super().__init__(dm.host, y, s, lam, fit_intercept=fit_intercept, w0=w0,
                         c0=c0, stats=stats, l1_ratio=l1_ratio, weights=weights,
                         positive=positive)


class DeviceL1SVMProblem(_DeviceColumns, L1SVMProblem):
    """:class:`~blitzlearn._problems._l1svm.L1SVMProblem` on a device.

    ``X``'s columns are multiplied on the device, the synthetic intercept
    column (``intercept="penalized"``) on the host.  ``stats``
    (``device_column_stats(dm, ones, intercept == "unpenalized")``) may be
    shared by the one-vs-rest problems.
    """

    _xt = L1SVMProblem._xt
    _xt_columns = _DeviceColumns._xt

    def __init__(self, dm, y, s, lam, *, intercept, w0, b0=0.0,
                 intercept_scaling=1.0, stats=None, seed=0):
        self._dm = dm
        dm.ensure(np.flatnonzero(w0))
        if stats is None:
            stats = device_column_stats(dm, np.ones(dm.shape[0]),
                                        intercept == "unpenalized")
        super().__init__(dm.host, y, s, lam, intercept=intercept, w0=w0, b0=b0,
                         intercept_scaling=intercept_scaling, stats=stats,
                         seed=seed)

    def solve(self, working_set, eps, gap, min_work, max_work, max_epochs):
        self._dm.ensure(working_set[working_set < self.n_features])
        return L1SVMProblem.solve(self, working_set, eps, gap, min_work, max_work,
                                  max_epochs)


class DeviceSVMProblem(_HostWorkingSet, SVMProblem):
    """:class:`~blitzlearn._problems._svm.SVMProblem` on a device.

    Parameters
    ----------
    dm : DeviceMatrix
        ``X^T``: the examples are its columns.
    y, upper, bias, seed, C, loss
        As for :class:`~blitzlearn._problems._svm.SVMProblem`.
    """

    def __init__(self, dm, y, upper, bias, *, seed=0, C=1.0, loss="hinge"):
        self._dm = dm
        super().__init__(dm.host.T, y, upper, bias, seed=seed,
                         sq_norms=dm.column_sq_norms(), C=C, loss=loss)

    def _weights_of(self, alpha):
        coef = alpha * self.y
        return np.append(self._dm.matvec(coef), self.bias * coef.sum())

    def _margins(self, w, rows=None):
        full = self.y * (self._dm.rmatvec(w[:-1]) + self.bias * w[-1])
        return full if rows is None else full[rows]

    def _add_rows(self, rows, coef, out):
        if not self._dm.on_host(rows):
            full = np.zeros(self.n_components)  # rows not on the host: product
            full[rows] = coef
            out[:-1] += self._dm.matvec(full)
            out[-1] += self.bias * coef.sum()
            return
        super()._add_rows(rows, coef, out)


# the device class of each CPU problem: what build_problem swaps in
ON_DEVICE = {LassoProblem: DeviceLassoProblem,
             LogisticProblem: DeviceLogisticProblem,
             L1SVMProblem: DeviceL1SVMProblem,
             SVMProblem: DeviceSVMProblem}
