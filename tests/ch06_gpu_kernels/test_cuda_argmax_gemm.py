"""argmax/argmin and gemm as CUDA kernels on the emulator, against numpy.

argmax answers numpy's first best: ties and NaNs (the first NaN wins) are placed
where threads of a block meet, over every set of axes, in several dtypes and
layouts.  Gemm is the tiled product with `b*z + a*(x . y)` stored at the end, for
shapes that are and are not multiples of the tile, strided operands and scalars
of another dtype.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from ch06_helpers import Emulated, check_with_nvcc, layouts, run_python, tolerance

from minitheano import tensor as T
from minitheano.link.cuda.launch import reduction_block
from minitheano.tensor.blas import gemm_inplace, gemm_no_inplace
from minitheano.tensor.reduction import Argmax, Argmin

AXES = [axes for r in range(1, 4) for axes in itertools.combinations(range(3), r)]
DTYPES = ["float32", "float64", "int32", "int8"]
SHAPES = [(2, 3, 4), (1, 1, 1), (3, 33, 2), (2, 1, 300), (0, 2, 3)]


@pytest.fixture(scope="module")
def args():
    cases = [(op, dtype, axes) for op in (Argmax, Argmin) for dtype in DTYPES for axes in AXES]
    nodes = [op(axes)(T.tensor3(dtype=dtype)).owner for op, dtype, axes in cases]
    return cases, nodes, Emulated(nodes)


def few_values(rng, shape, dtype):
    """Values from a small set, so many elements tie for the best."""
    return rng.integers(-2, 3, shape).astype(dtype)


def test_argmax_argmin_every_axes_dtype_shape(args):
    cases, nodes, emu = args
    rng = np.random.default_rng(4)
    for i, (op, dtype, axes) in enumerate(cases):
        for shape in SHAPES:
            x = few_values(rng, shape, dtype)
            try:
                (expected,) = run_python(nodes[i], x)
            except ValueError:  # a position in an empty run: refused the same way
                with pytest.raises(ValueError):
                    emu.run(i, x)
                continue
            for laid in layouts(x)[:3] if shape == (2, 3, 4) else [x]:
                (got,) = emu.run(i, laid)
                assert got.dtype == np.int64 and got.shape == expected.shape
                np.testing.assert_array_equal(got, expected,
                                              err_msg=f"{op.__name__} {dtype} {axes} {shape}")


def test_the_first_best_wins_across_threads_and_the_tree(args):
    """Ties and NaNs placed so the first best is in a later thread, or a later
    half of the block, than an equal one at a larger position."""
    cases, nodes, emu = args
    n = 300  # more than a block: thread t sees t, t + 256
    assert reduction_block(n) == 256
    for op, want in ((Argmax, np.argmax), (Argmin, np.argmin)):
        i = cases.index((op, "float32", (2,)))
        x = np.zeros((1, 4, n), "float32")
        x[0, 0, [5, 261, 200]] = 7 if op is Argmax else -7       # 5 and 261: thread 5
        x[0, 1, [200, 257, 3]] = 7 if op is Argmax else -7       # 3 is first; 257 is thread 1
        x[0, 2, [299, 130, 40]] = np.nan                         # the first NaN wins
        x[0, 3, :] = 1.0                                         # all tied: position 0
        (got,) = emu.run(i, x)
        np.testing.assert_array_equal(got, want(x, axis=2))
        assert list(got[0]) == [5, 3, 40, 0]


@pytest.fixture(scope="module")
def gemms():
    cases = [(gemm, dtype, a_dtype) for gemm in (gemm_no_inplace, gemm_inplace)
             for dtype in ("float32", "float64") for a_dtype in ("float64", dtype)]
    nodes = [gemm(T.matrix(dtype=dtype), T.scalar(dtype=a_dtype), T.matrix(dtype=dtype),
                  T.matrix(dtype=dtype), T.scalar(dtype=a_dtype)).owner
             for gemm, dtype, a_dtype in cases]
    return cases, nodes, Emulated(nodes)


def test_gemm_against_numpy(gemms):
    cases, nodes, emu = gemms
    rng = np.random.default_rng(5)
    for i, (_, dtype, a_dtype) in enumerate(cases):
        for m, k, n in [(0, 3, 2), (3, 0, 2), (1, 1, 1), (16, 16, 16), (17, 33, 5)]:
            z, x, y = (np.asarray(rng.standard_normal(s), dtype=dtype)
                       for s in ((m, n), (m, k), (k, n)))
            a, b = np.array(-0.75, a_dtype), np.array(1.5, a_dtype)
            (expected,) = run_python(nodes[i], z.copy(), a, x, y, b)
            for lz, lx, ly in zip(layouts(z), layouts(x), layouts(y)):
                before = lz.copy()
                (got,) = emu.run(i, lz, a, lx, ly, b)
                np.testing.assert_array_equal(lz, before)  # z is read, never written
                assert got.dtype == expected.dtype and got.shape == expected.shape
                np.testing.assert_allclose(got, expected, **tolerance(dtype),
                                           err_msg=f"{dtype} {a_dtype} {m}x{k}x{n}")


def test_gemm_keeps_numpy_nans_and_checks_shapes(gemms):
    cases, nodes, emu = gemms
    i = cases.index((gemm_no_inplace, "float64", "float64"))
    z = np.array([[np.nan, 1.0]])
    (got,) = emu.run(i, z, np.array(1.0), np.ones((1, 3)), np.ones((3, 2)), np.array(0.0))
    np.testing.assert_array_equal(got, [[np.nan, 3.0]])  # 0 * nan is nan, as numpy's
    with pytest.raises(ValueError, match="do not fit"):
        emu.run(i, np.ones((2, 2)), np.array(1.0), np.ones((2, 3)), np.ones((2, 2)),
                np.array(1.0))


@pytest.mark.slow  # nvcc on a cold cache (test_nvcc.py checks one of each by default)
def test_every_kernel_of_this_module_compiles_with_nvcc(args, gemms):
    check_with_nvcc(args[2].module.source)
    check_with_nvcc(gemms[2].module.source)
