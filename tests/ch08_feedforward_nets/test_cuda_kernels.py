"""Chapter 8's own CUDA kernels (conv2d's im2col / gemm / col2im, pool_2d and its
gradients, the Philox generator), run by chapter 6's CPU emulator from the text nvcc
compiles: against the plain-loop references of ch08_reference.py, over border modes,
strides, dilations, odd sizes, batch 1 and channels 1 and 3; the generator bit for bit
against the CPU's; the text through nvcc (skipped, saying why, without it)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from ch08_reference import conv2d_reference, pads_of, pool_reference
from hypothesis import given, settings
from hypothesis import strategies as st

from minitheano.link.cuda import nvcc
from minitheano.link.cuda.emulator import EmulatedDevice
from minitheano.link.cuda.op_kernels import OpKernels, functions
from minitheano.sandbox import philox_cuda
from minitheano.sandbox.philox import random_words, uniform_from_words
from minitheano.sandbox.rng_mrg import PhiloxUniform
from minitheano.tensor.nnet import conv_cuda
from minitheano.tensor.nnet.abstract_conv import (
    AbstractConv2d,
    AbstractConv2d_gradInputs,
    AbstractConv2d_gradWeights,
)
from minitheano.tensor.signal import pool_cuda
from minitheano.tensor.signal.pool import MODES, AveragePoolGrad, MaxPoolGrad, Pool

DEVICE = EmulatedDevice()


@pytest.fixture(scope="module")
def conv_gpu():
    return OpKernels(DEVICE, conv_cuda.SOURCE)


@pytest.fixture(scope="module")
def pool_gpu():
    return OpKernels(DEVICE, pool_cuda.SOURCE)


def on_device(*arrays):
    return [DEVICE.place(np.asarray(a)) for a in arrays]


def close(dtype):
    return {"rtol": 1e-5, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-11, "atol": 1e-12}


# -- conv2d -------------------------------------------------------------------------------

def conv_grads_reference(x, w, top, pad, stride, dilation, flip):
    """d sum(top * conv(x, w)) / d w and / d x, from the plain-loop forward pass alone:
    conv is linear in each argument, so each entry of a gradient is the forward pass of a
    unit array, dotted with top."""
    def unit(shape, index):
        e = np.zeros(shape)
        e[index] = 1
        return e
    d_w = np.array([np.sum(top * conv2d_reference(x, unit(w.shape, i), pad, stride, dilation,
                                                  flip)) for i in np.ndindex(*w.shape)])
    d_x = np.array([np.sum(top * conv2d_reference(unit(x.shape, i), w, pad, stride, dilation,
                                                  flip)) for i in np.ndindex(*x.shape)])
    return d_w.reshape(w.shape), d_x.reshape(x.shape)


def run_conv(gpu, x, w, top, border_mode, subsample, dilation, flip):
    params = (None, None, border_mode, subsample, flip, dilation)
    out = conv_cuda.forward(AbstractConv2d(*params), gpu, *on_device(x, w))
    d_w = conv_cuda.grad_weights(AbstractConv2d_gradWeights(*params), gpu,
                                 *on_device(x, top, np.array(w.shape[2:])))
    d_x = conv_cuda.grad_inputs(AbstractConv2d_gradInputs(*params), gpu,
                                *on_device(w, top, np.array(x.shape[2:])))
    return [DEVICE.to_host(v) for v in (out, d_w, d_x)]


CONV_CASES = [
    # (batch, channels, rows, cols), (filters, filter rows, filter cols), border, stride, dilation
    ((1, 1, 5, 5), (1, 3, 3), "valid", (1, 1), (1, 1)),
    ((2, 3, 7, 6), (4, 3, 2), "valid", (2, 3), (1, 1)),
    ((1, 3, 6, 5), (2, 2, 3), "full", (1, 1), (1, 1)),
    ((2, 1, 5, 7), (3, 3, 3), "half", (1, 1), (2, 1)),
    ((1, 3, 7, 7), (2, 3, 3), "half", (2, 2), (1, 1)),
    ((2, 1, 6, 5), (2, 2, 2), (1, 2), (1, 2), (1, 1)),
    ((1, 3, 9, 8), (2, 2, 3), "full", (3, 2), (2, 2)),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[3]}-{c[4]}")
@pytest.mark.parametrize("flip", [True, False])
def test_conv2d_kernels_match_the_plain_loops(conv_gpu, case, flip):
    image_shape, (k, kh, kw), border_mode, stride, dilation = case
    rng = np.random.default_rng(sum(image_shape) + k)
    x = rng.normal(size=image_shape)
    w = rng.normal(size=(k, image_shape[1], kh, kw))
    pad = pads_of(border_mode, (kh, kw), dilation)
    expected = conv2d_reference(x, w, pad, stride, dilation, flip)
    top = rng.normal(size=expected.shape)
    out, d_w, d_x = run_conv(conv_gpu, x, w, top, border_mode, stride, dilation, flip)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    ref_w, ref_x = conv_grads_reference(x, w, top, pad, stride, dilation, flip)
    np.testing.assert_allclose(d_w, ref_w, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(d_x, ref_x, rtol=1e-11, atol=1e-11)


def test_conv2d_kernels_in_float32_and_any_input_layout(conv_gpu):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 3, 6, 5)).astype("float32")
    w = rng.normal(size=(2, 3, 3, 3)).astype("float32")
    expected = conv2d_reference(x, w, (1, 1))
    top = rng.normal(size=expected.shape).astype("float32")
    # a Fortran-ordered image and every other filter of a bigger bank: copied, then read
    wide = np.zeros((4, 3, 3, 3), dtype="float32")
    wide[::2] = w
    out, d_w, d_x = run_conv(conv_gpu, np.asfortranarray(x), wide[::2], top, "half", (1, 1),
                             (1, 1), True)
    assert out.dtype == d_w.dtype == d_x.dtype == np.float32
    np.testing.assert_allclose(out, expected, **close("float32"))
    ref_w, ref_x = conv_grads_reference(x, w, top, (1, 1), (1, 1), (1, 1), True)
    np.testing.assert_allclose(d_w, ref_w, **close("float32"))
    np.testing.assert_allclose(d_x, ref_x, **close("float32"))


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 2), st.integers(1, 3), st.integers(2, 7), st.integers(2, 7),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 2),
       st.integers(0, 2), st.booleans())
def test_conv2d_kernels_on_generated_geometries(n, c, h, w, kh, kw, stride, dilation, pad,
                                                flip):
    gpu = OpKernels(DEVICE, conv_cuda.SOURCE)  # compiled once per process: cheap
    if h + 2 * pad < dilation * (kh - 1) + 1 or w + 2 * pad < dilation * (kw - 1) + 1:
        return  # the filter does not fit: the op refuses it (tested below)
    rng = np.random.default_rng(n * 1000 + h * 100 + w * 10 + kh)
    x, k = rng.normal(size=(n, c, h, w)), rng.normal(size=(2, c, kh, kw))
    expected = conv2d_reference(x, k, (pad, pad), (stride, stride), (dilation, dilation), flip)
    out = conv_cuda.forward(AbstractConv2d(None, None, (pad, pad), (stride, stride), flip,
                                           (dilation, dilation)), gpu, *on_device(x, k))
    np.testing.assert_allclose(DEVICE.to_host(out), expected, rtol=1e-12, atol=1e-12)


def test_conv2d_on_the_device_refuses_shapes_that_do_not_fit(conv_gpu):
    x, w = np.zeros((1, 3, 4, 4)), np.zeros((2, 2, 3, 3))
    with pytest.raises(ValueError, match="the input has 3 channels but the filters expect 2"):
        conv_cuda.forward(AbstractConv2d(), conv_gpu, *on_device(x, w))
    with pytest.raises(ValueError, match="fewer than the 5 that one filter covers"):
        conv_cuda.forward(AbstractConv2d(), conv_gpu, *on_device(x, np.zeros((2, 3, 5, 5))))
    top = np.zeros((1, 2, 3, 3))  # valid 3x3 on 4x4 gives 2x2
    with pytest.raises(ValueError, match=r"the output gradient has shape \(1, 2, 3, 3\)"):
        conv_cuda.grad_inputs(AbstractConv2d_gradInputs(), conv_gpu,
                              *on_device(np.zeros((2, 3, 3, 3)), top, np.array([4, 4])))


# -- pool_2d ------------------------------------------------------------------------------

def max_pool_grad_reference(x, pooled, gz, ws, stride, pad):
    """Each window's gradient on its first largest pixel (row by row), inside the image."""
    grad = np.zeros_like(x, dtype=np.float64)
    flat, g_flat = x.reshape(-1, *x.shape[-2:]), grad.reshape(-1, *x.shape[-2:])
    p_flat, gz_flat = pooled.reshape(-1, *pooled.shape[-2:]), gz.reshape(-1, *gz.shape[-2:])
    for m, i, j in np.ndindex(*p_flat.shape):
        cells = [(i * stride[0] + a - pad[0], j * stride[1] + b - pad[1])
                 for a in range(ws[0]) for b in range(ws[1])]
        cells = [(r, c) for r, c in cells if 0 <= r < x.shape[-2] and 0 <= c < x.shape[-1]]
        r, c = next(rc for rc in cells if flat[m][rc] == p_flat[m, i, j])
        g_flat[m, r, c] += gz_flat[m, i, j]
    return grad


