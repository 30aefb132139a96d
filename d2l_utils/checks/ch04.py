"""Graders for chapter 4's exercises (deeper networks and backpropagation)."""

from __future__ import annotations

import numpy as np

from .common import AUTOGRAD, CheckResult, compare, grader, hidden_rng, run_student, to_numpy

_ACTIVATIONS = {  # name: (phi, phi' written with z = the pre-activation and f = phi(z))
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, f: f * (1 - f)),
    "tanh": (np.tanh, lambda z, f: 1 - f**2),
    "relu": (lambda z: np.maximum(z, 0), lambda z, f: (z > 0).astype(np.float64)),
}


def reference_grads(X, y, Ws, bs, activation):
    """Backprop in plain numpy for f_{l+1} = phi(f_l W_l + b_l), sigmoid output, 1/2 squared loss."""
    fs, zs = [X], []
    for layer, (W, b) in enumerate(zip(Ws, bs)):
        zs.append(fs[-1] @ W + b)
        fs.append(_ACTIVATIONS["sigmoid" if layer == len(Ws) - 1 else activation][0](zs[-1]))
    delta = (fs[-1] - y) * fs[-1] * (1 - fs[-1])
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for layer in reversed(range(len(Ws))):
        dWs[layer], dbs[layer] = fs[layer].T @ delta, delta.sum(axis=0)
        if layer > 0:
            delta = (delta @ Ws[layer].T) * _ACTIVATIONS[activation][1](zs[layer - 1], fs[layer])
    return dWs, dbs


def _draw(rng, widths):
    """Inputs, targets in (0, 1) and parameters (as numpy float64) for a network of these widths."""
    X, y = rng.randn(6, widths[0]), rng.uniform(0.05, 0.95, (6, widths[-1]))
    Ws = [rng.randn(a, b) for a, b in zip(widths[:-1], widths[1:])]
    bs = [0.5 * rng.randn(b) for b in widths[1:]]
    return X, y, Ws, bs


def _as_mx(arrays):
    from mxnet import np as mnp

    return [mnp.array(a, dtype="float64") for a in arrays]


def _grad_problem(got, expected, param, name: str) -> str | None:
    """None if ``got`` is the right gradient for parameter ``name``, else what is wrong with it."""
    what = f"the gradient for {name}"
    try:
        got_np = to_numpy(got)
    except (TypeError, ValueError):
        got_np = None
    if got_np is not None and got_np.shape == expected.shape and np.all(np.isfinite(got_np)):
        if np.allclose(got_np, param, rtol=1e-6, atol=1e-9) and not np.allclose(expected, param):
            return f"{what} equals {name} itself: return dLoss/d{name}, not the parameter"
        if not np.any(got_np) and np.any(expected):
            return f"{what} is all zeros"
        if np.allclose(-got_np, expected, rtol=1e-4, atol=1e-8) and not np.allclose(
            got_np, expected, rtol=1e-4, atol=1e-8
        ):
            return (
                f"{what} has the wrong sign: the gradient of 1/2 ||f - y||^2 starts from (f - y); "
                "gradient descent then subtracts it"
            )
    if (
        got_np is not None
        and name.startswith("b")
        and got_np.ndim == 2
        and got_np.shape[1:] == expected.shape
    ):
        return (
            f"{what} has the wrong shape {got_np.shape}, expected {expected.shape}: every example "
            "used the same bias, so sum the error term over the examples (axis 0)"
        )
    return compare(got, expected, what, rtol=1e-5, atol=1e-8)


def _whole_mistake(got_Ws, got_bs, mistakes) -> str | None:
    """The hint of a known mistake that explains every returned gradient at once, if one does."""
    for (dWs, dbs), hint in mistakes:
        if all(
            compare(g, e, "", rtol=1e-5, atol=1e-8) is None
            for g, e in zip(got_Ws + got_bs, dWs + dbs)
        ):
            return hint
    return None


def _mistakes(X, y, Ws, bs, activation):
    """What three classic mistakes return: biases left out, a mean loss, the sign flipped."""
    dWs, dbs = reference_grads(X, y, Ws, bs, activation)
    n = X.shape[0]
    return [
        (
            reference_grads(X, y, Ws, [0 * b for b in bs], activation),
            "the biases are left out of the forward pass: every layer computes "
            "phi(f W + b), and every gradient depends on the biases through f",
        ),
        (
            ([d / n for d in dWs], [d / n for d in dbs]),
            f"every gradient is 1/{n} of the right one: the loss is the sum 1/2 ||f - y||^2, "
            "not its mean over the examples",
        ),
        (
            ([-d for d in dWs], [-d for d in dbs]),
            "every gradient has the wrong sign: the gradient of 1/2 ||f - y||^2 starts from "
            "(f - y); gradient descent then subtracts it",
        ),
    ]


