"""Graders for the book's programming exercises.

Each ``check_*`` function takes the student's implementation, runs it on inputs the student has
not seen, compares it with a reference and returns a ``CheckResult``: a pass, or one specific
failure (wrong shape, expected vs got; which gradient is wrong; accuracy reached vs the bar).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np


@dataclass
class CheckResult:
    """Outcome of one check; true when it passed. Shows as one readable line in a notebook."""

    exercise: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return f"{'PASSED' if self.passed else 'NOT YET'} [{self.exercise}] {self.message}"

    __repr__ = __str__


def hidden_rng(exercise: str) -> np.random.RandomState:
    """A generator seeded from the exercise's name: fixed test inputs that the student never sees,
    drawn without touching the global numpy seed the chapter set."""
    return np.random.RandomState(zlib.crc32(exercise.encode()) % (2**31))


def to_numpy(x) -> np.ndarray:
    """MXNet arrays, lists and scalars as a float64 numpy array."""
    if hasattr(x, "asnumpy"):
        x = x.asnumpy()
    return np.asarray(x, dtype=np.float64)


def compare(got, expected, what: str, rtol: float = 1e-4, atol: float = 1e-6) -> str | None:
    """None if ``got`` matches ``expected`` in shape and value, else a sentence saying how it differs."""
    try:
        got_np = to_numpy(got)
    except (TypeError, ValueError) as err:
        return f"{what}: could not read the result as an array ({err}); got {type(got).__name__}"
    exp_np = to_numpy(expected)
    if got_np.shape != exp_np.shape:
        return f"{what} has the wrong shape: expected {exp_np.shape}, got {got_np.shape}"
    if not np.all(np.isfinite(got_np)):
        return f"{what} contains NaN or infinity"
    if not np.allclose(got_np, exp_np, rtol=rtol, atol=atol):
        err = np.abs(got_np - exp_np)
        idx = np.unravel_index(err.argmax(), err.shape)
        where = f" at index {tuple(int(i) for i in idx)}" if err.ndim else ""
        return (f"{what} is wrong{where}: expected {exp_np[idx]:.6g}, got {got_np[idx]:.6g} "
                f"(largest error {err.max():.3g})")
    return None


def run_student(exercise: str, fn, *args, **kwargs):
    """Call the student's function; return (result, None) or (None, CheckResult explaining the error).

    Test the second value with ``is not None``: a failing CheckResult is falsy.
    """
    try:
        return fn(*args, **kwargs), None
    except NotImplementedError:
        return None, CheckResult(exercise, False, "not implemented yet: replace the `raise NotImplementedError` with your code")
    except Exception as err:  # noqa: BLE001 - any error in student code is reported, not raised
        return None, CheckResult(exercise, False, f"your function raised {type(err).__name__}: {err}")


def result(exercise: str, problems: list[str | None], success: str) -> CheckResult:
    """A failing CheckResult for the first problem found, else a passing one with ``success``."""
    for p in problems:
        if p:
            return CheckResult(exercise, False, p)
    return CheckResult(exercise, True, success)


# ---- chapter 2: one unit --------------------------------------------------------------------
def _ch2_mx(x, dtype="float32"):
    """A numpy array as an ``mx.np`` array, the type the chapters' functions expect."""
    import mxnet as mx

    return mx.np.array(x, dtype=dtype)


def _ch2_f32(x) -> np.ndarray:
    """``x`` rounded to float32 and back: the reference sees exactly what the student's code sees."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def _ch2_problem(got, expected, what: str, mistakes=(), rtol: float = 1e-3, atol: float = 1e-5):
    """None if ``got`` matches ``expected``; else the hint of a known mistake ``got`` matches, or
    ``compare``'s sentence. ``mistakes`` lists (what that mistake would return, hint) pairs."""
    problem = compare(got, expected, what, rtol=rtol, atol=atol)
    if problem is None or "shape" in problem or "could not read" in problem:
        return problem
    for wrong, hint in mistakes:
        if compare(got, wrong, what, rtol=rtol, atol=atol) is None:
            return f"{what} is wrong: {hint}"
    return problem


def _ch2_case(rng, n: int, d: int, labels=(0.0, 1.0)):
    X = _ch2_f32(rng.normal(size=(n, d)))
    y = _ch2_f32(rng.choice(labels, size=(n, 1)))
    w = _ch2_f32(rng.normal(0.0, 0.8, size=(d, 1)))
    b = _ch2_f32(rng.normal(0.0, 0.5, size=(1,)))
    return X, y, w, b


_CH2_SIGN_HINT = ("it has the wrong sign. The derivative of 1/2 (f - y)^2 with respect to f is (f - y), "
              "not (y - f); (y - f) times the rest is the direction to step in, minus the gradient")
_CH2_MEAN_HINT = ("it is the gradient of the mean loss; the exercise asks for the summed loss "
              "1/2 sum_i (f_i - y_i)^2, so do not divide by the number of examples")


