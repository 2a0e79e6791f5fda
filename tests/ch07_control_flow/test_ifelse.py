"""ifelse: lazy (the untaken branch is not computed), gradients, shapes, errors."""

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano.graph.basic import Apply
from minitheano.graph.op import Op
from minitheano.ifelse import IfElse, ifelse


class Counting(Op):
    """The identity, counting how often it runs (to see what a VM computed)."""

    __props__ = ("tag",)

    def __init__(self, tag):
        self.tag = tag
        self.calls = 0

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        self.calls += 1
        output_storage[0][0] = inputs[0].copy()


def test_values_of_both_branches():
    a, b = T.dscalars("a", "b")
    x, y = T.dmatrices("x", "y")
    z = ifelse(T.lt(a, b), x.sum(), (2 * y).sum())
    f = theano.function([a, b, x, y], z)
    xv, yv = np.ones((3, 2)), np.full((2, 2), 3.0)
    assert f(0.0, 1.0, xv, yv) == 6.0
    assert f(1.0, 0.0, xv, yv) == 24.0


def test_only_the_taken_branch_is_computed():
    then_op, else_op = Counting("then"), Counting("else")
    c, x = T.iscalar("c"), T.dvector("x")
    f = theano.function([c, x], ifelse(c, then_op(x) * 2, else_op(x) + 1))
    v = np.arange(3.0)
    np.testing.assert_array_equal(f(1, v), 2 * v)
    assert (then_op.calls, else_op.calls) == (1, 0)
    np.testing.assert_array_equal(f(0, v), v + 1)
    assert (then_op.calls, else_op.calls) == (1, 1)


def test_switch_computes_both_branches():
    then_op, else_op = Counting("then"), Counting("else")
    c, x = T.dscalar("c"), T.dvector("x")
    f = theano.function([c, x], T.switch(c, then_op(x), else_op(x)))
    np.testing.assert_array_equal(f(1.0, np.arange(3.0)), np.arange(3.0))
    assert (then_op.calls, else_op.calls) == (1, 1)


def test_nested_ifelse_and_shared_work():
    ops = {name: Counting(name) for name in ("common", "inner_then", "inner_else", "outer_else")}
    c1, c2, x = T.iscalar("c1"), T.iscalar("c2"), T.dvector("x")
    common = ops["common"](x)  # needed by both inner branches, and by nothing else
    inner = ifelse(c2, ops["inner_then"](common) + 1, ops["inner_else"](common) - 1)
    f = theano.function([c1, c2, x], ifelse(c1, inner, ops["outer_else"](x)))
    v = np.ones(2)
    np.testing.assert_array_equal(f(0, 1, v), v)
    assert [op.calls for op in ops.values()] == [0, 0, 0, 1]
    np.testing.assert_array_equal(f(1, 0, v), v - 1)
    assert [op.calls for op in ops.values()] == [1, 0, 1, 1]
    np.testing.assert_array_equal(f(1, 1, v), v + 1)
    assert [op.calls for op in ops.values()] == [2, 1, 1, 1]


def test_several_outputs_and_python_numbers():
    c, x = T.iscalar("c"), T.fvector("x")
    p, q = ifelse(c, [x.sum(), x * 2], [0, x - 1])
    assert p.dtype == q.dtype == "float32"
    f = theano.function([c, x], [p, q])
    v = np.arange(3, dtype="float32")
    first, second = f(1, v)
    assert first == v.sum()
    np.testing.assert_array_equal(second, 2 * v)
    first, second = f(0, v)
    assert first.shape == () and first == 0
    np.testing.assert_array_equal(second, v - 1)


def test_the_output_is_a_copy():
    c, x, y = T.iscalar("c"), T.dvector("x"), T.dvector("y")
    f = theano.function([c, x, y], ifelse(c, x, y))
    v = np.arange(3.0)
    for cond in (1, 0):
        out = f(cond, v, v)
        assert not np.shares_memory(out, v)
        out[0] = 100.0
        assert v[0] == 0.0


