"""Handwritten digits for chapter 8: the 8x8 digits shipped here, and full MNIST from files.

`load_digits()` needs no network: the package carries scikit-learn's copy of the UCI
8x8 digits (1,797 images, `data/digits.csv.gz`, BSD-3, see `data/LICENSE-digits.txt`)
and splits it the same way every time (a seeded shuffle, then train / validation / test).

`load_mnist(path)` reads full MNIST for readers who have it, in either classic format:
the four IDX files (`train-images-idx3-ubyte[.gz]`, ...) in a folder, or the
`mnist.pkl.gz` pickle of `((train_x, train_y), (valid_x, valid_y), (test_x, test_y))`
that Theano-era tutorials used. A file of the wrong format raises a `ValueError` that
names the file.
"""

from __future__ import annotations

import gzip
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
DIGITS_FILE = DATA_DIR / "digits.csv.gz"
DIGITS_SEED = 0  # the shuffle before the split; see load_digits
DIGITS_VALID, DIGITS_TEST = 300, 300  # images held out; the other 1,197 train
DIGITS_MAX_PIXEL = 16.0  # each 8x8 pixel counts the "on" pixels of a 4x4 block
MNIST_MAX_PIXEL = 255.0
MNIST_VALID = 10_000  # the last 10,000 training images, as in mnist.pkl.gz
N_CLASSES = 10


@dataclass(frozen=True)
class Split:
    """One part of a data set: images as rows of pixels in [0, 1], labels as int32."""

    x: np.ndarray  # (n, height * width)
    y: np.ndarray  # (n,) class indices

    def __len__(self) -> int:
        return len(self.y)


@dataclass(frozen=True)
class DataSet:
    """Train, validation and test splits of one set of images of `image_shape`."""

    train: Split
    valid: Split
    test: Split
    image_shape: tuple[int, int]
    n_classes: int = N_CLASSES

    @property
    def n_features(self) -> int:
        return self.image_shape[0] * self.image_shape[1]

    def astype(self, dtype: str) -> DataSet:
        """The same data with images of `dtype` (e.g. `theano.config.floatX`)."""
        def cast(split: Split) -> Split:
            return Split(split.x.astype(dtype), split.y)
        return DataSet(cast(self.train), cast(self.valid), cast(self.test), self.image_shape,
                       self.n_classes)


def load_digits(seed: int = DIGITS_SEED, dtype: str = "float64") -> DataSet:
    """The 8x8 digits: 1,197 training, 300 validation and 300 test images.

    The split is a shuffle by `numpy.random.default_rng(seed)`, so it is the same on every
    machine; pixels are scaled from 0..16 to [0, 1].
    """
    table = np.loadtxt(DIGITS_FILE, delimiter=",", dtype=np.int64)
    pixels, labels = table[:, :-1], table[:, -1]
    order = np.random.default_rng(seed).permutation(len(labels))
    x = (pixels[order] / DIGITS_MAX_PIXEL).astype(dtype)
    y = labels[order].astype(np.int32)
    n_train = len(y) - DIGITS_VALID - DIGITS_TEST
    cuts = [n_train, n_train + DIGITS_VALID]
    (x_train, x_valid, x_test), (y_train, y_valid, y_test) = np.split(x, cuts), np.split(y, cuts)
    return DataSet(Split(x_train, y_train), Split(x_valid, y_valid), Split(x_test, y_test),
                   image_shape=(8, 8))


# IDX: two zero bytes, a type code, the number of dimensions, then each dimension as a
# big-endian uint32, then the values in C order (http://yann.lecun.com/exdb/mnist/).
IDX_TYPES = {0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
             0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
IDX_HEADER = 4  # bytes before the dimensions


def _read_bytes(path: Path) -> bytes:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            return f.read()
    except gzip.BadGzipFile as e:
        raise ValueError(f"{path}: ends in .gz but is not a gzip file ({e})") from None


def read_idx(path: str | Path) -> np.ndarray:
    """The array stored in one IDX file (gzipped if its name ends in .gz)."""
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < IDX_HEADER or raw[0] != 0 or raw[1] != 0 or raw[2] not in IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file (it should start with two zero bytes and "
                         f"a type code among {sorted(IDX_TYPES)}; it starts with "
                         f"{raw[:IDX_HEADER]!r})")
    dtype, ndim = IDX_TYPES[raw[2]], raw[3]
    header = IDX_HEADER + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(raw[IDX_HEADER:header], dtype=">u4"))
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(shape) != ndim or len(raw) != expected:
        raise ValueError(f"{path}: an IDX header for shape {shape} of {dtype} needs "
                         f"{expected} bytes, the file has {len(raw)}")
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))  # native byte order, and writable


