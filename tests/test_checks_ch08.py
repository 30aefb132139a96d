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


# ---- hardening: every door to a library convolution or autograd, and skipped work in any layout -

def _conv2d_nhwc(X, K, b, stride, padding, keep_only=True):
    """Channels-last convolution; keep_only=False computes every stride-1 output first."""
    (sh, sw), (ph, pw) = stride, padding
    n, c_in, h, w = X.shape
    c_out, _, kh, kw = K.shape
    Xt = np.zeros((n, h + 2 * ph, w + 2 * pw, c_in))
    Xt[:, ph:ph + h, pw:pw + w, :] = X.transpose(0, 2, 3, 1)
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    step_h, step_w = (sh, sw) if keep_only else (1, 1)
    rows, cols = (oh, ow) if keep_only else (h + 2 * ph - kh + 1, w + 2 * pw - kw + 1)
    Y = np.zeros((n, rows, cols, c_out)) + b
    for a in range(kh):
        for c in range(kw):
            window = Xt[:, a:a + step_h * (rows - 1) + 1:step_h, c:c + step_w * (cols - 1) + 1:step_w]
            Y = Y + np.einsum("nhwi,oi->nhwo", window, K[:, :, a, c])
    if not keep_only:
        Y = Y[:, ::sh, ::sw]
    return Y.transpose(0, 3, 1, 2)


def _conv2d_im2col(X, K, b, stride, padding, keep_only=True):
    """Windows unfolded into columns (positions flattened); keep_only=False unfolds every
    stride-1 position and drops the skipped outputs at the end."""
    (sh, sw), (ph, pw) = stride, padding
    n, c_in, h, w = X.shape
    c_out, _, kh, kw = K.shape
    Xp = np.zeros((n, c_in, h + 2 * ph, w + 2 * pw))
    Xp[:, :, ph:ph + h, pw:pw + w] = X
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    rows, cols = (oh, ow) if keep_only else (h + 2 * ph - kh + 1, w + 2 * pw - kw + 1)
    step_h, step_w = (sh, sw) if keep_only else (1, 1)
    columns = np.stack([Xp[:, :, a:a + step_h * (rows - 1) + 1:step_h,
                           c:c + step_w * (cols - 1) + 1:step_w].reshape(n, c_in, rows * cols)
                        for a in range(kh) for c in range(kw)], axis=2)  # (n, c_in, kh kw, P)
    columns = columns.reshape(n, c_in * kh * kw, rows * cols)
    Y = np.einsum("ok,nkp->nop", K.reshape(c_out, -1), columns) + b.reshape(1, -1, 1)
    if not keep_only:
        keep = onp.array([i * cols + j for i in range(0, rows, sh) for j in range(0, cols, sw)])
        Y = Y[:, :, np.array(keep, dtype="int64")]
    return Y.reshape(n, c_out, oh, ow)


