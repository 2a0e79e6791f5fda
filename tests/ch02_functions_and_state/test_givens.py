"""givens=: substitute variables in a copy of the graph (chapter 2)."""

import numpy as np
import pytest

import minitheano.tensor as T
from minitheano import function, shared
from minitheano.graph.basic import toposort


def test_replace_an_input_by_an_expression():
    x, y = T.dscalars("x", "y")
    z = x * 2 + 1
    f = function([y], z, givens={x: y * 10})
    assert f(3.0) == 61.0


def test_replace_a_shared_variable_by_an_input_and_by_another_shared():
    w = shared(np.array([1.0, 2.0]), name="w")
    v = shared(np.array([10.0, 20.0]), name="v")
    x = T.dvector("x")
    out = (w * 2).sum()
    f = function([x], out, givens=[(w, x)])
    assert f(np.array([3.0, 4.0])) == 14.0
    g = function([], out, givens={w: v})
    assert g() == 60.0
    v.set_value(np.array([0.5, 0.5]))
    assert g() == 2.0
    np.testing.assert_array_equal(w.get_value(), [1.0, 2.0])


def test_givens_and_updates_together():
    w = shared(1.0, name="w")
    x = T.dscalar("x")
    z = T.dscalar("z")
    f = function([x], w + z, updates=[(w, w + z)], givens={z: x * 2})
    assert f(1.0) == 3.0
    assert w.get_value() == 3.0


def test_the_user_graph_is_not_modified():
    x, y = T.dvectors("x", "y")
    h = T.exp(x) + 1
    out = h * 2
    nodes_before = toposort([out])
    inputs_before = [list(n.inputs) for n in nodes_before]
    f = function([x], out)
    g = function([y], out, givens={x: y + 1})
    assert toposort([out]) == nodes_before
    assert [list(n.inputs) for n in toposort([out])] == inputs_before
    assert out.owner.inputs[0] is h and h.owner.inputs[0].owner.inputs[0] is x
    v = np.array([0.0, 1.0])
    np.testing.assert_allclose(f(v), (np.exp(v) + 1) * 2, rtol=1e-15)
    np.testing.assert_allclose(g(v), (np.exp(v + 1) + 1) * 2, rtol=1e-15)
    np.testing.assert_allclose(f(v), (np.exp(v) + 1) * 2, rtol=1e-15)


def test_givens_type_mismatch_is_a_type_error():
    x = T.dvector("x")
    f32 = T.fvector("f")
    with pytest.raises(TypeError) as info:
        function([f32], x * 2, givens={x: f32})
    msg = str(info.value)
    assert "TensorType(float64, vector)" in msg and "TensorType(float32, vector)" in msg
    assert "T.cast" in msg
    with pytest.raises(TypeError, match="matrix"):
        function([], x * 2, givens={x: T.dmatrix("m")})


def test_givens_key_must_be_a_variable_and_pairs_must_be_pairs():
    x = T.dscalar("x")
    with pytest.raises(TypeError, match="not a symbolic variable"):
        function([x], x, givens={"x": x})
    with pytest.raises(TypeError, match="pairs"):
        function([x], x, givens=[x])


def test_a_replaced_input_is_unused():
    x, y = T.dscalars("x", "y")
    with pytest.raises(ValueError, match=r"input 0 \(x\)"):
        function([x, y], x + 1, givens={x: y})


def test_givens_with_a_constant_value():
    x = T.dscalar("x")
    y = T.dscalar("y")
    f = function([y], x + y, givens={x: 2.5})
    assert f(1.0) == 3.5
