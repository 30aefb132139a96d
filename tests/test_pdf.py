"""The whole book as one PDF (`make pdf`, tools/build_pdf.py): read back page by page.

Printed by the Chromium of the browser test, offline; skipped only where that Chromium could not
be installed. Checks what a reader of paper needs: a contents page that lists the chapters in
order, each chapter starting on a new page under its number, math typeset (no raw TeX), and code
wrapped rather than cut at the right margin.
"""
import re
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import build_pdf  # noqa: E402

pytestmark = pytest.mark.skipif(
    not (shutil.which("chromium") and shutil.which("chromedriver")),
    reason="Chromium could not be installed (tools/install_chromium.sh needs root and apt-get)")

CHAPTERS = [p.stem for p in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))]


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The text of every page of a freshly printed book."""
    from pypdf import PdfReader

    out = tmp_path_factory.mktemp("pdf") / "book.pdf"
    build_pdf.print_pdf(build_pdf.build_singlehtml(), out)
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(out).pages]


def test_the_book_is_a_book(pages):
    assert len(pages) >= 20 * len(CHAPTERS), f"only {len(pages)} pages for {len(CHAPTERS)} chapters"


def chapter_titles(pages) -> list[str]:
    """The chapter titles the contents page lists, e.g. '3. Losses and their probabilistic meaning'."""
    contents = next((p for p in pages[:4] if p.startswith("Contents")), None)
    assert contents, "no page among the first four starts with 'Contents': " + pages[1][:200]
    return [t.strip() for t in re.findall(r"\d+\. .+?(?=\s\d+\. |\sExercises|$)", contents)]


def test_contents_page_lists_every_chapter_in_order(pages):
    numbers = [int(t.split(".")[0]) for t in chapter_titles(pages)]
    assert numbers == list(range(1, len(CHAPTERS) + 1)), f"contents lists chapters {numbers}"


def test_each_chapter_starts_a_page_under_its_number(pages):
    for title in chapter_titles(pages):
        assert any(p.startswith(title) for p in pages), f"no page starts with {title!r}"


def test_math_is_typeset_and_code_is_wrapped(pages):
    tex = r"\$\$|\\(?:frac|mathrm|sum|left|right|begin|hat|top|sigma|partial)\b"
    def prose(page):  # code shows TeX in its strings (plot labels): leave quoted text out
        return re.sub(r"\"[^\"]*\"|'[^']*'", "", page)

    raw = [(i + 1, m.group()) for i, p in enumerate(pages) if (m := re.search(tex, prose(p)))]
    assert raw == [], f"pages with raw TeX: {raw}"
    # A clipped code line would lose its end at the right margin: the longest shown code line
    # of every chapter must reach the page whole (its words in order, however it is wrapped).
    text = "".join("".join(pages).split())
    for stem in CHAPTERS:
        line = longest_code_line(ROOT / "chapters" / f"{stem}.ipynb")
        assert "".join(line.split()) in text, f"{stem}: code line cut or missing: {line!r}"


def longest_code_line(path: Path) -> str:
    import nbformat

    hidden = {"remove-cell", "remove-input", "colab-setup", "hide-input"}
    lines = [line for cell in nbformat.read(path, as_version=4).cells
             if cell.cell_type == "code" and not hidden & set(cell.metadata.get("tags", []))
             for line in cell.source.splitlines()]
    return max(lines, key=len)
