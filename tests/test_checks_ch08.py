"""The chapter 8 graders pass the reference solutions and fail common mistakes with the right message."""
import numpy as onp
import pytest

import d2l_utils as d2l  # noqa: F401 - prepares numpy for mxnet before mxnet is imported
from d2l_utils import checks
from mxnet import np, npx

npx.set_np()


def corr2d(X, K):
    kh, kw = K.shape
    Y = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + kh, j:j + kw] * K).sum()
    return Y


# ---- the numpy reference itself agrees with MXNet's convolution operator -------------------------

@pytest.mark.parametrize("stride, padding", [((1, 1), (0, 0)), ((2, 3), (1, 2)), ((3, 1), (0, 1))])
def test_reference_matches_mxnet_convolution(stride, padding):
    rng = onp.random.RandomState(0)
    X, K, b = rng.normal(size=(2, 3, 9, 8)), rng.normal(size=(4, 3, 3, 2)), rng.normal(size=4)
    expected = npx.convolution(np.array(X), np.array(K), np.array(b), kernel=(3, 2), stride=stride,
                               pad=padding, num_filter=4)
    got = checks.ch08.conv2d_reference(X, K, b, stride, padding)
    assert got.shape == expected.shape
    assert onp.allclose(got, expected.asnumpy(), atol=1e-4)


# ---- ex-cnn-conv2d: conv2d_forward(X, K, b, stride, padding) -----------------------------------

def conv2d_forward(X, K, b, stride=(1, 1), padding=(0, 0), flip=False, bias=True):
    (sh, sw), (ph, pw) = stride, padding
    n, c_in, h, w = X.shape
    c_out, _, kh, kw = K.shape
    if flip:
        K = K[:, :, ::-1, ::-1]
    Xp = np.zeros((n, c_in, h + 2 * ph, w + 2 * pw))
    Xp[:, :, ph:ph + h, pw:pw + w] = X
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    Y = np.zeros((n, c_out, oh, ow)) + (b.reshape(1, c_out, 1, 1) if bias else 0)
    for a in range(kh):
        for c in range(kw):
            window = Xp[:, :, a:a + sh * (oh - 1) + 1:sh, c:c + sw * (ow - 1) + 1:sw]
            Y = Y + np.einsum("nihw,oi->nohw", window, K[:, :, a, c])
    return Y


def test_conv2d_reference_passes():
    result = checks.check_conv2d_forward(conv2d_forward)
    assert result.passed, result
    assert str(result).startswith("PASSED [ex-cnn-conv2d]")


def test_conv2d_not_implemented():
    def stub(X, K, b, stride=(1, 1), padding=(0, 0)):
        raise NotImplementedError
    result = checks.check_conv2d_forward(stub)
    assert not result.passed and "not implemented yet" in result.message


def test_conv2d_zeros_stub_fails_on_shape():
    result = checks.check_conv2d_forward(lambda X, K, b, stride, padding: np.zeros_like(X))
    assert not result.passed
    assert "has the wrong shape: expected (2, 4, 5, 8), got (2, 3, 7, 9)" in result.message


def test_conv2d_zeros_of_the_right_shape_fail_on_values():
    result = checks.check_conv2d_forward(
        lambda X, K, b, stride, padding: np.zeros_like(conv2d_forward(X, K, b, stride, padding)))
    assert not result.passed and "is wrong at index" in result.message


def test_conv2d_identity_stub_fails_on_shape():
    result = checks.check_conv2d_forward(lambda X, K, b, stride, padding: X)
    assert not result.passed and "wrong shape: expected (2, 4, 5, 8), got (2, 3, 7, 9)" in result.message


def test_conv2d_flipped_kernel_is_named():
    result = checks.check_conv2d_forward(lambda X, K, b, stride, padding: conv2d_forward(X, K, b, stride, padding, flip=True))
    assert not result.passed and "equals a true convolution (kernel flipped)" in result.message


def test_conv2d_missing_bias_is_named():
    result = checks.check_conv2d_forward(lambda X, K, b, stride, padding: conv2d_forward(X, K, b, stride, padding, bias=False))
    assert not result.passed and "is missing the bias" in result.message


def test_conv2d_ignoring_the_stride_fails_on_shape():
    result = checks.check_conv2d_forward(lambda X, K, b, stride, padding: conv2d_forward(X, K, b, (1, 1), padding))
    assert not result.passed
    assert result.message == (
        "conv2d_forward(X of shape (2, 2, 8, 7), K of shape (3, 2, 3, 3), stride=(2, 3), "
        "padding=(1, 2)) has the output shape of stride 1, (2, 3, 8, 9): step the windows by the "
        "stride, floor((n + 2p - k) / s) + 1 outputs per axis, (2, 3, 4, 3)")


