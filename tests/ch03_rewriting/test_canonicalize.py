"""Canonical forms of sums and products: each case fires, and not where it must not (ch 3)."""

import numpy as np
import pytest
from ch03_helpers import FAST_COMPILE, compile_ops, fired

import minitheano as theano
from minitheano import tensor as T

rng = np.random.default_rng(1)
x, y, z = T.dmatrices("x", "y", "z")
r = T.drow("r")
XY = [rng.random((2, 3)) + 0.5, rng.random((2, 3)) + 0.5]


@pytest.mark.parametrize("expr, expected_ops, reference", [
    (lambda: x + y - x, [], lambda a, b: b),
    (lambda: T.neg(T.neg(x)), [], lambda a, b: a),  # --x
    (lambda: x * 1, [], lambda a, b: a),
    (lambda: x + 0, [], lambda a, b: a),
    (lambda: x * y / x, [], lambda a, b: b),
    (lambda: x + x, ["Elemwise{mul,no_inplace}"], lambda a, b: 2 * a),
    (lambda: 2 * x * 3, ["Elemwise{mul,no_inplace}"], lambda a, b: 6 * a),
    (lambda: x - y + y - x + y, [], lambda a, b: b),
    (lambda: (x * y) / (x * x), ["Elemwise{true_div,no_inplace}"], lambda a, b: b / a),
    (lambda: -x + y, ["Elemwise{sub,no_inplace}"], lambda a, b: b - a),
])
def test_collects_terms_and_factors(expr, expected_ops, reference):
    f, ops = compile_ops([x, y], expr(), mode=FAST_COMPILE)
    assert ops == expected_ops
    np.testing.assert_allclose(f(*XY), reference(*XY), rtol=1e-14)


def test_zeros_keep_the_broadcast_shape():
    for expr in (x * 0, x - x, r * 0 + x - x):
        f, ops = compile_ops([x, r], expr, mode=FAST_COMPILE)
        out = f(XY[0], rng.random((1, 3)))
        assert out.shape == (2, 3) and not out.any()
        assert f.maker.fgraph.outputs[0].type == expr.type
    # A row plus a cancelled matrix is still a matrix.
    f, _ = compile_ops([x, r], x + r - x, mode=FAST_COMPILE)
    row = rng.random((1, 3))
    np.testing.assert_array_equal(f(XY[0], row), np.broadcast_to(row, (2, 3)))


def test_cancel_div_can_be_forbidden():
    mode = FAST_COMPILE.excluding("cancel_div")
    f, ops = compile_ops([x, y], x * y / x, mode=mode)
    assert "Elemwise{true_div,no_inplace}" in ops
    a, b = np.array([[0.0, 1.0, 2.0]] * 2), XY[1]
    with np.errstate(invalid="ignore"):
        out = f(a, b)
    assert np.isnan(out[:, 0]).all()  # 0 * y / 0 is NaN when the division stays
    f2, ops2 = compile_ops([x, y], x * y / x, mode=FAST_COMPILE)
    assert ops2 == [] and not np.isnan(f2(a, b)).any()  # Theano's choice: y


def test_shared_subexpressions_are_not_flattened():
    s = x + y
    f, ops = compile_ops([x, y], [s - x, s * 2], mode=FAST_COMPILE)
    # s is an output's operand twice: it stays one node, computed once.
    assert ops.count("Elemwise{add,no_inplace}") == 1


def test_int8_sums_keep_their_wraparound():
    a, b = T.bvectors("a", "b") if hasattr(T, "bvectors") else (T.bvector("a"), T.bvector("b"))
    f = theano.function([a, b], (a + b) * 1.5 - a, mode=FAST_COMPILE)
    va, vb = np.array([100, -100], dtype="int8"), np.array([100, 27], dtype="int8")
    with np.errstate(over="ignore"):
        expected = (va + vb) * 1.5 - va
    np.testing.assert_array_equal(f(va, vb), expected)


def test_bool_sums_are_left_alone():
    p, q = T.tensor("bool", (False,), "p"), T.tensor("bool", (False,), "q")
    f, ops = compile_ops([p, q], p + q + p, mode=FAST_COMPILE)
    assert len(ops) == 2  # True + True is True for numpy: no 2 * p
    np.testing.assert_array_equal(f([True, False], [False, False]), [True, False])


def test_canonical_form_is_a_fixed_point():
    f, _ = compile_ops([x, y, z], (x + y) - (z + x) + (y - z), mode=FAST_COMPILE)
    counts = fired(f)
    assert counts.get("add_canonical", 0) <= 3
    a, b, c = XY[0], XY[1], rng.random((2, 3))
    np.testing.assert_allclose(f(a, b, c), 2 * b - 2 * c, rtol=1e-14)
