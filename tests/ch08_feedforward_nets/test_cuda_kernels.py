"""Chapter 8's layers on the device, printed by chapter 6's printer: conv2d (im2col or
col2im, the tiled product, a transposing copy), pool_2d and its gradient (a window fold, a
gathering gradient), the Philox draws.  Run by chapter 6's CPU emulator from the text nvcc
compiles, against the plain-loop references of ch08_reference.py over border modes,
strides, dilations, odd sizes, batch 1 and channels 1 and 3; the draws bit for bit against
the CPU's; the text through nvcc (skipped, saying why, without it).

One emulated module holds every text the tests need (each emulated compile is a g++ run
of seconds): a layer's geometry is launch arguments, not text, so a description runs
under the name of the module's kernel printed with the same text (`run` checks that).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from ch08_reference import conv2d_reference, pads_of, pool_reference
from hypothesis import given, settings
from hypothesis import strategies as st

from minitheano.link.cuda import layer_launch, nvcc
from minitheano.link.cuda.emulator import EmulatedDevice
from minitheano.link.cuda.printer import TILE, CudaPrinter
from minitheano.link.cuda.thunk import CudaModule
from minitheano.sandbox.philox import random_words, uniform_from_words
from minitheano.sandbox.rng_mrg import PhiloxUniform, state_type
from minitheano.tensor import dtensor4, ftensor4, lvector
from minitheano.tensor.kernel import ConvKernel, PhiloxKernel, PoolKernel
from minitheano.tensor.nnet.abstract_conv import (
    AbstractConv2d,
    AbstractConv2d_gradInputs,
    AbstractConv2d_gradWeights,
)
from minitheano.tensor.signal.pool import MODES, AveragePoolGrad, MaxPoolGrad, Pool

DEVICE = EmulatedDevice()
CONV_OPS = {"forward": AbstractConv2d, "grad_weights": AbstractConv2d_gradWeights,
            "grad_inputs": AbstractConv2d_gradInputs}


def conv_kernel(op_class, dtype="float64", **params):
    """The description `op_class(**params)` gives its node of `dtype` (the op's own kernel())."""
    tensor4 = dtensor4 if dtype == "float64" else ftensor4
    op = op_class(**params)
    node = (op(tensor4(), tensor4()) if op_class is AbstractConv2d
            else op(tensor4(), tensor4(), lvector())).owner
    return op.kernel(node)


def pool_kernel(op, dtype="float64"):
    tensor4 = dtensor4 if dtype == "float64" else ftensor4
    inputs = {Pool: 1, MaxPoolGrad: 3, AveragePoolGrad: 2}[type(op)]
    node = op(*[tensor4() for _ in range(inputs)]).owner
    return op.kernel(node)


def philox_kernel(dtype, ndim):
    op = PhiloxUniform(dtype, ndim)
    return op.kernel(op(state_type(), lvector())[0].owner)


def _text_key(kernel):
    """What a kernel's text depends on (the rest is launch arguments)."""
    if isinstance(kernel, ConvKernel):
        return ("conv", kernel.pass_, kernel.dtype, kernel.flip)
    if isinstance(kernel, PoolKernel):
        return ("pool", kernel.mode, kernel.dtype, kernel.grad)
    return ("philox", kernel.dtype)


def _module_kernels():
    kernels = [conv_kernel(CONV_OPS[p], "float64", filter_flip=flip)
               for p in CONV_OPS for flip in (True, False)]
    kernels += [conv_kernel(CONV_OPS[p], "float32") for p in CONV_OPS]
    for dtype in ("float64", "float32"):
        for mode in MODES:
            kernels.append(pool_kernel(Pool((2, 2), mode=mode), dtype))
            grad = MaxPoolGrad if mode == "max" else AveragePoolGrad
            kernels.append(pool_kernel(grad((2, 2), mode=mode), dtype))
    kernels += [philox_kernel(dtype, 1) for dtype in ("float32", "float64")]
    return kernels


# Built at first use, not at import: collection must never build graphs (a blanked
# exercise would then break the collection of every test).
@functools.cache
def module_kernels() -> list:
    return _module_kernels()


@functools.cache
def kernel_names() -> dict:
    return {_text_key(k): f"k{i}" for i, k in enumerate(module_kernels())}


@pytest.fixture(scope="module")
def module():
    return CudaModule(module_kernels(), DEVICE)


def run(module, kernel, *arrays):
    """`kernel` on host arrays (placed on the device as they are, strides and all),
    under the name of the module's kernel printed with the same text; host outputs."""
    name = kernel_names()[_text_key(kernel)]
    printed = {f.name: f.text for f in module.functions}
    for f in CudaPrinter().functions(name, kernel):
        assert printed[f.name] == f.text  # the geometry did not change the text
    plan = layer_launch.plan(DEVICE, name, kernel, [DEVICE.place(np.asarray(a)) for a in arrays])
    DEVICE.run(module.compiled, plan)
    return [DEVICE.to_host(o) for o in plan.outputs]


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


def run_conv(module, x, w, top, border_mode, subsample, dilation, flip, dtype="float64"):
    params = dict(border_mode=border_mode, subsample=subsample, filter_dilation=dilation,
                  filter_flip=flip)
    (out,) = run(module, conv_kernel(AbstractConv2d, dtype, **params), x, w)
    (d_w,) = run(module, conv_kernel(AbstractConv2d_gradWeights, dtype, **params), x, top,
                 np.array(w.shape[2:]))
    (d_x,) = run(module, conv_kernel(AbstractConv2d_gradInputs, dtype, **params), w, top,
                 np.array(x.shape[2:]))
    return out, d_w, d_x


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
def test_conv2d_kernels_match_the_plain_loops(module, case, flip):
    image_shape, (k, kh, kw), border_mode, stride, dilation = case
    rng = np.random.default_rng(sum(image_shape) + k)
    x = rng.normal(size=image_shape)
    w = rng.normal(size=(k, image_shape[1], kh, kw))
    pad = pads_of(border_mode, (kh, kw), dilation)
    expected = conv2d_reference(x, w, pad, stride, dilation, flip)
    top = rng.normal(size=expected.shape)
    out, d_w, d_x = run_conv(module, x, w, top, border_mode, stride, dilation, flip)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    ref_w, ref_x = conv_grads_reference(x, w, top, pad, stride, dilation, flip)
    np.testing.assert_allclose(d_w, ref_w, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(d_x, ref_x, rtol=1e-11, atol=1e-11)


def test_conv2d_kernels_in_float32_and_any_input_layout(module):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(2, 3, 6, 5)).astype("float32")
    w = rng.normal(size=(2, 3, 3, 3)).astype("float32")
    expected = conv2d_reference(x, w, (1, 1))
    top = rng.normal(size=expected.shape).astype("float32")
    # a Fortran-ordered image, every other filter of a bigger bank, a transposed gradient
    wide = np.zeros((4, 3, 3, 3), dtype="float32")
    wide[::2] = w
    top_t = np.ascontiguousarray(top.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    out, d_w, d_x = run_conv(module, np.asfortranarray(x), wide[::2], top_t, "half", (1, 1),
                             (1, 1), True, "float32")
    assert out.dtype == d_w.dtype == d_x.dtype == np.float32
    np.testing.assert_allclose(out, expected, **close("float32"))
    ref_w, ref_x = conv_grads_reference(x, w, top, (1, 1), (1, 1), (1, 1), True)
    np.testing.assert_allclose(d_w, ref_w, **close("float32"))
    np.testing.assert_allclose(d_x, ref_x, **close("float32"))


@settings(max_examples=12, deadline=None)
@given(st.integers(1, 2), st.sampled_from([1, 3]), st.integers(2, 7), st.integers(2, 7),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 2),
       st.integers(0, 2), st.booleans())
def test_conv2d_kernels_on_generated_geometries(module, n, c, h, w, kh, kw, stride, dilation,
                                                pad, flip):
    if h + 2 * pad < dilation * (kh - 1) + 1 or w + 2 * pad < dilation * (kw - 1) + 1:
        return  # the filter does not fit: refused (tested below)
    rng = np.random.default_rng(n * 1000 + h * 100 + w * 10 + kh)
    x, k = rng.normal(size=(n, c, h, w)), rng.normal(size=(2, c, kh, kw))
    geometry = ((pad, pad), (stride, stride), (dilation, dilation), flip)
    expected = conv2d_reference(x, k, *geometry)
    top = rng.normal(size=expected.shape)
    out, d_w, d_x = run_conv(module, x, k, top, *geometry)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)
    ref_w, ref_x = conv_grads_reference(x, k, top, *geometry)
    np.testing.assert_allclose(d_w, ref_w, rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(d_x, ref_x, rtol=1e-11, atol=1e-11)


def test_conv2d_on_the_device_refuses_shapes_that_do_not_fit():
    x, w = DEVICE.place(np.zeros((1, 3, 4, 4))), DEVICE.place(np.zeros((2, 2, 3, 3)))
    forward = conv_kernel(AbstractConv2d)
    with pytest.raises(ValueError, match="the input has 3 channels but the filters expect 2"):
        layer_launch.plan(DEVICE, "k", forward, [x, w])
    with pytest.raises(ValueError, match="fewer than the 5 that one filter covers"):
        layer_launch.plan(DEVICE, "k", forward, [x, DEVICE.place(np.zeros((2, 3, 5, 5)))])
    top = DEVICE.place(np.zeros((1, 2, 3, 3)))  # valid 3x3 on 4x4 gives 2x2
    with pytest.raises(ValueError, match=r"the output gradient has shape \(1, 2, 3, 3\)"):
        layer_launch.plan(DEVICE, "k", conv_kernel(AbstractConv2d_gradInputs),
                          [DEVICE.place(np.zeros((2, 3, 3, 3))), top,
                           DEVICE.place(np.array([4, 4]))])
    declared = conv_kernel(AbstractConv2d, imshp=(1, 3, 5, 5))
    with pytest.raises(ValueError, match="was declared"):
        layer_launch.plan(DEVICE, "k", declared, [x, DEVICE.place(np.zeros((2, 3, 3, 3)))])


# -- pool_2d ------------------------------------------------------------------------------

def max_pool_grad_reference(x, pooled, gz, ws, stride, pad):
    """Each window's gradient on its first largest pixel (row by row), inside the image."""
    grad = np.zeros_like(x, dtype=np.float64)
    if pooled.size == 0:  # no window at all: no gradient
        return grad
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


def run_pool(module, x, params, dtype="float64", gz=None):
    """Pooled x, and its gradient for `gz` (default: a fixed ramp)."""
    op = Pool(*params)
    (pooled,) = run(module, pool_kernel(op, dtype), x)
    if gz is None:
        gz = np.linspace(-1, 1, pooled.size).reshape(pooled.shape).astype(dtype)
    if op.mode == "max":
        grad_op, inputs = MaxPoolGrad(*params), (x, pooled, gz)
    else:
        grad_op, inputs = AveragePoolGrad(*params), (x, gz)
    (grad,) = run(module, pool_kernel(grad_op, dtype), *inputs)
    return pooled, grad, gz


@pytest.mark.parametrize("geometry", POOL_GEOMETRIES, ids=str)
@pytest.mark.parametrize("mode", MODES)
def test_pool_kernels_match_the_plain_loops(module, geometry, mode):
    shape, ws, stride, pad, ignore_border = geometry
    rng = np.random.default_rng(len(mode) + sum(shape))
    x = rng.integers(-3, 4, size=shape).astype("float64")  # ties: the first max takes all
    params = (ws, ignore_border, stride, pad, mode)
    expected = pool_reference(x, ws, ignore_border, stride, pad, mode)
    pooled, grad, gz = run_pool(module, x, params, gz=rng.normal(size=expected.shape))
    np.testing.assert_allclose(pooled, expected, rtol=1e-14)
    if mode == "max":
        reference = max_pool_grad_reference(x, expected, gz, ws, stride, pad)
    else:
        reference = average_pool_grad_reference(x, gz, params)
    np.testing.assert_allclose(grad, reference, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("mode", MODES)
def test_pool_kernels_in_float32_agree_with_the_cpu_ops(module, mode):
    rng = np.random.default_rng(3)
    x = np.asfortranarray(rng.normal(size=(2, 3, 7, 5)).astype("float32"))
    params = ((2, 3), True, (2, 2), (1, 1), mode)
    pooled, grad, gz = run_pool(module, x, params, "float32")
    np.testing.assert_allclose(pooled, Pool(*params).compute(x), **close("float32"))
    grad_op = MaxPoolGrad(*params) if mode == "max" else AveragePoolGrad(*params)
    inputs = (x, pooled, gz) if mode == "max" else (x, gz)
    assert grad.dtype == np.float32
    np.testing.assert_allclose(grad, grad_op.compute(*inputs), **close("float32"))


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(MODES), st.integers(1, 2), st.sampled_from([1, 3]), st.integers(1, 7),
       st.integers(1, 7), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.integers(1, 3), st.booleans(), st.booleans())
def test_pool_kernels_on_generated_windows(module, mode, batch, channels, h, w, ws0, ws1, st0,
                                           st1, ignore_border, padded):
    pad = (ws0 // 2, ws1 // 2) if padded and ignore_border else (0, 0)
    params = ((ws0, ws1), ignore_border, (st0, st1), pad, mode)
    x = np.random.default_rng(h * 10 + w).integers(-2, 3, size=(batch, channels, h, w))
    x = x.astype("float64")
    pooled, grad, gz = run_pool(module, x, params)
    np.testing.assert_allclose(pooled, pool_reference(x, *params), rtol=1e-14)
    if mode == "max":
        reference = max_pool_grad_reference(x, pooled, gz, (ws0, ws1), (st0, st1), pad)
    else:
        reference = average_pool_grad_reference(x, gz, params)
    np.testing.assert_allclose(grad, reference, rtol=1e-12, atol=1e-14)


def test_pool_kernels_refuse_a_gradient_of_the_wrong_shape():
    kernel = pool_kernel(AveragePoolGrad((2, 2), True, None, (0, 0), "sum"))
    with pytest.raises(ValueError, match=r"shape \(1, 1, 3, 3\), pooling \(1, 1, 4, 4\)"):
        layer_launch.plan(DEVICE, "k", kernel, [DEVICE.place(np.zeros((1, 1, 4, 4))),
                                                DEVICE.place(np.zeros((1, 1, 3, 3)))])


# -- the Philox generator -----------------------------------------------------------------

def draw(module, dtype, shape, state):
    kernel = philox_kernel(dtype, len(shape))
    next_state, sample = run(module, kernel, state, np.array(shape))
    return next_state, sample


def cpu_draw(dtype, shape, key, call):
    n = int(np.prod(shape))
    words = random_words((key & 0xFFFFFFFF, key >> 32), call,
                         n * (1 if dtype == "float32" else 2))
    return uniform_from_words(words, dtype).reshape(shape)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(0,), (1,), (7,), (3, 5), (2, 3, 17)])
