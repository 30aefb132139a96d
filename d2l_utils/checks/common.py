"""What every grader shares: the result type, hidden inputs, comparison, and the watch that
reports shortcuts.

Standalone (the standard library and numpy only): the class grader (``tools/grade.py``) sends
this file's source into a student's kernel to watch the student's functions there.
"""

from __future__ import annotations

import functools
import os
import sys
import zlib
from dataclasses import dataclass

import numpy as np

SECRET = 0  # the class grader sets a random one, so its inputs differ from the notebook's
LOCAL_WATCH = True  # the class grader watches in the student's kernel instead
PRIVATE = "d2l_utils/checks/"  # calling into this package from a student function is a shortcut


@dataclass
class CheckResult:
    """Outcome of one check; true when it passed. Shows as one readable line in a notebook."""

    exercise: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return f"{'PASSED' if self.passed else 'NOT YET'} [{self.exercise}] {self.message}"

    __repr__ = __str__


@dataclass(frozen=True)
class Rule:
    """A library routine an exercise replaces (``forbid``) or one it asks for (``require``).

    Each call is ``"file:name"``: a function by the end of its file's path (or a folder, or
    ``<string>`` for MXNet's generated operators) and its name (``*``: any)."""

    kind: str
    calls: tuple[str, ...]
    message: str


def hidden_rng(exercise: str) -> np.random.RandomState:
    """A generator seeded from the exercise's name (and the grader's secret): test inputs that
    the student never sees, drawn without touching the global numpy seed the chapter set."""
    return np.random.RandomState((zlib.crc32(exercise.encode()) ^ SECRET) % (2**31))


def hidden_callable(source: str, lib, **params):
    """A function the grader hands to the student (a GP kernel), compiled from ``source`` with
    ``lib`` (numpy or mx.np) and ``params``: outside this package, so calling it is no shortcut,
    and sent to a student's kernel as its source."""
    fn = eval(compile(source, "<hidden input>", "eval"), {"lib": lib, **params})  # noqa: S307
    fn.hidden = (source, params)
    return fn


def to_numpy(x) -> np.ndarray:
    """MXNet arrays, lists and scalars as a float64 numpy array."""
    if hasattr(x, "asnumpy"):
        x = x.asnumpy()
    return np.asarray(x, dtype=np.float64)


def f32(x) -> np.ndarray:
    """``x`` rounded to float32 and back: the reference sees exactly what the student's code sees."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def as_mx(x, dtype: str = "float32"):
    """A numpy array as an ``mx.np`` array, the type the chapters' functions work on."""
    import mxnet as mx  # here, not at the top: d2l_utils must prepare numpy before mxnet loads

    return mx.np.array(x, dtype=dtype)


def _generic_fault(got: np.ndarray, exp: np.ndarray, rtol: float, atol: float) -> str:
    """Name a mistake that fits any array: sign, transpose, a constant factor (mean vs sum)."""
    close = functools.partial(np.allclose, rtol=rtol, atol=atol)
    if np.any(exp) and close(-got, exp):
        return "; it has the wrong sign"
    if exp.ndim == 2 and exp.shape[0] == exp.shape[1] and close(got.T, exp):
        return "; it is the transpose of the right answer"
    mask = np.abs(exp) > 1e-8
    if mask.sum() > 1:
        ratio = got[mask] / exp[mask]
        if np.allclose(ratio, ratio[0], rtol=1e-4) and not np.isclose(ratio[0], 1.0):
            return (
                f"; it is {ratio[0]:.4g} times the right value everywhere: a constant factor "
                "is missing or extra (a mean where a sum belongs, or the other way round?)"
            )
    return ""


def not_a_pair(exercise: str, out, names: str) -> "CheckResult | None":
    """A failing result when a grader that expects two arrays got something else, else None."""
    if isinstance(out, (tuple, list)) and len(out) == 2:
        return None
    length = f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""
    return CheckResult(exercise, False, f"return a pair ({names}); got {type(out).__name__}{length}")


