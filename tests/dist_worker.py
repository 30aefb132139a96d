"""One process of the distributed test (tests/test_distributed.py); its role comes from DMLC_ROLE.

A worker trains on its shard of a fixed data set with ``d2l.train(..., kvstore='dist_sync')`` and
saves its final parameters and test accuracy to ``$OUT/worker<rank>.npz``. With ``--single`` it
instead trains alone on all the data (the reference run). Scheduler and server roles just import
MXNet, which runs their service loop and exits when the workers finish.
"""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import d2l_utils as d2l  # noqa: E402
import mxnet as mx  # noqa: E402
import numpy as np  # noqa: E402
from mxnet import gluon  # noqa: E402

PER_WORKER_BATCH, WORKERS = 32, 2
# The dead-worker test trains until it is killed: many epochs, each one printed.
EPOCHS = int(os.environ.get("D2L_TEST_EPOCHS", "5"))


def data():
    rng = np.random.RandomState(42)
    y = rng.randint(0, 3, 1200)
    centers = np.array([[0, 3], [3, -2], [-3, -2]])
    X = (rng.randn(1200, 2) + centers[y]).astype(np.float32)
    return X[:900], y[:900].astype(np.int32), X[900:], y[900:].astype(np.int32)


def run(single: bool):
    X, y, Xte, yte = data()
    mx.random.seed(0)
    np.random.seed(0)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(16, activation="relu"), gluon.nn.Dense(3))
    net.initialize(mx.init.Xavier())
    test_iter = d2l.load_array((Xte, yte), 100, shuffle=False)
    optimizer = ("sgd", {"learning_rate": 0.2})
    if single:
        history = d2l.train(net, d2l.load_array((X, y), PER_WORKER_BATCH * WORKERS), test_iter,
                            gluon.loss.SoftmaxCrossEntropyLoss(), optimizer, 5, verbose=False)
        rank = "single"
    else:
        rank = mx.kv.create("dist_sync").rank  # the documented way; d2l.train then shares this store
        print(f"worker rank {rank}", flush=True)
        # dist_sync needs every step to have the same batch size: drop the short last batch
        shard = d2l.ArrayLoader((X[rank::WORKERS], y[rank::WORKERS]), PER_WORKER_BATCH, shuffle=True,
                                last_batch="discard")
        if os.environ.get("D2L_READY_MADE_TRAINER") == "1":  # a Trainer made by hand on the store
            trainer = gluon.Trainer(net.collect_params(), *optimizer, kvstore=mx.kv.create("dist_sync"))
            history = d2l.train(net, shard, test_iter, gluon.loss.SoftmaxCrossEntropyLoss(), trainer, 5,
                                verbose=False)
        else:
            history = d2l.train(net, shard, test_iter, gluon.loss.SoftmaxCrossEntropyLoss(), optimizer,
                                EPOCHS, verbose=EPOCHS != 5, kvstore="dist_sync")
    params = {name: p.data().asnumpy() for name, p in net.collect_params().items()}
    np.savez(Path(os.environ["OUT"]) / f"worker{rank}.npz", test_acc=history["test_acc"][-1], **params)


if __name__ == "__main__":
    if os.environ.get("DMLC_ROLE", "worker") == "worker":
        run(single="--single" in sys.argv)
