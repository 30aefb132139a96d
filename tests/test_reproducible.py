"""Stored outputs are compared up to round-off (tools/nbval_tolerance.py), and real changes still fail."""
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import nbval_tolerance as tol  # noqa: E402


@pytest.mark.parametrize("ref, test", [
    ("test accuracy 0.9300", "test accuracy 0.9301"),           # a rounding flip in the last digit
    ("loss 0.617 -> 0.471", "loss 0.617 -> 0.470"),
    ("w: [ 7.2742677  -0.21454343]", "w: [ 7.274268   -0.21454344]"),  # numpy re-pads its columns
    ("difference 3.0e-08", "difference 3.1e-08"),
    ("-0.0", "0.0"),
])
def test_round_off_is_accepted(ref, test):
    assert tol.texts_agree(ref, test)


@pytest.mark.parametrize("ref, test", [
    ("test accuracy 0.9300", "test accuracy 0.9293"),           # 7 steps: only with a tolerance tag
    ("test accuracy 0.930", "test accuracy 0.920"),             # another accuracy
    ("weight 0.47", "weight -0.47"),                            # a sign
    ("epoch 5: loss 0.1", "epoch 6: loss 0.1"),                 # integers are exact
    ("11552 training images", "11553 training images"),
    ("14 of 16 tables learned", "15 of 16 tables learned"),
    ("tanh wins", "sigmoid wins"),                              # words are exact
    ("loss 0.1", "loss 0.1 (diverged)"),
    ("difference 1.2e-07", "difference 1.6e-07"),               # round-off sizes: print a bound
])
def test_real_changes_fail(ref, test):
    assert not tol.texts_agree(ref, test)


def test_tolerance_tag_widens_only_tagged_cells():
    assert tol.cell_rtol(["remove-cell", "nbval-tolerance-0.5%"]) == 0.005
    assert tol.cell_rtol(["nbval-tolerance-2%"]) == 0.02 and tol.cell_rtol(["nbval-ignore-output"]) == 0
    assert tol.texts_agree("test accuracy 0.9300", "test accuracy 0.9293", rtol=0.005)
    assert not tol.texts_agree("test accuracy 0.930", "test accuracy 0.920", rtol=0.005)
    assert not tol.texts_agree("epoch 5", "epoch 6", rtol=0.5)


def test_outputs_are_aligned_only_where_they_agree():
    ref = [{"output_type": "stream", "name": "stdout", "text": "acc 0.930\n"},
           {"output_type": "execute_result", "data": {"text/plain": "0.25", "image/png": "x"}}]
    test = [{"output_type": "stream", "name": "stdout", "text": "acc 0.931\n"},
            {"output_type": "execute_result", "data": {"text/plain": "0.35", "image/png": "y"}}]
    aligned = tol.align_outputs(test, ref, 0.0)
    assert aligned[0]["text"] == "acc 0.930\n"                   # taken over: within one step
    assert aligned[1]["data"]["text/plain"] == "0.35"            # left alone: nbval reports it
    assert test[0]["text"] == "acc 0.931\n"                      # the input is not modified


def edit_output(cell, old: str, new: str) -> None:
    for out in cell.outputs:
        if "text" in out and old in out.text:
            out.text = out.text.replace(old, new)
            return
    raise AssertionError(f"{old!r} not in the stored outputs of the cell")


def test_a_changed_result_in_a_chapter_is_still_caught():
    """Chapter 2 re-executed under nbval against stored outputs edited three ways: a one-step
    rounding difference passes; another accuracy and another count fail, each in its own cell."""
    nb = nbformat.read(ROOT / "chapters" / "02_one_unit.ipynb", as_version=4)
    cells = dict(enumerate(c for c in nb.cells if c.cell_type == "code"))  # nbval's "Cell N"
    find = lambda text: next(i for i, c in cells.items() if any(  # noqa: E731
        text in o.get("text", "") for o in c.get("outputs", [])))
    count, accuracy, rounding = find("training and"), find("epoch 1: mean training loss"), find("0 vs 1:")
    edit_output(cells[count], "11552 training", "11553 training")
    edit_output(cells[accuracy], "test accuracy 0.954", "test accuracy 0.944")
    edit_output(cells[rounding], "test accuracy 0.999", "test accuracy 0.998")
    folder = ROOT / "_build" / "changed_chapter"  # inside the repository, so conftest.py applies
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "02_one_unit_changed.ipynb"
    nbformat.write(nb, path)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    out = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout)
    failed = sorted(int(n) for n in re.findall(r"^FAILED \S+::Cell (\d+)", out, flags=re.M))
    assert failed == sorted([count, accuracy]), out[-3000:]


def test_steps_tag_counts_printed_steps_of_each_number():
    assert tol.cell_steps(["nbval-tolerance-5-steps"]) == 5 and tol.cell_steps([]) == 1
    # 0.930 vs 0.925: 5 steps of 0.001; 87.9 vs 87.6: 3 steps of 0.1; the integer stays exact
    assert tol.texts_agree("acc 0.930, 87.9 ± 0.1, 40 epochs", "acc 0.925, 87.6 ± 0.3, 40 epochs", steps=5)
    assert not tol.texts_agree("acc 0.930", "acc 0.924", steps=5)
    assert not tol.texts_agree("acc 0.930, 40 epochs", "acc 0.930, 39 epochs", steps=5)
    assert tol.steps_apart("acc 0.930 loss 0.41", "acc 0.925 loss 0.42") == pytest.approx(5)
    assert tol.steps_apart("acc 0.930", "loss 0.930") == float("inf")
