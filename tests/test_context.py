"""context: a GPU counts only if a tiny operation runs on it; otherwise the CPU, with one warning."""
import warnings

import mxnet as mx
import pytest

from d2l_utils import context


@pytest.fixture(autouse=True)
def fresh_state(monkeypatch):
    context._probe_cache.clear()
    context._warned.clear()
    monkeypatch.delenv(context.FORCE_CPU_ENV, raising=False)
    yield
    context._probe_cache.clear()
    context._warned.clear()


def fake_gpus(monkeypatch, visible: int, broken=()):
    """Pretend to be a CUDA build with `visible` GPUs, of which those in `broken` fail to compute."""
    monkeypatch.setattr(context, "_cuda_build", lambda: True)
    monkeypatch.setattr(context, "_visible_gpus", lambda: visible)
    real_ones = mx.nd.ones

    def ones(shape, ctx=None, **kw):
        if ctx is not None and ctx.device_type == "gpu" and ctx.device_id in broken:
            raise mx.base.MXNetError("CUDA: no kernel image is available for execution on the device")
        return real_ones(shape, **kw)  # compute on the CPU instead
    monkeypatch.setattr(context.mx.nd, "ones", ones)


def test_cpu_only_build_falls_back_with_one_warning():
    if context._cuda_build():
        pytest.skip("this MXNet build has CUDA")
    with pytest.warns(context.GPUFallbackWarning, match="no CUDA support"):
        assert context.try_gpu() == mx.cpu()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second call must stay silent
        assert context.try_gpu() == mx.cpu()
    assert context.num_gpus() == 0
    assert context.try_all_gpus() == [mx.cpu()]


def test_missing_index_gives_cpu(monkeypatch):
    fake_gpus(monkeypatch, visible=1)
    with pytest.warns(context.GPUFallbackWarning, match="GPU 7 does not exist"):
        assert context.try_gpu(7) == mx.cpu()


def test_try_gpu_7_on_this_machine_is_cpu():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = context.try_gpu(7)
    assert ctx == mx.cpu(0)


def test_unsupported_gpu_falls_back(monkeypatch):
    """Hopper GPUs: visible, but the first operation fails (no kernels for compute capability 9.0)."""
    fake_gpus(monkeypatch, visible=1, broken={0})
    with pytest.warns(context.GPUFallbackWarning, match=r"no kernel image.*5\.0-8\.6"):
        assert context.try_gpu(0) == mx.cpu()
    assert context.num_gpus() == 0


def test_working_gpus_are_used(monkeypatch):
    fake_gpus(monkeypatch, visible=3, broken={1})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert context.try_gpu(0) == mx.gpu(0)
        assert context.try_all_gpus() == [mx.gpu(0), mx.gpu(2)]
        assert context.num_gpus() == 2


def test_force_cpu(monkeypatch):
    fake_gpus(monkeypatch, visible=2)
    monkeypatch.setenv(context.FORCE_CPU_ENV, "1")
    assert context.try_gpu() == mx.cpu()
    assert context.try_all_gpus() == [mx.cpu()]
    assert context.num_gpus() == 0


@pytest.mark.parametrize("bad", [-1, 1.5, "0"])
def test_bad_index_is_an_error(bad):
    with pytest.raises(ValueError, match="non-negative integer"):
        context.try_gpu(bad)


def test_contexts_work_with_nd_and_np_arrays():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx = context.try_gpu()
    assert float(mx.nd.ones((2, 3), ctx=ctx).sum().asscalar()) == 6.0
    assert float(mx.np.ones((2, 3), ctx=ctx).sum()) == 6.0


def test_fallback_warning_names_try_gpu_not_a_temporary_file():
    """In a notebook the caller is a temporary file; stored outputs must not show its path."""
    if context._cuda_build():
        pytest.skip("this MXNet build has CUDA")
    with pytest.warns(context.GPUFallbackWarning) as caught:
        context.try_gpu()
    assert caught[0].filename == "d2l_utils.try_gpu"
    assert "/tmp/" not in str(caught[0].message) and "ipykernel" not in caught[0].filename
