"""conv2d (tensor/nnet/abstract_conv.py): values against the plain-loop reference
over border modes, strides, dilation, flips, dtypes and odd shapes, in Python
(perform) and in C (FAST_RUN); gradients by finite differences; shapes; errors."""

from __future__ import annotations

import numpy as np
import pytest
from ch08_reference import conv2d_reference, pads_of
from hypothesis import given, settings
from hypothesis import strategies as st

import minitheano as theano
from minitheano import tensor as T
from minitheano.gradient import verify_grad
from minitheano.tensor.nnet import (
    AbstractConv2d,
    AbstractConv2d_gradInputs,
    AbstractConv2d_gradWeights,
    conv,
)
from minitheano.tensor.nnet.im2col import Kit

MODES = ("FAST_COMPILE", "FAST_RUN")  # perform with numpy; C im2col + BLAS
TOL = {"float64": 1e-10, "float32": 2e-4}

CASES = [  # (image shape, filter shape, border_mode, subsample, dilation, flip)
    ((2, 3, 7, 6), (4, 3, 3, 2), "valid", (1, 1), (1, 1), True),
    ((1, 1, 5, 5), (2, 1, 3, 3), "full", (1, 1), (1, 1), True),
    ((2, 3, 6, 7), (2, 3, 3, 3), "half", (1, 1), (1, 1), False),
    ((1, 3, 8, 9), (3, 3, 2, 4), "half", (2, 3), (1, 1), True),
    ((3, 1, 9, 7), (2, 1, 3, 2), 2, (2, 2), (1, 1), False),
    ((1, 3, 9, 10), (2, 3, 3, 3), (1, 2), (1, 2), (2, 3), True),
    ((2, 1, 10, 8), (1, 1, 2, 3), "full", (3, 1), (2, 2), False),
    ((1, 1, 3, 3), (1, 1, 3, 3), "valid", (1, 1), (1, 1), True),   # one output pixel
    ((2, 3, 4, 5), (5, 3, 1, 1), "valid", (2, 2), (1, 1), True),   # 1x1 filters
]


def _run(case, dtype, mode, seed=0):
    ishape, kshape, border, sub, dil, flip = case
    rng = np.random.default_rng(seed)
    xv = rng.normal(size=ishape).astype(dtype)
    wv = rng.normal(size=kshape).astype(dtype)
    x, w = T.tensor4("x", dtype=dtype), T.tensor4("w", dtype=dtype)
    y = T.nnet.conv2d(x, w, border_mode=border, subsample=sub, filter_flip=flip,
                      filter_dilation=dil)
    f = theano.function([x, w], y, mode=mode)
    expected = conv2d_reference(xv, wv, pads_of(border, kshape[2:], dil), sub, dil, flip)
    return f(xv, wv), expected, xv, wv


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c[2]}-s{c[3]}-d{c[4]}" for c in CASES])
def test_conv2d_against_loops(case, dtype, mode):
    got, expected, xv, wv = _run(case, dtype, mode)
    assert got.dtype == dtype and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=TOL[dtype], atol=TOL[dtype] * 10)


def test_caller_arrays_untouched_and_strided_inputs():
    x, w = T.tensor4("x"), T.tensor4("w")
    f = theano.function([x, w], T.nnet.conv2d(x, w, border_mode="half"), mode="FAST_RUN")
    rng = np.random.default_rng(1)
    big = rng.normal(size=(2, 2, 10, 12))
    xv = big[:, :, ::2, ::-2]           # neither contiguous nor positively strided
    wv = rng.normal(size=(3, 2, 3, 3))
    keep = (xv.copy(), wv.copy())
    np.testing.assert_allclose(f(xv, wv), conv2d_reference(xv, wv, (1, 1)), rtol=1e-10)
    np.testing.assert_array_equal(xv, keep[0])
    np.testing.assert_array_equal(wv, keep[1])


@given(st.data())
def test_conv2d_generated(data):
    draw = data.draw
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    border = draw(st.sampled_from(["valid", "full", "half", 0, 1, (2, 1)]))
    pads = pads_of(border, (kh, kw), dil)
    # the smallest image one filter fits on, once padded
    low = [max(1, dil[d] * ((kh, kw)[d] - 1) + 1 - 2 * pads[d]) for d in range(2)]
    channels = draw(st.sampled_from([1, 3]))
    image = (draw(st.integers(1, 2)), channels, draw(st.integers(low[0], low[0] + 4)),
             draw(st.integers(low[1], low[1] + 4)))
    filters = (draw(st.integers(1, 3)), channels, kh, kw)
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    case = (image, filters, border, stride, dil, draw(st.booleans()))
    got, expected, _, _ = _run(case, "float64", draw(st.sampled_from(MODES)))
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)


