"""Graders for chapter 7's exercises (regularization)."""

from __future__ import annotations

import numpy as np

from .common import CheckResult, compare, grader, hidden_rng, result, Rule, run_student, to_numpy

_DROPOUT = Rule(
    "forbid",
    ("<string>:dropout", "<string>:Dropout"),
    "uses MXNet's dropout (nn.Dropout or npx.dropout): the exercise asks you to "
    "write it from memory",
)


@grader("ex-regularization-dropout", _DROPOUT)
def check_dropout(dropout) -> CheckResult:
    """Chapter 7: ``dropout(X, p, training)`` zeroes each element independently with probability
    ``p`` and scales the survivors by 1/(1-p) when training; it is the identity otherwise."""
    import mxnet as mx  # here, not at the top: d2l_utils must prepare numpy before mxnet loads

    ex = "dropout"
    rng = hidden_rng(ex)

    def call(X, p, training):
        out, err = run_student(ex, dropout, mx.np.array(X), p, training)
        if err is not None:
            return None, err
        if out is None:
            return None, CheckResult(
                ex, False, "your function returned None; did you forget the `return`?"
            )
        try:
            return to_numpy(out), None
        except (TypeError, ValueError) as e:
            return None, CheckResult(
                ex, False, f"could not read the result as an array ({e}); got {type(out).__name__}"
            )

    X = rng.normal(size=(20, 30)).astype(np.float32)
    for p in (0.5, 0.9):
        out, err = call(X, p, False)
        if err is not None:
            return err
        problem = compare(out, X, f"dropout(X, p={p}, training=False)")
        if problem:
            return CheckResult(
                ex,
                False,
                problem + "; at test time dropout must return X unchanged "
                "(inverted dropout does all its scaling while training)",
            )

    big = rng.uniform(0.5, 1.5, size=(400, 500)).astype(
        np.float32
    )  # positive: a zero means dropped
    for p in (0.2, 0.5, 0.8):
        out, err = call(big, p, True)
        if err is not None:
            return err
        if out.shape != big.shape:
            return CheckResult(
                ex,
                False,
                f"dropout(X, p={p}, training=True) has the wrong shape: "
                f"expected {big.shape}, got {out.shape}",
            )
        dropped = out == 0
        rate = dropped.mean()
        row_rates, col_rates = dropped.mean(axis=1), dropped.mean(axis=0)
        if row_rates.std() > 0.1 or col_rates.std() > 0.1:
            return CheckResult(
                ex,
                False,
                f"with p={p}, whole rows or columns were dropped together; "
                "each element must be dropped independently of the others",
            )
        if abs(rate - p) > 0.01:
            hint = (
                " (is p the probability to drop, not to keep?)"
                if abs(rate - (1 - p)) < 0.01
                else ""
            )
            return CheckResult(
                ex,
                False,
                f"with p={p} and training=True, {rate:.1%} of the elements were "
                f"dropped; expected about {p:.0%}{hint}",
            )
        factor = out[~dropped] / big[~dropped]
        if not np.allclose(factor, 1 / (1 - p), rtol=1e-4):
            return CheckResult(
                ex,
                False,
                f"with p={p}, the elements that survive must be multiplied by "
                f"1/(1-p) = {1 / (1 - p):.4g} so that the expected activation stays X; "
                f"got a factor of {np.median(factor):.4g}",
            )
    first, err = call(big, 0.5, True)
    if err is not None:
        return err
    second, err = call(big, 0.5, True)
    if err is not None:
        return err
    if np.array_equal(first == 0, second == 0):
        return CheckResult(
            ex,
            False,
            "two calls dropped exactly the same elements; dropout must draw "
            "a new random mask on every call",
        )
    out, err = call(X, 0.0, True)
    if err is not None:
        return err
    problem = compare(out, X, "dropout(X, p=0, training=True)")
    if problem:
        return CheckResult(ex, False, problem + "; with p=0 nothing is dropped")
    out, err = call(big, 1.0, True)
    if err is not None:
        return err
    if not np.all(out == 0):
        return CheckResult(
            ex,
            False,
            f"with p=1 every element must be dropped (all zeros); "
            f"{(out != 0).mean():.1%} were not",
        )
    return CheckResult(
        ex,
        True,
        "identity at test time; drops a fraction p, keeps the expected "
        "activation (survivors times 1/(1-p)); p=0 and p=1 handled",
    )


def early_stopping_reference(val_scores, patience):
    best, best_epoch = -np.inf, 0
    for epoch, score in enumerate(val_scores, start=1):
        if score > best:
            best, best_epoch = score, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_scores)


@grader("ex-regularization-early-stopping")
def check_early_stopping(early_stopping) -> CheckResult:
    """Chapter 7: ``early_stopping(val_scores, patience)`` returns ``(best_epoch, stop_epoch)``
    (epochs counted from 1): where training stops and which epoch's parameters it restores."""
    ex = "early_stopping"
    rng = hidden_rng(ex)
    cases = [  # a tie with the best, a plateau, a noisy rise, a steady rise, an early peak, noise
        ([0.5, 0.7, 0.7, 0.7, 0.6], 3),
        ([0.5, 0.7, 0.8, 0.8, 0.79, 0.8, 0.78, 0.81, 0.8, 0.8, 0.8, 0.79], 3),
        (list(np.round(0.9 - 0.5 * np.exp(-np.arange(30) / 4) + rng.normal(0, 0.01, 30), 3)), 5),
        (list(np.linspace(0.3, 0.9, 12)), 2),
        ([0.6, 0.55, 0.5, 0.52, 0.58, 0.59, 0.61, 0.4], 4),
        ([0.6, 0.55, 0.5, 0.52, 0.58, 0.59, 0.61, 0.4], 1),
        (list(np.round(rng.uniform(0.8, 0.9, 25), 3)), 6),
    ]
    for scores, patience in cases:
        got, err = run_student(ex, early_stopping, list(scores), patience)
        if err is not None:
            return err
        expected = early_stopping_reference(scores, patience)
        shown = "[" + ", ".join(f"{s:.3g}" for s in scores) + "]"
        try:
            pair = tuple(int(v) for v in got)
            if len(pair) != 2 or not all(float(v) == int(v) for v in got):
                raise ValueError
        except (TypeError, ValueError):
            return CheckResult(
                ex,
                False,
                f"expected a pair of epoch numbers (best_epoch, stop_epoch), " f"got {got!r:.80}",
            )
        if pair != expected:
            b, s = expected
            hint = ""
            if pair == (b - 1, s - 1):
                hint = "; count epochs from 1, not from 0"
            elif (
                pair[1] == s
                and 1 <= pair[0] <= len(scores)
                and pair[0] != b
                and scores[pair[0] - 1] == scores[b - 1]
            ):
                hint = "; only a strict improvement counts: a tie with the best is not a new best"
            elif pair[0] == b and pair[1] == s + 1:
                hint = "; you stopped one epoch late: stop as soon as `patience` epochs have passed without improvement"
            elif pair[0] == b and pair[1] == s - 1:
                hint = (
                    "; you stopped one epoch early: wait `patience` full epochs without improvement"
                )
            elif pair[1] == len(scores) and s < len(scores):
                hint = "; training should have stopped before the last epoch"
            return CheckResult(
                ex,
                False,
                f"for validation scores {shown} and patience={patience}: "
                f"expected (best_epoch, stop_epoch) = {expected}, got {pair}{hint}",
            )
    return CheckResult(
        ex, True, f"correct best and stopping epochs for {len(cases)} validation curves"
    )
