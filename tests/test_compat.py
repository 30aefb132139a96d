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
    assert compat.cpu_speed_settings(cores, gpu_build, openblas="Haswell", busy=0) == expected


@pytest.mark.parametrize("cores, busy, threads", [(2, 1, "1"), (2, 2, "1"), (8, 3, "5"), (4, 0, "4")])
def test_threads_leave_out_the_cores_other_programs_keep_busy(cores, busy, threads):
    """Beside a busy program, 2 threads on 2 cores ran an epoch 3 times slower than 1 (bench)."""
    assert compat.cpu_speed_settings(cores, False, openblas="Haswell", busy=busy)["OMP_NUM_THREADS"] == threads


def test_cpu_jiffies_from_proc_stat():
    text = "cpu  100 5 50 800 40 0 5 0 0 0\ncpu0 50 2 25 400 20 0 2 0 0 0\n"
    assert compat.cpu_jiffies(text) == (160, 1000)  # busy: user+nice+system+irq+softirq+steal


def test_busy_cpus_sees_a_busy_program():
    """A program spinning on one core is counted; an idle machine's count stays below that."""
    import os
    import time
    idle = compat.busy_cpus(0.3)
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        busy = compat.busy_cpus(0.5)
    finally:
        hog.kill()
        hog.wait()
    assert 1 <= busy <= os.cpu_count() and busy >= idle


@pytest.mark.parametrize("core, flags, choice", [
    ("Prescott", {"avx2", "fma", "sse3"}, "Haswell"),   # OpenBLAS 0.3.13 did not know this CPU
    ("Core2", {"avx2", "fma"}, "Haswell"),
    ("Zen", {"avx2", "fma"}, None),                     # it knew it: keep its choice
    ("SkylakeX", {"avx2", "fma", "avx512f"}, None),
    ("Prescott", {"sse3", "avx"}, None),                # Haswell's kernels would crash without AVX2
    (None, {"avx2", "fma"}, None)])                     # no MXNet OpenBLAS found
def test_openblas_coretype_choice(core, flags, choice):
    assert compat.openblas_coretype_choice(core, flags) == choice


def test_slow_openblas_fallback_is_replaced_in_the_settings(monkeypatch):
    monkeypatch.setattr(compat, "cpu_flags", lambda: {"avx2", "fma"})
    chosen = compat.cpu_speed_settings(2, False, openblas="Prescott", busy=0)
    assert chosen["OPENBLAS_CORETYPE"] == "Haswell"
    assert "OPENBLAS_CORETYPE" not in compat.cpu_speed_settings(2, True, openblas="Prescott")  # GPU build


def test_openblas_core_asks_mxnets_own_openblas():
    assert compat.mxnet_openblas_path().endswith("mxnet/libopenblas.so.0")
    assert compat.openblas_core(coretype="Haswell") == "Haswell"
    assert compat.openblas_core(coretype="Prescott") == "Prescott"
    assert compat.openblas_core(path="/nonexistent/libopenblas.so.0") is None


