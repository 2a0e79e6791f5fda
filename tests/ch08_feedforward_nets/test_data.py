"""Chapter 8's data: the shipped 8x8 digits and its split; MNIST's IDX and pickle formats,
read from small files the tests write; wrong files give errors naming the file."""

import gzip
import pickle

import numpy as np
import pytest

from minitheano.examples import data as D


def raw_digits():
    table = np.loadtxt(D.DIGITS_FILE, delimiter=",", dtype=np.int64)
    return table[:, :-1], table[:, -1]


def test_digits_file_is_the_1797_images_of_8x8_pixels_and_their_licence_is_shipped():
    pixels, labels = raw_digits()
    assert pixels.shape == (1797, 64) and labels.shape == (1797,)
    assert pixels.min() == 0 and pixels.max() == 16
    assert set(labels) == set(range(10))
    licence = (D.DATA_DIR / "LICENSE-digits.txt").read_text()
    assert "BSD 3-Clause" in licence and "scikit-learn" in licence


def test_digits_split_sizes_dtypes_and_scaling():
    digits = D.load_digits()
    assert (len(digits.train), len(digits.valid), len(digits.test)) == (1197, 300, 300)
    assert digits.image_shape == (8, 8) and digits.n_features == 64 and digits.n_classes == 10
    for split in (digits.train, digits.valid, digits.test):
        assert split.x.dtype == np.float64 and split.y.dtype == np.int32
        assert split.x.min() == 0.0 and split.x.max() == 1.0
        assert set(split.y) == set(range(10))  # every class in every split
    assert D.load_digits(dtype="float32").test.x.dtype == np.float32


def test_digits_split_is_a_fixed_partition_of_the_file():
    pixels, labels = raw_digits()
    digits = D.load_digits()
    x = np.concatenate([digits.train.x, digits.valid.x, digits.test.x]) * D.DIGITS_MAX_PIXEL
    y = np.concatenate([digits.train.y, digits.valid.y, digits.test.y])
    order = np.random.default_rng(D.DIGITS_SEED).permutation(1797)
    np.testing.assert_array_equal(x, pixels[order])
    np.testing.assert_array_equal(y, labels[order])
    again = D.load_digits()
    np.testing.assert_array_equal(again.test.x, digits.test.x)
    other = D.load_digits(seed=D.DIGITS_SEED + 1)
    assert not np.array_equal(other.test.y, digits.test.y)


# -- MNIST: IDX files ------------------------------------------------------------------

def idx_bytes(array: np.ndarray, type_code: int = 0x08) -> bytes:
    header = bytes([0, 0, type_code, array.ndim])
    return header + np.array(array.shape, dtype=">u4").tobytes() + array.tobytes()


def write_mnist_idx(folder, n_train=12, n_test=5, rows=4, cols=3, gz=False, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, rows, cols), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, rows, cols), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for name, array in arrays.items():
        raw = idx_bytes(array)
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return arrays


@pytest.mark.parametrize("dtype,code", [("u1", 0x08), ("i1", 0x09), (">i2", 0x0B),
                                        (">i4", 0x0C), (">f4", 0x0D), (">f8", 0x0E)])
def test_read_idx_round_trips_every_type(tmp_path, dtype, code):
    array = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == "u1":
        array = np.arange(24, dtype="u1").reshape(2, 3, 4)
    path = tmp_path / "a.idx"
    path.write_bytes(idx_bytes(array, code))
    read = D.read_idx(path)
    np.testing.assert_array_equal(read, array)
    assert read.dtype == np.dtype(dtype).newbyteorder("=") and read.flags.writeable


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist_from_idx_files(tmp_path, gz):
    arrays = write_mnist_idx(tmp_path, gz=gz)
    mnist = D.load_mnist_idx(tmp_path, n_valid=4)
    images = arrays["train-images-idx3-ubyte"].reshape(12, 12) / 255.0
    labels = arrays["train-labels-idx1-ubyte"]
    np.testing.assert_array_equal(mnist.train.x, images[:8])
    np.testing.assert_array_equal(mnist.valid.x, images[8:])
    np.testing.assert_array_equal(mnist.train.y, labels[:8])
    np.testing.assert_array_equal(mnist.valid.y, labels[8:])
    np.testing.assert_array_equal(mnist.test.x, arrays["t10k-images-idx3-ubyte"].reshape(5, 12)
                                  / 255.0)
    assert mnist.test.y.dtype == np.int32 and mnist.image_shape == (4, 3)
    by_folder = D.load_mnist(tmp_path, n_valid=2, dtype="float32")
    assert len(by_folder.train) == 10 and by_folder.train.x.dtype == np.float32
    with pytest.raises(ValueError, match="n_valid=10000 must leave"):
        D.load_mnist(tmp_path)  # 12 training images cannot spare MNIST's 10,000


