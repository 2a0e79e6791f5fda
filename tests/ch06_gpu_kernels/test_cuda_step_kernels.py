"""The kernels that keep a training step on the device, on the emulator against the
ops' own Python: the fused softmax cross-entropy and its gradient, a DimShuffle (a
view: shape and strides only) and Shape_i (a length read from the shape)."""

from __future__ import annotations

import numpy as np
import pytest
from ch06_helpers import Emulated, check_with_nvcc, layouts, run_python, tolerance

from minitheano import tensor as T
from minitheano.tensor.nnet.nnet import crossentropy_softmax, crossentropy_softmax_dx
from minitheano.tensor.shape import Shape_i

MATRICES = [(0, 3), (1, 1), (4, 5), (7, 33), (3, 300)]


@pytest.fixture(scope="module")
def step_kernels():
    names, nodes = [], []
    for dtype in ("float32", "float64"):
        x, y, g = T.matrix(dtype=dtype), T.ivector(), T.vector(dtype=dtype)
        nodes += [crossentropy_softmax(x, y)[0].owner, crossentropy_softmax_dx(g, x, y).owner]
        names += [("xent_sm", dtype), ("xent_sm_dx", dtype)]
    t3 = T.tensor3()
    nodes += [t3.dimshuffle(2, "x", 0, 1).owner, T.row().dimshuffle(1).owner,
              Shape_i(1)(t3).owner]
    names += [("view", "float64"), ("drop", "float64"), ("shape", "float64")]
    return names, nodes, Emulated(nodes)


def test_crossentropy_softmax_and_its_gradient(step_kernels):
    names, nodes, emu = step_kernels
    rng = np.random.default_rng(6)
    for dtype in ("float32", "float64"):
        forward, backward = names.index(("xent_sm", dtype)), names.index(("xent_sm_dx", dtype))
        for shape in MATRICES:
            x = np.asarray(rng.standard_normal(shape) * 30, dtype=dtype)  # exp overflows
            y = rng.integers(0, max(shape[1], 1), shape[0]).astype("int32")
            g = np.asarray(rng.standard_normal(shape[0]), dtype=dtype)
            expected = run_python(nodes[forward], x, y)
            expected_dx = run_python(nodes[backward], g, expected[1], y)
            for laid in layouts(x):
                for got, want in zip(emu.run(forward, laid, y), expected):
                    assert got.dtype == want.dtype and got.shape == want.shape
                    np.testing.assert_allclose(got, want, **tolerance(dtype),
                                               err_msg=f"{dtype} {shape}")
            for laid in layouts(expected[1]):
                (got,) = emu.run(backward, g, laid, y)
                np.testing.assert_allclose(got, expected_dx[0], **tolerance(dtype),
                                           err_msg=f"dx {dtype} {shape}")


def test_a_class_index_out_of_range_is_an_error(step_kernels):
    names, _, emu = step_kernels
    x, bad = np.zeros((2, 3)), np.array([0, 3], "int32")
    with pytest.raises(IndexError):
        emu.run(names.index(("xent_sm", "float64")), x, bad)
    with pytest.raises(IndexError):
        emu.run(names.index(("xent_sm_dx", "float64")), np.ones(2), x, np.array([-1, 0], "int32"))


def test_dimshuffle_is_a_view_and_shape_reads_no_data(step_kernels):
    names, nodes, emu = step_kernels
    x = np.arange(24.0).reshape(2, 3, 4)
    for laid in layouts(x):
        device_x = emu.device.place(laid)
        (view,) = emu.module.run(names.index(("view", "float64")), [device_x])
        assert np.shares_memory(emu.device.own(view), laid)  # no copy
        np.testing.assert_array_equal(emu.device.to_host(view), laid.transpose(2, 0, 1)[:, None])
        (length,) = emu.run(names.index(("shape", "float64")), laid)
        assert length.dtype == np.int64 and length.shape == () and length == 3
    (dropped,) = emu.run(names.index(("drop", "float64")), np.arange(5.0)[None])
    np.testing.assert_array_equal(dropped, np.arange(5.0))
    with pytest.raises(ValueError, match="cannot drop dimension 0 of length 2"):
        emu.run(names.index(("drop", "float64")), np.zeros((2, 5)))


def test_an_element_a_scalar_op_refuses_sets_the_flag_in_both_kernels():
    x, y = T.imatrix(), T.imatrix()
    emu = Emulated([(x ** y).owner])
    base = np.array([[2, 3], [4, 5]], "int32")
    good, bad = np.array([[1, 2], [0, 3]], "int32"), np.array([[1, 2], [-1, 3]], "int32")
    for laid in layouts(base)[:2]:  # contiguous (the _c kernel), Fortran order (_s)
        np.testing.assert_array_equal(emu.run(0, laid, good)[0], base ** good)
        with pytest.raises(ValueError, match="an input its scalar ops refuse"):
            emu.run(0, laid, bad)
    check_with_nvcc(emu.module.source)
