"""Apply nodes link outputs to their computation; toposort and graph_inputs walk the links."""

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T
from minitheano.graph.basic import Apply, Constant, graph_inputs, toposort
from minitheano.graph.fg import MissingInputError


def test_apply_makes_each_output_point_back_at_it():
    x = T.dvector("x")
    y = T.exp(x)
    node = y.owner
    assert isinstance(node, Apply) and node.outputs == [y] and node.inputs == [x]
    assert y.index == 0 and x.owner is None
    a, b = T.dvector(), T.dvector()
    pair = Apply(node.op, [x], [a, b])  # two outputs: each knows which one it is
    assert (a.owner, a.index, b.owner, b.index) == (pair, 0, pair, 1)
    with pytest.raises(ValueError, match="already belongs to another node"):
        Apply(node.op, [x], [a])


def test_toposort_puts_each_node_after_the_nodes_it_reads_and_visits_each_once():
    x, y = T.dscalars("x", "y")
    shared_part = x * y
    out = (shared_part + x) * (shared_part - y)
    order = toposort([out])
    assert len(order) == 4 and len(set(order)) == 4
    position = {node: k for k, node in enumerate(order)}
    for node in order:
        for inp in node.inputs:
            if inp.owner is not None:
                assert position[inp.owner] < position[node]
    assert order[-1] is out.owner and order[0] is shared_part.owner


def test_toposort_stops_at_the_given_variables_and_handles_deep_graphs():
    x = T.dscalar("x")
    middle = T.exp(x)
    out = middle + 1
    assert toposort([out], stop_at=[middle]) == [out.owner]
    deep = x
    for _ in range(5000):  # deeper than Python's recursion limit
        deep = deep + 1
    order = toposort([deep])
    assert len(order) == 5000 and order[0].inputs[0] is x and order[-1] is deep.owner


def test_graph_inputs_lists_free_variables_and_constants_in_the_order_met():
    x, y = T.dscalars("x", "y")
    out = (x + 2.0) * y + x
    found = graph_inputs([out])  # met in the order of toposort: x + 2.0 first, then * y
    assert len(found) == 3 and found[0] is x and found[2] is y
    assert isinstance(found[1], Constant) and found[1].data == 2.0
    assert graph_inputs([out], stop_at=[out]) == [out]
    assert graph_inputs([x]) == [x]


def test_graph_inputs_decides_what_a_function_must_be_given():
    x, y = T.dscalars("x", "y")
    with pytest.raises(MissingInputError, match="value of y"):
        theano.function([x], x * y)
    f = theano.function([x, y], x * y)
    assert f(3.0, 4.0) == 12.0
    np.testing.assert_equal(f(2.0, 0.5), np.float64(1.0))
