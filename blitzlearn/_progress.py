# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""A text progress bar on stderr for the paths and the cross-validations.

No dependency: the bar is a single line rewritten in place with ``\\r``,
finished by a newline.  Bars nest: a path run inside a cross-validation (in
the same process, from any thread) advances the cross-validation's bar instead
of drawing its own, so that one fit shows one bar.
"""

import sys
import threading

_WIDTH = 30
_lock = threading.Lock()
_active = []  # the outermost open bar, if any


class ProgressBar:
    """``desc [#####.....] done/total`` on ``file`` (stderr by default).

    Parameters
    ----------
    total : int
        Number of steps.
    desc : str
        Label printed before the bar.
    file : file-like or None, default=None
        Where to write; None means ``sys.stderr`` at the time of writing.
    """

    def __init__(self, total, desc, file=None):
        self.total = max(int(total), 0)
        self.desc = desc
        self.done = 0
        self._file = file
        self._draw("")

    def _draw(self, note):
        filled = _WIDTH * self.done // self.total if self.total else _WIDTH
        line = (f"\r{self.desc} [{'#' * filled}{'.' * (_WIDTH - filled)}] "
                f"{self.done}/{self.total}")
        if note:
            line += f"  {note}"
        stream = self._file if self._file is not None else sys.stderr
        stream.write(line)
        stream.flush()

    def update(self, n=1, note=""):
        """Advance by ``n`` steps and redraw, with an optional short ``note``."""
        with _lock:
            self.done = min(self.done + n, self.total)
            self._draw(note)

    def close(self):
        """End the line."""
        stream = self._file if self._file is not None else sys.stderr
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
