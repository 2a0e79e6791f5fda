"""Algebraic identities, merging and constant folding: fire where they should, not elsewhere."""

import numpy as np
import pytest
from ch03_helpers import FAST_COMPILE, FAST_RUN, compile_ops, fired

import minitheano as theano
from minitheano import tensor as T

rng = np.random.default_rng(2)
x, y = T.dmatrices("x", "y")
A = rng.random((3, 2)) + 0.5


@pytest.mark.parametrize("expr, expected_ops, reference", [
    (lambda: x ** 2, ["Elemwise{sqr,no_inplace}"], lambda a: a ** 2),
    (lambda: x ** 0.5, ["Elemwise{sqrt,no_inplace}"], np.sqrt),
    (lambda: x ** 1, [], lambda a: a),
    (lambda: T.log(T.exp(x)), [], lambda a: a),
    (lambda: x.T.T, [], lambda a: a),
    (lambda: x.dimshuffle(1, 0).dimshuffle("x", 1, 0), ["DimShuffle{x,0,1}"], lambda a: a[None]),
    (lambda: T.sum(x.T), ["Sum{axis=[0, 1]}"], np.sum),
    (lambda: T.sum(x.T, axis=0), ["Sum{axis=[1]}"], lambda a: a.T.sum(axis=0)),
    (lambda: -1 * x, ["Elemwise{neg,no_inplace}"], lambda a: -a),
])
def test_algebra(expr, expected_ops, reference):
    f, ops = compile_ops([x], expr(), mode=FAST_RUN.excluding("fusion", "inplace"))
    assert ops == expected_ops
    np.testing.assert_allclose(f(A), reference(A), rtol=1e-15)


def test_log_of_a_product_is_not_expanded():
    f, ops = compile_ops([x, y], T.log(x * y), mode=FAST_RUN.excluding("fusion", "inplace"))
    assert ops == ["Elemwise{mul,no_inplace}", "Elemwise{log,no_inplace}"]
    a, b = -A, -A  # log(x) + log(y) would be NaN here
    np.testing.assert_allclose(f(a, b), np.log(a * b), rtol=1e-15)


def test_exp_of_log_keeps_the_nan_of_negative_inputs():
    v = T.dvector("v")
    f, ops = compile_ops([v], T.exp(T.log(v)), mode=FAST_RUN.excluding("fusion", "inplace"))
    assert "Elemwise{exp,no_inplace}" not in ops and "Elemwise{log,no_inplace}" not in ops
    with np.errstate(invalid="ignore"):
        out = f(np.array([2.0, 0.0, -1.0]))
    np.testing.assert_array_equal(out[:2], [2.0, 0.0])
    assert np.isnan(out[2])


def test_constant_folding_uses_perform_and_keeps_types():
    c = T.constant(np.array([[1.0, 2.0]]))  # a row
    f, ops = compile_ops([x], x + T.exp(c) * 2 - T.sqrt(T.constant(4.0)),
                         mode=FAST_COMPILE)
    assert ops == ["Elemwise{add,no_inplace}"]
    np.testing.assert_allclose(f(A), A + np.exp([[1.0, 2.0]]) * 2 - 2, rtol=1e-15)
    assert fired(f)["constant_folding"] >= 2


def test_alloc_is_not_folded():
    f, ops = compile_ops([], T.zeros((3, 4)), mode=FAST_RUN)
    assert any(op.startswith("Alloc") for op in ops)
    a, b = f(), f()
    assert a.shape == (3, 4) and not np.shares_memory(a, b)


def test_a_failing_fold_is_left_for_the_call():
    bad = T.dot(T.constant(np.ones((2, 3))), T.constant(np.ones((2, 3))))
    f = theano.function([], bad, mode=FAST_RUN)
    with pytest.raises(ValueError, match="not aligned"):
        f()


def test_merge_identical_nodes_and_constants():
    a = T.exp(x) + T.constant(1.0)
    b = T.exp(x) + T.constant(1.0)
    f, ops = compile_ops([x], [a, b], mode=FAST_COMPILE)
    assert ops == ["Elemwise{exp,no_inplace}", "Elemwise{add,no_inplace}"]
    r1, r2 = f(A)
    np.testing.assert_array_equal(r1, np.exp(A) + 1)
    np.testing.assert_array_equal(r2, r1)
    assert not np.shares_memory(r1, r2)  # both outputs, each its own buffer


def test_merge_does_not_merge_different_ops():
    f, ops = compile_ops([x], [T.exp(x), T.log(x), T.sum(x, axis=0), T.sum(x, axis=1)],
                         mode=FAST_COMPILE)
    assert len(ops) == 4
