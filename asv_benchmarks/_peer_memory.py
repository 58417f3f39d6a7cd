# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""One fit in a forked child process: its time, its peak memory, a time cap.

Numba and compiled peers allocate outside Python's allocator, where
``tracemalloc`` does not look, so the memory of a fit is measured as resident
memory (RSS): the child process, forked after the data is loaded, releases
the free heap pages it inherited (``malloc_trim``), resets its peak RSS
(``/proc/self/clear_refs``), fits, and reports ``peak RSS - RSS before the
fit``. The pages of ``X`` are shared with the parent and already resident, so
they are not counted; a copy of ``X`` made by the fit is. The memory reported
is that of a second fit in the same child, so that one-off costs of the first
(compilation, library pages touched for the first time) are left out.

The parent waits at most ``max_seconds`` for the fit; a child that takes
longer is killed, and its peak so far is read from ``/proc/<pid>/status``.
"""

import ctypes
import gc
import multiprocessing
import resource
import sys
import time
import traceback
import warnings
from typing import NamedTuple

NAN = float("nan")


class ChildFit(NamedTuple):
    """What a fit in a child process reports.

    ``peak`` is in bytes above the child's baseline. When ``timed_out`` is
    true, ``seconds`` is the cap, ``peak`` the peak reached until the child
    was killed, and the other fields are NaN.
    """

    seconds: float
    peak: float
    objective: float
    gap: float
    nnz: int
    timed_out: bool = False


def _status_bytes(pid="self"):
    """``(VmRSS, VmHWM)`` of a process in bytes, or ``None`` without ``/proc``."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = dict(line.split(":", 1) for line in f if line.startswith("Vm"))
        return (int(fields["VmRSS"].split()[0]) * 1024,
                int(fields["VmHWM"].split()[0]) * 1024)
    except (OSError, KeyError, ValueError):
        return None


def _maxrss_bytes():
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale


def _release_free_heap():
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def reset_peak():
    """Release free heap pages, reset the peak RSS, return the RSS baseline (bytes).

    Falls back to ``ru_maxrss`` (which a fresh child starts near its RSS) where
    ``/proc/self/clear_refs`` cannot be written.
    """
    _release_free_heap()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return _maxrss_bytes()
    status = _status_bytes()
    return status[0] if status else _maxrss_bytes()


def peak_since(baseline, pid="self"):
    """Peak RSS of a process above ``baseline``, in bytes."""
    status = _status_bytes(pid)
    if status is not None:
        return float(status[1] - baseline)
    return float(_maxrss_bytes() - baseline) if pid == "self" else float("nan")


def fit_in_child(make, X, y, certificate, max_seconds=None, target_gap=None):
    """Fit ``make()`` on ``(X, y)`` in a forked child; time and memory of the fit.

    The child fits once (timed, capped, certified). When ``target_gap`` is
    given and that fit meets it, the child fits a second time and reports the
    memory of that warm fit: the first one may include one-off costs (Numba
    compilation, shared-library pages touched for the first time).

    Parameters
    ----------
    make : callable
        Returns an unfitted estimator; called in the child.
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        Training data, inherited by the child (not copied).
    y : ndarray of shape (n_samples,)
        Targets.
    certificate : callable
        ``certificate(model) -> (objective, gap)``, evaluated in the child
        after the memory has been read.
    max_seconds : float, default=None
        Kill the child when the first fit takes longer; ``None`` waits forever.
    target_gap : float, default=None
        Measure the memory on a second fit if the first one's gap is at most
        this; ``None`` measures the first fit.

    Returns
    -------
    result : ChildFit
        Time of the first fit (s), peak RSS increase (bytes), objective, gap
        and number of nonzero weights.

    Raises
    ------
    RuntimeError
        If the fit or the certificate raised in the child.
    """
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)

    def fit(model):
        baseline = reset_peak()
        sender.send(("start", baseline))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            start = time.perf_counter()
            model.fit(X, y)
            seconds = time.perf_counter() - start
        return seconds, peak_since(baseline)

    def child():
        try:
            model = make()
            seconds, peak = fit(model)
            objective, gap = certificate(model)
            nnz = int((model.coef_ != 0).sum())
            sender.send(("done", (seconds, peak, objective, gap, nnz)))
            if target_gap is not None and gap <= target_gap:
                del model
                sender.send(("done", (NAN, fit(make())[1], NAN, NAN, -1)))
        except BaseException:  # report any failure to the parent
            sender.send(("error", traceback.format_exc()))

    def receive(timeout=None):
        kind, baseline = receiver.recv()
        if kind != "start":
            return kind, baseline
        if not receiver.poll(timeout):
            peak = peak_since(baseline, process.pid)
            process.kill()
            return "done", ChildFit(float(timeout), peak, NAN, NAN, -1, True)
        kind, value = receiver.recv()
        return kind, ChildFit(*value) if kind == "done" else value

    process = ctx.Process(target=child, daemon=True)
    process.start()
    sender.close()
    try:
        kind, value = receive(max_seconds)
        if kind == "done" and not value.timed_out and target_gap is not None \
                and value.gap <= target_gap:
            kind, second = receive()  # the memory of the second, warm fit
            value = value._replace(peak=second.peak) if kind == "done" else second
    except EOFError:
        kind, value = "error", None
    finally:
        process.join()
        receiver.close()
    if kind == "error":
        value = value or f"the child died (exit code {process.exitcode})"
        raise RuntimeError(f"fit in the child process failed:\n{value}")
    return value
