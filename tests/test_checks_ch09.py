"""The chapter 9 graders pass the reference solutions and fail common mistakes with the right message."""
import d2l_utils as d2l  # noqa: F401 - prepares numpy for mxnet before mxnet is imported
from d2l_utils import checks
from mxnet import np, npx

npx.set_np()


# ---- ex-rnn-gru-step: one GRU step in MXNet's convention ------------------------------------

def gru_step(x, h, p, mistake=None):
    gate = np.tanh if mistake == "tanh gates" else npx.sigmoid
    r = gate(x @ p["W_xr"] + h @ p["W_hr"] + p["b_r"])
    z = gate(x @ p["W_xz"] + h @ p["W_hz"] + p["b_z"])
    if mistake == "reset before":
        from_h = (r * h) @ p["W_hn"] + p["b_hn"]
    else:
        from_h = r * (h @ p["W_hn"] + p["b_hn"])
    n = np.tanh(x @ p["W_xn"] + p["b_xn"] + from_h)
    if mistake == "swapped":
        return z * n + (1 - z) * h
    return (1 - z) * n + z * h


def test_gru_reference_passes():
    result = checks.check_gru_step(gru_step)
    assert result.passed, result
    assert str(result).startswith("PASSED [ex-rnn-gru-step]")


def test_gru_not_implemented():
    def stub(x, h, p):
        raise NotImplementedError
    result = checks.check_gru_step(stub)
    assert not result.passed and "not implemented yet" in result.message
    assert str(result).startswith("NOT YET [ex-rnn-gru-step]")


def test_gru_zeros_fail():
    result = checks.check_gru_step(lambda x, h, p: np.zeros_like(h))
    assert not result.passed and "the new state is wrong: it is all zeros" in result.message


def test_gru_state_unchanged_fails():
    result = checks.check_gru_step(lambda x, h, p: h)
    assert not result.passed and "it is the old state h unchanged" in result.message


def test_gru_input_unchanged_fails_on_shape():
    result = checks.check_gru_step(lambda x, h, p: x)
    assert not result.passed
    assert "the new state has the wrong shape: expected (4, 5), got (4, 3)" in result.message


def test_gru_swapped_update_gate_is_named():
    result = checks.check_gru_step(lambda x, h, p: gru_step(x, h, p, "swapped"))
    assert not result.passed and "the update gate mixes the other way round" in result.message


def test_gru_reset_before_product_is_named():
    result = checks.check_gru_step(lambda x, h, p: gru_step(x, h, p, "reset before"))
    assert not result.passed and "reset gate to h before multiplying by W_hn" in result.message


def test_gru_tanh_gates_are_named():
    result = checks.check_gru_step(lambda x, h, p: gru_step(x, h, p, "tanh gates"))
    assert not result.passed and "gates use the sigmoid" in result.message


def test_gru_error_in_student_code_is_reported():
    result = checks.check_gru_step(lambda x, h, p: x @ p["W_hr"])  # shapes do not fit
    assert not result.passed and result.message.startswith("your function raised")


def test_gru_unknown_mistake_reports_the_largest_error():
    result = checks.check_gru_step(lambda x, h, p: gru_step(x, h, p) + 0.1)
    assert not result.passed and "the new state is wrong at index" in result.message
    assert "(test case: batch 4, 3 inputs, 5 hidden units)" in result.message


# ---- ex-rnn-lstm-step: one LSTM step in MXNet's convention ----------------------------------

def lstm_step(x, h, c, p, mistake=None):
    def pre(gate):
        return x @ p[f"W_x{gate}"] + h @ p[f"W_h{gate}"] + p[f"b_{gate}"]
    i, f, o, g = npx.sigmoid(pre("i")), npx.sigmoid(pre("f")), npx.sigmoid(pre("o")), np.tanh(pre("g"))
    c_new = i * c + f * g if mistake == "swapped" else f * c + i * g
    h_new = o * c_new if mistake == "no tanh" else o * np.tanh(c_new)
    if mistake == "order":
        return c_new, h_new
    return h_new, c_new


