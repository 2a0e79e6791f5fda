"""grad's contract: scalar costs, lists, disconnected and undefined gradients,
consider_constant, the gradient-bending ops, known_grads, and purity."""

import warnings

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T
from minitheano.gradient import (
    DisconnectedInputError,
    NullTypeGradError,
    disconnected_grad,
    grad_clip,
    grad_scale,
    undefined_grad,
    zero_grad,
)
from minitheano.graph.basic import Constant, Variable, toposort, variables
from minitheano.graph.null import DisconnectedType, NullType, grad_undefined
from minitheano.printing import Print


def run(inputs, outputs, *values):
    return theano.function(inputs, outputs, on_unused_input="ignore")(*values)


def test_the_names_theano_code_uses():
    assert theano.grad is T.grad is theano.gradient.grad
    assert T.jacobian is theano.gradient.jacobian and T.hessian is theano.gradient.hessian
    assert T.Rop is theano.gradient.Rop and T.Lop is theano.gradient.Lop
    assert T.verify_grad is theano.gradient.verify_grad


def test_non_scalar_cost_is_a_type_error():
    x = T.dvector("x")
    with pytest.raises(TypeError, match="scalar"):
        T.grad(x ** 2, x)


def test_wrt_list_tuple_and_single():
    x, y = T.dscalars("x", "y")
    cost = x * y
    assert isinstance(T.grad(cost, x), Variable)
    assert isinstance(T.grad(cost, [x, y]), list)
    assert isinstance(T.grad(cost, (x, y)), tuple)
    gx, gy = T.grad(cost, [x, y])
    assert run([x, y], [gx, gy], 2.0, 3.0) == [3.0, 2.0]
    with pytest.raises(TypeError, match="Variable"):
        T.grad(cost, [x, 2.0])


def test_contributions_of_several_clients_are_summed():
    x = T.dscalar("x")
    cost = x * x + T.sin(x) + x  # x is used four times
    g = T.grad(cost, x)
    assert run([x], g, 0.5) == pytest.approx(2 * 0.5 + np.cos(0.5) + 1)


def test_gradient_of_the_cost_itself_and_of_an_intermediate():
    x = T.dscalar("x")
    h = T.exp(x)
    cost = h ** 2
    assert run([x], T.grad(cost, cost), 1.0) == 1.0
    assert run([x], T.grad(cost, h), 1.0) == pytest.approx(2 * np.e)


def test_disconnected_inputs_raise_warn_or_ignore():
    x, y = T.dvectors("x", "y")
    cost = T.sum(x ** 2)
    with pytest.raises(DisconnectedInputError, match="does not depend"):
        T.grad(cost, y)
    with pytest.warns(UserWarning, match="does not depend"):
        gy = T.grad(cost, y, disconnected_inputs="warn")
    np.testing.assert_array_equal(run([y], gy, [1.0, 2.0]), [0.0, 0.0])
    gy = T.grad(cost, y, disconnected_inputs="ignore")
    assert gy.dtype == "float64"
    assert T.grad(cost, y, disconnected_inputs="ignore", return_disconnected="None") is None
    g = T.grad(cost, y, disconnected_inputs="ignore", return_disconnected="Disconnected")
    assert isinstance(g.type, DisconnectedType)
    with pytest.raises(ValueError, match="disconnected"):
        T.grad(cost, y, disconnected_inputs="sometimes")


def test_disconnected_error_names_the_variable_and_the_line():
    y = T.dvector("weights")
    with pytest.raises(DisconnectedInputError) as info:
        T.grad(T.sum(T.dvector() * 2), y)
    assert "weights" in str(info.value) and "test_grad_api.py" in str(info.value)


def test_only_a_shape_is_disconnected():
    x = T.dvector("x")
    with pytest.raises(DisconnectedInputError):
        T.grad(T.cast(x.shape[0], "float64"), x)
    with pytest.raises(DisconnectedInputError):
        T.grad(T.sum(T.ones_like(x)), x)


def _undefined_op():
    """An op whose gradient is undefined (like a sampled random value)."""
    from minitheano.graph.basic import Apply
    from minitheano.graph.op import Op

    class Quantize(Op):
        def make_node(self, x):
            x = T.as_tensor_variable(x)
            return Apply(self, [x], [x.type()])

        def perform(self, node, inputs, output_storage):
            output_storage[0][0] = np.round(inputs[0] * 4) / 4

        def grad(self, inputs, output_grads):
            return [grad_undefined(self, 0, inputs[0], "quantizing is a staircase")]

    return Quantize()


def test_undefined_gradient_is_an_error_only_when_needed():
    x, y = T.dvectors("x", "y")
    q = _undefined_op()(x)
    cost = T.sum(q * y)
    with pytest.raises(NullTypeGradError) as info:
        T.grad(cost, x)
    text = str(info.value)
    assert "Quantize" in text and "input 0" in text and "staircase" in text
    # The gradient with respect to y does not need it.
    gy = T.grad(cost, y)
    np.testing.assert_allclose(run([x, y], gy, [0.3, 0.6], [1.0, 1.0]), [0.25, 0.5])
    # null_gradients='return' hands back the marker.
    g = T.grad(cost, x, null_gradients="return")
    assert isinstance(g.type, NullType)


