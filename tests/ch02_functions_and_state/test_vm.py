"""The Python VM: a schedule prepared once, freed intermediates, clear errors (chapter 2)."""

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano.graph import basic, fg
from minitheano.graph.basic import Apply
from minitheano.graph.fg import FunctionGraph
from minitheano.graph.op import Op
from minitheano.link.errors import annotate_exception
from minitheano.link.py.vm import run_graph_in_python


def intermediates(f):
    graph = f.maker.fgraph
    return [v for v in graph.variables if v.owner is not None and v not in graph.outputs]


def compile_chain():
    x = T.dvector("x")
    # As written: chapter 3's rewrites would fuse the chain into one node.
    return x, theano.function([x], (T.exp(x) * 2 + 1).sum(), mode=theano.Mode("py", None))


def test_intermediate_results_are_freed_when_allow_gc():
    x, f = compile_chain()
    v = np.array([0.0, 1.0])
    assert f(v) == pytest.approx((np.exp(v) * 2 + 1).sum(), rel=1e-15)
    cells = [f._vm.storage[var] for var in intermediates(f)]
    assert len(cells) >= 3  # exp, mul, add (and the constants' DimShuffles)
    assert all(cell[0] is None for cell in cells)
    # The output's cell is emptied too once the result is handed over.
    assert f._vm.storage[f.maker.fgraph.outputs[0]][0] is None


def test_intermediate_results_are_kept_without_allow_gc():
    with theano.config.change_flags(allow_gc=False):
        x, f = compile_chain()
    v = np.array([0.0, 1.0])
    f(v)
    kept = {str(var.owner.op): f._vm.storage[var][0] for var in intermediates(f)}
    np.testing.assert_array_equal(kept["Elemwise{exp,no_inplace}"], np.exp(v))
    assert f(v) == pytest.approx((np.exp(v) * 2 + 1).sum(), rel=1e-15)


def test_the_schedule_is_prepared_at_compile_time(monkeypatch):
    x, f = compile_chain()
    assert f._vm.nodes == f.maker.fgraph.toposort()
    calls = []

    def counting(*args, **kwargs):
        calls.append(args)
        raise AssertionError("toposort during a call")
    monkeypatch.setattr(FunctionGraph, "toposort", counting)
    monkeypatch.setattr(basic, "toposort", counting)
    monkeypatch.setattr(fg, "toposort", counting)
    for _ in range(3):
        assert f(np.zeros(2)) == 6.0
    assert calls == []


class CallsInner(Op):
    """An op whose perform runs another compiled function (as scan's inner graph will)."""

    __props__ = ()

    def __init__(self, inner):
        self.inner = inner

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.inner(inputs[0])


def test_an_exception_is_annotated_once_by_the_innermost_node():
    a, b = T.dvectors("a", "b")
    inner = theano.function([a], a + T.constant(np.ones(3)))
    x = T.dvector("x")
    outer = theano.function([x], CallsInner(inner)(x) * 2)
    with pytest.raises(ValueError) as info:
        outer(np.ones(2))
    msg = str(info.value)
    assert msg.count("Apply node that caused the error") == 1
    assert "Elemwise{add,no_inplace}" in msg and "float64[2], float64[3]" in msg
    np.testing.assert_array_equal(outer(np.ones(3)), [4.0, 4.0, 4.0])


def test_annotate_exception_keeps_the_type_and_adds_once():
    x = T.dvector("x")
    node = (x * 2).owner
    exc = KeyError("boom")
    annotate_exception(exc, node, [np.ones(2)])
    annotate_exception(exc, node, [np.ones(2)])
    assert isinstance(exc, KeyError)
    assert str(exc).count("Apply node") == 1 and "float64[2]" in str(exc)
    unset = ValueError()
    annotate_exception(unset, node, [None])
    assert "(not computed)" in str(unset)


def test_run_graph_in_python():
    x, y = T.dscalars("x", "y")
    graph = FunctionGraph([x, y], [x * y, x - y])
    a, b = graph.inputs
    assert run_graph_in_python(graph, {a: np.array(3.0), b: np.array(2.0)}) == [6.0, 1.0]
