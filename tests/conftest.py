"""Fixtures shared by the book tests."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"


@pytest.fixture(scope="session")
def built_book():
    """Build the HTML book from the stored outputs, warnings as errors (shared with later tests)."""
    proc = subprocess.run([str(JUPYTER_BOOK), "build", str(ROOT), "-W", "-n", "--keep-going"],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    return ROOT / "_build" / "html"


@pytest.fixture(autouse=True)
def array_mode(request):
    """Run each test in a known MXNet array mode, whatever earlier tests set globally.

    The exercise graders are used from chapters, which all call ``npx.set_np()``: their tests run
    in numpy mode. Every other test starts in MXNet's default (``mx.nd``) mode.
    """
    from mxnet import npx

    if request.module.__name__.startswith("test_checks_"):
        npx.set_np()
    else:
        npx.reset_np()
    yield
    npx.reset_np()
