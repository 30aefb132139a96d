"""Put the one Colab set-up cell (tools/colab_cell.txt) first in every chapter, folded in the HTML.

Usage: python tools/colab_cell.py   (a test checks every chapter opens with exactly this cell)
The cell prints nothing outside Colab, so stored outputs stay valid without re-executing.
"""
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOURCE = (ROOT / "tools" / "colab_cell.txt").read_text().rstrip("\n")
TAGS = ["colab-setup", "hide-input"]


def main() -> None:
    for path in sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        first = code[0]
        if "colab-setup" not in first.metadata.get("tags", []) and "google.colab" not in first.source:
            raise SystemExit(f"{path.name}: its first code cell is not the Colab cell; add one first")
        if first.source != SOURCE or first.metadata.get("tags") != TAGS:
            first.source, first.metadata["tags"], first.outputs = SOURCE, TAGS, []
            nbformat.write(nb, path)
            print(f"updated {path.name}")


if __name__ == "__main__":
    main()
