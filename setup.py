# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Build hook: a wheel carries the compiled Numba kernels (metadata: pyproject.toml).

After ``build_py`` has copied the package into the build folder, the kernels
of a set of tiny fits are compiled there (``python -m blitzlearn._precompile``,
in a subprocess that imports the copy) into ``blitzlearn/_jit_cache``, which
the wheel then holds (see ``blitzlearn/_jit.py``).  The first fit after
``pip install .`` loads them instead of compiling.  Set
``BLITZLEARN_PRECOMPILE=0`` to build without them (the kernels are then
compiled on first use, into the user cache); an editable install never
precompiles.  A failed precompilation is reported and leaves the wheel
without the cache, never fails the build.
"""

import os
import shutil
import subprocess
import sys

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithKernels(build_py):
    """``build_py``, then compile the kernels into the built package."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False) or os.environ.get(
                "BLITZLEARN_PRECOMPILE", "1") == "0":
            return
        target = os.path.join(self.build_lib, "blitzlearn", "_jit_cache")
        shutil.rmtree(target, ignore_errors=True)  # no entries of older sources
        # pip's isolated build environment reaches its packages through
        # PYTHONPATH: keep it, the built package first
        path = [os.path.abspath(self.build_lib), os.environ.get("PYTHONPATH", "")]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, path)))
        env.pop("BLITZLEARN_CACHE_DIR", None)
        print("blitzlearn: compiling the Numba kernels into the wheel "
              "(a minute or more; BLITZLEARN_PRECOMPILE=0 skips it)", flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "blitzlearn._precompile", os.path.abspath(target)],
            env=env, cwd=self.build_lib, capture_output=True, text=True)
        if done.returncode:
            print("blitzlearn: precompiling the kernels failed; the first fit "
                  "will compile them\n" + done.stdout + done.stderr, flush=True)
        else:
            print(done.stdout.strip(), flush=True)


setup(cmdclass={"build_py": BuildWithKernels})
