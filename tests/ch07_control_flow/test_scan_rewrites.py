"""Rewrites of loops: invariant work hoisted, sequence work pushed out, O(1) memory for
h[-1], unused outputs pruned; each checked against the loop as written (chapter 7)."""

import tracemalloc

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano.scan import Scan
from minitheano.scan.op import FINAL
from minitheano.tensor.blas import Gemm
from minitheano.tensor.dot_bias_act import DotBiasAct
from minitheano.tensor.math import Dot

pytest.importorskip("minitheano.rewrite.engine")

rng = np.random.default_rng(11)
AS_WRITTEN = theano.Mode("py", None)


def scan_nodes(f):
    return [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def inner_ops(node):
    return [type(n.op).__name__ for n in node.op.fgraph.toposort()]


def rnn():
    X, Wx, Wh, b, h0 = T.dmatrix("X"), T.dmatrix("Wx"), T.dmatrix("Wh"), T.dvector("b"), \
        T.dvector("h0")
    h, _ = theano.scan(lambda x, hp: T.tanh(T.dot(x, Wx) + T.dot(hp, Wh.T) + b),
                       sequences=X, outputs_info=[h0])
    values = [rng.normal(size=(7, 3)), rng.normal(size=(3, 4)), rng.normal(size=(4, 4)),
              rng.normal(size=4), rng.normal(size=4)]
    return [X, Wx, Wh, b, h0], h, values


def test_input_projection_is_one_matrix_product_before_the_loop():
    inputs, h, values = rnn()
    f = theano.function(inputs, h)
    expected = theano.function(inputs, h, mode=AS_WRITTEN)(*values)
    np.testing.assert_allclose(f(*values), expected, rtol=1e-12)
    (node,) = scan_nodes(f)
    # Outside the loop: X . Wx (a matrix product over all steps; with its bias added
    # in the product's output pass, chapter 5's DotBiasAct, on the C linker).
    outer_dots = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, (Dot, DotBiasAct))]
    assert any(n.inputs[0].ndim == 2 and n.outputs[0].ndim == 2 for n in outer_dots)
    # Inside: only h . Wh^T is left; the transpose was hoisted out too.
    assert inner_ops(node).count("Dot") == 1
    assert "DimShuffle" not in inner_ops(node) or all(
        n.inputs[0] not in node.op.fgraph.inputs[-3:] for n in node.op.fgraph.toposort())


def test_invariant_work_is_hoisted():
    v, W = T.dvector("v"), T.dmatrix("W")
    out, _ = theano.scan(lambda acc: acc * T.exp(W).sum(), outputs_info=v, n_steps=3)
    f = theano.function([v, W], out)
    vv, wv = rng.normal(size=5), rng.normal(size=(2, 2))
    s = np.exp(wv).sum()
    np.testing.assert_allclose(f(vv, wv), [vv * s, vv * s ** 2, vv * s ** 3], rtol=1e-12)
    (node,) = scan_nodes(f)
    assert not any("exp" in str(n.op) for n in node.op.fgraph.toposort())


def test_last_step_only_keeps_constant_memory():
    h0, n = T.dvector("h0"), T.iscalar("n")
    h, _ = theano.scan(lambda h: h * 0.5 + 1.0, outputs_info=h0, n_steps=n)
    f = theano.function([h0, n], h[-1])
    (node,) = scan_nodes(f)
    assert node.op.keep_last == (True,)
    start = np.zeros(1000)
    expected = start.copy()
    for _ in range(50):
        expected = expected * 0.5 + 1.0
    np.testing.assert_allclose(f(start, 50), expected)

    def peak(steps):
        f(start, 2)  # warm up
        tracemalloc.start()
        f(start, steps)
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    short, long = peak(100), peak(3000)
    assert long < 1.5 * short + 20_000  # not 3000 x 8 kB
    assert long < 200_000


def scan_loop_of(f):
    """A ScanLoop for f's scan node, as its thunk has."""
    from minitheano.scan.loop import ScanLoop

    (node,) = scan_nodes(f)
    return ScanLoop(node.op, node)  # a second loop over the same compiled body


