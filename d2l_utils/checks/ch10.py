"""Graders for chapter 10's exercises (representation learning)."""

from __future__ import annotations

import numpy as np

from .common import CheckResult, grader, hidden_rng, Rule, run_student, to_numpy

_LIBRARY_KNN = Rule(
    "forbid",
    ("sklearn/neighbors/:*",),
    "uses scikit-learn's nearest neighbours: the exercise asks you to write them",
)


def knn_reference(
    train_x, train_y, query_x, k: int, farthest: bool = False, ties_to_largest: bool = False
):
    """Reference k-nearest-neighbour vote (and two of its classic mistakes, by flag)."""
    sq_dist = ((query_x[:, None, :] - train_x[None, :, :]) ** 2).sum(axis=-1)
    order = np.argsort(-sq_dist if farthest else sq_dist, axis=1, kind="stable")[:, :k]
    predictions = []
    for labels in train_y[order]:
        values, counts = np.unique(labels, return_counts=True)
        winners = values[counts == counts.max()]
        predictions.append(winners.max() if ties_to_largest else winners.min())
    return np.array(predictions, dtype=np.int64), order[:, 0]


def _knn_case(rng, n_train: int, n_query: int, d: int, labels, k: int):
    """Random points on which every known mistake shows and is told apart from the others: the
    right answer, the 1-NN labels, the k-farthest vote, (for even k) the ties-to-largest vote and a
    constant answer all differ. Redrawn until that holds; the draw is fixed by ``rng``."""
    labels = np.asarray(labels, dtype=np.int64)
    while True:
        train_x = rng.normal(size=(n_train, d))
        train_y = rng.choice(labels, size=n_train)
        query_x = rng.normal(size=(n_query, d))
        expected, nearest = knn_reference(train_x, train_y, query_x, k)
        answers = [expected, nearest]
        if k > 1:
            answers += [
                train_y[nearest],
                knn_reference(train_x, train_y, query_x, k, farthest=True)[0],
            ]
        if k % 2 == 0:
            answers.append(knn_reference(train_x, train_y, query_x, k, ties_to_largest=True)[0])
        distinct = len({a.tobytes() for a in answers}) == len(answers)
        if distinct and all(len(np.unique(a)) > 1 for a in answers):
            return train_x, train_y, query_x


@grader("ex-repr-knn", _LIBRARY_KNN)
def check_knn_predict(knn_predict) -> CheckResult:
    """Grade ``knn_predict(train_x, train_y, query_x, k) -> labels``: for each query row, the most
    common label among its k nearest training rows (Euclidean), ties to the smallest label
    (chapter 10)."""
    ex = "ex-repr-knn"
    rng = hidden_rng(ex)
    cases = [
        (30, 12, 5, (0, 1, 2), 3),
        (40, 15, 8, (5, 6, 7, 8, 9), 5),
        (24, 10, 3, (0, 1), 4),
        (20, 8, 6, (2, 4, 7), 1),
    ]
    for n_train, n_query, d, labels, k in cases:
        train_x, train_y, query_x = _knn_case(rng, n_train, n_query, d, labels, k)
        where = f"(test case: {n_train} training rows with labels {list(labels)}, {n_query} queries, k={k})"
        got, failed = run_student(
            ex, knn_predict, train_x.copy(), train_y.copy(), query_x.copy(), k
        )
        if failed is not None:
            return failed
        try:
            got = to_numpy(got)
        except (TypeError, ValueError) as err:
            return CheckResult(
                ex,
                False,
                f"could not read your predictions as an array ({err}); "
                f"got {type(got).__name__}",
            )
        if got.shape == (n_query, 1):
            got = got.reshape(-1)
        if got.shape != (n_query,):
            return CheckResult(
                ex,
                False,
                f"return one label per query row: expected shape ({n_query},), "
                f"got {got.shape} {where}",
            )
        if not np.all(np.isfinite(got)) or not np.array_equal(got, np.round(got)):
            return CheckResult(
                ex,
                False,
                f"the predictions must be integer labels taken from train_y; "
                f"got non-integer values such as {got[got != np.round(got)][:1]} {where}",
            )
        expected, nearest = knn_reference(train_x, train_y, query_x, k)
        if np.array_equal(got, expected):
            continue
        mistakes = [
            (
                nearest,
                "you returned the index of the nearest training row, not its label: look the "
                "labels up in train_y",
            ),
            (
                train_y[nearest],
                f"your predictions are the label of the single nearest row; vote among "
                f"the k={k} nearest rows",
            ),
            (
                knn_reference(train_x, train_y, query_x, k, farthest=True)[0],
                "you voted among the k farthest rows: sort the distances in increasing order",
            ),
            (
                knn_reference(train_x, train_y, query_x, k, ties_to_largest=True)[0],
                "when the vote is tied the prediction must be the smallest of the tied labels, not the largest",
            ),
        ]
        for wrong, hint in mistakes:
            if np.array_equal(got, wrong):
                return CheckResult(ex, False, f"{hint} {where}")
        strangers = sorted(set(got.astype(np.int64).tolist()) - set(train_y.tolist()))
        if strangers:
            return CheckResult(
                ex,
                False,
                f"{strangers[0]} is not a label in train_y; predict one of "
                f"{sorted(set(train_y.tolist()))} {where}",
            )
        i = int(np.flatnonzero(got != expected)[0])
        return CheckResult(
            ex,
            False,
            f"wrong label for query row {i}: expected {expected[i]}, "
            f"got {int(got[i])} ({int((got != expected).sum())} of {n_query} wrong) {where}",
        )
    return CheckResult(
        ex,
        True,
        f"the labels match the reference on {len(cases)} hidden test cases "
        "(k = 1, 3, 4, 5; ties included)",
    )
