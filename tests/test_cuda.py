"""d2l_utils.cuda: a CUDA build of MXNet finds the nvidia-*-cu11 wheels' libraries, in order."""
import ctypes
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from d2l_utils import cuda

ROOT = Path(__file__).resolve().parent.parent
SONAMES = [lib.soname for lib in cuda.LIBRARIES]


def fake_site(root: Path, libs=cuda.LIBRARIES) -> Path:
    """A site-packages folder holding empty files where the nvidia-*-cu11 wheels put libraries."""
    for lib in libs:
        folder = root / "nvidia" / lib.folder / "lib"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / lib.soname).write_bytes(b"")
    return root


class Recorder:
    """Stands in for ctypes.CDLL: records names; bare names (the system's) fail unless allowed."""

    def __init__(self, system=()):
        self.names, self.system = [], set(system)

    def __call__(self, name):
        self.names.append(name)
        if "/" not in name and name not in self.system:
            raise OSError(f"{name}: cannot open shared object file: No such file or directory")


def test_dependencies_come_first():
    order = {lib.soname: i for i, lib in enumerate(cuda.LIBRARIES)}
    assert order["libcublasLt.so.11"] < order["libcublas.so.11"] < order["libcusolver.so.11"]
    assert order["libcudart.so.11.0"] == 0


def test_loads_every_library_in_order_from_the_wheel_folders(tmp_path):
    site = fake_site(tmp_path / "site")
    load = Recorder()
    loaded = cuda.load_cuda_libraries([str(tmp_path / "elsewhere"), str(site)], load=load)
    assert load.names == loaded
    assert [Path(n).name for n in loaded] == SONAMES
    assert loaded[1] == str(site / "nvidia" / "cublas" / "lib" / "libcublasLt.so.11")


def test_first_folder_on_the_path_wins(tmp_path):
    first = fake_site(tmp_path / "first", [cuda.LIBRARIES[0]])
    second = fake_site(tmp_path / "second")
    loaded = cuda.load_cuda_libraries([str(first), str(second)], load=Recorder())
    assert loaded[0].startswith(str(first)) and loaded[1].startswith(str(second))


def test_system_libraries_are_used_where_no_wheel_has_them(tmp_path):
    site = fake_site(tmp_path, cuda.LIBRARIES[:-1])  # no NCCL wheel, but a system NCCL
    loaded = cuda.load_cuda_libraries([str(site)], load=Recorder(system={"libnccl.so.2"}))
    assert loaded[-1] == "libnccl.so.2"


def test_missing_libraries_give_one_message_naming_the_packages(tmp_path):
    site = fake_site(tmp_path, [lib for lib in cuda.LIBRARIES
                                if lib.package not in ("nvidia-cudnn-cu11", "nvidia-cublas-cu11")])
    load = Recorder()
    with pytest.raises(cuda.CudaLibraryError) as err:
        cuda.load_cuda_libraries([str(site)], load=load)
    message = str(err.value)
    assert "pip install nvidia-cublas-cu11 nvidia-cudnn-cu11`" in message
    assert "libcublasLt.so.11, libcublas.so.11, libcudnn.so.8" in message
    assert "cannot open shared object file" in message
    assert len(load.names) == len(cuda.LIBRARIES)  # every library was tried: one message for all


def test_default_loader_is_ctypes_with_rtld_global(monkeypatch):
    calls = []
    monkeypatch.setattr(cuda.ctypes, "CDLL", lambda name, mode=0: calls.append((name, mode)))
    cuda._load_global("/x/libcudart.so.11.0")
    assert calls == [("/x/libcudart.so.11.0", ctypes.RTLD_GLOBAL)]


def test_cuda_build_is_recognised_by_its_distribution(tmp_path):
    (tmp_path / "gpu" / "mxnet_cu117-1.9.1.dist-info").mkdir(parents=True)
    (tmp_path / "cpu" / "mxnet-1.9.1.dist-info").mkdir(parents=True)
    assert cuda.cuda_build_installed([str(tmp_path / "gpu")])
    assert not cuda.cuda_build_installed([str(tmp_path / "cpu"), str(tmp_path / "none")])


def test_cpu_build_loads_nothing(monkeypatch):
    """This machine's MXNet is the CPU build: the import path is unchanged."""
    assert not cuda.cuda_build_installed()
    monkeypatch.setattr(cuda, "load_cuda_libraries", lambda *a, **k: pytest.fail("loaded"))
    assert cuda.prepare_cuda_mxnet() == []


GCC = shutil.which("gcc")


@pytest.mark.skipif(GCC is None, reason="needs gcc to build small shared libraries")
def test_real_libraries_load_without_ld_library_path(tmp_path):
    """Tiny real libraries with the same names and dependencies; a fake libmxnet needs them all.

    In a fresh process without LD_LIBRARY_PATH the fake libmxnet only loads after
    load_cuda_libraries, and libcublas.so.11 (no RUNPATH here) only after libcublasLt.so.11.
    """
    site = tmp_path / "site"
    src = tmp_path / "f.c"
    src.write_text("int d2l_fake(void) { return 1; }\n")
    for lib in cuda.LIBRARIES:
        folder = site / "nvidia" / lib.folder / "lib"
        folder.mkdir(parents=True, exist_ok=True)
        needs = (["-Wl,--no-as-needed", "-L" + str(folder), "-l:libcublasLt.so.11"]
                 if lib.soname == "libcublas.so.11" else [])
        subprocess.run([GCC, "-shared", "-fPIC", f"-Wl,-soname,{lib.soname}", "-o",
                        str(folder / lib.soname), str(src), *needs], check=True)
    links = [f"-l:{lib.soname}" for lib in cuda.LIBRARIES]
    dirs = sorted({f"-L{site / 'nvidia' / lib.folder / 'lib'}" for lib in cuda.LIBRARIES})
    subprocess.run([GCC, "-shared", "-fPIC", "-Wl,--no-as-needed", "-o",
                    str(tmp_path / "libmxnet.so"), str(src), *dirs, *links], check=True)
    script = textwrap.dedent(f"""
        import ctypes, sys
        sys.path.insert(0, {str(ROOT)!r})
        import importlib.util
        path = {str(ROOT / 'd2l_utils' / 'cuda.py')!r}
        spec = importlib.util.spec_from_file_location("cuda", path)
        cuda = importlib.util.module_from_spec(spec); spec.loader.exec_module(cuda)
        libmxnet = {str(tmp_path / 'libmxnet.so')!r}
        cublas = {str(site / 'nvidia' / 'cublas' / 'lib' / 'libcublas.so.11')!r}
        for name in (libmxnet, cublas):
            try:
                ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)
                print("loaded too early:", name)
            except OSError as err:
                print("before:", err)
        cuda.load_cuda_libraries([{str(site)!r}])
        ctypes.CDLL(libmxnet, mode=ctypes.RTLD_GLOBAL)
        print("libmxnet loaded")
    """)
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "loaded too early" not in proc.stdout
    assert "before: libcudart.so.11.0: cannot open" in proc.stdout
    assert "before: libcublasLt.so.11: cannot open" in proc.stdout
    assert proc.stdout.strip().endswith("libmxnet loaded")
