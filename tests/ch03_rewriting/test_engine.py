"""The engine: registration by op, modes and names, the record, and bad rewrites (ch 3)."""

import numpy as np
import pytest
from ch03_helpers import FAST_COMPILE, FAST_RUN, compile_ops, fired

import minitheano as theano
from minitheano import tensor as T
from minitheano.graph.fg import FunctionGraph
from minitheano.rewrite import RewriteError, RewriteLoopError, rewrite_graph, rewrite_record
from minitheano.rewrite.engine import (
    LOCAL_REWRITES,
    RewriteIndex,
    RewriteRecord,
    equilibrium,
    is_elemwise,
    register,
)
from minitheano.scalar import math as smath

x, y = T.dmatrices("x", "y")


@pytest.fixture
def temporary_rewrites():
    """Rewrites registered by a test are removed afterwards."""
    before = set(LOCAL_REWRITES)
    yield
    for name in set(LOCAL_REWRITES) - before:
        del LOCAL_REWRITES[name]


def run(rewrites, outputs, inputs=(x, y)):
    fg = FunctionGraph(list(inputs), outputs)
    equilibrium(fg, RewriteIndex(rewrites), RewriteRecord())
    return fg


def test_the_index_asks_only_the_rewrites_of_a_node(temporary_rewrites):
    seen = []

    @register("test_phase", smath.Exp)
    def look_at_exp(fgraph, node):
        seen.append(str(node.op))

    run([look_at_exp], [T.exp(x) + T.log(y)])
    assert seen == ["Elemwise{exp,no_inplace}"]


def test_a_rewrite_returning_a_wrong_type_is_named(temporary_rewrites):
    @register("test_phase", smath.Exp)
    def exp_to_vector(fgraph, node):
        return [T.dvector("v")]

    with pytest.raises(RewriteError, match=r"exp_to_vector.*Elemwise\{exp,no_inplace\}"):
        run([exp_to_vector], [T.exp(x)])


def test_a_rewrite_that_never_settles_is_stopped_and_named(temporary_rewrites):
    @register("test_phase", smath.Add)
    def swap_terms(fgraph, node):
        a, b = node.inputs
        return [T.add(b, a)]

    with pytest.raises(RewriteLoopError, match="swap_terms"):
        run([swap_terms], [x + y])


def test_a_rewrite_not_written_yet_is_skipped_and_recorded(temporary_rewrites):
    @register("test_phase", smath.Exp)
    def blanked(fgraph, node):
        raise NotImplementedError("exercise ch03-blanked: see chapter 3")

    @register("test_phase", smath.Exp)
    def exp_to_log(fgraph, node):
        return [T.log(node.inputs[0])]

    fg = FunctionGraph([x], [T.exp(x)])
    record = RewriteRecord()
    equilibrium(fg, RewriteIndex([blanked, exp_to_log]), record)
    assert "log" in str(fg.outputs[0].owner.op)  # the next rewrite still ran
    assert record.unfinished == {"blanked": "exercise ch03-blanked: see chapter 3"}
    assert "skipped blanked: exercise ch03-blanked" in str(record)


def test_the_record_says_what_fired():
    f, _ = compile_ops([x, y], [x + y - x, 1 / (1 + T.exp(-x))], mode=FAST_RUN)
    counts = fired(f)
    assert counts["add_canonical"] >= 1 and counts["logistic_to_sigmoid"] == 1
    text = str(rewrite_record(f))
    assert "logistic_to_sigmoid" in text and "phase canonicalize" in text


def test_optimizer_verbose_prints_each_rewrite(capsys):
    with theano.config.change_flags(optimizer_verbose=True):
        theano.function([x], T.neg(-x), mode=FAST_COMPILE)
    assert "rewrite add_canonical" in capsys.readouterr().out


def test_excluding_a_phase_or_a_rewrite_by_name():
    f, ops = compile_ops([x], 1 / (1 + T.exp(-x)), mode=FAST_RUN.excluding("stabilize"))
    assert "Elemwise{sigmoid,no_inplace}" not in str(ops)
    f, ops = compile_ops([x], 1 / (1 + T.exp(-x)), mode=FAST_RUN)
    assert "logistic_to_sigmoid" in fired(f)
    f, ops = compile_ops([x], 1 / (1 + T.exp(-x)),
                         mode=FAST_RUN.excluding("logistic_to_sigmoid", "logistic_neg_to_sigmoid",
                                                 "sigmoid_factors", "fusion"))
    assert "logistic_to_sigmoid" not in fired(f)
    assert not any("sigmoid" in op for op in ops), ops
    f, ops = compile_ops([x], T.exp(x) * 2, mode=FAST_COMPILE.including("fusion"))
    assert ops[0].startswith("Composite")


def test_unknown_names_are_an_error_that_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown rewrite or phase.*'fusoin'.*fusion"):
        theano.function([x], x * 2, mode=FAST_RUN.excluding("fusoin"))


def test_compiling_does_not_change_the_users_graph():
    e = x + y - x
    before = (e.owner.op, list(e.owner.inputs))
    theano.function([x, y], e, mode=FAST_RUN)
    assert (e.owner.op, list(e.owner.inputs)) == before


def test_rewrite_graph_takes_a_mode_name_and_keeps_history():
    fg = FunctionGraph([x, y], [x + y - x])
    record = rewrite_graph(fg, "fast_compile")
    assert fg.outputs[0] is fg.inputs[1]
    assert record.nodes_before == 2 and record.nodes_after == 0
    assert [reason for reason, _, _ in fg.history] == ["add_canonical"]


def test_is_elemwise():
    assert is_elemwise(T.exp(x).owner, smath.Exp)
    assert not is_elemwise(T.exp(x).owner, smath.Log)
    assert not is_elemwise(None, smath.Exp)
    assert np.isfinite(1.0)


def test_nodes_built_by_rewrites_carry_the_users_line():
    a, b = T.dvectors("a", "b")
    out = T.exp(a) * 2 + b  # the line every node of the fused loop must name
    f = theano.function([a, b], out, mode=FAST_RUN)
    (node,) = f.maker.fgraph.toposort()
    assert node.op.scalar_op.__class__.__name__ == "Composite"
    assert node.outputs[0].trace == out.trace
    assert node.outputs[0].trace.source().startswith("out = T.exp(a) * 2 + b")
    with pytest.raises(ValueError, match="out = T.exp"):
        f(np.ones(3), np.ones(4))
