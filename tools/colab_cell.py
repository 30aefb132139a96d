"""Write the Colab set-up cell (first code cell of every chapter) and README's install lines.

Both are built from one place, ``repository`` in _config.yml (the launch, repository and issue
buttons use it too), with the template tools/colab_cell.txt. After changing either, run

    python tools/colab_cell.py --sync chapters/*.ipynb     (also rewrites README's blocks)

``--check`` only reports what is out of date (exit 1); ``--print`` shows the cell.
The cell prints nothing outside Colab, so stored outputs stay valid without re-executing.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from string import Template

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "tools" / "colab_cell.txt"
TAGS = ["colab-setup", "hide-input"]
WIDTH = 88

#: The CUDA build of MXNet and the CUDA 11.7 libraries it needs, versions that go together
#: (cuDNN 8.5 and NCCL 2.14 as PyTorch 1.13/2.0 paired them with CUDA 11.7).
GPU_PACKAGES = (
    "mxnet-cu117==1.9.1",
    "nvidia-cuda-runtime-cu11==11.7.99",
    "nvidia-cublas-cu11==11.10.3.66",
    "nvidia-cufft-cu11==10.7.2.91",
    "nvidia-curand-cu11==10.2.10.91",
    "nvidia-cusparse-cu11==11.7.4.91",
    "nvidia-cusolver-cu11==11.4.0.1",
    "nvidia-cuda-nvrtc-cu11==11.7.99",
    "nvidia-nvtx-cu11==11.7.91",
    "nvidia-cudnn-cu11==8.5.0.96",
    "nvidia-nccl-cu11==2.14.3",
)


def load_config(root: Path = ROOT) -> dict:
    """The book's _config.yml."""
    return yaml.safe_load((root / "_config.yml").read_text())


def d2l_utils_source(config: dict) -> str:
    """The pip requirement for d2l_utils: the wheel URL if set, else the repository's branch."""
    repo = config["repository"]
    if repo.get("d2l_utils_wheel"):
        return f"d2l_utils @ {repo['d2l_utils_wheel']}"
    return f"d2l_utils @ git+{repo['url']}@{repo.get('branch', 'main')}"


def _wrap(items: list[str], indent: int) -> str:
    """Quoted items joined by ', ', broken into lines of at most WIDTH characters."""
    lines, line = [], ""
    for item in (f'"{i}"' for i in items):
        if line and indent + len(line) + len(item) + 2 > WIDTH - 1:
            lines.append(line + ",")
            line = item
        else:
            line = f"{line}, {item}" if line else item
    return ("\n" + " " * indent).join(lines + [line])


def render(source: str) -> str:
    """The cell's text, installing d2l_utils from ``source`` (a pip requirement)."""
    text = TEMPLATE.read_text().rstrip("\n")
    indent = len("    mxnet = [")
    return Template(text).substitute(d2l_utils=source,
                                     gpu_packages=_wrap(list(GPU_PACKAGES), indent))


def readme_blocks(config: dict) -> dict[str, str]:
    """README's generated blocks (between ``<!-- colab:NAME -->`` and ``<!-- /colab:NAME -->``)."""
    repo = config["repository"]
    pip_gpu = ["pip install", *GPU_PACKAGES, "numpy==1.26.4"]
    gpu = "```bash\n" + " \\\n    ".join(_pip_lines(pip_gpu)) + "\n```"
    source = (f"- the chapters install `{d2l_utils_source(config)}`\n"
              f"- the book's buttons open {repo['url']} (branch `{repo.get('branch', 'main')}`)")
    return {"source": source, "gpu": gpu}


def _pip_lines(words: list[str]) -> list[str]:
    lines, line = [], ""
    for w in words:
        if line and len(line) + len(w) + 1 > WIDTH - 6:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}" if line else w
    return lines + [line]


def sync_readme(path: Path, config: dict, write: bool = True) -> bool:
    """Rewrite README's generated blocks; True if any changed (or would change)."""
    text = path.read_text()
    new = text
    for name, body in readme_blocks(config).items():
        pattern = re.compile(rf"(<!-- colab:{name} -->\n)(?:.*?\n)?(<!-- /colab:{name} -->)", re.S)
        if not pattern.search(new):
            raise SystemExit(f"{path.name}: no <!-- colab:{name} --> block")
        new = pattern.sub(lambda m: m.group(1) + body + "\n" + m.group(2), new)
    if new != text and write:
        path.write_text(new)
    return new != text


def sync_notebook(path: Path, cell: str, write: bool = True) -> bool:
    """Make the notebook's first code cell the Colab cell; True if it changed (or would)."""
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    if "colab-setup" not in first.metadata.get("tags", []) and "google.colab" not in first.source:
        raise SystemExit(f"{path.name}: its first code cell is not the Colab cell; add one first")
    if first.source == cell and first.metadata.get("tags") == TAGS:
        return False
    if write:
        first.source, first.metadata["tags"], first.outputs = cell, TAGS, []
        first.execution_count = first.execution_count or 1
        nbformat.write(nb, path)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="default: every chapter (chapters/NN_*.ipynb)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--sync", action="store_true", help="rewrite (the default)")
    mode.add_argument("--check", action="store_true", help="report what is out of date")
    mode.add_argument("--print", action="store_true", help="print the cell")
    parser.add_argument("--source", help="install d2l_utils from this pip requirement instead")
    parser.add_argument("--no-readme", action="store_true", help="leave README.md alone")
    args = parser.parse_args(argv)
    config = load_config()
    cell = render(args.source or d2l_utils_source(config))
    if args.print:
        print(cell)
        return 0
    notebooks = args.notebooks or sorted((ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
    stale = [p.name for p in notebooks if sync_notebook(p, cell, write=not args.check)]
    if not args.no_readme and sync_readme(ROOT / "README.md", config, write=not args.check):
        stale.append("README.md")
    for name in stale:
        print(("out of date: " if args.check else "updated ") + name)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
