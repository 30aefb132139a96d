"""Graders for chapter 8's exercises (convolutional networks)."""

from __future__ import annotations

import numpy as np

from .common import (
    AUTOGRAD,
    as_mx,
    CheckResult,
    compare,
    grader,
    hidden_rng,
    Rule,
    run_student,
    to_numpy,
    watch_shapes,
)

# Every MXNet operator that computes a convolution (or its unfolded windows, im2col), by the
# name MXNet generates for it, in both APIs (mx.nd / mx.sym and npx), with their backward ops.
_CONV_OPS = (
    "convolution", "Convolution", "Convolution_v1", "deconvolution", "Deconvolution",
    "Correlation", "DeformableConvolution", "ModulatedDeformableConvolution",
    "quantized_conv", "_sg_mkldnn_conv", "im2col", "col2im", "_backward_Convolution",
    "_backward_Convolution_v1", "_backward_Deconvolution", "_backward_Correlation",
    "_backward_im2col", "_backward_col2im",
)
# A layer built before the call and hybridized runs as one compiled graph: no convolution
# operator is called from Python then, but the Gluon block, the cached graph or the symbolic
# executor is.
_LIBRARY_CALLS = tuple(f"<string>:{name}" for name in _CONV_OPS) + (
    "mxnet/gluon/:*",
    "mxnet/_ctypes/ndarray.py:__call__",
    "mxnet/executor.py:*",
    "scipy/signal/:*",
    "scipy/ndimage/:*",
)
_LIBRARY_CONV = Rule(
    "forbid",
    _LIBRARY_CALLS,
    "uses a library convolution (nn.Conv2D or another Gluon layer, npx.convolution, "
    "mx.nd.Convolution, im2col, a compiled graph or scipy): the exercise asks you to write "
    "the convolution",
)
_LIBRARY_CONV_IN_GRADIENT = Rule(
    "forbid",
    _LIBRARY_CALLS,
    "uses a library convolution (nn.Conv2D or another Gluon layer, npx.convolution, "
    "mx.nd.Convolution, its backward operator, a compiled graph or scipy): the exercise asks "
    "you to write the gradient's sum yourself",
)


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def conv2d_reference(X, K, b, stride=(1, 1), padding=(0, 0)) -> np.ndarray:
    """Batched multi-channel 2-D cross-correlation plus bias, in numpy: X (n, c_in, h, w),
    K (c_out, c_in, kh, kw), b (c_out,) -> (n, c_out, h', w')."""
    X, K, b = to_numpy(X), to_numpy(K), to_numpy(b)
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    n, _, h, w = X.shape
    c_out, _, kh, kw = K.shape
    Xp = np.zeros((n, X.shape[1], h + 2 * ph, w + 2 * pw))
    Xp[:, :, ph : ph + h, pw : pw + w] = X
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    Y = np.zeros((n, c_out, oh, ow)) + b.reshape(1, -1, 1, 1)
    for a in range(kh):
        for c in range(kw):  # add the contribution of kernel position (a, c) to every output
            window = Xp[:, :, a : a + sh * (oh - 1) + 1 : sh, c : c + sw * (ow - 1) + 1 : sw]
            Y += np.einsum("nihw,oi->nohw", window, K[:, :, a, c])
    return Y


def skipped_work_shapes(x_shape, k_shape, padding) -> list[tuple[int, int]]:
    """The last two axes of an array that holds every stride-1 output, or every stride-1
    window, in the layouts people use: (rows, columns) and its transpose, channels last
    (columns, channels), and positions flattened as in im2col (positions, d) or (d, positions),
    where d is one of the other axes (batch, channels, kernel size, or their products)."""
    n, c_in, h, w = x_shape
    c_out, _, kh, kw = k_shape
    (ph, pw) = _pair(padding)
    rows, cols = h + 2 * ph - kh + 1, w + 2 * pw - kw + 1
    others = {1, n, c_in, c_out, kh * kw, c_in * kh * kw, n * c_in, n * c_out}
    shapes = {(rows, cols), (cols, rows)}
    shapes |= {(cols, d) for d in (c_in, c_out, kh * kw, c_in * kh * kw)}
    for positions in (rows * cols, n * rows * cols):
        shapes |= {(positions, d) for d in others} | {(d, positions) for d in others}
    return sorted(shapes)


# A case for the stride requirement: the stride-1 output has 26 columns and 15 x 26 = 390
# positions per image, numbers that no axis of a solution computing only the 5 x 7 kept
# outputs has, so no honest array is mistaken for skipped work.
STRIDE_CASE = ((2, 3, 17, 25), (5, 3, 3, 2), (3, 4), (0, 1))


def corr2d_reference(X, K) -> np.ndarray:
    """Single-channel 2-D cross-correlation, no padding, stride 1."""
    X, K = to_numpy(X), to_numpy(K)
    return conv2d_reference(X[None, None], K[None, None], np.zeros(1))[0, 0]


