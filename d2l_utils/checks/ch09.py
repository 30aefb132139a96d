"""Graders for chapter 9's exercises (recurrent networks)."""

from __future__ import annotations

import numpy as np

from .common import (as_mx, CheckResult, diagnose, f32, grader, hidden_rng, not_a_pair, Rule,
                     run_student)

_LIBRARY_RNN = Rule(
    "forbid",
    ("mxnet/gluon/rnn/:*", "<string>:rnn", "<string>:RNN"),
    "uses Gluon's recurrent layers (rnn.GRU, rnn.LSTM, their cells or npx.rnn): "
    "the exercise asks you to write the step",
)


def _sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def _params(rng, keys, d: int, hidden: int) -> dict:
    """Weights W_x* (d, hidden), W_h* (hidden, hidden) and biases b_* (hidden,), as float32 values."""
    params = {}
    for key in keys:
        if key.startswith("W_x"):
            params[key] = f32(rng.normal(0.0, 0.8, size=(d, hidden)))
        elif key.startswith("W_h"):
            params[key] = f32(rng.normal(0.0, 0.8, size=(hidden, hidden)))
        else:
            params[key] = f32(rng.normal(0.0, 0.5, size=(hidden,)))
    return params


_GRU_KEYS = ("W_xr", "W_hr", "b_r", "W_xz", "W_hz", "b_z", "W_xn", "b_xn", "W_hn", "b_hn")


def gru_reference(x, h, p, mistake: str | None = None) -> np.ndarray:
    """The GRU step of chapter 9 (MXNet's convention), or one named ``mistake`` in it."""
    gate = np.tanh if mistake == "tanh gates" else _sigmoid
    r = gate(x @ p["W_xr"] + h @ p["W_hr"] + p["b_r"])
    z = gate(x @ p["W_xz"] + h @ p["W_hz"] + p["b_z"])
    if mistake == "reset before product":
        from_h = (r * h) @ p["W_hn"] + p["b_hn"]
    elif mistake == "no reset":
        from_h = h @ p["W_hn"] + p["b_hn"]
    else:
        from_h = r * (h @ p["W_hn"] + p["b_hn"])
    n = np.tanh(x @ p["W_xn"] + p["b_xn"] + from_h)
    if mistake == "no update":
        return n
    if mistake == "swapped update":
        return z * n + (1.0 - z) * h
    return (1.0 - z) * n + z * h


_GRU_HINTS = {
    "swapped update": "the update gate mixes the other way round: h_t = (1 - z) * n + z * h_{t-1}, "
    "so that z close to 1 keeps the old state",
    "reset before product": "you applied the reset gate to h before multiplying by W_hn; this "
    "chapter (like Gluon and cuDNN) applies it after: r * (h @ W_hn + b_hn)",
    "no reset": "the reset gate r is missing from the candidate state n",
    "no update": "it is the candidate state n; the update gate z must still mix n with the old state",
    "tanh gates": "the gates r and z use tanh; gates use the sigmoid, so that they lie between 0 and 1",
}


@grader("ex-rnn-gru-step", _LIBRARY_RNN)
def check_gru_step(gru_step) -> CheckResult:
    """Grade ``gru_step(x, h, p) -> h_new``: one GRU step in chapter 9's (MXNet's) convention, with
    the parameters in a dict keyed W_xr, W_hr, b_r, W_xz, W_hz, b_z, W_xn, b_xn, W_hn, b_hn."""
    ex = "ex-rnn-gru-step"
    rng = hidden_rng(ex)
    for n, d, hidden in ((4, 3, 5), (1, 6, 2)):
        x, h = f32(rng.normal(size=(n, d))), f32(rng.uniform(-1.0, 1.0, size=(n, hidden)))
        p = _params(rng, _GRU_KEYS, d, hidden)
        got, failed = run_student(
            ex, gru_step, as_mx(x), as_mx(h), {k: as_mx(v) for k, v in p.items()}
        )
        if failed is not None:
            return failed
        mistakes = [
            (
                np.zeros((n, hidden)),
                "it is all zeros: compute the gates, the candidate n and their mix",
            ),
            (h, "it is the old state h unchanged: the step must compute a new state"),
        ]
        mistakes += [(gru_reference(x, h, p, name), hint) for name, hint in _GRU_HINTS.items()]
        problem = diagnose(got, gru_reference(x, h, p), "the new state", mistakes)
        if problem:
            return CheckResult(
                ex, False, f"{problem} (test case: batch {n}, {d} inputs, {hidden} hidden units)"
            )
    return CheckResult(ex, True, "the new state matches the reference GRU on 2 hidden test cases")


