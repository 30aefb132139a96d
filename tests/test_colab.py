"""The Colab cell: one source (_config.yml), the right MXNet build, one restart at most.

The cell is executed here with Colab's parts faked (google.colab, nvidia-smi, pip, os.kill);
tools/colab_sim.py runs it for real in a Colab-like environment (`make test-colab`).
"""
import os
import re
import shutil
import subprocess
import sys
import time
import types
from importlib import metadata
from pathlib import Path

import nbformat
import pytest

import colab_cell  # tools/ is on sys.path (conftest.py)
from d2l_utils import cuda

ROOT = Path(__file__).resolve().parent.parent
CONFIG = colab_cell.load_config()
CELL = colab_cell.render(colab_cell.d2l_utils_source(CONFIG))


class FakeColab:
    """Runs the cell with a fake runtime: GPU or not, numpy loaded or not, packages installed."""

    def __init__(self, monkeypatch, tmp_path, gpu=None, numpy=None, installed=None):
        self.pip, self.kills = [], []
        self.installed = dict(installed or {"numpy": "2.0.2"})
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
        if numpy is None:
            monkeypatch.delitem(sys.modules, "numpy", raising=False)
        else:
            monkeypatch.setitem(sys.modules, "numpy", types.SimpleNamespace(__version__=numpy))
        monkeypatch.setattr(sys, "prefix", str(tmp_path))
        monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/nvidia-smi"
                            if gpu is not None and name == "nvidia-smi" else None)
        monkeypatch.setattr(subprocess, "run", self.run)
        monkeypatch.setattr(metadata, "version", self.version)
        monkeypatch.setattr(os, "kill", lambda pid, sig: self.kills.append((pid, sig)))
        monkeypatch.setattr(time, "sleep", lambda s: None)
        self.gpu = gpu

    def run(self, cmd, **kw):
        if cmd[0] == "nvidia-smi":
            return subprocess.CompletedProcess(cmd, 0 if self.gpu == "works" else 9, b"", b"")
        assert cmd[:4] == [sys.executable, "-m", "pip", "install"] and kw.get("check")
        self.pip.append(cmd[5:])
        return subprocess.CompletedProcess(cmd, 0)

    def version(self, name):
        if name not in self.installed:
            raise metadata.PackageNotFoundError(name)
        return self.installed[name]

    def execute(self, cell=CELL):
        exec(compile(cell, "colab_cell", "exec"), {})


def test_cpu_runtime_installs_the_cpu_build_and_restarts_once(monkeypatch, tmp_path, capsys):
    colab = FakeColab(monkeypatch, tmp_path, numpy="2.0.2")
    colab.execute()
    assert colab.pip == [["mxnet==1.9.1", "numpy==1.26.4", "setuptools", "matplotlib",
                          "scikit-learn"],
                         ["--no-deps", colab_cell.d2l_utils_source(CONFIG)]]
    assert colab.kills == [(os.getpid(), 9)]
    out = capsys.readouterr().out
    assert "numpy 2.0.2 was loaded before this cell" in out and "restarting the runtime once" in out
    assert (tmp_path / "d2l_restarted").exists()


def test_gpu_runtime_installs_the_cuda_build_and_its_libraries(monkeypatch, tmp_path, capsys):
    colab = FakeColab(monkeypatch, tmp_path, gpu="works")
    colab.execute()
    assert colab.pip[0][:len(colab_cell.GPU_PACKAGES)] == list(colab_cell.GPU_PACKAGES)
    assert "mxnet==1.9.1" not in colab.pip[0]
    assert colab.pip[1][0] == "--no-deps"  # d2l_utils' own `mxnet` requirement is not installed
    assert colab.kills == []  # numpy was not loaded: nothing to restart
    assert "Using mxnet-cu117==1.9.1 (GPU)" in capsys.readouterr().out


def test_nvidia_smi_that_finds_no_gpu_means_cpu(monkeypatch, tmp_path):
    colab = FakeColab(monkeypatch, tmp_path, gpu="fails")
    colab.execute()
    assert colab.pip[0][0] == "mxnet==1.9.1"


def test_rerun_after_the_restart_installs_nothing_and_does_not_restart(monkeypatch, tmp_path):
    (tmp_path / "d2l_restarted").touch()
    colab = FakeColab(monkeypatch, tmp_path, numpy="1.26.4", installed={
        "numpy": "1.26.4", "d2l_utils": "0.1.0", "mxnet": "1.9.1"})
    colab.execute()
    assert colab.pip == [] and colab.kills == []