@grader("ex-cnn-conv2d", _LIBRARY_CONV)
def check_conv2d_forward(conv2d_forward) -> CheckResult:
    """Exercise ex-cnn-conv2d: ``conv2d_forward(X, K, b, stride, padding)`` for a batch of
    multi-channel images, with a bias and (rows, columns) pairs for the stride and the padding."""
    exercise = "ex-cnn-conv2d"
    rng = hidden_rng(exercise)
    cases = [
        ((2, 3, 7, 9), (4, 3, 3, 2), (1, 1), (0, 0)),
        ((2, 2, 8, 7), (3, 2, 3, 3), (2, 3), (1, 2)),
        ((1, 1, 6, 6), (2, 1, 5, 5), (1, 1), (2, 2)),
        ((3, 2, 9, 10), (2, 2, 4, 3), (3, 2), (0, 1)),
        STRIDE_CASE,
    ]
    for x_shape, k_shape, stride, padding in cases:
        X, K = rng.normal(size=x_shape), rng.normal(size=k_shape)
        b = rng.normal(size=k_shape[0])
        full = conv2d_reference(X, K, b, (1, 1), padding)  # every output, before the stride
        if (x_shape, k_shape, stride, padding) == STRIDE_CASE:
            watch_shapes(*skipped_work_shapes(x_shape, k_shape, padding))
        else:
            watch_shapes(*([full.shape[2:]] if stride != (1, 1) else []))
        got, error = run_student(
            exercise, conv2d_forward, as_mx(X), as_mx(K), as_mx(b), stride=stride, padding=padding
        )
        if error is not None:
            return error
        expected = conv2d_reference(X, K, b, stride, padding)
        what = f"conv2d_forward(X of shape {x_shape}, K of shape {k_shape}, stride={stride}, padding={padding})"
        problem = compare(got, expected, what, rtol=1e-3, atol=1e-4)
        shape = getattr(got, "shape", None)
        if problem and shape == full.shape and stride != (1, 1):
            problem = (
                f"{what} has the output shape of stride 1, {full.shape}: step the windows "
                f"by the stride, floor((n + 2p - k) / s) + 1 outputs per axis, {expected.shape}"
            )
        elif problem and padding != (0, 0) and shape == conv2d_reference(X, K, b, stride).shape:
            problem = (
                f"{what} has the shape of an unpadded convolution: pad X with padding[0] "
                "rows and padding[1] columns of zeros on each side first"
            )
        flipped = conv2d_reference(X, K[:, :, ::-1, ::-1], b, stride, padding)
        if problem and compare(got, flipped, what, rtol=1e-3, atol=1e-4) is None:
            problem = (
                f"{what} equals a true convolution (kernel flipped); a convolution layer "
                "computes a cross-correlation: slide K over X without flipping it"
            )
        elif (
            problem
            and compare(got, expected - b.reshape(1, -1, 1, 1), what, rtol=1e-3, atol=1e-4) is None
        ):
            problem = f"{what} is missing the bias: add b[o] to every output of channel o"
        if problem:
            return CheckResult(exercise, False, problem)
    return CheckResult(
        exercise,
        True,
        f"matches the reference on {len(cases)} hidden batches "
        "(several strides, paddings and channel counts)",
    )


@grader("ex-cnn-kernel-grad", AUTOGRAD, _LIBRARY_CONV_IN_GRADIENT)
def check_kernel_grad(kernel_grad) -> CheckResult:
    """Exercise ex-cnn-kernel-grad: ``kernel_grad(X, dY)`` returns dL/dK for Y = corr2d(X, K)."""
    exercise = "ex-cnn-kernel-grad"
    rng = hidden_rng(exercise)
    for x_shape, k_shape in [((6, 7), (3, 2)), ((5, 5), (1, 1)), ((8, 6), (4, 5))]:
        X, dY = rng.normal(size=x_shape), rng.normal(
            size=(x_shape[0] - k_shape[0] + 1, x_shape[1] - k_shape[1] + 1)
        )
        got, error = run_student(exercise, kernel_grad, as_mx(X), as_mx(dY))
        if error is not None:
            return error
        expected = corr2d_reference(X, dY)
        what = f"kernel_grad for X of shape {x_shape} and a {k_shape[0]}x{k_shape[1]} kernel"
        problem = compare(got, expected, what, rtol=1e-3, atol=1e-4)
        if problem and compare(got, expected[::-1, ::-1], what, 1e-3, 1e-4) is None:
            problem = (
                f"{what} is the right gradient flipped in both axes: dL/dK[a, b] sums "
                "dY[i, j] * X[i + a, j + b], without flipping"
            )
        if problem:
            return CheckResult(exercise, False, problem)
    return CheckResult(exercise, True, "matches the gradient on 3 hidden image and kernel sizes")