def check_unit_gradients(unit_gradients) -> CheckResult:
    """Grade ``unit_gradients(X, y, w, b) -> (grad_w, grad_b)`` for one sigmoid unit with a separate
    bias, f = sigmoid(X w + b), loss 1/2 sum_i (f_i - y_i)^2 (chapter 2)."""
    ex = "ex-oneunit-bias"
    rng = hidden_rng(ex)
    for n, d in ((8, 3), (5, 2)):
        X, y, w, b = _ch2_case(rng, n, d)
        out, failed = run_student(ex, unit_gradients, _ch2_mx(X), _ch2_mx(y), _ch2_mx(w), _ch2_mx(b))
        if failed is not None:
            return failed
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            return CheckResult(ex, False, "return a pair (grad_w, grad_b); got "
                               f"{type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
        grad_w, grad_b = out
        f = 1.0 / (1.0 + np.exp(-(X @ w + b)))
        delta = (f - y) * f * (1.0 - f)
        problem = _ch2_problem(grad_w, X.T @ delta, "grad_w", [
            (-(X.T @ delta), _CH2_SIGN_HINT),
            (X.T @ (f - y), "it is missing the sigmoid's derivative f (1 - f) (chain rule through the activation)"),
            (X.T @ delta / n, _CH2_MEAN_HINT)])
        if problem:
            return CheckResult(ex, False, f"{problem} (test case with {n} examples, {d} inputs)")
        try:
            grad_b = to_numpy(grad_b)
        except (TypeError, ValueError) as err:
            return CheckResult(ex, False, f"grad_b: could not read the result as an array ({err})")
        if grad_b.size != 1:
            return CheckResult(ex, False, f"grad_b must be a single number (the bias is shared by all "
                               f"examples, so sum over them); got shape {grad_b.shape}")
        problem = _ch2_problem(grad_b.reshape(1), delta.sum(axis=0), "grad_b", [
            (-delta.sum(axis=0), _CH2_SIGN_HINT),
            ((f - y).sum(axis=0), "it is missing the sigmoid's derivative f (1 - f)"),
            (delta.sum(axis=0) / n, _CH2_MEAN_HINT)])
        if problem:
            return CheckResult(ex, False, f"{problem} (test case with {n} examples, {d} inputs)")
    return CheckResult(ex, True, "grad_w and grad_b match the reference on 2 hidden test cases")


def check_tanh_unit_gradient(tanh_unit_gradient) -> CheckResult:
    """Grade ``tanh_unit_gradient(X, y, w) -> grad_w`` for one tanh unit f = tanh(X w) with targets
    -1 or +1 and loss 1/2 sum_i (f_i - y_i)^2 (chapter 2)."""
    ex = "ex-oneunit-tanh"
    rng = hidden_rng(ex)
    for n, d in ((8, 3), (6, 4)):
        X, y, w, _ = _ch2_case(rng, n, d, labels=(-1.0, 1.0))
        got, failed = run_student(ex, tanh_unit_gradient, _ch2_mx(X), _ch2_mx(y), _ch2_mx(w))
        if failed is not None:
            return failed
        f = np.tanh(X @ w)
        delta = (f - y) * (1.0 - f ** 2)
        problem = _ch2_problem(got, X.T @ delta, "the gradient", [
            (-(X.T @ delta), _CH2_SIGN_HINT),
            (X.T @ ((f - y) * f * (1.0 - f)), "it uses the sigmoid's derivative f (1 - f); "
             "the derivative of tanh is 1 - f^2"),
            (X.T @ (f - y), "it is missing the derivative of tanh, 1 - f^2 (chain rule through the activation)"),
            (X.T @ delta / n, _CH2_MEAN_HINT)])
        if problem:
            return CheckResult(ex, False, f"{problem} (test case with {n} examples, {d} inputs)")
    return CheckResult(ex, True, "the gradient matches the reference on 2 hidden test cases")
# ---- end of chapter 2 -----------------------------------------------------------------------

# ---- chapter 3: losses ----------------------------------------------------------------------
_CH3_OVERFLOW_HINT = ("exp overflows float32 above about 88: subtract each row's largest logit "
                      "before exponentiating (the log-sum-exp trick)")


def _ch3_per_example(ex: str, got, n: int):
    """The student's losses as numpy (None if unreadable), or a failure if they were reduced to one number."""
    try:
        got_np = to_numpy(got)
    except (TypeError, ValueError):
        return None, None
    if got_np.size == 1:
        return None, CheckResult(ex, False, f"return one loss per example, shape ({n},), not their mean "
                                 f"or sum; got shape {got_np.shape}")
    return got_np, None


def _ch3_logsumexp(z: np.ndarray) -> np.ndarray:
    m = z.max(axis=1)
    return m + np.log(np.exp(z - m[:, None]).sum(axis=1))


def check_softmax_cross_entropy(softmax_cross_entropy) -> CheckResult:
    """Grade ``softmax_cross_entropy(logits, labels) -> losses``: one loss -log softmax(z)_y per
    example, shape (n,), that stays finite for huge logits (chapter 3)."""
    ex = "ex-losses-softmax-ce"
    rng = hidden_rng(ex)
    n, k = 6, 4
    base = rng.normal(0.0, 2.0, size=(n, k))
    labels = rng.randint(0, k, size=n)
    wrong = base.copy()  # every row: the true class far below the best one
    wrong[np.arange(n), labels] = base.max(axis=1) - rng.uniform(150.0, 300.0, size=n)
    cases = [
        ("ordinary logits", base, ""),
        ("huge logits (rows shifted by -3000 to +3000)",
         base + rng.choice([-3000.0, -1000.0, 1000.0, 3000.0], size=(n, 1)),
         f"with huge logits your loss is NaN or infinite: {_CH3_OVERFLOW_HINT}"),
        ("confidently wrong logits (true class 150 to 300 below the best)", wrong,
         "when the true class's probability underflows to 0, log(softmax) is -inf: compute the "
         "log-probability directly as z_y - logsumexp(z) instead of taking the log of the softmax"),
    ]
    for name, z, overflow_hint in cases:
        z = _ch2_f32(z)
        got, failed = run_student(ex, softmax_cross_entropy, _ch2_mx(z), _ch2_mx(labels, "int32"))
        if failed is not None:
            return failed
        picked = z[np.arange(n), labels]
        expected = _ch3_logsumexp(z) - picked
        got_np, failed = _ch3_per_example(ex, got, n)
        if failed is not None:
            return failed
        if got_np is not None and got_np.shape == expected.shape and not np.all(np.isfinite(got_np)) and overflow_hint:
            return CheckResult(ex, False, overflow_hint)
        problem = _ch2_problem(got, expected, "the loss", [
            (-expected, "it has the wrong sign: the loss is -log p_y, which is never negative"),
            (-picked, "it is -z_y alone: you left out logsumexp(z), the log of the softmax's normaliser")],
            rtol=1e-4, atol=1e-4)
        if problem:
            return CheckResult(ex, False, f"{problem} ({name})")
    return CheckResult(ex, True, "matches the reference on ordinary, huge and confidently wrong logits")


def check_bce_with_logits(bce_with_logits) -> CheckResult:
    """Grade ``bce_with_logits(z, y) -> losses``: the binary cross-entropy of labels y in {0, 1}
    given logits z, -[y log sigmoid(z) + (1 - y) log(1 - sigmoid(z))], finite for any z (chapter 3)."""
    ex = "ex-losses-bce-logits"
    rng = hidden_rng(ex)
    n = 8
    y = np.tile([0.0, 1.0], n // 2)
    rng.shuffle(y)
    cases = [("ordinary logits", rng.normal(0.0, 2.0, size=n)),
             ("huge logits (|z| from 50 to 1000)",
              rng.choice([-1.0, 1.0], size=n) * rng.choice([50.0, 200.0, 1000.0], size=n))]
    for name, z in cases:
        z = _ch2_f32(z)
        got, failed = run_student(ex, bce_with_logits, _ch2_mx(z), _ch2_mx(y))
        if failed is not None:
            return failed
        expected = np.maximum(z, 0.0) - z * y + np.log1p(np.exp(-np.abs(z)))
        got_np, failed = _ch3_per_example(ex, got, n)
        if failed is not None:
            return failed
        stable = ("sigmoid(z) rounds to exactly 0 or 1 in float32 for large |z|, so log(sigmoid(z)) or "
                  "log(1 - sigmoid(z)) breaks; rewrite the loss in z alone: "
                  "max(z, 0) - z y + log(1 + exp(-|z|))")
        if name != "ordinary logits" and got_np is not None and got_np.shape == expected.shape:
            if not np.all(np.isfinite(got_np)):
                return CheckResult(ex, False, f"with huge logits your loss is NaN or infinite: {stable}")
        with np.errstate(over="ignore", divide="ignore"):
            no_negatives = -y * np.log(1.0 / (1.0 + np.exp(-z)))
        problem = _ch2_problem(got, expected, "the loss", [
            (-expected, "it has the wrong sign: the loss is -log p(y), which is never negative"),
            (no_negatives, "it is only -y log sigmoid(z): you left out the term (1 - y) log(1 - sigmoid(z)) "
             "for the examples labelled 0")], rtol=1e-4, atol=1e-4)
        if problem:
            if name != "ordinary logits":
                problem += f"; it is right for ordinary logits, so the trouble is large |z|: {stable}"
            return CheckResult(ex, False, f"{problem} ({name})")
    return CheckResult(ex, True, "matches the reference on ordinary and huge logits")
# ---- end of chapter 3 -----------------------------------------------------------------------

# ---- chapter 4: deeper networks and backpropagation -----------------------------------------
_CH4_ACTIVATIONS = {  # name: (phi, phi' written with z = the pre-activation and f = phi(z))
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z, f: f * (1 - f)),
    "tanh": (np.tanh, lambda z, f: 1 - f**2),
    "relu": (lambda z: np.maximum(z, 0), lambda z, f: (z > 0).astype(np.float64)),
}


def _ch4_reference_grads(X, y, Ws, bs, activation):
    """Backprop in plain numpy for f_{l+1} = phi(f_l W_l + b_l), sigmoid output, 1/2 squared loss."""
    fs, zs = [X], []
    for layer, (W, b) in enumerate(zip(Ws, bs)):
        zs.append(fs[-1] @ W + b)
        fs.append(_CH4_ACTIVATIONS["sigmoid" if layer == len(Ws) - 1 else activation][0](zs[-1]))
    delta = (fs[-1] - y) * fs[-1] * (1 - fs[-1])
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for layer in reversed(range(len(Ws))):
        dWs[layer], dbs[layer] = fs[layer].T @ delta, delta.sum(axis=0)
        if layer > 0:
            delta = (delta @ Ws[layer].T) * _CH4_ACTIVATIONS[activation][1](zs[layer - 1], fs[layer])
    return dWs, dbs


def _ch4_draw(rng, widths):
    """Inputs, targets in (0, 1) and parameters (as numpy float64) for a network of these widths."""
    X, y = rng.randn(6, widths[0]), rng.uniform(0.05, 0.95, (6, widths[-1]))
    Ws = [rng.randn(a, b) for a, b in zip(widths[:-1], widths[1:])]
    bs = [0.5 * rng.randn(b) for b in widths[1:]]
    return X, y, Ws, bs


def _ch4_as_mx(arrays):
    from mxnet import np as mnp
    return [mnp.array(a, dtype="float64") for a in arrays]


def _ch4_grad_problem(got, expected, param, name: str) -> str | None:
    """None if ``got`` is the right gradient for parameter ``name``, else what is wrong with it."""
    what = f"the gradient for {name}"
    try:
        got_np = to_numpy(got)
    except (TypeError, ValueError):
        got_np = None
    if got_np is not None and got_np.shape == expected.shape and np.all(np.isfinite(got_np)):
        if np.allclose(got_np, param, rtol=1e-6, atol=1e-9) and not np.allclose(expected, param):
            return f"{what} equals {name} itself: return dLoss/d{name}, not the parameter"
        if not np.any(got_np) and np.any(expected):
            return f"{what} is all zeros"
        if np.allclose(-got_np, expected, rtol=1e-4, atol=1e-8) and not np.allclose(got_np, expected, rtol=1e-4, atol=1e-8):
            return (f"{what} has the wrong sign: the gradient of 1/2 ||f - y||^2 starts from (f - y); "
                    "gradient descent then subtracts it")
    if got_np is not None and name.startswith("b") and got_np.ndim == 2 and got_np.shape[1:] == expected.shape:
        return (f"{what} has the wrong shape {got_np.shape}, expected {expected.shape}: every example "
                "used the same bias, so sum the error term over the examples (axis 0)")
    return compare(got, expected, what, rtol=1e-5, atol=1e-8)


def _ch4_check_grads(exercise, got, dWs, dbs, Ws, bs, context=""):
    """First problem among the returned gradients, in the order backprop computes them (last layer first)."""
    n = len(Ws)
    try:
        got_Ws, got_bs = got
        got_Ws, got_bs = list(got_Ws), list(got_bs)
    except (TypeError, ValueError):
        return f"{context}return two lists (dWs, dbs), got {type(got).__name__}"
    if len(got_Ws) != n or len(got_bs) != n:
        return f"{context}expected {n} weight and {n} bias gradients, got {len(got_Ws)} and {len(got_bs)}"
    right = []
    for layer in reversed(range(n)):
        for name, g, e, p in ((f"W{layer}", got_Ws[layer], dWs[layer], Ws[layer]),
                              (f"b{layer}", got_bs[layer], dbs[layer], bs[layer])):
            problem = _ch4_grad_problem(g, e, p, name)
            if problem:
                ok = f" (right: {', '.join(right)})" if right else ""
                return f"{context}{problem}{ok}"
            right.append(name)
    return None


def check_backprop_bias(backprop_bias) -> CheckResult:
    """Exercise ex-backprop-bias: gradients of the two-layer sigmoid network with biases."""
    exercise = "ex-backprop-bias"
    rng = hidden_rng(exercise)
    for widths in ((3, 4, 1), (2, 5, 3)):
        X, y, Ws, bs = _ch4_draw(rng, widths)
        dWs, dbs = _ch4_reference_grads(X, y, Ws, bs, "sigmoid")
        got, error = run_student(exercise, backprop_bias, *_ch4_as_mx([X, y, Ws[0], bs[0], Ws[1], bs[1]]))
        if error is not None:
            return error
        if not isinstance(got, (tuple, list)) or len(got) != 4:
            return CheckResult(exercise, False, "return the four gradients as a tuple (dW0, db0, dW1, db1)")
        problem = _ch4_check_grads(exercise, ([got[0], got[2]], [got[1], got[3]]), dWs, dbs, Ws, bs,
                                   f"widths {widths}: ")
        if problem:
            return CheckResult(exercise, False, problem)
    return CheckResult(exercise, True, "all four gradients match, for two network shapes")


def check_backprop_deep(backprop_deep) -> CheckResult:
    """Exercise ex-backprop-deep: gradients of every W and b, any depth, any hidden activation."""
    exercise = "ex-backprop-deep"
    rng = hidden_rng(exercise)
    cases = 0
    for activation in ("sigmoid", "tanh", "relu"):
        for depth in (1, 2, 3, 4):
            widths = [3] + [4 + layer % 2 for layer in range(depth - 1)] + [2]
            X, y, Ws, bs = _ch4_draw(rng, widths)
            dWs, dbs = _ch4_reference_grads(X, y, Ws, bs, activation)
            got, error = run_student(exercise, backprop_deep, _ch4_as_mx([X])[0], _ch4_as_mx([y])[0],
                                     _ch4_as_mx(Ws), _ch4_as_mx(bs), activation)
            if error is not None:
                if "not implemented" in error.message:
                    return error
                return CheckResult(exercise, False, f"depth {depth}, {activation} hidden layers: {error.message}")
            problem = _ch4_check_grads(exercise, got, dWs, dbs, Ws, bs, f"depth {depth}, {activation} hidden layers: ")
            if problem:
                return CheckResult(exercise, False, problem)
            cases += 1
    return CheckResult(exercise, True, f"every gradient matches in all {cases} networks "
                                       "(depths 1 to 4; sigmoid, tanh and relu hidden layers)")
# ---- end of chapter 4 -----------------------------------------------------------------------

# ---- chapter 5: training --------------------------------------------------------------------
def _ch5_momentum_diagnosis(p, g, v, lr, mom, new_p, new_v) -> str | None:
    """Name a known mistake that explains the student's step, if one does (all numpy float64)."""
    right_v = mom * v + g
    close = lambda a, b: a.shape == b.shape and np.allclose(a, b, rtol=1e-5, atol=1e-7)
    if close(new_v, mom * v - lr * g) and close(new_p, p + new_v):
        return ("you used the convention v = momentum * v - lr * grad, param + v; this exercise asks "
                "for v = momentum * v + grad, then param - lr * v")
    if close(new_p, p - lr * right_v):  # the parameter is right, so the velocity is not
        if close(new_v, v) and not close(v, right_v):
            return "the parameter is right but the velocity was not updated: return the new velocity too"
        if close(new_v, g):
            return "the new velocity forgot the old one: v = momentum * v + grad"
        return None
    if close(new_p, p):
        return "the parameter did not move: return param - lr * (the new velocity)"
    if not np.any(new_p) and np.any(p):
        return "the new parameter is all zeros"
    if close(new_p, p - lr * g):
        return ("the parameter moved like plain SGD (param - lr * grad): step with the velocity, "
                "which remembers earlier gradients")
    if close(new_p, p - lr * v):
        return "the parameter stepped with the old velocity: update the velocity first, then step with the new one"
    if close(new_p, p + lr * right_v):
        return "the parameter moved uphill: subtract lr * velocity, do not add it"
    return None


def check_momentum_step(momentum_step) -> CheckResult:
    """Exercise ex-training-momentum: one step of SGD with momentum, v = m v + g, p = p - lr v."""
    from mxnet import np as mnp
    exercise = "ex-training-momentum"
    rng = hidden_rng(exercise)
    steps = 0
    for shape, lr, mom in (((3, 4), 0.1, 0.9), ((5,), 0.05, 0.5), ((2, 3), 0.2, 0.0)):
        p, v = rng.randn(*shape), np.zeros(shape)
        for step in range(1, 5):
            g = rng.randn(*shape)
            right_v = mom * v + g
            right_p = p - lr * right_v
            got, error = run_student(exercise, momentum_step, mnp.array(p, dtype="float64"),
                                     mnp.array(g, dtype="float64"), mnp.array(v, dtype="float64"), lr, mom)
            if error is not None:
                return error
            where = f"step {step} with lr={lr}, momentum={mom}: "
            if not isinstance(got, (tuple, list)) or len(got) != 2:
                return CheckResult(exercise, False, where + "return a pair (new_param, new_velocity)")
            problem = compare(got[0], right_p, "the new parameter", rtol=1e-5, atol=1e-7)
            problem_v = compare(got[1], right_v, "the new velocity", rtol=1e-5, atol=1e-7)
            if problem or problem_v:
                try:
                    new_p, new_v = to_numpy(got[0]), to_numpy(got[1])
                    hint = _ch5_momentum_diagnosis(p, g, v, lr, mom, new_p, new_v)
                except (TypeError, ValueError):
                    hint = None
                return CheckResult(exercise, False, where + (hint or problem or problem_v))
            p, v = right_p, right_v
            steps += 1
    return CheckResult(exercise, True, f"all {steps} steps match (three shapes, momentum 0.9, 0.5 and 0)")
# ---- end of chapter 5 -----------------------------------------------------------------------

# ---- chapter 6: overfitting -----------------------------------------------------------------
def _folds_problem(folds, y: np.ndarray, k: int) -> str | None:
    """None if ``folds`` is a valid stratified k-fold split of labels ``y``, else what is wrong."""
    n = len(y)
    if isinstance(folds, np.ndarray) or not isinstance(folds, (list, tuple)):
        shape = f" of shape {folds.shape}" if hasattr(folds, "shape") else ""
        return (f"expected a list of k={k} (train_idx, val_idx) pairs, got a {type(folds).__name__}{shape}")
    if len(folds) != k:
        return f"expected k={k} (train_idx, val_idx) pairs, got {len(folds)}"
    seen = np.zeros(n, dtype=int)
    parsed = []
    for i, pair in enumerate(folds):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            return f"fold {i} must be a pair (train_idx, val_idx), got {type(pair).__name__}"
        arrays = []
        for name, idx in zip(("train_idx", "val_idx"), pair):
            try:
                a = np.asarray(idx.asnumpy() if hasattr(idx, "asnumpy") else idx)
            except Exception:  # noqa: BLE001
                return f"fold {i}: {name} could not be read as an array"
            a = a.reshape(-1)
            if a.size and not np.all(np.mod(a, 1) == 0):
                return f"fold {i}: {name} must hold integer indices, got {a[:3]}..."
            a = a.astype(np.int64)
            if a.size and (a.min() < 0 or a.max() >= n):
                return f"fold {i}: {name} has index {int(a.min() if a.min() < 0 else a.max())} outside 0..{n - 1}"
            if len(np.unique(a)) != len(a):
                return f"fold {i}: {name} contains an index more than once"
            arrays.append(a)
        train_idx, val_idx = arrays
        if len(val_idx) == 0:
            return f"fold {i}: its validation set is empty"
        seen[val_idx] += 1
        parsed.append((train_idx, val_idx))
    if seen.max() > 1:
        j = int(np.argmax(seen > 1))
        return f"index {j} is in {seen[j]} validation folds; each index must be in exactly one"
    if seen.min() == 0:
        j = int(np.argmin(seen))
        return f"index {j} is in no validation fold; together the folds must cover every index 0..{n - 1}"
    for i, (train_idx, val_idx) in enumerate(parsed):
        both = np.intersect1d(train_idx, val_idx)
        if both.size:
            return f"fold {i}: index {int(both[0])} is in both train_idx and val_idx; never train on what you validate on"
        if len(train_idx) + len(val_idx) != n:
            missing = np.setdiff1d(np.arange(n), np.concatenate([train_idx, val_idx]))
            return (f"fold {i}: train_idx must hold every index not in val_idx; "
                    f"index {int(missing[0])} is in neither")
    for i, (_, val_idx) in enumerate(parsed):
        for c in np.unique(y):
            n_c = int((y == c).sum())
            got = int((y[val_idx] == c).sum())
            lo, hi = n_c // k, -(-n_c // k)
            if not lo <= got <= hi:
                return (f"fold {i} is not stratified: its validation set has {got} examples of class "
                        f"{c}, but with {n_c} of them in {k} folds each fold should have "
                        f"{lo if lo == hi else f'{lo} or {hi}'}")
    return None


def check_stratified_kfold(stratified_kfold) -> CheckResult:
    """Chapter 6: ``stratified_kfold(y, k)`` returns k (train_idx, val_idx) pairs whose validation
    folds partition the indices and keep each class's share (floor or ceil of n_c / k)."""
    ex = "stratified_kfold"
    rng = hidden_rng(ex)
    cases = [  # unequal classes in random order, a rare class, k not dividing the counts
        (rng.choice(4, size=103, p=[0.55, 0.25, 0.15, 0.05]), 5),
        (rng.permutation(np.repeat(np.arange(3), [40, 7, 13])), 3),
        (rng.choice(10, size=250), 4),
        (np.array([1, 0, 1, 1, 0, 1, 1, 1]), 2),
    ]
    for y, k in cases:
        folds, err = run_student(ex, stratified_kfold, y.copy(), k)
        if err is not None:
            return err
        problem = _folds_problem(folds, y, k)
        if problem:
            return CheckResult(ex, False, f"for {len(y)} labels and k={k}: {problem}")
    return CheckResult(ex, True, "valid stratified folds on 4 label sets (unequal classes, k=2 to 5)")
# ---- end of chapter 6 -----------------------------------------------------------------------

# ---- chapter 7: regularization --------------------------------------------------------------
def check_dropout(dropout) -> CheckResult:
    """Chapter 7: ``dropout(X, p, training)`` zeroes each element independently with probability
    ``p`` and scales the survivors by 1/(1-p) when training; it is the identity otherwise."""
    import mxnet as mx  # here, not at the top: d2l_utils must prepare numpy before mxnet loads

    ex = "dropout"
    rng = hidden_rng(ex)

    def call(X, p, training):
        out, err = run_student(ex, dropout, mx.np.array(X), p, training)
        if err is not None:
            return None, err
        if out is None:
            return None, CheckResult(ex, False, "your function returned None; did you forget the `return`?")
        try:
            return to_numpy(out), None
        except (TypeError, ValueError) as e:
            return None, CheckResult(ex, False, f"could not read the result as an array ({e}); got {type(out).__name__}")

    X = rng.normal(size=(20, 30)).astype(np.float32)
    for p in (0.5, 0.9):
        out, err = call(X, p, False)
        if err is not None:
            return err
        problem = compare(out, X, f"dropout(X, p={p}, training=False)")
        if problem:
            return CheckResult(ex, False, problem + "; at test time dropout must return X unchanged "
                               "(inverted dropout does all its scaling while training)")

    big = rng.uniform(0.5, 1.5, size=(400, 500)).astype(np.float32)  # positive: a zero means dropped
    for p in (0.2, 0.5, 0.8):
        out, err = call(big, p, True)
        if err is not None:
            return err
        if out.shape != big.shape:
            return CheckResult(ex, False, f"dropout(X, p={p}, training=True) has the wrong shape: "
                               f"expected {big.shape}, got {out.shape}")
        dropped = out == 0
        rate = dropped.mean()
        row_rates, col_rates = dropped.mean(axis=1), dropped.mean(axis=0)
        if row_rates.std() > 0.1 or col_rates.std() > 0.1:
            return CheckResult(ex, False, f"with p={p}, whole rows or columns were dropped together; "
                               "each element must be dropped independently of the others")
        if abs(rate - p) > 0.01:
            hint = " (is p the probability to drop, not to keep?)" if abs(rate - (1 - p)) < 0.01 else ""
            return CheckResult(ex, False, f"with p={p} and training=True, {rate:.1%} of the elements were "
                               f"dropped; expected about {p:.0%}{hint}")
        factor = out[~dropped] / big[~dropped]
        if not np.allclose(factor, 1 / (1 - p), rtol=1e-4):
            return CheckResult(ex, False, f"with p={p}, the elements that survive must be multiplied by "
                               f"1/(1-p) = {1 / (1 - p):.4g} so that the expected activation stays X; "
                               f"got a factor of {np.median(factor):.4g}")
    first, err = call(big, 0.5, True)
    if err is not None:
        return err
    second, err = call(big, 0.5, True)
    if err is not None:
        return err
    if np.array_equal(first == 0, second == 0):
        return CheckResult(ex, False, "two calls dropped exactly the same elements; dropout must draw "
                           "a new random mask on every call")
    out, err = call(X, 0.0, True)
    if err is not None:
        return err
    problem = compare(out, X, "dropout(X, p=0, training=True)")
    if problem:
        return CheckResult(ex, False, problem + "; with p=0 nothing is dropped")
    out, err = call(big, 1.0, True)
    if err is not None:
        return err
    if not np.all(out == 0):
        return CheckResult(ex, False, f"with p=1 every element must be dropped (all zeros); "
                           f"{(out != 0).mean():.1%} were not")
    return CheckResult(ex, True, "identity at test time; drops a fraction p, keeps the expected "
                       "activation (survivors times 1/(1-p)); p=0 and p=1 handled")


def _reference_early_stopping(val_scores, patience):
    best, best_epoch = -np.inf, 0
    for epoch, score in enumerate(val_scores, start=1):
        if score > best:
            best, best_epoch = score, epoch
        elif epoch - best_epoch >= patience:
            return best_epoch, epoch
    return best_epoch, len(val_scores)


def check_early_stopping(early_stopping) -> CheckResult:
    """Chapter 7: ``early_stopping(val_scores, patience)`` returns ``(best_epoch, stop_epoch)``
    (epochs counted from 1): where training stops and which epoch's parameters it restores."""
    ex = "early_stopping"
    rng = hidden_rng(ex)
    cases = [  # a tie with the best, a plateau, a noisy rise, a steady rise, an early peak, noise
        ([0.5, 0.7, 0.7, 0.7, 0.6], 3),
        ([0.5, 0.7, 0.8, 0.8, 0.79, 0.8, 0.78, 0.81, 0.8, 0.8, 0.8, 0.79], 3),
        (list(np.round(0.9 - 0.5 * np.exp(-np.arange(30) / 4) + rng.normal(0, 0.01, 30), 3)), 5),
        (list(np.linspace(0.3, 0.9, 12)), 2),
        ([0.6, 0.55, 0.5, 0.52, 0.58, 0.59, 0.61, 0.4], 4),
        ([0.6, 0.55, 0.5, 0.52, 0.58, 0.59, 0.61, 0.4], 1),
        (list(np.round(rng.uniform(0.8, 0.9, 25), 3)), 6),
    ]
    for scores, patience in cases:
        got, err = run_student(ex, early_stopping, list(scores), patience)
        if err is not None:
            return err
        expected = _reference_early_stopping(scores, patience)
        shown = "[" + ", ".join(f"{s:.3g}" for s in scores) + "]"
        try:
            pair = tuple(int(v) for v in got)
            if len(pair) != 2 or not all(float(v) == int(v) for v in got):
                raise ValueError
        except (TypeError, ValueError):
            return CheckResult(ex, False, f"expected a pair of epoch numbers (best_epoch, stop_epoch), "
                               f"got {got!r:.80}")
        if pair != expected:
            b, s = expected
            hint = ""
            if pair == (b - 1, s - 1):
                hint = "; count epochs from 1, not from 0"
            elif pair[1] == s and 1 <= pair[0] <= len(scores) and pair[0] != b and scores[pair[0] - 1] == scores[b - 1]:
                hint = "; only a strict improvement counts: a tie with the best is not a new best"
            elif pair[0] == b and pair[1] == s + 1:
                hint = "; you stopped one epoch late: stop as soon as `patience` epochs have passed without improvement"
            elif pair[0] == b and pair[1] == s - 1:
                hint = "; you stopped one epoch early: wait `patience` full epochs without improvement"
            elif pair[1] == len(scores) and s < len(scores):
                hint = "; training should have stopped before the last epoch"
            return CheckResult(ex, False, f"for validation scores {shown} and patience={patience}: "
                               f"expected (best_epoch, stop_epoch) = {expected}, got {pair}{hint}")
    return CheckResult(ex, True, f"correct best and stopping epochs for {len(cases)} validation curves")
# ---- end of chapter 7 -----------------------------------------------------------------------

# ---- chapter 8: convolutional networks ------------------------------------------------------
def _cnn_pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _cnn_conv2d_reference(X, K, b, stride=(1, 1), padding=(0, 0)) -> np.ndarray:
    """Batched multi-channel 2-D cross-correlation plus bias, in numpy: X (n, c_in, h, w),
    K (c_out, c_in, kh, kw), b (c_out,) -> (n, c_out, h', w')."""
    X, K, b = to_numpy(X), to_numpy(K), to_numpy(b)
    (sh, sw), (ph, pw) = _cnn_pair(stride), _cnn_pair(padding)
    n, _, h, w = X.shape
    c_out, _, kh, kw = K.shape
    Xp = np.zeros((n, X.shape[1], h + 2 * ph, w + 2 * pw))
    Xp[:, :, ph:ph + h, pw:pw + w] = X
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    Y = np.zeros((n, c_out, oh, ow)) + b.reshape(1, -1, 1, 1)
    for a in range(kh):
        for c in range(kw):  # add the contribution of kernel position (a, c) to every output
            window = Xp[:, :, a:a + sh * (oh - 1) + 1:sh, c:c + sw * (ow - 1) + 1:sw]
            Y += np.einsum("nihw,oi->nohw", window, K[:, :, a, c])
    return Y


def _cnn_corr2d_reference(X, K) -> np.ndarray:
    """Single-channel 2-D cross-correlation, no padding, stride 1."""
    X, K = to_numpy(X), to_numpy(K)
    return _cnn_conv2d_reference(X[None, None], K[None, None], np.zeros(1))[0, 0]


def _cnn_as_mx(x):
    """A numpy array as an ``mx.np`` array (what the chapter's code works with)."""
    from mxnet import np as mnp  # imported here: the checkers of other chapters need no MXNet
    return mnp.array(x, dtype=np.float32)


def check_conv2d_forward(conv2d_forward) -> CheckResult:
    """Exercise ex-cnn-conv2d: ``conv2d_forward(X, K, b, stride, padding)`` for a batch of
    multi-channel images, with a bias and (rows, columns) pairs for the stride and the padding."""
    exercise = "ex-cnn-conv2d"
    rng = hidden_rng(exercise)
    cases = [((2, 3, 7, 9), (4, 3, 3, 2), (1, 1), (0, 0)),
             ((2, 2, 8, 7), (3, 2, 3, 3), (2, 3), (1, 2)),
             ((1, 1, 6, 6), (2, 1, 5, 5), (1, 1), (2, 2)),
             ((3, 2, 9, 10), (2, 2, 4, 3), (3, 2), (0, 1))]
    for x_shape, k_shape, stride, padding in cases:
        X, K = rng.normal(size=x_shape), rng.normal(size=k_shape)
        b = rng.normal(size=k_shape[0])
        got, error = run_student(exercise, conv2d_forward, _cnn_as_mx(X), _cnn_as_mx(K), _cnn_as_mx(b),
                                 stride=stride, padding=padding)
        if error is not None:
            return error
        expected = _cnn_conv2d_reference(X, K, b, stride, padding)
        what = f"conv2d_forward(X of shape {x_shape}, K of shape {k_shape}, stride={stride}, padding={padding})"
        problem = compare(got, expected, what, rtol=1e-3, atol=1e-4)
        flipped = _cnn_conv2d_reference(X, K[:, :, ::-1, ::-1], b, stride, padding)
        if problem and compare(got, flipped, what, rtol=1e-3, atol=1e-4) is None:
            problem = (f"{what} equals a true convolution (kernel flipped); a convolution layer "
                       "computes a cross-correlation: slide K over X without flipping it")
        elif problem and compare(got, expected - b.reshape(1, -1, 1, 1), what, rtol=1e-3, atol=1e-4) is None:
            problem = f"{what} is missing the bias: add b[o] to every output of channel o"
        if problem:
            return CheckResult(exercise, False, problem)
    return CheckResult(exercise, True, f"matches the reference on {len(cases)} hidden batches "
                                       "(several strides, paddings and channel counts)")


def check_kernel_grad(kernel_grad) -> CheckResult:
    """Exercise ex-cnn-kernel-grad: ``kernel_grad(X, dY)`` returns dL/dK for Y = corr2d(X, K)."""
    exercise = "ex-cnn-kernel-grad"
    rng = hidden_rng(exercise)
    for x_shape, k_shape in [((6, 7), (3, 2)), ((5, 5), (1, 1)), ((8, 6), (4, 5))]:
        X, dY = rng.normal(size=x_shape), rng.normal(size=(x_shape[0] - k_shape[0] + 1, x_shape[1] - k_shape[1] + 1))
        got, error = run_student(exercise, kernel_grad, _cnn_as_mx(X), _cnn_as_mx(dY))
        if error is not None:
            return error
        expected = _cnn_corr2d_reference(X, dY)
        what = f"kernel_grad for X of shape {x_shape} and a {k_shape[0]}x{k_shape[1]} kernel"
        problem = compare(got, expected, what, rtol=1e-3, atol=1e-4)
        if problem and compare(got, expected[::-1, ::-1], what, 1e-3, 1e-4) is None:
            problem = (f"{what} is the right gradient flipped in both axes: dL/dK[a, b] sums "
                       "dY[i, j] * X[i + a, j + b], without flipping")
        if problem:
            return CheckResult(exercise, False, problem)
    return CheckResult(exercise, True, "matches the gradient on 3 hidden image and kernel sizes")
# ---- end of chapter 8 -----------------------------------------------------------------------

# ---- chapter 9: recurrent networks ----------------------------------------------------------
def _ch9_mx(x):
    """A numpy array as a float32 ``mx.np`` array, the type the chapter's functions work on."""
    import mxnet as mx

    return mx.np.array(x, dtype="float32")


def _ch9_f32(x) -> np.ndarray:
    """``x`` rounded to float32 and back, so the reference sees exactly the student's inputs."""
    return np.asarray(x, dtype=np.float32).astype(np.float64)


def _ch9_sigmoid(a: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-a))


