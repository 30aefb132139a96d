"""Re-run the chapters under nbval as if on other CPUs, and print a table of configuration x failures.

Usage: python tools/cpu_matrix.py [--rows 1,3] [pytest paths...]   (`make test-cpus`)

Each row sets what differs between x86-64 machines: the OpenBLAS kernel set MXNet's own OpenBLAS
runs (OPENBLAS_CORETYPE), the instruction set oneDNN may use (DNNL_MAX_CPU_ISA) and the number of
threads. Five rows cover every value at least once. The stored outputs were made with the values
`make test` pins (row 1); every row must still pass, because the chapters print what a different
summation order cannot move and nbval compares numbers up to the printed steps a cell allows
(see README, "Reproducible outputs"). Each row's nbval output is kept in
_build/cpu_matrix_row<n>.log and how far each differing cell moved in _build/cpu_matrix_row<n>.steps.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNSET = "unset"

#: (OPENBLAS_CORETYPE, DNNL_MAX_CPU_ISA, OMP_NUM_THREADS); "unset" leaves the variable out.
ROWS = [
    ("Haswell", "AVX2", "2"),          # what `make test` pins
    (UNSET, UNSET, "2"),               # whatever this CPU picks by itself
    ("Prescott", "AVX512_CORE", "1"),  # OpenBLAS's generic SSE3 fallback (Zen 4 without a pin)
    ("SkylakeX", UNSET, "4"),
    ("Zen", "AVX2", "4"),
]
VARIABLES = ("OPENBLAS_CORETYPE", "DNNL_MAX_CPU_ISA", "OMP_NUM_THREADS")


def row_environment(row: tuple[str, str, str], report: Path | None = None) -> dict[str, str]:
    """The process environment for one row: its values set, its 'unset' ones removed; ``report``
    collects how many printed steps each differing number moved (tools/nbval_tolerance.py)."""
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    if report is not None:
        env["D2L_TOLERANCE_REPORT"] = str(report)
    env.update({k: v for k, v in zip(VARIABLES, row) if v != UNSET})
    env["D2L_PIN_NUMERICS"] = "0"  # conftest.py must not pin over the row's values
    return env


def run_row(row, paths: list[str], log: Path) -> tuple[int, int, list[str], float]:
    """Run nbval for one row, its output kept in ``log``; return (passed, failed, failing cells, seconds)."""
    log.with_suffix(".steps").unlink(missing_ok=True)
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *paths],
                          cwd=ROOT, env=row_environment(row, log.with_suffix(".steps")),
                          capture_output=True, text=True)
    seconds = time.perf_counter() - start
    out = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout)
    log.write_text(out + proc.stderr)
    passed = sum(int(n) for n in re.findall(r"(\d+) passed", out.splitlines()[-1] if out else ""))
    failed = sum(int(n) for n in re.findall(r"(\d+) (?:failed|error)", out.splitlines()[-1] if out else ""))
    failing = re.findall(r"^(?:FAILED|ERROR) (\S+?(?:::Cell \d+)?)(?: - |$)", out, flags=re.M)
    if proc.returncode not in (0, 1) or (failed == 0 and proc.returncode != 0):
        failing.append(f"pytest exited with {proc.returncode}: {out.strip().splitlines()[-1:]}")
        failed = max(failed, 1)
    return passed, failed, failing, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", help="comma-separated row numbers to run (default: all)")
    parser.add_argument("paths", nargs="*", default=["chapters"])
    args = parser.parse_args(argv)
    numbers = [int(n) for n in args.rows.split(",")] if args.rows else range(1, len(ROWS) + 1)
    header = f"| row | OPENBLAS_CORETYPE | DNNL_MAX_CPU_ISA | threads | passed | failed | seconds |"
    lines = [header, "|---|---|---|---|---|---|---|"]
    details, total_failed = [], 0
    print(header, flush=True)
    for n in numbers:
        row = ROWS[n - 1]
        passed, failed, failing, seconds = run_row(row, args.paths, ROOT / "_build" / f"cpu_matrix_row{n}.log")
        total_failed += failed
        line = f"| {n} | {row[0]} | {row[1]} | {row[2]} | {passed} | {failed} | {seconds:.0f} |"
        lines.append(line)
        print(line, flush=True)
        details += [f"row {n}: {cell}" for cell in failing]
        timings = ROOT / "_build" / "timings.txt"
        if timings.exists():  # conftest.py's per-chapter seconds for this row
            lines_t = timings.read_text().splitlines()[1:-1]
            details.append(f"row {n} seconds: " + ", ".join(
                f"{l.split()[0].split('/')[-1][:2]} {float(l.split()[1]):.0f}" for l in lines_t))
    report = "\n".join(lines + [""] + details) + "\n"
    out = ROOT / "_build" / "cpu_matrix.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text(report)
    print("\n".join(details) or "every row passed",
          f"\n(table in {out.relative_to(ROOT)}, each row's nbval output in _build/cpu_matrix_row<n>.log)")
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
