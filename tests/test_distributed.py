"""dist_sync across processes on this machine: a scheduler, one server and two workers on loopback."""
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from d2l_utils import compat

WORKER = Path(__file__).with_name("dist_worker.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


ROLES = ["scheduler", "server", "worker 0", "worker 1"]


def job_env(out: Path, **extra) -> dict[str, str]:
    """The variables of a scheduler, a server and two workers on loopback (README: Beyond one machine)."""
    return dict(os.environ, OUT=str(out), DMLC_PS_ROOT_URI="127.0.0.1", DMLC_PS_ROOT_PORT=str(free_port()),
                DMLC_NUM_SERVER="1", DMLC_NUM_WORKER="2", DMLC_NODE_HOST="127.0.0.1", DMLC_INTERFACE="lo",
                OMP_NUM_THREADS="1", **extra)


def run_job(out: Path, **extra) -> dict[str, str]:
    """A scheduler, a server and two workers over loopback; each worker saves its results to ``out``.

    Returns each process's log by role. Bounded in time: a hung job fails the test."""
    out.mkdir(parents=True, exist_ok=True)
    env, roles = job_env(out, **extra), ROLES
    procs = []
    try:
        for role in roles:
            procs.append(subprocess.Popen([sys.executable, str(WORKER)], env=dict(env, DMLC_ROLE=role.split()[0]),
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        # Workers first: if one fails, the scheduler would wait for it forever.
        logs = {i: procs[i].communicate(timeout=180)[0] for i in (2, 3)}
        for i in (2, 3):
            assert procs[i].returncode == 0, f"{roles[i]} failed:\n{logs[i][-2000:]}"
        logs.update({i: procs[i].communicate(timeout=30)[0] for i in (0, 1)})
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for i, p in enumerate(procs):
        assert p.returncode == 0, f"{roles[i]} failed:\n{logs[i][-2000:]}"
    return {roles[i]: logs[i] for i in range(4)}


def test_two_workers_agree_and_match_a_single_process(tmp_path):
    """Each worker asks the store for its rank (mx.kv.create('dist_sync').rank), then trains with
    d2l.train(kvstore='dist_sync'): one store per process, no second one to hang on."""
    run_job(tmp_path)
    single = subprocess.run([sys.executable, str(WORKER), "--single"], env=dict(os.environ, OUT=str(tmp_path)),
                            capture_output=True, text=True, timeout=120)
    assert single.returncode == 0, single.stderr[-2000:]

    w0, w1, ref = (np.load(tmp_path / f"worker{r}.npz") for r in (0, 1, "single"))
    for name in w0.files:
        np.testing.assert_array_equal(w0[name], w1[name], err_msg=f"workers disagree on {name}")
    assert float(w0["test_acc"]) >= 0.95
    assert abs(float(w0["test_acc"]) - float(ref["test_acc"])) <= 0.02


def test_ready_made_distributed_trainer_gets_the_learning_rate_asked_for(tmp_path):
    """A gluon.Trainer made by hand on a dist_sync store once trained at twice its learning rate
    (the workers' gradients are summed): it must end where the (optimizer, params) form ends.
    Also: the scheduler's and server's logs reach their output (PS_VERBOSE=1)."""
    run_job(tmp_path / "tuple")
    logs = run_job(tmp_path / "trainer", D2L_READY_MADE_TRAINER="1", PS_VERBOSE="1")
    tuple_form, by_hand = (np.load(tmp_path / kind / "worker0.npz") for kind in ("tuple", "trainer"))
    for name in tuple_form.files:
        np.testing.assert_allclose(by_hand[name], tuple_form[name], rtol=1e-5, atol=1e-6, err_msg=name)
    assert logs["scheduler"].strip() and logs["server"].strip(), logs


def test_a_killed_worker_stops_the_whole_job_with_a_message(tmp_path):
    """Kill worker 1 mid-training: the scheduler notices its missing heartbeats and stops, then the
    server and worker 0 notice the silent scheduler and stop, each with a message and exit status 1,
    within about 2 x D2L_DIST_TIMEOUT (5 s here) instead of waiting forever."""
    env = job_env(tmp_path, D2L_DIST_TIMEOUT="5", D2L_TEST_EPOCHS="100000")  # trains until killed
    logs = {role: tmp_path / f"{role.replace(' ', '')}.log" for role in ROLES}
    procs = {}
    try:
        for role in ROLES:
            with open(logs[role], "w") as log:
                procs[role] = subprocess.Popen([sys.executable, str(WORKER)],
                                               env=dict(env, DMLC_ROLE=role.split()[0]), stdout=log,
                                               stderr=subprocess.STDOUT)
        ranks, start = {}, time.monotonic()
        while len(ranks) < 2 or not all("epoch 1:" in logs[role].read_text() for role in ranks.values()):
            assert time.monotonic() - start < 180, {role: logs[role].read_text()[-1000:] for role in ROLES}
            assert all(p.poll() is None for p in procs.values()), {r: logs[r].read_text()[-2000:] for r in ROLES}
            for role in ("worker 0", "worker 1"):
                for rank in "01":
                    if f"worker rank {rank}" in logs[role].read_text():
                        ranks[rank] = role
            time.sleep(0.2)
        victim = ranks["1"]
        procs[victim].kill()
        killed = time.monotonic()
        ended = {}
        while len(ended) < 3 and time.monotonic() - killed < 60:
            for role, p in procs.items():
                if role != victim and role not in ended and p.poll() is not None:
                    ended[role] = time.monotonic() - killed
            time.sleep(0.2)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
    text = {role: logs[role].read_text() for role in ROLES}
    survivor = ranks["0"]
    assert set(ended) == {"scheduler", "server", survivor}, (ended, {r: text[r][-1500:] for r in ROLES})
    print("seconds from the kill to the end of each process:", {r: round(t, 1) for r, t in ended.items()})
    for role in ended:
        assert procs[role].returncode == 1, (role, procs[role].returncode, text[role][-1500:])
    assert "worker 1 of this distributed job has sent no heartbeat for 5 s" in text["scheduler"], text["scheduler"]
    assert "server 0 has not heard from the scheduler" in text["server"], text["server"]
    assert "worker 0 has not heard from the scheduler" in text[survivor], text[survivor][-1500:]
    assert ended["scheduler"] < 20 and max(ended.values()) < 30, ended  # about 5 s and 10 s


def test_dist_timeout_and_heartbeat_settings():
    assert compat.dist_timeout({}) == compat.DIST_TIMEOUT_DEFAULT == 60
    assert compat.dist_timeout({"D2L_DIST_TIMEOUT": "0"}) == 0  # off
    assert compat.dist_heartbeat_interval(60, {}) == 5
    assert compat.dist_heartbeat_interval(5, {}) == 1
    assert compat.dist_heartbeat_interval(60, {"PS_HEARTBEAT_INTERVAL": "2"}) == 2
    for bad in ("abc", "-1", "2", "1.5"):
        with pytest.raises(ValueError, match="D2L_DIST_TIMEOUT"):
            compat.dist_timeout({"D2L_DIST_TIMEOUT": bad})
    with pytest.raises(ValueError, match="under half the timeout"):  # heartbeats too rare for the timeout
        compat.dist_heartbeat_interval(10, {"PS_HEARTBEAT_INTERVAL": "5"})