def test_import_replaces_a_generic_openblas_fallback():
    """End to end in a fresh interpreter, as on a CPU OpenBLAS 0.3.13 does not know: the probe says
    'Prescott', so OPENBLAS_CORETYPE=Haswell is set before MXNet loads and its OpenBLAS runs Haswell."""
    code = ("import ctypes, importlib.util, os, sys\n"
            f"spec = importlib.util.spec_from_file_location('c', {compat.__file__!r})\n"
            "c = importlib.util.module_from_spec(spec); spec.loader.exec_module(c)\n"
            "c.openblas_core = lambda *a, **k: 'Prescott'\n"
            "c.cpu_flags = lambda: {'avx2', 'fma'}\n"
            "print(c.apply_cpu_speed_settings().get('OPENBLAS_CORETYPE'))\n"
            "c.restore_numpy_aliases()\n"
            "import mxnet\n"
            "lib = ctypes.CDLL(c.mxnet_openblas_path()); lib.openblas_get_corename.restype = ctypes.c_char_p\n"
            "print(lib.openblas_get_corename().decode())\n")
    proc = subprocess.run([sys.executable, "-c", code], env=clean_env({}), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["Haswell", "Haswell"]


SETTINGS = ("OMP_NUM_THREADS", "MXNET_ENGINE_TYPE", "MXNET_OPTIMIZER_AGGREGATION_SIZE",
            "OPENBLAS_CORETYPE", "DNNL_MAX_CPU_ISA", "D2L_MXNET_DEFAULTS", "D2L_PIN_NUMERICS")
SHOWN = SETTINGS[:5]
SHOW = ("import os, d2l_utils, mxnet as mx\n"
        "mx.nd.ones(2).wait_to_read()\n"
        "print({k: os.environ.get(k) for k in %r})\n" % (SHOWN,))


def clean_env(env_extra: dict) -> dict:
    """This process's environment without any of the settings above, plus ``env_extra``."""
    import os
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    return dict(env, **env_extra)


def run_with(env_extra: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", SHOW], env=clean_env(env_extra),
                          capture_output=True, text=True, timeout=120)


def test_import_applies_the_settings_quietly():
    proc = run_with({})
    assert proc.returncode == 0, proc.stderr
    chosen = eval(proc.stdout)
    expected = compat.cpu_speed_settings(openblas=compat.openblas_core(), busy=0)  # this one is pinned
    assert {k: v for k, v in chosen.items() if k != "OMP_NUM_THREADS"} == {
        k: expected.get(k) for k in SHOWN if k != "OMP_NUM_THREADS"}
    assert 1 <= int(chosen["OMP_NUM_THREADS"]) <= compat.physical_cores()  # fewer if the CPU is busy
    assert "MXNet start using engine" not in proc.stderr  # MXNet's startup line is filtered out


def test_settings_already_made_are_kept_and_can_be_turned_off():
    kept = eval(run_with({"OMP_NUM_THREADS": "1", "MXNET_ENGINE_TYPE": "ThreadedEnginePerDevice",
                          "OPENBLAS_CORETYPE": "Sandybridge"}).stdout)
    assert kept["OMP_NUM_THREADS"] == "1" and kept["MXNET_ENGINE_TYPE"] == "ThreadedEnginePerDevice"
    assert kept["OPENBLAS_CORETYPE"] == "Sandybridge"
    off = eval(run_with({"D2L_MXNET_DEFAULTS": "0"}).stdout)
    assert off == {k: None for k in SHOWN}


def test_make_test_pins_the_numerics_and_keeps_what_the_user_set():
    """D2L_PIN_NUMERICS=1 (conftest.py, tools/execute.py): the same kernels and threads on every
    AVX2 CPU; a value set by hand (as tools/cpu_matrix.py does) is kept; without the flag, nothing."""
    pinned = eval(run_with({"D2L_PIN_NUMERICS": "1"}).stdout)
    assert pinned["OMP_NUM_THREADS"] in ("1", "2")  # 1 when the machine is busy (tested above)
    if {"avx2", "fma"} <= compat.cpu_flags():
        assert pinned["OPENBLAS_CORETYPE"] == "Haswell" and pinned["DNNL_MAX_CPU_ISA"] == "AVX2"
    by_hand = eval(run_with({"D2L_PIN_NUMERICS": "1", "OMP_NUM_THREADS": "1",
                             "DNNL_MAX_CPU_ISA": "AVX512_CORE"}).stdout)
    assert by_hand["OMP_NUM_THREADS"] == "1" and by_hand["DNNL_MAX_CPU_ISA"] == "AVX512_CORE"
    assert eval(run_with({}).stdout)["DNNL_MAX_CPU_ISA"] is None


def test_pins_need_avx2_for_the_kernels():
    assert compat.reproducible_numerics_settings({"sse3", "avx"}, busy=0) == {
        "OMP_NUM_THREADS": "2", "GOMP_SPINCOUNT": "1000"}
    assert compat.reproducible_numerics_settings({"avx2", "fma"}, busy=0) == {
        "OMP_NUM_THREADS": "2", "GOMP_SPINCOUNT": "1000", "OPENBLAS_CORETYPE": "Haswell",
        "DNNL_MAX_CPU_ISA": "AVX2"}


@pytest.mark.parametrize("busy", [1, 2, 7])
def test_pinned_threads_drop_to_one_beside_busy_programs(busy):
    settings = compat.reproducible_numerics_settings({"avx2", "fma"}, busy=busy)
    assert settings["OMP_NUM_THREADS"] == "1" and settings["OPENBLAS_CORETYPE"] == "Haswell"


def test_pinned_threads_sample_the_load_only_when_threads_are_not_set(monkeypatch):
    calls = []
    monkeypatch.setattr(compat, "busy_cpus", lambda *a: calls.append(a) or 1)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert compat.reproducible_numerics_settings(set())["OMP_NUM_THREADS"] == "1"
    assert len(calls) == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "4")
    compat.reproducible_numerics_settings(set())
    assert len(calls) == 1  # the user's own thread count is kept: no need to sample


@pytest.mark.parametrize("busy, threads", [(0, "2"), (1, "1")])
def test_each_chapter_kernel_gets_threads_for_the_load_at_its_start(
        request, monkeypatch, busy, threads):
    """conftest.py samples the load again before each chapter's kernel starts (nbval's first cell
    of a notebook, or a seed-guard run), unless the caller set the threads."""
    hooks = next(p for p in request.config.pluginmanager.get_plugins()
                 if getattr(p, "__file__", "").endswith("conftest.py")
                 and hasattr(p, "_THREADS_GIVEN"))
    monkeypatch.setattr(compat, "busy_cpus", lambda *a: busy)
    monkeypatch.setattr(hooks, "_THREADS_GIVEN", False)
    monkeypatch.setenv("D2L_PIN_NUMERICS", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    guard = types.SimpleNamespace(parent=None, name="test_claims_hold_under_other_seeds[09]")
    hooks.pytest_runtest_setup(guard)
    assert __import__("os").environ["OMP_NUM_THREADS"] == threads
    monkeypatch.setenv("OMP_NUM_THREADS", "7")
    hooks.pytest_runtest_setup(types.SimpleNamespace(parent=None, name="test_other"))
    assert __import__("os").environ["OMP_NUM_THREADS"] == "7"  # no kernel starts: unchanged
    monkeypatch.setattr(hooks, "_THREADS_GIVEN", True)
    hooks.pytest_runtest_setup(guard)
    assert __import__("os").environ["OMP_NUM_THREADS"] == "7"  # the caller's choice is kept


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
