"""The chapter 11 graders pass the reference solutions and fail common mistakes with the right message."""
import d2l_utils as d2l  # noqa: F401 - prepares numpy for mxnet before mxnet is imported
from d2l_utils import checks
from mxnet import np, npx

npx.set_np()


# ---- ex-bayes-kl: KL(N(mu_q, diag sigma_q^2) || N(mu_p, diag sigma_p^2)) ----------------------

def gaussian_kl(mu_q, sigma_q, mu_p, sigma_p):
    return (np.log(sigma_p / sigma_q) + (sigma_q ** 2 + (mu_q - mu_p) ** 2) / (2 * sigma_p ** 2) - 0.5).sum()


def fails_kl(fn, *fragments):
    result = checks.check_gaussian_kl(fn)
    assert not result.passed, result
    assert str(result).startswith("NOT YET [ex-bayes-kl]")
    for fragment in fragments:
        assert fragment in result.message, result.message
    return result


def test_kl_reference_passes():
    result = checks.check_gaussian_kl(gaussian_kl)
    assert result.passed, result
    assert str(result).startswith("PASSED [ex-bayes-kl]")


def test_kl_shape_one_array_and_python_float_are_accepted():
    assert checks.check_gaussian_kl(lambda *a: gaussian_kl(*a).reshape(1)).passed
    assert checks.check_gaussian_kl(lambda *a: float(gaussian_kl(*a))).passed


def test_kl_not_implemented():
    def stub(mu_q, sigma_q, mu_p, sigma_p):
        raise NotImplementedError
    fails_kl(stub, "not implemented yet")


def test_kl_zeros_fail():
    # 0 is right for q = p, so the zero stub is caught by the next case, with the formula to use
    fails_kl(lambda mu_q, sigma_q, mu_p, sigma_p: np.zeros(()), "with equal variances the KL is",
             "got 0")


def test_kl_zero_array_fails_on_shape():
    fails_kl(lambda mu_q, sigma_q, mu_p, sigma_p: np.zeros_like(mu_q), "return one number", "shape (7,)")


def test_kl_input_unchanged_fails():
    fails_kl(lambda mu_q, sigma_q, mu_p, sigma_p: mu_q, "return one number", "shape (7,)")


def test_kl_per_coordinate_fails():
    def per_coordinate(mu_q, sigma_q, mu_p, sigma_p):
        return np.log(sigma_p / sigma_q) + (sigma_q ** 2 + (mu_q - mu_p) ** 2) / (2 * sigma_p ** 2) - 0.5
    fails_kl(per_coordinate, "summed over all coordinates")


def test_kl_reversed_direction_fails():
    fails_kl(lambda mu_q, sigma_q, mu_p, sigma_p: gaussian_kl(mu_p, sigma_p, mu_q, sigma_q),
             "you computed KL(p || q)", "not symmetric", "equal means, different variances")


def test_kl_sigma_instead_of_variance_fails():
    def sigma_not_variance(mu_q, sigma_q, mu_p, sigma_p):
        return (np.log(sigma_p / sigma_q) + (sigma_q + (mu_q - mu_p) ** 2) / (2 * sigma_p) - 0.5).sum()
    fails_kl(sigma_not_variance, "you used the standard deviation sigma where the variance sigma^2 belongs")


def test_kl_missing_constant_fails():
    fails_kl(lambda *a: gaussian_kl(*a) + 0.5 * a[0].size, "KL(q || q) must be 0", "-1/2")


def test_kl_wrong_log_sign_fails():
    def wrong_sign(mu_q, sigma_q, mu_p, sigma_p):
        return (np.log(sigma_q / sigma_p) + (sigma_q ** 2 + (mu_q - mu_p) ** 2) / (2 * sigma_p ** 2) - 0.5).sum()
    fails_kl(wrong_sign, "the log term has the wrong sign", "equal means, different variances")


