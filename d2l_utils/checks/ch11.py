"""Graders for chapter 11's exercises (Bayesian neural networks and generative models)."""

from __future__ import annotations

import numpy as np

from .common import (
    not_a_pair,
    as_mx,
    hidden_callable,
    CheckResult,
    compare,
    grader,
    hidden_rng,
    result,
    Rule,
    run_student,
    to_numpy,
)

_LIBRARY_KL = Rule(
    "forbid",
    ("mxnet/gluon/probability/:*", "scipy/stats/:*"),
    "uses a library's KL divergence: the exercise asks you to derive it",
)
_INVERSE = Rule(
    "forbid",
    (
        "numpy/linalg/linalg.py:inv",
        "numpy/linalg/linalg.py:pinv",
        "numpy/linalg/_linalg.py:inv",
        "numpy/linalg/_linalg.py:pinv",
        "mxnet/numpy/linalg.py:inv",
        "mxnet/numpy/linalg.py:pinv",
        "<string>:inverse",
        "<string>:pinv",
        "<string>:potri",
        "scipy/linalg/_basic.py:inv",
        "scipy/linalg/_basic.py:pinv",
    ),
    "uses a matrix inverse: the exercise asks for a Cholesky factor instead",
)
_CHOLESKY = Rule(
    "require",
    (
        "numpy/linalg/linalg.py:cholesky",
        "numpy/linalg/_linalg.py:cholesky",
        "mxnet/numpy/linalg.py:cholesky",
        "<string>:potrf",
        "<string>:cholesky",
        "scipy/linalg/_decomp_cholesky.py:*",
    ),
    "does not use a Cholesky factor, which the exercise asks for "
    "(mnp.linalg.cholesky, then triangular solves)",
)
_LIBRARY_GP = Rule(
    "forbid",
    ("sklearn/gaussian_process/:*",),
    "uses scikit-learn's Gaussian process: the exercise asks you to write it",
)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 + 1e-5 * abs(b)


def kl_reference(mq, sq, mp, sp) -> float:
    """KL(N(mq, diag sq^2) || N(mp, diag sp^2)), summed over coordinates."""
    return float(np.sum(np.log(sp / sq) + (sq**2 + (mq - mp) ** 2) / (2 * sp**2) - 0.5))


