"""Training and evaluation loops shared by the chapters (first written out in chapter 5)."""
from __future__ import annotations

import time

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon


class Accumulator:
    """Running sums of ``n`` quantities (e.g. loss total, correct count, example count)."""

    def __init__(self, n: int):
        self.data = [0.0] * n

    def add(self, *values) -> None:
        if len(values) != len(self.data):
            raise ValueError(f"expected {len(self.data)} values, got {len(values)}")
        self.data = [a + float(b) for a, b in zip(self.data, values)]

    def reset(self) -> None:
        self.data = [0.0] * len(self.data)

    def __getitem__(self, i: int) -> float:
        return self.data[i]


class Timer:
    """A stopwatch that remembers every lap."""

    def __init__(self):
        self.times: list[float] = []
        self.start()

    def start(self) -> None:
        self._t0 = time.perf_counter()

    def stop(self) -> float:
        self.times.append(time.perf_counter() - self._t0)
        return self.times[-1]

    def sum(self) -> float:
        return sum(self.times)

    def avg(self) -> float:
        return self.sum() / len(self.times) if self.times else 0.0


def _to_numpy(x) -> np.ndarray:
    return x.asnumpy() if hasattr(x, "asnumpy") else np.asarray(x)


def accuracy(y_hat, y) -> int:
    """Number of correct predictions. ``y_hat``: class scores (n, classes) or predicted labels (n,).

    One score per example, (n, 1) or non-integer (n,), is refused rather than cast to a label:
    whether it is a probability (threshold 0.5) or a logit (threshold 0) only the caller knows.
    """
    y_hat, y = _to_numpy(y_hat), _to_numpy(y)
    if y_hat.ndim == 2 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    elif y_hat.ndim > 2:
        raise ValueError(f"accuracy got predictions of shape {y_hat.shape}: pass class scores "
                         "(n, classes) or labels (n,)")
    y_hat, y = y_hat.reshape(-1), y.reshape(-1)
    if y_hat.shape[0] != y.shape[0]:
        raise ValueError(f"accuracy got {y_hat.shape[0]} predictions but {y.shape[0]} labels; "
                         "pass one prediction (row of scores) per label")
    if not np.array_equal(y_hat, np.round(y_hat)):
        raise ValueError("accuracy got one non-integer score per example, not labels: threshold it "
                         "first, e.g. accuracy(y_hat > 0.5, y) for probabilities or accuracy(y_hat > 0, y) "
                         "for logits; for several classes pass the scores as (n, classes)")
    return int((y_hat.astype(np.int64) == y.astype(np.int64)).sum())


def check_class_scores(outputs) -> None:
    """Refuse network outputs that are not (batch, classes) scores with 2 or more classes."""
    shape = tuple(outputs.shape)
    if len(shape) != 2 or shape[1] < 2:
        raise ValueError(f"the network returns shape {shape}, but d2l.train and evaluate_accuracy count "
                         "correct predictions from class scores of shape (batch, classes), classes >= 2. "
                         "For a yes/no task give the last layer two units (SoftmaxCrossEntropyLoss); "
                         "for one score or a regression write the loop yourself (chapter 5).")


def _num_correct(y_hat, y):
    """Correct predictions as a device array (no copy to the host), from class scores."""
    return (y_hat.argmax(axis=1).astype("float32") == y.astype("float32")).sum()


def _as_ctx_list(ctx) -> list[mx.Context]:
    if ctx is None:
        return [mx.cpu()]
    return list(ctx) if isinstance(ctx, (list, tuple)) else [ctx]


def _split(batch, ctx_list):
    """Send a batch to one device, or split it along the first axis across several."""
    if len(ctx_list) == 1:
        return [batch.as_in_context(ctx_list[0])]
    return gluon.utils.split_and_load(batch, ctx_list, even_split=False)


def evaluate_accuracy(net, data_iter, ctx=None) -> float:
    """Fraction of examples in ``data_iter`` that ``net`` classifies correctly."""
    ctx_list = _as_ctx_list(ctx)
    correct = total = 0
    for X, y in data_iter:
        for Xs, ys in zip(_split(X, ctx_list), _split(y, ctx_list)):
            scores = net(Xs)
            check_class_scores(scores)
            correct += accuracy(scores, ys)
            total += ys.shape[0]
    if total == 0:
        raise ValueError("evaluate_accuracy got an empty data iterator")
    return correct / total


class NetWithLoss(gluon.HybridBlock):
    """``net`` followed by ``loss`` as one block: returns the losses, their sum, the number of
    correct predictions (from class scores) and the scores themselves.

    Hybridized, the loss and the score-keeping join the network's graph, so a training step runs
    one compiled graph forward and one backward instead of a dozen separate operators besides.
    """

    def __init__(self, net, loss):
        super().__init__()
        self.net, self.loss = net, loss

    def hybrid_forward(self, F, X, y):
        """Per-example losses, their sum, and how many rows of scores pick the label ``y``."""
        outputs = self.net(X)
        losses = self.loss(outputs, y)
        ops = F.np if mx.util.is_np_array() else F  # numpy mode has its own operators
        predicted = ops.argmax(outputs, axis=1).astype("float32")
        return losses, ops.sum(losses), ops.sum(predicted == y.astype("float32")), outputs


