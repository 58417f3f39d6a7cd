# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Where the compiled Numba kernels are cached.

Every kernel is declared with :func:`njit` ``(cache=True)``.  Numba's own
cache keeps the machine code beside the sources (or in a user-wide folder),
stamps it with the modification time of the one file that defines the kernel,
and raises ``RuntimeError: cannot cache function`` at import when no folder can
be written.  blitzlearn replaces it with two caches read in turn:

1. the *installed* cache, ``blitzlearn/_jit_cache/``, filled when the wheel is
   built (``setup.py`` runs :mod:`blitzlearn._precompile`) and only ever read,
   so a read-only installation starts from it;
2. the *user* cache, the first of ``$BLITZLEARN_CACHE_DIR``,
   ``$NUMBA_CACHE_DIR/blitzlearn`` and the platform's user cache folder
   (``$XDG_CACHE_HOME/blitzlearn`` or ``~/.cache/blitzlearn`` on Linux) that
   can be written; what a fit compiles (another CPU, a dtype the installed
   cache lacks) is saved there.

When neither holds a kernel and no folder can be written, the kernel is
compiled in memory and one :class:`KernelCacheWarning` says so.  Both caches
file their entries under :data:`TAG`: the Numba version and a SHA-256 of the
sources of every module that defines kernels.  A kernel's machine code may hold
helpers inlined from other files, so a change to any of them moves every kernel
to a new folder; reinstalling (which rewrites every file's modification time)
keeps the installed cache valid.  Within a folder Numba keys each entry by the
kernel's signature and the CPU, so an installed cache built on another CPU is
passed over and the kernels are compiled once more, into the user cache.
"""

import functools
import hashlib
import importlib.metadata
import inspect
import os
import sys
import warnings
from pathlib import Path

import numba
from numba.core import caching

PACKAGE_DIR = Path(__file__).resolve().parent

# Every module whose source reaches compiled code: the kernels, the AdaScale
# statistics, and this file (the cache format).  tests/test_jit.py checks that
# every module declaring a kernel is listed.
KERNEL_SOURCES = ("_jit.py", "_adascale.py", "_kernels/*.py")

INSTALLED_CACHE = PACKAGE_DIR / "_jit_cache"


class KernelCacheWarning(UserWarning):
    """A compiled kernel could not be saved: the next process compiles it again."""


def _source_hash():
    digest = hashlib.sha256()
    for pattern in KERNEL_SOURCES:
        for path in sorted(PACKAGE_DIR.glob(pattern)):
            digest.update(path.relative_to(PACKAGE_DIR).as_posix().encode())
            digest.update(b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


TAG = f"numba-{numba.__version__}-{_source_hash()}"


def user_cache_dir():
    """The folder the user cache lives in (it may not exist or be writable).

    Returns
    -------
    path : pathlib.Path
        ``$BLITZLEARN_CACHE_DIR`` if set, else ``$NUMBA_CACHE_DIR/blitzlearn``
        if that is set, else the platform's user cache folder followed by
        ``blitzlearn``.
    """
    if os.environ.get("BLITZLEARN_CACHE_DIR"):
        return Path(os.environ["BLITZLEARN_CACHE_DIR"])
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"]) / "blitzlearn"
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local"
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "blitzlearn"


def _in_package(py_file):
    return Path(py_file).resolve().is_relative_to(PACKAGE_DIR)


class _Locator(caching._CacheLocator):
    """The folder of a kernel's entries under ``root/TAG``."""

    root = None

    def __init__(self, py_func, py_file):
        self._lineno = py_func.__code__.co_firstlineno
        sub = Path(py_file).resolve().parent.relative_to(PACKAGE_DIR)
        self._path = str(Path(self.root()) / TAG / sub)

    def get_cache_path(self):
        return self._path

    def get_source_stamp(self):
        # the folder already names the sources; no modification time
        return TAG

    def get_disambiguator(self):
        return str(self._lineno)

    @staticmethod
    def usable():
        return True

    @classmethod
    def from_function(cls, py_func, py_file):
        if not (_in_package(py_file) and cls.usable()):
            return None
        self = cls(py_func, py_file)
        try:
            self.ensure_cache_path()
        except OSError:
            return None
        return self


@functools.cache
def installed_cache():
    """The folder of the installed cache (read-only) for these sources.

    This package's own ``_jit_cache`` when it holds :data:`TAG`; otherwise
    that of the installed distribution, which is another copy when a source
    checkout shadows the installed package (``python -m blitzlearn`` or
    ``python -m pytest`` run from the repository root after
    ``pip install .``).  The :data:`TAG` folder names a hash of the kernel
    sources, so entries are only ever read for identical sources.
    """
    if (INSTALLED_CACHE / TAG).is_dir():
        return INSTALLED_CACHE
    try:
        dist = importlib.metadata.distribution("blitzlearn")
        other = Path(dist.locate_file("blitzlearn/_jit_cache"))
    except (importlib.metadata.PackageNotFoundError, TypeError):
        return INSTALLED_CACHE
    return other if (other / TAG).is_dir() else INSTALLED_CACHE


class _InstalledLocator(_Locator):
    """Read-only: never written, used only where it exists."""

    root = staticmethod(installed_cache)
    usable = staticmethod(
        lambda: os.environ.get("BLITZLEARN_INSTALLED_CACHE", "1") != "0")

    def ensure_cache_path(self):
        if not os.path.isdir(self._path):
            raise OSError(f"no installed kernel cache at {self._path}")


class _UserLocator(_Locator):
    """Written by the first process that compiles a kernel (Numba's test)."""

    root = staticmethod(user_cache_dir)


class _InstalledImpl(caching.CompileResultCacheImpl):
    _locator_classes = [_InstalledLocator]


class _UserImpl(caching.CompileResultCacheImpl):
    _locator_classes = [_UserLocator]


class _InstalledCache(caching.FunctionCache):
    _impl_class = _InstalledImpl


class _UserCache(caching.FunctionCache):
    _impl_class = _UserImpl


def _open(cache_class, py_func):
    try:
        return cache_class(py_func)
    except RuntimeError:  # Numba: no locator available
        return None


_warned = []


def _warn_once(message):
    if not _warned:
        _warned.append(message)
        warnings.warn(message, KernelCacheWarning, stacklevel=3)


class KernelCache(caching._Cache):
    """Numba cache of one kernel: the installed cache, then the user cache.

    Parameters
    ----------
    py_func : function
        The kernel's Python function.
    """

    def __init__(self, py_func):
        self._name = py_func.__qualname__
        self._installed = _open(_InstalledCache, py_func)
        self._user = _open(_UserCache, py_func)
        self._enabled = True

    @property
    def cache_path(self):
        cache = self._user or self._installed
        return None if cache is None else cache.cache_path

    def load_overload(self, sig, target_context):
        if not self._enabled:
            return None
        for cache in (self._installed, self._user):
            if cache is not None:
                data = cache.load_overload(sig, target_context)
                if data is not None:
                    return data
        return None

    def save_overload(self, sig, data):
        if not self._enabled:
            return
        if self._user is not None:
            try:
                self._user.save_overload(sig, data)
                return
            except OSError:
                self._user = None
        _warn_once(
            f"blitzlearn compiled {self._name} but found no writable folder to "
            f"cache it in (tried {user_cache_dir()}); every new process compiles "
            "it again. Set BLITZLEARN_CACHE_DIR to a writable folder.")

    def enable(self):
        self._enabled = True

    def disable(self):
        self._enabled = False

    def flush(self):
        if self._user is not None:
            self._user.flush()


def njit(*args, **options):
    """``numba.njit``, with ``cache=True`` meaning blitzlearn's :class:`KernelCache`.

    Parameters
    ----------
    *args : function, optional
        The function, for the bare ``@njit`` form.
    **options
        Numba's options.

    Returns
    -------
    decorator or dispatcher
        As ``numba.njit``.
    """
    if not options.pop("cache", False):
        return numba.njit(*args, **options)
    decorate = numba.njit(**options)

    def wrap(func):
        dispatcher = decorate(func)
        if not hasattr(dispatcher, "py_func"):  # NUMBA_DISABLE_JIT
            return dispatcher
        if not _in_package(inspect.getfile(func)):
            # not one of blitzlearn's (a test's, say): Numba's own cache
            try:
                dispatcher.enable_caching()
            except RuntimeError:  # no writable folder: compile in memory
                pass
            return dispatcher
        dispatcher._cache = KernelCache(dispatcher.py_func)
        return dispatcher

    return wrap(args[0]) if args else wrap