def average_pool_grad_reference(x, gz, params):
    """The transpose of a linear map, column by column: pooling each unit image."""
    grad = np.zeros(x.shape)
    for index in np.ndindex(*x.shape):
        e = np.zeros(x.shape)
        e[index] = 1
        grad[index] = np.sum(gz * pool_reference(e, *params))
    return grad


POOL_GEOMETRIES = [
    # shape, ws, stride, pad, ignore_border
    ((1, 1, 5, 5), (2, 2), (2, 2), (0, 0), False),
    ((2, 3, 7, 6), (3, 2), (1, 1), (0, 0), True),
    ((1, 3, 6, 7), (2, 3), (2, 1), (1, 1), True),
    ((2, 1, 5, 4), (3, 3), (2, 2), (0, 0), False),
    ((3, 4, 4), (2, 2), (3, 3), (1, 0), True),
]


@pytest.mark.parametrize("geometry", POOL_GEOMETRIES, ids=str)
@pytest.mark.parametrize("mode", MODES)
def test_pool_kernels_match_the_plain_loops(pool_gpu, geometry, mode):
    shape, ws, stride, pad, ignore_border = geometry
    rng = np.random.default_rng(len(mode) + sum(shape))
    x = rng.integers(-3, 4, size=shape).astype("float64")  # ties: the first max takes all
    params = (ws, ignore_border, stride, pad, mode)
    pooled = DEVICE.to_host(pool_cuda.run(Pool(*params), pool_gpu, on_device(x)))
    expected = pool_reference(x, ws, ignore_border, stride, pad, mode)
    np.testing.assert_allclose(pooled, expected, rtol=1e-14)
    gz = rng.normal(size=expected.shape)
    if mode == "max":
        grad = pool_cuda.run(MaxPoolGrad(*params), pool_gpu, on_device(x, pooled, gz))
        reference = max_pool_grad_reference(x, expected, gz, ws, stride, pad)
    else:
        grad = pool_cuda.run(AveragePoolGrad(*params), pool_gpu, on_device(x, gz))
        reference = average_pool_grad_reference(x, gz, (ws, ignore_border, stride, pad, mode))
    np.testing.assert_allclose(DEVICE.to_host(grad), reference, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("mode", MODES)
def test_pool_kernels_in_float32_agree_with_the_cpu_ops(pool_gpu, mode):
    rng = np.random.default_rng(3)
    x = np.asfortranarray(rng.normal(size=(2, 3, 7, 5)).astype("float32"))
    op = Pool((2, 3), True, (2, 2), (1, 1), mode)
    pooled = DEVICE.to_host(pool_cuda.run(op, pool_gpu, on_device(x)))
    np.testing.assert_allclose(pooled, op.compute(x), **close("float32"))
    gz = rng.normal(size=pooled.shape).astype("float32")
    if mode == "max":
        grad_op, inputs = MaxPoolGrad(*op.params()), (x, pooled, gz)
    else:
        grad_op, inputs = AveragePoolGrad(*op.params()), (x, gz)
    grad = DEVICE.to_host(pool_cuda.run(grad_op, pool_gpu, on_device(*inputs)))
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, grad_op.compute(*inputs), **close("float32"))


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(MODES), st.integers(1, 2), st.integers(2, 7), st.integers(2, 7),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.booleans(), st.booleans())
def test_pool_kernels_on_generated_windows(mode, m, h, w, ws0, ws1, st0, st1, ignore_border,
                                           padded):
    gpu = OpKernels(DEVICE, pool_cuda.SOURCE)  # compiled once per process: cheap
    pad = (ws0 // 2, ws1 // 2) if padded and ignore_border else (0, 0)
    op = Pool((ws0, ws1), ignore_border, (st0, st1), pad, mode)
    x = np.random.default_rng(h * 10 + w).integers(-2, 3, size=(m, h, w)).astype("float64")
    expected = pool_reference(x, op.ws, ignore_border, op.stride, pad, mode)
    pooled = DEVICE.to_host(pool_cuda.run(op, gpu, on_device(x)))
    np.testing.assert_allclose(pooled, expected, rtol=1e-14)
    gz = np.linspace(-1, 1, pooled.size).reshape(pooled.shape)
    if mode == "max":
        grad_op, inputs = MaxPoolGrad(*op.params()), (x, pooled, gz)
    else:
        grad_op, inputs = AveragePoolGrad(*op.params()), (x, gz)
    grad = DEVICE.to_host(pool_cuda.run(grad_op, gpu, on_device(*inputs)))
    np.testing.assert_allclose(grad, grad_op.compute(*inputs), rtol=1e-12, atol=1e-14)


def test_pool_kernels_refuse_a_gradient_of_the_wrong_shape(pool_gpu):
    x = np.zeros((1, 1, 4, 4))
    op = AveragePoolGrad((2, 2), True, None, (0, 0), "sum")
    with pytest.raises(ValueError, match=r"the output gradient has shape \(1, 1, 3, 3\)"):
        pool_cuda.run(op, pool_gpu, on_device(x, np.zeros((1, 1, 3, 3))))


# -- the Philox generator -----------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(0,), (1,), (7,), (3, 5), (2, 3, 17)])
def test_philox_kernel_draws_the_cpus_numbers_bit_for_bit(dtype, shape):
    gpu = OpKernels(DEVICE, philox_cuda.SOURCE)
    key, call = 0x9ABCDEF012345678, (7 << 32) | 5  # both words of each in use
    state = np.array([key, call], dtype=np.uint64)
    next_state, sample = philox_cuda.draw(PhiloxUniform(dtype, len(shape)), gpu,
                                          *on_device(state, np.array(shape)))
    n = int(np.prod(shape))
    words = random_words((key & 0xFFFFFFFF, key >> 32), call, n * (1 if dtype == "float32"
                                                                   else 2))
    expected = uniform_from_words(words, dtype).reshape(shape)
    sample = DEVICE.to_host(sample)
    assert sample.dtype == expected.dtype and sample.shape == shape
    assert sample.tobytes() == expected.tobytes()
    np.testing.assert_array_equal(DEVICE.to_host(next_state), [key, call + 1])


def test_philox_kernel_refuses_a_bad_size():
    gpu = OpKernels(DEVICE, philox_cuda.SOURCE)
    state = np.array([1, 0], dtype=np.uint64)
    with pytest.raises(ValueError, match=r"size \[2, -1\] is not a shape of 2 dimensions"):
        philox_cuda.draw(PhiloxUniform("float32", 2), gpu, *on_device(state, np.array([2, -1])))


# -- the text itself ----------------------------------------------------------------------

def test_kernel_heads_are_read_back_from_the_text():
    kernels = {f.name: f for f in functions(conv_cuda.SOURCE)}
    assert set(kernels) == {f"{k}_{t}" for k, t in itertools.product(
        ("im2col", "col2im", "gemm", "swap01"), ("float", "double"))}
    assert kernels["gemm_float"].barriers and not kernels["im2col_float"].barriers
    assert kernels["gemm_double"].params[-1] == ("double *", "c")
    assert kernels["im2col_float"].params[0] == ("long", "total")
    with pytest.raises(ValueError, match="has no"):
        functions("int main() {}")


def test_the_kernels_compile_with_nvcc():
    problem = nvcc.nvcc_problem()
    if problem:
        pytest.skip(problem)
    source = "\n".join([conv_cuda.SOURCE, pool_cuda.SOURCE, philox_cuda.SOURCE])
    facts = nvcc.compile_check(source)
    for arch in nvcc.ARCHS:
        # the tiled product: one barrier, two TILE x TILE tiles in shared memory
        assert facts[("gemm_float", arch)].barriers == 1
        assert facts[("gemm_float", arch)].shared_bytes == 2 * conv_cuda.TILE ** 2 * 4
        assert facts[("gemm_double", arch)].shared_bytes == 2 * conv_cuda.TILE ** 2 * 8
        for name in ("im2col_float", "col2im_double", "pool_float", "max_pool_grad_double",
                     "average_pool_grad_float", "philox_uniform_float"):
            assert facts[(name, arch)].barriers == 0 and facts[(name, arch)].shared_bytes == 0
