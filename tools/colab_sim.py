"""A simulated Colab: the chapters' first cell, its restart, then chapters 1 and 8, offline.

A fresh Python 3.12 virtual environment is made to look like Colab: numpy 2 and PyTorch 2
installed (with matplotlib, scikit-learn, pandas), numpy and a stub ``google.colab`` imported
when a kernel starts. The chapters' Colab cell (tools/colab_cell.py) then installs d2l_utils
from a wheel built from this checkout; the kernel it kills is started again, as Colab does;
chapter 1 and chapter 8 (copies) run to the end. Log: _build/colab/colab_sim.log.

Usage: python tools/colab_sim.py [--python PYTHON3.12] [--keep]
Online once: the wheels are downloaded into _build/colab/wheels (about 3 GB, kept). The rest
runs offline: in a network namespace of its own (``unshare -n``) where the system allows it,
and in any case with pip reading only that wheel folder.
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

sys.path.insert(0, str(Path(__file__).resolve().parent))
import colab_cell  # noqa: E402

ROOT = colab_cell.ROOT
WORK = ROOT / "_build" / "colab"
WHEELS = WORK / "wheels"
LOG = WORK / "colab_sim.log"
CHAPTERS = ["01_motivation", "08_cnn"]
#: What Colab has before the cell runs (its versions as of late 2025; torch: the smallest
#: PyPI release built for numpy 2, with the CUDA libraries it depends on).
COLAB_BASE = ["numpy==2.0.2", "torch==2.4.1", "matplotlib==3.10.0", "scikit-learn==1.6.1",
              "pandas==2.2.2", "ipykernel", "setuptools", "wheel"]
#: What the cell (CPU runtime) and chapter 8's own install cell ask pip for.
CELL_PACKAGES = ["mxnet==1.9.1", "numpy==1.26.4", "setuptools", "matplotlib", "scikit-learn",
                 "gluoncv==0.10.5.post0", "opencv-python==4.11.0.86"]
STARTUP = "import google.colab, numpy  # as Colab's kernel: both loaded before any cell\n"
STUB = '"""Stub of Colab\'s module: its presence is how the book\'s cell knows it is on Colab."""\n'
PROBE = ("import sys, importlib.metadata as m\n"
         "print('before the cell: numpy', sys.modules['numpy'].__version__, 'loaded;',\n"
         "      'google.colab loaded:', 'google.colab' in sys.modules, '; torch',\n"
         "      m.version('torch'), 'installed')")


def log(message: str) -> None:
    """Print a line and append it to the log, with the time since the start."""
    line = f"[{time.time() - START:6.0f}s] {message}"
    print(line, flush=True)
    with LOG.open("a") as f:
        f.write(line + "\n")


def run(cmd: list[str], **kw) -> str:
    """Run a command; stop the simulation with its output if it fails."""
    proc = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if proc.returncode:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return proc.stdout


def find_python(given: str | None) -> str:
    """A Python 3.12 interpreter: the one given, python3.12 on PATH, or pyenv's."""
    pyenv = os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")
    candidates = [given] if given else [shutil.which("python3.12") or "",
                                        *sorted(glob.glob(pyenv))]
    for c in filter(None, candidates):
        if subprocess.run([c, "-c", "import sys; assert sys.version_info[:2] == (3, 12)"],
                          capture_output=True).returncode == 0:
            return c
    raise SystemExit("no Python 3.12 found: pass --python /path/to/python3.12")