def _ch9_params(rng, keys, d: int, hidden: int) -> dict:
    """Weights W_x* (d, hidden), W_h* (hidden, hidden) and biases b_* (hidden,), as float32 values."""
    params = {}
    for key in keys:
        if key.startswith("W_x"):
            params[key] = _ch9_f32(rng.normal(0.0, 0.8, size=(d, hidden)))
        elif key.startswith("W_h"):
            params[key] = _ch9_f32(rng.normal(0.0, 0.8, size=(hidden, hidden)))
        else:
            params[key] = _ch9_f32(rng.normal(0.0, 0.5, size=(hidden,)))
    return params


def _ch9_diagnose(got, expected, what: str, mistakes) -> str | None:
    """None if ``got`` matches ``expected``; else the hint of the first known mistake that ``got``
    matches (``mistakes``: pairs of what that mistake returns and its hint), else how it differs."""
    problem = compare(got, expected, what, rtol=1e-4, atol=1e-5)
    if problem is None or "shape" in problem or "could not read" in problem:
        return problem
    for wrong, hint in mistakes:
        if compare(got, wrong, what, rtol=1e-4, atol=1e-5) is None:
            return f"{what} is wrong: {hint}"
    return problem


_CH9_GRU_KEYS = ("W_xr", "W_hr", "b_r", "W_xz", "W_hz", "b_z", "W_xn", "b_xn", "W_hn", "b_hn")


