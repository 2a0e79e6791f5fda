"""The first seed's list of optimizations, each on its example, compiled in FAST_RUN (ch 3)."""

import numpy as np
from ch03_helpers import AS_WRITTEN, FAST_RUN, compile_ops

import minitheano as theano
from minitheano import tensor as T

rng = np.random.default_rng(0)


def test_x_plus_y_minus_x_is_y():
    x, y = T.dmatrices("x", "y")
    f, ops = compile_ops([x, y], x + y - x)
    assert ops == []  # the output is y itself (copied out by the DeepCopyOp)
    a, b = rng.random((2, 3)), rng.random((2, 3))
    np.testing.assert_array_equal(f(a, b), b)


def test_minus_minus_x_is_x():
    x = T.dvector("x")
    f, ops = compile_ops([x], T.neg(-x))  # --x
    assert ops == []
    a = rng.random(4)
    np.testing.assert_array_equal(f(a), a)


def test_logistic_is_one_sigmoid():
    x = T.dmatrix("x")
    f, ops = compile_ops([x], 1 / (1 + T.exp(-x)))
    assert ops == ["Elemwise{sigmoid,no_inplace}"]
    data = np.array([[0, 1], [-1, -2]], dtype=float)
    np.testing.assert_allclose(f(data), 1 / (1 + np.exp(-data)), rtol=1e-15)
    # As written, exp(1000) overflows (numpy warns); the sigmoid does not.
    assert f(np.array([[-1000.0, 1000.0]])).tolist() == [[0.0, 1.0]]


def test_log_1_plus_exp_is_softplus_and_finite():
    x = T.dscalar("x")
    f, ops = compile_ops([x], T.log(1 + T.exp(x)))
    assert ops == ["Elemwise{softplus,no_inplace}"]
    assert f(1000.0) == 1000.0
    with np.errstate(over="ignore"):
        assert theano.function([x], T.log(1 + T.exp(x)), mode=AS_WRITTEN)(1000.0) == np.inf
    np.testing.assert_allclose(f(0.5), np.log1p(np.exp(0.5)), rtol=1e-15)


def test_an_expression_written_twice_is_computed_once():
    x, y = T.dmatrices("x", "y")
    e1 = T.exp(x) * y
    e2 = T.exp(x) * y  # built again, separately
    f, ops = compile_ops([x, y], [e1 + 1, e2 - 1], mode=theano.Mode("py", "fast_run")
                         .excluding("fusion", "inplace"))
    assert ops.count("Elemwise{exp,no_inplace}") == 1
    assert ops.count("Elemwise{mul,no_inplace}") == 1
    a, b = rng.random((2, 2)), rng.random((2, 2))
    r1, r2 = f(a, b)
    np.testing.assert_allclose(r1, np.exp(a) * b + 1, rtol=1e-15)
    np.testing.assert_allclose(r2, np.exp(a) * b - 1, rtol=1e-15)


def test_a_chain_of_elementwise_ops_is_one_composite():
    x, y = T.dmatrices("x", "y")
    f, ops = compile_ops([x, y], T.tanh(T.exp(x) * 2 + T.sin(y)) - x)
    assert len(ops) == 1 and ops[0].startswith("Composite{")
    a, b = rng.random((3, 2)), rng.random((3, 2))
    np.testing.assert_allclose(f(a, b), np.tanh(np.exp(a) * 2 + np.sin(b)) - a, rtol=1e-14)


def test_intermediate_buffers_are_reused_in_place():
    x, w = T.dmatrices("x", "w")
    b = T.dvector("b")
    # (Without chapter 5's dot_bias_act, which makes the product and the loop one node.)
    f, ops = compile_ops([x, w, b], T.tanh(T.dot(x, w) + b),
                         mode=FAST_RUN.excluding("dot_bias_act"))
    assert ops[-1].startswith("Composite{tanh(i0 + i1)}[(0, 0)]")  # written into dot's result
    node = f.maker.fgraph.toposort()[-1]
    assert node.op.destroy_map == {0: [0]} and node.inputs[0].owner.op == T.math._dot
    a, m, v = rng.random((3, 4)), rng.random((4, 2)), rng.random(2)
    np.testing.assert_allclose(f(a, m, v), np.tanh(a @ m + v), rtol=1e-14)


def test_the_function_never_returns_a_buffer_it_reuses():
    x, w = T.dmatrices("x", "w")
    f = theano.function([x, w], [T.tanh(T.dot(x, w) + 1), T.dot(x, w) * 2],
                        mode=theano.Mode("py", "fast_run"))
    a, m = rng.random((3, 4)), rng.random((4, 2))
    first = f(a, m)
    kept = [r.copy() for r in first]
    f(a * 3, m + 1)
    for r, k in zip(first, kept):
        np.testing.assert_array_equal(r, k)
    assert not np.shares_memory(first[0], first[1])


def test_the_logistic_derivative_reads_s_times_1_minus_s():
    # The form reverse mode produces for d/dx sum(1/(1+exp(-x))) (chapter 4).
    x = T.dvector("x")
    grad_form = T.exp(-x) / ((1 + T.exp(-x)) * (1 + T.exp(-x)))
    f, ops = compile_ops([x], [1 / (1 + T.exp(-x)), grad_form],
                         mode=theano.Mode("py", "fast_run").excluding("fusion", "inplace"))
    assert sorted(ops) == ["Elemwise{mul,no_inplace}", "Elemwise{sigmoid,no_inplace}",
                           "Elemwise{sub,no_inplace}"]
    v = np.array([-1000.0, -2.0, 0.0, 3.0, 1000.0])
    s, ds = f(v)
    with np.errstate(over="ignore"):
        expected = 1 / (1 + np.exp(-v))
    np.testing.assert_allclose(ds, expected * (1 - expected), rtol=1e-15)
    assert np.isfinite(ds).all()