@grader("ex-bayes-kl", _LIBRARY_KL)
def check_gaussian_kl(gaussian_kl) -> CheckResult:
    """Grade ``gaussian_kl(mu_q, sigma_q, mu_p, sigma_p) -> KL(q || p)`` for diagonal Gaussians
    q = N(mu_q, diag sigma_q^2) and p = N(mu_p, diag sigma_p^2), summed over coordinates (chapter 11).
    """
    ex = "ex-bayes-kl"
    rng = hidden_rng(ex)
    d = 7
    mq, mp = rng.normal(0, 1, d), rng.normal(0, 1, d)
    sq, sp = rng.uniform(0.3, 2.0, d), rng.uniform(0.3, 2.0, d)
    cases = [
        ("q = p", mq, sq, mq, sq),  # (what the case tests, mu_q, sigma_q, mu_p, sigma_p)
        ("equal variances, different means", mq, sp, mp, sp),
        ("equal means, different variances", mq, sq, mq, sp),
        ("different means and variances", mq, sq, mp, sp),
    ]
    for case, a, b, c, e in cases:
        got, failed = run_student(
            ex,
            gaussian_kl,
            as_mx(a, "float64"),
            as_mx(b, "float64"),
            as_mx(c, "float64"),
            as_mx(e, "float64"),
        )
        if failed is not None:
            return failed
        try:
            arr = to_numpy(got)
        except (TypeError, ValueError) as err:
            return CheckResult(
                ex,
                False,
                f"could not read your result as a number ({err}); got {type(got).__name__}",
            )
        if arr.size != 1:
            return CheckResult(
                ex,
                False,
                "return one number, the KL summed over all coordinates; "
                f"got an array of shape {arr.shape} (test case: {case})",
            )
        value, expected = float(arr.reshape(())), kl_reference(a, b, c, e)
        if not np.isfinite(value):
            return CheckResult(ex, False, f"your KL is {value} (test case: {case})")
        if _close(value, expected):
            continue
        if case == "q = p":
            return CheckResult(
                ex,
                False,
                f"KL(q || q) must be 0, since a distribution does not diverge from "
                f"itself; got {value:.6g}. Check the constant -1/2 per coordinate and the "
                "log term log(sigma_p / sigma_q)",
            )
        log_ratio = float(np.sum(np.log(e / b)))
        mistakes = [
            (
                kl_reference(c, e, a, b),
                "you computed KL(p || q), but the KL is not symmetric: with the "
                "expectation under q it is log(sigma_p / sigma_q) + (sigma_q^2 + (mu_q - mu_p)^2) / (2 sigma_p^2) - 1/2",
            ),
            (
                float(np.sum(np.log(e / b) + (b + (a - c) ** 2) / (2 * e) - 0.5)),
                "you used the standard deviation sigma where the variance sigma^2 belongs: the second term "
                "is (sigma_q^2 + (mu_q - mu_p)^2) / (2 sigma_p^2)",
            ),
            (expected + 0.5 * d, "you are missing the constant -1/2 of each coordinate"),
            (
                expected - 2 * log_ratio,
                "the log term has the wrong sign: it is +log(sigma_p / sigma_q)",
            ),
            (
                expected + log_ratio,
                "the log term is log(sigma_p / sigma_q) = 1/2 log(sigma_p^2 / sigma_q^2), "
                "not log(sigma_p^2 / sigma_q^2)",
            ),
            (2 * expected, "your KL is twice the right one: check the factors 1/2"),
            (
                expected / d,
                f"you averaged over the {d} coordinates: the KL of independent "
                "coordinates is the sum of theirs",
            ),
        ]
        for wrong, hint in mistakes:
            if _close(value, wrong):
                return CheckResult(
                    ex,
                    False,
                    f"{hint} (test case: {case}; expected {expected:.6g}, got {value:.6g})",
                )
        if case == "equal variances, different means":
            return CheckResult(
                ex,
                False,
                "with equal variances the KL is sum (mu_q - mu_p)^2 / (2 sigma_p^2) "
                f"= {expected:.6g}; got {value:.6g}",
            )
        return CheckResult(
            ex,
            False,
            f"the KL is wrong (test case: {case}): expected {expected:.6g}, got {value:.6g}",
        )
    return CheckResult(
        ex, True, f"KL(q || p) matches the reference on {len(cases)} hidden test cases"
    )


_RBF = (
    "lambda a, b: sf ** 2 * lib.exp(-0.5 * (a.reshape(-1, 1) - b.reshape(1, -1)) ** 2 / ell ** 2)"
)
_EXPONENTIAL = "lambda a, b: sf ** 2 * lib.exp(-lib.abs(a.reshape(-1, 1) - b.reshape(1, -1)) / ell)"


def _kernels():
    """Two hidden kernels, each as (mx.np version for the student, numpy version for the reference)."""
    import mxnet as mx

    return [
        (
            "a squared-exponential kernel",
            hidden_callable(_RBF, mx.np, ell=0.8, sf=1.2),
            hidden_callable(_RBF, np, ell=0.8, sf=1.2),
        ),
        (
            "an exponential kernel",
            hidden_callable(_EXPONENTIAL, mx.np, ell=0.6, sf=0.9),
            hidden_callable(_EXPONENTIAL, np, ell=0.6, sf=0.9),
        ),
    ]


def _vector(got, m: int, what: str):
    """(array of shape (m,), None), or (None, why not). Accepts shape (m, 1) too."""
    try:
        arr = to_numpy(got)
    except (TypeError, ValueError) as err:
        return None, f"{what}: could not read it as an array ({err}); got {type(got).__name__}"
    if arr.shape == (m, m) and what == "var":
        return None, (
            f"var has shape {arr.shape}, the whole posterior covariance: return only its "
            f"diagonal, the {m} variances, shape ({m},)"
        )
    if arr.size != m or arr.ndim > 2:
        return (
            None,
            f"{what} has the wrong shape: expected ({m},) for {m} test inputs, got {arr.shape}",
        )
    return arr.reshape(m), None


