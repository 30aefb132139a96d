"""Chapter 5 grader: SGD with momentum passes the reference, and names the mistake otherwise."""
import pytest

from d2l_utils import checks  # first: it makes MXNet importable (see d2l_utils.compat)
from mxnet import np as mnp  # noqa: E402  (isort: skip)
from mxnet import npx  # noqa: E402


@pytest.fixture(autouse=True)
def numpy_mode():
    npx.set_np()
    yield
    npx.reset_np()


def reference(param, grad, velocity, lr, momentum):
    velocity = momentum * velocity + grad
    return param - lr * velocity, velocity


def check(fn):
    result = checks.check_momentum_step(fn)
    assert not result.passed, result
    return result.message


def test_reference_passes():
    result = checks.check_momentum_step(reference)
    assert result.passed, result
    assert str(result).startswith("PASSED [ex-training-momentum] all 12 steps match")


def test_not_implemented():
    def stub(param, grad, velocity, lr, momentum):
        raise NotImplementedError
    assert "not implemented yet" in check(stub)


def test_zeros_stub():
    message = check(lambda p, g, v, lr, m: (mnp.zeros_like(p), mnp.zeros_like(v)))
    assert message == "step 1 with lr=0.1, momentum=0.9: the new parameter is all zeros"


def test_returns_its_input():
    message = check(lambda p, g, v, lr, m: (p, v))
    assert message.startswith("step 1 with lr=0.1, momentum=0.9: the parameter did not move")


def test_plain_sgd_is_caught_at_step_two():
    message = check(lambda p, g, v, lr, m: (p - lr * g, m * v + g))
    assert message.startswith("step 2 with lr=0.1, momentum=0.9: the parameter moved like plain SGD")


def test_old_velocity():
    message = check(lambda p, g, v, lr, m: (p - lr * v, m * v + g))
    assert "step 1" in message and "did not move" in message  # v = 0 at the first step


def test_uphill():
    message = check(lambda p, g, v, lr, m: (p + lr * (m * v + g), m * v + g))
    assert message.startswith("step 1 with lr=0.1, momentum=0.9: the parameter moved uphill")


def test_velocity_not_returned_updated():
    message = check(lambda p, g, v, lr, m: (p - lr * (m * v + g), v))
    assert "the parameter is right but the velocity was not updated" in message


def test_velocity_forgets():
    message = check(lambda p, g, v, lr, m: (p - lr * (m * v + g), g))
    assert message.startswith("step 2") and "forgot the old one" in message


def test_gluon_convention():
    def mxnet_style(p, g, v, lr, m):
        v = m * v - lr * g
        return p + v, v
    message = check(mxnet_style)
    assert "convention v = momentum * v - lr * grad" in message


def test_wrong_return_and_shape():
    assert "return a pair (new_param, new_velocity)" in check(lambda p, g, v, lr, m: p - lr * g)
    message = check(lambda p, g, v, lr, m: (reference(p, g, v, lr, m)[0].reshape(-1), m * v + g))
    assert "the new parameter has the wrong shape: expected (3, 4), got (12,)" in message


def test_student_error_is_reported():
    assert "your function raised" in check(lambda p, g, v, lr, m: p @ g)


def test_momentum_through_mxnets_optimizer_is_a_shortcut():
    import mxnet as mx

    def with_optimizer(param, grad, velocity, lr, momentum):
        weight, mom = param.as_nd_ndarray().copy(), (-lr * velocity).as_nd_ndarray()
        mx.nd.sgd_mom_update(weight, grad.as_nd_ndarray(), mom, lr=lr, momentum=momentum,
                             out=weight)
        return weight.as_np_ndarray(), (-mom / lr).as_np_ndarray()
    result = checks.check_momentum_step(with_optimizer)
    assert result.message.startswith("passes, but uses MXNet's optimizer"), result
