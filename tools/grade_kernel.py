"""The half of the class grader that runs inside a student's kernel (sent there as source).

It calls one student function on the inputs the grader wrote to a request file, under the watch
of ``d2l_utils/checks/common.py`` (sent along), and writes the value, the error and what the
watch saw to a result file. It never sees a reference: the grader compares in its own process.
"""
import base64
import json
import sys

import numpy

_NUMERIC = "biufc"  # the array kinds that travel (bool, int, unsigned, float, complex)


def _array(x, tag: str) -> dict:
    arr = numpy.ascontiguousarray(x)
    if arr.dtype.kind not in _NUMERIC:
        return {"t": "other", "type": f"array of {arr.dtype}", "repr": repr(arr)[:200]}
    return {"t": tag, "dtype": arr.dtype.str, "shape": list(arr.shape),
            "data": base64.b64encode(arr.tobytes()).decode()}


def encode(x, depth: int = 0) -> dict:
    """A value as JSON: arrays (MXNet or numpy), numbers, strings and their lists, tuples, dicts."""
    if depth > 8:
        return {"t": "other", "type": type(x).__name__, "repr": "(nested too deep)"}
    if hasattr(x, "asnumpy") and hasattr(x, "shape"):
        return _array(x.asnumpy(), "mx")
    if isinstance(x, numpy.ndarray | numpy.generic):
        return _array(x, "np")
    if x is None or isinstance(x, bool | int | float | str):
        return {"t": "py", "v": x}
    if isinstance(x, list | tuple):
        return {"t": type(x).__name__, "items": [encode(v, depth + 1) for v in x]}
    if isinstance(x, dict):
        return {"t": "dict", "items": [[encode(k, depth + 1), encode(v, depth + 1)]
                                       for k, v in x.items()]}
    return {"t": "other", "type": type(x).__name__, "repr": repr(x)[:200]}


def decode(d):
    """The inputs the grader sent (the grader decodes results with its own, stricter copy)."""
    t = d["t"]
    if t in ("mx", "np"):
        arr = numpy.frombuffer(base64.b64decode(d["data"]), dtype=numpy.dtype(d["dtype"]))
        arr = arr.reshape(d["shape"]).copy()
        if t == "mx":
            import mxnet
            return mxnet.np.array(arr, dtype=arr.dtype)
        return arr
    if t == "py":
        return d["v"]
    if t in ("list", "tuple"):
        items = [decode(v) for v in d["items"]]
        return items if t == "list" else tuple(items)
    if t == "dict":
        return {decode(k): decode(v) for k, v in d["items"]}
    if t == "callable":
        lib = numpy
        if d["lib"] == "mx":
            import mxnet
            lib = mxnet.np
        return COMMON["hidden_callable"](d["source"], lib, **d["params"])
    raise ValueError(f"unknown input type {t}")


def call(name: str, request: str, result: str) -> None:
    """Run the student's ``name`` on the request's inputs under the watch; write the result."""
    with open(request) as f:
        req = json.load(f)
    out = {"value": None, "error": None, "hits": [], "ran": False}
    fn = NAMESPACE.get(name)
    if not callable(fn):
        out["error"] = ["NameError", f"your notebook defines no function `{name}`"]
    else:
        args = [decode(a) for a in req["args"]]
        kwargs = {k: decode(v) for k, v in req["kwargs"].items()}
        watch = COMMON["Watch"](req["patterns"] + ["<d2l-grader>:canary"], req["shapes"])
        out["ran"] = True
        try:
            with watch:
                try:
                    out["value"] = encode(fn(*args, **kwargs))
                finally:
                    COMMON["canary"]()
        except Exception as err:  # noqa: BLE001 - the student's error is the result
            out["error"] = [type(err).__name__, str(err)[:1000]]
        out["hits"] = sorted(watch.hits)
    with open(result, "w") as f:
        json.dump(out, f)


COMMON: dict = {}  # the watch's module, compiled fresh by the grader's setup code
NAMESPACE: dict = sys.modules["__main__"].__dict__  # the notebook's names
