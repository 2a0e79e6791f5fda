"""pool_2d (tensor/signal/pool.py): values against the plain-loop reference over
modes, windows, strides, padding and borders, in Python and in C (FAST_RUN);
gradients by finite differences; where max pooling's gradient goes; shapes;
the old names; errors."""

from __future__ import annotations

import numpy as np
import pytest
from ch08_reference import pool_out_length, pool_reference
from hypothesis import given, settings
from hypothesis import strategies as st

import minitheano as theano
from minitheano import tensor as T
from minitheano.gradient import verify_grad
from minitheano.tensor.signal import downsample, pool

MODES = ("FAST_COMPILE", "FAST_RUN")
TOL = {"float64": 1e-12, "float32": 1e-5}

CASES = [  # (input shape, ws, ignore_border, stride, pad)
    ((2, 3, 6, 6), (2, 2), True, None, (0, 0)),
    ((1, 1, 7, 5), (2, 2), False, None, (0, 0)),      # windows cut short at the edge
    ((2, 1, 7, 8), (3, 2), True, (2, 1), (1, 1)),      # padding
    ((1, 3, 8, 7), (3, 3), False, (1, 2), (0, 0)),     # overlapping windows
    ((3, 5, 4), (2, 3), True, (1, 1), (1, 2)),         # 3-d: one leading dimension
    ((2, 1, 2, 4, 6), (2, 2), False, (3, 3), (0, 0)),  # stride > window: gaps
    ((1, 1, 1, 1), (1, 1), True, None, (0, 0)),
]


def _distinct(shape, rng, dtype="float64"):
    """Values without ties (a max pool's gradient is defined there)."""
    return (rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1
            + rng.uniform(0, 0.01, shape)).astype(dtype)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-ws{c[1]}-st{c[3]}-p{c[4]}" for c in CASES])
def test_pool_against_loops(case, dtype, mode):
    shape, ws, ignore_border, stride, pad = case
    xv = np.random.default_rng(0).normal(size=shape).astype(dtype)
    x = TensorTypeOf(xv)
    outs = [pool.pool_2d(x, ws, ignore_border, stride, pad, how) for how in pool.MODES]
    for how, got in zip(pool.MODES, theano.function([x], outs, mode=mode)(xv)):
        expected = pool_reference(xv, ws, ignore_border, stride or ws, pad, how)
        assert got.dtype == dtype and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=TOL[dtype], atol=TOL[dtype], err_msg=how)


def TensorTypeOf(value):  # noqa: N802 (reads as a type)
    return T.TensorType(value.dtype, (False,) * value.ndim)("x")


@given(st.data())
def test_pool_generated(data):
    draw = data.draw
    ws = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    ignore_border = draw(st.booleans())
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pad = (draw(st.integers(0, ws[0] - 1)), draw(st.integers(0, ws[1] - 1))) \
        if ignore_border else (0, 0)
    h, w = draw(st.integers(max(1, ws[0] - 2 * pad[0]), 7)), \
        draw(st.integers(max(1, ws[1] - 2 * pad[1]), 7))
    shape = (draw(st.integers(1, 2)), draw(st.sampled_from([1, 3])), h, w)
    how, mode = draw(st.sampled_from(pool.MODES)), draw(st.sampled_from(MODES))
    xv = np.random.default_rng(draw(st.integers(0, 99))).normal(size=shape)
    x = T.tensor4("x")
    f = theano.function([x], pool.pool_2d(x, ws, ignore_border, stride, pad, how), mode=mode)
    np.testing.assert_allclose(f(xv), pool_reference(xv, ws, ignore_border, stride, pad, how),
                               rtol=1e-12, atol=1e-12)


GRAD_CASES = [CASES[1], CASES[2], CASES[3], CASES[4]]


@pytest.mark.parametrize("how", pool.MODES)
@pytest.mark.parametrize("case", GRAD_CASES, ids=[str(c[1:]) for c in GRAD_CASES])
def test_pool_gradients_by_finite_differences(case, how):
    shape, ws, ignore_border, stride, pad = case
    rng = np.random.default_rng(1)
    verify_grad(lambda x: pool.pool_2d(x, ws, ignore_border, stride, pad, how),
                [_distinct(shape, rng)], rng=rng)


@settings(max_examples=10)
@given(st.data())
def test_pool_gradients_generated(data):
    draw = data.draw
    ws = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    ignore_border = draw(st.booleans())
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pad = (draw(st.integers(0, ws[0] - 1)), 0) if ignore_border else (0, 0)
    shape = (draw(st.integers(1, 2)), draw(st.integers(max(ws[0] - 2 * pad[0], 1), 6)),
             draw(st.integers(ws[1], 6)))
    how = draw(st.sampled_from(pool.MODES))
    rng = np.random.default_rng(draw(st.integers(0, 99)))
    verify_grad(lambda x: pool.pool_2d(x, ws, ignore_border, stride, pad, how),
                [_distinct(shape, rng)], rng=rng)