_LSTM_KEYS = (
    "W_xi",
    "W_hi",
    "b_i",
    "W_xf",
    "W_hf",
    "b_f",
    "W_xg",
    "W_hg",
    "b_g",
    "W_xo",
    "W_ho",
    "b_o",
)


def lstm_reference(x, h, c, p, mistake: str | None = None):
    """The LSTM step of chapter 9 (MXNet's convention) as (h_new, c_new), or one named ``mistake``."""

    def pre(gate):
        return x @ p[f"W_x{gate}"] + h @ p[f"W_h{gate}"] + p[f"b_{gate}"]

    i, f, o = _sigmoid(pre("i")), _sigmoid(pre("f")), _sigmoid(pre("o"))
    g = _sigmoid(pre("g")) if mistake == "sigmoid candidate" else np.tanh(pre("g"))
    if mistake == "swapped input and forget":
        c_new = i * c + f * g
    elif mistake == "no forget":
        c_new = c + i * g
    else:
        c_new = f * c + i * g
    if mistake == "no tanh on cell":
        h_new = o * c_new
    elif mistake == "old cell":
        h_new = o * np.tanh(c)
    else:
        h_new = o * np.tanh(c_new)
    return h_new, c_new


_LSTM_HINTS = {
    "swapped input and forget": "the input and forget gates are swapped: c_t = f * c_{t-1} + i * g, "
    "the forget gate f scales the old cell",
    "no forget": "the forget gate is missing: c_t = f * c_{t-1} + i * g",
    "sigmoid candidate": "the candidate g uses the sigmoid; it uses tanh, so it can be negative",
    "no tanh on cell": "h_t = o * tanh(c_t): you left out the tanh of the cell",
    "old cell": "h_t is computed from the old cell c_{t-1}; use the new one, h_t = o * tanh(c_t)",
}


@grader("ex-rnn-lstm-step", _LIBRARY_RNN)
def check_lstm_step(lstm_step) -> CheckResult:
    """Grade ``lstm_step(x, h, c, p) -> (h_new, c_new)``: one LSTM step in chapter 9's (MXNet's)
    convention, with the parameters in a dict keyed W_x*, W_h*, b_* for the gates i, f, g, o."""
    ex = "ex-rnn-lstm-step"
    rng = hidden_rng(ex)
    for n, d, hidden in ((4, 3, 5), (1, 6, 2)):
        x, h = f32(rng.normal(size=(n, d))), f32(rng.uniform(-1.0, 1.0, size=(n, hidden)))
        c = f32(rng.normal(0.0, 1.5, size=(n, hidden)))
        p = _params(rng, _LSTM_KEYS, d, hidden)
        out, failed = run_student(
            ex, lstm_step, as_mx(x), as_mx(h), as_mx(c), {k: as_mx(v) for k, v in p.items()}
        )
        if failed is not None:
            return failed
        if (wrong_shape := not_a_pair(ex, out, "h_new, c_new")) is not None:
            return wrong_shape
        h_ref, c_ref = lstm_reference(x, h, c, p)
        wrong = {name: lstm_reference(x, h, c, p, name) for name in _LSTM_HINTS}
        case = f" (test case: batch {n}, {d} inputs, {hidden} hidden units)"
        zeros = np.zeros((n, hidden))
        problem = diagnose(
            out[1],
            c_ref,
            "the new cell c_t",
            [
                (zeros, "it is all zeros: c_t = f * c_{t-1} + i * g"),
                (c, "it is the old cell unchanged: c_t = f * c_{t-1} + i * g"),
                (h_ref, "it is the new hidden state: return (h_new, c_new) in that order"),
            ]
            + [
                (wrong[name][1], _LSTM_HINTS[name])
                for name in ("swapped input and forget", "no forget", "sigmoid candidate")
            ],
        )
        if problem:
            return CheckResult(ex, False, problem + case)
        problem = diagnose(
            out[0],
            h_ref,
            "the new state h_t",
            [
                (zeros, "it is all zeros: h_t = o * tanh(c_t)"),
                (h, "it is the old state h unchanged: h_t = o * tanh(c_t)"),
            ]
            + [(wrong[name][0], _LSTM_HINTS[name]) for name in ("no tanh on cell", "old cell")],
        )
        if problem:
            return CheckResult(ex, False, problem + case)
    return CheckResult(ex, True, "h_t and c_t match the reference LSTM on 2 hidden test cases")
