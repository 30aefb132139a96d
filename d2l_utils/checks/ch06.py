"""Graders for chapter 6's exercises (overfitting)."""

from __future__ import annotations

import numpy as np

from .common import CheckResult, grader, hidden_rng, Rule, run_student

_SPLITTER = Rule(
    "forbid",
    ("sklearn/model_selection/:*",),
    "uses scikit-learn's splitter: the exercise asks you to build the folds",
)


def _folds_problem(folds, y: np.ndarray, k: int) -> str | None:
    """None if ``folds`` is a valid stratified k-fold split of labels ``y``, else what is wrong."""
    n = len(y)
    if isinstance(folds, np.ndarray) or not isinstance(folds, (list, tuple)):
        shape = f" of shape {folds.shape}" if hasattr(folds, "shape") else ""
        return f"expected a list of k={k} (train_idx, val_idx) pairs, got a {type(folds).__name__}{shape}"
    if len(folds) != k:
        return f"expected k={k} (train_idx, val_idx) pairs, got {len(folds)}"
    seen = np.zeros(n, dtype=int)
    parsed = []
    for i, pair in enumerate(folds):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            return f"fold {i} must be a pair (train_idx, val_idx), got {type(pair).__name__}"
        arrays = []
        for name, idx in zip(("train_idx", "val_idx"), pair):
            try:
                a = np.asarray(idx.asnumpy() if hasattr(idx, "asnumpy") else idx)
            except Exception:  # noqa: BLE001
                return f"fold {i}: {name} could not be read as an array"
            a = a.reshape(-1)
            if a.size and not np.all(np.mod(a, 1) == 0):
                return f"fold {i}: {name} must hold integer indices, got {a[:3]}..."
            a = a.astype(np.int64)
            if a.size and (a.min() < 0 or a.max() >= n):
                return f"fold {i}: {name} has index {int(a.min() if a.min() < 0 else a.max())} outside 0..{n - 1}"
            if len(np.unique(a)) != len(a):
                return f"fold {i}: {name} contains an index more than once"
            arrays.append(a)
        train_idx, val_idx = arrays
        if len(val_idx) == 0:
            return f"fold {i}: its validation set is empty"
        seen[val_idx] += 1
        parsed.append((train_idx, val_idx))
    if seen.max() > 1:
        j = int(np.argmax(seen > 1))
        return f"index {j} is in {seen[j]} validation folds; each index must be in exactly one"
    if seen.min() == 0:
        j = int(np.argmin(seen))
        return f"index {j} is in no validation fold; together the folds must cover every index 0..{n - 1}"
    for i, (train_idx, val_idx) in enumerate(parsed):
        both = np.intersect1d(train_idx, val_idx)
        if both.size:
            return f"fold {i}: index {int(both[0])} is in both train_idx and val_idx; never train on what you validate on"
        if len(train_idx) + len(val_idx) != n:
            missing = np.setdiff1d(np.arange(n), np.concatenate([train_idx, val_idx]))
            return (
                f"fold {i}: train_idx must hold every index not in val_idx; "
                f"index {int(missing[0])} is in neither"
            )
    for i, (_, val_idx) in enumerate(parsed):
        for c in np.unique(y):
            n_c = int((y == c).sum())
            got = int((y[val_idx] == c).sum())
            lo, hi = n_c // k, -(-n_c // k)
            if not lo <= got <= hi:
                return (
                    f"fold {i} is not stratified: its validation set has {got} examples of class "
                    f"{c}, but with {n_c} of them in {k} folds each fold should have "
                    f"{lo if lo == hi else f'{lo} or {hi}'}"
                )
    return None


@grader("ex-overfitting-stratified", _SPLITTER)
def check_stratified_kfold(stratified_kfold) -> CheckResult:
    """Chapter 6: ``stratified_kfold(y, k)`` returns k (train_idx, val_idx) pairs whose validation
    folds partition the indices and keep each class's share (floor or ceil of n_c / k)."""
    ex = "stratified_kfold"
    rng = hidden_rng(ex)
    cases = [  # unequal classes in random order, a rare class, k not dividing the counts
        (rng.choice(4, size=103, p=[0.55, 0.25, 0.15, 0.05]), 5),
        (rng.permutation(np.repeat(np.arange(3), [40, 7, 13])), 3),
        (rng.choice(10, size=250), 4),
        (np.array([1, 0, 1, 1, 0, 1, 1, 1]), 2),
    ]
    for y, k in cases:
        folds, err = run_student(ex, stratified_kfold, y.copy(), k)
        if err is not None:
            return err
        problem = _folds_problem(folds, y, k)
        if problem:
            return CheckResult(ex, False, f"for {len(y)} labels and k={k}: {problem}")
    return CheckResult(
        ex, True, "valid stratified folds on 4 label sets (unequal classes, k=2 to 5)"
    )