def test_philox_kernel_draws_the_cpus_numbers_bit_for_bit(module, dtype, shape):
    key, call = 0x9ABCDEF012345678, (7 << 32) | 5  # both words of each in use
    next_state, sample = draw(module, dtype, shape, np.array([key, call], dtype=np.uint64))
    expected = cpu_draw(dtype, shape, key, call)
    assert sample.dtype == expected.dtype and sample.shape == shape
    assert sample.tobytes() == expected.tobytes()
    np.testing.assert_array_equal(next_state, [key, call + 1])


@settings(max_examples=15, deadline=None)
@given(st.sampled_from(["float32", "float64"]), st.integers(0, 2 ** 64 - 1),
       st.integers(0, 2 ** 40), st.integers(0, 1100))
def test_philox_kernel_on_generated_seeds_and_sizes(module, dtype, key, call, n):
    _, sample = draw(module, dtype, (n,), np.array([key, call], dtype=np.uint64))
    assert sample.tobytes() == cpu_draw(dtype, (n,), key, call).tobytes()


def test_philox_kernel_refuses_a_bad_size():
    state = DEVICE.place(np.array([1, 0], dtype=np.uint64))
    with pytest.raises(ValueError, match=r"size \[2, -1\] is not a shape of 2 dimensions"):
        layer_launch.plan(DEVICE, "k", philox_kernel("float32", 2),
                          [state, DEVICE.place(np.array([2, -1]))])


