"""train: accuracy bookkeeping and the one training loop the chapters share."""
import time

import mxnet as mx
import numpy as np
import pytest
from mxnet import gluon, npx

from d2l_utils import data
from d2l_utils.train import (Accumulator, NetWithLoss, Timer, _step_function, accuracy,
                             evaluate_accuracy, train)


def test_accuracy_from_scores_and_labels():
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert accuracy(scores, np.array([1, 0, 0])) == 2
    assert accuracy(mx.nd.array(scores), mx.nd.array([1, 0, 1])) == 3
    assert accuracy(np.array([2, 1]), np.array([2.0, 0.0])) == 1  # predicted labels


def test_accuracy_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="3 predictions but 2 labels"):
        accuracy(np.zeros((3, 4)), np.zeros(2))


def test_accumulator():
    acc = Accumulator(2)
    acc.add(1, 2.5)
    acc.add(mx.nd.array([3]).asscalar(), 1)
    assert acc[0] == 4 and acc[1] == 3.5
    acc.reset()
    assert acc.data == [0.0, 0.0]
    with pytest.raises(ValueError, match="expected 2 values"):
        acc.add(1)


def test_timer_laps():
    timer = Timer()
    time.sleep(0.01)
    first = timer.stop()
    timer.start()
    timer.stop()
    assert first >= 0.01 and len(timer.times) == 2 and timer.sum() >= first
    assert timer.avg() == pytest.approx(timer.sum() / 2)


def blobs(n=400, seed=0):
    """Two well separated Gaussian blobs in 2-D: any working classifier reaches ~100%."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n)
    X = (rng.randn(n, 2) + 3 * (2 * y[:, None] - 1)).astype(np.float32)
    return X, y.astype(np.int32)


def make_net():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(8, activation="relu"), gluon.nn.Dense(2))
    net.initialize(mx.init.Xavier())
    return net


@pytest.mark.parametrize("np_mode", [False, True])
def test_train_learns_and_reports_history(np_mode, capsys):
    if np_mode:
        npx.set_np()
    try:
        mx.random.seed(0)
        np.random.seed(0)
        X, y = blobs()
        train_iter = data.load_array((X, y), 32)
        test_iter = data.load_array(blobs(200, seed=1), 50, shuffle=False)
        net = make_net()
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
        history = train(net, train_iter, test_iter, gluon.loss.SoftmaxCrossEntropyLoss(),
                              trainer, num_epochs=3, hybridize=True)
    finally:
        npx.reset_np()
    assert set(history) == {"loss", "train_acc", "test_acc", "examples_per_sec"}
    assert all(len(v) == 3 for v in history.values())
    assert history["test_acc"][-1] >= 0.97 and history["loss"][-1] < history["loss"][0]
    assert capsys.readouterr().out.count("epoch") == 3


def test_train_splits_batches_across_contexts():
    """Two contexts (cpu(0), cpu(1)) stand in for two GPUs: each gets half of every batch."""
    mx.random.seed(0)
    X, y = blobs()
    ctx = [mx.cpu(0), mx.cpu(1)]
    net = make_net()
    net.initialize(mx.init.Xavier(), ctx=ctx, force_reinit=True)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    history = train(net, data.load_array((X, y), 33), data.load_array(blobs(100, 1), 25, False),
                          gluon.loss.SoftmaxCrossEntropyLoss(), trainer, 2, ctx=ctx, verbose=False)
    assert history["test_acc"][-1] >= 0.97
    assert evaluate_accuracy(net, data.load_array(blobs(100, 1), 25, False), ctx) == history["test_acc"][-1]


def test_evaluate_accuracy_on_empty_iterator_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        evaluate_accuracy(make_net(), [])


def test_train_rejects_zero_epochs():
    with pytest.raises(ValueError, match="num_epochs"):
        train(make_net(), [], None, None, None, 0)


def test_wrong_input_shape_is_reported():
    """A network built for 2 features fed 3: MXNet's shape error, not a silently wrong number."""
    net = make_net()
    net(mx.nd.ones((1, 2)))
    with pytest.raises(mx.base.MXNetError, match="[Ss]hape"):
        evaluate_accuracy(net, [(mx.nd.ones((4, 3)), mx.nd.zeros(4))])


def test_trainer_from_optimizer_spec():
    net = make_net()
    history = train(net, data.load_array(blobs(), 50), None, gluon.loss.SoftmaxCrossEntropyLoss(),
                    ("adam", {"learning_rate": 0.05}), 2, verbose=False, kvstore="local")
    assert history["train_acc"][-1] >= 0.95


@pytest.mark.parametrize("trainer, kvstore, message", [
    ("sgd", "device", "gluon.Trainer or"),
    (("sgd",), "device", "gluon.Trainer or"),
    (None, "dist_sync", "brings its own kvstore")])