def test_kl_log_of_variances_fails():
    def log_variances(mu_q, sigma_q, mu_p, sigma_p):
        return (np.log(sigma_p ** 2 / sigma_q ** 2) + (sigma_q ** 2 + (mu_q - mu_p) ** 2) / (2 * sigma_p ** 2) - 0.5).sum()
    fails_kl(log_variances, "not log(sigma_p^2 / sigma_q^2)")


def test_kl_missing_half_fails():
    def no_half(mu_q, sigma_q, mu_p, sigma_p):
        return (2 * np.log(sigma_p / sigma_q) + (sigma_q ** 2 + (mu_q - mu_p) ** 2) / sigma_p ** 2 - 1).sum()
    fails_kl(no_half, "twice the right one")


def test_kl_error_is_reported():
    def broken(mu_q, sigma_q, mu_p, sigma_p):
        return mu_q @ np.ones((3, 3))
    fails_kl(broken, "your function raised")


# ---- ex-bayes-gp: posterior mean and variance of f(x*) ----------------------------------------

def gp_posterior(x, y, x_star, kernel, noise_var):
    K = kernel(x, x) + noise_var * np.eye(x.shape[0], dtype=x.dtype)
    L = np.linalg.cholesky(K)
    A = np.linalg.solve(L, kernel(x, x_star))          # L^{-1} k(x, x*)
    b = np.linalg.solve(L, y.reshape(-1, 1))           # L^{-1} y
    mean = (A * b).sum(axis=0)
    var = np.diag(kernel(x_star, x_star)) - (A ** 2).sum(axis=0)
    return mean, var


def fails_gp(fn, *fragments):
    result = checks.check_gp_posterior(fn)
    assert not result.passed, result
    assert str(result).startswith("NOT YET [ex-bayes-gp]")
    for fragment in fragments:
        assert fragment in result.message, result.message
    return result


def test_gp_reference_passes():
    result = checks.check_gp_posterior(gp_posterior)
    assert result.passed, result
    assert str(result).startswith("PASSED [ex-bayes-gp]")


def test_gp_without_a_cholesky_factor_earns_nothing():
    """Right numbers through a general solve: the exercise asks for a Cholesky factor."""
    def with_solve(x, y, x_star, kernel, noise_var):
        Ky = kernel(x, x) + noise_var * np.eye(x.shape[0], dtype=x.dtype)
        Ks = kernel(x_star, x)
        mean = Ks @ np.linalg.solve(Ky, y)
        cov = kernel(x_star, x_star) - Ks @ np.linalg.solve(Ky, Ks.T)
        return mean.reshape(-1, 1), np.diag(cov)  # a column of means is accepted too
    result = checks.check_gp_posterior(with_solve)
    assert result.message == ("passes, but does not use a Cholesky factor, which the exercise "
                              "asks for (mnp.linalg.cholesky, then triangular solves)"), result


def test_gp_not_implemented():
    def stub(x, y, x_star, kernel, noise_var):
        raise NotImplementedError
    fails_gp(stub, "not implemented yet")


def test_gp_zeros_fail():
    fails_gp(lambda x, y, x_star, kernel, noise_var: (np.zeros_like(x_star), np.zeros_like(x_star)),
             "the posterior mean is wrong", "prior mean 0")


def test_gp_input_unchanged_fails():
    fails_gp(lambda x, y, x_star, kernel, noise_var: (x_star, x_star), "the posterior mean is wrong", "expected")


def test_gp_not_a_pair_fails():
    fails_gp(lambda x, y, x_star, kernel, noise_var: x_star, "return a pair (mean, var)")


def test_gp_full_covariance_fails():
    def full_cov(x, y, x_star, kernel, noise_var):
        mean, _ = gp_posterior(x, y, x_star, kernel, noise_var)
        Ky = kernel(x, x) + noise_var * np.eye(x.shape[0], dtype=x.dtype)
        Ks = kernel(x_star, x)
        return mean, kernel(x_star, x_star) - Ks @ np.linalg.solve(Ky, Ks.T)
    fails_gp(full_cov, "whole posterior covariance", "diagonal")


