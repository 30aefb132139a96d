"""Chapter 6 checker: stratified K-fold. The reference passes; stubs and plausible mistakes fail
with a message that says what is wrong."""
import re

import numpy as np
import pytest

from d2l_utils import checks


def reference(y, k):
    y = np.asarray(y)
    rng = np.random.RandomState(0)
    fold_of = np.empty(len(y), dtype=int)
    start = 0
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        fold_of[members] = (start + np.arange(len(members))) % k
        start += len(members)
    return [(np.flatnonzero(fold_of != i), np.flatnonzero(fold_of == i)) for i in range(k)]


def per_class_array_split(y, k):
    """Also correct: split each class with array_split (fold sizes may differ by more than one)."""
    y = np.asarray(y)
    val = [[] for _ in range(k)]
    for c in np.unique(y):
        for i, part in enumerate(np.array_split(np.flatnonzero(y == c), k)):
            val[i].extend(part.tolist())
    n = len(y)
    return [(np.setdiff1d(np.arange(n), v), np.array(sorted(v))) for v in val]


def plain_kfold(y, k):
    """Ignores the labels: contiguous blocks of indices."""
    folds = np.array_split(np.arange(len(y)), k)
    return [(np.concatenate(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]


def trains_on_everything(y, k):
    return [(np.arange(len(y)), v) for _, v in reference(y, k)]


def forgets_a_class_in_training(y, k):
    """train_idx drops the examples of the first class: not the complement of val_idx."""
    y = np.asarray(y)
    return [(t[y[t] != y.min()], v) for t, v in reference(y, k)]


def samples_with_replacement(y, k):
    rng = np.random.RandomState(1)
    n = len(y)
    out = []
    for _ in range(k):
        v = np.unique(rng.randint(0, n, n // k))
        out.append((np.setdiff1d(np.arange(n), v), v))
    return out


def one_fold_too_few(y, k):
    return reference(y, k - 1)


def check(fn):
    return checks.check_stratified_kfold(fn)


def test_reference_passes():
    result = check(reference)
    assert result.passed, result
    assert "PASSED" in str(result)


def test_other_correct_solution_passes():
    assert check(per_class_array_split).passed


def test_works_with_lists_of_lists():
    assert check(lambda y, k: [(t.tolist(), v.tolist()) for t, v in reference(y, k)]).passed


@pytest.mark.parametrize("stub, message", [
    (lambda y, k: np.zeros(len(y)), r"expected a list of k=5 \(train_idx, val_idx\) pairs, got a ndarray of shape \(103,\)"),
    (lambda y, k: y, r"expected a list of k=5 \(train_idx, val_idx\) pairs, got a ndarray"),
    (lambda y, k: [(np.zeros(len(y)), np.zeros(len(y)))] * k, r"fold 0: train_idx contains an index more than once"),
    (lambda y, k: None, r"got a NoneType"),
])
def test_stubs_fail(stub, message):
    result = check(stub)
    assert not result.passed
    assert result.message.startswith("for 103 labels and k=5")
    assert re.search(message, result.message), result.message


@pytest.mark.parametrize("wrong, message", [
    (plain_kfold, r"fold \d is not stratified: its validation set has \d+ examples of class \d+, but with \d+ of them in 5 folds each fold should have \d+ or \d+"),
    (trains_on_everything, r"fold 0: index \d+ is in both train_idx and val_idx"),
    (forgets_a_class_in_training, r"fold 0: train_idx must hold every index not in val_idx; index \d+ is in neither"),
    (samples_with_replacement, r"index \d+ is in (2|3) validation folds|index \d+ is in no validation fold"),
    (one_fold_too_few, r"expected k=5 \(train_idx, val_idx\) pairs, got 4"),
])
def test_plausible_mistakes_fail(wrong, message):
    result = check(wrong)
    assert not result.passed
    assert re.search(message, result.message), result.message


def test_not_implemented_and_errors_are_reported():
    def stub(y, k):
        raise NotImplementedError
    assert "not implemented yet" in check(stub).message

    def broken(y, k):
        return y[k + 10**6]
    result = check(broken)
    assert not result.passed and "your function raised IndexError" in result.message


def test_checker_leaves_global_seed_alone():
    np.random.seed(123)
    expected = np.random.rand()
    np.random.seed(123)
    check(reference)
    assert np.random.rand() == expected


def test_scikit_learns_splitter_is_a_shortcut():
    from sklearn.model_selection import StratifiedKFold

    def with_sklearn(y, k):
        return list(StratifiedKFold(k).split(np.zeros(len(y)), y))
    result = checks.check_stratified_kfold(with_sklearn)
    assert not result.passed and "uses scikit-learn's splitter" in result.message, result
