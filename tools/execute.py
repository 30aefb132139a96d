"""Re-execute chapters in place and store their outputs, exactly as nbval will re-run them.

Usage: python tools/execute.py chapters/01_motivation.ipynb [more.ipynb ...]
       python tools/execute.py --seed-shift 1000 chapters/*.ipynb   (check only, store nothing)

Runs each notebook top to bottom in its own folder with static plots (D2L_STATIC_PLOTS=1),
prints how long it took, and fails loudly on the first error without touching the file.
With ``--seed-shift N`` every seed the chapter names moves by N (``d2l.seed_all``,
``d2l.random_state``): the outputs change and are thrown away, but every hidden assertion must
still pass, so a claim that holds only for the stored seeds fails here.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def execute(path: Path, timeout: int = 600, seed_shift: int | None = None) -> float:
    """Run the notebook at ``path``; store its outputs unless ``seed_shift`` is given."""
    nb = nbformat.read(path, as_version=4)
    os.environ["D2L_STATIC_PLOTS"] = "1"
    # Round-off depends on the BLAS kernels, oneDNN's instruction set and the thread count: the
    # kernel pins them as `make test` does (d2l_utils.compat.pin_reproducible_numerics).
    os.environ.setdefault("D2L_PIN_NUMERICS", "1")
    if os.environ["D2L_PIN_NUMERICS"] == "1":
        # Pinned here, before the kernel starts, as conftest.py pins them for nbval: the
        # kernel imports numpy (and its OpenBLAS) before `import d2l_utils` could pin them.
        from d2l_utils.compat import reproducible_numerics_settings

        for name, value in reproducible_numerics_settings().items():
            os.environ.setdefault(name, value)
    if seed_shift is None:
        os.environ.pop("D2L_SEED_SHIFT", None)
    else:
        os.environ["D2L_SEED_SHIFT"] = str(seed_shift)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
    finally:
        os.environ.pop("D2L_SEED_SHIFT", None)
    seconds = time.perf_counter() - start
    if seed_shift is None:
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nbformat.validate(nb)
        nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="chapter notebooks")
    parser.add_argument("--seed-shift", type=int, default=None,
                        help="move every seed by this much and only check (store nothing)")
    args = parser.parse_args(argv)
    for p in args.paths:
        seconds = execute(Path(p), seed_shift=args.seed_shift)
        what = "stored" if args.seed_shift is None else f"checked under seed shift {args.seed_shift}"
        print(f"{p}: executed and {what} in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
