"""Student copies: solutions removed, stubs kept and marked, and every copy executes without error."""
import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import homework  # noqa: E402

md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell


def sample_notebook():
    stub = code("def double(x):\n    raise NotImplementedError\nprint(d2l.checks.check_double(double))",
                metadata={"tags": ["exercise-stub", "remove-cell"]})
    cells = [md("# 9. Sample"), code("x = 1", execution_count=1, outputs=[nbformat.v4.new_output("stream", text="1")]),
             md(":::{exercise}\n:label: ex-sample-double\nWrite `double`. It doubles.\n:::"), stub,
             md("```{solution-start} ex-sample-double\n:class: dropdown\n```"),
             code("def double(x):\n    return 2 * x"), md("```{solution-end}\n```"),
             md(":::{exercise}\n:label: ex-sample-think\nThink about it.\n:::")]
    return nbformat.v4.new_notebook(cells=cells)


def test_student_version_removes_solutions_and_keeps_marked_stubs():
    student = homework.student_version(sample_notebook())
    sources = [c.source for c in student.cells]
    assert not any("return 2 * x" in s or "solution-" in s for s in sources)
    stub = next(c for c in student.cells if "exercise-stub" in c.metadata.get("tags", []))
    assert stub.source.startswith("# EXERCISE ex-sample-double:")
    assert "remove-cell" not in stub.metadata["tags"]
    assert all(c.outputs == [] and c.execution_count is None for c in student.cells if c.cell_type == "code")


def test_unclosed_solution_is_an_error():
    nb = sample_notebook()
    del nb.cells[6]
    with pytest.raises(ValueError, match="no matching solution-end"):
        homework.student_version(nb)


def test_exercise_index_finds_checkers():
    found = homework.exercises(sample_notebook())
    assert [(e["label"], e["checker"]) for e in found] == [("ex-sample-double", "check_double"),
                                                           ("ex-sample-think", None)]
    assert found[0]["summary"] == "Write `double`."


def test_exercises_page_is_up_to_date():
    assert (ROOT / "exercises.md").read_text() == homework.index_markdown(), \
        "exercises.md is stale: run `make exercises`"


STUDENT_DIR = ROOT / "_build" / "homework"


@pytest.fixture(scope="module")
def student_copies():
    return {p.name: p for p in homework.write_students(STUDENT_DIR)}


@pytest.mark.parametrize("chapter", sorted(p.name for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")))
def test_student_copy_executes(student_copies, chapter):
    """A student's copy runs top to bottom without error; unsolved graded exercises print NOT YET."""
    path = student_copies[chapter]
    nb = nbformat.read(path, as_version=4)
    os.environ["D2L_STATIC_PLOTS"] = "1"
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "chapters")}}).execute()
    stubs = [c for c in nb.cells if "exercise-stub" in c.metadata.get("tags", [])]
    for cell in stubs:
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert "NOT YET" in text and "not implemented yet" in text, text
