"""claims: round-off printed as a bound that does not move with the CPU."""
import pytest

import d2l_utils as d2l


@pytest.mark.parametrize("value", [0.0, 3.0e-08, 1.6e-07, 9.99e-07])
def test_round_off_prints_as_its_bound(value):
    assert d2l.below(value, 1e-6) == "below 1e-06"


def test_a_value_above_the_bound_prints_itself_flagged():
    assert d2l.below(2.5e-4, 1e-6) == "2.5e-04 (NOT below 1e-06)"
    assert d2l.below(float("inf"), 1e-6) == "inf (NOT below 1e-06)"


@pytest.mark.parametrize("value, bound", [(float("nan"), 1e-6), (1e-7, 0), (1e-7, -1)])
def test_nan_or_a_bad_bound_is_refused(value, bound):
    with pytest.raises(ValueError, match="positive bound"):
        d2l.below(value, bound)


def test_seed_all_repeats_every_generator():
    import random

    import mxnet as mx
    import numpy as np

    def draw():
        return random.random(), np.random.rand(), float(mx.nd.random.uniform(shape=(1,)).asscalar())
    d2l.seed_all(3)
    first = draw()
    d2l.seed_all(3)
    assert draw() == first
    d2l.seed_all(4)
    assert all(a != b for a, b in zip(draw(), first))


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_seed_all_refuses_what_is_not_a_seed(seed):
    with pytest.raises(ValueError, match="non-negative integer"):
        d2l.seed_all(seed)


def test_mean_std_of_runs():
    assert d2l.mean_std([0.878, 0.880, 0.879]) == "0.879 ± 0.001"
    assert d2l.mean_std([1, 3], digits=1) == "2.0 ± 1.4"
    with pytest.raises(ValueError, match="two or more"):
        d2l.mean_std([0.9])
    with pytest.raises(ValueError, match="finite"):
        d2l.mean_std([0.9, float("nan")])


def test_random_state_repeats_and_differs_by_seed():
    a, b = d2l.random_state(5).rand(3), d2l.random_state(5).rand(3)
    assert (a == b).all()
    assert not (d2l.random_state(6).rand(3) == a).any()


def test_seed_shift_moves_every_seed(monkeypatch):
    import numpy as np

    monkeypatch.setenv("D2L_SEED_SHIFT", "7")
    assert d2l.seed_shift() == 7
    assert (d2l.random_state(0).rand(4) == np.random.RandomState(7).rand(4)).all()
    d2l.seed_all(1)
    shifted = np.random.rand(3)
    np.random.seed(8)
    assert (np.random.rand(3) == shifted).all()
    monkeypatch.delenv("D2L_SEED_SHIFT")
    assert d2l.seed_shift() == 0
    assert (d2l.random_state(0).rand(4) == np.random.RandomState(0).rand(4)).all()


@pytest.mark.parametrize("text", ["-1", "one", "1.5"])
def test_a_bad_seed_shift_says_what_to_do(monkeypatch, text):
    monkeypatch.setenv("D2L_SEED_SHIFT", text)
    with pytest.raises(ValueError, match="D2L_SEED_SHIFT must be a non-negative integer.*unset it"):
        d2l.random_state(0)


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_random_state_refuses_what_is_not_a_seed(seed):
    with pytest.raises(ValueError, match="non-negative integer"):
        d2l.random_state(seed)