def test_the_rounds_are_printed_from_the_generators_numbers():
    """The description carries philox.py's constants; change one and the text follows."""
    kernel = philox_kernel("float32", 1)
    printer = CudaPrinter()
    printer.functions("k", kernel)
    (rounds,) = printer.helpers.values()
    assert "round < 10" in rounds and "0xd2511f53u" in rounds and "0x9e3779b9u" in rounds
    other = PhiloxKernel("float32", 1, (0x1234, 0xCD9E8D57), kernel.key_steps, 7, kernel.bits)
    printer = CudaPrinter()
    printer.functions("k", other)
    (rounds,) = printer.helpers.values()
    assert "round < 7" in rounds and "0x00001234u" in rounds


# -- the text itself ----------------------------------------------------------------------

def test_the_layers_are_chapter_6s_kernels(module):
    """conv2d's product is T.dot's tiled kernel and its copy an elementwise kernel: the
    same text the printer gives those descriptions."""
    conv = conv_kernel(AbstractConv2d)
    parts = conv.parts()
    printer = CudaPrinter()
    dot = printer.functions("k_product", parts["product"])
    assert [f.text for f in printer.functions("k", conv) if f.name == "k_product"] == \
        [f.text for f in dot]
    names = [f.name for f in printer.functions("k", conv)]
    assert names == ["k_patches", "k_product", "k_copy_c", "k_copy_s"]
    synchronizing = {f.name for f in module.functions if f.barriers}
    assert synchronizing == {f"{kernel_names()[_text_key(k)]}_product" for k in module_kernels()
                             if isinstance(k, ConvKernel)}


def test_the_kernels_compile_with_nvcc(module):
    problem = nvcc.nvcc_problem()
    if problem:
        pytest.skip(problem)
    facts = nvcc.compile_check(module.source)
    product_32 = kernel_names()[("conv", "forward", "float32", True)] + "_product"
    product_64 = kernel_names()[("conv", "forward", "float64", True)] + "_product"
    for arch in nvcc.ARCHS:
        # the tiled product: one barrier, two TILE x TILE tiles in shared memory
        assert facts[(product_32, arch)].barriers == 1
        assert facts[(product_32, arch)].shared_bytes == 2 * TILE ** 2 * 4
        assert facts[(product_64, arch)].shared_bytes == 2 * TILE ** 2 * 8
        for f in module.functions:
            if not f.barriers:  # windows, copies and draws: no barrier, no shared memory
                assert facts[(f.name, arch)].barriers == 0
                assert facts[(f.name, arch)].shared_bytes == 0
