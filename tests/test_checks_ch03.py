"""The chapter 3 graders pass the reference solutions and fail common mistakes with the right message."""
import pytest

import d2l_utils as d2l  # noqa: F401 - prepares numpy for mxnet before mxnet is imported
from d2l_utils import checks
from mxnet import np, npx

npx.set_np()


# ---- ex-losses-softmax-ce: -log softmax(z)_y per example, stable -----------------------------

def softmax_cross_entropy(logits, labels):
    m = logits.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    return lse - logits[np.arange(logits.shape[0]), labels]


def naive_softmax_cross_entropy(logits, labels):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return -np.log(p[np.arange(logits.shape[0]), labels])


def log_of_stable_softmax(logits, labels):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    return -np.log(p[np.arange(logits.shape[0]), labels])


def test_softmax_ce_reference_passes():
    result = checks.check_softmax_cross_entropy(softmax_cross_entropy)
    assert result.passed, result
    assert str(result).startswith("PASSED [ex-losses-softmax-ce]")


def test_softmax_ce_through_mxnets_log_softmax_is_a_shortcut():
    def with_pick(logits, labels):
        return -npx.pick(npx.log_softmax(logits), labels)
    result = checks.check_softmax_cross_entropy(with_pick)
    assert not result.passed
    assert result.message.startswith("passes, but uses MXNet's own loss"), result


def test_softmax_ce_not_implemented():
    def stub(logits, labels):
        raise NotImplementedError
    result = checks.check_softmax_cross_entropy(stub)
    assert not result.passed and "not implemented yet" in result.message


@pytest.mark.parametrize("stub, message", [
    (lambda z, y: np.zeros(z.shape[0]), "the loss is wrong at index"),
    (lambda z, y: z, "wrong shape: expected (6,), got (6, 4)"),
    (naive_softmax_cross_entropy, "with huge logits your loss is NaN or infinite: exp overflows"),
    (log_of_stable_softmax, "compute the log-probability directly as z_y - logsumexp(z)"),
    (lambda z, y: -softmax_cross_entropy(z, y), "wrong sign"),
    (lambda z, y: -z[np.arange(z.shape[0]), y], "you left out logsumexp(z)"),
    (lambda z, y: softmax_cross_entropy(z, y).mean(), "return one loss per example"),
    (lambda z, y: softmax_cross_entropy(z, 0 * y), "the loss is wrong at index"),  # ignores the labels
])
def test_softmax_ce_mistakes_fail(stub, message):
    result = checks.check_softmax_cross_entropy(stub)
    assert not result.passed
    assert message in result.message, result.message


# ---- ex-losses-bce-logits: binary cross-entropy from logits, stable ------------------------------

def bce_with_logits(z, y):
    return np.maximum(z, 0) - z * y + np.log(1 + np.exp(-np.abs(z)))


def naive_bce(z, y):
    p = 1 / (1 + np.exp(-z))
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def test_bce_reference_passes():
    result = checks.check_bce_with_logits(bce_with_logits)
    assert result.passed, result
    assert str(result).startswith("PASSED [ex-losses-bce-logits]")


def test_bce_through_gluons_loss_is_a_shortcut():
    from mxnet import gluon
    loss = gluon.loss.SigmoidBinaryCrossEntropyLoss()
    result = checks.check_bce_with_logits(lambda z, y: loss(z.reshape(-1, 1), y.reshape(-1, 1)))
    assert not result.passed
    assert result.message.startswith("passes, but uses MXNet's own loss"), result


def test_bce_not_implemented():
    def stub(z, y):
        raise NotImplementedError
    result = checks.check_bce_with_logits(stub)
    assert not result.passed and "not implemented yet" in result.message


@pytest.mark.parametrize("stub, message", [
    (lambda z, y: np.zeros_like(z), "the loss is wrong at index"),
    (lambda z, y: z, "the loss is wrong at index"),
    (naive_bce, "with huge logits your loss is NaN or infinite"),
    (lambda z, y: -(y * np.log(1 / (1 + np.exp(-z)) + 1e-12)
                    + (1 - y) * np.log(1 - 1 / (1 + np.exp(-z)) + 1e-12)),
     "it is right for ordinary logits, so the trouble is large |z|"),
    (lambda z, y: z - z * y + np.log(1 + np.exp(-z)), "with huge logits your loss is NaN or infinite"),
    (lambda z, y: -bce_with_logits(z, y), "wrong sign"),
    (lambda z, y: -y * np.log(1 / (1 + np.exp(-z))), "you left out the term (1 - y) log(1 - sigmoid(z))"),
    (lambda z, y: bce_with_logits(z, y).sum(), "return one loss per example"),
    (lambda z, y: bce_with_logits(z, 1 - y), "the loss is wrong at index"),  # labels swapped
])
def test_bce_mistakes_fail(stub, message):
    result = checks.check_bce_with_logits(stub)
    assert not result.passed
    assert message in result.message, result.message
