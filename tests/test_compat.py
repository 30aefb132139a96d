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
