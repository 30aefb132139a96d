"""pytest set-up shared by the unit tests and nbval: static plots, and a chapter timing report."""
import os
import sys
import time
from collections import defaultdict
from pathlib import Path

import nbval.plugin
import pytest

# Round-off depends on the BLAS kernels, oneDNN's instruction set and the thread count, so the
# chapters are re-executed with the values their stored outputs were made with (tools/execute.py):
# `import d2l_utils` pins them (compat.pin_reproducible_numerics); the kernels inherit them.
os.environ.setdefault("D2L_PIN_NUMERICS", "1")
_THREADS_GIVEN = "OMP_NUM_THREADS" in os.environ  # by the caller, before d2l_utils pins them

import d2l_utils  # noqa: E402,F401  (first: it makes MXNet importable, see d2l_utils.compat)
from d2l_utils import compat  # noqa: E402

# Chapters draw each figure once (no live animation) so re-executed outputs match stored ones.
os.environ["D2L_STATIC_PLOTS"] = "1"

_ROOT = Path(__file__).parent
sys.path.insert(0, str(_ROOT / "tools"))
import nbval_tolerance  # noqa: E402

# Printed numbers are compared up to round-off, words and integers exactly (tools/nbval_tolerance.py).
nbval_tolerance.install(nbval.plugin)
_seconds = defaultdict(float)


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _seconds[path] += report.duration


def pytest_terminal_summary(terminalreporter):
    """Write how long each chapter took to execute to _build/timings.txt, and show it."""
    if not _seconds:
        return
    out = _ROOT / "_build" / "timings.txt"
    out.parent.mkdir(exist_ok=True)
    lines = [f"{'chapter':45s} {'seconds':>8s}  budget 90 s"]
    for path, s in sorted(_seconds.items()):
        lines.append(f"{path:45s} {s:8.1f}  {'OK' if s <= 90 else 'OVER'}")
    total = sum(_seconds.values())
    lines.append(f"{'total':45s} {total:8.1f}  {'OK' if total <= 720 else 'OVER'} (budget 720 s)")
    lines.append(f"written {time.strftime('%Y-%m-%d %H:%M:%S')}")
    out.write_text("\n".join(lines) + "\n")
    terminalreporter.write_sep("-", "chapter execution times (also in _build/timings.txt)")
    for line in lines:
        terminalreporter.write_line(line)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Choose two threads or one afresh just before each chapter's kernel starts (nbval's or the
    seed guard's), not once for the whole run: a program that starts beside a long run would
    otherwise leave every later chapter with two threads fighting over one free core (chapter 9:
    162 s so, 49 s with one thread). Threads the caller set are kept."""
    starts_kernel = (isinstance(item.parent, nbval.plugin.IPyNbFile) and item.parent.kernel is None
                     or item.name.startswith("test_claims_hold_under_other_seeds"))
    if starts_kernel and not _THREADS_GIVEN and os.environ.get("D2L_PIN_NUMERICS") == "1":
        busy = compat.busy_cpus()
        os.environ["OMP_NUM_THREADS"] = compat.reproducible_numerics_settings(busy=busy)[
            "OMP_NUM_THREADS"]
