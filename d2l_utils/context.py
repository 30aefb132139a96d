"""Choosing where to compute: a GPU that really works, otherwise the CPU with one clear warning.

A GPU is counted only after a tiny operation has run on it. The last MXNet wheels carry kernels
for compute capability 5.0 to 8.6, so on newer GPUs (Hopper: H100, H200) or without the CUDA 11
libraries they fail at the first operation, not at import. Set ``D2L_FORCE_CPU=1`` to use the CPU.
"""
from __future__ import annotations

import os
import warnings

import mxnet as mx

#: Environment variable that makes every helper here choose the CPU.
FORCE_CPU_ENV = "D2L_FORCE_CPU"

_probe_cache: dict[int, str | None] = {}
_warned: set[str] = set()


class GPUFallbackWarning(UserWarning):
    """Warned once when a GPU was asked for but the CPU is used instead."""


def _warn_once(reason: str) -> None:
    if reason not in _warned:
        _warned.add(reason)
        # Attributed to try_gpu, not to the caller's cell: a notebook's cell is a temporary
        # file (/tmp/ipykernel_.../...py), a path that would land in stored outputs.
        warnings.warn_explicit(f"using the CPU: {reason}", GPUFallbackWarning,
                               filename="d2l_utils.try_gpu", lineno=0,
                               module="d2l_utils.context")


def _cpu_forced() -> bool:
    return os.environ.get(FORCE_CPU_ENV, "").strip().lower() not in ("", "0", "false", "no")


def _cuda_build() -> bool:
    """Whether this MXNet build was compiled with CUDA."""
    return mx.runtime.Features().is_enabled("CUDA")


def _visible_gpus() -> int:
    """How many GPUs the CUDA driver reports; 0 for a CPU-only MXNet build or no driver."""
    try:
        return mx.context.num_gpus()
    except mx.base.MXNetError:
        return 0


def gpu_problem(i: int) -> str | None:
    """Why ``mx.gpu(i)`` cannot be used (a sentence), or None when a tiny operation runs on it."""
    if i in _probe_cache:
        return _probe_cache[i]
    if not _cuda_build():
        problem = ("this MXNet build has no CUDA support (install mxnet-cu112 or mxnet-cu117 "
                   "1.9.1 for a GPU; see README)")
    elif _visible_gpus() <= i:
        problem = f"GPU {i} does not exist ({_visible_gpus()} GPU(s) visible)"
    else:
        try:
            x = mx.nd.ones((2, 2), ctx=mx.gpu(i))
            ok = float((x + x).sum().asscalar()) == 8.0
            problem = None if ok else f"GPU {i} computed a wrong result"
        except mx.base.MXNetError as err:
            first_line = str(err).strip().splitlines()[0][:200]
            problem = (f"GPU {i} is visible but a test operation failed ({first_line}); MXNet 1.9.1 "
                       "supports compute capability 5.0-8.6 and needs the CUDA 11 libraries")
    _probe_cache[i] = problem
    return problem


def num_gpus() -> int:
    """Number of GPUs on which a test operation succeeds (0 when the CPU is forced)."""
    if _cpu_forced():
        return 0
    return sum(gpu_problem(i) is None for i in range(_visible_gpus()))


def try_gpu(i: int = 0) -> mx.Context:
    """Return ``mx.gpu(i)`` if it works, else ``mx.cpu()`` with one warning that says why."""
    if not isinstance(i, int) or i < 0:
        raise ValueError(f"GPU index must be a non-negative integer, got {i!r}")
    if _cpu_forced():
        return mx.cpu()
    problem = gpu_problem(i)
    if problem is None:
        return mx.gpu(i)
    _warn_once(problem)
    return mx.cpu()


def try_all_gpus() -> list[mx.Context]:
    """Return every working GPU, or ``[mx.cpu()]`` (with one warning) when there is none."""
    if _cpu_forced():
        return [mx.cpu()]
    gpus = [mx.gpu(i) for i in range(_visible_gpus()) if gpu_problem(i) is None]
    if gpus:
        return gpus
    _warn_once(gpu_problem(0) or "no working GPU")
    return [mx.cpu()]
