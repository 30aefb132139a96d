"""Reformat the code cells of notebooks so that no line is longer than 88 columns.

    python tools/fit_code_lines.py chapters/02_one_unit.ipynb [more.ipynb ...]
    python tools/fit_code_lines.py --check chapters/*.ipynb    # only count, change nothing
    python tools/fit_code_lines.py --all-cells NB.ipynb        # black on every code cell

For each code cell with a line over the limit (or every code cell with ``--all-cells``):
1. black (line length 88, quotes left as they are, long strings split by black's
   string-processing feature) reformats the cell; IPython magics and shell lines (``%…``,
   ``!…``) are set aside first and put back unchanged;
2. comments and one-line docstrings that are still too long are wrapped: a full-line comment
   over several comment lines, a trailing comment moved onto its own line(s) above its code
   line, a docstring over several lines.
Outputs, metadata and markdown cells are never touched, so stored outputs stay valid (nbval
compares outputs, not sources). The notebook is written back in Jupyter's own layout (one-space
indent). What is still too long afterwards is listed (typically a long string black would not
split, or a cell black cannot parse); wrap those by hand.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import textwrap
from pathlib import Path

LIMIT = 88
_MAGIC = re.compile(r"^\s*(%|!)")


def _black_mode(limit: int):
    import black

    features = {black.mode.Preview.string_processing}
    return black.Mode(line_length=limit, string_normalization=False, preview=True,
                      enabled_features=features)


def _black(code: str, limit: int) -> str:
    """``code`` through black, magics protected; unchanged if black cannot parse it."""
    import black

    if code.lstrip().startswith("%%"):  # a cell magic: the body is not Python
        return code
    lines = code.split("\n")
    magics = {}
    for i, line in enumerate(lines):
        if _MAGIC.match(line):
            key = f"# __fit_code_lines_magic_{i}__"
            magics[key] = line
            lines[i] = line[: len(line) - len(line.lstrip())] + key
    try:
        out = black.format_str("\n".join(lines), mode=_black_mode(limit))
    except Exception:  # noqa: BLE001 (black raises several kinds for code it cannot parse)
        try:  # without the preview feature
            out = black.format_str("\n".join(lines),
                                   mode=black.Mode(line_length=limit, string_normalization=False))
        except Exception:  # noqa: BLE001
            return code
    for key, line in magics.items():
        out = re.sub(r"^[ \t]*" + re.escape(key), lambda m: line, out, flags=re.M)
    return out.rstrip("\n")


def _split_comment(line: str):
    """(code, comment) of a line whose '#' starts a comment (not inside a string), else None."""
    quote = None
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 2
                continue
            if line.startswith(quote, i):
                i += len(quote)
                quote = None
                continue
        elif ch in "'\"":
            quote = line[i:i + 3] if line[i:i + 3] in ("'''", '"""') else ch
            i += len(quote)
            continue
        elif ch == "#":
            return line[:i].rstrip(), line[i:]
        i += 1
    return None


_ONE_LINE_DOCSTRING = re.compile(r'^(\s*)(r?""")(.*)(""")\s*$')


def _wrap_comments(code: str, limit: int) -> str:
    """Wrap long comments and one-line docstrings (the lines black leaves long)."""
    out = []
    for line in code.split("\n"):
        if len(line) <= limit or _MAGIC.match(line):
            out.append(line)
            continue
        doc = _ONE_LINE_DOCSTRING.match(line)
        if doc:
            indent, opening, text, closing = doc.groups()
            wrapped = textwrap.wrap(text, width=limit - len(indent) - 6, break_long_words=False,
                                    break_on_hyphens=False)
            wrapped[0] = opening + wrapped[0]
            wrapped[-1] = wrapped[-1] + closing
            out.extend(indent + w for w in wrapped)
            continue
        parts = _split_comment(line)
        if parts is None:
            out.append(line)
            continue
        before, comment = parts
        indent = line[: len(line) - len(line.lstrip())]
        text = comment.lstrip("#").strip()
        if text.startswith(("NBVAL", "noqa", "type:")):
            out.append(line)
            continue
        wrapped = textwrap.wrap(text, width=limit - len(indent) - 2, break_long_words=False,
                                break_on_hyphens=False) or [""]
        out.extend(f"{indent}# {w}" for w in wrapped)
        if before.strip():
            out.append(before)
    return "\n".join(out)


def fit_source(code: str, limit: int = LIMIT, all_cells: bool = False) -> str:
    """A cell's code with lines of at most ``limit`` columns wherever black and wrapping can."""
    if not all_cells and all(len(line) <= limit for line in code.split("\n")):
        return code
    fitted = _wrap_comments(_black(code, limit), limit)
    return _black(fitted, limit) if fitted != code else fitted


def long_lines(nb: dict, limit: int = LIMIT):
    return [(i, line) for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code"
            for line in "".join(cell["source"]).split("\n") if len(line) > limit]


def fit_notebook(path: Path, limit: int = LIMIT, all_cells: bool = False, write: bool = True):
    """Reformat one notebook in place; return (long lines before, long lines after)."""
    nb = json.loads(path.read_text())
    before = long_lines(nb, limit)
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        code = "".join(cell["source"])
        new = fit_source(code, limit, all_cells)
        if new != code:
            cell["source"] = [line + "\n" for line in new.split("\n")]
            cell["source"][-1] = cell["source"][-1].rstrip("\n")
    after = long_lines(nb, limit)
    if write:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return before, after


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--limit", type=int, default=LIMIT)
    parser.add_argument("--check", action="store_true", help="count what would remain; write nothing")
    parser.add_argument("--all-cells", action="store_true", help="run black on every code cell")
    args = parser.parse_args(argv)
    try:
        import black  # noqa: F401
    except ImportError:
        sys.exit("this tool needs black: .venv/bin/python -m pip install black")
    total_before = total_after = 0
    for path in args.notebooks:
        before, after = fit_notebook(path, args.limit, args.all_cells, write=not args.check)
        total_before += len(before)
        total_after += len(after)
        print(f"{path}: {len(before)} lines over {args.limit} columns before, {len(after)} after")
        for index, line in after:
            print(f"  cell {index} ({len(line)} columns): {line.strip()[:100]}")
    print(f"total: {total_before} before, {total_after} after")
    return 1 if total_after else 0


if __name__ == "__main__":
    sys.exit(main())