GRAD_CASES = [
    ((2, 2, 5, 4), (3, 2, 3, 2), "valid", (1, 1), (1, 1), True),
    ((1, 1, 6, 5), (2, 1, 2, 3), "full", (2, 1), (1, 1), False),
    ((2, 1, 7, 7), (1, 1, 3, 3), "half", (2, 2), (2, 1), True),
    ((1, 2, 5, 6), (2, 2, 2, 2), (1, 2), (1, 3), (1, 2), False),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[str(c[2]) for c in GRAD_CASES])
def test_conv2d_gradients_by_finite_differences(case):
    ishape, kshape, border, sub, dil, flip = case
    rng = np.random.default_rng(2)
    pt = [rng.normal(size=ishape), rng.normal(size=kshape)]

    def fun(x, w):
        return T.nnet.conv2d(x, w, border_mode=border, subsample=sub, filter_flip=flip,
                             filter_dilation=dil)
    verify_grad(fun, pt, rng=rng)


@settings(max_examples=10)
@given(st.data())
def test_conv2d_gradients_generated(data):
    draw = data.draw
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    dil = (draw(st.integers(1, 2)), 1)
    border = draw(st.sampled_from(["valid", "full", "half", (1, 0)]))
    pads = pads_of(border, (kh, kw), dil)
    low = [max(1, dil[d] * ((kh, kw)[d] - 1) + 1 - 2 * pads[d]) for d in range(2)]
    channels = draw(st.integers(1, 2))
    image = (draw(st.integers(1, 2)), channels, draw(st.integers(low[0], low[0] + 3)),
             draw(st.integers(low[1], low[1] + 3)))
    filters = (draw(st.integers(1, 2)), channels, kh, kw)
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    flip = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 99)))

    def fun(x, w):
        return T.nnet.conv2d(x, w, border_mode=border, subsample=stride, filter_flip=flip,
                             filter_dilation=dil)
    verify_grad(fun, [rng.normal(size=image), rng.normal(size=filters)], rng=rng)


@pytest.mark.parametrize("which", ["weights", "inputs"])
def test_gradient_ops_have_gradients(which):
    """The gradient ops are differentiable too (second derivatives, double backprop)."""
    rng = np.random.default_rng(3)
    params = (None, None, (1, 1), (2, 1), True, (1, 1))
    img, kern = rng.normal(size=(2, 2, 5, 4)), rng.normal(size=(3, 2, 2, 3))
    top = rng.normal(size=(2, 3, 3, 4))  # (5 + 2 - 2) // 2 + 1, (4 + 2 - 3) + 1
    if which == "weights":
        verify_grad(lambda x, t: AbstractConv2d_gradWeights(*params)(x, t, [2, 3]),
                    [img, top], rng=rng)
    else:
        verify_grad(lambda k, t: AbstractConv2d_gradInputs(*params)(k, t, [5, 4]),
                    [kern, top], rng=rng)


@pytest.mark.parametrize("case", GRAD_CASES[:3], ids=[str(c[2]) for c in GRAD_CASES[:3]])
def test_gradients_in_c_match_python(case):
    ishape, kshape, border, sub, dil, flip = case
    x, w = T.tensor4("x"), T.tensor4("w")
    y = T.nnet.conv2d(x, w, border_mode=border, subsample=sub, filter_flip=flip,
                      filter_dilation=dil)
    cost = (y ** 2).sum()
    grads = T.grad(cost, [x, w])
    rng = np.random.default_rng(4)
    xv, wv = rng.normal(size=ishape), rng.normal(size=kshape)
    py = theano.function([x, w], grads, mode="FAST_COMPILE")(xv, wv)
    c = theano.function([x, w], grads, mode="FAST_RUN")(xv, wv)
    for a, b in zip(py, c):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_infer_shape_without_computing():
    x, w = T.tensor4("x"), T.tensor4("w")
    y = T.nnet.conv2d(x, w, border_mode="half", subsample=(2, 3), filter_dilation=(2, 1))
    g_x, g_w = T.grad(y.sum(), [x, w])
    f = theano.function([x, w], [y.shape, g_x.shape, g_w.shape], mode="FAST_RUN")
    ops = [type(n.op) for n in f.maker.fgraph.toposort()]
    assert not {AbstractConv2d, AbstractConv2d_gradInputs, AbstractConv2d_gradWeights} & set(ops)
    xv, wv = np.zeros((2, 3, 11, 10)), np.zeros((4, 3, 3, 4))
    expected = conv2d_reference(xv[:1, :1], wv[:1, :1], (2, 2), (2, 3), (2, 1)).shape
    shapes = [tuple(s) for s in f(xv, wv)]
    assert shapes == [(2, 4, *expected[2:]), xv.shape, wv.shape]


