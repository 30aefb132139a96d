"""Code style of the chapters' code cells: no line longer than 88 columns (black's default).

At 88 columns a code cell fits the book's text column at desktop width without scrolling
(tests/test_browser.py checks the rendered cells too) and wraps cleanly in the PDF.
`python tools/fit_code_lines.py chapters/NN_name.ipynb` reformats a chapter's code cells.
"""
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
MAX_COLUMNS = 88


def long_lines(path: Path, limit: int = MAX_COLUMNS) -> list[tuple[int, int, str]]:
    """(cell index, line number, line) of every code line longer than ``limit`` columns."""
    found = []
    for index, cell in enumerate(json.loads(path.read_text())["cells"]):
        if cell["cell_type"] != "code":
            continue
        for number, line in enumerate("".join(cell["source"]).splitlines(), 1):
            if len(line) > limit:
                found.append((index, number, line))
    return found


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_code_lines_fit_88_columns(path):
    found = long_lines(path)
    listing = "\n".join(f"  cell {i} line {n} ({len(line)} columns): {line}" for i, n, line in found)
    assert not found, f"{len(found)} code lines longer than {MAX_COLUMNS} columns:\n{listing}"
