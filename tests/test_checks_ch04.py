"""Chapter 4 graders: they pass the reference solutions and name the wrong gradient otherwise."""
import pytest

from d2l_utils import checks  # first: it makes MXNet importable (see d2l_utils.compat)
from mxnet import np as mnp  # noqa: E402  (isort: skip)
from mxnet import npx  # noqa: E402


@pytest.fixture(autouse=True)
def numpy_mode():
    npx.set_np()
    yield
    npx.reset_np()


ACT = {"sigmoid": (npx.sigmoid, lambda f: f * (1 - f)), "tanh": (mnp.tanh, lambda f: 1 - f ** 2),
       "relu": (npx.relu, lambda f: f > 0)}


def bias_reference(X, y, W0, b0, W1, b1, hidden_dphi=lambda f: f * (1 - f), sign=1.0, sum_bias=True):
    f1 = npx.sigmoid(X @ W0 + b0)
    f2 = npx.sigmoid(f1 @ W1 + b1)
    delta2 = sign * (f2 - y) * f2 * (1 - f2)
    delta1 = (delta2 @ W1.T) * hidden_dphi(f1)
    bsum = (lambda d: d.sum(axis=0)) if sum_bias else (lambda d: d)
    return X.T @ delta1, bsum(delta1), f1.T @ delta2, bsum(delta2)


def deep_reference(X, y, Ws, bs, activation="sigmoid", dphi_name=None):
    phi, dphi = ACT[activation][0], ACT[dphi_name or activation][1]
    fs = [X]
    for l, (W, b) in enumerate(zip(Ws, bs)):
        fs.append((npx.sigmoid if l == len(Ws) - 1 else phi)(fs[-1] @ W + b))
    delta = (fs[-1] - y) * fs[-1] * (1 - fs[-1])
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for l in reversed(range(len(Ws))):
        dWs[l], dbs[l] = fs[l].T @ delta, delta.sum(axis=0)
        if l > 0:
            delta = (delta @ Ws[l].T) * dphi(fs[l])
    return dWs, dbs


# ---- ex-backprop-bias -----------------------------------------------------------------------
def test_bias_reference_passes():
    result = checks.check_backprop_bias(bias_reference)
    assert result.passed, result
    assert "PASSED [ex-backprop-bias]" in str(result)


def test_bias_not_implemented():
    def stub(X, y, W0, b0, W1, b1):
        raise NotImplementedError
    assert "not implemented yet" in checks.check_backprop_bias(stub).message


def test_bias_zeros_stub():
    result = checks.check_backprop_bias(lambda X, y, W0, b0, W1, b1: tuple(mnp.zeros_like(p) for p in (W0, b0, W1, b1)))
    assert not result.passed and "the gradient for W1 is all zeros" in result.message


def test_bias_returns_its_input():
    result = checks.check_backprop_bias(lambda X, y, W0, b0, W1, b1: (W0, b0, W1, b1))
    assert not result.passed and "equals W1 itself" in result.message


def test_bias_wrong_sign():
    result = checks.check_backprop_bias(lambda *a: bias_reference(*a, sign=-1.0))
    assert not result.passed and "every gradient has the wrong sign" in result.message


def test_bias_not_summed_over_examples():
    result = checks.check_backprop_bias(lambda *a: bias_reference(*a, sum_bias=False))
    assert not result.passed
    assert "the gradient for b1 has the wrong shape" in result.message and "sum the error term" in result.message
    assert "(right: W1)" in result.message


def test_bias_missing_hidden_derivative_names_the_hidden_layer():
    result = checks.check_backprop_bias(lambda *a: bias_reference(*a, hidden_dphi=lambda f: 1.0))
    assert not result.passed
    assert "the gradient for W0 is wrong" in result.message and "(right: W1, b1)" in result.message


def test_bias_transposed_weight_gradient():
    def transposed(*a):
        dW0, db0, dW1, db1 = bias_reference(*a)
        return dW0.T, db0, dW1, db1
    result = checks.check_backprop_bias(transposed)
    assert not result.passed and "the gradient for W0 has the wrong shape: expected (3, 4), got (4, 3)" in result.message


def test_bias_wrong_return_type():
    result = checks.check_backprop_bias(lambda *a: bias_reference(*a)[:3])
    assert not result.passed and "tuple (dW0, db0, dW1, db1)" in result.message


def test_bias_student_error_is_reported():
    result = checks.check_backprop_bias(lambda X, y, W0, b0, W1, b1: X @ W1)
    assert not result.passed and "your function raised" in result.message


# ---- ex-backprop-deep -----------------------------------------------------------------------
def test_deep_reference_passes():
    result = checks.check_backprop_deep(deep_reference)
    assert result.passed, result
    assert "12 networks" in result.message


def test_deep_not_implemented():
    def stub(X, y, Ws, bs, activation="sigmoid"):
        raise NotImplementedError
    assert "not implemented yet" in checks.check_backprop_deep(stub).message


