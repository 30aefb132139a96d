"""CPU settings benchmark (`make bench` runs it after bench.py): BLAS kernels and a busy CPU.

1. Which OpenBLAS kernels MXNet's own OpenBLAS runs here and which oneDNN instruction set is
   used; ``nd.dot`` (256x784 by 784x256) and one epoch of chapter 5's from-scratch MLP (``mx.np``
   matrix products written out) with the kernels OpenBLAS picks itself, with its generic fallback
   (``Prescott``, what a CPU newer than OpenBLAS 0.3.13 gets) and with the kernels d2l_utils picks.
2. One epoch of a hybridized MLP on 20,000 MNIST images, idle and with a second busy process
   beside it, under MXNet's own settings and under the book's defaults (and the alternatives:
   a fixed thread per core, a short OpenMP spin, a passive OpenMP wait, one thread).

Every measurement runs in a fresh process, since these settings are read when MXNet loads.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SETTINGS = ("OMP_NUM_THREADS", "MXNET_ENGINE_TYPE", "MXNET_OPTIMIZER_AGGREGATION_SIZE", "GOMP_SPINCOUNT",
            "OMP_WAIT_POLICY", "OPENBLAS_CORETYPE", "DNNL_MAX_CPU_ISA", "D2L_MXNET_DEFAULTS",
            "D2L_PIN_NUMERICS")


# ---- what runs inside each fresh process ----------------------------------------------------
def probe(kind: str, repeats: int) -> dict:
    import ctypes

    import d2l_utils as d2l
    import mxnet as mx
    import numpy as np
    lib = ctypes.CDLL(d2l.compat.mxnet_openblas_path())  # the copy MXNet loaded: same handle
    lib.openblas_get_corename.restype = ctypes.c_char_p
    result = {"core": lib.openblas_get_corename().decode(), "threads": os.environ.get("OMP_NUM_THREADS")}
    if kind == "dot":
        a, b = mx.nd.random.uniform(shape=(256, 784)), mx.nd.random.uniform(shape=(784, 256))
        mx.nd.dot(a, b).wait_to_read()
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(50):
                c = mx.nd.dot(a, b)
            c.wait_to_read()
            times.append((time.perf_counter() - start) / 50)
        result["seconds"] = statistics.median(times)
    elif kind == "scratch":
        result["seconds"] = statistics.median(scratch_epoch() for _ in range(repeats))
    elif kind == "mlp":
        result["seconds"] = statistics.median(mlp_epoch(20000) for _ in range(repeats))
    return result


def scratch_epoch() -> float:
    """One epoch of chapter 5's from-scratch MLP (784-256-128-10, batch 256, SGD) in ``mx.np``."""
    import d2l_utils as d2l
    import mxnet as mx
    import numpy as np
    from mxnet import autograd, npx
    npx.set_np()
    X, y, _, _ = d2l.load_mnist_arrays()
    X = mx.np.array(X.reshape(-1, 784).astype(np.float32) / 255)
    y = mx.np.array(y.astype(np.int32))
    mx.random.seed(0)
    sizes = [784, 256, 128, 10]
    params = []
    for m, n in zip(sizes[:-1], sizes[1:]):
        params += [mx.np.random.normal(scale=(2 / m) ** 0.5, size=(m, n)), mx.np.zeros(n)]
    for p in params:
        p.attach_grad()
    start = time.perf_counter()
    for i in range(0, X.shape[0], 256):
        Xb, yb = X[i:i + 256], y[i:i + 256]
        with autograd.record():
            h = Xb
            for k in range(0, len(params), 2):
                h = h @ params[k] + params[k + 1]
                if k + 2 < len(params):
                    h = mx.np.maximum(h, 0)
            loss = -npx.log_softmax(h)[mx.np.arange(Xb.shape[0]), yb].mean()
        loss.backward()
        for p in params:
            p -= 0.1 * p.grad
    mx.nd.waitall()
    return time.perf_counter() - start


def mlp_epoch(n: int) -> float:
    """One epoch of a hybridized Gluon MLP over ``n`` MNIST images with ``d2l.train``."""
    import d2l_utils as d2l
    import mxnet as mx
    import numpy as np
    from mxnet import gluon, init
    from mxnet.gluon import nn
    X, y, _, _ = d2l.load_mnist_arrays()
    X, y = X[:n].reshape(-1, 784).astype(np.float32) / 255, y[:n].astype(np.int32)
    mx.random.seed(0)
    net = nn.HybridSequential()
    net.add(nn.Dense(256, activation="relu"), nn.Dense(128, activation="relu"), nn.Dense(10))
    net.initialize(init.Xavier())
    start = time.perf_counter()
    d2l.train(net, d2l.load_array((X, y), 256), None, gluon.loss.SoftmaxCrossEntropyLoss(),
              ("sgd", {"learning_rate": 0.1}), 1, hybridize=True, verbose=False)
    mx.nd.waitall()
    return time.perf_counter() - start


