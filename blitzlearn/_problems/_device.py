# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""The BlitzWS problems with ``X`` on a device (the GPU backend).

Each outer iteration of BlitzWS reads all of ``X``: the products ``X^T r`` and
``X^T theta`` behind the certificate, the capsule tests and the screening, and
the scores ``X w`` (for the SVM, ``X w`` and ``X^T alpha``).  These passes run
on the device, through :class:`~blitzlearn._backend.DeviceMatrix`, and so do
the working-set subproblems of every model (the Lasso family, the L1
logistic model, the L1 and the L2 SVM): the working set's columns are
gathered on the device and solved there by :mod:`._device_ws` (accelerated
proximal gradient), so that no column of ``X`` is copied to the host (only
those of unpenalised features, which the dual point is projected against).
The certificate is the CPU problems' own, in float64, from the device's
products; the vectors of length ``n`` or ``p`` it reads stay on the host,
and one product (or one subproblem) moves one of them each way.

The classes below are the CPU problems with those passes redirected (the
override points declared by :class:`~blitzlearn._engine._contract.ColumnPasses`
and :class:`~blitzlearn._engine._contract.RowPasses`) and ``solve`` replaced:
the engine, the certificates, the capsules and the screening are the same
code.
"""

import numpy as np

from .._kernels._stopping import make_budget
from ._device_ws import (
    L1SVMWorkingSet,
    LassoWorkingSet,
    LogisticWorkingSet,
    SVMWorkingSet,
    fista,
)
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


def _mirror_free(dm, weights):
    """Mirror the columns of the unpenalised features (penalty weight 0).

    The host projects the dual point off them (a few columns, read once).
    """
    if weights is not None:
        dm.ensure(np.flatnonzero(np.asarray(weights) == 0))


class _DeviceProducts:
    """Products with all columns on the device, device copies of fixed vectors."""

    _lip = None  # the last subproblem's Lipschitz estimate (a warm start)

    def _xt(self, v, cols, out):
        out[cols] = self._dm.rmatvec(v)[cols]

    def _device_vector(self, name):
        """The attribute ``name`` (fixed for the problem's life) on the device."""
        cache = self.__dict__.setdefault("_device_copies", {})
        if name not in cache:
            cache[name] = self._dm.backend.xp.asarray(getattr(self, name),
                                                      dtype=np.float64)
        return cache[name]

    def _start_lip(self, low):
        """Lipschitz estimate to start from: the last one, at least ``low``."""
        if self._lip is None:
            return low if low > 0.0 else 1.0
        return max(low, self._lip)

    def _run(self, sub, x0, low, budget_args):
        """FISTA on ``sub`` from ``x0``; ``(x, img, epochs, work, gap)`` on the host."""
        backend = self._dm.backend
        x, img, epochs, work, gap, self._lip = fista(
            sub, x0, self._start_lip(low), make_budget(*budget_args))
        return backend.to_host(x), backend.to_host(img), epochs, work, gap


class DeviceLassoProblem(_DeviceProducts, LassoProblem):
    """:class:`~blitzlearn._problems._lasso.LassoProblem` on a device.

    The residual and the working-set subproblems
    (:class:`~blitzlearn._problems._device_ws.LassoWorkingSet`) are computed
    on the device.

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
        _mirror_free(dm, weights)
        if stats is None:
            stats = device_column_stats(dm, d, fit_intercept)
        super().__init__(dm.host, y, d, lam, fit_intercept=fit_intercept,
                         positive=positive, w0=w0, stats=stats,
                         coef_dtype=dm.dtype if coef_dtype is None else coef_dtype,
                         l1_ratio=l1_ratio, weights=weights)

    def _residual(self):
        """``r = y - X w - c d`` at the optimal ``c``, ``X w`` on the device."""
        support = np.flatnonzero(self.w)
        r = self.y - self._dm.combine(support, self.w[support])
        if self.fit_intercept:
            r -= (float(self.d @ r) / self.d_norm2) * self.d
        self.r = r

    def solve(self, working_set, eps, gap, min_work, max_work, max_epochs):
        ws = working_set
        with self._dm.backend.activate():
            sub = LassoWorkingSet(self, ws)
            low = 1.0  # in the metric of the columns' norms: at least 1
            x, self.r, epochs, work, sub_gap = self._run(
                sub, sub.x0, low, (eps, gap, min_work, max_work, max_epochs))
        self.w[ws] = x
        return epochs, work, sub_gap


class DeviceLogisticProblem(_DeviceProducts, LogisticProblem):
    """:class:`~blitzlearn._problems._logistic.LogisticProblem` on a device.

    The scores and the working-set subproblems
    (:class:`~blitzlearn._problems._device_ws.LogisticWorkingSet`) are
    computed on the device; the intercept's Newton steps and the loss state
    after each subproblem on the host (vectors of length ``n``, once).
    ``stats`` (``device_column_stats(dm, ones, fit_intercept)``) may be
    shared by the one-vs-rest problems.
    """

    def __init__(self, dm, y, s, lam, *, fit_intercept, w0, c0=None, stats=None,
                 l1_ratio=1.0, weights=None, positive=False):
        self._dm = dm
        _mirror_free(dm, weights)
        if stats is None:
            stats = device_column_stats(dm, np.ones(dm.shape[0]), fit_intercept)
        super().__init__(dm.host, y, s, lam, fit_intercept=fit_intercept, w0=w0,
                         c0=c0, stats=stats, l1_ratio=l1_ratio, weights=weights,
                         positive=positive)

    def _residual(self, intercept_steps=8, rescore=True):
        if rescore:  # the scores X w + c, on the device
            support = np.flatnonzero(self.w)
            self.z[:] = self._dm.combine(support, self.w[support]) + self.c
        super()._residual(intercept_steps, rescore=False)

    def solve(self, working_set, eps, gap, min_work, max_work, max_epochs):
        ws = working_set
        with self._dm.backend.activate():
            sub = LogisticWorkingSet(self, ws)
            low = 0.0  # the curvature of the loss is local: backtracking
            x, z, epochs, work, sub_gap = self._run(
                sub, sub.x0, low, (eps, gap, min_work, max_work, max_epochs))
        self.w[ws] = x[:ws.size]
        if self.fit_intercept:
            self.c = float(x[ws.size])
        self.z[:] = z
        self._residual(rescore=False)
        return epochs, work, sub_gap


class DeviceL1SVMProblem(_DeviceProducts, L1SVMProblem):
    """:class:`~blitzlearn._problems._l1svm.L1SVMProblem` on a device.

    ``X``'s columns are multiplied on the device, the synthetic intercept
    column (``intercept="penalized"``) on the host; the scores and the
    working-set subproblems
    (:class:`~blitzlearn._problems._device_ws.L1SVMWorkingSet`) are computed
    on the device, the exact free intercept and the loss state after each
    subproblem on the host.  ``stats`` (``device_column_stats(dm, ones,
    intercept == "unpenalized")``) may be shared by the one-vs-rest problems.
    """

    _xt = L1SVMProblem._xt
    _xt_columns = _DeviceProducts._xt

    def __init__(self, dm, y, s, lam, *, intercept, w0, b0=0.0,
                 intercept_scaling=1.0, stats=None, seed=0):
        self._dm = dm
        if stats is None:
            stats = device_column_stats(dm, np.ones(dm.shape[0]),
                                        intercept == "unpenalized")
        super().__init__(dm.host, y, s, lam, intercept=intercept, w0=w0, b0=b0,
                         intercept_scaling=intercept_scaling, stats=stats,
                         seed=seed)

    def _residual(self, rescore=True):
        if rescore:  # the scores X w + offset, on the device
            p = self.n_features
            support = np.flatnonzero(self.w[:p])
            offset = self.intercept() if self.mode == "penalized" else self.c
            self.z[:] = self._dm.combine(support, self.w[support]) + offset
        super()._residual(rescore=False)

    def solve(self, working_set, eps, gap, min_work, max_work, max_epochs):
        ws = np.sort(working_set)
        with self._dm.backend.activate():
            sub = L1SVMWorkingSet(self, ws)
            x, z, epochs, work, sub_gap = self._run(
                sub, sub.x0, 0.0, (eps, gap, min_work, max_work, max_epochs))
        p, m = self.n_features, sub.m
        self.w[ws[:m]] = x[:m]  # the real columns come first in ws
        if sub.extra is not None:
            if self.mode == "penalized":
                self.w[p] = x[m]
            else:
                self.c = float(x[m])
        self.z[:] = z
        self._residual(rescore=False)
        return epochs, work, sub_gap


class DeviceSVMProblem(_DeviceProducts, SVMProblem):
    """:class:`~blitzlearn._problems._svm.SVMProblem` on a device.

    Parameters
    ----------
    dm : DeviceMatrix
        ``X^T``: the examples are its columns.
    y, upper, bias, seed, C, loss
        As for :class:`~blitzlearn._problems._svm.SVMProblem`.

    The working-set subproblems
    (:class:`~blitzlearn._problems._device_ws.SVMWorkingSet`) run on the
    device, on the working set's examples gathered there.
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


    def solve(self, working_set, eps, gap, min_work, max_work, max_epochs):
        ws = working_set
        if np.any(ws[1:] < ws[:-1]):
            ws = np.sort(ws)
        fixed_u = float(self.alpha.sum() - self.alpha[ws].sum())
        fixed_w = self._fixed_part(ws)
        self._n_solves += 1
        with self._dm.backend.activate():
            sub = SVMWorkingSet(self, ws, fixed_w, fixed_u)
            low = 1.0  # in the metric of the examples' norms: at least 1
            x0 = sub.xp.asarray(self.alpha[ws], dtype=np.float64)
            alpha, self.w, epochs, work, sub_gap = self._run(
                sub, x0, low, (eps, gap, min_work, max_work, max_epochs))
        self.alpha[ws] = alpha
        self._ws_margins = (ws, sub.last_margins) if epochs > 0 else None
        return epochs, work, sub_gap


# the device class of each CPU problem: what build_problem swaps in
ON_DEVICE = {LassoProblem: DeviceLassoProblem,
             LogisticProblem: DeviceLogisticProblem,
             L1SVMProblem: DeviceL1SVMProblem,
             SVMProblem: DeviceSVMProblem}
