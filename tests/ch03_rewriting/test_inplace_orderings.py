"""In place with orderings (chapter 3, graph/destroy.py): a node may overwrite a buffer
that other nodes also read, when they can all run before it; every linker runs them first.

Generated graphs read one intermediate buffer in several ways; each compiled function is
checked against numpy, for untouched caller arrays, and for the order its VM runs the
nodes in (an independent check: every reader of the old contents comes before the node
that overwrites them).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import minitheano as theano
import minitheano.tensor as T
from minitheano.graph.fg import FunctionGraph, InconsistencyError
from minitheano.scan.op import Scan
from minitheano.tensor.subtensor import IncSubtensor

LINKERS = ("py", "c")
NO_INPLACE = ("inplace", "gemm_inplace")

# Ways to read the intermediate d = dot(x, y): (name, symbolic, numpy).  "after" reads d
# and the result of the first elementwise reader: no ordering can put it before that
# reader, so that reader must not overwrite d.
READERS = {
    "exp": (lambda d: T.exp(d) + 1, lambda d: np.exp(d) + 1),
    "tanh": (lambda d: T.tanh(d) * 2, lambda d: np.tanh(d) * 2),
    "sum": (lambda d: d.sum(axis=0), lambda d: d.sum(axis=0)),
    "dot_t": (lambda d: T.dot(d.T, d), lambda d: d.T @ d),
    "row": (lambda d: d[0] * 3, lambda d: d[0] * 3),
    "t_plus": (lambda d: d.T + 1, lambda d: d.T + 1),
}


def chain(v):
    """v, the variable whose buffer it shares, ..., up to the buffer's owner."""
    found = [v]
    while v.owner is not None:
        op = v.owner.op
        inputs = op.view_map.get(v.index) or op.destroy_map.get(v.index)
        if not inputs:
            break
        v = v.owner.inputs[inputs[0]]
        found.append(v)
    return found


def assert_readers_run_first(f):
    """In the order f's VM runs the nodes, each reader of a buffer's old contents runs
    before the node overwriting it.  Returns how many such readers were not ancestors."""
    fg = f.maker.fgraph
    order = f._vm.nodes
    position = {node: k for k, node in enumerate(order)}
    assert set(order) == fg.apply_nodes
    not_ancestors = 0
    for node in order:
        ancestors = {v.owner for v in theano.graph.basic.graph_inputs(node.inputs)} | set(
            theano.graph.basic.toposort(node.inputs))
        for inputs in node.op.destroy_map.values():
            root = chain(node.inputs[inputs[0]])[-1]
            for v in fg.variables:
                links = chain(v)
                if links[-1] is not root or any(u.owner is node for u in links):
                    continue  # another buffer, or the new contents
                for reader, _ in fg.clients[v]:
                    if reader != "output" and reader is not node:
                        assert position[reader] < position[node], (reader, node)
                        not_ancestors += reader not in ancestors
    return not_ancestors


def compile_and_check(inputs, outputs, values, expected, linker):
    f = theano.function(inputs, outputs, mode=theano.Mode(linker, "fast_run"))
    copies = [v.copy() for v in values]
    for _ in range(2):  # a second call reuses the buffers of the first
        got = f(*values)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
    for v, c in zip(values, copies):
        np.testing.assert_array_equal(v, c)
    return f


@pytest.mark.ch05  # needs chapter 5 (the C linker is one of LINKERS)
@settings(max_examples=30, deadline=None)
@given(kinds=st.lists(st.sampled_from(sorted(READERS)), min_size=1, max_size=4),
       after=st.booleans(), rows=st.integers(1, 4), cols=st.integers(1, 4),
       linker=st.sampled_from(LINKERS))
def test_generated_readers_of_an_overwritten_buffer(kinds, after, rows, cols, linker):
    x, y = T.dmatrices("x", "y")
    d = T.dot(x, y)
    rng = np.random.default_rng(len(kinds) * 7 + rows)
    xv, yv = rng.normal(size=(rows, 3)), rng.normal(size=(3, cols))
    dv = xv @ yv
    outs = [READERS[k][0](d) for k in kinds]
    want = [READERS[k][1](dv) for k in kinds]
    if after:  # reads d and the first elementwise reader's result (rows x cols)
        k = next((k for k, kind in enumerate(kinds) if kind in ("exp", "tanh")), 0)
        e, ev = (outs[k], want[k]) if kinds[k] in ("exp", "tanh") else (T.exp(d), np.exp(dv))
        outs.append(T.dot(e, d.T))
        want.append(ev @ dv.T)
    f = compile_and_check([x, y], outs, [xv, yv], want, linker)
    event(f"readers ordered first that are no ancestors: {min(assert_readers_run_first(f), 2)}")


