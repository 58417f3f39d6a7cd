# Authors: The blitzlearn developers
# SPDX-License-Identifier: BSD-3-Clause
"""Loaders for the LIBSVM benchmark files used by the tests and benchmarks.

The files are not shipped with blitzlearn: they live in a folder of
bzip2-compressed svmlight files (by default ``../shared/datasets`` next to a
checkout).  :func:`load_libsvm` knows how the usual sets are split or stacked.
"""

import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp

# name -> (files stacked in order, n_features, dense)
LIBSVM_SETS = {
    "leukemia": (("leu.bz2", "leu.t.bz2"), 7129, True),
    "colon-cancer": (("colon-cancer.bz2",), None, True),
    "duke": (("duke.bz2",), None, True),
    "gisette": (("gisette_scale.t.bz2",), None, True),
    "arcene": (("arcene.bz2",), None, True),
    "a9a": (("a9a.bz2",), 123, False),
    "w8a": (("w8a.bz2",), 300, False),
    "dorothea": (("dorothea.bz2",), None, False),
    "news20": (("news20.bz2",), None, False),
}


def default_data_home():
    """Folder the LIBSVM files are read from by default.

    Returns
    -------
    path : Path
        ``$BLITZLEARN_DATA`` if that environment variable is set, else
        ``shared/datasets`` beside the checkout (``../shared/datasets``
        from the repository root).

    Examples
    --------
    >>> import os
    >>> from blitzlearn.datasets import default_data_home
    >>> saved = os.environ.pop("BLITZLEARN_DATA", None)
    >>> default_data_home().parts[-2:]
    ('shared', 'datasets')
    >>> os.environ["BLITZLEARN_DATA"] = "/data/libsvm"
    >>> default_data_home().as_posix()
    '/data/libsvm'
    >>> if saved is None:
    ...     del os.environ["BLITZLEARN_DATA"]
    ... else:
    ...     os.environ["BLITZLEARN_DATA"] = saved
    """
    env = os.environ.get("BLITZLEARN_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "datasets"


def load_libsvm(name, data_home=None):
    """Load a LIBSVM benchmark set by name.

    Parameters
    ----------
    name : str
        One of ``LIBSVM_SETS`` (``"leukemia"`` stacks ``leu`` and ``leu.t``).
    data_home : str or Path, default=None
        Folder holding the ``.bz2`` files; see :func:`default_data_home`.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features) or CSC matrix
        Fortran-ordered float64 for the dense sets, CSC otherwise.
    y : ndarray of shape (n_samples,)
        Labels as float64.

    Raises
    ------
    ValueError
        If ``name`` is not one of ``LIBSVM_SETS``.
    FileNotFoundError
        If a file of the set is missing from ``data_home``.

    Examples
    --------
    A stand-in for ``a9a.bz2`` (two rows) in a temporary folder; the real
    file is read the same way, with its 123 features:

    >>> import bz2, tempfile
    >>> from pathlib import Path
    >>> from blitzlearn.datasets import load_libsvm
    >>> home = Path(tempfile.mkdtemp())
    >>> _ = (home / "a9a.bz2").write_bytes(bz2.compress(b"+1 3:1 10:1\\n-1 5:1\\n"))
    >>> X, y = load_libsvm("a9a", data_home=home)
    >>> X.shape, X.format, y.tolist()
    ((2, 123), 'csc', [1.0, -1.0])
    >>> import shutil
    >>> shutil.rmtree(home)
    """
    from sklearn.datasets import load_svmlight_file

    if name not in LIBSVM_SETS:
        raise ValueError(f"unknown dataset {name!r}; known: {sorted(LIBSVM_SETS)}")
    files, n_features, dense = LIBSVM_SETS[name]
    home = Path(data_home) if data_home is not None else default_data_home()
    parts = []
    for fname in files:
        path = home / fname
        if not path.exists():
            raise FileNotFoundError(f"{path} not found (dataset {name!r})")
        parts.append(load_svmlight_file(str(path), n_features=n_features))
    X = sp.vstack([p[0] for p in parts]).tocsc()
    y = np.concatenate([p[1] for p in parts]).astype(np.float64)
    if dense:
        return np.asfortranarray(X.toarray()), y
    return X, y
