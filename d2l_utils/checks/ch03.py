"""Graders for chapter 3's exercises (losses)."""

from __future__ import annotations

import numpy as np

from .common import (
    as_mx,
    CheckResult,
    diagnose,
    f32,
    grader,
    hidden_rng,
    Rule,
    run_student,
    to_numpy,
)

_LIBRARY_LOSS = Rule(
    "forbid",
    ("mxnet/gluon/loss.py:*", "<string>:log_softmax"),
    "uses MXNet's own loss: the exercise asks you to write the loss",
)


_OVERFLOW_HINT = (
    "exp overflows float32 above about 88: subtract each row's largest logit "
    "before exponentiating (the log-sum-exp trick)"
)


def _per_example(ex: str, got, n: int):
    """The student's losses as numpy (None if unreadable), or a failure if they were reduced to one number."""
    try:
        got_np = to_numpy(got)
    except (TypeError, ValueError):
        return None, None
    if got_np.size == 1:
        return None, CheckResult(
            ex,
            False,
            f"return one loss per example, shape ({n},), not their mean "
            f"or sum; got shape {got_np.shape}",
        )
    return got_np, None


def _logsumexp(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=1)
    return m + np.log(np.exp(z - m[:, None]).sum(axis=1))


@grader("ex-losses-softmax-ce", _LIBRARY_LOSS)
def check_softmax_cross_entropy(softmax_cross_entropy) -> CheckResult:
    """Grade ``softmax_cross_entropy(logits, labels) -> losses``: one loss -log softmax(z)_y per
    example, shape (n,), that stays finite for huge logits (chapter 3)."""
    ex = "ex-losses-softmax-ce"
    rng = hidden_rng(ex)
    n, k = 6, 4
    base = rng.normal(0.0, 2.0, size=(n, k))
    labels = rng.randint(0, k, size=n)
    wrong = base.copy()  # every row: the true class far below the best one
    wrong[np.arange(n), labels] = base.max(axis=1) - rng.uniform(150.0, 300.0, size=n)
    cases = [
        ("ordinary logits", base, ""),
        (
            "huge logits (rows shifted by -3000 to +3000)",
            base + rng.choice([-3000.0, -1000.0, 1000.0, 3000.0], size=(n, 1)),
            f"with huge logits your loss is NaN or infinite: {_OVERFLOW_HINT}",
        ),
        (
            "confidently wrong logits (true class 150 to 300 below the best)",
            wrong,
            "when the true class's probability underflows to 0, log(softmax) is -inf: compute the "
            "log-probability directly as z_y - logsumexp(z) instead of taking the log of the softmax",
        ),
    ]
    for name, z, overflow_hint in cases:
        z = f32(z)
        got, failed = run_student(ex, softmax_cross_entropy, as_mx(z), as_mx(labels, "int32"))
        if failed is not None:
            return failed
        picked = z[np.arange(n), labels]
        expected = _logsumexp(z) - picked
        got_np, failed = _per_example(ex, got, n)
        if failed is not None:
            return failed
        if (
            got_np is not None
            and got_np.shape == expected.shape
            and not np.all(np.isfinite(got_np))
            and overflow_hint
        ):
            return CheckResult(ex, False, overflow_hint)
        problem = diagnose(
            got,
            expected,
            "the loss",
            [
                (-expected, "it has the wrong sign: the loss is -log p_y, which is never negative"),
                (
                    -picked,
                    "it is -z_y alone: you left out logsumexp(z), the log of the softmax's normaliser",
                ),
            ],
            rtol=1e-4,
            atol=1e-4,
        )
        if problem:
            return CheckResult(ex, False, f"{problem} ({name})")
    return CheckResult(
        ex, True, "matches the reference on ordinary, huge and confidently wrong logits"
    )


@grader("ex-losses-bce-logits", _LIBRARY_LOSS)
def check_bce_with_logits(bce_with_logits) -> CheckResult:
    """Grade ``bce_with_logits(z, y) -> losses``: the binary cross-entropy of labels y in {0, 1}
    given logits z, -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))], finite for any z (chapter 3).
    """
    ex = "ex-losses-bce-logits"
    rng = hidden_rng(ex)
    n = 8
    y = np.tile([0.0, 1.0], n // 2)
    rng.shuffle(y)
    cases = [
        ("ordinary logits", rng.normal(0.0, 2.0, size=n)),
        (
            "huge logits (|z| from 50 to 1000)",
            rng.choice([-1.0, 1.0], size=n) * rng.choice([50.0, 200.0, 1000.0], size=n),
        ),
    ]
    for name, z in cases:
        z = f32(z)
        got, failed = run_student(ex, bce_with_logits, as_mx(z), as_mx(y))
        if failed is not None:
            return failed
        expected = np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))
        got_np, failed = _per_example(ex, got, n)
        if failed is not None:
            return failed
        stable = (
            "sigmoid(z) rounds to exactly 0 or 1 in float32 for large |z|, so log(sigmoid(z)) or "
            "log(1 - sigmoid(z)) breaks; rewrite the loss in z alone: "
            "max(z, 0) - z y + log(1 + exp(-|z|))"
        )
        if name != "ordinary logits" and got_np is not None and got_np.shape == expected.shape:
            if not np.all(np.isfinite(got_np)):
                return CheckResult(
                    ex, False, f"with huge logits your loss is NaN or infinite: {stable}"
                )
        with np.errstate(over="ignore", divide="ignore"):
            no_negatives = -y * np.log(1.0 / (1.0 + np.exp(-z)))
        problem = diagnose(
            got,
            expected,
            "the loss",
            [
                (
                    -expected,
                    "it has the wrong sign: the loss is -log p(y), which is never negative",
                ),
                (
                    no_negatives,
                    "it is only -y log sigmoid(z): you left out the term (1 - y) log(1 - sigmoid(z)) "
                    "for the examples labelled 0",
                ),
            ],
            rtol=1e-4,
            atol=1e-4,
        )
        if problem:
            if name != "ordinary logits":
                problem += (
                    f"; it is right for ordinary logits, so the trouble is large |z|: {stable}"
                )
            return CheckResult(ex, False, f"{problem} ({name})")
    return CheckResult(ex, True, "matches the reference on ordinary and huge logits")
