"""The gradients of the shape, joining and indexing ops, as exact values (chapter 4).

Each op's `L_op` is called on one node and the graph it returns is computed;
the expected values follow from what the op does -- the gradient of indexing
scatters gz back into zeros, of a join splits gz, of a reshape reshapes it
back -- computed with numpy.  (Finite differences for the same ops are in
verify_grad's tests.)
"""

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T
from minitheano.graph.null import is_disconnected, is_undefined

RNG = np.random.default_rng(5)


def grads_of(out, gz_value, inputs, values):
    """The node's input gradients for output gradient gz_value, computed."""
    gz = out.type("gz")
    node = out.owner
    grads = node.op.L_op(node.inputs, node.outputs, [gz])
    wanted = [g for g in grads if not is_disconnected(g)]
    f = theano.function([*inputs, gz], wanted, on_unused_input="ignore")
    computed = iter(f(*values, gz_value))
    return [None if is_disconnected(g) else next(computed) for g in grads]


def test_subtensor_grad_scatters_into_zeros():
    x, i = T.dmatrix("x"), T.lscalar("i")
    y = x[i:, ::-2]
    xv, gz = RNG.normal(size=(4, 5)), RNG.normal(size=(3, 3))
    gx, gi = grads_of(y, gz, [x, i], [xv, 1])
    expected = np.zeros((4, 5))
    expected[1:, ::-2] = gz
    np.testing.assert_array_equal(gx, expected)
    assert gi is None  # the index is disconnected


@pytest.mark.parametrize("set_", [False, True])
def test_inc_subtensor_grads(set_):
    x, y = T.dmatrix("x"), T.drow("y")
    z = T.set_subtensor(x[1:3], y) if set_ else T.inc_subtensor(x[1:3], y)
    xv, yv, gz = RNG.normal(size=(4, 3)), RNG.normal(size=(1, 3)), RNG.normal(size=(4, 3))
    gx, gy = grads_of(z, gz, [x, y], [xv, yv])
    expected_gx = gz.copy()
    if set_:
        expected_gx[1:3] = 0  # the old values there no longer matter
    np.testing.assert_array_equal(gx, expected_gx)
    # y was stretched over two rows: its gradient sums them
    np.testing.assert_allclose(gy, gz[1:3].sum(axis=0, keepdims=True), rtol=1e-15)


def test_take_rows_grad_accumulates_repeats():
    x = T.dmatrix("x")
    i = T.lvector("i")
    y = x[i]
    iv = np.array([0, 2, 0, -1])
    gz = RNG.normal(size=(4, 3))
    gx, gi = grads_of(y, gz, [x, i], [RNG.normal(size=(3, 3)), iv])
    expected = np.zeros((3, 3))
    np.add.at(expected, iv, gz)
    np.testing.assert_allclose(gx, expected, rtol=1e-15)
    assert gi is None


@pytest.mark.parametrize("set_", [False, True])
def test_advanced_inc_subtensor1_grads(set_):
    x, y, i = T.dmatrix("x"), T.dmatrix("y"), T.lvector("i")
    z = T.set_subtensor(x[i], y) if set_ else T.inc_subtensor(x[i], y)
    iv, gz = np.array([2, 0]), RNG.normal(size=(3, 2))
    gx, gy, gi = grads_of(z, gz, [x, y, i], [np.zeros((3, 2)), np.zeros((2, 2)), iv])
    expected_gx = gz.copy()
    if set_:
        expected_gx[iv] = 0
    np.testing.assert_array_equal(gx, expected_gx)
    np.testing.assert_array_equal(gy, gz[iv])
    assert gi is None


def test_crossentropy_idiom_grad():
    p, lab = T.dmatrix("p"), T.lvector("lab")
    picked = p[T.arange(p.shape[0]), lab]
    lv, gz = np.array([1, 1, 0]), RNG.normal(size=3)
    gp = grads_of(picked, gz, [p, lab], [RNG.random((3, 2)), lv])[0]
    expected = np.zeros((3, 2))
    expected[np.arange(3), lv] = gz
    np.testing.assert_array_equal(gp, expected)


def test_join_grad_splits():
    a, b = T.dmatrix("a"), T.dcol("b")
    y = T.concatenate([a, b, a], axis=1)
    gz = RNG.normal(size=(2, 7))
    _, ga1, gb, ga2 = grads_of(y, gz, [a, b], [np.zeros((2, 3)), np.zeros((2, 1))])
    np.testing.assert_array_equal(ga1, gz[:, :3])
    np.testing.assert_array_equal(gb, gz[:, 3:4])
    np.testing.assert_array_equal(ga2, gz[:, 4:])


def test_join_grad_with_a_symbolic_axis_is_not_implemented():
    a, b = T.dmatrices("a", "b")
    y = T.join(T.lscalar(), a, b)
    grads = y.owner.op.L_op(y.owner.inputs, y.owner.outputs, [y.type()])
    assert is_disconnected(grads[0]) and is_undefined(grads[1])
    assert "symbolic" in grads[1].type.why


def test_reshape_and_make_vector_grads():
    x = T.dtensor3("x")
    y = x.reshape((4, -1))
    gz = RNG.normal(size=(4, 6))
    gx, gshape = grads_of(y, gz, [x], [np.zeros((2, 3, 4))])
    np.testing.assert_array_equal(gx, gz.reshape(2, 3, 4))
    assert gshape is None
    a, b = T.dscalars("a", "b")
    ga, gb = grads_of(T.stack([a, b]), np.array([2.0, 3.0]), [a, b], [0.0, 0.0])
    assert ga == 2.0 and gb == 3.0


def test_arange_grads():
    start, stop, step = T.dscalars("start", "stop", "step")
    y = T.arange(start, stop, step)
    gz = RNG.normal(size=4)
    gstart, gstop, gstep = grads_of(y, gz, [start, stop, step], [1.0, 3.0, 0.5])
    # y[k] = start + k * step
    np.testing.assert_allclose(gstart, gz.sum(), rtol=1e-15)
    np.testing.assert_allclose(gstep, (gz * np.arange(4)).sum(), rtol=1e-15)
    assert gstop is None


def test_integer_inputs_get_zero_gradients():
    x = T.lmatrix("x")
    for y in (x[1:], x[[0]], T.concatenate([x, x])):
        g = y.owner.op.L_op(y.owner.inputs, y.owner.outputs, [y.type()])
        value = theano.function([x], g[0] if y.owner.inputs[0] is x else g[1])(
            np.ones((2, 2), dtype="int64"))
        assert value.dtype.kind == "f" and not value.any()


def test_r_op_of_indexing_is_indexing_of_the_direction():
    x, ex = T.dmatrix("x"), T.dmatrix("ex")
    i = T.lvector("i")
    for y in (x[1:, 0], x[i], x[i, 1:]):
        (r,) = y.owner.op.R_op(y.owner.inputs, [ex] + [None] * (len(y.owner.inputs) - 1))
        xv, ev, iv = RNG.normal(size=(3, 3)), RNG.normal(size=(3, 3)), np.array([2, 0])
        f = theano.function([x, ex, i], [y, r], on_unused_input="ignore")
        _, rv = f(xv, ev, iv)
        np.testing.assert_array_equal(rv, f(ev, ev, iv)[0])
