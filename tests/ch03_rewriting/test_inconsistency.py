"""InconsistencyError (Theano 1.0's theano.gof.InconsistencyError): a replacement that would
make a cycle is refused by FunctionGraph.replace; one a feature's `validate` rejects is
undone by replace_validate; the rewrite engine rolls back and skips a rewrite the graph
refuses (chapter 3)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitheano as theano
from minitheano import tensor as T
from minitheano.graph.fg import Feature, FunctionGraph, InconsistencyError
from minitheano.rewrite.engine import RewriteIndex, RewriteRecord, equilibrium, register
from minitheano.scalar import math as smath

x, y = T.dvectors("x", "y")
X, Y = np.array([0.5, 1.5, 2.0]), np.array([-1.0, 0.25, 3.0])


def state(fg: FunctionGraph) -> tuple:
    """What a rolled-back change must leave as it was."""
    clients = {v: sorted(map(str, c)) for v, c in fg.clients.items()}
    return (set(fg.apply_nodes), set(fg.variables), list(fg.outputs), clients,
            [tuple(node.inputs) for node in fg.toposort()], list(fg.history))


def evaluate(fg: FunctionGraph) -> list[np.ndarray]:
    f = theano.function(fg.inputs, fg.outputs, mode="FAST_COMPILE", on_unused_input="ignore")
    return f(X, Y)


def test_inconsistency_error_is_theanos_name():
    assert theano.InconsistencyError is InconsistencyError
    assert issubclass(InconsistencyError, Exception)


def test_replace_refuses_a_cycle_naming_the_variables():
    fg = FunctionGraph([x, y], [T.log(T.exp(x) + 1) * y], clone=False)
    a = fg.outputs[0].owner.inputs[0].owner.inputs[0].owner.inputs[0]  # exp(x)
    reader = fg.clients[a][0][0]
    before, values = state(fg), evaluate(fg)
    new = reader.outputs[0] * 2  # computed from the node that reads exp(x)
    with pytest.raises(InconsistencyError, match="cycle") as info:
        fg.replace(a, new, reason="bad_rewrite")
    message = str(info.value)
    assert str(a) in message and "bad_rewrite" in message and str(reader.outputs[0]) in message
    assert state(fg) == before  # refused before anything changed
    np.testing.assert_allclose(evaluate(fg)[0], values[0])


def test_replace_refuses_a_reader_of_old_itself():
    fg = FunctionGraph([x], [T.tanh(T.exp(x))], clone=False)
    a = fg.outputs[0].owner.inputs[0]
    with pytest.raises(InconsistencyError, match="cycle"):
        fg.replace(a, fg.outputs[0])


def test_replace_with_a_function_of_old_is_not_a_cycle():
    fg = FunctionGraph([x, y], [T.log(T.exp(x)) + y], clone=False)
    a = fg.outputs[0].owner.inputs[0].owner.inputs[0]  # exp(x)
    fg.replace(a, a * 2)  # the readers of exp(x) read 2 exp(x); the new node reads exp(x)
    np.testing.assert_allclose(evaluate(fg)[0], np.log(2 * np.exp(X)) + Y)


@st.composite
def graphs_and_replacements(draw):
    """A random graph of elementwise ops over x, y, and a replacement of one of its
    variables by another variable of the graph or a new expression of some of them."""
    pool = [x, y]
    for _ in range(draw(st.integers(2, 12))):
        op = draw(st.sampled_from(["add", "mul", "exp", "tanh"]))
        a = draw(st.sampled_from(pool))
        if op in ("exp", "tanh"):
            pool.append(getattr(T, op)(a))
        else:
            b = draw(st.sampled_from(pool))
            pool.append(a + b if op == "add" else a * b)
    outputs = pool[-draw(st.integers(1, 3)):]
    fg = FunctionGraph([x, y], outputs, clone=False)
    computed = [v for v in pool if v.owner is not None and v in fg.variables]
    old = draw(st.sampled_from(computed))
    in_graph = [v for v in pool if v in fg.variables]
    below = [v for v in in_graph if v is not old and depends_on(v, {old.owner})]
    # Half the time from what is computed from `old`: where the cycles are.
    source = below if below and draw(st.booleans()) else in_graph
    parts = draw(st.lists(st.sampled_from(source), min_size=1, max_size=3))
    new = parts[0] if len(parts) == 1 else T.tanh(sum(parts[1:], parts[0]))
    return fg, old, new


def depends_on(var, target_nodes: set) -> bool:
    """Is `var` computed from one of `target_nodes` (a plain walk: the reference)?"""
    stack, seen = [var], set()
    while stack:
        v = stack.pop()
        if v.owner is None or v.owner in seen:
            continue
        if v.owner in target_nodes:
            return True
        seen.add(v.owner)
        stack.extend(v.owner.inputs)
    return False


@settings(max_examples=60, deadline=None)
@given(graphs_and_replacements())
def test_replace_raises_exactly_when_the_replacement_makes_a_cycle(case):
    fg, old, new = case
    readers = {node for node, _ in fg.clients[old] if node != "output"}
    makes_cycle = depends_on(new, readers)
    before = state(fg)
    if makes_cycle:
        with pytest.raises(InconsistencyError):
            fg.replace(old, new)
        assert state(fg) == before
    else:
        fg.replace(old, new)
        order = fg.toposort()
        assert len(order) == len(set(order)) == len(fg.apply_nodes)
        position = {node: k for k, node in enumerate(order)}
        for node in order:  # every node after the nodes it reads
            assert all(position[i.owner] < position[node] for i in node.inputs
                       if i.owner is not None)


class RejectsNeg(Feature):
    """A feature that finds any negation in the graph unacceptable."""

    def validate(self, fgraph):
        for node in fgraph.apply_nodes:
            if "neg" in str(node.op):
                raise InconsistencyError(f"{node} is not welcome")


def test_replace_validate_undoes_a_change_a_feature_rejects():
    fg = FunctionGraph([x, y], [T.exp(x - y) * y, x - y], clone=False)
    fg.attach_feature(RejectsNeg())
    before, values = state(fg), evaluate(fg)
    sub = fg.outputs[1]
    new = x + (-y)
    with pytest.raises(InconsistencyError, match="not welcome"):
        fg.replace_validate([(sub, new)], reason="sub_to_add_neg")
    assert state(fg) == before
    for got, want in zip(evaluate(fg), values):
        np.testing.assert_allclose(got, want)


def test_replace_validate_keeps_a_change_every_feature_accepts():
    fg = FunctionGraph([x, y], [T.exp(x - y)], clone=False)
    fg.attach_feature(RejectsNeg())
    sub = fg.outputs[0].owner.inputs[0]
    fg.replace_validate([(sub, x + y * -1.0)], reason="ok")
    np.testing.assert_allclose(evaluate(fg)[0], np.exp(X - Y))
    assert fg.history[-1][0] == "ok"


@pytest.fixture
def temporary_rewrites():
    from minitheano.rewrite.engine import LOCAL_REWRITES
    before = set(LOCAL_REWRITES)
    yield
    for name in set(LOCAL_REWRITES) - before:
        del LOCAL_REWRITES[name]


def test_a_rewrite_a_feature_rejects_is_rolled_back_and_skipped(temporary_rewrites):
    @register("test_phase", smath.Sub)
    def sub_to_add_neg(fgraph, node):
        a, b = node.inputs
        return [a + (-b)]

    @register("test_phase", smath.Exp)
    def exp_to_exp2(fgraph, node):  # accepted: the engine goes on after a rejection
        return [T.exp2(node.inputs[0] / np.log(2.0))]

    fg = FunctionGraph([x, y], [T.exp(x - y)], clone=False)
    fg.attach_feature(RejectsNeg())
    record = RewriteRecord()
    equilibrium(fg, RewriteIndex([sub_to_add_neg, exp_to_exp2]), record)
    assert record.rejected["sub_to_add_neg"] >= 1 and not record.counts["sub_to_add_neg"]
    assert record.counts["exp_to_exp2"] == 1
    assert "rejected" in str(record)
    assert not any("neg" in str(node.op) for node in fg.apply_nodes)
    np.testing.assert_allclose(evaluate(fg)[0], np.exp(X - Y))


def test_a_rewrite_that_would_make_a_cycle_is_rolled_back(temporary_rewrites):
    @register("test_phase", smath.Exp)
    def exp_from_its_reader(fgraph, node):
        """Wrong on purpose: exp(x) rewritten in terms of the node that reads it."""
        reader = fgraph.clients[node.outputs[0]][0][0]
        if reader == "output":
            return None
        return [reader.outputs[0] - 1]

    fg = FunctionGraph([x, y], [T.exp(x) + 1], clone=False)
    record = RewriteRecord()
    equilibrium(fg, RewriteIndex([exp_from_its_reader]), record)
    assert record.rejected["exp_from_its_reader"] >= 1
    np.testing.assert_allclose(evaluate(fg)[0], np.exp(X) + 1)