def test_conv2d_ignoring_the_padding_fails_on_shape():
    result = checks.check_conv2d_forward(lambda X, K, b, stride, padding: conv2d_forward(X, K, b, stride, (0, 0)))
    assert not result.passed and "padding=(1, 2)) has the shape of an unpadded" in result.message


def test_conv2d_error_in_student_code_is_reported():
    def broken(X, K, b, stride, padding):
        return X @ K
    result = checks.check_conv2d_forward(broken)
    assert not result.passed and result.message.startswith("your function raised")


# ---- ex-cnn-kernel-grad: kernel_grad(X, dY) ----------------------------------------------------

def kernel_grad(X, dY):
    return corr2d(X, dY)


def test_kernel_grad_reference_passes():
    result = checks.check_kernel_grad(kernel_grad)
    assert result.passed, result
    assert str(result).startswith("PASSED [ex-cnn-kernel-grad]")


def test_kernel_grad_not_implemented():
    def stub(X, dY):
        raise NotImplementedError
    result = checks.check_kernel_grad(stub)
    assert not result.passed and "not implemented yet" in result.message


def test_kernel_grad_zeros_stub_fails_on_shape():
    result = checks.check_kernel_grad(lambda X, dY: np.zeros_like(dY))
    assert not result.passed
    assert "has the wrong shape: expected (3, 2), got (4, 6)" in result.message


def test_kernel_grad_identity_stub_fails_on_shape():
    result = checks.check_kernel_grad(lambda X, dY: X)
    assert not result.passed and "has the wrong shape: expected (3, 2), got (6, 7)" in result.message


def test_kernel_grad_flipped_is_named():
    result = checks.check_kernel_grad(lambda X, dY: corr2d(X, dY)[::-1, ::-1])
    assert not result.passed and "flipped in both axes" in result.message


def test_kernel_grad_wrong_sign_fails_on_values():
    result = checks.check_kernel_grad(lambda X, dY: -corr2d(X, dY))
    assert not result.passed and "is wrong at index" in result.message


def test_kernel_grad_swapped_arguments_are_reported():
    result = checks.check_kernel_grad(lambda X, dY: corr2d(dY, X))
    assert not result.passed
    assert "your function raised" in result.message or "wrong shape" in result.message


# ---- shortcuts and the stride requirement -----------------------------------------------------

def test_conv2d_through_npx_convolution_is_a_shortcut():
    def with_npx(X, K, b, stride=(1, 1), padding=(0, 0)):
        return npx.convolution(X, K, b, kernel=K.shape[2:], stride=stride, pad=padding,
                               num_filter=K.shape[0])
    result = checks.check_conv2d_forward(with_npx)
    assert result.message.startswith("passes, but uses a library convolution"), result


def test_conv2d_through_a_gluon_layer_is_a_shortcut():
    from mxnet.gluon import nn

    def with_layer(X, K, b, stride=(1, 1), padding=(0, 0)):
        layer = nn.Conv2D(K.shape[0], K.shape[2:], strides=stride, padding=padding,
                          in_channels=K.shape[1])
        layer.initialize()
        layer.weight.set_data(K)
        layer.bias.set_data(b)
        return layer(X)
    result = checks.check_conv2d_forward(with_layer)
    assert result.message.startswith("passes, but uses a library convolution"), result


def test_conv2d_that_computes_every_output_then_drops_some_breaks_the_requirement():
    def full_then_subsample(X, K, b, stride=(1, 1), padding=(0, 0)):
        return conv2d_forward(X, K, b, (1, 1), padding)[:, :, ::stride[0], ::stride[1]]
    result = checks.check_conv2d_forward(full_then_subsample)
    assert result.message.startswith("passes, but computes outputs the stride skips"), result


def test_conv2d_calling_the_graders_reference_is_a_shortcut():
    def with_reference(X, K, b, stride=(1, 1), padding=(0, 0)):
        return np.array(checks.ch08.conv2d_reference(X, K, b, stride, padding))
    result = checks.check_conv2d_forward(with_reference)
    assert "calls the grader's own reference" in result.message, result


def test_kernel_grad_through_autograd_is_a_shortcut():
    from mxnet import autograd

    def with_autograd(X, dY):
        K = np.zeros((X.shape[0] - dY.shape[0] + 1, X.shape[1] - dY.shape[1] + 1))
        K.attach_grad()
        with autograd.record():  # corr2d without item assignment, which autograd refuses
            Y = sum(K[a, b] * X[a:a + dY.shape[0], b:b + dY.shape[1]]
                    for a in range(K.shape[0]) for b in range(K.shape[1]))
            loss = (Y * dY).sum()
        loss.backward()
        return K.grad
    result = checks.check_kernel_grad(with_autograd)
    assert result.message.startswith("passes, but uses autograd"), result


def test_kernel_grad_sign_is_named():
    result = checks.check_kernel_grad(lambda X, dY: -corr2d(X, dY))
    assert not result.passed and "wrong sign" in result.message, result
