"""Speed benchmarks for the book (`make bench`; not part of `make test`).

On one machine, with the same data held in memory, the same models and batch size 256:

1. ``d2l.train`` against a hand-written hybridized Gluon loop (the helper's overhead);
2. Gluon (hybridized) against PyTorch eager on the CPU, for the book's MNIST MLP and LeNet
   (examples per second and test accuracy after the same number of epochs);
3. ``load_mnist``'s loader against slicing in-memory arrays by hand.

Each timing is the median of ``--repeats`` runs after one warm-up. Prints a table with each ratio
and its goal.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import d2l_utils as d2l  # noqa: E402  (first: makes MXNet importable)
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import autograd, gluon, init  # noqa: E402
from mxnet.gluon import nn  # noqa: E402

BATCH = 256


def mnist(flat: bool):
    X_train, y_train, X_test, y_test = d2l.load_mnist_arrays()
    shape = (-1, 784) if flat else (-1, 1, 28, 28)
    prep = lambda X: (X.astype(np.float32) / 255).reshape(shape)  # noqa: E731
    return prep(X_train), y_train.astype(np.int32), prep(X_test), y_test.astype(np.int32)


# ---- the book's models, in Gluon and in PyTorch --------------------------------------------
def gluon_mlp():
    net = nn.HybridSequential()
    net.add(nn.Dense(256, activation="relu"), nn.Dense(128, activation="relu"), nn.Dense(10))
    return net


def gluon_lenet():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, 5, padding=2, activation="relu"), nn.MaxPool2D(2, 2),
            nn.Conv2D(16, 5, activation="relu"), nn.MaxPool2D(2, 2),
            nn.Dense(120, activation="relu"), nn.Dense(84, activation="relu"), nn.Dense(10))
    return net


def torch_model(kind: str):
    import torch.nn as tnn
    if kind == "mlp":
        return tnn.Sequential(tnn.Linear(784, 256), tnn.ReLU(), tnn.Linear(256, 128), tnn.ReLU(),
                              tnn.Linear(128, 10))
    return tnn.Sequential(tnn.Conv2d(1, 6, 5, padding=2), tnn.ReLU(), tnn.MaxPool2d(2),
                          tnn.Conv2d(6, 16, 5), tnn.ReLU(), tnn.MaxPool2d(2), tnn.Flatten(),
                          tnn.Linear(400, 120), tnn.ReLU(), tnn.Linear(120, 84), tnn.ReLU(),
                          tnn.Linear(84, 10))


def new_gluon(kind: str):
    mx.random.seed(0)
    net = gluon_mlp() if kind == "mlp" else gluon_lenet()
    net.initialize(init.Xavier())
    net.hybridize(static_alloc=True, static_shape=True)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.05, "momentum": 0.9})
    return net, trainer


# ---- training loops -------------------------------------------------------------------------
class WithLoss(gluon.HybridBlock):
    """The network and its loss as one block, so hybridizing compiles both into one graph."""

    def __init__(self, net, loss):
        super().__init__()
        self.net, self.loss = net, loss

    def hybrid_forward(self, F, X, y):
        return self.loss(self.net(X), y)


def gluon_by_hand(net, trainer, X, y, epochs: int, loop: str = "fast") -> float:
    """Seconds for ``epochs`` of a hand-written Gluon loop (``fast`` or ``plain``) over in-memory data."""
    return (fast_loop if loop == "fast" else plain_loop)(net, trainer, X, y, epochs)


def fast_loop(net, trainer, X, y, epochs: int) -> float:
    """The data held in MXNet and each batch gathered there; network and loss compiled as one graph."""
    step = WithLoss(net, gluon.loss.SoftmaxCrossEntropyLoss())
    step.hybridize(static_alloc=True, static_shape=True)
    X_held, y_held = mx.nd.array(X), mx.nd.array(y, dtype="int32")
    start = time.perf_counter()
    for _ in range(epochs):
        order = mx.nd.array(np.random.permutation(len(X)), dtype="int64")
        for i in range(0, len(X), BATCH):
            idx = order[i:i + BATCH]
            with autograd.record():
                l = step(mx.nd.take(X_held, idx), mx.nd.take(y_held, idx))
            l.backward()
            trainer.step(idx.shape[0])
        mx.nd.waitall()
    return time.perf_counter() - start


def plain_loop(net, trainer, X, y, epochs: int) -> float:
    """Each batch copied from NumPy; the loss applied after the network, operator by operator."""
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(epochs):
        order = np.random.permutation(len(X))
        for i in range(0, len(X), BATCH):
            idx = order[i:i + BATCH]
            Xb, yb = mx.nd.array(X[idx]), mx.nd.array(y[idx], dtype="int32")
            with autograd.record():
                l = loss(net(Xb), yb)
            l.backward()
            trainer.step(len(idx))
        mx.nd.waitall()
    return time.perf_counter() - start


def gluon_with_helper(net, trainer, loader, epochs: int) -> float:
    start = time.perf_counter()
    d2l.train(net, loader, None, gluon.loss.SoftmaxCrossEntropyLoss(), trainer, epochs, verbose=False)
    mx.nd.waitall()
    return time.perf_counter() - start


def gluon_accuracy(net, X, y) -> float:
    return d2l.evaluate_accuracy(net, d2l.load_array((X, y), 1000, shuffle=False))


def torch_train(kind: str, X, y, epochs: int):
    import torch
    torch.manual_seed(0)
    model = torch_model(kind)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    lossf = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(Xt))
        for i in range(0, len(Xt), BATCH):
            idx = order[i:i + BATCH]
            opt.zero_grad()
            lossf(model(Xt[idx]), yt[idx]).backward()
            opt.step()
    return model, time.perf_counter() - start


def torch_accuracy(model, X, y) -> float:
    import torch
    with torch.no_grad():
        return float((model(torch.from_numpy(X)).argmax(1).numpy() == y).mean())


# ---- the benchmarks -------------------------------------------------------------------------
def median_time(fn, repeats: int) -> float:
    fn()  # warm-up (hybridization, allocation)
    return statistics.median(fn() for _ in range(repeats))


def bench_helper_overhead(epochs: int, repeats: int):
    X, y, _, _ = mnist(flat=True)
    net, trainer = new_gluon("mlp")
    by_hand = median_time(lambda: gluon_by_hand(net, trainer, X, y, epochs), repeats)
    loader = d2l.load_array((X, y), BATCH)
    helper = median_time(lambda: gluon_with_helper(net, trainer, loader, epochs), repeats)
    return ("1. d2l.train vs hand-written hybridized loop (MLP)", f"{by_hand / epochs:.2f} s/epoch",
            f"{helper / epochs:.2f} s/epoch", helper / by_hand, "helper/hand <= 1.10", helper / by_hand <= 1.10)


def bench_framework(kind: str, epochs: int, repeats: int):
    X, y, Xte, yte = mnist(flat=(kind == "mlp"))
    times = []
    for _ in range(repeats):
        net, trainer = new_gluon(kind)
        gluon_by_hand(net, trainer, X[:BATCH * 4], y[:BATCH * 4], 1)  # warm-up
        times.append(gluon_by_hand(net, trainer, X, y, epochs))
    g_time, g_acc = statistics.median(times), gluon_accuracy(net, Xte, yte)
    times = []
    for _ in range(repeats):
        model, t = torch_train(kind, X, y, epochs)
        times.append(t)
    t_time, t_acc = statistics.median(times), torch_accuracy(model, Xte, yte)
    g_rate, t_rate = len(X) * epochs / g_time, len(X) * epochs / t_time
    return (f"2. Gluon vs PyTorch eager, {kind.upper()} ({epochs} epochs)",
            f"{g_rate:,.0f} ex/s, acc {g_acc:.4f}", f"{t_rate:,.0f} ex/s, acc {t_acc:.4f}",
            g_rate / t_rate, "gluon/torch speed >= 1.00", g_rate >= t_rate)


def bench_loader(repeats: int):
    X, y, _, _ = mnist(flat=False)
    train_iter, _ = d2l.load_mnist(BATCH)

    def by_hand():
        start = time.perf_counter()
        order = np.random.permutation(len(X))
        for i in range(0, len(X), BATCH):
            idx = order[i:i + BATCH]
            Xb, yb = mx.nd.array(X[idx]), mx.nd.array(y[idx], dtype="int32")
            Xb.wait_to_read(), yb.wait_to_read()
        return time.perf_counter() - start

    def loader():
        start = time.perf_counter()
        for Xb, yb in train_iter:
            Xb.wait_to_read(), yb.wait_to_read()
        return time.perf_counter() - start

    hand, helper = median_time(by_hand, repeats), median_time(loader, repeats)
    return ("3. load_mnist loader vs slicing by hand (1 epoch)", f"{hand:.3f} s", f"{helper:.3f} s",
            helper / hand, "loader/hand <= 1.10", helper / hand <= 1.10)


def gluon_rate(kind: str, loop: str, repeats: int) -> float:
    """Examples per second of the hand-written loop (median over ``repeats`` fresh networks)."""
    X, y, _, _ = mnist(flat=(kind == "mlp"))
    epochs, times = (2 if kind == "mlp" else 1), []
    for _ in range(repeats):
        net, trainer = new_gluon(kind)
        gluon_by_hand(net, trainer, X[:BATCH * 4], y[:BATCH * 4], 1, loop)  # warm-up
        times.append(gluon_by_hand(net, trainer, X, y, epochs, loop))
    return len(X) * epochs / statistics.median(times)


LEVERS = [("MXNet's own settings, plain loop", {"D2L_MXNET_DEFAULTS": "0"}, "plain"),
          ("the book's settings, plain loop", {}, "plain"),
          ("the book's settings, fast loop", {}, "fast")]


def bench_levers(repeats: int) -> None:
    """What the settings and the loop each bring: every row runs in a fresh process."""
    import subprocess
    print("\nexamples/s of the hand-written Gluon loop (fresh process per row; settings from d2l_utils.compat)")
    base = {k: v for k, v in os.environ.items()
            if k not in ("OMP_NUM_THREADS", "MXNET_ENGINE_TYPE", "MXNET_OPTIMIZER_AGGREGATION_SIZE")}
    for label, env, loop in LEVERS:
        rates = []
        for kind in ("mlp", "lenet"):
            out = subprocess.run([sys.executable, __file__, "--rate", kind, loop, "--repeats", str(repeats)],
                                 env=dict(base, **env), capture_output=True, text=True, check=True).stdout
            rates.append(float(out.split()[-1]))
        print(f"{label:<34} MLP {rates[0]:>9,.0f}   LeNet {rates[1]:>7,.0f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-torch", action="store_true")
    parser.add_argument("--levers", action="store_true", help="also time each speed setting on its own")
    parser.add_argument("--rate", nargs=2, metavar=("KIND", "LOOP"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rate:  # one row of --levers, in its own process
        print(gluon_rate(*args.rate, args.repeats))
        return 0
    print(f"machine: {os.cpu_count()} cores; MXNet {mx.__version__}, engine "
          f"{os.environ.get('MXNET_ENGINE_TYPE', 'ThreadedEnginePerDevice')}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, MXNET_OPTIMIZER_AGGREGATION_SIZE="
          f"{os.environ.get('MXNET_OPTIMIZER_AGGREGATION_SIZE', 'unset')}")
    rows = [bench_helper_overhead(args.epochs, args.repeats), bench_loader(args.repeats)]
    if not args.skip_torch:
        import torch
        torch.set_num_threads(os.cpu_count())  # PyTorch may default to one thread per physical core
        print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
        rows += [bench_framework("mlp", args.epochs, args.repeats), bench_framework("lenet", 1, args.repeats)]
    header = ("benchmark", "A", "B", "ratio", "goal", "met")
    table = [header] + [(r[0], r[1], r[2], f"{r[3]:.2f}", r[4], "yes" if r[5] else "NO") for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for row in table:
        print(" | ".join(cell.ljust(w) for cell, w in zip(row, widths)))
    if args.levers:
        bench_levers(args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
