"""The chapter 10 grader passes the reference solution and fails common mistakes with the right message."""
import numpy as onp

import d2l_utils as d2l  # noqa: F401 - prepares numpy for mxnet before mxnet is imported
import mxnet as mx
from d2l_utils import checks


# ---- ex-repr-knn: majority vote among the k nearest training rows, ties to the smallest label --

def _neighbour_labels(train_x, train_y, query_x, k, farthest=False):
    d = ((query_x[:, None, :] - train_x[None, :, :]) ** 2).sum(axis=-1)
    order = onp.argsort(-d if farthest else d, axis=1)[:, :k]
    return onp.asarray(train_y)[order], order


def knn_predict(train_x, train_y, query_x, k):
    """Reference solution (numpy): bincount vote, argmax picks the smallest tied label."""
    labels, _ = _neighbour_labels(train_x, train_y, query_x, k)
    return onp.array([onp.bincount(row).argmax() for row in labels])


@mx.util.use_np  # numpy semantics inside this function only; other tests are unaffected
def knn_predict_mxnp(train_x, train_y, query_x, k):
    """The chapter's solution: mx.np distances, one-hot vote."""
    A, Q = mx.np.array(train_x, dtype="float64"), mx.np.array(query_x, dtype="float64")
    sq = (Q ** 2).sum(axis=1, keepdims=True) - 2 * Q @ A.T + (A ** 2).sum(axis=1)
    nearest = mx.np.argsort(sq, axis=1)[:, :k].asnumpy().astype(onp.int64)
    labels = onp.asarray(train_y, dtype=onp.int64)[nearest]
    return onp.eye(labels.max() + 1)[labels].sum(axis=1).argmax(axis=1)


def check(fn):
    result = checks.check_knn_predict(fn)
    assert str(result).startswith(("PASSED [ex-repr-knn]", "NOT YET [ex-repr-knn]"))
    return result


def test_reference_passes():
    result = check(knn_predict)
    assert result.passed, result
    assert "4 hidden test cases" in result.message


def test_chapter_solution_with_mxnet_passes():
    assert check(knn_predict_mxnp).passed


def test_column_vector_and_list_outputs_are_accepted():
    assert check(lambda *a: knn_predict(*a).reshape(-1, 1)).passed
    assert check(lambda *a: knn_predict(*a).tolist()).passed


def test_not_implemented():
    def stub(train_x, train_y, query_x, k):
        raise NotImplementedError
    result = check(stub)
    assert not result.passed and "not implemented yet" in result.message


def test_zeros_fail():
    result = check(lambda train_x, train_y, query_x, k: onp.zeros(len(query_x), dtype=int))
    assert not result.passed
    assert "wrong label for query row" in result.message and "got 0" in result.message


def test_input_unchanged_fails_on_shape():
    result = check(lambda train_x, train_y, query_x, k: query_x)
    assert not result.passed
    assert "one label per query row: expected shape (12,), got (12, 5)" in result.message


def test_ignoring_k_fails():
    result = check(lambda train_x, train_y, query_x, k: knn_predict(train_x, train_y, query_x, 1))
    assert not result.passed
    assert "label of the single nearest row; vote among the k=3 nearest" in result.message


def test_farthest_neighbours_fail():
    def farthest(train_x, train_y, query_x, k):
        labels, _ = _neighbour_labels(train_x, train_y, query_x, k, farthest=True)
        return onp.array([onp.bincount(row).argmax() for row in labels])
    result = check(farthest)
    assert not result.passed and "k farthest rows" in result.message


def test_ties_to_largest_label_fail():
    def largest(train_x, train_y, query_x, k):
        labels, _ = _neighbour_labels(train_x, train_y, query_x, k)
        return onp.array([len(c) - 1 - onp.argmax(c[::-1]) for c in (onp.bincount(r) for r in labels)])
    result = check(largest)
    assert not result.passed
    assert "smallest of the tied labels" in result.message


def test_indices_instead_of_labels_fail():
    def indices(train_x, train_y, query_x, k):
        return _neighbour_labels(train_x, train_y, query_x, k)[1][:, 0]
    result = check(indices)
    assert not result.passed and "index of the nearest training row, not its label" in result.message


def test_labels_shifted_to_zero_fail():
    """Voting over positions 0..C-1 and forgetting to map back to the labels 5..9."""
    def shifted(train_x, train_y, query_x, k):
        classes = onp.unique(train_y)
        labels, _ = _neighbour_labels(train_x, onp.searchsorted(classes, train_y), query_x, k)
        return onp.array([onp.bincount(row).argmax() for row in labels])
    result = check(shifted)
    assert not result.passed and "is not a label in train_y" in result.message


def test_float_scores_fail():
    result = check(lambda train_x, train_y, query_x, k: knn_predict(train_x, train_y, query_x, k) + 0.5)
    assert not result.passed and "integer labels" in result.message


def test_student_error_is_reported():
    def broken(train_x, train_y, query_x, k):
        return train_x @ query_x
    result = check(broken)
    assert not result.passed and "your function raised ValueError" in result.message


def test_knn_through_scikit_learn_is_a_shortcut():
    from sklearn.neighbors import KNeighborsClassifier

    def with_sklearn(train_x, train_y, query_x, k):
        return KNeighborsClassifier(k).fit(train_x, train_y).predict(query_x)
    result = checks.check_knn_predict(with_sklearn)
    assert not result.passed and "uses scikit-learn's nearest neighbours" in result.message, result
