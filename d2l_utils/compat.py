"""Small fixes that let MXNet 1.9.1 (the last release) import on today's numpy and Python.

MXNet 1.9.1 still refers to ``numpy.bool``, ``numpy.int`` and friends, which numpy 1.24 removed,
and it imports ``distutils``, which Python 3.12 removed (``setuptools`` provides a replacement).
Import this module before ``mxnet``; ``import d2l_utils`` does that for you.
"""
from __future__ import annotations

import ctypes
import importlib
import importlib.metadata
import importlib.util
import os
import subprocess
import sys
import tempfile
import threading
import time

import numpy

#: The aliases numpy removed in 1.24 that MXNet 1.9.1 still uses, and what they stood for.
NUMPY_ALIASES = {"bool": bool, "int": int, "float": float, "object": object,
                 "complex": complex, "str": str}


def check_numpy_version(version: str | None = None) -> None:
    """Raise ImportError with instructions when numpy is 2 or newer, which MXNet 1.9.1 cannot use."""
    version = version or numpy.__version__
    major = int(version.split(".")[0])
    if major >= 2:
        raise ImportError(
            f"numpy {version} is installed, but MXNet 1.9.1 needs numpy 1.x (1.23 to 1.26). "
            "Run `pip install 'numpy==1.26.4'` and restart the Python kernel "
            "(on Colab: Runtime > Restart session), then run this cell again.")


def restore_numpy_aliases(np_module=numpy) -> list[str]:
    """Put back the numpy aliases MXNet 1.9.1 needs; return the names that were missing."""
    restored = []
    for name, value in NUMPY_ALIASES.items():
        if name not in np_module.__dict__:
            setattr(np_module, name, value)
            restored.append(name)
    return restored


def check_distutils(python_version: tuple[int, int] | None = None) -> None:
    """Make sure ``import distutils`` works, as MXNet 1.9.1 needs; explain the fix if not.

    Python 3.12 removed distutils; an installed ``setuptools`` provides it again.
    """
    python_version = python_version or sys.version_info[:2]
    try:
        importlib.import_module("distutils")
    except ImportError as err:
        raise ImportError(
            f"MXNet 1.9.1 imports `distutils`, which Python {python_version[0]}.{python_version[1]} "
            "no longer ships. Run `pip install setuptools` (it provides distutils) and try again."
        ) from err


def import_gluoncv():
    """Import GluonCV 0.10 (the model zoo of chapter 8) even where PyTorch 2 is installed, as on Colab.

    GluonCV raises ``RuntimeError`` at import when it finds PyTorch 2 beside MXNet, although its
    MXNet half does not use PyTorch; so PyTorch is hidden from it while it loads.
    """
    if "gluoncv" in sys.modules:
        return sys.modules["gluoncv"]
    if importlib.util.find_spec("gluoncv") is None:
        raise ImportError("GluonCV is not installed: run `pip install gluoncv==0.10.5.post0` "
                          "(requirements.txt pins it) and run this cell again.")
    missing = object()
    torch = sys.modules.get("torch", missing)
    sys.modules["torch"] = None  # `import torch` now raises ImportError, which GluonCV tolerates
    try:
        return importlib.import_module("gluoncv")
    finally:
        if torch is missing:
            del sys.modules["torch"]
        else:
            sys.modules["torch"] = torch


def threads_per_core(siblings: str) -> int:
    """How many CPUs share a core, from Linux's ``thread_siblings_list`` (e.g. ``"0-1"`` or ``"2,6"``)."""
    count = 0
    for part in siblings.strip().split(","):
        first, _, last = part.partition("-")
        count += int(last) - int(first) + 1 if last else 1
    return max(1, count)