@grader("ex-bayes-gp", _INVERSE, _CHOLESKY, _LIBRARY_GP)
def check_gp_posterior(gp_posterior) -> CheckResult:
    """Grade ``gp_posterior(x, y, x_star, kernel, noise_var) -> (mean, var)``: the posterior mean and
    variance of f(x_star) under a GP prior with ``kernel`` and Gaussian noise of ``noise_var`` (chapter 11).
    """
    ex = "ex-bayes-gp"
    rng = hidden_rng(ex)
    n, m, noise_var = 8, 5, 0.05
    x = np.sort(rng.uniform(-2, 2, n))
    y = np.sin(2 * x) + np.sqrt(noise_var) * rng.normal(size=n)
    x_star = np.linspace(-2.5, 2.5, m)
    for k, (name, kernel_mx, kernel) in enumerate(_kernels()):
        got, failed = run_student(
            ex,
            gp_posterior,
            as_mx(x, "float64"),
            as_mx(y, "float64"),
            as_mx(x_star, "float64"),
            kernel_mx,
            noise_var,
        )
        if failed is not None:
            return failed
        if (wrong_shape := not_a_pair(ex, got, "mean, var")) is not None:
            return wrong_shape
        mean, problem = _vector(got[0], m, "mean")
        var, problem2 = (None, None) if problem else _vector(got[1], m, "var")
        if problem or problem2:
            return CheckResult(ex, False, problem or problem2)
        K, Ks, kss = kernel(x, x), kernel(x_star, x), np.diag(kernel(x_star, x_star))
        Ky = K + noise_var * np.eye(n)
        exp_mean = Ks @ np.linalg.solve(Ky, y)
        exp_var = kss - np.einsum("ij,ji->i", Ks, np.linalg.solve(Ky, Ks.T))
        free = K + 1e-10 * np.eye(n)
        where = f" (with {name})"
        prefix = (
            "your function is right for the first kernel but not for a second one: use the `kernel` "
            "argument instead of a kernel of your own. "
            if k
            else ""
        )
        for got_v, exp_v, what, mistakes in [
            (
                mean,
                exp_mean,
                "the posterior mean",
                [
                    (
                        np.zeros(m),
                        "you returned the prior mean 0; the posterior mean is "
                        "k(x*, x) (K + noise_var I)^{-1} y",
                    ),
                    (
                        Ks @ np.linalg.solve(free, y),
                        "it interpolates the data: add noise_var to the diagonal " "of K = k(x, x)",
                    ),
                ],
            ),
            (
                var,
                exp_var,
                "the posterior variance",
                [
                    (
                        exp_var + noise_var,
                        "it includes the noise: the exercise asks for the variance of f(x*), "
                        "without noise_var (that would be the variance of a new noisy observation y*)",
                    ),
                    (
                        kss,
                        "you returned the prior variance k(x*, x*): subtract k(x*, x) (K + noise_var I)^{-1} k(x, x*)",
                    ),
                    (
                        kss - np.einsum("ij,ji->i", Ks, np.linalg.solve(free, Ks.T)),
                        "add noise_var to the diagonal of K = k(x, x)",
                    ),
                    (
                        np.sqrt(np.maximum(exp_var, 0)),
                        "these are standard deviations: return variances",
                    ),
                ],
            ),
        ]:
            if compare(got_v, exp_v, what, rtol=1e-4, atol=1e-7) is None:
                continue
            for wrong, hint in mistakes:
                if compare(got_v, wrong, what, rtol=1e-4, atol=1e-7) is None:
                    return CheckResult(ex, False, f"{prefix}{what} is wrong{where}: {hint}")
            return CheckResult(
                ex, False, prefix + compare(got_v, exp_v, what, rtol=1e-4, atol=1e-7) + where
            )
    return CheckResult(ex, True, "mean and variance match the reference for 2 hidden kernels")
