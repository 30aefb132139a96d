"""compat: MXNet 1.9.1 must import on numpy 1.24+ and on Python 3.12 (via setuptools' distutils)."""
import subprocess
import sys
import types

import numpy
import pytest

from d2l_utils import compat


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_aliases_restored_and_mxnet_trains():
    """In a fresh interpreter: numpy lacks the aliases, d2l_utils restores them, Gluon trains."""
    proc = run_python(
        "import numpy\n"
        "missing = [n for n in ('bool','int','float','object','complex','str') if n not in numpy.__dict__]\n"
        "import d2l_utils, mxnet as mx\n"
        "from mxnet import autograd, gluon\n"
        "assert numpy.bool is bool and numpy.object is object\n"
        "net = gluon.nn.Dense(1); net.initialize()\n"
        "tr = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})\n"
        "x = mx.nd.ones((4, 3)); y = mx.nd.zeros((4, 1))\n"
        "with autograd.record(): l = ((net(x) - y) ** 2).mean()\n"
        "l.backward(); tr.step(4)\n"
        "print(','.join(missing))\n")
    assert proc.returncode == 0, proc.stderr
    if numpy.__version__ >= "1.24":  # the aliases really were gone and were put back
        assert "bool" in proc.stdout


def test_restore_numpy_aliases_on_a_module_without_them():
    fake = types.ModuleType("fake_numpy")
    assert sorted(compat.restore_numpy_aliases(fake)) == sorted(compat.NUMPY_ALIASES)
    assert fake.int is int and fake.str is str
    assert compat.restore_numpy_aliases(fake) == []  # idempotent


def test_restore_keeps_existing_attributes():
    fake = types.ModuleType("fake_numpy")
    fake.bool = "already here"
    compat.restore_numpy_aliases(fake)
    assert fake.bool == "already here"


@pytest.mark.parametrize("version", ["1.23.5", "1.26.4"])
def test_numpy_1x_accepted(version):
    compat.check_numpy_version(version)


@pytest.mark.parametrize("version", ["2.0.0", "2.1.3"])
def test_numpy_2_rejected_with_instructions(version):
    with pytest.raises(ImportError, match=r"numpy==1\.26\.4.*restart"):
        compat.check_numpy_version(version)


def test_missing_distutils_explains_the_fix(monkeypatch):
    def no_distutils(name):
        raise ModuleNotFoundError("No module named 'distutils'")
    monkeypatch.setattr(compat.importlib, "import_module", no_distutils)
    with pytest.raises(ImportError, match="pip install setuptools"):
        compat.check_distutils((3, 12))


def test_import_without_distutils_fails_clearly():
    """The real import path, as on Python 3.12 without setuptools: a clear ImportError."""
    proc = run_python("import sys; sys.modules['distutils'] = None\nimport d2l_utils")
    assert proc.returncode != 0
    assert "pip install setuptools" in proc.stderr


def test_distutils_available_here():
    compat.check_distutils()  # setuptools is a requirement, so this must pass on 3.10-3.12