def test_the_output_views_the_then_branch_and_in_place_ops_respect_it():
    assert IfElse(2).view_map == {0: [1], 1: [2]}
    c, x, y = T.iscalar("c"), T.dvector("x"), T.dvector("y")
    a, b = T.exp(x), T.exp(y)
    # exp(x) is read after the ifelse (by the second output): the in-place add
    # after the ifelse must not overwrite it, whichever branch was taken.
    z = ifelse(c, a, b) + 1.0
    f = theano.function([c, x, y], [z, a * 2.0, b * 3.0])
    xv, yv = np.array([0.0, 1.0]), np.array([2.0, -1.0])
    for cond in (1, 0):
        got = f(cond, xv, yv)
        np.testing.assert_allclose(got[0], np.exp(xv if cond else yv) + 1.0)
        np.testing.assert_allclose(got[1], np.exp(xv) * 2.0)
        np.testing.assert_allclose(got[2], np.exp(yv) * 3.0)
    # DebugMode checks that an output declared a view is one of its input, and
    # that an output not declared so shares memory with none.
    g = theano.function([c, x, y], ifelse(c, a, b) * 2.0, mode="DebugMode")
    for cond in (1, 0):
        np.testing.assert_allclose(g(cond, xv, yv), np.exp(xv if cond else yv) * 2.0)


def test_intermediates_are_freed_with_allow_gc():
    c, x = T.iscalar("c"), T.dvector("x")
    f = theano.function([c, x], ifelse(c, T.exp(x) * 2, x))
    np.testing.assert_allclose(f(1, np.zeros(2)), [2.0, 2.0])
    graph = f.maker.fgraph
    inner = [v for v in graph.variables if v.owner is not None and v not in graph.outputs]
    assert inner and all(f._vm.storage[v][0] is None for v in inner)


def test_errors_name_the_node_in_the_taken_branch():
    c, x, y = T.iscalar("c"), T.dvector("x"), T.dvector("y")
    f = theano.function([c, x, y], ifelse(c, x + y, x))
    np.testing.assert_array_equal(f(0, np.ones(2), np.ones(3)), np.ones(2))  # not computed
    with pytest.raises(ValueError, match="add"):
        f(1, np.ones(2), np.ones(3))


def test_bad_arguments():
    c, x = T.iscalar("c"), T.dvector("x")
    with pytest.raises(TypeError, match="condition must be a scalar"):
        ifelse(x, x, x)
    with pytest.raises(TypeError, match="dtypes"):
        ifelse(c, x, T.fvector())
    with pytest.raises(TypeError, match="dimensions"):
        ifelse(c, x, T.dmatrix())
    with pytest.raises(TypeError, match="both be lists"):
        ifelse(c, [x], x)
    with pytest.raises(ValueError, match="1 values but else_branch has 2"):
        ifelse(c, [x], [x, x])


def test_str_and_infer_shape():
    c, x, y = T.iscalar("c"), T.dmatrix("x"), T.dmatrix("y")
    out = ifelse(c, x, y, name="pick")
    assert str(out.owner.op) == "if{pick}" and str(IfElse(1)) == "if{}"
    node = out.owner
    x0, x1, y0 = T.lscalars("x0", "x1", "y0")
    (shape,) = node.op.infer_shape(None, node, [(), (x0, x1), (y0, x1)])
    assert shape[1] is x1  # the same in both branches: no ifelse needed
    f = theano.function([c, x0, y0], shape[0])
    assert f(1, 2, 4) == 2 and f(0, 2, 4) == 4


def test_broadcastable_branches_give_the_common_pattern():
    c = T.iscalar("c")
    out = ifelse(c, T.drow("r"), T.dmatrix("m"))
    assert out.broadcastable == (False, False)


def test_grad_graph_sends_the_gradient_to_the_taken_branch():
    c, x, y = T.iscalar("c"), T.dvector("x"), T.dvector("y")
    out = ifelse(c, x * 3, y)
    g = T.dvector("g")
    grads = out.owner.op.grad(out.owner.inputs, [g])
    assert grads[0].type.__class__.__name__ == "DisconnectedType"
    then_g, else_g = grads[1], grads[2]
    f = theano.function([c, g], [then_g, else_g])
    gv = np.array([1.0, 2.0])
    a, b = f(1, gv)
    np.testing.assert_array_equal(a, gv)
    np.testing.assert_array_equal(b, [0.0, 0.0])
    a, b = f(0, gv)
    np.testing.assert_array_equal(a, [0.0, 0.0])
    np.testing.assert_array_equal(b, gv)


