"""How nbval compares printed numbers: words exactly, numbers up to round-off (loaded by conftest.py).

A chapter re-executed on another CPU sums in another order, so a number can come out one step of
its printed precision away (0.1235 instead of 0.1234), and a training run of many steps can drift
further. Text outputs that differ are therefore compared token by token:

* everything but the numbers must be identical (up to the width of runs of spaces, which numpy
  varies to align columns), and so must every integer (counts, epochs);
* a decimal number may differ by one step of the precision it is printed with;
* in a cell tagged ``nbval-tolerance-N-steps`` (results of training runs only), it may differ by
  N steps of its printed precision (0.930 against 0.925 is 5 steps), and in a cell tagged
  ``nbval-tolerance-X%`` by X percent of its value.

A real change (another accuracy, a sign, a changed table) still fails: see tests/test_book.py.
"""
from __future__ import annotations

import copy
import os
import re

NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])|(?<![\w.])[-+]?\.\d+")
SPACES = re.compile(r" +")
TAG = re.compile(r"^nbval-tolerance-(\d+(?:\.\d+)?)%$")
STEPS_TAG = re.compile(r"^nbval-tolerance-(\d+)-steps$")


def cell_rtol(tags) -> float:
    """The relative tolerance a cell's tags allow (0 without an ``nbval-tolerance-X%`` tag)."""
    for tag in tags or ():
        match = TAG.match(tag)
        if match:
            return float(match.group(1)) / 100
    return 0.0


def cell_steps(tags) -> int:
    """How many printed steps a cell's tags allow a number to move (1 without a steps tag)."""
    for tag in tags or ():
        match = STEPS_TAG.match(tag)
        if match:
            return max(1, int(match.group(1)))
    return 1


def printed_step(token: str) -> float | None:
    """One step of the precision ``token`` is printed with, or None for an integer."""
    mantissa, _, exponent = token.lower().partition("e")
    if "." not in mantissa and not exponent:
        return None
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (int(exponent or 0) - decimals)


def numbers_agree(ref: str, test: str, rtol: float, steps: int = 1) -> bool:
    """Whether two printed numbers agree up to ``steps`` printed steps plus ``rtol`` of their size."""
    if ref == test:
        return True
    step_ref, step_test = printed_step(ref), printed_step(test)
    if step_ref is None or step_test is None:
        return False  # integers are compared exactly
    a, b = float(ref), float(test)
    return abs(a - b) <= steps * max(step_ref, step_test) * (1 + 1e-9) + rtol * max(abs(a), abs(b))


def steps_apart(ref: str, test: str) -> float:
    """How many printed steps separate the numbers of two texts with the same words (inf if they
    differ otherwise): what a cell's tolerance would need to be (``D2L_TOLERANCE_REPORT``)."""
    if [SPACES.sub(" ", w) for w in NUMBER.split(ref)] != [SPACES.sub(" ", w) for w in NUMBER.split(test)]:
        return float("inf")
    worst = 0.0
    for a, b in zip(NUMBER.findall(ref), NUMBER.findall(test)):
        if a == b:
            continue
        step = max(printed_step(a) or 0, printed_step(b) or 0)
        if not step:
            return float("inf")
        worst = max(worst, abs(float(a) - float(b)) / step)
    return worst


def texts_agree(ref: str, test: str, rtol: float = 0.0, steps: int = 1) -> bool:
    """Whether ``test`` says what ``ref`` says: same words, numbers within the tolerance above."""
    if ref == test:
        return True
    if [SPACES.sub(" ", w) for w in NUMBER.split(ref)] != [SPACES.sub(" ", w) for w in NUMBER.split(test)]:
        return False
    ref_numbers, test_numbers = NUMBER.findall(ref), NUMBER.findall(test)
    return len(ref_numbers) == len(test_numbers) and all(
        numbers_agree(a, b, rtol, steps) for a, b in zip(ref_numbers, test_numbers))


TEXT_KEYS = ("text/plain", "text/html", "text/markdown", "text/latex")


def align_outputs(test: list[dict], ref: list[dict], rtol: float, normalize=lambda s: s,
                  steps: int = 1, report=None) -> list[dict]:
    """``test`` with every text that agrees with its stored counterpart replaced by the stored one,
    so that nbval's exact comparison then passes for it and still fails for everything else.
    ``normalize`` (nbval's sanitizer) is applied to both texts before they are compared."""
    def agree(a, b):
        if not (isinstance(a, str) and isinstance(b, str)):
            return False
        if report is not None and a != b:
            report(steps_apart(normalize(a), normalize(b)))
        return texts_agree(normalize(a), normalize(b), rtol, steps)

    aligned = []
    for i, out in enumerate(test):
        stored = ref[i] if i < len(ref) else None
        if not stored or stored.get("output_type") != out.get("output_type"):
            aligned.append(out)
            continue
        out = copy.deepcopy(out)  # nbval's NotebookNode (attribute access) stays one
        if "text" in out and out.get("name") == stored.get("name"):
            if agree(stored["text"], out["text"]):
                out["text"] = stored["text"]
        if isinstance(out.get("data"), dict) and isinstance(stored.get("data"), dict):
            for key in TEXT_KEYS:
                if agree(stored["data"].get(key), out["data"].get(key)):
                    out["data"][key] = stored["data"][key]
        aligned.append(out)
    return aligned


def install(plugin_module) -> None:
    """Make nbval's ``IPyNbCell.compare_outputs`` use the comparison above."""
    cell_class = plugin_module.IPyNbCell
    original = cell_class.compare_outputs
    if getattr(original, "_tolerant", False):
        return

    report_path = os.environ.get("D2L_TOLERANCE_REPORT")

    def compare_outputs(self, test, ref, skip_compare=None):
        tags = self.cell.metadata.get("tags", [])
        report = None
        if report_path:
            def report(steps, name=self.nodeid):
                with open(report_path, "a") as f:
                    f.write(f"{name}\t{steps}\n")
        aligned = align_outputs(test, ref, cell_rtol(tags), self.sanitize, cell_steps(tags), report)
        return original(self, aligned, ref, skip_compare)

    compare_outputs._tolerant = True
    cell_class.compare_outputs = compare_outputs