def compare(got, expected, what: str, rtol: float = 1e-4, atol: float = 1e-6) -> str | None:
    """None if ``got`` matches ``expected`` in shape and value, else a sentence saying how it differs."""
    try:
        got_np = to_numpy(got)
    except (TypeError, ValueError) as err:
        return f"{what}: could not read the result as an array ({err}); got {type(got).__name__}"
    exp_np = to_numpy(expected)
    if got_np.shape != exp_np.shape:
        hint = ""
        if got_np.ndim == 2 and got_np.T.shape == exp_np.shape:
            hint = " (transposed: return it shaped like the parameter it belongs to)"
        return f"{what} has the wrong shape: expected {exp_np.shape}, got {got_np.shape}{hint}"
    if not np.all(np.isfinite(got_np)):
        return f"{what} contains NaN or infinity"
    if not np.allclose(got_np, exp_np, rtol=rtol, atol=atol):
        err = np.abs(got_np - exp_np)
        idx = np.unravel_index(err.argmax(), err.shape)
        where = f" at index {tuple(int(i) for i in idx)}" if err.ndim else ""
        return (
            f"{what} is wrong{where}: expected {exp_np[idx]:.6g}, got {got_np[idx]:.6g} "
            f"(largest error {err.max():.3g}){_generic_fault(got_np, exp_np, rtol, atol)}"
        )
    return None


def diagnose(got, expected, what: str, mistakes=(), rtol: float = 1e-3, atol: float = 1e-5):
    """None if ``got`` matches ``expected``; else the hint of a known mistake ``got`` matches, or
    ``compare``'s sentence. ``mistakes`` lists (what that mistake would return, hint) pairs."""
    problem = compare(got, expected, what, rtol=rtol, atol=atol)
    if problem is None or "shape" in problem or "could not read" in problem:
        return problem
    for wrong, hint in mistakes:
        if compare(got, wrong, what, rtol=rtol, atol=atol) is None:
            return f"{what} is wrong: {hint}"
    return problem


# ---- the watch: which library routines a student's function called ------------------------
def _matches(pattern: str, path: str, name: str) -> bool:
    where, _, want = pattern.rpartition(":")
    if want not in ("*", name):
        return False
    if where.endswith(".py") or where.startswith("<"):
        return path.endswith(where) if where.endswith(".py") else path == where
    return where in path


def _student_frame(path: str) -> bool:
    return not (
        path.startswith("<") or "site-packages" in path or "/lib/python" in path or PRIVATE in path
    )


class Watch:
    """Record, while a student's function runs, the watched routines it calls (``patterns``) and
    any array whose last two axes have one of ``shapes`` (work a requirement says to skip)."""

    def __init__(self, patterns, shapes=()):
        self.patterns = tuple(patterns) + (PRIVATE + ":*",)
        self.shapes = {tuple(s) for s in shapes}
        self.hits: set[str] = set()
        self._codes: dict = {}

    def _look(self, value) -> None:
        try:
            shape = getattr(value, "shape", None)
        except Exception:  # noqa: BLE001 - any object may turn up in a student's frame
            return
        if isinstance(shape, tuple) and len(shape) >= 2 and tuple(shape[-2:]) in self.shapes:
            self.hits.add("shape:" + "x".join(map(str, shape[-2:])))

    def _hook(self, frame, event, arg):
        code = frame.f_code
        if event == "call":
            if code not in self._codes:
                path = code.co_filename.replace("\\", "/")
                self._codes[code] = [p for p in self.patterns if _matches(p, path, code.co_name)]
            self.hits.update(self._codes[code])
            if self.shapes:
                for value in list(frame.f_locals.values()):
                    self._look(value)
        elif event == "return" and self.shapes:
            self._look(arg)
            if _student_frame(code.co_filename.replace("\\", "/")):
                for value in list(frame.f_locals.values()):
                    self._look(value)

    def __enter__(self) -> "Watch":
        self._previous = sys.getprofile()
        sys.setprofile(self._hook)
        return self

    def __exit__(self, *exc) -> None:
        sys.setprofile(self._previous)


def canary() -> None:
    """A routine the class grader watches for in every call: if the watch does not see it, the
    student's notebook has switched the watch off."""


