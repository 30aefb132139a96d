"""Grade a class's notebooks: ``python tools/grade.py SUBMISSIONS [--out DIR]`` (``make grade``).

SUBMISSIONS holds one folder per student with their notebooks (or one notebook per student,
named after the student). Each notebook runs in its own kernel, in a scratch copy, with a time
limit and, where Linux allows it, no network and the book, the submissions and the home folder
read-only. The grader then calls each graded exercise's function in that kernel on inputs drawn
from a secret seed, and compares the values with the references here, in its own process: what
the notebook printed or patched counts for nothing. Writes ``gradebook.csv`` (student, exercise,
points, max_points, message) and ``feedback/<student>.md``.
"""
from __future__ import annotations

import argparse
import base64
import csv
import json
import os
import queue
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import homework  # noqa: E402

import d2l_utils  # noqa: E402,F401 - prepares numpy before MXNet loads
from d2l_utils.checks import GRADERS, common  # noqa: E402

TAMPERED = ("the grader's watch was switched off while your function ran (sys.setprofile was "
            "replaced or reset): no credit")
_NUMERIC = "biufc"


@dataclass
class Exercise:
    """A graded exercise of the book: where it is, the function it asks for, its grader."""

    label: str
    chapter: str
    function: str
    points: int = 1


def book_exercises() -> list[Exercise]:
    """Every graded exercise, read from the stubs of the book's chapters."""
    found = []
    for path in sorted(homework.CHAPTERS.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            call = re.search(r"checks\.(check_\w+)\((\w+)\)", cell.source)
            if "exercise-stub" in cell.metadata.get("tags", []) and call:
                label = next(lab for lab, g in GRADERS.items() if g.__name__ == call.group(1))
                found.append(Exercise(label, path.stem[:2], call.group(2)))
    return found


# ---- values between the grader and the kernel: JSON, never pickle ---------------------------
class Opaque:
    """A value the student's function returned that is no array, number or container."""

    def __init__(self, kind: str, text: str):
        self.kind, self.text = kind, text

    def __repr__(self) -> str:
        return self.text


def encode_input(x) -> dict:
    """An input for the student's function, as JSON (arrays keep their type and dtype)."""
    if hasattr(x, "hidden"):  # a function handed to the student (a GP kernel)
        lib = "mx" if "mxnet" in getattr(x.__globals__["lib"], "__name__", "") else "np"
        return {"t": "callable", "source": x.hidden[0], "params": x.hidden[1], "lib": lib}
    if hasattr(x, "asnumpy"):
        arr = x.asnumpy()
        return {"t": "mx", "dtype": arr.dtype.str, "shape": list(arr.shape),
                "data": base64.b64encode(np.ascontiguousarray(arr).tobytes()).decode()}
    if isinstance(x, np.ndarray | np.generic):
        arr = np.ascontiguousarray(x)
        return {"t": "np", "dtype": arr.dtype.str, "shape": list(arr.shape),
                "data": base64.b64encode(arr.tobytes()).decode()}
    if isinstance(x, list | tuple):
        return {"t": type(x).__name__, "items": [encode_input(v) for v in x]}
    if isinstance(x, dict):
        return {"t": "dict", "items": [[encode_input(k), encode_input(v)] for k, v in x.items()]}
    return {"t": "py", "v": x}


def decode_result(d, depth: int = 0):
    """A value the kernel sent back, checked strictly: only numeric arrays, plain numbers,
    strings and containers come through; anything else becomes an ``Opaque``."""
    import mxnet as mx

    t = d.get("t") if isinstance(d, dict) else None
    if depth > 8 or t is None:
        return Opaque("?", "an unreadable value")
    if t in ("mx", "np"):
        dtype = np.dtype(str(d["dtype"]))
        shape = [int(s) for s in d["shape"]]
        if dtype.kind not in _NUMERIC or dtype.hasobject:
            return Opaque("array", f"an array of {dtype}")
        arr = np.frombuffer(base64.b64decode(d["data"]), dtype=dtype)
        if arr.size != int(np.prod(shape)):
            return Opaque("array", "an array whose data does not fit its shape")
        arr = arr.reshape(shape).copy()
        return mx.np.array(arr, dtype=arr.dtype) if t == "mx" else arr
    if t == "py":
        v = d.get("v")
        return v if v is None or isinstance(v, bool | int | float | str) else Opaque("py", "?")
    if t in ("list", "tuple"):
        items = [decode_result(v, depth + 1) for v in d.get("items", [])]
        return items if t == "list" else tuple(items)
    if t == "dict":
        return {_key(decode_result(k, depth + 1)): decode_result(v, depth + 1)
                for k, v in d.get("items", [])}
    return Opaque(str(d.get("type", "?"))[:40], f"a {str(d.get('type', '?'))[:40]} object "
                  f"({str(d.get('repr', ''))[:80]})")


def _key(k):
    return k if isinstance(k, str | int | float | bool | type(None) | tuple) else repr(k)


def student_error(kind: str, message: str) -> Exception:
    """An exception like the one the student's function raised, for the grader to report."""
    if kind == "NotImplementedError":
        return NotImplementedError(message)
    name = kind if re.fullmatch(r"[A-Za-z_]\w{0,60}", kind) else "Error"
    return type(name, (Exception,), {})(message)


# ---- one kernel per notebook ------------------------------------------------------------------
def sandbox_prefix(protect: list[Path]) -> list[str]:
    """The command that starts the kernel with no network and these folders read-only, or []
    where this Linux does not allow unprivileged namespaces."""
    if shutil.which("unshare") is None:
        return []
    mounts = " && ".join(f'mount --bind "{p}" "{p}" && mount -o remount,bind,ro "{p}" "{p}"'
                         for p in protect if p.exists())
    script = (mounts + " && " if mounts else "") + 'exec "$@"'
    probe = ["unshare", "-rmn", "--", "sh", "-c", script, "sh", "true"]
    ok = subprocess.run(probe, capture_output=True, timeout=30).returncode == 0
    return ["unshare", "-rmn", "--", "sh", "-c", script, "sh"] if ok else []


class Kernel:
    """A kernel in ``scratch`` that runs code with a time limit and says how it went."""

    def __init__(self, scratch: Path, prefix: list[str]):
        from jupyter_client import KernelManager
        from jupyter_client.kernelspec import KernelSpecManager

        spec_dir = scratch / ".kernel" / "d2l-grade"
        spec_dir.mkdir(parents=True, exist_ok=True)
        argv = prefix + [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        (spec_dir / "kernel.json").write_text(json.dumps(
            {"argv": argv, "display_name": "grading", "language": "python"}))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JPY_", "JUPYTER_"))}
        env.update(HOME=str(scratch), MPLCONFIGDIR=str(scratch / ".mpl"),
                   IPYTHONDIR=str(scratch / ".ipython"), MPLBACKEND="Agg", D2L_STATIC_PLOTS="1",
                   http_proxy="http://0.0.0.0:9", https_proxy="http://0.0.0.0:9",
                   D2L_DATA_DIR=os.environ.get("D2L_DATA_DIR", str(ROOT / "data")))
        self.km = KernelManager(kernel_spec_manager=KernelSpecManager(
            kernel_dirs=[str(scratch / ".kernel")]), kernel_name="d2l-grade",
            transport="ipc", ip=str(scratch / "k"))
        self.km.start_kernel(cwd=str(scratch), env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float) -> str:
        """'ok', 'error: <name>: <value>', 'timeout' (interrupted), or 'dead'."""
        msg_id = self.kc.execute(code, store_history=False, allow_stdin=False)
        deadline = time.monotonic() + timeout
        while True:
            self._drain()
            left = deadline - time.monotonic()
            if left <= 0:
                return self._interrupt(msg_id)
            try:
                reply = self.kc.get_shell_msg(timeout=min(left, 0.5))
            except queue.Empty:
                if not self.km.is_alive():
                    return "dead"
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                content = reply["content"]
                if content["status"] == "ok":
                    return "ok"
                return f"error: {content.get('ename')}: {str(content.get('evalue'))[:300]}"

    def _drain(self) -> None:
        """Drop what the cell printed (nothing it prints counts)."""
        while True:
            try:
                self.kc.iopub_channel.get_msg(timeout=0)
            except queue.Empty:
                return

    def _interrupt(self, msg_id: str) -> str:
        self.km.interrupt_kernel()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                reply = self.kc.get_shell_msg(timeout=0.5)
            except queue.Empty:
                continue
            if reply["parent_header"].get("msg_id") == msg_id:
                return "timeout"
        self.close()
        return "dead"

    def close(self) -> None:
        try:
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=True)
        except Exception:  # noqa: BLE001 - a kernel that is already gone is fine
            pass


SETUP = """\
import sys as __d2l_sys, types as __d2l_types
__d2l_common = __d2l_types.ModuleType("d2l_grader_common")
__d2l_sys.modules["d2l_grader_common"] = __d2l_common  # dataclasses look their module up
exec(compile({common!r}, "<d2l-grader>", "exec"), __d2l_common.__dict__)
__d2l_grader = {{"__name__": "d2l_grader"}}
exec(compile({kernel!r}, "<d2l-grader>", "exec"), __d2l_grader)
__d2l_grader["COMMON"].update(__d2l_common.__dict__)
__d2l_grader["NAMESPACE"] = globals()
"""


@dataclass
class Session:
    """A submission notebook in its kernel: its cells run once (replayed without the cells that
    killed the kernel), then its functions answer the grader's calls."""

    cells: list[str]
    scratch: Path
    prefix: list[str]
    budget: float
    call_timeout: float
    cell_timeout: float = 300
    notes: list[str] = field(default_factory=list)
    kernel: Kernel | None = None
    skip: set = field(default_factory=set)
    calls: int = 0
    tampered: bool = False

    def start(self) -> None:
        """Run the notebook's cells within the budget, restarting past cells that kill it."""
        deadline = time.monotonic() + self.budget
        for _ in range(4):
            self.kernel = Kernel(self.scratch, self.prefix)
            dead = self._run_cells(deadline)
            if dead is None:
                break
            self.skip.add(dead)
            self.kernel.close()
        else:
            self.kernel = Kernel(self.scratch, self.prefix)
            self._note("the notebook kept stopping its kernel: graded with none of its cells run")
        setup = SETUP.format(common=Path(common.__file__).read_text(),
                             kernel=(ROOT / "tools" / "grade_kernel.py").read_text())
        status = self.kernel.run(setup, 60)
        if status != "ok":
            self.notes.append(f"the grader could not set itself up in this notebook's kernel "
                              f"({status})")

    def _run_cells(self, deadline: float) -> int | None:
        for i, code in enumerate(self.cells):
            if i in self.skip:
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                self._note(f"cell {i + 1} and later were not run: the notebook's time limit "
                           f"({self.budget:.0f} s) was reached")
                return None
            status = self.kernel.run(code, min(left, self.cell_timeout))
            if status == "dead":
                self._note(f"cell {i + 1} stopped the kernel (or would not stop when "
                           "interrupted): skipped, and the notebook run again without it")
                return i
            if status == "timeout":
                self._note(f"cell {i + 1} was interrupted at the time limit")
            if status.startswith("error"):
                self._note(f"cell {i + 1} raised {status[7:]}")
        return None

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def function(self, name: str):
        """A stand-in for the student's ``name`` that runs it in the kernel."""
        def call(*args, **kwargs):
            state = common._ACTIVE[-1] if common._ACTIVE else {"patterns": (), "shapes": ()}
            self.calls += 1
            self.scratch.mkdir(parents=True, exist_ok=True)  # the notebook may have deleted it
            request = self.scratch / f".request-{self.calls}.json"
            result = self.scratch / f".result-{secrets.token_hex(8)}.json"
            request.write_text(json.dumps({
                "args": [encode_input(a) for a in args],
                "kwargs": {k: encode_input(v) for k, v in kwargs.items()},
                "patterns": list(state["patterns"]),
                "shapes": [list(map(int, s)) for s in state.get("shapes", ())]}))
            if self.kernel is None or not self.kernel.km.is_alive():
                self.start()  # a call that would not stop took the kernel with it
            status = self.kernel.run(f"__d2l_grader['call']({name!r}, {str(request)!r}, "
                                     f"{str(result)!r})", self.call_timeout)
            if status in ("timeout", "dead"):
                if status == "dead":
                    self.kernel = None
                raise student_error("TimeoutError", f"it did not finish within "
                                    f"{self.call_timeout:.0f} s and was stopped")
            if not result.exists() or result.stat().st_size > 256 * 2**20:
                raise student_error("RuntimeError", f"no result came back ({status})")
            out = json.loads(result.read_text())
            hits = [str(h) for h in out.get("hits", [])]
            common.report(hits)
            if out.get("ran") and "<d2l-grader>:canary" not in hits:
                self.tampered = True
            if out.get("error"):
                kind, message = (list(out["error"]) + ["", ""])[:2]
                raise student_error(str(kind), str(message))
            return decode_result(out.get("value"))
        return call

    def close(self) -> None:
        if self.kernel is not None:
            self.kernel.close()


def grade_with(session: Session, ex: Exercise, defined: bool) -> tuple[int, str]:
    """Points and message for one exercise, graded through the session's kernel."""
    if not defined:
        return 0, f"not submitted: the notebook defines no function `{ex.function}`"
    session.tampered = False
    res = GRADERS[ex.label](session.function(ex.function))
    if session.tampered:
        return 0, TAMPERED
    return (ex.points if res.passed else 0), res.message


def defined_functions(cells: list[str]) -> set[str]:
    """Names the notebook defines with ``def`` at the top level of a cell."""
    return {m.group(1) for code in cells for m in re.finditer(r"^def (\w+)\(", code, re.M)}


def read_submissions(folder: Path) -> dict[str, dict[str, list[str]]]:
    """Every notebook's code cells, by student and file name, read once before any runs."""
    found: dict[str, dict[str, list[str]]] = {}
    for path in sorted(folder.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        rel = path.relative_to(folder)
        student = rel.parts[0] if len(rel.parts) > 1 else path.stem
        try:
            nb = nbformat.read(path, as_version=4)
            cells = [c.source for c in nb.cells if c.cell_type == "code"]
        except Exception as err:  # noqa: BLE001 - an unreadable notebook is graded as empty
            cells = [f"raise RuntimeError({f'unreadable notebook: {err}'!r})"]
        found.setdefault(student, {})[path.name] = cells
    return found


def expected(name: str, cells: list[str], exercises: list[Exercise]) -> list[Exercise]:
    """The exercises a notebook answers: its chapter's (by the NN_ of its name), else those
    whose function it defines."""
    chapter = re.match(r"(\d\d)_", name)
    if chapter:
        return [e for e in exercises if e.chapter == chapter.group(1)]
    names = defined_functions(cells)
    return [e for e in exercises if e.function in names]


def grade_class(folder: Path, out: Path, budget: float = 600, call_timeout: float = 60,
                points: dict[str, int] | None = None, cell_timeout: float = 300) -> list[dict]:
    """Grade every submission in ``folder``; write the gradebook and feedback into ``out``."""
    exercises = book_exercises()
    for e in exercises:
        e.points = (points or {}).get(e.label, e.points)
    submissions = read_submissions(folder)
    prefix = sandbox_prefix([ROOT, folder.resolve(), out.resolve(), Path.home()])
    common.SECRET, common.LOCAL_WATCH = secrets.randbits(31), False
    rows, feedback = [], {}
    for student, notebooks in submissions.items():
        lines = [f"# Feedback for {student}", ""]
        for name, cells in notebooks.items():
            todo = expected(name, cells, exercises)
            lines.append(f"## {name}")
            if not todo:
                lines += ["", "No graded exercise found in this notebook.", ""]
                continue
            scratch = Path(tempfile.mkdtemp(prefix="d2lg-"))
            session = Session(cells, scratch, prefix, budget, call_timeout, cell_timeout)
            try:
                session.start()
                names = defined_functions(cells)
                for ex in todo:
                    got, message = grade_with(session, ex, ex.function in names)
                    rows.append({"student": student, "exercise": ex.label, "points": got,
                                 "max_points": ex.points, "message": message})
                    lines.append(f"- **{ex.label}** ({got}/{ex.points}): {message}")
            finally:
                session.close()
                shutil.rmtree(scratch, ignore_errors=True)
            lines += [""] + [f"- note: {n}" for n in session.notes] + [""]
        feedback[student] = "\n".join(lines)
    write(out, rows, feedback, sandboxed=bool(prefix))
    return rows


def write(out: Path, rows: list[dict], feedback: dict[str, str], sandboxed: bool) -> None:
    """The gradebook CSV and one feedback file per student, written after all notebooks ran."""
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    with open(out / "gradebook.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, ["student", "exercise", "points", "max_points", "message"])
        writer.writeheader()
        writer.writerows(rows)
    for student, text in feedback.items():
        safe = re.sub(r"[^\w.-]", "_", student)
        (out / "feedback" / f"{safe}.md").write_text(text)
    if not sandboxed:
        print("warning: no sandbox (unprivileged namespaces unavailable): the notebooks ran "
              "with network access and could write outside their scratch folder")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "grades")
    parser.add_argument("--timeout", type=float, default=600,
                        help="seconds a notebook's cells may run in all (default 600)")
    parser.add_argument("--call-timeout", type=float, default=60,
                        help="seconds one call of a student's function may take (default 60)")
    parser.add_argument("--cell-timeout", type=float, default=300,
                        help="seconds one cell may run (default 300)")
    parser.add_argument("--points", default="", help="e.g. ex-cnn-conv2d=3,ex-repr-knn=2")
    args = parser.parse_args(argv)
    points = {k: int(v) for k, v in (p.split("=") for p in args.points.split(",") if p)}
    rows = grade_class(args.submissions, args.out, args.timeout, args.call_timeout, points,
                       args.cell_timeout)
    total = sum(r["points"] for r in rows)
    print(f"graded {len({r['student'] for r in rows})} students, {len(rows)} exercises, "
          f"{total} points; wrote {args.out / 'gradebook.csv'} and {args.out / 'feedback'}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
