"""pytest set-up shared by the unit tests and nbval: static plots, and a chapter timing report."""
import os
import time
from collections import defaultdict
from pathlib import Path

# Floating-point sums split across threads round differently, so the chapters are re-executed with
# the thread count their stored outputs were made with (tools/execute.py), whatever the machine.
os.environ.setdefault("OMP_NUM_THREADS", "2")

import d2l_utils  # noqa: E402,F401  (first: it makes MXNet importable, see d2l_utils.compat)

# Chapters draw each figure once (no live animation) so re-executed outputs match stored ones.
os.environ["D2L_STATIC_PLOTS"] = "1"

_ROOT = Path(__file__).parent
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
