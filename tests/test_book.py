"""The book as a whole: every chapter stored executed and listed, and the HTML builds with -W."""
import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))


def load(path):
    return json.loads(path.read_text())


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [c["file"] for part in toc["parts"] for c in part["chapters"]]


def test_there_are_chapters():
    assert CHAPTERS, "no chapters found in chapters/"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_listed_in_toc(path):
    assert f"chapters/{path.stem}" in toc_files()


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_stored_executed_without_errors(path):
    for i, cell in enumerate(code_cells(load(path))):
        tags = cell.get("metadata", {}).get("tags", [])
        if "skip-execution" in tags:
            continue
        assert cell["execution_count"] is not None, f"code cell {i} was stored without running it"
        assert not [o for o in cell["outputs"] if o["output_type"] == "error"], f"code cell {i} stored an error"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_starts_with_the_colab_cell(path):
    """Every chapter opens with the same Colab set-up cell, built from _config.yml's repository."""
    import colab_cell  # tools/ is on sys.path (conftest.py)

    first = code_cells(load(path))[0]
    reference = colab_cell.render(colab_cell.d2l_utils_source(colab_cell.load_config()))
    assert "".join(first["source"]) == reference, \
        "run `python tools/colab_cell.py --sync chapters/*.ipynb` to put the Colab cell first"
    assert first["metadata"].get("tags") == colab_cell.TAGS


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_asserts_its_claims_in_hidden_cells(path):
    hidden = [c for c in code_cells(load(path)) if "remove-cell" in c.get("metadata", {}).get("tags", [])
              and re.search(r"^\s*assert ", "".join(c["source"]), re.M)]
    assert hidden, "a chapter states its claims as assertions in a cell tagged remove-cell"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_ends_with_three_exercises(path):
    text = "\n".join("".join(c["source"]) for c in load(path)["cells"] if c["cell_type"] == "markdown")
    assert len(re.findall(r"^:::\{exercise\}", text, re.M)) >= 3


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_plots_are_not_followed_by_stray_reprs(path):
    """Plotting cells end with plt.show(): no `<Axes: ...>` or `[<matplotlib...>]` text in the book."""
    for i, cell in enumerate(code_cells(load(path))):
        for out in cell["outputs"]:
            text = "".join(out.get("data", {}).get("text/plain", ""))
            assert not re.match(r"^(<Axes|\[<matplotlib|Text\(|<matplotlib)", text), f"cell {i}: {text[:60]}"


def test_book_builds_with_every_chapter_page(built_book):
    assert (built_book / "index.html").exists()
    for path in CHAPTERS:
        page = built_book / "chapters" / f"{path.stem}.html"
        assert page.exists(), f"{page} missing"
        html = page.read_text()
        images = re.findall(r'<img [^>]*src="([^"]+)"', html)
        assert images, f"{path.stem} shows no figure"
        for src in images:
            if not src.startswith(("http", "data:")):
                assert (page.parent / src).resolve().exists(), f"{path.stem}: broken image {src}"