def _step_function(net, loss):
    """What a training step calls: the compiled NetWithLoss where net and loss can both be compiled."""
    if isinstance(net, gluon.HybridBlock) and isinstance(loss, gluon.HybridBlock) and net._active:
        fused = NetWithLoss(net, loss)
        fused.hybridize(static_alloc=True, static_shape=True)
        return fused

    def separate(X, y):
        outputs = net(X)
        losses = loss(outputs, y)
        return losses, losses.sum(), _num_correct(outputs, y), outputs
    return separate


def _workers_of(kv) -> int:
    """How many worker processes sum their gradients in ``kv`` (1 unless it is a dist_* store)."""
    if isinstance(kv, str):
        kv = mx.kv.create(kv) if kv.startswith("dist") else None  # compat: the process's one store
    return kv.num_workers if kv is not None and kv.type.startswith("dist") else 1


def make_trainer(net, trainer, kvstore="device"):
    """A ``gluon.Trainer`` from ``trainer``: one already made, or ``(optimizer, params)`` plus ``kvstore``.

    ``kvstore`` is a name ('device', 'local', 'dist_sync', ...) or a store from ``mx.kv.create``.
    Returns the trainer and how many processes share each step (``dist_*`` kvstores: the workers),
    which ``train`` divides by, so a distributed step has the learning rate asked for.
    """
    if isinstance(trainer, gluon.Trainer):
        if kvstore != "device":
            raise ValueError("a ready-made Trainer brings its own kvstore: pass kvstore when you "
                             "create it, or pass the optimizer as ('sgd', {'learning_rate': ...})")
        return trainer, _workers_of(trainer._kvstore_params.get("kvstore"))
    if not (isinstance(trainer, tuple) and len(trainer) == 2 and isinstance(trainer[0], str)):
        raise ValueError(f"trainer must be a gluon.Trainer or (optimizer name, params dict), got {trainer!r}")
    if not isinstance(kvstore, (str, mx.kv.KVStore)):
        raise ValueError(f"kvstore must be a name such as 'dist_sync' or an mx.kv.create(...) store, "
                         f"got {kvstore!r}")
    kv = mx.kv.create(kvstore) if isinstance(kvstore, str) and kvstore.startswith("dist") else kvstore
    return gluon.Trainer(net.collect_params(), trainer[0], trainer[1], kvstore=kv), _workers_of(kv)


def train(net, train_iter, test_iter, loss, trainer, num_epochs: int, ctx=None,
          hybridize: bool = False, verbose: bool = True, animator=None,
          kvstore="device") -> dict[str, list[float]]:
    """Train ``net`` for ``num_epochs``; return the per-epoch history.

    ``ctx`` is one context or a list (each batch is split across them). ``trainer`` is a
    ``gluon.Trainer`` or ``(optimizer, params)``; with the latter, ``kvstore`` picks how gradients
    are combined ('device', 'local', or 'dist_sync' across processes, each passing its own shard of
    the data in batches of one size, e.g. ``ArrayLoader(..., last_batch='discard')``). The history
    has ``loss`` (mean training loss), ``train_acc``, ``test_acc`` and ``examples_per_sec``.
    With ``verbose`` one line per epoch is printed; an ``Animator`` is updated. A hybridized
    ``net`` (``hybridize=True`` or your own call) is compiled together with a Gluon ``loss``.
    """
    if num_epochs < 1:
        raise ValueError(f"num_epochs must be at least 1, got {num_epochs}")
    ctx_list = _as_ctx_list(ctx)
    trainer, workers = make_trainer(net, trainer, kvstore)
    if hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
    step = _step_function(net, loss)
    history = {"loss": [], "train_acc": [], "test_acc": [], "examples_per_sec": []}
    for epoch in range(num_epochs):
        totals, timer = Accumulator(3), Timer()
        loss_sums, correct_sums = [], []  # stay on the device: one sync per epoch, not per batch
        for X, y in train_iter:
            Xs, ys = _split(X, ctx_list), _split(y, ctx_list)
            with autograd.record():
                results = [step(x, t) for x, t in zip(Xs, ys)]
            if not loss_sums:  # first batch: scores must be (batch, classes) to count correct ones
                check_class_scores(results[0][3])
            for losses, *_ in results:
                losses.backward()
            trainer.step(X.shape[0] * workers)  # dist_sync sums the workers' gradients
            for _, loss_sum, correct, _ in results:
                loss_sums.append(loss_sum)
                correct_sums.append(correct)
            totals.add(0, 0, X.shape[0])
        if totals[2] == 0:
            raise ValueError("train_iter gave no batches: check that the data set is not empty and "
                             "that batch_size is not larger than it with last_batch='discard'")
        totals.add(sum(v.asnumpy().item() for v in loss_sums), sum(v.asnumpy().item() for v in correct_sums), 0)
        seconds = timer.stop()
        history["loss"].append(totals[0] / totals[2])
        history["train_acc"].append(totals[1] / totals[2])
        history["test_acc"].append(evaluate_accuracy(net, test_iter, ctx_list) if test_iter is not None else float("nan"))
        history["examples_per_sec"].append(totals[2] / seconds)
        if verbose:
            print(f"epoch {epoch + 1}: loss {history['loss'][-1]:.3f}, train acc "
                  f"{history['train_acc'][-1]:.3f}, test acc {history['test_acc'][-1]:.3f}")
        if animator is not None:
            animator.add(epoch + 1, (history["loss"][-1], history["train_acc"][-1], history["test_acc"][-1]))
    return history
