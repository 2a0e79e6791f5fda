"""Fusion into Composites, and in-place operation where nothing else needs the buffer (ch 3)."""

import numpy as np
from ch03_helpers import FAST_RUN, compile_ops

import minitheano as theano
from minitheano import tensor as T
from minitheano.rewrite.fusion import MAX_INPUTS

rng = np.random.default_rng(3)
x, y = T.dmatrices("x", "y")
A, B = rng.random((3, 2)), rng.random((3, 2))


def test_fusion_inlines_one_number_constants():
    f, ops = compile_ops([x], T.exp(x) * 2 + 1)
    assert ops == ["Composite{1.0 + 2.0 * exp(i0)}"] or ops[0].startswith("Composite")
    node = f.maker.fgraph.toposort()[0]
    assert len(node.inputs) == 1  # x only: 2 and 1 are inside
    np.testing.assert_allclose(f(A), np.exp(A) * 2 + 1, rtol=1e-15)


def test_a_value_read_twice_is_not_fused_into_both_readers():
    e = T.exp(x)
    f, ops = compile_ops([x], [e * 2, e + 1])
    assert "Elemwise{exp,no_inplace}" in ops  # computed once, read by two nodes
    r1, r2 = f(A)
    np.testing.assert_allclose(r1, np.exp(A) * 2, rtol=1e-15)
    np.testing.assert_allclose(r2, np.exp(A) + 1, rtol=1e-15)


def test_a_dimshuffle_breaks_the_chain():
    f, ops = compile_ops([x], T.exp(T.exp(x).T))
    assert len([o for o in ops if "exp" in o]) == 2
    np.testing.assert_allclose(f(A), np.exp(np.exp(A).T), rtol=1e-15)


def test_fusion_is_capped():
    vs = [T.dvector(f"v{i}") for i in range(MAX_INPUTS + 8)]
    expr = vs[0]
    for v in vs[1:]:
        expr = T.sin(expr) * v
    f, ops = compile_ops(vs, expr)
    nodes = f.maker.fgraph.toposort()
    assert len(nodes) >= 2 and all(len(n.inputs) <= MAX_INPUTS for n in nodes)
    values = [rng.random(2) for _ in vs]
    expected = values[0]
    for v in values[1:]:
        expected = np.sin(expected) * v
    np.testing.assert_allclose(f(*values), expected, rtol=1e-13)


def test_no_inplace_on_a_function_input_or_a_shared_value():
    w = theano.shared(rng.random((3, 2)), "w")
    f, ops = compile_ops([x], [T.exp(x), T.exp(w)])
    assert not any("inplace" in o and "no_inplace" not in o for o in ops)
    assert all(not n.op.destroy_map for n in f.maker.fgraph.toposort())
    a = A.copy()
    f(a)
    np.testing.assert_array_equal(a, A)


def test_a_mutable_input_may_be_overwritten():
    f = theano.function([theano.In(x, mutable=True)], T.exp(x), mode=FAST_RUN)
    assert any(n.op.destroy_map for n in f.maker.fgraph.toposort())
    a = A.copy()
    np.testing.assert_allclose(f(a), np.exp(A), rtol=1e-15)


def test_no_inplace_on_an_output_or_a_value_read_later():
    d = T.dot(x, y.T)
    f, ops = compile_ops([x, y], [d, T.exp(d)])  # d is an output: keep it
    assert all(not n.op.destroy_map for n in f.maker.fgraph.toposort())
    r_d, r_e = f(A, B)
    np.testing.assert_allclose(r_e, np.exp(A @ B.T), rtol=1e-15)
    np.testing.assert_allclose(r_d, A @ B.T, rtol=1e-15)
    # Also read through a view.  (Without gemm: it would make `exp(d) + dot(d.T, d)` one
    # Gemm writing into exp(d); this test is about the elementwise in-place rule.)
    f, ops = compile_ops([x, y], [T.exp(d) + T.dot(d.T, d)],
                         mode=FAST_RUN.excluding("gemm"))
    fg = f.maker.fgraph
    destroyed = [n.inputs[i] for n in fg.toposort() for (i,) in n.op.destroy_map.values()]
    # The fused node may overwrite the second product (read by it alone), not d.
    assert len(destroyed) == 1 and destroyed[0].owner.inputs[1] is not destroyed[0]
    assert len(fg.clients[destroyed[0]]) == 1
    m = A @ B.T
    np.testing.assert_allclose(f(A, B)[0], np.exp(m) + m.T @ m, rtol=1e-14)


def test_in_place_results_match_fast_compile():
    d = T.dot(x, y.T)
    exprs = [T.tanh(d + 1) * 2, T.exp(d).sum()]
    f = theano.function([x, y], exprs, mode=FAST_RUN)
    g = theano.function([x, y], exprs, mode=theano.Mode("py", "fast_compile"))
    for a, b in zip(f(A, B), g(A, B)):
        np.testing.assert_allclose(a, b, rtol=1e-14)