@pytest.mark.ch05  # needs chapter 5 (the C linker is one of LINKERS)
def test_a_reader_that_is_no_ancestor_is_ordered_first():
    x, y = T.dmatrices("x", "y")
    d = T.dot(x, y)
    xv, yv = np.arange(6.0).reshape(2, 3), np.ones((3, 2))
    for linker in LINKERS:
        f = compile_and_check([x, y], [d.sum(axis=0), T.exp(d) + 1], [xv, yv],
                              [(xv @ yv).sum(axis=0), np.exp(xv @ yv) + 1], linker)
        destroyers = [n for n in f._vm.nodes if n.op.destroy_map]
        assert len(destroyers) == 1 and destroyers[0].inputs[0].owner.op.__class__.__name__ \
            == "Dot"
        assert assert_readers_run_first(f) >= 1  # the Sum, which the exp does not need


@pytest.mark.ch05  # needs chapter 5 (the C linker is one of LINKERS)
def test_an_ordering_that_would_make_a_cycle_is_refused():
    # `dot(e, d.T)` reads the old d and e: it cannot run before the node computing e,
    # which therefore may not overwrite d.
    x, y = T.dmatrices("x", "y")
    d = T.dot(x, y)
    e = T.exp(d) + 1
    xv, yv = np.arange(6.0).reshape(2, 3) / 6, np.ones((3, 2))
    dv = xv @ yv
    for linker in LINKERS:
        f = compile_and_check([x, y], [T.dot(e, d.T)], [xv, yv],
                              [(np.exp(dv) + 1) @ dv.T], linker)
        dot_out = [n for n in f._vm.nodes if type(n.op).__name__ == "Dot"][0].outputs[0]
        assert all(n.inputs[i] is not dot_out for n in f._vm.nodes
                   for (i,) in n.op.destroy_map.values())


def test_two_nodes_overwriting_one_buffer_cannot_be_ordered():
    # Each reads what the other overwrites: a graph no order can run is refused.
    x = T.dvector("x")
    a = IncSubtensor([0], inplace=True)(x, T.constant(1.0))
    b = IncSubtensor([1], inplace=True)(x, T.constant(2.0))
    fg = FunctionGraph([x], [a, b])
    with pytest.raises(InconsistencyError, match="cycle"):
        fg.toposort()


def mlp_step(linker, excluding=()):
    rng = np.random.default_rng(0)
    X, y = T.dmatrix("X"), T.dmatrix("y")
    params = [theano.shared(rng.normal(size=(6, 8)), "W1"), theano.shared(np.zeros(8), "b1"),
              theano.shared(rng.normal(size=(8, 3)), "W2"), theano.shared(np.zeros(3), "b2")]
    W1, b1, W2, b2 = params
    hidden = T.tanh(T.dot(X, W1) + b1)
    output = T.nnet.softmax(T.dot(hidden, W2) + b2)
    loss = T.nnet.categorical_crossentropy(output, y).mean()
    updates = [(p, p - 0.1 * T.grad(loss, p)) for p in params]
    f = theano.function([X, y], loss, updates=updates,
                        mode=theano.Mode(linker, "fast_run").excluding(*excluding))
    return f, params


@pytest.mark.ch05  # needs chapters 4 (T.grad) and 5 (the C linker)
@pytest.mark.parametrize("linker", LINKERS)
def test_both_weight_updates_of_the_mlp_step_are_in_place(linker):
    f, params = mlp_step(linker)
    ref, ref_params = mlp_step("py", excluding=NO_INPLACE)
    gemms = [n for n in f._vm.nodes if type(n.op).__name__ == "Gemm"]
    assert len(gemms) == 2 and all(n.op.inplace for n in gemms)
    assert assert_readers_run_first(f) >= 1  # dot(g, W2.T) before W2's Gemm
    buffers = [p.get_value(borrow=True) for p in params]
    rng = np.random.default_rng(1)
    X = rng.normal(size=(5, 6))
    Y = np.eye(3)[rng.integers(0, 3, size=5)]
    for _ in range(3):
        np.testing.assert_allclose(f(X, Y), ref(X, Y), rtol=1e-12)
        for p, q in zip(params, ref_params):
            np.testing.assert_allclose(p.get_value(), q.get_value(), rtol=1e-12, atol=1e-14)
    # W1 and W2 were updated in their own buffers.
    assert params[0].get_value(borrow=True) is buffers[0]
    assert params[2].get_value(borrow=True) is buffers[2]


