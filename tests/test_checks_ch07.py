"""Chapter 7 checkers: dropout and early stopping. The references pass; stubs and plausible
mistakes fail with a message that says what is wrong."""
import re

import d2l_utils  # noqa: F401  (before mxnet)
import mxnet as mx
import numpy as np
import pytest

from d2l_utils import checks


# ---- dropout --------------------------------------------------------------------------------
def dropout_reference(X, p, training=True):
    if not training or p == 0:
        return X
    if p == 1:
        return mx.np.zeros_like(X)
    keep = (mx.np.random.uniform(0, 1, size=X.shape) >= p).astype(X.dtype)
    return keep * X / (1 - p)


def dropout_numpy(X, p, training=True):
    """Also correct: computed in numpy, returned as a numpy array."""
    X = X.asnumpy()
    if not training:
        return X
    if p == 1:
        return np.zeros_like(X)
    return X * (np.random.rand(*X.shape) >= p) / (1 - p)


def no_rescale(X, p, training=True):
    if not training:
        return X
    return X * (mx.np.random.uniform(0, 1, size=X.shape) >= p).astype(X.dtype)


def keep_probability_confused(X, p, training=True):
    if not training:
        return X
    if p == 1:
        return mx.np.zeros_like(X)
    return X * (mx.np.random.uniform(0, 1, size=X.shape) < p).astype(X.dtype) / (1 - p)


def scales_at_test_time(X, p, training=True):
    """Classic (non-inverted) dropout: drop without rescaling, multiply by 1-p at test time."""
    if not training:
        return X * (1 - p)
    return X * (mx.np.random.uniform(0, 1, size=X.shape) >= p).astype(X.dtype)


def fixed_mask(X, p, training=True):
    if not training:
        return X
    if p == 1:
        return mx.np.zeros_like(X)
    keep = np.random.RandomState(0).rand(*X.shape) >= p
    return X * mx.np.array(keep.astype(np.float32)) / (1 - p)


def drops_whole_rows(X, p, training=True):
    if not training:
        return X
    if p == 1:
        return mx.np.zeros_like(X)
    keep = (mx.np.random.uniform(0, 1, size=(X.shape[0], 1)) >= p).astype(X.dtype)
    return X * keep / (1 - p)


def forgets_training_flag(X, p, training=True):
    return dropout_reference(X, p, True)


def p_one_divides_by_zero(X, p, training=True):
    if not training:
        return X
    keep = (mx.np.random.uniform(0, 1, size=X.shape) >= p).astype(X.dtype)
    return keep * X / (1 - p)


def test_dropout_reference_passes():
    result = checks.check_dropout(dropout_reference)
    assert result.passed, result


def test_dropout_numpy_version_passes():
    assert checks.check_dropout(dropout_numpy).passed


@pytest.mark.parametrize("fn, message", [
    (lambda X, p, training=True: mx.np.zeros_like(X),
     r"dropout\(X, p=0.5, training=False\) is wrong at index .*; at test time dropout must return X unchanged"),
    (lambda X, p, training=True: X,
     r"with p=0.2 and training=True, 0.0% of the elements were dropped; expected about 20%"),
    (no_rescale,
     r"with p=0.2, the elements that survive must be multiplied by 1/\(1-p\) = 1.25 .*got a factor of 1$"),
    (keep_probability_confused, r"with p=0.2 and training=True, 80.\d% of the elements were dropped; "
                                r"expected about 20% \(is p the probability to drop, not to keep\?\)"),
    (scales_at_test_time, r"training=False\) is wrong .*inverted dropout does all its scaling while training"),
    (fixed_mask, r"two calls dropped exactly the same elements"),
    (drops_whole_rows, r"whole rows or columns were dropped together"),
    (forgets_training_flag, r"training=False\) is wrong"),
    (p_one_divides_by_zero, r"with p=1 every element must be dropped \(all zeros\)"),
    (lambda X, p, training=True: None, r"your function returned None; did you forget the `return`\?"),
])
def test_dropout_mistakes_fail(fn, message):
    result = checks.check_dropout(fn)
    assert not result.passed
    assert re.search(message, result.message), result.message


