"""Student copies: solutions removed, stubs kept and marked, and every copy executes without error."""
import os
import re
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


def test_a_cell_that_ends_a_solution_and_states_the_next_exercise_keeps_the_statement():
    """Chapters 6 to 9 close a solution, state the next exercise and open its solution in one cell."""
    cells = [md(":::{exercise}\n:label: ex-a\nFirst.\n:::"),
             md("```{solution-start} ex-a\n:class: dropdown\n```\nSecret one."),
             code("secret = 1"),
             md("More secret.\n\n```{solution-end}\n```\n\n:::{exercise}\n:label: ex-b\nSecond.\n:::"),
             code("def f(x):\n    raise NotImplementedError", metadata={"tags": ["exercise-stub"]}),
             md(":::{exercise}\n:label: ex-c\nThird.\n:::\n\n```{solution-start} ex-c\n:class: dropdown"
                "\n```\nSecret three.\n```{solution-end}\n```\nAfter.")]
    student = homework.student_version(nbformat.v4.new_notebook(cells=cells))
    text = "\n".join(c.source for c in student.cells)
    assert homework.labels(student) == ["ex-a", "ex-b", "ex-c"]
    assert "Secret" not in text and "secret" not in text and "solution-" not in text
    assert "After." in text
    stub = next(c for c in student.cells if c.cell_type == "code")
    assert stub.source.startswith("# EXERCISE ex-b:")


def test_exercises_page_is_up_to_date():
    assert (ROOT / "exercises.md").read_text() == homework.index_markdown(), \
        "exercises.md is stale: run `make exercises`"


CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


def split_lines(nb) -> tuple[set[str], set[str]]:
    """The book's lines inside solutions (fenced markdown and the code cells between fences) and
    outside them, found independently of homework.py's own splitting."""
    inside_lines, outside_lines, inside = set(), set(), False
    for cell in nb.cells:
        parts = homework.SOLUTION_FENCE.split(cell.source) if cell.cell_type == "markdown" else None
        for i, part in enumerate(parts or [cell.source]):  # text, kind, text, ... (start/end)
            if parts and i % 2:
                inside = part == "start"
                continue
            lines = {line.strip() for line in part.splitlines() if len(line.strip()) > 25}
            (inside_lines if inside else outside_lines).update(lines)
    return inside_lines - outside_lines, outside_lines


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_student_copy_keeps_every_exercise_and_no_solution(path):
    book = nbformat.read(path, as_version=4)
    student = homework.student_version(book)
    assert homework.labels(student) == homework.labels(book)
    text = "\n".join(c.source for c in student.cells)
    copy_lines = {line.strip() for line in text.splitlines()}
    solution_only, outside = split_lines(book)
    assert outside <= copy_lines
    leaked = sorted(solution_only & copy_lines)
    assert not leaked, leaked[:3]
    stubs = [c for c in book.cells if "exercise-stub" in c.metadata.get("tags", [])]
    banners = [c.source.splitlines()[0] for c in student.cells
               if "exercise-stub" in c.metadata.get("tags", [])]
    assert len(banners) == len(stubs)
    for banner, stub in zip(banners, stubs):  # each stub under the banner of its own exercise
        name = re.search(r"checks\.check_\w+\((\w+)\)", stub.source).group(1)
        label = banner.split()[2].rstrip(":")
        statement = next(c.source for c in book.cells if f":label: {label}" in c.source)
        assert f"`{name}(" in statement, (label, name)


def test_the_book_has_58_exercises_and_the_copies_keep_them_all():
    book = sum(len(homework.labels(nbformat.read(p, as_version=4))) for p in CHAPTERS)
    copies = sum(len(homework.labels(homework.student_version(nbformat.read(p, as_version=4))))
                 for p in CHAPTERS)
    assert book == copies >= 58


STUDENT_DIR = ROOT / "_build" / "homework"


@pytest.fixture(scope="module")
def student_copies():
    return {p.name: p for p in homework.write_students(STUDENT_DIR)}


@pytest.mark.parametrize("chapter", [p.name for p in CHAPTERS])
def test_student_copy_executes(student_copies, chapter):
    """A student's copy runs top to bottom from the student folder, where nothing but the copies
    and book_outputs.json lies; unsolved graded exercises print NOT YET."""
    path = student_copies[chapter]
    nb = nbformat.read(path, as_version=4)
    if chapter.startswith("12_") and "book_outputs.json" not in "".join(c.source for c in nb.cells):
        pytest.skip("chapter 12 still reads the other chapters' notebooks, whose student copies "
                    "have no outputs: it must read book_outputs.json there (issue 19)")
    os.environ["D2L_STATIC_PLOTS"] = "1"
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    stubs = [c for c in nb.cells if "exercise-stub" in c.metadata.get("tags", [])]
    for cell in stubs:
        text = "".join(o.get("text", "") for o in cell.outputs)
        assert "NOT YET" in text and "not implemented yet" in text, text


def test_exercises_know_whether_a_solution_is_folded_under_them():
    found = {e["label"]: e for e in homework.exercises(sample_notebook())}
    assert found["ex-sample-double"]["solution"] and not found["ex-sample-double"]["open"]
    assert not found["ex-sample-think"]["solution"] and not found["ex-sample-think"]["open"]


def test_open_questions_are_marked_once_and_only_where_no_solution_exists():
    nb = sample_notebook()
    assert homework.mark_open_questions(nb) == ["ex-sample-think"]
    assert homework.mark_open_questions(nb) == []  # idempotent
    found = {e["label"]: e for e in homework.exercises(nb)}
    assert found["ex-sample-think"]["open"] and not found["ex-sample-double"]["open"]
    think = next(c.source for c in nb.cells if "ex-sample-think" in c.source)
    assert think.endswith(homework.OPEN_QUESTION + "\n:::")  # inside the exercise box
    assert "Think about it." in think


@pytest.mark.parametrize("path", sorted(homework.CHAPTERS.glob("[0-9][0-9]_*.ipynb")),
                         ids=lambda p: p.stem)
def test_every_exercise_has_a_solution_or_says_it_is_an_open_question(path):
    for e in homework.exercises(nbformat.read(path, as_version=4)):
        assert e["solution"] != e["open"], (
            f"{e['label']}: " + ("has a solution and still says 'open question'" if e["solution"]
                                 else "no solution: write one, or run "
                                 f"`python tools/homework.py mark-open {path.name}`"))