def _ch9_gru(x, h, p, mistake: str | None = None) -> np.ndarray:
    """The GRU step of chapter 9 (MXNet's convention), or one named ``mistake`` in it."""
    gate = np.tanh if mistake == "tanh gates" else _ch9_sigmoid
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


_CH9_GRU_HINTS = {
    "swapped update": "the update gate mixes the other way round: h_t = (1 - z) * n + z * h_{t-1}, "
                      "so that z close to 1 keeps the old state",
    "reset before product": "you applied the reset gate to h before multiplying by W_hn; this "
                            "chapter (like Gluon and cuDNN) applies it after: r * (h @ W_hn + b_hn)",
    "no reset": "the reset gate r is missing from the candidate state n",
    "no update": "it is the candidate state n; the update gate z must still mix n with the old state",
    "tanh gates": "the gates r and z use tanh; gates use the sigmoid, so that they lie between 0 and 1",
}


def check_gru_step(gru_step) -> CheckResult:
    """Grade ``gru_step(x, h, p) -> h_new``: one GRU step in chapter 9's (MXNet's) convention, with
    the parameters in a dict keyed W_xr, W_hr, b_r, W_xz, W_hz, b_z, W_xn, b_xn, W_hn, b_hn."""
    ex = "ex-rnn-gru-step"
    rng = hidden_rng(ex)
    for n, d, hidden in ((4, 3, 5), (1, 6, 2)):
        x, h = _ch9_f32(rng.normal(size=(n, d))), _ch9_f32(rng.uniform(-1.0, 1.0, size=(n, hidden)))
        p = _ch9_params(rng, _CH9_GRU_KEYS, d, hidden)
        got, failed = run_student(ex, gru_step, _ch9_mx(x), _ch9_mx(h), {k: _ch9_mx(v) for k, v in p.items()})
        if failed is not None:
            return failed
        mistakes = [(np.zeros((n, hidden)), "it is all zeros: compute the gates, the candidate n and their mix"),
                    (h, "it is the old state h unchanged: the step must compute a new state")]
        mistakes += [(_ch9_gru(x, h, p, name), hint) for name, hint in _CH9_GRU_HINTS.items()]
        problem = _ch9_diagnose(got, _ch9_gru(x, h, p), "the new state", mistakes)
        if problem:
            return CheckResult(ex, False, f"{problem} (test case: batch {n}, {d} inputs, {hidden} hidden units)")
    return CheckResult(ex, True, "the new state matches the reference GRU on 2 hidden test cases")


