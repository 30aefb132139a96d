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


def test_two_workers_agree_and_match_a_single_process(tmp_path):
    env = dict(os.environ, OUT=str(tmp_path), DMLC_PS_ROOT_URI="127.0.0.1", DMLC_PS_ROOT_PORT=str(free_port()),
               DMLC_NUM_SERVER="1", DMLC_NUM_WORKER="2", DMLC_NODE_HOST="127.0.0.1", DMLC_INTERFACE="lo",
               OMP_NUM_THREADS="1")
    roles = [("scheduler", None), ("server", None), ("worker", 0), ("worker", 1)]
    procs = []
    try:
        for role, rank in roles:
            role_env = dict(env, DMLC_ROLE=role, **({"D2L_WORKER_RANK": str(rank)} if rank is not None else {}))
            procs.append(subprocess.Popen([sys.executable, str(WORKER)], env=role_env,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        # Workers first: if one fails, the scheduler would wait for it forever. Bounded in time.
        logs = {i: procs[i].communicate(timeout=180)[0] for i in (2, 3)}
        for i in (2, 3):
            assert procs[i].returncode == 0, f"worker {roles[i][1]} failed:\n{logs[i][-2000:]}"
        logs.update({i: procs[i].communicate(timeout=30)[0] for i in (0, 1)})
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    for i, ((role, rank), p) in enumerate(zip(roles, procs)):
        assert p.returncode == 0, f"{role} {rank} failed:\n{logs[i][-2000:]}"
    single = subprocess.run([sys.executable, str(WORKER), "--single"], env=dict(os.environ, OUT=str(tmp_path)),
                            capture_output=True, text=True, timeout=120)
    assert single.returncode == 0, single.stderr[-2000:]

    w0, w1, ref = (np.load(tmp_path / f"worker{r}.npz") for r in (0, 1, "single"))
    for name in w0.files:
        np.testing.assert_array_equal(w0[name], w1[name], err_msg=f"workers disagree on {name}")
    assert float(w0["test_acc"]) >= 0.95
    assert abs(float(w0["test_acc"]) - float(ref["test_acc"])) <= 0.02