@pytest.mark.parametrize("step, handed_back", [
    (lambda h: T.tanh(h * 0.5 + 1.0), True),    # a new array every step
    (lambda h: h.T[::-1].T * 1.0 + h[::-1], True),
    (lambda h: h[::-1], False),                  # a view of the body's input
])
def test_the_newest_value_goes_back_without_a_copy_unless_it_is_a_view(step, handed_back):
    h0, n = T.dmatrix("h0"), T.iscalar("n")
    h, _ = theano.scan(step, outputs_info=h0, n_steps=n)
    f = theano.function([h0, n], h[-1])
    assert scan_loop_of(f).hand_back == [handed_back]
    start = rng.normal(size=(3, 3))
    reference = theano.function([h0, n], h[-1], mode=AS_WRITTEN)
    for steps in (1, 2, 7):
        np.testing.assert_allclose(f(start, steps), reference(start, steps), rtol=1e-14)
    with pytest.raises(IndexError, match="ran 0 steps"):
        f(start, 0)


def test_last_step_of_an_empty_loop_is_an_error():
    h0, n = T.dvector("h0"), T.iscalar("n")
    h, _ = theano.scan(lambda h: h + 1, outputs_info=h0, n_steps=n)
    f = theano.function([h0, n], h[-1])
    with pytest.raises(IndexError):
        f(np.zeros(2), 0)


def test_taps_with_keep_last_use_a_ring():
    init = T.dvector("init")
    fib, _ = theano.scan(lambda a, b: a + b, outputs_info=dict(initial=init, taps=[-2, -1]),
                         n_steps=30)
    f = theano.function([init], fib[-1])
    assert scan_nodes(f)[0].op.keep_last == (True,)
    a, b = 0.0, 1.0
    for _ in range(30):
        a, b = b, a + b
    assert f(np.array([0.0, 1.0])) == b


def test_a_state_nobody_reads_keeps_only_its_last_step():
    x = T.dvector("x")
    # `a` is fed back (b needs it) but only b's history is read.
    (a, b), _ = theano.scan(lambda v, a_prev, b_prev: [a_prev * 0.5 + v, b_prev + a_prev],
                            sequences=x, outputs_info=[T.constant(1.0), T.constant(0.0)])
    f = theano.function([x], b)
    (node,) = scan_nodes(f)
    assert node.op.keep_last == (FINAL, False)  # a value, even after no step
    assert f(np.zeros(0)).shape == (0,)  # (nobody asks for it: no error)
    data = rng.normal(size=6)
    a_val, b_val, expected = 1.0, 0.0, []
    for v in data:
        a_val, b_val = a_val * 0.5 + v, b_val + a_val
        expected.append(b_val)
    np.testing.assert_allclose(f(data), expected)
    np.testing.assert_allclose(theano.function([x], b, mode=AS_WRITTEN)(data), expected)


def test_unused_outputs_are_pruned():
    x = T.dvector("x")
    (total, squares, cubes), _ = theano.scan(lambda v, acc: [acc + v, v ** 2, v ** 3],
                                             sequences=x,
                                             outputs_info=[T.constant(0.0), None, None])
    f = theano.function([x], squares)
    data = rng.normal(size=6)
    np.testing.assert_allclose(f(data), data ** 2)
    nodes = scan_nodes(f)
    assert len(nodes) <= 1  # a map may even leave the loop altogether
    for node in nodes:
        assert len(node.outputs) == 1


def test_a_scan_whose_outputs_are_unused_is_removed():
    x = T.dvector("x")
    out, _ = theano.scan(lambda v: T.exp(v) * 2, sequences=x)
    # 0 * out.sum() simplifies to 0: nothing reads the loop any more.
    f = theano.function([x], x.sum() + 0 * out.sum())
    data = rng.normal(size=4)
    assert f(data) == pytest.approx(data.sum())
    assert not scan_nodes(f)
    assert scan_nodes(theano.function([x], x.sum() + 0 * out.sum(), mode=AS_WRITTEN))


def test_a_map_becomes_whole_array_operations():
    X, b = T.dmatrix("X"), T.dvector("b")
    out, _ = theano.scan(lambda row: T.tanh(row + b) * 2, sequences=X)
    back, _ = theano.scan(lambda row: row * 3, sequences=X, go_backwards=True)
    f = theano.function([X, b], [out, back])
    x, bv = rng.normal(size=(5, 3)), rng.normal(size=3)
    a, c = f(x, bv)
    np.testing.assert_allclose(a, np.tanh(x + bv) * 2, rtol=1e-12)
    np.testing.assert_allclose(c, x[::-1] * 3)
    assert not scan_nodes(f)