def test_bad_trainer_arguments(trainer, kvstore, message):
    net = make_net()
    if trainer is None:
        trainer = gluon.Trainer(net.collect_params(), "sgd")
    with pytest.raises(ValueError, match=message):
        train(net, [], None, None, trainer, 1, kvstore=kvstore)


def test_hybridized_net_trains_with_its_loss_compiled_in():
    """A hybridized net and a Gluon loss run as one NetWithLoss graph; a Python loss runs after."""
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    net = make_net()
    assert not isinstance(_step_function(net, loss), NetWithLoss)  # not hybridized: op by op
    net.hybridize()
    assert isinstance(_step_function(net, loss), NetWithLoss)
    assert not isinstance(_step_function(net, lambda o, t: (o - t) ** 2), NetWithLoss)


@pytest.mark.parametrize("np_mode", [False, True])
def test_compiled_and_separate_loss_train_alike(np_mode):
    """Same start, same batches: the compiled step (loss inside the graph) matches op by op."""
    results = []
    for hybridize in (False, True):
        if np_mode:
            npx.set_np()
        try:
            mx.random.seed(1)
            np.random.seed(1)
            net = make_net()
            trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
            history = train(net, data.load_array(blobs(), 32), None, gluon.loss.SoftmaxCrossEntropyLoss(),
                            trainer, 2, hybridize=hybridize, verbose=False)
            params = [p.data().asnumpy() for p in net.collect_params().values()]
        finally:
            npx.reset_np()
        results.append((history, params))
    (h_sep, p_sep), (h_fused, p_fused) = results
    for a, b in zip(p_sep, p_fused):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_sep["loss"], h_fused["loss"], rtol=1e-5)
    assert h_sep["train_acc"] == h_fused["train_acc"]


def test_train_with_a_python_loss_function():
    """Losses written as plain functions (chapter 3) still train, one operator at a time."""
    mx.random.seed(0)
    X, y = blobs()
    net = make_net()
    net.hybridize()

    def cross_entropy(scores, labels):
        return -mx.nd.pick(mx.nd.log_softmax(scores), labels)

    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    history = train(net, data.load_array((X, y), 32), None, cross_entropy, trainer, 3, verbose=False)
    assert history["train_acc"][-1] >= 0.95 and history["loss"][-1] < history["loss"][0]


@pytest.mark.parametrize("y_hat", [np.array([[0.9], [0.2], [0.7]]),      # one probability per row
                                   np.array([2.3, -1.0, 0.4]),            # one logit per example
                                   mx.nd.array([[0.9], [0.2], [0.7]])])
def test_accuracy_refuses_one_score_per_example(y_hat):
    """Cast to int, 0.9 would count as class 0: refuse and say how to threshold instead."""
    with pytest.raises(ValueError, match=r"threshold it first.*y_hat > 0\.5"):
        accuracy(y_hat, np.array([1, 0, 1]))


def test_accuracy_of_thresholded_scores_and_float_labels():
    probs = np.array([[0.9], [0.2], [0.7]])
    assert accuracy(probs > 0.5, np.array([1, 0, 1])) == 3
    assert accuracy(mx.nd.array([1.0, 0.0, 2.0]), np.array([1, 0, 1])) == 2  # argmax gives floats
    with pytest.raises(ValueError, match=r"shape \(2, 3, 4\)"):
        accuracy(np.zeros((2, 3, 4)), np.zeros(2))


def one_output_net():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(1))
    net.initialize()
    return net


@pytest.mark.parametrize("hybridize", [False, True])
def test_train_refuses_a_one_column_network(hybridize):
    """A logistic model trained with d2l.train once reported accuracy 0.537 for a perfect fit."""
    X, y = blobs()
    y = y.astype(np.float32)  # what a sigmoid loss takes
    net = one_output_net()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    with pytest.raises(ValueError, match=r"shape \(32, 1\).*two units"):
        train(net, data.load_array((X, y), 32), None, gluon.loss.SigmoidBCELoss(), trainer, 1,
              hybridize=hybridize, verbose=False)
    with pytest.raises(ValueError, match=r"shape \(50, 1\)"):
        evaluate_accuracy(net, data.load_array((X, y), 50, shuffle=False))


def test_train_on_an_empty_iterator_is_an_error():
    net = make_net()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    empty = data.ArrayLoader((np.zeros((3, 2), np.float32), np.zeros(3, np.int32)), 4, last_batch="discard")
    with pytest.raises(ValueError, match="train_iter gave no batches"):
        train(net, empty, None, gluon.loss.SoftmaxCrossEntropyLoss(), trainer, 1, verbose=False)
