"""Student copies of the chapters, and the book's index of exercises.

  python tools/homework.py students [OUT]   write student notebooks (default _build/homework/)
  python tools/homework.py index            rewrite exercises.md, the book's list of exercises
  python tools/homework.py mark-open NB...   say "open question" in exercises without a solution

A student copy keeps every chapter cell and every exercise, removes each folded solution (from the
``solution-start`` cell to the ``solution-end`` cell), keeps the graded exercises' stub cells,
marked clearly, and clears all outputs so students start from a clean notebook. Beside the
copies, ``book_outputs.json`` keeps what the book's chapters printed, for chapter 12.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"
EXERCISE = re.compile(r"^:::\{exercise\}[^\n]*\n:label:\s*(\S+)\s*\n(.*?)^:::", re.M | re.S)
STUB_BANNER = "# EXERCISE {label}: replace `raise NotImplementedError` with your code, then run this cell.\n"


def _source(cell) -> str:
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


SOLUTION_FENCE = re.compile(r"^```\{solution-(start|end)\}[^\n]*\n(?:[ \t]*:[^\n]*\n)*```[ \t]*$",
                            re.M)


def _split_markdown(text: str, in_solution: bool) -> tuple[str, bool]:
    """The parts of a markdown cell outside solutions, and whether a solution is still open.

    A cell may close one solution, state the next exercise and open its solution (chapters
    6, 7 and 8 do): only the text between the fences goes, the statement stays."""
    kept, pos = [], 0
    for fence in SOLUTION_FENCE.finditer(text):
        if not in_solution:
            kept.append(text[pos:fence.start()])
        opening = fence.group(1) == "start"
        if opening == in_solution:
            raise ValueError(f"solution-{fence.group(1)} without a matching "
                             f"solution-{'end' if opening else 'start'}: {text[:60]!r}")
        in_solution, pos = opening, fence.end()
    if not in_solution:
        kept.append(text[pos:])
    return re.sub(r"\n{3,}", "\n\n", "".join(kept)).strip("\n"), in_solution


def student_version(nb):
    """The notebook without solutions, with marked stubs and no outputs (a new object)."""
    nb = nbformat.from_dict(nb)
    cells, in_solution, label = [], False, None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            text, in_solution = _split_markdown(_source(cell), in_solution)
            if not text.strip():
                continue
            cell.source = text
            found = EXERCISE.findall(text)
            label = found[-1][0] if found else label
        elif in_solution:
            continue
        elif cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            tags = cell.metadata.get("tags", [])
            if "exercise-stub" in tags:
                cell.metadata["tags"] = [t for t in tags if t != "remove-cell"]
                if not _source(cell).startswith("# EXERCISE"):
                    cell.source = STUB_BANNER.format(label=label) + _source(cell)
        cells.append(cell)
    if in_solution:
        raise ValueError("a solution-start cell has no matching solution-end cell")
    nb.cells = cells
    return nb


def labels(nb) -> list[str]:
    """The labels of a notebook's exercises, in order (to count them in copies and book)."""
    return [lab for c in nb.cells if c.cell_type == "markdown"
            for lab, _ in EXERCISE.findall(_source(c))]


def book_outputs() -> dict[str, str]:
    """What each chapter printed, as stored in the book: chapter 12 draws its conclusions from it,
    and a student folder keeps it beside the copies (whose outputs are cleared)."""
    texts = {}
    for path in sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        texts[path.stem] = "\n".join("".join(out.get("text", "")) for cell in nb.cells
                                     if cell.cell_type == "code" for out in cell.get("outputs", []))
    return texts


def write_students(out: Path) -> list[Path]:
    """Write the student copy of every chapter into ``out/chapters``; return the paths."""
    (out / "chapters").mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb")):
        target = out / "chapters" / path.name
        nbformat.write(student_version(nbformat.read(path, as_version=4)), target)
        written.append(target)
    (out / "chapters" / "book_outputs.json").write_text(json.dumps(book_outputs(), indent=0))
    return written


SOLUTION_OF = re.compile(r"^```\{solution-start\}\s+(\S+)", re.M)
OPEN_QUESTION = ("*Open question: the book gives no solution. Compare your answer with a "
                 "classmate's, or ask your teacher.*")


