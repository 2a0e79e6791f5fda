"""Reductions, softmaxes, the cross-entropy and the matrix product as CUDA kernels on
the emulator, against numpy.

Every fold over every set of axes of a 3-d array, in several dtypes and layouts; reduced
lengths of 0, 1, 31, 33 and 300 (not multiples of a warp or a block, and more than a
block: each thread folds several elements before the tree).  Each run with barriers is
done three times by the emulator (thread orders, poisons) and must agree to the bit.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from ch06_helpers import Emulated, check_with_nvcc, layouts, run_python, tolerance

from minitheano import tensor as T
from minitheano.link.cuda.launch import reduction_block
from minitheano.tensor import nnet
from minitheano.tensor.reduction import Max, Min, Prod, Sum

FOLDS = {"sum": Sum, "prod": Prod, "max": Max, "min": Min}
AXES = [axes for r in range(4) for axes in itertools.combinations(range(3), r)]
DTYPES = ["float32", "float64", "int32"]
SHAPES = [(2, 3, 4), (1, 1, 1), (3, 33, 2), (2, 1, 300), (0, 2, 3), (3, 0, 2)]


def data(rng, shape, dtype):
    if dtype == "int32":
        return rng.integers(-3, 4, shape).astype(dtype)
    return np.asarray(rng.uniform(0.5, 1.5, shape), dtype=dtype)  # products stay finite


@pytest.fixture(scope="module")
def reductions():
    cases = [(fold, dtype, axes) for fold in FOLDS for dtype in DTYPES for axes in AXES]
    nodes = [FOLDS[fold](axes)(T.tensor3(dtype=dtype)).owner for fold, dtype, axes in cases]
    return cases, nodes, Emulated(nodes)


def test_every_fold_axes_dtype_shape(reductions):
    cases, nodes, emu = reductions
    rng = np.random.default_rng(1)
    for i, (fold, dtype, axes) in enumerate(cases):
        for shape in SHAPES:
            x = data(rng, shape, dtype)
            empty = any(shape[a] == 0 for a in axes) or (not axes and 0 in shape)
            if fold in ("max", "min") and empty and x.size == 0 and axes:
                with pytest.raises(ValueError):
                    emu.run(i, x)
                continue
            (expected,) = run_python(nodes[i], x)
            for laid in layouts(x)[:3] if shape == (2, 3, 4) else [x]:
                (got,) = emu.run(i, laid)
                assert got.dtype == expected.dtype and got.shape == expected.shape
                np.testing.assert_allclose(got, expected, **tolerance(dtype),
                                           err_msg=f"{fold} {dtype} {axes} {shape}")


def test_block_size_follows_the_reduced_length():
    assert [reduction_block(n) for n in (0, 1, 32, 33, 100, 256, 10_000)] == \
        [32, 32, 32, 64, 128, 256, 256]


@pytest.fixture(scope="module")
def nnets():
    nodes, names = [], []
    for dtype in ("float32", "float64"):
        x, y = T.matrix(dtype=dtype), T.ivector()
        g = T.vector(dtype=dtype)
        nodes += [nnet.softmax(x).owner, nnet.logsoftmax(x).owner,
                  nnet.crossentropy_categorical_1hot(x, y).owner,
                  nnet.crossentropy_categorical_1hot_grad(g, x, y).owner,
                  T.dot(x, T.matrix(dtype=dtype)).owner]
        names += [(n, dtype) for n in ("softmax", "logsoftmax", "xent", "xent_grad", "dot")]
    return names, nodes, Emulated(nodes)


MATRICES = [(0, 3), (1, 1), (4, 5), (7, 33), (3, 300)]


def test_softmax_and_crossentropy(nnets):
    names, nodes, emu = nnets
    rng = np.random.default_rng(2)
    for i, (name, dtype) in enumerate(names):
        if name == "dot":
            continue
        for shape in MATRICES:
            x = np.asarray(rng.uniform(0.05, 1, shape) * 5, dtype=dtype)
            y = rng.integers(0, shape[1], shape[0]).astype("int32")
            g = np.asarray(rng.standard_normal(shape[0]), dtype=dtype)
            args = {"softmax": [x], "logsoftmax": [x], "xent": [x, y],
                    "xent_grad": [g, x, y]}[name]
            (expected,) = run_python(nodes[i], *args)
            for laid in layouts(x):
                args[-2 if name == "xent" else -1 if name.endswith("max") else 1] = laid
                (got,) = emu.run(i, *args)
                np.testing.assert_allclose(got, expected, **tolerance(dtype),
                                           err_msg=f"{name} {dtype} {shape}")


def test_class_index_out_of_range_is_an_error(nnets):
    names, _, emu = nnets
    i = names.index(("xent", "float32"))
    with pytest.raises(IndexError):
        emu.run(i, np.full((2, 3), 0.5, "float32"), np.array([0, 3], "int32"))


def test_tiled_dot(nnets):
    names, nodes, emu = nnets
    rng = np.random.default_rng(3)
    for dtype in ("float32", "float64"):
        i = names.index(("dot", dtype))
        for m, k, n in [(0, 3, 2), (3, 0, 2), (1, 1, 1), (16, 16, 16), (17, 33, 5), (40, 7, 50)]:
            a = np.asarray(rng.standard_normal((m, k)), dtype=dtype)
            b = np.asarray(rng.standard_normal((k, n)), dtype=dtype)
            for la, lb in zip(layouts(a), layouts(b)):
                (got,) = emu.run(i, la, lb)
                np.testing.assert_allclose(got, a @ b, rtol=1e-4 if dtype == "float32"
                                           else 1e-12, atol=1e-5 if dtype == "float32"
                                           else 1e-12, err_msg=f"{dtype} {m}x{k}x{n}")
        with pytest.raises(ValueError, match="not aligned"):
            emu.run(i, np.ones((2, 3), dtype), np.ones((2, 3), dtype))


@pytest.mark.slow  # ~30 s of nvcc on a cold cache (test_nvcc.py checks a sample by default)
def test_every_kernel_of_this_module_compiles_with_nvcc(reductions, nnets):
    check_with_nvcc(reductions[2].module.source)
    check_with_nvcc(nnets[2].module.source)