def physical_cores() -> int:
    """CPU cores this process may use, counting a core once even with hyper-threading."""
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else list(range(os.cpu_count() or 1))
    try:
        with open(f"/sys/devices/system/cpu/cpu{cpus[0]}/topology/thread_siblings_list") as f:
            per_core = threads_per_core(f.read())
    except (OSError, ValueError):
        per_core = 1  # not Linux, or no topology: count every CPU
    return max(1, len(cpus) // per_core)


def cpu_jiffies(stat_text: str) -> tuple[int, int]:
    """(busy, total) CPU time counters from the first line of Linux's ``/proc/stat``."""
    fields = [int(x) for x in stat_text.splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


def busy_cpus(seconds: float = 0.1) -> int:
    """How many CPUs other programs keep busy right now (sampled over ``seconds``; 0 off Linux).

    OpenMP threads that wait for a core another program holds make every parallel step wait:
    on a 2-core machine with one busy program, two threads ran an epoch 3 times slower than one.
    """
    try:
        with open("/proc/stat") as f:
            before = cpu_jiffies(f.read())
        time.sleep(seconds)
        with open("/proc/stat") as f:
            after = cpu_jiffies(f.read())
    except (OSError, ValueError, IndexError):
        return 0
    busy, total = after[0] - before[0], after[1] - before[1]
    return round((os.cpu_count() or 1) * busy / total) if total > 0 else 0


def _gpu_build_installed() -> bool:
    return any((dist.metadata["Name"] or "").lower().startswith("mxnet-cu")
               for dist in importlib.metadata.distributions())


def cpu_flags() -> set[str]:
    """The instruction-set flags Linux reports for this CPU (``avx2``, ``fma``, ...); empty elsewhere."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def mxnet_openblas_path() -> str | None:
    """Where MXNet's own OpenBLAS lies (the wheel bundles one), without importing MXNet."""
    spec = importlib.util.find_spec("mxnet")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = os.path.join(folder, "libopenblas.so.0")
        if os.path.exists(path):
            return path
    return None


_CORENAME_PROBE = ("import ctypes, sys\n"
                   "lib = ctypes.CDLL(sys.argv[1])\n"
                   "lib.openblas_get_corename.restype = ctypes.c_char_p\n"
                   "print(lib.openblas_get_corename().decode())\n")


def openblas_core(path: str | None = None, coretype: str | None = None) -> str | None:
    """The kernel set MXNet's OpenBLAS picks on this CPU (``openblas_get_corename()``), or None.

    Asked in a separate interpreter (about 25 ms): OpenBLAS decides once, when it is loaded, and
    this process must not load it before ``OPENBLAS_CORETYPE`` is settled. ``coretype`` forces one.
    """
    path = path or mxnet_openblas_path()
    if path is None:
        return None
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_VERBOSE")}
    env["OPENBLAS_NUM_THREADS"] = "1"
    if coretype:
        env["OPENBLAS_CORETYPE"] = coretype
    try:
        proc = subprocess.run([sys.executable, "-S", "-c", _CORENAME_PROBE, path], env=env,
                              capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    name = proc.stdout.strip()
    return name if proc.returncode == 0 and name else None


#: OpenBLAS kernel sets that use AVX2 and FMA; on a CPU with both, anything else is a slow fallback.
AVX2_CORES = ("Haswell", "Zen", "SkylakeX", "CooperLake", "SapphireRapids")


def openblas_coretype_choice(core: str | None, flags: set[str]) -> str | None:
    """``Haswell`` when OpenBLAS fell back to older kernels on a CPU that has AVX2 and FMA.

    MXNet 1.9.1's OpenBLAS (0.3.13, December 2020) does not know newer CPUs and then runs its
    generic SSE3 ``Prescott`` kernels, 2-4 times slower; Haswell's kernels run on any AVX2 CPU.
    """
    if core is None or core in AVX2_CORES or not {"avx2", "fma"} <= flags:
        return None
    return "Haswell"


def cpu_speed_settings(cores: int | None = None, gpu_build: bool | None = None,
                       openblas: str | None = "probe", busy: int | None = None) -> dict[str, str]:
    """The MXNet settings that made the book's CPU training fastest (measured in ``bench/``).

    * ``OMP_NUM_THREADS``: one thread per core that no other program keeps busy (``busy``,
      sampled when not given); MXNet otherwise takes half the cores on x86, counting on
      hyper-threading, which leaves an idle 2-core machine with one thread.
    * ``MXNET_ENGINE_TYPE=NaiveEngine`` (2 cores or more): run each operator at once on the
      calling thread with all cores, instead of one background thread beside Python's.
    * ``MXNET_OPTIMIZER_AGGREGATION_SIZE=1``: update each parameter on its own; MXNet's fused
      multi-update is slower on the CPU when a large weight shares it with small ones.
    * ``OPENBLAS_CORETYPE=Haswell``: only where MXNet's OpenBLAS fell back to generic kernels on
      a CPU with AVX2 (``openblas`` is the core it picked; "probe" asks it).

    None of them is chosen for a GPU build of MXNet, where the threaded engine keeps the GPU busy.
    """
    cores = physical_cores() if cores is None else cores
    gpu_build = _gpu_build_installed() if gpu_build is None else gpu_build
    if gpu_build:
        return {}
    if busy is None:
        busy = busy_cpus() if "OMP_NUM_THREADS" not in os.environ and cores > 1 else 0
    settings = {"OMP_NUM_THREADS": str(max(1, cores - busy)), "MXNET_OPTIMIZER_AGGREGATION_SIZE": "1"}
    if cores >= 2:
        settings["MXNET_ENGINE_TYPE"] = "NaiveEngine"
    if openblas == "probe":
        openblas = openblas_core() if "OPENBLAS_CORETYPE" not in os.environ else None
    coretype = openblas_coretype_choice(openblas, cpu_flags())
    if coretype:
        settings["OPENBLAS_CORETYPE"] = coretype
    return settings


def apply_cpu_speed_settings() -> dict[str, str]:
    """Set each of ``cpu_speed_settings()`` that the environment does not set already.

    Returns what it set. It must run before ``import mxnet`` (MXNet reads them once, at import),
    so it does nothing once MXNet is imported; ``D2L_MXNET_DEFAULTS=0`` turns it off.
    """
    if "mxnet" in sys.modules or os.environ.get("D2L_MXNET_DEFAULTS") == "0":
        return {}
    chosen = {k: v for k, v in cpu_speed_settings().items() if k not in os.environ}
    os.environ.update(chosen)
    return chosen


def reproducible_numerics_settings(flags: set[str] | None = None,
                                   busy: int | None = None) -> dict[str, str]:
    """What ``make test`` and ``make execute`` pin so that round-off is the same on every AVX2 CPU.

    The same OpenBLAS kernels (Haswell's), the same oneDNN instruction set (AVX2) and two threads,
    as on the 2-core CI machine; one thread when other programs keep a core busy (``busy``,
    sampled when not given): there, two threads ran a LeNet training step 20 times slower than
    one, and nbval's tolerance covers the thread count (``make test-cpus``). Waiting threads
    spin briefly, then sleep (``GOMP_SPINCOUNT``): OpenMP's long default spin made an MLP's
    steps 20 times slower on a busy machine, and sleeping at once made chapter 9's GRU steps
    2.7 times slower on an idle one. On a CPU without AVX2 only the threads are pinned.
    """
    flags = cpu_flags() if flags is None else flags
    if busy is None:
        busy = busy_cpus() if "OMP_NUM_THREADS" not in os.environ else 0
    settings = {"OMP_NUM_THREADS": "2" if busy == 0 else "1", "GOMP_SPINCOUNT": "1000"}
    if {"avx2", "fma"} <= flags:
        settings.update(OPENBLAS_CORETYPE="Haswell", DNNL_MAX_CPU_ISA="AVX2")
    return settings


def pin_reproducible_numerics() -> dict[str, str]:
    """With ``D2L_PIN_NUMERICS=1`` (set by ``make test``), set each of
    ``reproducible_numerics_settings()`` that the environment does not set already.

    Runs at ``import d2l_utils``, before MXNet loads; the chapters' kernels inherit the variable.
    """
    if os.environ.get("D2L_PIN_NUMERICS") != "1" or "mxnet" in sys.modules:
        return {}
    chosen = {k: v for k, v in reproducible_numerics_settings().items() if k not in os.environ}
    os.environ.update(chosen)
    return chosen


def import_mxnet_quietly():
    """``import mxnet``, minus the line MXNet's C++ core prints when an engine type is chosen.

    Anything else MXNet writes to standard error while importing is passed on unchanged. A
    parameter-server scheduler or server (``DMLC_ROLE``) runs its whole service inside
    ``import mxnet``: its log is not held back, it is imported as it is.
    """
    role = os.environ.get("DMLC_ROLE")
    if role:
        prepare_dist_heartbeats()
    if "mxnet" in sys.modules:
        return sys.modules["mxnet"]
    if role in ("scheduler", "server"):
        if dist_timeout():
            threading.Thread(target=_watch_service, args=(role,), name="d2l-dist-watchdog",
                             daemon=True).start()
        return importlib.import_module("mxnet")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            mxnet = importlib.import_module("mxnet")
            mxnet.nd.waitall()  # the engine starts (and reports its type) on first use
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode(errors="replace")
    rest = "".join(line for line in text.splitlines(keepends=True) if "MXNet start using engine" not in line)
    if rest:
        sys.stderr.write(rest)
    return mxnet


def share_dist_kvstore(mxnet) -> None:
    """Make a second ``mx.kv.create('dist_sync')`` in a process return the first store.

    MXNet starts its parameter-server client once per process; creating a second distributed
    store hangs every process of the job. So asking for the rank (``mx.kv.create('dist_sync').rank``)
    and then training with ``kvstore='dist_sync'`` must share one store.
    """
    module = mxnet.kvstore
    original = module.create
    if getattr(original, "shares_dist_stores", False):
        return
    made = {}

    def create(name="local"):
        if isinstance(name, str) and name.startswith("dist"):
            if name not in made:
                made[name] = original(name)
                if os.environ.get("DMLC_ROLE") == "worker" and dist_timeout():
                    watch_dist_worker(made[name])
            return made[name]
        return original(name)

    create.__doc__ = original.__doc__
    create.shares_dist_stores = True
    module.create = create


# A process of a parameter-server job (DMLC_ROLE set) that dies leaves the others waiting forever:
# ps-lite only uses its heartbeats to let a restarted node take a dead one's place. d2l_utils turns
# the heartbeats on and watches them: the scheduler (the only process that hears every node's
# heartbeat) stops when a worker or server falls silent, and the workers and servers stop when the
# scheduler stops answering theirs.
DIST_TIMEOUT_DEFAULT = 60  # seconds; D2L_DIST_TIMEOUT
_SCHEDULER, _SERVER_ID0, _WORKER_ID0 = 1, 8, 9  # ps-lite node ids: rank r is 8 + 2r / 9 + 2r


def dist_timeout(environ=None) -> int:
    """Seconds of silence after which a process of a ``dist_*`` job is taken for dead.

    ``D2L_DIST_TIMEOUT`` (default 60); 0 turns the watch off."""
    text = (os.environ if environ is None else environ).get("D2L_DIST_TIMEOUT", "").strip()
    if not text:
        return DIST_TIMEOUT_DEFAULT
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0 or 0 < value < 3:
        raise ValueError(f"D2L_DIST_TIMEOUT must be a whole number of seconds, 3 or more (0 turns off the "
                         f"watch for dead processes of a distributed job), got {text!r}")
    return value


def dist_heartbeat_interval(timeout: int, environ=None) -> int:
    """Seconds between ps-lite heartbeats (``PS_HEARTBEAT_INTERVAL``) for a watch of ``timeout`` s:
    the one set, or a sixth of the timeout between 1 and 5 s. Several must fit in the timeout."""
    text = (os.environ if environ is None else environ).get("PS_HEARTBEAT_INTERVAL", "").strip()
    if not text:
        return max(1, min(5, timeout // 6))
    try:
        interval = int(text)
    except ValueError:
        interval = 0
    if interval < 1 or 2 * interval >= timeout:
        raise ValueError(f"PS_HEARTBEAT_INTERVAL={text!r} with D2L_DIST_TIMEOUT={timeout}: the interval must be "
                         f"a whole number of seconds, at least 1 and under half the timeout (or unset it: "
                         f"d2l_utils then picks {max(1, min(5, timeout // 6))})")
    return interval


def prepare_dist_heartbeats() -> None:
    """Turn on ps-lite's heartbeats (off by default) so that a dead process can be noticed;
    call it before the process's store starts (``import mxnet`` for a scheduler or server)."""
    timeout = dist_timeout()
    if timeout:
        os.environ["PS_HEARTBEAT_INTERVAL"] = str(dist_heartbeat_interval(timeout))


def _stop_job(text: str) -> None:
    """Print ``text`` and end the process at once: a thread stuck in a push, a pull or MXNet's
    service loop cannot be interrupted, and exit handlers would wait for it."""
    try:
        os.write(2, ("\n" + text + "\n").encode())
    finally:
        os._exit(1)


def _scheduler_address() -> str:
    return f"{os.environ.get('DMLC_PS_ROOT_URI', '?')}:{os.environ.get('DMLC_PS_ROOT_PORT', '?')}"


def _watch(lib, handle, who: str, nodes: list[tuple[int, str]], timeout: int) -> None:
    """Every second, ask ps-lite which of ``nodes`` sent no heartbeat for ``timeout`` s; stop if any."""
    number = ctypes.c_int()
    while True:
        for node_id, name in nodes:
            if lib.MXKVStoreGetNumDeadNode(handle, node_id, ctypes.byref(number), timeout) == 0 and number.value:
                if node_id == _SCHEDULER:
                    _stop_job(
                        f"d2l_utils: {who} has not heard from the scheduler of this distributed job "
                        f"({_scheduler_address()}) for {timeout} s (D2L_DIST_TIMEOUT). The scheduler stops "
                        f"the job when a worker or server dies (its output then names which one); otherwise "
                        f"it died itself or the network to it is down. {who[0].upper() + who[1:]} would wait "
                        f"forever, so it stops now (exit status 1). Start "
                        f"the whole job again.")
                _stop_job(
                    f"d2l_utils: {name} of this distributed job has sent no heartbeat for {timeout} s "
                    f"(D2L_DIST_TIMEOUT): it died, was killed, or its machine or network is down; its own "
                    f"output says why. The other processes would wait for it forever, so the scheduler "
                    f"stops now (exit status 1), and the servers and the other workers stop when they no "
                    f"longer hear from the scheduler, about {timeout} s later. Start the whole job again.")
        time.sleep(1)


def _spare_dist_handle(lib):
    """A second handle on this worker's parameter-server client, only to ask it about heartbeats.

    A ``dist`` store made while ``DMLC_ROLE`` reads ``server`` starts nothing (no second client,
    which would hang the job); ps-lite's node table is one per process, so it answers for the
    worker's own store. It is never freed: its destructor would take it for a worker's."""
    handle = ctypes.c_void_p()
    os.environ["DMLC_ROLE"] = "server"
    try:
        rc = lib.MXKVStoreCreate(b"dist", ctypes.byref(handle))
    finally:
        os.environ["DMLC_ROLE"] = "worker"
    return handle if rc == 0 else None


def watch_dist_worker(store) -> threading.Thread | None:
    """Stop this worker with a message when the scheduler of its ``dist_*`` store falls silent.

    The watch also covers the exit: MXNet's store ends with a barrier of all processes, which a
    dead worker would leave waiting; an exit handler ends the store while the watch still runs."""
    import atexit

    from mxnet.base import _LIB

    handle, timeout, who = _spare_dist_handle(_LIB), dist_timeout(), f"worker {store.rank}"
    if handle is None:
        return None
    grace = 2 * dist_heartbeat_interval(timeout) + 1  # the scheduler's first answer comes after a heartbeat

    def run():
        time.sleep(grace)
        _watch(_LIB, handle, who, [(_SCHEDULER, "the scheduler")], timeout)

    def end_store():  # what KVStore.__del__ would do, later, once this thread can no longer run
        own, store.handle = store.handle, None  # __del__ then frees nothing (deleting NULL)
        if own:
            _LIB.MXKVStoreFree(own)

    previous_hook = sys.excepthook

    def excepthook(kind, value, traceback):  # an uncaught error: die, rather than wait in the barrier
        previous_hook(kind, value, traceback)
        sys.stdout.flush()
        sys.stderr.flush()
        _stop_job(f"d2l_utils: {who} stops here (exit status 1) rather than wait in MXNet's final barrier "
                  f"for the workers that wait for it; the scheduler stops the others within about "
                  f"{timeout} s and they about {timeout} s later.")

    thread = threading.Thread(target=run, name="d2l-dist-watchdog", daemon=True)
    thread.start()
    atexit.register(end_store)
    sys.excepthook = excepthook
    return thread


def _watch_service(role: str) -> None:
    """In a scheduler or server, whose main thread runs MXNet's service loop inside ``import
    mxnet``: find that loop's store, then watch the workers and servers (scheduler) or the
    scheduler (server)."""
    timeout = dist_timeout()
    main = threading.main_thread().ident
    server = None
    while server is None:  # wait for KVStoreServer.run (mxnet/kvstore/kvstore_server.py)
        time.sleep(0.2)
        frame = sys._current_frames().get(main)
        while frame is not None and server is None:
            code = frame.f_code
            if code.co_name == "run" and code.co_filename.endswith("kvstore_server.py"):
                server = frame.f_locals.get("self")
            frame = frame.f_back
    lib, handle = sys.modules["mxnet.base"]._LIB, server.handle
    grace = 2 * dist_heartbeat_interval(timeout) + 1
    time.sleep(grace)  # ps-lite sets up its node table first thing in the loop; asked earlier, it crashes
    if role == "scheduler":
        nodes = [(_SERVER_ID0 + 2 * r, f"server {r}") for r in range(int(os.environ["DMLC_NUM_SERVER"]))]
        nodes += [(_WORKER_ID0 + 2 * r, f"worker {r}") for r in range(int(os.environ["DMLC_NUM_WORKER"]))]
        _watch(lib, handle, "the scheduler", nodes, timeout)
    rank = ctypes.c_int(1 << 30)
    while rank.value >= int(os.environ["DMLC_NUM_SERVER"]):  # until the scheduler gives it its rank
        time.sleep(0.5)
        lib.MXKVStoreGetRank(handle, ctypes.byref(rank))
    time.sleep(grace)  # the scheduler's first answer comes after a heartbeat
    _watch(lib, handle, f"server {rank.value}", [(_SCHEDULER, "the scheduler")], timeout)


def prepare_for_mxnet() -> list[str]:
    """Run every check and fix above; call it before the first ``import mxnet``."""
    check_numpy_version()
    check_distutils()
    pin_reproducible_numerics()
    apply_cpu_speed_settings()
    return restore_numpy_aliases()