# ---- running the student's function under the watch ---------------------------------------
_ACTIVE: list[dict] = []  # the grader running now: its rules, shapes to flag, and what was seen


def watch_shapes(*shapes) -> None:
    """Flag arrays with these last two axes in the student's next calls (stride requirement)."""
    if _ACTIVE:
        _ACTIVE[-1]["shapes"] = shapes


def report(hits) -> None:
    """Add what a watch saw elsewhere (the class grader's kernel) to the running grader."""
    if _ACTIVE:
        _ACTIVE[-1]["hits"].update(hits)


def run_student(exercise: str, fn, *args, **kwargs):
    """Call the student's function; return (result, None) or (None, CheckResult explaining the error).

    Test the second value with ``is not None``: a failing CheckResult is falsy.
    """
    state = _ACTIVE[-1] if _ACTIVE else None
    try:
        if state is None or not LOCAL_WATCH:
            return fn(*args, **kwargs), None
        with Watch(state["patterns"], state.get("shapes", ())) as watch:
            try:
                return fn(*args, **kwargs), None
            finally:
                state["hits"].update(watch.hits)
    except NotImplementedError:
        return None, CheckResult(
            exercise,
            False,
            "not implemented yet: replace the `raise NotImplementedError` with your code",
        )
    except Exception as err:  # noqa: BLE001 - any error in student code is reported, not raised
        return None, CheckResult(
            exercise, False, f"your function raised {type(err).__name__}: {err}"
        )


def result(exercise: str, problems: list[str | None], success: str) -> CheckResult:
    """A failing CheckResult for the first problem found, else a passing one with ``success``."""
    for p in problems:
        if p:
            return CheckResult(exercise, False, p)
    return CheckResult(exercise, True, success)


PRIVATE_RULE = Rule(
    "forbid",
    (PRIVATE + ":*",),
    "calls the grader's own reference in " "d2l_utils.checks: write the function yourself",
)


def shortcuts(rules, hits) -> list[str]:
    """The messages of the rules that ``hits`` break: a forbidden call made, a required one not."""
    found = []
    for rule in (PRIVATE_RULE, *rules):
        used = any(h in rule.calls for h in hits)
        if (rule.kind == "forbid") == used:
            found.append(rule.message)
    found += sorted(
        {
            "computes outputs the stride skips (an array shaped like the stride-1 output, "
            f"{h[6:]}, appeared): the exercise asks to compute only the outputs that the "
            "stride keeps"
            for h in hits
            if h.startswith("shape:")
        }
    )
    return found


def grader(label: str, *rules: Rule):
    """Make ``check`` a grader for exercise ``label``: the student's calls run under the watch,
    and a result that used a shortcut or skipped a requirement earns no credit."""

    def wrap(check):
        @functools.wraps(check)
        def run(fn) -> CheckResult:
            patterns = tuple(p for rule in rules for p in rule.calls)
            _ACTIVE.append({"patterns": patterns, "hits": set()})
            try:
                res = check(fn)
                hits = _ACTIVE[-1]["hits"]
            finally:
                _ACTIVE.pop()
            if "not implemented yet" in res.message:
                return res
            # a wrong answer is told its fault and the shortcuts it took, not requirements
            found = shortcuts(
                [r for r in rules if res.passed or r.kind == "forbid"],
                {h for h in hits if res.passed or not h.startswith("shape:")},
            )
            if not found:
                return res
            if res.passed:
                return CheckResult(res.exercise, False, "passes, but " + "; and ".join(found))
            return CheckResult(
                res.exercise, False, f"{res.message}; besides, it " + "; and ".join(found)
            )

        run.label, run.rules = label, rules
        return run

    return wrap


AUTOGRAD = Rule(
    "forbid",
    (
        "mxnet/autograd.py:record",
        "mxnet/autograd.py:backward",
        "mxnet/autograd.py:grad",
        "mxnet/numpy/multiarray.py:backward",
        "mxnet/ndarray/ndarray.py:backward",
    ),
    "uses autograd: the exercise asks for the gradient by hand",
)
