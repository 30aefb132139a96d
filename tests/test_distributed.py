"""dist_sync across processes on this machine: a scheduler, one server and two workers on loopback."""
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

WORKER = Path(__file__).with_name("dist_worker.py")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_job(out: Path, **extra) -> dict[str, str]:
    """A scheduler, a server and two workers over loopback; each worker saves its results to ``out``.

    Returns each process's log by role. Bounded in time: a hung job fails the test."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, OUT=str(out), DMLC_PS_ROOT_URI="127.0.0.1", DMLC_PS_ROOT_PORT=str(free_port()),
               DMLC_NUM_SERVER="1", DMLC_NUM_WORKER="2", DMLC_NODE_HOST="127.0.0.1", DMLC_INTERFACE="lo",
               OMP_NUM_THREADS="1", **extra)
    roles = ["scheduler", "server", "worker 0", "worker 1"]
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