def test_old_api_is_the_same_convolution():
    x, w = T.tensor4("x"), T.tensor4("w")
    rng = np.random.default_rng(5)
    xv, wv = rng.normal(size=(2, 1, 6, 6)), rng.normal(size=(2, 1, 3, 3))
    y = conv.conv2d(x, w, image_shape=(2, 1, 6, 6), filter_shape=(2, 1, 3, 3),
                    border_mode="full")
    np.testing.assert_allclose(theano.function([x, w], y)(xv, wv),
                               conv2d_reference(xv, wv, (2, 2)), rtol=1e-10)
    with pytest.raises(ValueError, match="border_mode must be 'valid' or 'full'"):
        conv.conv2d(x, w, border_mode="half")


# -- bad input -------------------------------------------------------------------------------
def test_channels_mismatch_at_build_time_names_both_shapes():
    x, w = T.tensor4("x"), T.tensor4("w")
    with pytest.raises(ValueError, match=r"3 channels but the filters expect 2.*"
                                         r"input shape \(8, 3, 28, 28\).*filters shape "
                                         r"\(4, 2, 5, 5\)"):
        T.nnet.conv2d(x, w, input_shape=(8, 3, 28, 28), filter_shape=(4, 2, 5, 5))


def test_image_smaller_than_filter_at_build_time():
    x, w = T.tensor4("x"), T.tensor4("w")
    with pytest.raises(ValueError, match=r"input's 4 rows .* fewer than the 5 .*"
                                         r"\(input shape \(\?, 1, 4, 9\)"):
        T.nnet.conv2d(x, w, input_shape=(None, 1, 4, 9), filter_shape=(2, 1, 5, 5))
    # with padding it fits
    T.nnet.conv2d(x, w, input_shape=(None, 1, 4, 9), filter_shape=(2, 1, 5, 5),
                  border_mode="half")


def test_wrong_ndim_at_build_time():
    with pytest.raises(ValueError, match="input must be 4-d .* got 2-d"):
        T.nnet.conv2d(T.matrix("x"), T.tensor4("w"))
    with pytest.raises(ValueError, match="filters must be 4-d .* got 3-d"):
        T.nnet.conv2d(T.tensor4("x"), T.tensor3("w"))


@pytest.mark.parametrize("mode", MODES)
def test_bad_shapes_at_call_time(mode):
    x, w = T.tensor4("x"), T.tensor4("w")
    f = theano.function([x, w], T.nnet.conv2d(x, w), mode=mode)
    with pytest.raises(ValueError, match=r"3 channels but the filters expect 1 \(input shape "
                                         r"\(1, 3, 6, 6\), filters shape \(2, 1, 3, 3\)\)"):
        f(np.zeros((1, 3, 6, 6)), np.zeros((2, 1, 3, 3)))
    with pytest.raises(ValueError, match=r"input's 2 columns .* fewer than the 3"):
        f(np.zeros((1, 1, 6, 2)), np.zeros((2, 1, 3, 3)))


def test_declared_shape_checked_at_call_time():
    x, w = T.tensor4("x"), T.tensor4("w")
    f = theano.function([x, w], T.nnet.conv2d(x, w, input_shape=(None, 1, 6, 6)))
    with pytest.raises(ValueError, match=r"input has shape \(1, 1, 7, 6\), but "
                                         r"input_shape=\(None, 1, 6, 6\) was declared"):
        f(np.zeros((1, 1, 7, 6)), np.zeros((2, 1, 3, 3)))


@pytest.mark.parametrize("bad", [{"border_mode": "same"}, {"subsample": (0, 1)},
                                 {"filter_dilation": 0}, {"border_mode": (-1, 0)}])
def test_bad_parameters(bad):
    with pytest.raises(ValueError, match="conv2d"):
        T.nnet.conv2d(T.tensor4(), T.tensor4(), **bad)


def test_integer_inputs_refused():
    with pytest.raises(TypeError, match="float"):
        T.nnet.conv2d(T.tensor4(dtype="int32"), T.tensor4())


def test_fast_run_calls_the_c_im2col(monkeypatch):
    """FAST_RUN's conv nodes run the C functions (so the tests above compare two
    implementations, not one twice)."""
    from minitheano.tensor.nnet import conv_c

    calls = []
    real = conv_c.kit

    def counting(lib):
        kit = real(lib)

        def counted(*args):
            calls.append("im2col")
            return kit.patches(*args)
        return Kit(counted, kit.unpatches, kit.scratch)

    monkeypatch.setattr(conv_c, "kit", counting)
    x, w = T.tensor4("x"), T.tensor4("w")
    f = theano.function([x, w], T.nnet.conv2d(x, w), mode="FAST_RUN")
    f(np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)))
    assert calls == ["im2col"]
    theano.function([x, w], T.nnet.conv2d(x, w), mode="FAST_COMPILE")(
        np.ones((1, 1, 4, 4)), np.ones((1, 1, 2, 2)))
    assert calls == ["im2col"]