def ops_of(f):
    return [type(n.op).__name__ for n in f.maker.fgraph.toposort()]


def test_constant_condition_is_decided_at_compile_time():
    x, y = T.dvector("x"), T.dvector("y")
    f = theano.function([x, y], ifelse(T.constant(0), x * 2, y + 1))
    np.testing.assert_array_equal(f(np.ones(2), np.ones(2)), [2.0, 2.0])
    assert "IfElse" not in ops_of(f)


def test_identical_branches_need_no_condition():
    c, x = T.iscalar("c"), T.dvector("x")
    y = T.exp(x)
    f = theano.function([c, x], ifelse(c, y, y))
    np.testing.assert_allclose(f(0, np.zeros(2)), [1.0, 1.0])
    assert "IfElse" not in ops_of(f)


def test_cheap_scalar_branches_become_a_switch():
    a, b = T.dscalars("a", "b")
    f = theano.function([a, b], ifelse(T.lt(a, b), a * 2, b - 1))
    assert f(1.0, 2.0) == 2.0 and f(3.0, 2.0) == 1.0
    assert "IfElse" not in ops_of(f)
    as_written = theano.function([a, b], ifelse(T.lt(a, b), a * 2, b - 1),
                                 mode=theano.Mode("py", None))
    assert "IfElse" in ops_of(as_written)


def test_expensive_or_non_scalar_branches_stay_lazy():
    a, b = T.dscalars("a", "b")
    x, y = T.dmatrices("x", "y")
    # The conditions page's example: each branch reduces a whole matrix.
    f = theano.function([a, b, x, y], ifelse(T.lt(a, b), T.mean(x), T.mean(y)))
    assert "IfElse" in ops_of(f)
    g = theano.function([a, x, y], ifelse(T.lt(a, 0), x + 1, y))
    assert "IfElse" in ops_of(g)
    assert f(0.0, 1.0, np.ones((2, 2)), np.zeros((2, 2))) == 1.0


def test_nested_ifelse_on_the_same_condition():
    c, x, y, z = T.iscalar("c"), T.dvector("x"), T.dvector("y"), T.dvector("z")
    out = ifelse(c, ifelse(c, x * 2, y * 3), ifelse(c, y, z * 4))
    f = theano.function([c, x, y, z], out)
    v = np.ones(2)
    np.testing.assert_array_equal(f(1, v, v, v), 2 * v)
    np.testing.assert_array_equal(f(0, v, v, v), 4 * v)
    assert ops_of(f).count("IfElse") == 1


def test_only_the_nodes_behind_a_branch_wait_for_the_condition():
    from minitheano.link.py.lazy import eager_nodes

    c, x = T.dscalar("c"), T.dvector("x")
    shared_work = T.exp(x)      # read by a branch and by the output: always computed
    then_only = T.log1p(x)      # read by the then branch only
    out = ifelse(T.gt(c, 0), then_only + shared_work, x * 2) + shared_work
    f = theano.function([c, x], out, mode=theano.Mode("py", None))
    order = f.maker.fgraph.toposort()

    def name(node):
        return node.op.scalar_op.name if hasattr(node.op, "scalar_op") else str(node.op)

    eager = {name(order[k]) for k in eager_nodes(f.maker.fgraph, order)}
    assert eager == {"if{}", "exp", "add"}  # the outer add
    # The walk from the ifelse computes the rest: the condition, then one branch.
    conditional = {name(n) for n in order} - eager  # (and the inner add)
    assert conditional == {"gt", "log1p", "mul", "DimShuffle{x}"}  # x * 2 broadcasts 2
    xv = np.array([0.5, 2.0])
    for cv in (1.0, -1.0):
        taken = np.log1p(xv) + np.exp(xv) if cv > 0 else xv * 2
        np.testing.assert_allclose(f(cv, xv), taken + np.exp(xv))