_CH9_LSTM_KEYS = ("W_xi", "W_hi", "b_i", "W_xf", "W_hf", "b_f", "W_xg", "W_hg", "b_g",
                  "W_xo", "W_ho", "b_o")


def _ch9_lstm(x, h, c, p, mistake: str | None = None):
    """The LSTM step of chapter 9 (MXNet's convention) as (h_new, c_new), or one named ``mistake``."""
    def pre(gate):
        return x @ p[f"W_x{gate}"] + h @ p[f"W_h{gate}"] + p[f"b_{gate}"]

    i, f, o = _ch9_sigmoid(pre("i")), _ch9_sigmoid(pre("f")), _ch9_sigmoid(pre("o"))
    g = _ch9_sigmoid(pre("g")) if mistake == "sigmoid candidate" else np.tanh(pre("g"))
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


_CH9_LSTM_HINTS = {
    "swapped input and forget": "the input and forget gates are swapped: c_t = f * c_{t-1} + i * g, "
                                "the forget gate f scales the old cell",
    "no forget": "the forget gate is missing: c_t = f * c_{t-1} + i * g",
    "sigmoid candidate": "the candidate g uses the sigmoid; it uses tanh, so it can be negative",
    "no tanh on cell": "h_t = o * tanh(c_t): you left out the tanh of the cell",
    "old cell": "h_t is computed from the old cell c_{t-1}; use the new one, h_t = o * tanh(c_t)",
}