def test_dropout_not_implemented_and_errors():
    def stub(X, p, training=True):
        raise NotImplementedError
    assert "not implemented yet" in checks.check_dropout(stub).message

    def wrong_signature(X, p):
        return X
    assert "your function raised TypeError" in checks.check_dropout(wrong_signature).message


# ---- early stopping -------------------------------------------------------------------------
def early_reference(val_scores, patience):
    best, best_epoch = -1.0, 0
    for epoch, score in enumerate(val_scores, start=1):
        if score > best:
            best, best_epoch = score, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_scores)


def early_counter_version(val_scores, patience):
    """Also correct: counts epochs since the last improvement."""
    best, best_i, waited = None, None, 0
    for i, s in enumerate(val_scores):
        if best is None or s > best:
            best, best_i, waited = s, i, 0
        else:
            waited += 1
            if waited == patience:
                return best_i + 1, i + 1
    return best_i + 1, len(val_scores)


def zero_based(val_scores, patience):
    b, s = early_reference(val_scores, patience)
    return b - 1, s - 1


def ties_count(val_scores, patience):
    best, best_epoch = -1.0, 0
    for epoch, score in enumerate(val_scores, start=1):
        if score >= best:
            best, best_epoch = score, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_scores)


def one_late(val_scores, patience):
    best, best_epoch = -1.0, 0
    for epoch, score in enumerate(val_scores, start=1):
        if score > best:
            best, best_epoch = score, epoch
        elif epoch - best_epoch > patience:
            return best_epoch, epoch
    return best_epoch, len(val_scores)


def never_stops(val_scores, patience):
    return int(np.argmax(val_scores)) + 1, len(val_scores)


def returns_last_epoch_as_best(val_scores, patience):
    _, s = early_reference(val_scores, patience)
    return s, s


def test_early_stopping_reference_passes():
    result = checks.check_early_stopping(early_reference)
    assert result.passed, result


def test_early_stopping_counter_version_passes():
    assert checks.check_early_stopping(early_counter_version).passed


@pytest.mark.parametrize("fn, message", [
    (lambda scores, patience: (0, 0), r"expected \(best_epoch, stop_epoch\) = \(\d+, \d+\), got \(0, 0\)"),
    (lambda scores, patience: np.zeros(2), r"got \(0, 0\)"),
    (lambda scores, patience: scores, r"expected a pair of epoch numbers \(best_epoch, stop_epoch\), got \[0\.5, 0\.7"),
    (lambda scores, patience: None, r"expected a pair of epoch numbers .*got None"),
    (zero_based, r"count epochs from 1, not from 0"),
    (ties_count, r"only a strict improvement counts: a tie with the best is not a new best"),
    (one_late, r"you stopped one epoch late"),
    (never_stops, r"training should have stopped before the last epoch"),
    (returns_last_epoch_as_best, r"for validation scores \[.*\] and patience=3: expected \(best_epoch, stop_epoch\)"),
])
def test_early_stopping_mistakes_fail(fn, message):
    result = checks.check_early_stopping(fn)
    assert not result.passed
    assert re.search(message, result.message), result.message


def test_early_stopping_not_implemented():
    def stub(val_scores, patience):
        raise NotImplementedError
    assert "not implemented yet" in checks.check_early_stopping(stub).message


def test_mxnets_dropout_is_a_shortcut():
    def with_npx(X, p, training):
        if not training:
            return X
        with mx.autograd.train_mode():
            return mx.npx.dropout(X, p=p)
    result = checks.check_dropout(with_npx)
    assert not result.passed and "uses MXNet's dropout" in result.message, result


def test_early_stopping_through_the_graders_reference_is_a_shortcut():
    result = checks.check_early_stopping(checks.ch07.early_stopping_reference)
    assert result.message.startswith("passes, but calls the grader's own reference"), result