def test_idx_errors_name_the_file(tmp_path):
    not_idx = tmp_path / "train-images-idx3-ubyte"
    not_idx.write_bytes(b"P5 28 28 255 this is an image of another format")
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: not an IDX file"):
        D.read_idx(not_idx)
    short = tmp_path / "short.idx"
    short.write_bytes(idx_bytes(np.zeros((3, 2, 2), np.uint8))[:-1])
    with pytest.raises(ValueError, match=r"short.idx: an IDX header for shape \(3, 2, 2\)"):
        D.read_idx(short)
    fake_gz = tmp_path / "labels.gz"
    fake_gz.write_bytes(b"not gzip")
    with pytest.raises(ValueError, match=r"labels.gz: ends in .gz but is not a gzip file"):
        D.read_idx(fake_gz)
    with pytest.raises(FileNotFoundError, match="no train-images-idx3-ubyte"):
        D.load_mnist_idx(tmp_path / "nowhere")


def test_idx_labels_that_do_not_match_the_images_name_the_file(tmp_path):
    write_mnist_idx(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(4, np.uint8)))
    with pytest.raises(ValueError, match=r"t10k-labels-idx1-ubyte: labels should be a vector "
                                         r"of 5"):
        D.load_mnist_idx(tmp_path, n_valid=2)


# -- MNIST: mnist.pkl.gz -----------------------------------------------------------------

def mnist_pickle(path, sizes=(6, 3, 4), pixels=16, seed=1):
    rng = np.random.default_rng(seed)
    parts = tuple((rng.random((n, pixels), dtype=np.float32),
                   rng.integers(0, 10, n).astype(np.int64)) for n in sizes)
    with gzip.open(path, "wb") as f:
        pickle.dump(parts, f, protocol=2)  # the protocol Python 2 wrote
    return parts


def test_load_mnist_from_the_pickle(tmp_path):
    path = tmp_path / "mnist.pkl.gz"
    parts = mnist_pickle(path)
    mnist = D.load_mnist(path)
    for split, (x, y) in zip((mnist.train, mnist.valid, mnist.test), parts):
        np.testing.assert_array_equal(split.x, x.astype(np.float64))
        np.testing.assert_array_equal(split.y, y)
        assert split.y.dtype == np.int32
    assert mnist.image_shape == (4, 4)


def test_pickle_errors_name_the_file(tmp_path):
    wrong = tmp_path / "mnist.pkl.gz"
    wrong.write_bytes(gzip.compress(b"this is not a pickle"))
    with pytest.raises(ValueError, match=r"mnist.pkl.gz: not a pickle of MNIST"):
        D.load_mnist(wrong)
    two_parts = tmp_path / "two.pkl.gz"
    two_parts.write_bytes(gzip.compress(pickle.dumps(([1], [2]))))
    with pytest.raises(ValueError, match=r"two.pkl.gz: expected \(\(train_x, train_y\)"):
        D.load_mnist(two_parts)
    bad_shapes = tmp_path / "shapes.pkl.gz"
    parts = ((np.zeros((3, 4)), np.zeros(2)), (np.zeros((1, 4)), np.zeros(1)),
             (np.zeros((1, 4)), np.zeros(1)))
    bad_shapes.write_bytes(gzip.compress(pickle.dumps(parts)))
    with pytest.raises(ValueError, match=r"shapes.pkl.gz: the train split .* \(3, 4\) and "
                                         r"\(2,\)"):
        D.load_mnist(bad_shapes)
    with pytest.raises(FileNotFoundError, match="missing.pkl.gz does not exist"):
        D.load_mnist(tmp_path / "missing.pkl.gz")


@pytest.mark.slow
def test_a_non_editable_build_carries_the_digits(tmp_path):
    """What setuptools copies into a wheel (build_py) includes the data file."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(D.__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q",
                    "egg_info", "--egg-base", str(tmp_path), "build_py", "--build-lib",
                    str(tmp_path / "lib")], cwd=root, check=True)
    data = tmp_path / "lib" / "minitheano" / "examples" / "data"
    assert (data / "digits.csv.gz").read_bytes() == D.DIGITS_FILE.read_bytes()
    assert (data / "LICENSE-digits.txt").exists()
