# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""What ``verbose`` prints: progress lines and bars, on stdout and the logger.

Every estimator's ``verbose`` output goes through :func:`report`: the line is
printed on stdout, as scikit-learn's estimators print theirs, and the same
record is sent to the ``"blitzlearn"`` logger (level INFO for the lines of
``verbose=1``, DEBUG for the details of ``verbose=2``), so that a user who
configures :mod:`logging` receives them too.  Nothing is printed or logged
with ``verbose=0``.

The paths and the cross-validations draw a text progress bar, a single line
rewritten in place with ``\\r`` and finished by a newline.  Bars nest: a path
run inside a cross-validation (in the same process, from any thread) advances
the cross-validation's bar instead of drawing its own, so that one fit shows
one bar.  A line reported while a bar is open is printed above it (the bar is
erased, the line printed, the bar redrawn).
"""

import logging
import sys
import threading

logger = logging.getLogger("blitzlearn")

_WIDTH = 30
_lock = threading.RLock()
_active = []  # the outermost open bar, if any


def report(verbose, level, message, *args):
    """Print ``message % args`` and log it, when ``verbose >= level``.

    Parameters
    ----------
    verbose : int or bool
        The estimator's ``verbose``.
    level : int
        1 for the progress lines of ``verbose=1`` (logged at INFO), 2 or more
        for the details (logged at DEBUG).
    message : str
        A ``%``-format string, as for :mod:`logging`.
    *args
        Its arguments.
    """
    if int(verbose) < level:
        return
    logger.log(logging.INFO if level <= 1 else logging.DEBUG, message, *args,
               stacklevel=2)
    text = message % args if args else message
    with _lock:
        bar = _active[0] if _active else None
        if bar is not None:
            bar.erase()
        stream = sys.stdout
        stream.write(text + "\n")
        stream.flush()
        if bar is not None:
            bar.redraw()


def inner_verbose(verbose):
    """``verbose`` of the solves of a path: one level below the path's.

    A path or a cross-validation shows its bar at ``verbose=1``; at
    ``verbose=2`` each solve prints what a single fit prints at ``verbose=1``.
    """
    return max(int(verbose) - 1, 0)


class ProgressBar:
    """``desc [#####.....] done/total`` on ``file`` (stdout by default).

    Parameters
    ----------
    total : int
        Number of steps.
    desc : str
        Label printed before the bar.
    file : file-like or None, default=None
        Where to write; None means ``sys.stdout`` at the time of writing.
    """

    def __init__(self, total, desc, file=None):
        self.total = max(int(total), 0)
        self.desc = desc
        self.done = 0
        self._file = file
        self._note = ""
        self._width = 0
        self._draw("")

    def _stream(self):
        return self._file if self._file is not None else sys.stdout

    def _draw(self, note):
        filled = _WIDTH * self.done // self.total if self.total else _WIDTH
        line = (f"{self.desc} [{'#' * filled}{'.' * (_WIDTH - filled)}] "
                f"{self.done}/{self.total}")
        if note:
            line += f"  {note}"
        self._note = note
        # pad with blanks over what a longer earlier line left behind
        pad = " " * max(self._width - len(line), 0)
        self._width = len(line)
        stream = self._stream()
        stream.write(f"\r{line}{pad}")
        stream.flush()

    def erase(self):
        """Blank the bar's line and return to its start (before a printed line)."""
        self._stream().write("\r" + " " * self._width + "\r")
        self._width = 0

    def redraw(self):
        """Draw the bar again (after a printed line)."""
        self._draw(self._note)

    def update(self, n=1, note=""):
        """Advance by ``n`` steps and redraw, with an optional short ``note``."""
        with _lock:
            self.done = min(self.done + n, self.total)
            self._draw(note)

    def close(self):
        """End the line."""
        stream = self._stream()
        stream.write("\n")
        stream.flush()


class _Silent:
    """What a disabled bar, or one nested in another, looks like."""

    def __init__(self, outer=None):
        self._outer = outer

    def update(self, n=1, note=""):
        if self._outer is not None:
            self._outer.update(n, note)


class progress:
    """Context manager yielding a bar with ``update(n=1, note="")``.

    Parameters
    ----------
    total : int
        Number of steps of this bar (ignored when an outer bar is open: the
        steps then advance the outer bar).
    desc : str
        Label of the bar.
    enabled : bool
        Draw a bar; when False nothing is written (an outer bar, if open,
        still advances).
    """

    def __init__(self, total, desc, enabled):
        self.total, self.desc, self.enabled = total, desc, bool(enabled)
        self._bar = None

    def __enter__(self):
        with _lock:
            outer = _active[0] if _active else None
            if outer is None and self.enabled:
                self._bar = ProgressBar(self.total, self.desc)
                _active.append(self._bar)
                return self._bar
        return _Silent(outer)

    def __exit__(self, *exc):
        if self._bar is not None:
            with _lock:
                _active.remove(self._bar)
                self._bar.close()
        return False


def report_certificate(verbose, name, gap, limit, n_iter, converged):
    """Print / log a solve's final certificate, in the estimator's units.

    ``gap`` and ``limit`` are the values the estimator stores (``dual_gap_``
    and the tolerance in objective units), so that the line shows them as
    the fitted attributes hold them.
    """
    report(verbose, 1, "%s: %s, duality gap %.3e (tolerance %.3e) after %d outer "
           "iterations", name, "converged" if converged else "did not converge",
           gap, limit, n_iter)
