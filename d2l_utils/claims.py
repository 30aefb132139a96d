"""Numbers stated honestly: round-off shown as a bound (chapter 2), results over several seeds
(chapter 7), and seeds that can all be moved at once to check that a claim does not hang on them.
"""
from __future__ import annotations

import math


def below(value: float, bound: float) -> str:
    """``"below 1e-06"`` when ``value < bound``, else the value itself, flagged.

    Round-off (a float32 result differs from another by about 1e-7) varies in its last digits with
    the CPU, the BLAS kernels and the thread count; the bound it stays under does not. A value
    that is not below the bound still prints, so a real discrepancy shows (and fails nbval).
    """
    value = float(value)
    if math.isnan(value) or bound <= 0:
        raise ValueError(f"below needs a number and a positive bound, got {value} and {bound}")
    if value < bound:
        return f"below {bound:.0e}"
    return f"{value:.1e} (NOT below {bound:.0e})"


SEED_SHIFT_VARIABLE = "D2L_SEED_SHIFT"


def seed_shift() -> int:
    """How far every seed a chapter asks for is moved: ``$D2L_SEED_SHIFT`` (default 0).

    ``make test`` re-executes each chapter once more with a shift, to check that its claims do not
    hang on the seeds written in it; a reader can do the same (``D2L_SEED_SHIFT=7 jupyter ...``).
    """
    import os

    text = os.environ.get(SEED_SHIFT_VARIABLE, "0").strip() or "0"
    try:
        shift = int(text)
    except ValueError:
        shift = -1
    if shift < 0:
        raise ValueError(f"{SEED_SHIFT_VARIABLE} must be a non-negative integer, got {text!r}; "
                         f"unset it to run with the seeds the chapter names")
    return shift


def _shifted(seed) -> int:
    import numpy as np

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed) + seed_shift()


def seed_all(seed: int) -> None:
    """Seed every generator a chapter draws from (MXNet's, numpy's, Python's), so that a run can
    be repeated, and repeated under other seeds (``D2L_SEED_SHIFT``) to see whether a result holds."""
    import random

    import mxnet as mx
    import numpy as np

    seed = _shifted(seed)
    random.seed(seed)
    np.random.seed(seed)
    mx.random.seed(seed)


def random_state(seed: int):
    """A numpy ``RandomState`` of its own (data draws, folds, samples), moved by ``D2L_SEED_SHIFT``
    like ``seed_all``, so that every random choice in a chapter can be redrawn."""
    import numpy as np

    return np.random.RandomState(_shifted(seed))


def mean_std(values, digits: int = 3) -> str:
    """``"0.879 ± 0.004"``: the mean of several runs and their sample standard deviation."""
    import numpy as np

    values = np.asarray(values, dtype=float).reshape(-1)
    if values.size < 2 or not np.isfinite(values).all():
        raise ValueError(f"mean_std needs two or more finite values (one per run), got {values.tolist()}")
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"
