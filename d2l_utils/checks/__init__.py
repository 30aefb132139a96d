"""Graders for the book's programming exercises, one module per chapter.

Each ``check_*`` function takes the student's implementation, runs it on inputs the student has
not seen, compares it with a reference and returns a ``CheckResult``: a pass, or one specific
failure (wrong shape, expected vs got; which gradient is wrong; accuracy reached vs the bar). A
function that reaches the answer through the library routine the exercise replaces (autograd for
a hand-derived gradient, a ready-made convolution or recurrent layer, a matrix inverse where a
Cholesky factor is asked, the graders' own references) is reported and earns no credit.
"""

from .ch02 import check_tanh_unit_gradient, check_unit_gradients
from .ch03 import check_bce_with_logits, check_softmax_cross_entropy
from .ch04 import check_backprop_bias, check_backprop_deep
from .ch05 import check_momentum_step
from .ch06 import check_stratified_kfold
from .ch07 import check_dropout, check_early_stopping
from .ch08 import check_conv2d_forward, check_kernel_grad
from .ch09 import check_gru_step, check_lstm_step
from .ch10 import check_knn_predict
from .ch11 import check_gaussian_kl, check_gp_posterior
from .common import CheckResult, compare, hidden_rng, run_student, to_numpy

GRADERS = {
    check.label: check
    for check in (
        check_unit_gradients,
        check_tanh_unit_gradient,
        check_softmax_cross_entropy,
        check_bce_with_logits,
        check_backprop_bias,
        check_backprop_deep,
        check_momentum_step,
        check_stratified_kfold,
        check_dropout,
        check_early_stopping,
        check_conv2d_forward,
        check_kernel_grad,
        check_gru_step,
        check_lstm_step,
        check_knn_predict,
        check_gaussian_kl,
        check_gp_posterior,
    )
}
"""Every grader by the label of the exercise it grades (what the class grader looks up)."""

__all__ = sorted(name for name in dir() if name.startswith("check_")) + [
    "CheckResult",
    "GRADERS",
    "compare",
    "hidden_rng",
    "run_student",
    "to_numpy",
]
