"""Small fixes that let MXNet 1.9.1 (the last release) import on today's numpy and Python.

MXNet 1.9.1 still refers to ``numpy.bool``, ``numpy.int`` and friends, which numpy 1.24 removed,
and it imports ``distutils``, which Python 3.12 removed (``setuptools`` provides a replacement).
Import this module before ``mxnet``; ``import d2l_utils`` does that for you.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys

import numpy

#: The aliases numpy removed in 1.24 that MXNet 1.9.1 still uses, and what they stood for.
NUMPY_ALIASES = {"bool": bool, "int": int, "float": float, "object": object,
                 "complex": complex, "str": str}


def check_numpy_version(version: str | None = None) -> None:
    """Raise ImportError with instructions when numpy is 2 or newer, which MXNet 1.9.1 cannot use."""
    version = version or numpy.__version__
    major = int(version.split(".")[0])
    if major >= 2:
        raise ImportError(
            f"numpy {version} is installed, but MXNet 1.9.1 needs numpy 1.x (1.23 to 1.26). "
            "Run `pip install 'numpy==1.26.4'` and restart the Python kernel "
            "(on Colab: Runtime > Restart session), then run this cell again.")


def restore_numpy_aliases(np_module=numpy) -> list[str]:
    """Put back the numpy aliases MXNet 1.9.1 needs; return the names that were missing."""
    restored = []
    for name, value in NUMPY_ALIASES.items():
        if name not in np_module.__dict__:
            setattr(np_module, name, value)
            restored.append(name)
    return restored


def check_distutils(python_version: tuple[int, int] | None = None) -> None:
    """Make sure ``import distutils`` works, as MXNet 1.9.1 needs; explain the fix if not.

    Python 3.12 removed distutils; an installed ``setuptools`` provides it again.
    """
    python_version = python_version or sys.version_info[:2]
    try:
        importlib.import_module("distutils")
    except ImportError as err:
        raise ImportError(
            f"MXNet 1.9.1 imports `distutils`, which Python {python_version[0]}.{python_version[1]} "
            "no longer ships. Run `pip install setuptools` (it provides distutils) and try again."
        ) from err


def import_gluoncv():
    """Import GluonCV 0.10 (the model zoo of chapter 8) even where PyTorch 2 is installed, as on Colab.

    GluonCV raises ``RuntimeError`` at import when it finds PyTorch 2 beside MXNet, although its
    MXNet half does not use PyTorch; so PyTorch is hidden from it while it loads.
    """
    if "gluoncv" in sys.modules:
        return sys.modules["gluoncv"]
    if importlib.util.find_spec("gluoncv") is None:
        raise ImportError("GluonCV is not installed: run `pip install gluoncv==0.10.5.post0` "
                          "(requirements.txt pins it) and run this cell again.")
    missing = object()
    torch = sys.modules.get("torch", missing)
    sys.modules["torch"] = None  # `import torch` now raises ImportError, which GluonCV tolerates
    try:
        return importlib.import_module("gluoncv")
    finally:
        if torch is missing:
            del sys.modules["torch"]
        else:
            sys.modules["torch"] = torch


def prepare_for_mxnet() -> list[str]:
    """Run every check and fix above; call it before the first ``import mxnet``."""
    check_numpy_version()
    check_distutils()
    return restore_numpy_aliases()