def test_sum_of_outer_products_is_one_matrix_product():
    X, Y, A0, n = T.dmatrix("X"), T.dmatrix("Y"), T.dmatrix("A0"), T.iscalar("n")
    acc, _ = theano.scan(lambda x, y, a: a + T.outer(x, T.tanh(y)), sequences=[X, Y],
                         outputs_info=A0, n_steps=n)
    f = theano.function([X, Y, A0, n], acc[-1])
    x, y, a0 = rng.normal(size=(6, 3)), rng.normal(size=(6, 4)), rng.normal(size=(3, 4))
    np.testing.assert_allclose(f(x, y, a0, 5), a0 + x[:5].T @ np.tanh(y[:5]), rtol=1e-12)
    np.testing.assert_allclose(f(x, y, a0, 0), a0)  # no step: the initial value
    for node in scan_nodes(f):  # what is left of the loop holds no matrix state
        assert all(o.ndim < 3 for o in node.outputs)
    # One matrix product, which may also add A0 in the same BLAS call (Gemm, chapter 5).
    assert any(isinstance(n.op, (Dot, Gemm)) and n.outputs[0].ndim == 2
               for n in f.maker.fgraph.toposort())


def test_a_running_vector_sum_leaves_the_loop():
    X, h0 = T.dmatrix("X"), T.dvector("h0")
    (h, total), _ = theano.scan(lambda x, hp, s: [T.tanh(hp + x), s + T.tanh(hp + x)],
                                sequences=X, outputs_info=[h0, T.zeros_like(h0)])
    f = theano.function([X, h0], [h[-1], total[-1]])
    x, start = rng.normal(size=(5, 3)), rng.normal(size=3)
    hs, hp = [], start
    for row in x:
        hp = np.tanh(hp + row)
        hs.append(hp)
    last, s = f(x, start)
    np.testing.assert_allclose(last, hs[-1], rtol=1e-12)
    np.testing.assert_allclose(s, np.sum(hs, axis=0), rtol=1e-12)
    (node,) = scan_nodes(f)
    assert node.op.n_states == 1  # only h is carried


def test_backpropagation_through_time_carries_only_the_state_gradient():
    X, Wx, Wh, b, h0 = T.dmatrix("X"), T.dmatrix("Wx"), T.dmatrix("Wh"), T.dvector("b"), \
        T.dvector("h0")
    h, _ = theano.scan(lambda x, hp: T.tanh(T.dot(x, Wx) + T.dot(hp, Wh) + b), sequences=X,
                       outputs_info=h0)
    grads = T.grad((h[-1] ** 2).sum(), [Wx, Wh, b])
    f = theano.function([X, Wx, Wh, b, h0], grads)
    backward = [n for n in scan_nodes(f) if n.op.go_backwards]
    assert len(backward) == 1
    (node,) = backward
    assert node.op.n_states == 1  # the gradient reaching h[t]; no weight accumulators
    assert inner_ops(node).count("Dot") == 1  # dh . Wh^T: nothing recomputed
    values = [rng.normal(size=(6, 2)), rng.normal(size=(2, 3)), rng.normal(size=(3, 3)),
              rng.normal(size=3), rng.normal(size=3)]
    expected = theano.function([X, Wx, Wh, b, h0], grads, mode=AS_WRITTEN)(*values)
    for got, want in zip(f(*values), expected):
        np.testing.assert_allclose(got, want, rtol=1e-10)


def test_the_body_is_compiled_with_the_functions_mode_or_scans_own():
    X, h0 = T.dmatrix("X"), T.dvector("h0")

    def body_ops(mode=None, scan_mode=None):
        h, _ = theano.scan(lambda x, hp: T.tanh(hp * 2 + x), sequences=X, outputs_info=h0,
                           mode=scan_mode)
        f = theano.function([X, h0], h, mode=mode)
        (node,) = scan_nodes(f)
        assert node.op.inner_ready
        np.testing.assert_allclose(f(np.ones((2, 2)), np.zeros(2))[0], np.tanh([1.0, 1.0]))
        return node.op.link_mode, [type(n.op.scalar_op).__name__ for n in
                                   node.op.fgraph.toposort()]

    mode, ops = body_ops()
    assert mode == theano.compile.mode.get_mode(None) and ops == ["Composite"]  # fused
    mode, ops = body_ops(mode="FAST_COMPILE")
    assert mode.optimizer == "fast_compile" and "Composite" not in ops
    mode, ops = body_ops(mode="FAST_RUN", scan_mode="FAST_COMPILE")
    assert mode.optimizer == "fast_compile" and "Composite" not in ops