@pytest.mark.parametrize("how", ["max", "average_exc_pad", "sum"])
def test_gradient_ops_are_differentiable_in_the_output_gradient(how):
    rng = np.random.default_rng(2)
    xv = _distinct((2, 2, 5, 6), rng)
    op = pool.Pool((2, 3), True, (1, 2), (1, 1), how)
    x = T.dtensor4("x")
    out_v = theano.function([x], op(x))(xv)

    def grad_of(gz):
        x_c = T.constant(xv)
        if how == "max":
            return pool.MaxPoolGrad(*op.params())(x_c, op(x_c), gz)
        return pool.AveragePoolGrad(*op.params())(x_c, gz)
    verify_grad(grad_of, [rng.normal(size=out_v.shape)], rng=rng)


@pytest.mark.parametrize("mode", MODES)
def test_gradients_in_c_match_python_and_max_goes_to_the_first_largest(mode):
    x = T.dtensor4("x")
    y = pool.pool_2d(x, (2, 2), True, (1, 1), mode="max")
    g = theano.function([x], T.grad(y.sum(), x), mode=mode)
    tie = np.array([[[[1.0, 3.0, 3.0], [3.0, 0.0, 2.0]]]])
    # Windows: [[1,3],[3,0]] -> its first 3 at (0,1); [[3,3],[0,2]] -> (0,1) again.
    np.testing.assert_array_equal(g(tie), [[[[0.0, 2.0, 0.0], [0.0, 0.0, 0.0]]]])
    rng = np.random.default_rng(3)
    xv = _distinct((2, 3, 7, 6), rng)
    for how in pool.MODES:
        y = pool.pool_2d(x, (3, 2), True, (2, 1), (1, 1), how)
        cost = (y * y).sum()
        py = theano.function([x], T.grad(cost, x), mode="FAST_COMPILE")(xv)
        np.testing.assert_allclose(theano.function([x], T.grad(cost, x), mode=mode)(xv), py,
                                   rtol=1e-12)


@pytest.mark.parametrize("how", pool.MODES)
def test_a_window_wider_than_the_image_pools_nothing_and_has_a_zero_gradient(how):
    """ignore_border with a window wider than the image: no window, an empty output, and
    every pixel's gradient 0 (a slice over no window once wrapped around to the end)."""
    x = T.dtensor3("x")
    y = pool.pool_2d(x, (1, 3), True, (1, 2), mode=how)
    xv = np.arange(4.0).reshape(1, 2, 2)
    for mode in ("FAST_COMPILE", "FAST_RUN"):
        f = theano.function([x], [y, T.grad((y * 2).sum(), x)], mode=mode)
        pooled, grad = f(xv)
        assert pooled.shape == (1, 2, 0)
        np.testing.assert_array_equal(grad, np.zeros_like(xv))


def test_fast_run_calls_the_c(monkeypatch):
    from minitheano.tensor.signal import pool_c

    names = []
    real = pool_c.function

    def recording(lib, op_name):
        names.append(op_name)
        return real(lib, op_name)

    monkeypatch.setattr(pool_c, "function", recording)
    x = T.dtensor4("x")
    y = pool.pool_2d(x, (2, 2), True)
    theano.function([x], [y, T.grad(y.sum(), x)], mode="FAST_RUN")
    theano.function([x], T.grad(pool.pool_2d(x, (2, 2), True, mode="sum").sum(), x),
                    mode="FAST_RUN")
    assert sorted(names) == ["AveragePoolGrad", "MaxPoolGrad", "Pool", "Pool"]


@pytest.mark.parametrize("ignore_border", [True, False])
def test_infer_shape_without_computing(ignore_border):
    x = T.dtensor4("x")
    y = pool.pool_2d(x, (3, 2), ignore_border, (2, 3))
    f = theano.function([x], [y.shape, T.grad(y.sum(), x).shape], mode="FAST_RUN")
    assert not any(isinstance(n.op, pool.PoolBase) for n in f.maker.fgraph.toposort())
    for shape in [(2, 3, 9, 7), (1, 1, 3, 2), (1, 2, 4, 11)]:
        expected = (*shape[:2], pool_out_length(shape[2], 3, 2, 0, ignore_border),
                    pool_out_length(shape[3], 2, 3, 0, ignore_border))
        shapes = [tuple(s) for s in f(np.zeros(shape))]
        assert shapes == [expected, shape]


def test_old_names():
    x = T.dtensor4("x")
    xv = np.random.default_rng(4).normal(size=(1, 2, 6, 5))
    new = pool.pool_2d(x, ws=(2, 2), ignore_border=True, stride=(1, 1), pad=(1, 0),
                       mode="average_exc_pad")
    old = pool.pool_2d(x, ds=(2, 2), ignore_border=True, st=(1, 1), padding=(1, 0),
                       mode="average_exc_pad")
    older = downsample.max_pool_2d(x, (2, 2), True, (1, 1), (1, 0), "average_exc_pad")
    assert old.owner.op == new.owner.op == older.owner.op
    f = theano.function([x], [new, old, older])
    a, b, c = f(xv)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    # 'average' is Theano's alias of average_inc_pad; ignore_border defaults to False
    assert pool.pool_2d(x, (2, 2), mode="average").owner.op == pool.Pool((2, 2), False,
                                                                          mode="average_inc_pad")