def build_wheel(python: str) -> Path:
    """A d2l_utils wheel built from a copy of this checkout's package files (offline)."""
    out = WORK / "d2l_utils_wheel"
    shutil.rmtree(out, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("pyproject.toml", "README.md"):
            shutil.copy(ROOT / name, tmp)
        shutil.copytree(ROOT / "d2l_utils", Path(tmp) / "d2l_utils",
                        ignore=shutil.ignore_patterns("__pycache__"))
        run([python, "-m", "pip", "wheel", "-q", "--no-deps", "--no-index", "--find-links",
             str(WHEELS), "-w", str(out), tmp], env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
    return next(out.glob("d2l_utils-*.whl"))


def download_wheels(python: str) -> None:
    """Fetch every wheel the simulation installs into WHEELS (online; skipped once complete)."""
    stamp = WHEELS / (".complete-" + hashlib.sha1(
        repr((COLAB_BASE, CELL_PACKAGES)).encode()).hexdigest()[:12])
    if stamp.exists():
        log(f"wheels: {len(list(WHEELS.glob('*.whl')))} in {WHEELS.relative_to(ROOT)} (cached)")
        return
    WHEELS.mkdir(parents=True, exist_ok=True)
    for packages in (COLAB_BASE, CELL_PACKAGES):  # two resolutions: numpy 2, then numpy 1.26
        run([python, "-m", "pip", "download", "-q", "-d", str(WHEELS), *packages])
    stamp.touch()
    log(f"wheels: downloaded {len(list(WHEELS.glob('*.whl')))} into {WHEELS.relative_to(ROOT)}")


def offline_env(venv: Path, ipython_dir: Path) -> dict[str, str]:
    """The kernels' environment: the venv first on PATH, pip limited to the wheel folder."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "PIP_", "D2L_", "VIRTUAL_ENV", "LD_LIBRARY_PATH",
                                "JUPYTER", "MPLBACKEND", "OMP_", "MXNET_"))}
    env.update(PATH=f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}", VIRTUAL_ENV=str(venv),
               PIP_CONFIG_FILE=os.devnull, PIP_NO_INDEX="1", PIP_FIND_LINKS=str(WHEELS),
               PIP_DISABLE_PIP_VERSION_CHECK="1", IPYTHONDIR=str(ipython_dir),
               D2L_DATA_DIR=str(ROOT / "data"), JUPYTER_PATH=str(venv / "share" / "jupyter"))
    return env


def make_colab_like(venv: Path, python: str) -> Path:
    """Colab's preinstalled packages, the google.colab stub and the kernel's start-up imports."""
    t = time.monotonic()
    run([python, "-m", "venv", str(venv)])
    vpy = str(venv / "bin" / "python")
    run([vpy, "-m", "pip", "install", "-q", "--no-index", "--find-links", str(WHEELS),
         *COLAB_BASE], env={**os.environ, "PIP_CONFIG_FILE": os.devnull})
    site = Path(run([vpy, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).strip())
    (site / "google" / "colab").mkdir(parents=True)
    (site / "google" / "colab" / "__init__.py").write_text(STUB)
    ipython_dir = venv / "ipython"
    (ipython_dir / "profile_default" / "startup").mkdir(parents=True)
    (ipython_dir / "profile_default" / "startup" / "00-colab.py").write_text(STARTUP)
    run([vpy, "-m", "ipykernel", "install", "--prefix", str(venv), "--name", "colab"])
    versions = run([vpy, "-c", "import sys, numpy, torch; print(sys.version.split()[0], "
                    "numpy.__version__, torch.__version__)"]).split()
    log(f"Colab-like venv ready in {time.monotonic() - t:.0f}s: Python {versions[0]}, "
        f"numpy {versions[1]}, torch {versions[2]} (imports), stub google.colab")
    return ipython_dir


def cell_outputs(cell) -> str:
    """A cell's printed text and errors, as one string."""
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out["text"])
        elif out.get("output_type") == "error":
            parts.append(f"{out['ename']}: {out['evalue']}")
    return "".join(parts).strip()


def execute(nb, cwd: Path, allow_death: bool = False) -> bool:
    """Run a notebook in a fresh 'colab' kernel; False if the kernel died (and that was allowed)."""
    client = NotebookClient(nb, kernel_name="colab", timeout=900, startup_timeout=120,
                            resources={"metadata": {"path": str(cwd)}})
    try:
        client.execute()
    except DeadKernelError:
        if not allow_death:
            raise
        return False
    return True


def simulate(python: str, keep: bool) -> None:
    """Everything after the download: the venv, the restart path, the chapters."""
    venv = Path(tempfile.mkdtemp(prefix="colab_sim_")) / "venv"
    try:
        ipython_dir = make_colab_like(venv, python)
        wheel = build_wheel(str(venv / "bin" / "python"))
        source = f"d2l_utils @ {wheel.as_uri()}"
        cell = colab_cell.render(source)
        log(f"the chapters' Colab cell, installing {source}")
        os.environ.clear()
        os.environ.update(offline_env(venv, ipython_dir))

        first = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE),
                                                nbformat.v4.new_code_cell(cell)])
        t = time.monotonic()
        survived = execute(first, venv.parent, allow_death=True)
        log(f"kernel 1: {cell_outputs(first.cells[0])}")
        log(f"kernel 1, first cell ({time.monotonic() - t:.0f}s): {cell_outputs(first.cells[1])}")
        numpy_now = run([str(venv / "bin" / "python"), "-c",
                         "import numpy; print(numpy.__version__)"]).strip()
        assert not survived, "the cell did not restart the kernel although numpy 2 was loaded"
        assert "restarting the runtime once" in cell_outputs(first.cells[1])
        assert numpy_now == "1.26.4", numpy_now
        log(f"kernel 1 died (SIGKILL from the cell): restart path taken; numpy on disk {numpy_now}")

        copies = venv.parent / "chapters"
        copies.mkdir()
        for name in CHAPTERS:
            path = copies / f"{name}.ipynb"
            shutil.copy(ROOT / "chapters" / f"{name}.ipynb", path)
            same = not colab_cell.sync_notebook(path, colab_cell.render(
                colab_cell.d2l_utils_source(colab_cell.load_config())), write=False)
            colab_cell.sync_notebook(path, cell)
            nb = nbformat.read(path, as_version=4)
            t = time.monotonic()
            execute(nb, copies)  # raises on any error in any cell
            seconds = time.monotonic() - t
            nbformat.write(nb, WORK / f"{name}.ipynb")
            code = [c for c in nb.cells if c.cell_type == "code"]
            skipped = sum("skip-execution" in c.metadata.get("tags", []) for c in code)
            log(f"{name}: first cell, in a new kernel: {cell_outputs(code[0])}")
            warnings = [line for c in code for o in c.outputs if o.get("name") == "stderr"
                        for line in o["text"].splitlines() if line.strip()]
            log(f"{name}: standard error: " + (" | ".join(warnings[:4]) or "nothing"))
            log(f"{name}: {len(code) - skipped} code cells ran without error in {seconds:.0f}s "
                f"({skipped} tagged skip-execution, as in CI) "
                f"(stored chapter's first cell {'is' if same else 'is NOT yet'} this cell; "
                f"executed copy: _build/colab/{name}.ipynb)")
        log("PASSED: first cell, restart, " + ", ".join(CHAPTERS) + " completed offline")
    finally:
        if keep:
            log(f"kept {venv}")
        else:
            shutil.rmtree(venv.parent, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", help="a Python 3.12 interpreter (default: found)")
    parser.add_argument("--keep", action="store_true", help="keep the virtual environment")
    parser.add_argument("--offline-stage", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    python = find_python(args.python)
    if args.offline_stage:
        simulate(python, args.keep)
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    LOG.write_text("")
    log(f"simulated Colab: {python}, checkout {ROOT}")
    download_wheels(python)
    os.environ["COLAB_SIM_T0"] = str(START)
    stage = [sys.executable, __file__, "--offline-stage", "--python", python] + \
        (["--keep"] if args.keep else [])
    netns = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]
    if shutil.which("unshare") and subprocess.run(netns + ["true"]).returncode == 0:
        log("offline: a network namespace with loopback only (unshare -n)")
        return subprocess.run(netns + stage).returncode
    log("offline: unshare -n is not allowed here; pip is still limited to the wheel folder")
    return subprocess.run(stage).returncode


START = float(os.environ.get("COLAB_SIM_T0", time.time()))

if __name__ == "__main__":
    sys.exit(main())
