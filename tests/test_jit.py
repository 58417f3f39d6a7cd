"""The kernel cache (blitzlearn._jit): found after an install, read-only installs work.

Processes are started fresh (a process compiles or loads a kernel once).  A
read-only installation with an unwritable home is simulated twice over: the
copied package and the home folder lose their write bits, and, because root
ignores those bits (the test machines run as root, and an unprivileged user
cannot run the Python interpreter under /root), the child process also gets a
prelude that refuses, with ``PermissionError``, every write below those
folders through ``open``, ``os.open`` and ``os.mkdir`` (what Numba and
``tempfile`` call).
"""

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import blitzlearn
from blitzlearn import _jit

PACKAGE = Path(blitzlearn.__file__).resolve().parent

READ_ONLY_PRELUDE = """
import builtins, io, os
_ROOTS = {roots!r}

def _denied(path):
    if isinstance(path, int):
        return False
    path = os.path.abspath(os.fsdecode(path))
    return any(path == r or path.startswith(r + os.sep) for r in _ROOTS)

def _refuse(path):
    raise PermissionError(13, "Permission denied (read-only, simulated)", path)

_open, _os_open, _mkdir = builtins.open, os.open, os.mkdir

def _checked_open(file, mode="r", *args, **kwargs):
    if any(c in mode for c in "wax+") and _denied(file):
        _refuse(file)
    return _open(file, mode, *args, **kwargs)

def _checked_os_open(path, flags, *args, **kwargs):
    if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and _denied(path):
        _refuse(path)
    return _os_open(path, flags, *args, **kwargs)

def _checked_mkdir(path, *args, **kwargs):
    if _denied(path) and not os.path.exists(path):
        _refuse(path)
    return _mkdir(path, *args, **kwargs)

builtins.open = io.open = _checked_open
os.open, os.mkdir = _checked_os_open, _checked_mkdir
"""

# The copy stands alone: the test environment's own installed blitzlearn,
# whose cache may hold the same sources' kernels (pip install . builds it),
# must not be found through the package metadata (see installed_cache).
ALONE_PRELUDE = """
import importlib.metadata
importlib.metadata.distributions = lambda **kwargs: iter(())
"""

KERNEL_CALL = """
import json, warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    import numpy as np
    from blitzlearn._kernels._columns import EMPTY_INDEX, xt_dot
    out = np.zeros(2)
    xt_dot(np.arange(6.0), EMPTY_INDEX, EMPTY_INDEX, 3, False, np.ones(3),
           np.arange(2), out)
assert out.tolist() == [3.0, 12.0], out
print(json.dumps(dict(hits=sum(xt_dot.stats.cache_hits.values()),
                      misses=sum(xt_dot.stats.cache_misses.values()),
                      warnings=[str(w.message) for w in caught])))
"""

FITS = """
import json, warnings
import numpy as np
from sklearn.linear_model import Lasso
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as caught:
    from blitzlearn import (AdaScaleSGDClassifier, BlitzLasso, BlitzLassoCV,
                            BlitzLogisticL1, BlitzLogisticL1CV, BlitzSVC)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 6))
    y = X @ np.array([1.0, -2.0, 0.0, 0.0, 0.5, 0.0]) + 0.1 * rng.standard_normal(40)
    labels = (y > 0).astype(int)
    lasso = BlitzLasso(alpha=0.1, tol=1e-10).fit(X, y)
    gaps = dict(
        lasso=float(lasso.dual_gap_),
        lasso_cv=float(BlitzLassoCV(alphas=3, cv=2).fit(X, y).dual_gap_),
        logistic=float(np.max(BlitzLogisticL1(C=1.0).fit(X, labels).dual_gap_)),
        logistic_cv=float(np.max(
            BlitzLogisticL1CV(Cs=2, cv=2).fit(X, labels).dual_gap_)),
        svc=float(np.max(BlitzSVC(C=1.0).fit(X, labels).dual_gap_)),
    )
    sgd = AdaScaleSGDClassifier(scale=2, random_state=0).fit(X, labels)
reference = Lasso(alpha=0.1, tol=1e-12, max_iter=100000).fit(X, y).coef_
print(json.dumps(dict(
    lasso_error=float(np.max(np.abs(lasso.coef_ - reference))),
    sgd_accuracy=float(sgd.score(X, labels)), gaps=gaps,
    warnings=[f"{type(w.message).__name__}: {w.message}" for w in caught])))
"""


def _copy_package(site):
    """Copy the imported package (sources only) into ``site/blitzlearn``."""
    shutil.copytree(PACKAGE, site / "blitzlearn",
                    ignore=shutil.ignore_patterns("__pycache__", "_jit_cache"))