def exercises(nb) -> list[dict]:
    """Each exercise of a notebook: its label, first sentence, the checker that grades it (or
    None), whether the chapter folds a solution under it, and whether it says it has none."""
    found, current = [], None
    solved = {label for cell in nb.cells if cell.cell_type == "markdown"
              for label in SOLUTION_OF.findall(_source(cell))}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for label, text in EXERCISE.findall(_source(cell)):
                first = re.split(r"(?<=[.?!])\s", " ".join(text.split()), maxsplit=1)[0]
                current = {"label": label, "summary": first, "checker": None,
                           "solution": label in solved, "open": OPEN_QUESTION in text}
                found.append(current)
        elif current and "exercise-stub" in cell.metadata.get("tags", []):
            checker = re.search(r"checks\.(check_\w+)", _source(cell))
            current["checker"] = checker.group(1) if checker else None
    return found


def mark_open_questions(nb) -> list[str]:
    """Add the open-question line to every exercise without a solution (in place); return their
    labels. An exercise that gets a solution later must lose the line by hand (a test checks)."""
    marked = []
    unsolved = {e["label"] for e in exercises(nb) if not e["solution"] and not e["open"]}
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue

        def add_line(match):
            if match.group(1) not in unsolved:
                return match.group(0)
            marked.append(match.group(1))
            return match.group(0)[:-3].rstrip("\n") + "\n\n" + OPEN_QUESTION + "\n:::"

        cell.source = EXERCISE.sub(add_line, _source(cell))
    return marked


def chapter_title(nb) -> str:
    for cell in nb.cells:
        m = re.search(r"^# (.+)$", _source(cell), re.M) if cell.cell_type == "markdown" else None
        if m:
            return m.group(1).strip()
    return "?"


def all_solved() -> bool:
    """Whether no chapter has an exercise marked as an open question."""
    return not any(OPEN_QUESTION in path.read_text()
                   for path in CHAPTERS.glob("[0-9][0-9]_*.ipynb"))


def index_markdown() -> str:
    """The Exercises page: every exercise with its chapter and whether a checker grades it."""
    lines = ["# Exercises", "",
             "Every chapter ends with exercises. **Graded** ones come with a checker in "
             "`d2l_utils.checks`: write the function the exercise asks for, run the cell, and the "
             "checker tests it on inputs you have not seen and tells you what, if anything, is wrong. "
             "Every exercise has a solution, folded away under it in the chapter"
             + ("" if all_solved() else "; the few without one say so (*open question*)")
             + ". Teachers: "
             "`make homework` writes student copies of the chapters, without solutions, into "
             "`_build/homework/`, and `make grade SUBMISSIONS=dir` grades a class's notebooks "
             "into a gradebook.", ""]
    total = graded = 0
    rows = []
    for path in sorted(CHAPTERS.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        items = exercises(nb)
        total += len(items)
        graded += sum(e["checker"] is not None for e in items)
        rows.append(f"\n## [{chapter_title(nb)}](chapters/{path.stem}.ipynb)\n")
        rows.append("| exercise | graded by | solution |\n| --- | --- | --- |")
        for e in items:
            check = f"`{e['checker']}`" if e["checker"] else "(not graded)"
            solution = "folded under it" if e["solution"] else "open question"
            summary = e["summary"].replace("|", "\\|")
            summary = re.sub(r"\]\((\d\d_\w+\.ipynb)", r"](chapters/\1", summary)  # links from chapters/
            rows.append(f"| {{ref}}`{e['label']}`: {summary} | {check} | {solution} |")
    lines.append(f"The book has **{total} exercises, {graded} of them graded**.")
    return "\n".join(lines + rows) + "\n"


def main(argv: list[str]) -> int:
    if argv[:1] == ["students"]:
        out = Path(argv[1]) if len(argv) > 1 else ROOT / "_build" / "homework"
        for p in write_students(out):
            print(f"wrote {p.relative_to(ROOT) if p.is_relative_to(ROOT) else p}")
        return 0
    if argv[:1] == ["mark-open"]:
        for path in (Path(a) for a in argv[1:]):
            nb = nbformat.read(path, as_version=4)
            marked = mark_open_questions(nb)
            if marked:
                nbformat.write(nb, path)
            print(f"{path}: {len(marked)} exercises marked as open questions {marked}")
        return 0
    if argv[:1] == ["index"]:
        (ROOT / "exercises.md").write_text(index_markdown())
        print("wrote exercises.md")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