def _conv2d_per_output(X, K, b, stride, padding):
    """One output position at a time, only at the kept positions."""
    (sh, sw), (ph, pw) = stride, padding
    n, c_in, h, w = X.shape
    c_out, _, kh, kw = K.shape
    Xp = np.zeros((n, c_in, h + 2 * ph, w + 2 * pw))
    Xp[:, :, ph:ph + h, pw:pw + w] = X
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    Y = np.zeros((n, c_out, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = Xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            Y[:, :, i, j] = np.einsum("nihw,oihw->no", patch, K) + b
    return Y


@pytest.mark.parametrize("honest", [_conv2d_nhwc, _conv2d_im2col, _conv2d_per_output])
def test_conv2d_honest_layouts_pass(honest):
    """No array of a solution that computes only the kept outputs is taken for skipped work."""
    result = checks.check_conv2d_forward(honest)
    assert result.passed, result
    assert "on 5 hidden batches" in result.message


@pytest.mark.parametrize("layout", [_conv2d_nhwc, _conv2d_im2col])
def test_conv2d_skipped_work_is_found_in_other_layouts(layout):
    def full_then_drop(X, K, b, stride=(1, 1), padding=(0, 0)):
        return layout(X, K, b, stride, padding, keep_only=False)
    result = checks.check_conv2d_forward(full_then_drop)
    assert not result.passed
    assert result.message.startswith("passes, but computes outputs the stride skips"), result


def test_skipped_work_shapes_name_the_stride_one_output():
    shapes = checks.ch08.skipped_work_shapes(*checks.ch08.STRIDE_CASE[:2], (0, 1))
    assert (15, 26) in shapes and (26, 15) in shapes  # rows x columns of the stride-1 output
    assert (26, 5) in shapes  # channels last
    assert (5, 390) in shapes and (780, 18) in shapes  # positions flattened (im2col)
    kept = (5, 7)
    assert kept not in shapes and (17, 25) not in shapes and (3, 2) not in shapes


def test_conv2d_through_a_layer_hybridized_beforehand_is_a_shortcut():
    """A compiled layer calls no convolution operator from Python: the Gluon call is caught."""
    from mxnet.gluon import nn

    layers = {}
    for x_shape, k_shape, stride, padding in [
            ((2, 3, 7, 9), (4, 3, 3, 2), (1, 1), (0, 0)), ((2, 2, 8, 7), (3, 2, 3, 3), (2, 3), (1, 2)),
            ((1, 1, 6, 6), (2, 1, 5, 5), (1, 1), (2, 2)), ((3, 2, 9, 10), (2, 2, 4, 3), (3, 2), (0, 1)),
            checks.ch08.STRIDE_CASE]:
        layer = nn.Conv2D(k_shape[0], k_shape[2:], strides=stride, padding=padding,
                          in_channels=k_shape[1])
        layer.initialize()
        layer.hybridize()
        layer(np.zeros(x_shape))  # compiled here, before the grader runs
        layers[k_shape] = layer

    def warm(X, K, b, stride=(1, 1), padding=(0, 0)):
        layer = layers[K.shape]
        layer.weight.set_data(K)
        layer.bias.set_data(b)
        return layer(X)
    result = checks.check_conv2d_forward(warm)
    assert not result.passed
    assert result.message.startswith("passes, but uses a library convolution"), result


def test_conv2d_through_the_classic_operator_is_a_shortcut():
    import mxnet as mx

    def classic(X, K, b, stride=(1, 1), padding=(0, 0)):
        out = mx.nd.Convolution(X.as_nd_ndarray(), K.as_nd_ndarray(), b.as_nd_ndarray(),
                                kernel=K.shape[2:], stride=stride, pad=padding,
                                num_filter=K.shape[0])
        return out.as_np_ndarray()
    result = checks.check_conv2d_forward(classic)
    assert not result.passed and "uses a library convolution" in result.message, result


def test_conv2d_through_a_symbolic_graph_bound_inside_is_a_shortcut():
    import mxnet as mx

    graph = mx.sym.Convolution(mx.sym.var("x"), mx.sym.var("w"), mx.sym.var("b"), kernel=(3, 3),
                               num_filter=1)  # built outside; the call only binds it again

    def symbolic(X, K, b, stride=(1, 1), padding=(0, 0)):
        g = mx.sym.Convolution(mx.sym.var("x"), mx.sym.var("w"), mx.sym.var("b"),
                               kernel=K.shape[2:], stride=stride, pad=padding,
                               num_filter=K.shape[0]) if graph is not None else None
        run = g.bind(mx.cpu(), {"x": X.as_nd_ndarray(), "w": K.as_nd_ndarray(),
                                "b": b.as_nd_ndarray()})
        return run.forward()[0].as_np_ndarray()
    result = checks.check_conv2d_forward(symbolic)
    assert not result.passed and "uses a library convolution" in result.message, result


def test_conv2d_through_im2col_is_a_shortcut():
    import mxnet as mx

    def unfolded(X, K, b, stride=(1, 1), padding=(0, 0)):
        n, _, h, w = X.shape
        c_out, _, kh, kw = K.shape
        cols = mx.nd.im2col(X.as_nd_ndarray(), kernel=(kh, kw), stride=stride,
                            pad=padding).as_np_ndarray()
        oh = (h + 2 * padding[0] - kh) // stride[0] + 1
        ow = (w + 2 * padding[1] - kw) // stride[1] + 1
        Y = np.einsum("ok,nkp->nop", K.reshape(c_out, -1), cols) + b.reshape(1, -1, 1)
        return Y.reshape(n, c_out, oh, ow)
    result = checks.check_conv2d_forward(unfolded)
    assert not result.passed
    assert result.message.startswith("passes, but uses a library convolution"), result


def test_kernel_grad_through_a_library_convolution_is_a_shortcut():
    def with_npx(X, dY):
        return npx.convolution(X.reshape(1, 1, *X.shape), dY.reshape(1, 1, *dY.shape), None,
                               kernel=dY.shape, no_bias=True, num_filter=1)[0, 0]
    result = checks.check_kernel_grad(with_npx)
    assert not result.passed
    assert result.message.startswith("passes, but uses a library convolution"), result


def test_kernel_grad_through_a_gluon_layer_is_a_shortcut():
    from mxnet.gluon import nn

    def with_layer(X, dY):
        layer = nn.Conv2D(1, dY.shape, in_channels=1, use_bias=False)
        layer.initialize()
        layer.weight.set_data(dY.reshape(1, 1, *dY.shape))
        return layer(X.reshape(1, 1, *X.shape))[0, 0]
    result = checks.check_kernel_grad(with_layer)
    assert not result.passed and "uses a library convolution" in result.message, result


def test_kernel_grad_through_autograd_switched_on_by_hand_is_a_shortcut():
    """No `record()` block: recording switched on by hand; the backward pass is still seen."""
    import mxnet as mx

    def switched_on(X, dY):
        K = np.zeros((X.shape[0] - dY.shape[0] + 1, X.shape[1] - dY.shape[1] + 1))
        K.attach_grad()
        before = mx.autograd.set_recording(True)
        Y = sum(K[a, b] * X[a:a + dY.shape[0], b:b + dY.shape[1]]
                for a in range(K.shape[0]) for b in range(K.shape[1]))
        loss = (Y * dY).sum()
        mx.autograd.set_recording(before)
        loss.backward()
        return K.grad
    result = checks.check_kernel_grad(switched_on)
    assert not result.passed
    assert result.message.startswith("passes, but uses autograd"), result