def test_never_restarts_twice(monkeypatch, tmp_path):
    (tmp_path / "d2l_restarted").touch()
    colab = FakeColab(monkeypatch, tmp_path, numpy="2.0.2")
    with pytest.raises(RuntimeError, match="numpy 2.0.2 is loaded after a restart"):
        colab.execute()
    assert colab.kills == []


def test_does_nothing_outside_colab(monkeypatch, tmp_path, capsys):
    colab = FakeColab(monkeypatch, tmp_path, numpy="2.0.2")
    monkeypatch.delitem(sys.modules, "google.colab")
    colab.execute()
    assert colab.pip == [] and colab.kills == [] and capsys.readouterr().out == ""


def test_gpu_packages_provide_every_library_the_loader_needs():
    names = {p.split("==")[0] for p in colab_cell.GPU_PACKAGES}
    assert {lib.package for lib in cuda.LIBRARIES} <= names
    mxnet = colab_cell.GPU_PACKAGES[0]
    assert mxnet.startswith("mxnet-cu") and mxnet.endswith("==1.9.1")


def test_cell_source_comes_from_config():
    repo = CONFIG["repository"]
    assert colab_cell.d2l_utils_source(CONFIG) in CELL
    if not repo.get("d2l_utils_wheel"):
        assert f"git+{repo['url']}@{repo['branch']}" in CELL
    other = dict(CONFIG, repository=dict(repo, d2l_utils_wheel="https://example.org/d.whl"))
    assert colab_cell.d2l_utils_source(other) == "d2l_utils @ https://example.org/d.whl"
    assert max(len(line) for line in CELL.splitlines()) <= 88
    assert "$" not in CELL


def test_readme_is_built_from_the_same_source():
    readme = (ROOT / "README.md").read_text()
    assert not colab_cell.sync_readme(ROOT / "README.md", CONFIG, write=False), \
        "run `python tools/colab_cell.py --sync` to rewrite README's install lines"
    assert CONFIG["repository"]["url"] in readme
    urls = set(re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", readme))
    assert urls == {CONFIG["repository"]["url"]}, "README names another repository"


def test_buttons_use_the_repository():
    """jupyter-book builds the launch, repository and issue buttons from `repository`."""
    assert CONFIG["html"]["use_repository_button"] and CONFIG["html"]["use_issues_button"]
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", CONFIG["repository"]["url"])
    text = (ROOT / "_config.yml").read_text()
    assert text.count("github.com") == 1, "_config.yml names the repository once"


def test_sync_rewrites_only_the_first_cell(tmp_path):
    path = tmp_path / "ch.ipynb"
    shutil.copy(ROOT / "chapters" / "01_motivation.ipynb", path)
    before = nbformat.read(path, as_version=4)
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.source = "# old\nimport sys\nif 'google.colab' in sys.modules:\n    pass"
    nbformat.write(nb, path)
    assert colab_cell.main([str(path), "--no-readme"]) == 0
    after = nbformat.read(path, as_version=4)
    code = [c for c in after.cells if c.cell_type == "code"]
    assert code[0].source == CELL and code[0].metadata["tags"] == ["colab-setup", "hide-input"]
    assert code[0].outputs == [] and code[0].execution_count is not None
    old = [c for c in before.cells if c.cell_type == "code"]
    assert [c.source for c in code[1:]] == [c.source for c in old[1:]]
    assert colab_cell.main([str(path), "--check", "--no-readme"]) == 0  # now up to date


def test_sync_refuses_a_notebook_without_the_colab_cell(tmp_path):
    path = tmp_path / "x.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), path)
    with pytest.raises(SystemExit, match="not the Colab cell"):
        colab_cell.sync_notebook(path, CELL)


@pytest.mark.skipif(os.environ.get("D2L_COLAB_SIM") != "1",
                    reason="the simulated Colab runs with `make test-colab` (about 10 minutes)")
def test_simulated_colab():
    """First cell, its restart, then chapters 1 and 8 to the end, offline (tools/colab_sim.py)."""
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "colab_sim.py")],
                          capture_output=True, text=True, timeout=3600)
    log = (ROOT / "_build" / "colab" / "colab_sim.log").read_text()
    assert proc.returncode == 0, log + proc.stdout[-3000:] + proc.stderr[-5000:]
    assert "restart path taken" in log
    for name in ("01_motivation", "08_cnn"):
        assert re.search(rf"{name}: \d+ code cells ran without error", log)
    assert "PASSED" in log
