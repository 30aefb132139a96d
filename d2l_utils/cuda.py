"""Load the CUDA 11 libraries of PyPI's ``nvidia-*-cu11`` wheels before a CUDA build of MXNet.

The dynamic loader reads ``LD_LIBRARY_PATH`` only when a process starts, so a running kernel
cannot be pointed at these libraries that way. Loading each one by its full path with
``RTLD_GLOBAL``, dependencies first, lets ``libmxnet.so`` find them by name when it loads
(PyTorch loads its own ``nvidia-*`` wheels the same way). A CPU build of MXNet is left alone.
"""
from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple


class CudaLibrary(NamedTuple):
    """One shared library: its folder under ``site-packages/nvidia/``, its name, its package."""

    folder: str
    soname: str
    package: str


#: What ``libmxnet.so`` of ``mxnet-cu117==1.9.1`` needs besides the driver (``readelf -d``),
#: each after the libraries it depends on (cuBLAS needs cuBLASLt; cuSOLVER needs both).
LIBRARIES = (
    CudaLibrary("cuda_runtime", "libcudart.so.11.0", "nvidia-cuda-runtime-cu11"),
    CudaLibrary("cublas", "libcublasLt.so.11", "nvidia-cublas-cu11"),
    CudaLibrary("cublas", "libcublas.so.11", "nvidia-cublas-cu11"),
    CudaLibrary("cufft", "libcufft.so.10", "nvidia-cufft-cu11"),
    CudaLibrary("curand", "libcurand.so.10", "nvidia-curand-cu11"),
    CudaLibrary("cusparse", "libcusparse.so.11", "nvidia-cusparse-cu11"),
    CudaLibrary("cusolver", "libcusolver.so.11", "nvidia-cusolver-cu11"),
    CudaLibrary("cuda_nvrtc", "libnvrtc.so.11.2", "nvidia-cuda-nvrtc-cu11"),
    CudaLibrary("nvtx", "libnvToolsExt.so.1", "nvidia-nvtx-cu11"),
    CudaLibrary("cudnn", "libcudnn.so.8", "nvidia-cudnn-cu11"),
    CudaLibrary("nccl", "libnccl.so.2", "nvidia-nccl-cu11"),
)


class CudaLibraryError(ImportError):
    """A CUDA build of MXNet is installed but some of its CUDA 11 libraries are not."""


def _dirs(paths: Iterable[str] | None) -> list[Path]:
    return [Path(p or ".") for p in (sys.path if paths is None else paths)]


def cuda_build_installed(paths: Iterable[str] | None = None) -> bool:
    """Whether an ``mxnet-cu*`` distribution (a CUDA build of MXNet) is on the import path."""
    return any(any(d.glob("mxnet_cu*.dist-info")) for d in _dirs(paths) if d.is_dir())


def find_library(lib: CudaLibrary, paths: Iterable[str] | None = None) -> Path | None:
    """The first ``<dir>/nvidia/<folder>/lib/<soname>`` on the import path, or None."""
    for d in _dirs(paths):
        candidate = d / "nvidia" / lib.folder / "lib" / lib.soname
        if candidate.is_file():
            return candidate
    return None


def _load_global(name: str) -> object:
    return ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)


def load_cuda_libraries(paths: Iterable[str] | None = None,
                        load: Callable[[str], object] = _load_global) -> list[str]:
    """Load every library of ``LIBRARIES`` in order: from a wheel folder, else the system's.

    Returns what was loaded (full paths, or bare names the system found). Raises
    ``CudaLibraryError`` naming the packages to install when any library cannot be loaded.
    """
    paths = None if paths is None else list(paths)
    loaded: list[str] = []
    missing: list[tuple[CudaLibrary, str]] = []
    for lib in LIBRARIES:
        found = find_library(lib, paths)
        name = str(found) if found else lib.soname
        try:
            load(name)
        except OSError as err:
            missing.append((lib, str(err).strip().splitlines()[0] if str(err).strip() else name))
            continue
        loaded.append(name)
    if missing:
        packages = list(dict.fromkeys(lib.package for lib, _ in missing))
        names = ", ".join(lib.soname for lib, _ in missing)
        raise CudaLibraryError(
            f"The CUDA build of MXNet needs {names}, found neither in a nvidia-*-cu11 wheel nor "
            f"on the system ({missing[0][1]}). Run `pip install {' '.join(packages)}` "
            "(README, 'On a GPU' has the pinned versions) and restart Python; or install "
            "`mxnet==1.9.1` to use the CPU.")
    return loaded


def prepare_cuda_mxnet() -> list[str]:
    """Before MXNet loads: for a CUDA build, load its CUDA 11 libraries; else do nothing."""
    if "mxnet" in sys.modules or not cuda_build_installed():
        return []
    return load_cuda_libraries()