def _run(code, *, site, home, read_only=(), **env):
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("BLITZLEARN_CACHE_DIR", "NUMBA_CACHE_DIR",
                             "XDG_CACHE_HOME", "BLITZLEARN_INSTALLED_CACHE")}
    full_env.update(PYTHONPATH=str(site), HOME=str(home), PYTHONDONTWRITEBYTECODE="1",
                    **env)
    if read_only:
        code = READ_ONLY_PRELUDE.format(roots=[str(p) for p in read_only]) + code
    code = ALONE_PRELUDE + code
    done = subprocess.run([sys.executable, "-c", code], env=full_env, cwd=home.parent,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _freeze(*folders):
    """Remove every write bit below ``folders``; return their file listing."""
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            write = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
            path.chmod(path.stat().st_mode & ~write)
    return _listing(*folders)


def _listing(*folders):
    return sorted(str(p) for folder in folders for p in folder.rglob("*"))


def _thaw(*folders):
    for folder in folders:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


@pytest.fixture
def install(tmp_path):
    """``(site, home)``: a copy of the package and an empty home folder."""
    site, home = tmp_path / "site", tmp_path / "home"
    _copy_package(site)
    home.mkdir()
    yield site, home
    _thaw(site, home)


def test_every_kernel_module_is_in_the_source_hash():
    hashed = {p for pattern in _jit.KERNEL_SOURCES for p in PACKAGE.glob(pattern)}
    declaring = {p for p in PACKAGE.rglob("*.py")
                 if re.search(r"^\s*@(njit|layout_kernel)\b", p.read_text(), re.M)}
    assert declaring, "no kernel found"
    assert declaring <= hashed, sorted(map(str, declaring - hashed))


def test_user_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    for name in ("BLITZLEARN_CACHE_DIR", "NUMBA_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if sys.platform.startswith("linux"):
        assert _jit.user_cache_dir() == tmp_path / "home" / ".cache" / "blitzlearn"
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert _jit.user_cache_dir() == tmp_path / "xdg" / "blitzlearn"
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))
    assert _jit.user_cache_dir() == tmp_path / "numba" / "blitzlearn"
    monkeypatch.setenv("BLITZLEARN_CACHE_DIR", str(tmp_path / "mine"))
    assert _jit.user_cache_dir() == tmp_path / "mine"


def test_installed_cache_is_found_by_a_read_only_install(install):
    site, home = install
    installed = site / "blitzlearn" / "_jit_cache"
    # what setup.py does: compile into the package's own cache folder
    built = _run(KERNEL_CALL, site=site, home=home, BLITZLEARN_CACHE_DIR=str(installed),
                 BLITZLEARN_INSTALLED_CACHE="0")
    assert built["misses"] == 1 and built["warnings"] == []
    assert (installed / _jit.TAG / "_kernels").is_dir()
    # an install rewrites every file: new modification times, same contents
    for path in (site / "blitzlearn").rglob("*.py"):
        os.utime(path, (1e9, 1e9))
    before = _freeze(site, home)
    loaded = _run(KERNEL_CALL, site=site, home=home, read_only=(site, home))
    assert loaded == dict(hits=1, misses=0, warnings=[])
    assert _listing(site, home) == before


def test_user_cache_is_used_when_no_cache_is_installed(install, tmp_path):
    site, home = install
    runs = [_run(KERNEL_CALL, site=site, home=home) for _ in range(2)]
    assert [(r["hits"], r["misses"]) for r in runs] == [(0, 1), (1, 0)]
    assert (home / ".cache" / "blitzlearn" / _jit.TAG / "_kernels").is_dir()
    assert not (site / "blitzlearn" / "_jit_cache").exists()


def test_read_only_install_with_unwritable_home_imports_and_fits(install):
    site, home = install
    before = _freeze(site, home)
    result = _run(FITS, site=site, home=home, read_only=(site, home))
    assert _listing(site, home) == before  # nothing written
    # compiled in memory, said once
    said = [w for w in result["warnings"] if w.startswith("KernelCacheWarning: ")]
    assert len(said) == 1, result["warnings"]
    assert "BLITZLEARN_CACHE_DIR" in said[0]
    assert result["lasso_error"] < 1e-6
    assert result["sgd_accuracy"] > 0.8
    assert all(0 <= gap < 1e-2 for gap in result["gaps"].values()), result["gaps"]


class _Dist:
    """Stands in for the installed distribution's metadata."""

    def __init__(self, site):
        self.site = site

    def locate_file(self, path):
        return self.site / path


@pytest.mark.parametrize("holds_tag", [True, False])
def test_a_shadowing_checkout_reads_the_installed_distributions_cache(
        tmp_path, monkeypatch, holds_tag):
    # python -m blitzlearn run from the repository root imports the checkout,
    # whose package folder has no _jit_cache; the installed copy has one
    other = tmp_path / "site-packages" / "blitzlearn" / "_jit_cache"
    (other / (_jit.TAG if holds_tag else "numba-0-otherhash")).mkdir(parents=True)
    monkeypatch.setattr(_jit, "INSTALLED_CACHE", tmp_path / "checkout" / "_jit_cache")
    # the checkout's own metadata (blitzlearn.egg-info) may be found first
    monkeypatch.setattr(_jit.importlib.metadata, "distributions",
                        lambda name: [_Dist(tmp_path / "checkout"),
                                      _Dist(tmp_path / "site-packages")])
    _jit.installed_cache.cache_clear()
    try:
        found = _jit.installed_cache()
    finally:
        _jit.installed_cache.cache_clear()
    # another copy's entries are read only for the same sources (same TAG)
    assert found == (other if holds_tag else tmp_path / "checkout" / "_jit_cache")