def test_lstm_reference_passes():
    result = checks.check_lstm_step(lstm_step)
    assert result.passed, result
    assert str(result).startswith("PASSED [ex-rnn-lstm-step]")


def test_lstm_not_implemented():
    def stub(x, h, c, p):
        raise NotImplementedError
    result = checks.check_lstm_step(stub)
    assert not result.passed and "not implemented yet" in result.message


def test_lstm_zeros_fail():
    result = checks.check_lstm_step(lambda x, h, c, p: (np.zeros_like(h), np.zeros_like(c)))
    assert not result.passed and "the new cell c_t is wrong: it is all zeros" in result.message


def test_lstm_inputs_unchanged_fail():
    result = checks.check_lstm_step(lambda x, h, c, p: (h, c))
    assert not result.passed and "it is the old cell unchanged" in result.message


def test_lstm_single_array_is_rejected():
    result = checks.check_lstm_step(lambda x, h, c, p: lstm_step(x, h, c, p)[0])
    assert not result.passed and "return a pair (h_new, c_new)" in result.message


def test_lstm_swapped_gates_are_named():
    result = checks.check_lstm_step(lambda x, h, c, p: lstm_step(x, h, c, p, "swapped"))
    assert not result.passed and "the input and forget gates are swapped" in result.message


def test_lstm_missing_tanh_is_named():
    result = checks.check_lstm_step(lambda x, h, c, p: lstm_step(x, h, c, p, "no tanh"))
    assert not result.passed and "you left out the tanh of the cell" in result.message


def test_lstm_swapped_outputs_are_named():
    result = checks.check_lstm_step(lambda x, h, c, p: lstm_step(x, h, c, p, "order"))
    assert not result.passed and "return (h_new, c_new) in that order" in result.message


# ---- shortcuts: Gluon's own cells, the grader's references ------------------------------------

def test_gru_step_through_gluons_cell_is_a_shortcut():
    from mxnet.gluon import rnn

    def with_cell(x, h, p):
        hidden = h.shape[1]
        cell = rnn.GRUCell(hidden, input_size=x.shape[1])
        cell.initialize()
        cell.i2h_weight.set_data(np.concatenate([p["W_xr"], p["W_xz"], p["W_xn"]], axis=1).T)
        cell.h2h_weight.set_data(np.concatenate([p["W_hr"], p["W_hz"], p["W_hn"]], axis=1).T)
        cell.i2h_bias.set_data(np.concatenate([p["b_r"], p["b_z"], p["b_xn"]]))
        cell.h2h_bias.set_data(np.concatenate([np.zeros(2 * hidden), p["b_hn"]]))
        return cell(x, [h])[1][0]
    result = checks.check_gru_step(with_cell)
    assert not result.passed and "uses Gluon's recurrent layers" in result.message, result


def test_lstm_step_through_the_graders_reference_is_a_shortcut():
    def with_reference(x, h, c, p):
        h_new, c_new = checks.ch09.lstm_reference(x.asnumpy(), h.asnumpy(), c.asnumpy(),
                                                  {k: v.asnumpy() for k, v in p.items()})
        return np.array(h_new), np.array(c_new)
    result = checks.check_lstm_step(with_reference)
    assert result.message.startswith("passes, but calls the grader's own reference"), result


def test_gru_step_through_the_graders_reference_is_a_shortcut():
    def with_reference(x, h, p):
        return np.array(checks.ch09.gru_reference(x.asnumpy(), h.asnumpy(),
                                                  {k: v.asnumpy() for k, v in p.items()}))
    result = checks.check_gru_step(with_reference)
    assert result.message.startswith("passes, but calls the grader's own reference"), result


def test_lstm_step_through_gluons_cell_is_a_shortcut():
    from mxnet.gluon import rnn

    def with_cell(x, h, c, p):
        cell = rnn.LSTMCell(h.shape[1], input_size=x.shape[1])
        cell.initialize()
        out, (h_new, c_new) = cell(x, [h, c])
        return h_new, c_new
    result = checks.check_lstm_step(with_cell)
    assert not result.passed and "uses Gluon's recurrent layers" in result.message, result