def test_an_op_whose_c_does_not_build_runs_in_python(monkeypatch):
    from minitheano.link.c import build, op_thunks

    def refuse(source):
        raise build.CompileError("the C compiler failed on a generated module.")

    monkeypatch.setattr(op_thunks, "_LOADED", {})
    monkeypatch.setattr(build, "library_path", refuse)
    x, w = T.tensor4("x"), T.tensor4("w")
    with pytest.warns(UserWarning, match="its C did not build"):
        f = theano.function([x, w], T.nnet.conv2d(x, w), mode="FAST_RUN")
    xv, wv = np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2))
    np.testing.assert_array_equal(f(xv, wv), np.full((1, 1, 2, 2), 4.0))


def test_theano_gradient_helpers_are_the_gradients():
    from minitheano.tensor.nnet.abstract_conv import (
        conv2d_grad_wrt_inputs,
        conv2d_grad_wrt_weights,
    )

    x, w, top = T.tensor4("x"), T.tensor4("w"), T.tensor4("top")
    params = dict(border_mode=(1, 0), subsample=(2, 1), filter_flip=False)
    y = T.nnet.conv2d(x, w, **params)
    g_x, g_w = T.grad((y * top).sum(), [x, w])
    by_helpers = [conv2d_grad_wrt_inputs(top, w, (2, 2, 7, 5), **params),
                  conv2d_grad_wrt_weights(x, top, (3, 2, 3, 2), **params),
                  conv2d_grad_wrt_inputs(top, w, x.shape, **params)]   # symbolic shape
    rng = np.random.default_rng(6)
    xv, wv = rng.normal(size=(2, 2, 7, 5)), rng.normal(size=(3, 2, 3, 2))
    topv = rng.normal(size=(2, 3, 4, 4))  # (7 + 2 - 3) // 2 + 1, (5 - 2) + 1
    f = theano.function([x, w, top], [g_x, g_w, *by_helpers], on_unused_input="ignore")
    want_x, want_w, got_x, got_w, got_x_symbolic = f(xv, wv, topv)
    np.testing.assert_allclose(got_x, want_x, rtol=1e-12)
    np.testing.assert_allclose(got_w, want_w, rtol=1e-12)
    np.testing.assert_allclose(got_x_symbolic, want_x, rtol=1e-12)


@pytest.mark.parametrize("shapes", [((1, 2, 5, 5), (3, 2, 3, 3)), ((2, 2, 5, 5), (1, 2, 3, 3)),
                                    ((1, 1, 4, 4), (1, 1, 2, 2))])
def test_a_returned_output_is_never_overwritten_by_the_next_call(shapes):
    """FAST_RUN keeps scratch arrays between calls: with one image or one filter
    the product is already laid out as the output, which must still be a copy."""
    x, w = T.tensor4("x"), T.tensor4("w")
    y = T.nnet.conv2d(x, w)
    f = theano.function([x, w], [y, *T.grad((y * y).sum(), [x, w])], mode="FAST_RUN")
    rng = np.random.default_rng(7)
    xv, wv = rng.normal(size=shapes[0]), rng.normal(size=shapes[1])
    first = f(xv, wv)
    kept = [a.copy() for a in first]
    f(xv + 1, wv - 1)
    for a, b in zip(first, kept):
        np.testing.assert_array_equal(a, b)


def test_rop_is_the_directional_derivative():
    x, w, vx, vw = T.tensor4("x"), T.tensor4("w"), T.tensor4("vx"), T.tensor4("vw")
    params = dict(border_mode="half", subsample=(2, 1), filter_dilation=(1, 2))
    y = T.nnet.conv2d(x, w, **params)
    f = theano.function([x, w, vx, vw], [T.Rop(y, [x, w], [vx, vw]), T.Rop(y, x, vx)])
    conv = theano.function([x, w], y)
    rng = np.random.default_rng(8)
    xv, wv = rng.normal(size=(2, 2, 6, 7)), rng.normal(size=(3, 2, 3, 2))
    vxv, vwv = rng.normal(size=xv.shape), rng.normal(size=wv.shape)
    both, only_x = f(xv, wv, vxv, vwv)
    eps = 1e-3  # conv is bilinear: the central difference is exact but for rounding
    ahead, behind = conv(xv + eps * vxv, wv + eps * vwv), conv(xv - eps * vxv, wv - eps * vwv)
    expected = (ahead - behind) / (2 * eps)
    np.testing.assert_allclose(both, expected, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(only_x, conv(vxv, wv), rtol=1e-12, atol=1e-12)