@pytest.mark.parametrize("kwargs, message", [
    ({"ws": (2, 2), "pad": (1, 1), "ignore_border": False}, "needs ignore_border=True"),
    ({"ws": (2, 2), "pad": (2, 0), "ignore_border": True}, "smaller than the window"),
    ({"ws": (0, 2)}, "ws must be a pair of ints >= 1"),
    ({"ws": (2, 2), "stride": 2}, "stride must be a pair"),
    ({"ws": (2, 2), "mode": "median"}, "mode must be one of"),
    ({}, "ws is required"),
    ({"ws": (2, 2), "ds": (2, 2)}, "not both"),
])
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pool.pool_2d(T.dtensor4(), **kwargs)


def test_bad_inputs():
    with pytest.raises(ValueError, match="at least 2"):
        pool.pool_2d(T.dvector(), (2, 2))
    with pytest.raises(TypeError, match="floats"):
        pool.pool_2d(T.itensor4(), (2, 2))


@pytest.mark.parametrize("mode", MODES)
def test_caller_array_untouched(mode):
    x = T.dtensor4("x")
    y = pool.pool_2d(x, (2, 2), True, (1, 1), (1, 1), "average_inc_pad")
    f = theano.function([x], [y, T.grad(y.sum(), x)], mode=mode)
    xv = np.random.default_rng(5).normal(size=(1, 2, 8, 6))[:, :, ::2, ::-1]
    keep = xv.copy()
    np.testing.assert_allclose(f(xv)[0], pool_reference(keep, (2, 2), True, (1, 1), (1, 1),
                                                        "average_inc_pad"), rtol=1e-12)
    np.testing.assert_array_equal(xv, keep)


@pytest.mark.parametrize("mode", MODES)
def test_nan_and_inf_stay_where_they_belong(mode):
    """A NaN pixel makes its window's max NaN (as numpy's max), and an infinite
    output gradient reaches only the pixel that was the max (no 0 * inf)."""
    x, gz = T.dtensor4("x"), T.dtensor4("gz")
    y = pool.pool_2d(x, (2, 2), True)
    f = theano.function([x, gz], [y, T.grad((y * gz).sum(), x)], mode=mode)
    xv = np.arange(16.0).reshape(1, 1, 4, 4)
    xv[0, 0, 0, 0] = np.nan
    out, grad = f(xv, np.full((1, 1, 2, 2), np.inf))
    assert np.isnan(out[0, 0, 0, 0]) and not np.isnan(out[0, 0, 1:, 1:]).any()
    np.testing.assert_array_equal(out[0, 0, 1], [13.0, 15.0])
    assert np.isinf(grad[0, 0, 3, 3]) and grad[0, 0, 2, 2] == 0
    assert not np.isnan(grad[0, 0, 2:, :]).any()


@pytest.mark.parametrize("mode", MODES)
def test_gradient_ops_refuse_shapes_that_do_not_pool(mode):
    x, out, gz = T.dtensor4("x"), T.dtensor4("out"), T.dtensor4("gz")
    grad = pool.MaxPoolGrad((2, 2), True)(x, out, gz)
    f = theano.function([x, out, gz], grad, mode=mode)
    good = np.zeros((1, 1, 2, 2))
    with pytest.raises(ValueError, match=r"pooled output has shape \(1, 1, 3, 3\), but pooling "
                                         r"an input of shape \(1, 1, 4, 4\) gives \(1, 1, 2, 2\)"):
        f(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), good)
    with pytest.raises(ValueError, match="output gradient has shape"):
        f(np.zeros((1, 1, 4, 4)), good, np.zeros((1, 2, 2, 2)))


@pytest.mark.parametrize("how", pool.MODES)
def test_rop_is_the_directional_derivative(how):
    x, v = T.dtensor4("x"), T.dtensor4("v")
    y = pool.pool_2d(x, (2, 3), True, (1, 2), (1, 1), how)
    rop = theano.function([x, v], T.Rop(y, x, v), on_unused_input="ignore")  # linear modes
    pooled = theano.function([x], y)
    rng = np.random.default_rng(9)
    xv = _distinct((2, 2, 5, 6), rng)  # no ties: the max moves smoothly
    vv = rng.normal(size=xv.shape)
    eps = 1e-6
    expected = (pooled(xv + eps * vv) - pooled(xv - eps * vv)) / (2 * eps)
    np.testing.assert_allclose(rop(xv, vv), expected, rtol=1e-6, atol=1e-8)
