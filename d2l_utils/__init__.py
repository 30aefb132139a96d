"""Helpers for "Deep Learning, Hands-On with MXNet/Gluon".

Import this package before MXNet: it first makes MXNet 1.9.1 importable on numpy 1.24+ and
Python 3.12 (see ``compat``). Each helper is taught in a chapter before the book relies on it.
"""
from . import compat, cuda

compat.prepare_for_mxnet()
cuda.prepare_cuda_mxnet()  # a CUDA build: its CUDA 11 libraries from PyPI, no LD_LIBRARY_PATH
compat.share_dist_kvstore(compat.import_mxnet_quietly())

from . import checks  # noqa: E402
from .claims import below, mean_std, random_state, seed_all, seed_shift  # noqa: E402
from .compat import import_gluoncv  # noqa: E402
from .context import GPUFallbackWarning, num_gpus, try_all_gpus, try_gpu  # noqa: E402
from .data import (ArrayLoader, DataUnavailableError, fetch_mnist, load_array,  # noqa: E402
                   load_digits, load_mnist, load_mnist_arrays, load_python_help, read_idx)
from .plot import Animator, draw_graph, draw_network, draw_unit, plot, set_figsize  # noqa: E402
from .train import Accumulator, Timer, accuracy, evaluate_accuracy, train  # noqa: E402

__version__ = "0.1.0"
__all__ = ["below", "mean_std", "random_state", "seed_all", "seed_shift", "import_gluoncv", "GPUFallbackWarning", "num_gpus", "try_all_gpus", "try_gpu", "ArrayLoader",
           "DataUnavailableError", "fetch_mnist", "load_array", "load_digits", "load_mnist",
           "load_mnist_arrays", "load_python_help", "read_idx", "Animator", "plot", "set_figsize", "Accumulator",
           "Timer", "accuracy", "evaluate_accuracy", "train"]
