"""Re-execute chapters in place and store their outputs, exactly as nbval will re-run them.

Usage: python tools/execute.py chapters/01_motivation.ipynb [more.ipynb ...]
Runs each notebook top to bottom in its own folder with static plots (D2L_STATIC_PLOTS=1),
prints how long it took, and fails loudly on the first error without touching the file.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    os.environ["D2L_STATIC_PLOTS"] = "1"
    # Round-off depends on the BLAS kernels, oneDNN's instruction set and the thread count: the
    # kernel pins them as `make test` does (d2l_utils.compat.pin_reproducible_numerics).
    os.environ.setdefault("D2L_PIN_NUMERICS", "1")
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return seconds


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    for p in paths:
        seconds = execute(Path(p))
        print(f"{p}: executed and stored in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