def test_deep_zeros_stub():
    result = checks.check_backprop_deep(lambda X, y, Ws, bs, a: ([mnp.zeros_like(W) for W in Ws],
                                                                 [mnp.zeros_like(b) for b in bs]))
    assert not result.passed
    assert result.message.startswith("depth 1, sigmoid hidden layers: the gradient for W0 is all zeros")


def test_deep_returns_its_input():
    result = checks.check_backprop_deep(lambda X, y, Ws, bs, a: (Ws, bs))
    assert not result.passed and "equals W0 itself" in result.message


def test_deep_sigmoid_derivative_everywhere_fails_for_tanh():
    result = checks.check_backprop_deep(lambda X, y, Ws, bs, a: deep_reference(X, y, Ws, bs, a, dphi_name="sigmoid"))
    assert not result.passed
    assert result.message.startswith("depth 2, tanh hidden layers: the gradient for W0 is wrong")
    assert "(right: W1, b1)" in result.message


def test_deep_only_two_layers_handled():
    def two_layers_only(X, y, Ws, bs, a):
        dWs, dbs = deep_reference(X, y, Ws, bs, a)
        return dWs[-2:], dbs[-2:]
    result = checks.check_backprop_deep(two_layers_only)
    assert not result.passed
    assert result.message == "depth 3, sigmoid hidden layers: expected 3 weight and 3 bias gradients, got 2 and 2"


def test_deep_wrong_structure():
    result = checks.check_backprop_deep(lambda X, y, Ws, bs, a: None)
    assert not result.passed and "return two lists (dWs, dbs)" in result.message


# ---- shortcuts and named faults ---------------------------------------------------------------

def _sig(z):
    return 1 / (1 + mnp.exp(-z))


def test_backprop_bias_through_autograd_is_a_shortcut():
    from mxnet import autograd

    def with_autograd(X, y, W0, b0, W1, b1):
        params = [p.copy() for p in (W0, b0, W1, b1)]
        for p in params:
            p.attach_grad()
        with autograd.record():
            f2 = _sig(_sig(X @ params[0] + params[1]) @ params[2] + params[3])
            loss = 0.5 * ((f2 - y) ** 2).sum()
        loss.backward()
        return tuple(p.grad for p in params)
    result = checks.check_backprop_bias(with_autograd)
    assert result.message == "passes, but uses autograd: the exercise asks for the gradient by hand"


def test_backprop_deep_through_autograd_is_a_shortcut():
    from mxnet import autograd

    def with_autograd(X, y, Ws, bs, activation="sigmoid"):
        phi = {"sigmoid": _sig, "tanh": mnp.tanh, "relu": npx.relu}[activation]
        params = [p.copy() for p in Ws + bs]
        for p in params:
            p.attach_grad()
        with autograd.record():
            f = X
            for layer in range(len(Ws)):
                z = f @ params[layer] + params[len(Ws) + layer]
                f = _sig(z) if layer == len(Ws) - 1 else phi(z)
            loss = 0.5 * ((f - y) ** 2).sum()
        loss.backward()
        grads = [p.grad for p in params]
        return grads[:len(Ws)], grads[len(Ws):]
    result = checks.check_backprop_deep(with_autograd)
    assert result.message.startswith("passes, but uses autograd"), result


def test_backprop_bias_calling_the_graders_reference_is_a_shortcut():
    def with_reference(X, y, W0, b0, W1, b1):
        dWs, dbs = checks.ch04.reference_grads(
            X.asnumpy(), y.asnumpy(), [W0.asnumpy(), W1.asnumpy()], [b0.asnumpy(), b1.asnumpy()],
            "sigmoid")
        return dWs[0], dbs[0], dWs[1], dbs[1]
    result = checks.check_backprop_bias(with_reference)
    assert result.message == ("passes, but calls the grader's own reference in d2l_utils.checks: "
                              "write the function yourself")


@pytest.mark.parametrize("fault, words", [
    ("no bias", "biases are left out of the forward pass"),
    ("mean", "the loss is the sum"),
    ("sign", "wrong sign")])
def test_backprop_bias_faults_are_named(fault, words):
    def backprop(X, y, W0, b0, W1, b1):
        if fault == "no bias":
            b0, b1 = 0 * b0, 0 * b1
        f1 = _sig(X @ W0 + b0)
        f2 = _sig(f1 @ W1 + b1)
        d2 = (f2 - y) * f2 * (1 - f2) * (-1 if fault == "sign" else 1)
        d2 = d2 / X.shape[0] if fault == "mean" else d2
        d1 = (d2 @ W1.T) * f1 * (1 - f1)
        return X.T @ d1, d1.sum(axis=0), f1.T @ d2, d2.sum(axis=0)
    result = checks.check_backprop_bias(backprop)
    assert not result.passed and words in result.message, result