def test_gp_noise_forgotten_fails():
    fails_gp(lambda x, y, x_star, kernel, noise_var: gp_posterior(x, y, x_star, kernel, 1e-10),
             "interpolates the data", "add noise_var")


def test_gp_noise_in_variance_fails():
    def noisy_var(x, y, x_star, kernel, noise_var):
        mean, var = gp_posterior(x, y, x_star, kernel, noise_var)
        return mean, var + noise_var
    fails_gp(noisy_var, "the posterior variance is wrong", "it includes the noise")


def test_gp_prior_variance_fails():
    def prior_var(x, y, x_star, kernel, noise_var):
        mean, _ = gp_posterior(x, y, x_star, kernel, noise_var)
        return mean, np.diag(kernel(x_star, x_star))
    fails_gp(prior_var, "prior variance k(x*, x*)")


def test_gp_standard_deviation_fails():
    def std(x, y, x_star, kernel, noise_var):
        mean, var = gp_posterior(x, y, x_star, kernel, noise_var)
        return mean, np.sqrt(var)
    fails_gp(std, "standard deviations")


def test_gp_hard_coded_kernel_fails():
    def own_kernel(a, b):  # the first hidden kernel, hard-coded instead of using the argument
        return 1.44 * np.exp(-0.5 * (a.reshape(-1, 1) - b.reshape(1, -1)) ** 2 / 0.64)

    def hard_coded(x, y, x_star, kernel, noise_var):
        return gp_posterior(x, y, x_star, own_kernel, noise_var)
    fails_gp(hard_coded, "right for the first kernel but not for a second one", "`kernel` argument")


# ---- shortcuts: the grader's reference, a matrix inverse ----------------------------------------

def test_kl_through_the_graders_reference_is_a_shortcut():
    def with_reference(mu_q, sigma_q, mu_p, sigma_p):
        return checks.ch11.kl_reference(*(a.asnumpy() for a in (mu_q, sigma_q, mu_p, sigma_p)))
    result = checks.check_gaussian_kl(with_reference)
    assert result.message.startswith("passes, but calls the grader's own reference"), result


def test_kl_mean_instead_of_sum_is_named():
    result = checks.check_gaussian_kl(lambda *a: gaussian_kl(*a) / a[0].shape[0])
    assert not result.passed and "you averaged over the 7 coordinates" in result.message, result


def test_gp_with_numpys_inverse_is_a_shortcut():
    import numpy as onp

    def with_inverse(x, y, x_star, kernel, noise_var):
        K_inv = onp.linalg.inv((kernel(x, x) + noise_var * np.eye(x.shape[0])).asnumpy())
        Ks = kernel(x_star, x).asnumpy()
        var = onp.diag(kernel(x_star, x_star).asnumpy()) - onp.einsum("ij,jk,ik->i", Ks, K_inv, Ks)
        return Ks @ K_inv @ y.asnumpy(), var
    result = checks.check_gp_posterior(with_inverse)
    assert result.message == ("passes, but uses a matrix inverse: the exercise asks for a "
                              "Cholesky factor instead; and does not use a Cholesky factor, which "
                              "the exercise asks for (mnp.linalg.cholesky, then triangular solves)")


def test_gp_with_cholesky_and_an_inverse_of_the_factor_still_uses_an_inverse():
    def cholesky_then_inverse(x, y, x_star, kernel, noise_var):
        L = np.linalg.cholesky(kernel(x, x) + noise_var * np.eye(x.shape[0], dtype=x.dtype))
        L_inv = np.linalg.inv(L)
        A, alpha = L_inv @ kernel(x, x_star), L_inv @ y
        return A.T @ alpha, np.diag(kernel(x_star, x_star)) - (A ** 2).sum(axis=0)
    result = checks.check_gp_posterior(cholesky_then_inverse)
    assert result.message == ("passes, but uses a matrix inverse: the exercise asks for a "
                              "Cholesky factor instead"), result