IDX_NAMES = {"train_x": "train-images-idx3-ubyte", "train_y": "train-labels-idx1-ubyte",
             "test_x": "t10k-images-idx3-ubyte", "test_y": "t10k-labels-idx1-ubyte"}


def _find_idx(folder: Path, name: str) -> Path:
    for candidate in (folder / name, folder / f"{name}.gz", folder / name.replace("-idx", ".idx")):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{folder}: no {name} (or {name}.gz) here; MNIST's IDX files are "
                            f"{', '.join(IDX_NAMES.values())}")


def _images_and_labels(x_path: Path, y_path: Path, dtype: str) -> Split:
    images, labels = read_idx(x_path), read_idx(y_path)
    if images.ndim != 3:
        raise ValueError(f"{x_path}: images should have 3 dimensions (n, rows, columns), "
                         f"this file has shape {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(f"{y_path}: labels should be a vector of {len(images)} (one per "
                         f"image of {x_path.name}), this file has shape {labels.shape}")
    x = (images.reshape(len(images), -1) / MNIST_MAX_PIXEL).astype(dtype)
    return Split(x, labels.astype(np.int32))


def load_mnist_idx(folder: str | Path, n_valid: int = MNIST_VALID,
                   dtype: str = "float64") -> DataSet:
    """MNIST from its four IDX files; the last `n_valid` training images validate."""
    folder = Path(folder)
    paths = {key: _find_idx(folder, name) for key, name in IDX_NAMES.items()}
    train = _images_and_labels(paths["train_x"], paths["train_y"], dtype)
    test = _images_and_labels(paths["test_x"], paths["test_y"], dtype)
    rows, cols = read_idx(paths["test_x"]).shape[1:]
    if not 0 <= n_valid < len(train):
        raise ValueError(f"load_mnist_idx: n_valid={n_valid} must leave some of the "
                         f"{len(train)} training images to train on")
    cut = len(train) - n_valid
    return DataSet(Split(train.x[:cut], train.y[:cut]), Split(train.x[cut:], train.y[cut:]),
                   test, image_shape=(rows, cols))


def load_mnist_pickle(path: str | Path, dtype: str = "float64") -> DataSet:
    """MNIST from `mnist.pkl.gz`: ((train_x, train_y), (valid_x, valid_y), (test_x, test_y)),
    images as rows of 784 floats in [0, 1] (the file was written by Python 2, hence latin1)."""
    path = Path(path)
    raw = _read_bytes(path)
    try:
        parts = pickle.loads(raw, encoding="latin1")  # noqa: S301 (the reader's own file)
    except Exception as e:  # a pickle error can be of many types; all mean "wrong file"
        raise ValueError(f"{path}: not a pickle of MNIST ({type(e).__name__}: {e})") from None
    if not (isinstance(parts, (tuple, list)) and len(parts) == 3
            and all(isinstance(p, (tuple, list)) and len(p) == 2 for p in parts)):
        raise ValueError(f"{path}: expected ((train_x, train_y), (valid_x, valid_y), "
                         f"(test_x, test_y)), found a {type(parts).__name__} of another shape")
    splits = []
    for name, (x, y) in zip(("train", "valid", "test"), parts):
        x, y = np.asarray(x), np.asarray(y)
        if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(f"{path}: the {name} split should be (n, pixels) images and n "
                             f"labels, found shapes {x.shape} and {y.shape}")
        splits.append(Split(x.astype(dtype), y.astype(np.int32)))
    side = int(round(np.sqrt(splits[0].x.shape[1])))
    if side * side != splits[0].x.shape[1]:
        raise ValueError(f"{path}: {splits[0].x.shape[1]} pixels per image is not a square")
    return DataSet(*splits, image_shape=(side, side))


def load_mnist(path: str | Path, dtype: str = "float64", n_valid: int = MNIST_VALID) -> DataSet:
    """MNIST from a folder of IDX files (the last `n_valid` training images validate) or
    from an `mnist.pkl.gz`-style pickle (which has its own validation split)."""
    path = Path(path)
    if path.is_dir():
        return load_mnist_idx(path, n_valid=n_valid, dtype=dtype)
    if not path.exists():
        raise FileNotFoundError(f"load_mnist: {path} does not exist (give a folder of IDX "
                                f"files or an mnist.pkl.gz)")
    return load_mnist_pickle(path, dtype=dtype)