def check_lstm_step(lstm_step) -> CheckResult:
    """Grade ``lstm_step(x, h, c, p) -> (h_new, c_new)``: one LSTM step in chapter 9's (MXNet's)
    convention, with the parameters in a dict keyed W_x*, W_h*, b_* for the gates i, f, g, o."""
    ex = "ex-rnn-lstm-step"
    rng = hidden_rng(ex)
    for n, d, hidden in ((4, 3, 5), (1, 6, 2)):
        x, h = _ch9_f32(rng.normal(size=(n, d))), _ch9_f32(rng.uniform(-1.0, 1.0, size=(n, hidden)))
        c = _ch9_f32(rng.normal(0.0, 1.5, size=(n, hidden)))
        p = _ch9_params(rng, _CH9_LSTM_KEYS, d, hidden)
        out, failed = run_student(ex, lstm_step, _ch9_mx(x), _ch9_mx(h), _ch9_mx(c),
                                  {k: _ch9_mx(v) for k, v in p.items()})
        if failed is not None:
            return failed
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            return CheckResult(ex, False, "return the pair (h_new, c_new); got "
                               f"{type(out).__name__}" + (f" of length {len(out)}" if isinstance(out, (tuple, list)) else ""))
        h_ref, c_ref = _ch9_lstm(x, h, c, p)
        wrong = {name: _ch9_lstm(x, h, c, p, name) for name in _CH9_LSTM_HINTS}
        case = f" (test case: batch {n}, {d} inputs, {hidden} hidden units)"
        zeros = np.zeros((n, hidden))
        problem = _ch9_diagnose(out[1], c_ref, "the new cell c_t", [
            (zeros, "it is all zeros: c_t = f * c_{t-1} + i * g"),
            (c, "it is the old cell unchanged: c_t = f * c_{t-1} + i * g"),
            (h_ref, "it is the new hidden state: return (h_new, c_new) in that order")]
            + [(wrong[name][1], _CH9_LSTM_HINTS[name]) for name in ("swapped input and forget",
                                                                  "no forget", "sigmoid candidate")])
        if problem:
            return CheckResult(ex, False, problem + case)
        problem = _ch9_diagnose(out[0], h_ref, "the new state h_t", [
            (zeros, "it is all zeros: h_t = o * tanh(c_t)"),
            (h, "it is the old state h unchanged: h_t = o * tanh(c_t)")]
            + [(wrong[name][0], _CH9_LSTM_HINTS[name]) for name in ("no tanh on cell", "old cell")])
        if problem:
            return CheckResult(ex, False, problem + case)
    return CheckResult(ex, True, "h_t and c_t match the reference LSTM on 2 hidden test cases")
