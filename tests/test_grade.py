"""The class grader: a fake class (tests/submissions) graded in one command into the right
gradebook, whatever its notebooks crash, loop, delete, patch or print; and its JSON channel."""
import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import grade  # noqa: E402

DROPOUT, EARLY = "ex-regularization-dropout", "ex-regularization-early-stopping"
# Limits with room for a busy machine (a first MXNet call can take seconds there); the looping
# fakes still hit them.
CALL_TIMEOUT, CELL_TIMEOUT, NOTEBOOK_TIMEOUT = 15, 30, 150
PASS_DROPOUT = "identity at test time; drops a fraction p"
PASS_EARLY = "correct best and stopping epochs for 7 validation curves"
EXPECTED = {  # (student, exercise): (points, the start of the message)
    ("correct", DROPOUT): (1, PASS_DROPOUT), ("correct", EARLY): (1, PASS_EARLY),
    ("wrong", DROPOUT): (0, "with p=0.2, the elements that survive must be multiplied"),
    ("wrong", EARLY): (0, "for validation scores [0.5, 0.7, 0.7, 0.7, 0.6] and patience=3"),
    ("shortcut", DROPOUT): (0, "with p=1 every element must be dropped"),
    ("shortcut", EARLY): (0, "passes, but calls the grader's own reference"),
    ("crashing", DROPOUT): (1, PASS_DROPOUT), ("crashing", EARLY): (1, PASS_EARLY),
    ("looping", DROPOUT): (1, PASS_DROPOUT),
    ("looping", EARLY): (0, "your function raised TimeoutError: it did not finish within "
                            f"{CALL_TIMEOUT} s"),
    ("tampering", DROPOUT): (0, grade.TAMPERED), ("tampering", EARLY): (0, grade.TAMPERED),
    ("forging", DROPOUT): (0, "not submitted: the notebook defines no function `dropout_layer`"),
    ("forging", EARLY): (0, "for validation scores"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The fake class graded by the command `make grade` runs, on a copy (one fake deletes)."""
    tmp = tmp_path_factory.mktemp("grading")
    shutil.copytree(ROOT / "tests" / "submissions", tmp / "class",
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    env = dict(os.environ, D2L_GRADE_VICTIM=str(tmp / "class"))
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "grade.py"), str(tmp / "class"),
                          "--out", str(tmp / "out"), "--timeout", str(NOTEBOOK_TIMEOUT),
                          "--cell-timeout", str(CELL_TIMEOUT),
                          "--call-timeout", str(CALL_TIMEOUT)],
                         env=env, capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    with open(tmp / "out" / "gradebook.csv") as f:
        return tmp, list(csv.DictReader(f)), run.stdout


def test_the_gradebook_gives_each_submission_what_it_earned(graded):
    _, rows, _ = graded
    got = {(r["student"], r["exercise"]): r for r in rows}
    assert set(got) == set(EXPECTED)
    for key, (points, message) in EXPECTED.items():
        assert int(got[key]["points"]) == points, (key, got[key])
        assert got[key]["message"].startswith(message), (key, got[key]["message"])
        assert got[key]["max_points"] == "1"
    assert "uses MXNet's dropout" in got[("shortcut", DROPOUT)]["message"]
    assert "tie with the best is not a new best" in got[("forging", EARLY)]["message"]


def test_every_student_gets_feedback_with_notes_on_their_notebook(graded):
    tmp, _, stdout = graded
    files = sorted(p.stem for p in (tmp / "out" / "feedback").glob("*.md"))
    assert files == sorted({student for student, _ in EXPECTED})
    crashing = (tmp / "out" / "feedback" / "crashing.md").read_text()
    assert "cell 3 stopped the kernel" in crashing and "(1/1)" in crashing
    assert "cell 4 was interrupted" in (tmp / "out" / "feedback" / "looping.md").read_text()
    assert "graded 7 students, 14 exercises, 5 points" in stdout


def test_a_deleting_notebook_cannot_touch_the_submissions_where_namespaces_allow(graded):
    tmp, _, stdout = graded
    if "warning: no sandbox" in stdout:
        pytest.skip("no unprivileged namespaces here: the grader read every notebook first")
    assert (tmp / "class" / "correct" / "07_regularization.ipynb").exists()


def test_the_book_has_17_graded_exercises_each_with_its_function():
    found = {e.label: e.function for e in grade.book_exercises()}
    assert len(found) == 17
    assert found["ex-cnn-conv2d"] == "conv2d_forward" and found[EARLY] == "early_stopping"


def test_results_come_back_as_plain_values_only():
    import mxnet as mx

    sent = {"t": "tuple", "items": [
        grade.encode_input(mx.np.array([[1.0, 2.0]], dtype="float32")),
        grade.encode_input(np.arange(3)), {"t": "py", "v": 2.5}]}
    a, b, c = grade.decode_result(sent)
    assert isinstance(a, mx.np.ndarray) and a.dtype == np.float32 and a.shape == (1, 2)
    assert b.tolist() == [0, 1, 2] and c == 2.5
    objects = {"t": "np", "dtype": "|O", "shape": [1], "data": ""}
    assert isinstance(grade.decode_result(objects), grade.Opaque)  # no pickled objects
    short = dict(grade.encode_input(np.arange(3)), shape=[5])
    assert isinstance(grade.decode_result(short), grade.Opaque)
    assert isinstance(grade.decode_result({"t": "py", "v": {"x": 1}}), grade.Opaque)


def test_a_notebook_answers_its_chapters_exercises_or_the_functions_it_defines():
    exercises = grade.book_exercises()
    assert [e.label for e in grade.expected("07_regularization.ipynb", [], exercises)] == \
        [DROPOUT, EARLY]
    cells = ["def knn_predict(a, b, c, k):\n    return 0"]
    assert [e.label for e in grade.expected("homework.ipynb", cells, exercises)] == ["ex-repr-knn"]
