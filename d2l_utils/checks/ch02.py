"""Graders for chapter 2's exercises (one unit)."""

from __future__ import annotations

import numpy as np

from .common import (
    not_a_pair,
    AUTOGRAD,
    as_mx,
    CheckResult,
    diagnose,
    f32,
    grader,
    hidden_rng,
    result,
    run_student,
    to_numpy,
)


def _case(rng, n: int, d: int, labels=(0.0, 1.0)):
    X = f32(rng.normal(size=(n, d)))
    y = f32(rng.choice(labels, size=(n, 1)))
    w = f32(rng.normal(0.0, 0.8, size=(d, 1)))
    b = f32(rng.normal(0.0, 0.5, size=(1,)))
    return X, y, w, b


_SIGN_HINT = (
    "it has the wrong sign. The derivative of 1/2 (f - y)^2 with respect to f is (f - y), "
    "not (y - f); (y - f) times the rest is the direction to step in, minus the gradient"
)
_NO_BIAS_HINT = (
    "the bias is left out of the forward pass: the unit computes "
    "f = sigmoid(X w + b), and both gradients depend on b through f"
)
_MEAN_HINT = (
    "it is the gradient of the mean loss; the exercise asks for the summed loss "
    "1/2 sum_i (f_i - y_i)^2, so do not divide by the number of examples"
)


@grader("ex-oneunit-bias", AUTOGRAD)
def check_unit_gradients(unit_gradients) -> CheckResult:
    """Grade ``unit_gradients(X, y, w, b) -> (grad_w, grad_b)`` for one sigmoid unit with a separate
    bias, f = sigmoid(X w + b), loss 1/2 sum_i (f_i - y_i)^2 (chapter 2)."""
    ex = "ex-oneunit-bias"
    rng = hidden_rng(ex)
    for n, d in ((8, 3), (5, 2)):
        X, y, w, b = _case(rng, n, d)
        out, failed = run_student(ex, unit_gradients, as_mx(X), as_mx(y), as_mx(w), as_mx(b))
        if failed is not None:
            return failed
        if (wrong_shape := not_a_pair(ex, out, "grad_w, grad_b")) is not None:
            return wrong_shape
        grad_w, grad_b = out
        f = 1.0 / (1.0 + np.exp(-(X @ w + b)))
        delta = (f - y) * f * (1.0 - f)
        f0 = 1.0 / (1.0 + np.exp(-(X @ w)))
        no_bias = (f0 - y) * f0 * (1.0 - f0)  # the forward pass without b
        problem = diagnose(
            grad_w,
            X.T @ delta,
            "grad_w",
            [
                (X.T @ no_bias, _NO_BIAS_HINT),
                (-(X.T @ delta), _SIGN_HINT),
                (
                    X.T @ (f - y),
                    "it is missing the sigmoid's derivative f (1 - f) (chain rule through the activation)",
                ),
                (X.T @ delta / n, _MEAN_HINT),
            ],
        )
        if problem:
            return CheckResult(ex, False, f"{problem} (test case with {n} examples, {d} inputs)")
        try:
            grad_b = to_numpy(grad_b)
        except (TypeError, ValueError) as err:
            return CheckResult(ex, False, f"grad_b: could not read the result as an array ({err})")
        if grad_b.size != 1:
            return CheckResult(
                ex,
                False,
                f"grad_b must be a single number (the bias is shared by all "
                f"examples, so sum over them); got shape {grad_b.shape}",
            )
        problem = diagnose(
            grad_b.reshape(1),
            delta.sum(axis=0),
            "grad_b",
            [
                (no_bias.sum(axis=0), _NO_BIAS_HINT),
                (-delta.sum(axis=0), _SIGN_HINT),
                ((f - y).sum(axis=0), "it is missing the sigmoid's derivative f (1 - f)"),
                (delta.sum(axis=0) / n, _MEAN_HINT),
            ],
        )
        if problem:
            return CheckResult(ex, False, f"{problem} (test case with {n} examples, {d} inputs)")
    return CheckResult(ex, True, "grad_w and grad_b match the reference on 2 hidden test cases")


@grader("ex-oneunit-tanh", AUTOGRAD)
def check_tanh_unit_gradient(tanh_unit_gradient) -> CheckResult:
    """Grade ``tanh_unit_gradient(X, y, w) -> grad_w`` for one tanh unit f = tanh(X w) with targets
    -1 or +1 and loss 1/2 sum_i (f_i - y_i)^2 (chapter 2)."""
    ex = "ex-oneunit-tanh"
    rng = hidden_rng(ex)
    for n, d in ((8, 3), (6, 4)):
        X, y, w, _ = _case(rng, n, d, labels=(-1.0, 1.0))
        got, failed = run_student(ex, tanh_unit_gradient, as_mx(X), as_mx(y), as_mx(w))
        if failed is not None:
            return failed
        f = np.tanh(X @ w)
        delta = (f - y) * (1.0 - f**2)
        problem = diagnose(
            got,
            X.T @ delta,
            "the gradient",
            [
                (-(X.T @ delta), _SIGN_HINT),
                (
                    X.T @ ((f - y) * f * (1.0 - f)),
                    "it uses the sigmoid's derivative f (1 - f); "
                    "the derivative of tanh is 1 - f^2",
                ),
                (
                    X.T @ (f - y),
                    "it is missing the derivative of tanh, 1 - f^2 (chain rule through the activation)",
                ),
                (X.T @ delta / n, _MEAN_HINT),
            ],
        )
        if problem:
            return CheckResult(ex, False, f"{problem} (test case with {n} examples, {d} inputs)")
    return CheckResult(ex, True, "the gradient matches the reference on 2 hidden test cases")
