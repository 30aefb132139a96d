"""Graders for the book's programming exercises.

Each ``check_*`` function takes the student's implementation, runs it on inputs the student has
not seen, compares it with a reference and returns a ``CheckResult``: a pass, or one specific
failure (wrong shape, expected vs got; which gradient is wrong; accuracy reached vs the bar).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np


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


def hidden_rng(exercise: str) -> np.random.RandomState:
    """A generator seeded from the exercise's name: fixed test inputs that the student never sees,
    drawn without touching the global numpy seed the chapter set."""
    return np.random.RandomState(zlib.crc32(exercise.encode()) % (2**31))


def to_numpy(x) -> np.ndarray:
    """MXNet arrays, lists and scalars as a float64 numpy array."""
    if hasattr(x, "asnumpy"):
        x = x.asnumpy()
    return np.asarray(x, dtype=np.float64)


def compare(got, expected, what: str, rtol: float = 1e-4, atol: float = 1e-6) -> str | None:
    """None if ``got`` matches ``expected`` in shape and value, else a sentence saying how it differs."""
    try:
        got_np = to_numpy(got)
    except (TypeError, ValueError) as err:
        return f"{what}: could not read the result as an array ({err}); got {type(got).__name__}"
    exp_np = to_numpy(expected)
    if got_np.shape != exp_np.shape:
        return f"{what} has the wrong shape: expected {exp_np.shape}, got {got_np.shape}"
    if not np.all(np.isfinite(got_np)):
        return f"{what} contains NaN or infinity"
    if not np.allclose(got_np, exp_np, rtol=rtol, atol=atol):
        err = np.abs(got_np - exp_np)
        idx = np.unravel_index(err.argmax(), err.shape)
        where = f" at index {tuple(int(i) for i in idx)}" if err.ndim else ""
        return (f"{what} is wrong{where}: expected {exp_np[idx]:.6g}, got {got_np[idx]:.6g} "
                f"(largest error {err.max():.3g})")
    return None


def run_student(exercise: str, fn, *args, **kwargs):
    """Call the student's function; return (result, None) or (None, CheckResult explaining the error)."""
    try:
        return fn(*args, **kwargs), None
    except NotImplementedError:
        return None, CheckResult(exercise, False, "not implemented yet: replace the `raise NotImplementedError` with your code")
    except Exception as err:  # noqa: BLE001 - any error in student code is reported, not raised
        return None, CheckResult(exercise, False, f"your function raised {type(err).__name__}: {err}")


def result(exercise: str, problems: list[str | None], success: str) -> CheckResult:
    """A failing CheckResult for the first problem found, else a passing one with ``success``."""
    for p in problems:
        if p:
            return CheckResult(exercise, False, p)
    return CheckResult(exercise, True, success)


# ---- chapter 2: one unit --------------------------------------------------------------------
# ---- end of chapter 2 -----------------------------------------------------------------------

# ---- chapter 3: losses ----------------------------------------------------------------------
# ---- end of chapter 3 -----------------------------------------------------------------------

# ---- chapter 4: deeper networks and backpropagation -----------------------------------------
# ---- end of chapter 4 -----------------------------------------------------------------------

# ---- chapter 5: training --------------------------------------------------------------------
# ---- end of chapter 5 -----------------------------------------------------------------------

# ---- chapter 6: overfitting -----------------------------------------------------------------
# ---- end of chapter 6 -----------------------------------------------------------------------

# ---- chapter 7: regularization --------------------------------------------------------------
# ---- end of chapter 7 -----------------------------------------------------------------------

# ---- chapter 8: convolutional networks ------------------------------------------------------
# ---- end of chapter 8 -----------------------------------------------------------------------

# ---- chapter 9: recurrent networks ----------------------------------------------------------
# ---- end of chapter 9 -----------------------------------------------------------------------

# ---- chapter 10: representation learning ----------------------------------------------------
# ---- end of chapter 10 ----------------------------------------------------------------------

# ---- chapter 11: Bayesian neural networks and generative models -----------------------------
# ---- end of chapter 11 ----------------------------------------------------------------------
