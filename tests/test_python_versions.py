"""The book on another Python than the one running the tests (README promises 3.10 to 3.12).

Where a second interpreter is installed (pyenv's 3.10 or 3.12, or `python3.10`/`python3.12` on
the PATH), a virtual environment with the pinned stack is built for it once (in _build/) and the
parts that depend on the interpreter run there: chapter 9, whose text must not come from the
interpreter, chapter 2, and the compat and data unit tests. Skipped where no such Python exists.
"""
import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def other_python():
    """(version, path) of an installed Python 3.12 or 3.10 other than this one, or None;
    ``D2L_OTHER_PYTHON=3.10`` picks the version."""
    mine = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for version in [os.environ.get("D2L_OTHER_PYTHON") or "3.12", "3.10"]:
        if version == mine:
            continue
        candidates = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}")))
        found = candidates[-1] if candidates else shutil.which(f"python{version}")
        if found:
            return version, found
    return None


OTHER = other_python()


@pytest.mark.skipif(OTHER is None, reason="no second Python (3.10 or 3.12) installed")
def test_chapters_give_the_same_results_on_another_python():
    version, python = OTHER
    venv = ROOT / "_build" / f"venv-{version}"
    stamp = venv / ".installed"
    requirements = ROOT / "requirements.txt"
    if not stamp.exists() or stamp.stat().st_mtime < requirements.stat().st_mtime:
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([python, "-m", "venv", str(venv)], check=True, timeout=300)
        proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "-r",
                               str(requirements)], cwd=ROOT, capture_output=True, text=True, timeout=1500)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        stamp.touch()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV_"))}
    proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:randomly",
                           "chapters/02_one_unit.ipynb", "chapters/09_rnn.ipynb",
                           "tests/test_compat.py", "tests/test_data.py"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, f"Python {version}:\n" + proc.stdout[-4000:]
    assert " passed" in proc.stdout.strip().splitlines()[-1]