def _check_grads(exercise, got, dWs, dbs, Ws, bs, context="", mistakes=()):
    """First problem among the returned gradients, in the order backprop computes them (last layer first)."""
    n = len(Ws)
    try:
        got_Ws, got_bs = got
        got_Ws, got_bs = list(got_Ws), list(got_bs)
    except (TypeError, ValueError):
        return f"{context}return two lists (dWs, dbs), got {type(got).__name__}"
    if len(got_Ws) != n or len(got_bs) != n:
        return f"{context}expected {n} weight and {n} bias gradients, got {len(got_Ws)} and {len(got_bs)}"
    hint = _whole_mistake(got_Ws, got_bs, mistakes)
    if hint:
        return context + hint
    right = []
    for layer in reversed(range(n)):
        for name, g, e, p in (
            (f"W{layer}", got_Ws[layer], dWs[layer], Ws[layer]),
            (f"b{layer}", got_bs[layer], dbs[layer], bs[layer]),
        ):
            problem = _grad_problem(g, e, p, name)
            if problem:
                ok = f" (right: {', '.join(right)})" if right else ""
                return f"{context}{problem}{ok}"
            right.append(name)
    return None


@grader("ex-backprop-bias", AUTOGRAD)
def check_backprop_bias(backprop_bias) -> CheckResult:
    """Exercise ex-backprop-bias: gradients of the two-layer sigmoid network with biases."""
    exercise = "ex-backprop-bias"
    rng = hidden_rng(exercise)
    for widths in ((3, 4, 1), (2, 5, 3)):
        X, y, Ws, bs = _draw(rng, widths)
        dWs, dbs = reference_grads(X, y, Ws, bs, "sigmoid")
        got, error = run_student(
            exercise, backprop_bias, *_as_mx([X, y, Ws[0], bs[0], Ws[1], bs[1]])
        )
        if error is not None:
            return error
        if not isinstance(got, (tuple, list)) or len(got) != 4:
            return CheckResult(
                exercise, False, "return the four gradients as a tuple (dW0, db0, dW1, db1)"
            )
        problem = _check_grads(
            exercise,
            ([got[0], got[2]], [got[1], got[3]]),
            dWs,
            dbs,
            Ws,
            bs,
            f"widths {widths}: ",
            _mistakes(X, y, Ws, bs, "sigmoid"),
        )
        if problem:
            return CheckResult(exercise, False, problem)
    return CheckResult(exercise, True, "all four gradients match, for two network shapes")


@grader("ex-backprop-deep", AUTOGRAD)
def check_backprop_deep(backprop_deep) -> CheckResult:
    """Exercise ex-backprop-deep: gradients of every W and b, any depth, any hidden activation."""
    exercise = "ex-backprop-deep"
    rng = hidden_rng(exercise)
    cases = 0
    for activation in ("sigmoid", "tanh", "relu"):
        for depth in (1, 2, 3, 4):
            widths = [3] + [4 + layer % 2 for layer in range(depth - 1)] + [2]
            X, y, Ws, bs = _draw(rng, widths)
            dWs, dbs = reference_grads(X, y, Ws, bs, activation)
            got, error = run_student(
                exercise,
                backprop_deep,
                _as_mx([X])[0],
                _as_mx([y])[0],
                _as_mx(Ws),
                _as_mx(bs),
                activation,
            )
            if error is not None:
                if "not implemented" in error.message:
                    return error
                return CheckResult(
                    exercise, False, f"depth {depth}, {activation} hidden layers: {error.message}"
                )
            problem = _check_grads(
                exercise,
                got,
                dWs,
                dbs,
                Ws,
                bs,
                f"depth {depth}, {activation} hidden layers: ",
                _mistakes(X, y, Ws, bs, activation),
            )
            if problem:
                return CheckResult(exercise, False, problem)
            cases += 1
    return CheckResult(
        exercise,
        True,
        f"every gradient matches in all {cases} networks "
        "(depths 1 to 4; sigmoid, tanh and relu hidden layers)",
    )
