"""The chapter 2 graders pass the reference solutions and fail common mistakes with the right message."""
import pytest

import d2l_utils as d2l  # noqa: F401 - prepares numpy for mxnet before mxnet is imported
from d2l_utils import checks
from mxnet import np, npx

npx.set_np()


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


# ---- ex-oneunit-bias: f = sigmoid(X w + b), loss 1/2 sum (f - y)^2 ---------------------------

def unit_gradients(X, y, w, b):
    f = sigmoid(X @ w + b)
    delta = (f - y) * f * (1 - f)
    return X.T @ delta, delta.sum(axis=0)


def test_unit_gradients_reference_passes():
    result = checks.check_unit_gradients(unit_gradients)
    assert result.passed, result
    assert str(result).startswith("PASSED [ex-oneunit-bias]")


def test_unit_gradients_scalar_bias_gradient_is_accepted():
    def scalar_b(X, y, w, b):
        gw, gb = unit_gradients(X, y, w, b)
        return gw, gb.sum()
    assert checks.check_unit_gradients(scalar_b).passed


def test_unit_gradients_not_implemented():
    def stub(X, y, w, b):
        raise NotImplementedError
    result = checks.check_unit_gradients(stub)
    assert not result.passed and "not implemented yet" in result.message
    assert str(result).startswith("NOT YET [ex-oneunit-bias]")


def test_unit_gradients_zeros_fail():
    result = checks.check_unit_gradients(lambda X, y, w, b: (np.zeros_like(w), np.zeros_like(b)))
    assert not result.passed
    assert "grad_w is wrong at index" in result.message and "got 0" in result.message


def test_unit_gradients_input_unchanged_fails():
    result = checks.check_unit_gradients(lambda X, y, w, b: (w, b))
    assert not result.passed and "grad_w is wrong at index" in result.message


def test_unit_gradients_slide_sign_fails():
    def slide_sign(X, y, w, b):  # epsilon = (y - f), as on the lecture's slide
        f = sigmoid(X @ w + b)
        delta = (y - f) * f * (1 - f)
        return X.T @ delta, delta.sum(axis=0)
    result = checks.check_unit_gradients(slide_sign)
    assert not result.passed and "wrong sign" in result.message and "grad_w" in result.message


def test_unit_gradients_missing_derivative_fails():
    def no_derivative(X, y, w, b):
        f = sigmoid(X @ w + b)
        return X.T @ (f - y), (f - y).sum(axis=0)
    result = checks.check_unit_gradients(no_derivative)
    assert not result.passed and "missing the sigmoid's derivative" in result.message


def test_unit_gradients_mean_loss_fails():
    def mean(X, y, w, b):
        gw, gb = unit_gradients(X, y, w, b)
        return gw / X.shape[0], gb / X.shape[0]
    result = checks.check_unit_gradients(mean)
    assert not result.passed and "gradient of the mean loss" in result.message


def test_unit_gradients_bias_not_summed_fails():
    def per_example_bias(X, y, w, b):
        f = sigmoid(X @ w + b)
        delta = (f - y) * f * (1 - f)
        return X.T @ delta, delta
    result = checks.check_unit_gradients(per_example_bias)
    assert not result.passed and "grad_b must be a single number" in result.message


def test_unit_gradients_wrong_bias_sign_only_fails():
    def bias_sign(X, y, w, b):
        gw, gb = unit_gradients(X, y, w, b)
        return gw, -gb
    result = checks.check_unit_gradients(bias_sign)
    assert not result.passed and result.message.startswith("grad_b is wrong: it has the wrong sign")


def test_unit_gradients_single_return_value_fails():
    result = checks.check_unit_gradients(lambda X, y, w, b: unit_gradients(X, y, w, b)[0])
    assert not result.passed and "return a pair (grad_w, grad_b)" in result.message


def test_unit_gradients_transposed_fails():
    def transposed(X, y, w, b):
        gw, gb = unit_gradients(X, y, w, b)
        return gw.T, gb
    result = checks.check_unit_gradients(transposed)
    assert not result.passed and "wrong shape" in result.message


def test_unit_gradients_error_is_reported():
    result = checks.check_unit_gradients(lambda X, y, w, b: (X @ y, b))
    assert not result.passed and "your function raised" in result.message


# ---- ex-oneunit-tanh: f = tanh(X w), targets -1/+1 -------------------------------------------

def tanh_unit_gradient(X, y, w):
    f = np.tanh(X @ w)
    return X.T @ ((f - y) * (1 - f ** 2))


def test_tanh_reference_passes():
    result = checks.check_tanh_unit_gradient(tanh_unit_gradient)
    assert result.passed, result


@pytest.mark.parametrize("stub, message", [
    (lambda X, y, w: np.zeros_like(w), "the gradient is wrong at index"),
    (lambda X, y, w: w, "the gradient is wrong at index"),
    (lambda X, y, w: -tanh_unit_gradient(X, y, w), "wrong sign"),
    (lambda X, y, w: X.T @ ((np.tanh(X @ w) - y) * np.tanh(X @ w) * (1 - np.tanh(X @ w))),
     "uses the sigmoid's derivative"),
    (lambda X, y, w: X.T @ (np.tanh(X @ w) - y), "missing the derivative of tanh"),
    (lambda X, y, w: tanh_unit_gradient(X, y, w) / X.shape[0], "gradient of the mean loss"),
    (lambda X, y, w: tanh_unit_gradient(X, y, w).reshape(-1), "wrong shape"),
])
def test_tanh_mistakes_fail(stub, message):
    result = checks.check_tanh_unit_gradient(stub)
    assert not result.passed
    assert message in result.message, result.message


# ---- shortcuts: the gradient through autograd earns nothing -----------------------------------

def test_unit_gradients_through_autograd_is_a_shortcut():
    from mxnet import autograd

    def with_autograd(X, y, w, b):
        w, b = w.copy(), b.copy()
        w.attach_grad()
        b.attach_grad()
        with autograd.record():
            loss = 0.5 * ((sigmoid(X @ w + b) - y) ** 2).sum()
        loss.backward()
        return w.grad, b.grad
    result = checks.check_unit_gradients(with_autograd)
    assert str(result) == ("NOT YET [ex-oneunit-bias] passes, but uses autograd: the exercise "
                           "asks for the gradient by hand")


def test_tanh_gradient_through_autograd_is_a_shortcut():
    from mxnet.autograd import record  # imported under another name: still seen

    def with_autograd(X, y, w):
        w = w.copy()
        w.attach_grad()
        with record():
            loss = 0.5 * ((np.tanh(X @ w) - y) ** 2).sum()
        loss.backward()
        return w.grad
    result = checks.check_tanh_unit_gradient(with_autograd)
    assert not result.passed and result.message.startswith("passes, but uses autograd"), result


def test_unit_gradients_without_the_bias_in_the_forward_pass_is_named():
    def no_bias(X, y, w, b):
        f = sigmoid(X @ w)
        delta = (f - y) * f * (1 - f)
        return X.T @ delta, delta.sum(axis=0)
    result = checks.check_unit_gradients(no_bias)
    assert not result.passed and "bias is left out of the forward pass" in result.message, result


def test_unit_gradients_transposed_is_named():
    def transposed(X, y, w, b):
        f = sigmoid(X @ w + b)
        delta = (f - y) * f * (1 - f)
        return delta.T @ X, delta.sum(axis=0)
    result = checks.check_unit_gradients(transposed)
    assert not result.passed and "transposed" in result.message, result