def test_gluoncv_imports_beside_pytorch_2():
    """GluonCV 0.10 refuses to load next to PyTorch 2 (Colab ships it); import_gluoncv hides it."""
    fake_torch = ("import sys, types, d2l_utils\n"
                  "torch = types.ModuleType('torch'); torch.__version__ = '2.13.0+cpu'\n"
                  "sys.modules['torch'] = torch\n")
    plain = run_python(fake_torch + "import gluoncv\n")
    assert "Legacy torch==2.13.0+cpu detected" in plain.stderr  # the failure being worked around
    proc = run_python(fake_torch + "gluoncv = d2l_utils.import_gluoncv()\n"
                      "from gluoncv import model_zoo\n"
                      "assert sys.modules['torch'] is torch  # put back afterwards\n"
                      "assert d2l_utils.import_gluoncv() is gluoncv\n"
                      "print(type(model_zoo.get_model('resnet18_v1', pretrained=False)).__name__)\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ResNetV1"


def test_gluoncv_missing_says_how_to_install(monkeypatch):
    monkeypatch.delitem(sys.modules, "gluoncv", raising=False)
    monkeypatch.setattr(compat.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match=r"pip install gluoncv==0\.10\.5\.post0"):
        compat.import_gluoncv()


@pytest.mark.parametrize("siblings, count", [("0-1", 2), ("2,6", 2), ("3", 1), ("0-3\n", 4)])
def test_threads_per_core(siblings, count):
    assert compat.threads_per_core(siblings) == count


def test_physical_cores_is_within_the_cpus():
    import os
    assert 1 <= compat.physical_cores() <= os.cpu_count()


@pytest.mark.parametrize("cores, gpu_build, expected", [
    (1, False, {"OMP_NUM_THREADS": "1", "MXNET_OPTIMIZER_AGGREGATION_SIZE": "1"}),
    (2, False, {"OMP_NUM_THREADS": "2", "MXNET_OPTIMIZER_AGGREGATION_SIZE": "1", "MXNET_ENGINE_TYPE": "NaiveEngine"}),
    (8, True, {})])
def test_cpu_speed_settings(cores, gpu_build, expected):
    """One core keeps the threaded engine (Python overlaps the work); a GPU build keeps everything."""
    assert compat.cpu_speed_settings(cores, gpu_build) == expected


SETTINGS = ("OMP_NUM_THREADS", "MXNET_ENGINE_TYPE", "MXNET_OPTIMIZER_AGGREGATION_SIZE", "D2L_MXNET_DEFAULTS")
SHOW = ("import os, d2l_utils, mxnet as mx\n"
        "mx.nd.ones(2).wait_to_read()\n"
        "print({k: os.environ.get(k) for k in %r})\n" % (SETTINGS[:3],))


def run_with(env_extra: dict) -> subprocess.CompletedProcess:
    import os
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    return subprocess.run([sys.executable, "-c", SHOW], env=dict(env, **env_extra),
                          capture_output=True, text=True, timeout=120)


def test_import_applies_the_settings_quietly():
    proc = run_with({})
    assert proc.returncode == 0, proc.stderr
    chosen = eval(proc.stdout)
    assert chosen == {k: compat.cpu_speed_settings().get(k) for k in SETTINGS[:3]}
    assert "MXNet start using engine" not in proc.stderr  # MXNet's startup line is filtered out


def test_settings_already_made_are_kept_and_can_be_turned_off():
    kept = eval(run_with({"OMP_NUM_THREADS": "1", "MXNET_ENGINE_TYPE": "ThreadedEnginePerDevice"}).stdout)
    assert kept["OMP_NUM_THREADS"] == "1" and kept["MXNET_ENGINE_TYPE"] == "ThreadedEnginePerDevice"
    off = eval(run_with({"D2L_MXNET_DEFAULTS": "0"}).stdout)
    assert off == {k: None for k in SETTINGS[:3]}


def test_settings_are_not_applied_once_mxnet_is_imported(monkeypatch):
    import mxnet  # noqa: F401  (already imported by d2l_utils in this process)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert compat.apply_cpu_speed_settings() == {}
    assert "OMP_NUM_THREADS" not in __import__("os").environ


def test_import_passes_on_other_mxnet_messages(monkeypatch, capfd):
    """Only the engine line is dropped: any other text MXNet prints while importing reaches the user."""
    import os
    fake = types.ModuleType("mxnet")
    fake.nd = types.SimpleNamespace(waitall=lambda: os.write(2, b"[00:00:00] engine.cc:54: MXNet start using "
                                                                  b"engine: NaiveEngine\nsomething to read\n"))
    monkeypatch.delitem(sys.modules, "mxnet")
    monkeypatch.setattr(compat.importlib, "import_module", lambda name: fake)
    assert compat.import_mxnet_quietly() is fake
    err = capfd.readouterr().err
    assert "something to read" in err and "start using engine" not in err
