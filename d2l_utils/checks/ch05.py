"""Graders for chapter 5's exercises (training)."""

from __future__ import annotations

import numpy as np

from .common import CheckResult, compare, grader, hidden_rng, Rule, run_student, to_numpy

_OPTIMIZER = Rule(
    "forbid",
    (
        "mxnet/optimizer/:*",
        "mxnet/gluon/trainer.py:*",
        "<string>:sgd_mom_update",
        "<string>:sgd_update",
    ),
    "uses MXNet's optimizer: the exercise asks you to write the step",
)


def _momentum_diagnosis(p, g, v, lr, mom, new_p, new_v) -> str | None:
    """Name a known mistake that explains the student's step, if one does (all numpy float64)."""
    right_v = mom * v + g
    close = lambda a, b: a.shape == b.shape and np.allclose(a, b, rtol=1e-5, atol=1e-7)
    if close(new_v, mom * v - lr * g) and close(new_p, p + new_v):
        return (
            "you used the convention v = momentum * v - lr * grad, param + v; this exercise asks "
            "for v = momentum * v + grad, then param - lr * v"
        )
    if close(new_p, p - lr * right_v):  # the parameter is right, so the velocity is not
        if close(new_v, v) and not close(v, right_v):
            return "the parameter is right but the velocity was not updated: return the new velocity too"
        if close(new_v, g):
            return "the new velocity forgot the old one: v = momentum * v + grad"
        return None
    if close(new_p, p):
        return "the parameter did not move: return param - lr * (the new velocity)"
    if not np.any(new_p) and np.any(p):
        return "the new parameter is all zeros"
    if close(new_p, p - lr * g):
        return (
            "the parameter moved like plain SGD (param - lr * grad): step with the velocity, "
            "which remembers earlier gradients"
        )
    if close(new_p, p - lr * v):
        return "the parameter stepped with the old velocity: update the velocity first, then step with the new one"
    if close(new_p, p + lr * right_v):
        return "the parameter moved uphill: subtract lr * velocity, do not add it"
    return None


@grader("ex-training-momentum", _OPTIMIZER)
def check_momentum_step(momentum_step) -> CheckResult:
    """Exercise ex-training-momentum: one step of SGD with momentum, v = m v + g, p = p - lr v."""
    from mxnet import np as mnp

    exercise = "ex-training-momentum"
    rng = hidden_rng(exercise)
    steps = 0
    for shape, lr, mom in (((3, 4), 0.1, 0.9), ((5,), 0.05, 0.5), ((2, 3), 0.2, 0.0)):
        p, v = rng.randn(*shape), np.zeros(shape)
        for step in range(1, 5):
            g = rng.randn(*shape)
            right_v = mom * v + g
            right_p = p - lr * right_v
            got, error = run_student(
                exercise,
                momentum_step,
                mnp.array(p, dtype="float64"),
                mnp.array(g, dtype="float64"),
                mnp.array(v, dtype="float64"),
                lr,
                mom,
            )
            if error is not None:
                return error
            where = f"step {step} with lr={lr}, momentum={mom}: "
            if not isinstance(got, (tuple, list)) or len(got) != 2:
                return CheckResult(
                    exercise, False, where + "return a pair (new_param, new_velocity)"
                )
            problem = compare(got[0], right_p, "the new parameter", rtol=1e-5, atol=1e-7)
            problem_v = compare(got[1], right_v, "the new velocity", rtol=1e-5, atol=1e-7)
            if problem or problem_v:
                try:
                    new_p, new_v = to_numpy(got[0]), to_numpy(got[1])
                    hint = _momentum_diagnosis(p, g, v, lr, mom, new_p, new_v)
                except (TypeError, ValueError):
                    hint = None
                return CheckResult(exercise, False, where + (hint or problem or problem_v))
            p, v = right_p, right_v
            steps += 1
    return CheckResult(
        exercise, True, f"all {steps} steps match (three shapes, momentum 0.9, 0.5 and 0)"
    )