# ---- end of chapter 9 -----------------------------------------------------------------------

# ---- chapter 10: representation learning ----------------------------------------------------
def _ch10_knn(train_x, train_y, query_x, k: int, farthest: bool = False, ties_to_largest: bool = False):
    """Reference k-nearest-neighbour vote (and two of its classic mistakes, by flag)."""
    sq_dist = ((query_x[:, None, :] - train_x[None, :, :]) ** 2).sum(axis=-1)
    order = np.argsort(-sq_dist if farthest else sq_dist, axis=1, kind="stable")[:, :k]
    predictions = []
    for labels in train_y[order]:
        values, counts = np.unique(labels, return_counts=True)
        winners = values[counts == counts.max()]
        predictions.append(winners.max() if ties_to_largest else winners.min())
    return np.array(predictions, dtype=np.int64), order[:, 0]


def _ch10_knn_case(rng, n_train: int, n_query: int, d: int, labels, k: int):
    """Random points on which every known mistake shows and is told apart from the others: the
    right answer, the 1-NN labels, the k-farthest vote, (for even k) the ties-to-largest vote and a
    constant answer all differ. Redrawn until that holds; the draw is fixed by ``rng``."""
    labels = np.asarray(labels, dtype=np.int64)
    while True:
        train_x = rng.normal(size=(n_train, d))
        train_y = rng.choice(labels, size=n_train)
        query_x = rng.normal(size=(n_query, d))
        expected, nearest = _ch10_knn(train_x, train_y, query_x, k)
        answers = [expected, nearest]
        if k > 1:
            answers += [train_y[nearest], _ch10_knn(train_x, train_y, query_x, k, farthest=True)[0]]
        if k % 2 == 0:
            answers.append(_ch10_knn(train_x, train_y, query_x, k, ties_to_largest=True)[0])
        distinct = len({a.tobytes() for a in answers}) == len(answers)
        if distinct and all(len(np.unique(a)) > 1 for a in answers):
            return train_x, train_y, query_x


def check_knn_predict(knn_predict) -> CheckResult:
    """Grade ``knn_predict(train_x, train_y, query_x, k) -> labels``: for each query row, the most
    common label among its k nearest training rows (Euclidean), ties to the smallest label
    (chapter 10)."""
    ex = "ex-repr-knn"
    rng = hidden_rng(ex)
    cases = [(30, 12, 5, (0, 1, 2), 3), (40, 15, 8, (5, 6, 7, 8, 9), 5), (24, 10, 3, (0, 1), 4),
             (20, 8, 6, (2, 4, 7), 1)]
    for n_train, n_query, d, labels, k in cases:
        train_x, train_y, query_x = _ch10_knn_case(rng, n_train, n_query, d, labels, k)
        where = f"(test case: {n_train} training rows with labels {list(labels)}, {n_query} queries, k={k})"
        got, failed = run_student(ex, knn_predict, train_x.copy(), train_y.copy(), query_x.copy(), k)
        if failed is not None:
            return failed
        try:
            got = to_numpy(got)
        except (TypeError, ValueError) as err:
            return CheckResult(ex, False, f"could not read your predictions as an array ({err}); "
                               f"got {type(got).__name__}")
        if got.shape == (n_query, 1):
            got = got.reshape(-1)
        if got.shape != (n_query,):
            return CheckResult(ex, False, f"return one label per query row: expected shape ({n_query},), "
                               f"got {got.shape} {where}")
        if not np.all(np.isfinite(got)) or not np.array_equal(got, np.round(got)):
            return CheckResult(ex, False, f"the predictions must be integer labels taken from train_y; "
                               f"got non-integer values such as {got[got != np.round(got)][:1]} {where}")
        expected, nearest = _ch10_knn(train_x, train_y, query_x, k)
        if np.array_equal(got, expected):
            continue
        mistakes = [
            (nearest, "you returned the index of the nearest training row, not its label: look the "
                      "labels up in train_y"),
            (train_y[nearest], f"your predictions are the label of the single nearest row; vote among "
                               f"the k={k} nearest rows"),
            (_ch10_knn(train_x, train_y, query_x, k, farthest=True)[0],
             "you voted among the k farthest rows: sort the distances in increasing order"),
            (_ch10_knn(train_x, train_y, query_x, k, ties_to_largest=True)[0],
             "when the vote is tied the prediction must be the smallest of the tied labels, not the largest"),
        ]
        for wrong, hint in mistakes:
            if np.array_equal(got, wrong):
                return CheckResult(ex, False, f"{hint} {where}")
        strangers = sorted(set(got.astype(np.int64).tolist()) - set(train_y.tolist()))
        if strangers:
            return CheckResult(ex, False, f"{strangers[0]} is not a label in train_y; predict one of "
                               f"{sorted(set(train_y.tolist()))} {where}")
        i = int(np.flatnonzero(got != expected)[0])
        return CheckResult(ex, False, f"wrong label for query row {i}: expected {expected[i]}, "
                           f"got {int(got[i])} ({int((got != expected).sum())} of {n_query} wrong) {where}")
    return CheckResult(ex, True, f"the labels match the reference on {len(cases)} hidden test cases "
                       "(k = 1, 3, 4, 5; ties included)")
# ---- end of chapter 10 ----------------------------------------------------------------------

# ---- chapter 11: Bayesian neural networks and generative models -----------------------------
def _ch11_mx(x):
    """A numpy array as a float64 ``mx.np`` array, the type the chapter's functions work on."""
    import mxnet as mx

    return mx.np.array(x, dtype="float64")


def _ch11_close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 + 1e-5 * abs(b)


def _ch11_kl(mq, sq, mp, sp) -> float:
    """KL(N(mq, diag sq^2) || N(mp, diag sp^2)), summed over coordinates."""
    return float(np.sum(np.log(sp / sq) + (sq ** 2 + (mq - mp) ** 2) / (2 * sp ** 2) - 0.5))