# ---- the driver -----------------------------------------------------------------------------
def measure(kind: str, env: dict[str, str], repeats: int, busy: bool = False) -> dict:
    """Run ``probe(kind)`` in a fresh process with ``env`` on top of a clean environment."""
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    hog = None
    if busy:  # a second program that wants a whole core, as on a shared machine
        hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        out = subprocess.run([sys.executable, __file__, "--probe", kind, "--repeats", str(repeats)],
                             env=dict(base, **env), capture_output=True, text=True, timeout=1800)
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    if out.returncode != 0:
        raise RuntimeError(f"probe {kind} with {env} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def onednn_isa(env: dict[str, str]) -> str:
    """The instruction set oneDNN reports (DNNL_VERBOSE) when it runs a small convolution."""
    code = ("import d2l_utils, mxnet as mx\nfrom mxnet.gluon import nn\n"
            "c = nn.Conv2D(2, 3); c.initialize(); c(mx.nd.ones((1, 1, 8, 8))).wait_to_read()\n")
    base = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    out = subprocess.run([sys.executable, "-c", code], env=dict(base, DNNL_VERBOSE="1", **env),
                         capture_output=True, text=True, timeout=300)
    for line in (out.stdout + out.stderr).splitlines():
        if "isa:" in line:
            return line.split("isa:", 1)[1].strip()
    return "unknown"


def blas_table(repeats: int) -> None:
    import d2l_utils as d2l
    chosen = d2l.compat.openblas_coretype_choice(d2l.compat.openblas_core(), d2l.compat.cpu_flags())
    print(f"OpenBLAS picks by itself here: {d2l.compat.openblas_core()}; d2l_utils sets "
          f"OPENBLAS_CORETYPE={chosen or '(nothing: the kernels it picks are fast)'}")
    print(f"oneDNN instruction set: {onednn_isa({})} (capped for make test: "
          f"{onednn_isa({'DNNL_MAX_CPU_ISA': 'AVX2'})})")
    rows = [("OpenBLAS's own pick", {"OPENBLAS_CORETYPE": d2l.compat.openblas_core() or "Prescott"}),
            ("generic fallback (Prescott)", {"OPENBLAS_CORETYPE": "Prescott"}),
            ("d2l_utils's pick on such a CPU (Haswell)", {"OPENBLAS_CORETYPE": "Haswell"})]
    print("\n| OpenBLAS kernels | core | nd.dot 256x784x256 | ch. 5 scratch MLP, 1 epoch |")
    print("|---|---|---|---|")
    for label, env in rows:
        dot, epoch = measure("dot", env, repeats), measure("scratch", env, repeats)
        print(f"| {label} | {dot['core']} | {dot['seconds'] * 1e3:.2f} ms | {epoch['seconds']:.2f} s |",
              flush=True)


CONTENTION_ROWS = [
    ("MXNet's own settings (D2L_MXNET_DEFAULTS=0)", {"D2L_MXNET_DEFAULTS": "0"}),
    ("the book's defaults (threads: free cores, sampled at import)", {}),
    ("book's, always one thread per core", {"OMP_NUM_THREADS": str(os.cpu_count())}),
    ("book's, with a short OpenMP spin (GOMP_SPINCOUNT=10000)", {"GOMP_SPINCOUNT": "10000"}),
    ("book's, with OMP_WAIT_POLICY=PASSIVE", {"OMP_WAIT_POLICY": "PASSIVE"}),
    ("book's, with 1 thread", {"OMP_NUM_THREADS": "1"}),
]


def contention_table(repeats: int) -> None:
    print("\n| settings (one epoch, MLP, 20,000 images) | idle | beside a busy process |")
    print("|---|---|---|")
    for label, env in CONTENTION_ROWS:
        idle = measure("mlp", env, repeats)
        busy = measure("mlp", env, repeats, busy=True)
        print(f"| {label} | {idle['seconds']:.2f} s, threads {idle['threads'] or '1 (MXNet)'} | "
              f"{busy['seconds']:.2f} s, threads {busy['threads'] or '1 (MXNet)'} |", flush=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=("blas", "contention"))
    parser.add_argument("--probe", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe:
        print(json.dumps(probe(args.probe, args.repeats)))
        return 0
    if args.only != "contention":
        blas_table(args.repeats)
    if args.only != "blas":
        contention_table(args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