def test_undefined_poisons_a_sum():
    x = T.dvector("x")
    cost = T.sum(_undefined_op()(x) + x ** 2)
    with pytest.raises(NullTypeGradError):
        T.grad(cost, x)


def test_consider_constant_stops_the_gradient():
    x = T.dscalar("x")
    h = x ** 2
    cost = h * x
    g = T.grad(cost, x, consider_constant=[h])
    assert run([x], g, 3.0) == 9.0  # d(h x)/dx with h fixed
    assert run([x], T.grad(cost, x), 3.0) == 27.0


def test_zero_grad_and_disconnected_grad():
    x = T.dscalar("x")
    cost = zero_grad(x ** 2) * x
    assert run([x], cost, 3.0) == 27.0  # the value passes through
    assert run([x], T.grad(cost, x), 3.0) == 9.0
    cost = disconnected_grad(x ** 2) * x
    assert run([x], T.grad(cost, x), 3.0) == 9.0
    with pytest.raises(DisconnectedInputError):
        T.grad(T.sum(disconnected_grad(x * 2)), x)
    assert run([x], T.grad(zero_grad(x) * 2, x), 3.0) == 0.0


def test_undefined_grad_grad_clip_grad_scale():
    x = T.dscalar("x")
    with pytest.raises(NullTypeGradError, match="undefined_grad"):
        T.grad(undefined_grad(x) * 2, x)
    # Theano's docstring example: clip(2 x) at 1 for x = 2, and the unclipped 4.
    z = T.grad(grad_clip(x, -1, 1) ** 2, x)
    z2 = T.grad(x ** 2, x)
    assert run([x], [z, z2], 2.0) == [1.0, 4.0]
    assert run([x], T.grad(grad_scale(x, -0.5) ** 2, x), 2.0) == -2.0
    assert run([x], grad_scale(x, 3) * 1.0, 2.0) == 2.0


def test_print_passes_the_gradient_and_the_direction_through():
    x, g = T.dvectors("x", "g")
    op = Print("m")
    assert op.grad([x], [g]) == [g]
    assert op.R_op([x], [g]) == [g]


def test_known_grads_start_the_walk():
    x = T.dvector("x")
    h = T.tanh(x)
    gh = T.dvector("gh")
    (gx,) = T.grad(None, [x], known_grads={h: gh})
    xv, ghv = np.array([0.1, -0.7]), np.array([2.0, 3.0])
    np.testing.assert_allclose(run([x, gh], gx, xv, ghv), ghv * (1 - np.tanh(xv) ** 2))
    # A known gradient is added to what flows back from the cost through h.
    cost = T.sum(h * 5)
    gx = T.grad(cost, x, known_grads={h: gh})
    np.testing.assert_allclose(run([x, gh], gx, xv, ghv), (ghv + 5) * (1 - np.tanh(xv) ** 2))
    with pytest.raises(ValueError, match="dimensions"):
        T.grad(None, x, known_grads={h: T.dmatrix()})
    with pytest.raises(ValueError):
        T.grad(None, x)


def _structure(outputs):
    """A description of a graph that two equal graphs share."""
    index = {}
    desc = []
    for v in variables(outputs):
        if v.owner is None:
            index[v] = ("in", v.name, str(v.type),
                        v.signature() if isinstance(v, Constant) else id(v))
    for node in toposort(outputs):
        desc.append((str(node.op), tuple(index[i] for i in node.inputs)))
        for k, o in enumerate(node.outputs):
            index[o] = ("out", len(desc), k)
    return desc, [index[o] for o in outputs]


def test_grad_is_pure():
    x = T.dmatrix("x")
    w = theano.shared(np.ones((2, 2)), "w")
    cost = T.sum(T.tanh(T.dot(x, w)) * x + x ** 2)
    before = [(v, v.name, v.owner, list(v.owner.inputs) if v.owner else None)
              for v in variables([cost])]
    g1 = T.grad(cost, [x, w])
    g2 = T.grad(cost, [x, w])
    assert _structure(g1) == _structure(g2)
    assert g1[0] is not g2[0]
    after = [(v, v.name, v.owner, list(v.owner.inputs) if v.owner else None)
             for v in variables([cost])]
    assert before == after
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f = theano.function([x], g1 + g2)
    xv = np.arange(4.0).reshape(2, 2) / 4
    r = f(xv)
    np.testing.assert_allclose(r[0], r[2])
    np.testing.assert_allclose(r[1], r[3])


def test_gradient_has_the_type_of_its_variable():
    b = T.TensorType("float64", (True, False))("b")  # a row
    x = T.dmatrix("x")
    g = T.grad(T.sum(x * b), b)
    assert g.type == b.type
    xv = np.arange(6.0).reshape(3, 2)
    np.testing.assert_allclose(run([x, b], g, xv, np.ones((1, 2))), xv.sum(0, keepdims=True))