def check_gaussian_kl(gaussian_kl) -> CheckResult:
    """Grade ``gaussian_kl(mu_q, sigma_q, mu_p, sigma_p) -> KL(q || p)`` for diagonal Gaussians
    q = N(mu_q, diag sigma_q^2) and p = N(mu_p, diag sigma_p^2), summed over coordinates (chapter 11)."""
    ex = "ex-bayes-kl"
    rng = hidden_rng(ex)
    d = 7
    mq, mp = rng.normal(0, 1, d), rng.normal(0, 1, d)
    sq, sp = rng.uniform(0.3, 2.0, d), rng.uniform(0.3, 2.0, d)
    cases = [("q = p", mq, sq, mq, sq),  # (what the case tests, mu_q, sigma_q, mu_p, sigma_p)
             ("equal variances, different means", mq, sp, mp, sp),
             ("equal means, different variances", mq, sq, mq, sp),
             ("different means and variances", mq, sq, mp, sp)]
    for case, a, b, c, e in cases:
        got, failed = run_student(ex, gaussian_kl, _ch11_mx(a), _ch11_mx(b), _ch11_mx(c), _ch11_mx(e))
        if failed is not None:
            return failed
        try:
            arr = to_numpy(got)
        except (TypeError, ValueError) as err:
            return CheckResult(ex, False, f"could not read your result as a number ({err}); got {type(got).__name__}")
        if arr.size != 1:
            return CheckResult(ex, False, "return one number, the KL summed over all coordinates; "
                               f"got an array of shape {arr.shape} (test case: {case})")
        value, expected = float(arr.reshape(())), _ch11_kl(a, b, c, e)
        if not np.isfinite(value):
            return CheckResult(ex, False, f"your KL is {value} (test case: {case})")
        if _ch11_close(value, expected):
            continue
        if case == "q = p":
            return CheckResult(ex, False, f"KL(q || q) must be 0, since a distribution does not diverge from "
                               f"itself; got {value:.6g}. Check the constant -1/2 per coordinate and the "
                               "log term log(sigma_p / sigma_q)")
        log_ratio = float(np.sum(np.log(e / b)))
        mistakes = [
            (_ch11_kl(c, e, a, b), "you computed KL(p || q), but the KL is not symmetric: with the "
             "expectation under q it is log(sigma_p / sigma_q) + (sigma_q^2 + (mu_q - mu_p)^2) / (2 sigma_p^2) - 1/2"),
            (float(np.sum(np.log(e / b) + (b + (a - c) ** 2) / (2 * e) - 0.5)),
             "you used the standard deviation sigma where the variance sigma^2 belongs: the second term "
             "is (sigma_q^2 + (mu_q - mu_p)^2) / (2 sigma_p^2)"),
            (expected + 0.5 * d, "you are missing the constant -1/2 of each coordinate"),
            (expected - 2 * log_ratio, "the log term has the wrong sign: it is +log(sigma_p / sigma_q)"),
            (expected + log_ratio, "the log term is log(sigma_p / sigma_q) = 1/2 log(sigma_p^2 / sigma_q^2), "
             "not log(sigma_p^2 / sigma_q^2)"),
            (2 * expected, "your KL is twice the right one: check the factors 1/2"),
        ]
        for wrong, hint in mistakes:
            if _ch11_close(value, wrong):
                return CheckResult(ex, False, f"{hint} (test case: {case}; expected {expected:.6g}, got {value:.6g})")
        if case == "equal variances, different means":
            return CheckResult(ex, False, "with equal variances the KL is sum (mu_q - mu_p)^2 / (2 sigma_p^2) "
                               f"= {expected:.6g}; got {value:.6g}")
        return CheckResult(ex, False, f"the KL is wrong (test case: {case}): expected {expected:.6g}, got {value:.6g}")
    return CheckResult(ex, True, f"KL(q || p) matches the reference on {len(cases)} hidden test cases")


def _ch11_kernels():
    """Two hidden kernels, each as (mx.np version for the student, numpy version for the reference)."""
    import mxnet as mx

    def rbf(lib, ell, sf):
        return lambda a, b: sf ** 2 * lib.exp(-0.5 * (a.reshape(-1, 1) - b.reshape(1, -1)) ** 2 / ell ** 2)

    def exponential(lib, ell, sf):
        return lambda a, b: sf ** 2 * lib.exp(-lib.abs(a.reshape(-1, 1) - b.reshape(1, -1)) / ell)

    return [("a squared-exponential kernel", rbf(mx.np, 0.8, 1.2), rbf(np, 0.8, 1.2)),
            ("an exponential kernel", exponential(mx.np, 0.6, 0.9), exponential(np, 0.6, 0.9))]


def _ch11_vector(got, m: int, what: str):
    """(array of shape (m,), None), or (None, why not). Accepts shape (m, 1) too."""
    try:
        arr = to_numpy(got)
    except (TypeError, ValueError) as err:
        return None, f"{what}: could not read it as an array ({err}); got {type(got).__name__}"
    if arr.shape == (m, m) and what == "var":
        return None, (f"var has shape {arr.shape}, the whole posterior covariance: return only its "
                      f"diagonal, the {m} variances, shape ({m},)")
    if arr.size != m or arr.ndim > 2:
        return None, f"{what} has the wrong shape: expected ({m},) for {m} test inputs, got {arr.shape}"
    return arr.reshape(m), None


def check_gp_posterior(gp_posterior) -> CheckResult:
    """Grade ``gp_posterior(x, y, x_star, kernel, noise_var) -> (mean, var)``: the posterior mean and
    variance of f(x_star) under a GP prior with ``kernel`` and Gaussian noise of ``noise_var`` (chapter 11)."""
    ex = "ex-bayes-gp"
    rng = hidden_rng(ex)
    n, m, noise_var = 8, 5, 0.05
    x = np.sort(rng.uniform(-2, 2, n))
    y = np.sin(2 * x) + np.sqrt(noise_var) * rng.normal(size=n)
    x_star = np.linspace(-2.5, 2.5, m)
    for k, (name, kernel_mx, kernel) in enumerate(_ch11_kernels()):
        got, failed = run_student(ex, gp_posterior, _ch11_mx(x), _ch11_mx(y), _ch11_mx(x_star), kernel_mx, noise_var)
        if failed is not None:
            return failed
        if not (isinstance(got, (tuple, list)) and len(got) == 2):
            return CheckResult(ex, False, "return a pair (mean, var); got " + type(got).__name__
                               + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else ""))
        mean, problem = _ch11_vector(got[0], m, "mean")
        var, problem2 = (None, None) if problem else _ch11_vector(got[1], m, "var")
        if problem or problem2:
            return CheckResult(ex, False, problem or problem2)
        K, Ks, kss = kernel(x, x), kernel(x_star, x), np.diag(kernel(x_star, x_star))
        Ky = K + noise_var * np.eye(n)
        exp_mean = Ks @ np.linalg.solve(Ky, y)
        exp_var = kss - np.einsum("ij,ji->i", Ks, np.linalg.solve(Ky, Ks.T))
        free = K + 1e-10 * np.eye(n)
        where = f" (with {name})"
        prefix = ("your function is right for the first kernel but not for a second one: use the `kernel` "
                  "argument instead of a kernel of your own. " if k else "")
        for got_v, exp_v, what, mistakes in [
                (mean, exp_mean, "the posterior mean", [
                    (np.zeros(m), "you returned the prior mean 0; the posterior mean is "
                     "k(x*, x) (K + noise_var I)^{-1} y"),
                    (Ks @ np.linalg.solve(free, y), "it interpolates the data: add noise_var to the diagonal "
                     "of K = k(x, x)")]),
                (var, exp_var, "the posterior variance", [
                    (exp_var + noise_var, "it includes the noise: the exercise asks for the variance of f(x*), "
                     "without noise_var (that would be the variance of a new noisy observation y*)"),
                    (kss, "you returned the prior variance k(x*, x*): subtract k(x*, x) (K + noise_var I)^{-1} k(x, x*)"),
                    (kss - np.einsum("ij,ji->i", Ks, np.linalg.solve(free, Ks.T)),
                     "add noise_var to the diagonal of K = k(x, x)"),
                    (np.sqrt(np.maximum(exp_var, 0)), "these are standard deviations: return variances")])]:
            if compare(got_v, exp_v, what, rtol=1e-4, atol=1e-7) is None:
                continue
            for wrong, hint in mistakes:
                if compare(got_v, wrong, what, rtol=1e-4, atol=1e-7) is None:
                    return CheckResult(ex, False, f"{prefix}{what} is wrong{where}: {hint}")
            return CheckResult(ex, False, prefix + compare(got_v, exp_v, what, rtol=1e-4, atol=1e-7) + where)
    return CheckResult(ex, True, "mean and variance match the reference for 2 hidden kernels")
# ---- end of chapter 11 ----------------------------------------------------------------------