@pytest.mark.ch09  # needs chapters 7 (scan) and 9 (the compiled loop)
def test_a_loop_body_with_an_ordering_runs_in_order():
    # Inside the step, tanh(d + x_t) overwrites d after d.sum() has read it; the compiled
    # loop (chapter 9) and the Python loop run the body's nodes in the VM's order.
    rng = np.random.default_rng(2)
    W = theano.shared(rng.normal(size=(4, 4)) / 2, "W")
    xs = T.dmatrix("xs")
    h0 = T.dvector("h0")

    def step(x_t, h):
        d = T.dot(h, W)
        return T.tanh(d + x_t), d.sum() * 2

    (hs, sums), _ = theano.scan(step, sequences=xs, outputs_info=[h0, None])
    xv, hv = rng.normal(size=(5, 4)), rng.normal(size=4)
    want_h, want_s, h = [], [], hv
    for t in range(5):
        d = h @ W.get_value()
        want_s.append(d.sum() * 2)
        h = np.tanh(d + xv[t])
        want_h.append(h)
    for flags in ({}, {"scan.compiled_loop": False}):
        with theano.config.change_flags(**flags):
            f = theano.function([xs, h0], [hs, sums], mode="FAST_RUN")
        got_h, got_s = f(xv, hv)
        np.testing.assert_allclose(got_h, want_h, rtol=1e-12)
        np.testing.assert_allclose(got_s, want_s, rtol=1e-12)
        (op,) = [n.op for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
        inner = op.fgraph.toposort()
        destroyers = [n for n in inner if n.op.destroy_map]
        assert destroyers, "the step's tanh(d + x_t) should overwrite d"
        readers = [n for n in inner if type(n.op).__name__ in ("Sum", "CAReduce")
                   or "Sum" in str(n.op)]
        assert readers and all(inner.index(r) < inner.index(destroyers[0]) for r in readers)


@pytest.mark.ch07  # needs chapter 7 (ifelse)
def test_no_ordering_in_a_graph_with_a_lazy_op():
    # The lazy VM (chapter 7) computes a branch's nodes when the branch is taken, after
    # the eager nodes before it: the sum could run after exp(d) + 1 overwrote d.
    from minitheano.ifelse import ifelse
    from minitheano.link.py.lazy import LazyVM

    x, y = T.dmatrices("x", "y")
    c = T.dscalar("c")
    d = T.dot(x, y)
    xv, yv = np.arange(6.0).reshape(2, 3) / 6, np.ones((3, 2))
    dv = xv @ yv
    for linker in LINKERS:
        f = theano.function([x, y, c], [T.exp(d) + 1, ifelse(c > 0, d.sum(), c * 2)],
                            mode=theano.Mode(linker, "fast_run"))
        assert isinstance(f._vm, LazyVM)
        assert not any(n.op.destroy_map for n in f._vm.nodes)
        got = f(xv, yv, 1.0)
        np.testing.assert_allclose(got[0], np.exp(dv) + 1, rtol=1e-14)
        np.testing.assert_allclose(got[1], dv.sum(), rtol=1e-14)


ACTIVATIONS = {"exp": (lambda d: T.exp(d) * 0.5, lambda d: np.exp(d) * 0.5),
               "tanh": (lambda d: T.tanh(d) + 1, lambda d: np.tanh(d) + 1)}


@pytest.mark.ch05  # needs chapter 5 (the C linker is one of LINKERS)
@settings(max_examples=25, deadline=None)
@given(plan=st.lists(st.tuples(st.sampled_from(sorted(ACTIVATIONS)),
                               st.lists(st.sampled_from(sorted(READERS)), max_size=2),
                               st.booleans()), min_size=1, max_size=5),
       linker=st.sampled_from(LINKERS))
def test_generated_chains_of_layers(plan, linker):
    # Each layer's product is read by its activation (which may overwrite it), by side
    # readers, and optionally by a reader of the previous product too: that one depends
    # on the previous activation, which then must not overwrite the previous product.
    x, W = T.dmatrices("x", "W")
    rng = np.random.default_rng(len(plan))
    xv, Wv = rng.normal(size=(3, 3)) / 2, rng.normal(size=(3, 3)) / 2
    h, hv, prev, outs, want = x, xv, None, [], []
    for act, readers, cross in plan:
        d, dv = T.dot(h, W), hv @ Wv
        outs += [READERS[k][0](d) for k in readers]
        want += [READERS[k][1](dv) for k in readers]
        if cross and prev is not None:
            outs.append(T.dot(prev[0].T, d))
            want.append(prev[1].T @ dv)
        prev = (d, dv)
        h, hv = ACTIVATIONS[act][0](d), ACTIVATIONS[act][1](dv)
    f = compile_and_check([x, W], outs + [h], [xv, Wv], want + [hv], linker)
    assert_readers_run_first(f)
