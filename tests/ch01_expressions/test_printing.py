"""Printing a graph: pp, debugprint, str() of graph objects, the Print op (chapter 1)."""

import ast
import io
import re

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import minitheano as theano
from minitheano import tensor as T
from minitheano.graph.basic import Apply
from minitheano.graph.fg import FunctionGraph
from minitheano.graph.op import Op
from minitheano.printing import Print, char_from_number, debugprint, pp
from minitheano.scalar import Composite, ScalarType
from minitheano.scalar import math as smath

# -- pp -----------------------------------------------------------------------


def test_pp_reads_like_the_expression_typed():
    x, y, z = T.dmatrices("x", "y", "z")
    assert theano.pp(x + y) == "x + y"
    assert theano.pp((x - y) ** 2) == "(x - y) ** 2"
    assert theano.pp(1 / (1 + T.exp(-x))) == "1 / (1 + exp(-x))"
    assert theano.pp(x - (y - z)) == "x - (y - z)"
    assert theano.pp((x - y) - z) == "x - y - z"
    assert theano.pp(x * 2.5 - 1) == "x * 2.5 - 1"
    assert theano.pp((x + y) / (x * y)) == "(x + y) / (x * y)"
    assert theano.pp(-(x + y)) == "-(x + y)"
    assert theano.pp(x ** y ** z) == "x ** y ** z"
    assert theano.pp((x ** y) ** z) == "(x ** y) ** z"
    assert theano.pp((-x) ** 2) == "(-x) ** 2"
    assert theano.pp(-x ** 2) == "-x ** 2"
    assert theano.pp(T.gt(x, y)) == "x > y"
    assert theano.pp(T.eq(T.lt(x, y), T.lt(y, z))) == "(x < y) == (y < z)"
    assert theano.printing.pprint is pp


def test_pp_calls_for_other_ops():
    x, W = T.dmatrices("x", "W")
    assert pp(T.sum(x, axis=1)) == "sum(x, axis=[1])"
    assert pp(T.dot(x, W)) == "dot(x, W)"
    assert pp(T.tanh(T.dot(x, W)).sum()) == "sum(tanh(dot(x, W)), axis=[0, 1])"
    assert pp(x.T) == "x.T"
    assert pp((x + W).T) == "(x + W).T"
    assert pp(x.dimshuffle(1, "x", 0)) == "x.dimshuffle(1, 'x', 0)"
    v = T.dvector("v")
    assert pp(x + v) == "x + v"  # the broadcasting DimShuffle{x,0} is not shown...
    assert pp(v.dimshuffle("x", 0)) == "v.dimshuffle('x', 0)"  # ...unless asked for
    assert pp(T.dot(v.dimshuffle("x", 0), x)) == "dot(v.dimshuffle('x', 0), x)"


def test_pp_constants_by_value_and_lists():
    x = T.dvector("x")
    assert pp(x + np.array([1.0, 2.0])) == "x + [1.0, 2.0]"
    assert pp(x + np.arange(10.0)) == "x + [0., 1., 2., ..., 7., 8., 9.]"
    assert pp(x - (-3)) == "x - (-3)"
    assert pp([x + 1, x * 2]) == "x + 1\nx * 2"
    f = theano.function([x], [x * 2, x])
    assert pp(f) == pp(f.maker.fgraph) == pp(f.maker.fgraph.outputs)
    assert pp(f).splitlines()[1] == "deep_copy_op(x)"
    assert pp(FunctionGraph([x], [x + 1])) == "x + 1"


class MyThing(Op):
    __props__ = ("k",)

    def __init__(self, k):
        self.k = k

    def make_node(self, x):
        return Apply(self, [x], [x.type()])


class Pair(Op):
    def make_node(self, x):
        return Apply(self, [x], [x.type(), x.type()])


class Subtensor(Op):
    """Stands for the indexing op being written in parallel: only its name and
    `idx_list` (constants, or placeholders for the op's next inputs) matter here."""

    __props__ = ("idx_list",)

    def __init__(self, idx_list):
        self.idx_list = tuple(idx_list)

    def make_node(self, x, *idx):
        return Apply(self, [x, *idx], [x.type()])


class IncSubtensor(Subtensor):
    __props__ = ("idx_list", "set_instead_of_inc")

    def __init__(self, idx_list, set_instead_of_inc):
        super().__init__(idx_list)
        self.set_instead_of_inc = set_instead_of_inc


class AdvancedSubtensor1(Op):
    def make_node(self, x, idx):
        return Apply(self, [x, idx], [x.type()])


def test_pp_falls_back_to_calls_and_knows_indexing_by_name():
    x, y = T.dvectors("x", "y")
    assert pp(MyThing(3)(x + y)) == "my_thing(x + y, k=3)"
    first, second = Pair()(x)
    assert pp([first, second]) == "pair(x)[0]\npair(x)[1]"
    i = T.lscalar("i")
    assert pp(Subtensor([slice(0, 2, None)])(x)) == "x[0:2]"
    assert pp(Subtensor([slice(None, None, 2), "i"])(x + y, i)) == "(x + y)[::2, i]"
    assert pp(Subtensor([slice(1, "j", "k")])(x, i + 1, i)) == "x[1:i + 1:i]"
    assert pp(IncSubtensor([-1], True)(x, y)) == "set_subtensor(x[-1], y)"
    assert pp(IncSubtensor(["i"], False)(x, y, i)) == "inc_subtensor(x[i], y)"
    assert pp(AdvancedSubtensor1()(x, T.lvector("idx"))) == "x[idx]"


def test_composite_names_itself_with_pp():
    a, b = ScalarType("float64")(), ScalarType("float64")()
    comp = Composite([a, b], [smath.exp(a) * smath.sin(b) + a])
    assert comp.name == "Composite{exp(i0) * sin(i1) + i0}"
    assert str(T.Elemwise(comp).make_node(T.dvector(), T.dvector()).op) == str(comp)
    two = Composite([a, b], [a - (b - a), smath.neg(a) ** 2])
    assert two.name == "Composite{i0 - (i1 - i0), (-i0) ** 2}"
    x, y = T.dvectors("x", "y")
    assert pp(T.Elemwise(comp)(x, y)) == "exp(x) * sin(y) + x"  # a fused node reads unfused


def test_pp_of_a_deep_graph_needs_no_recursion():
    x = T.dscalar("x")
    y = x
    for _ in range(3000):
        y = y + 1
    assert pp(y) == "x" + " + 1" * 3000


# Random expressions: what pp prints must be Python that computes the same
# values, and no pair of brackets may be removable without changing Python's
# parse (except around a unary operand, bracketed for readability: -(-x)).
NAMES = ["x", "y", "z"]
BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b,
          lambda a, b: a / b, lambda a, b: a ** b]
leaves = st.sampled_from(NAMES + [2, 0.5, -1])
exprs = st.recursive(
    leaves,
    lambda sub: st.one_of(st.tuples(st.sampled_from(range(len(BINARY))), sub, sub),
                          st.tuples(st.just("neg"), sub)),
    max_leaves=7)


def build(tree, env):
    if not isinstance(tree, tuple):
        return env.get(tree, tree)
    if tree[0] == "neg":
        return -build(tree[1], env)
    return BINARY[tree[0]](build(tree[1], env), build(tree[2], env))


@given(exprs)
def test_pp_is_python_with_the_needed_brackets_only(tree):
    values = {"x": np.float64(1.7), "y": np.float64(0.6), "z": np.float64(2.3)}
    with np.errstate(all="ignore"):
        try:  # Python itself computes the constant parts: (-1) ** 0.5, 0.5 / (2 - 2)
            expected = build(tree, values)
        except (ZeroDivisionError, OverflowError):
            assume(False)
    assume(isinstance(expected, np.floating))  # not complex; some variable in it
    text = pp(build(tree, dict(zip(NAMES, T.dscalars(*NAMES)))))
    with np.errstate(all="ignore"):
        got = eval(text, {}, dict(values))  # noqa: S307 (our own output)
    np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)
    tree_dump = ast.dump(ast.parse(text))
    for start, end in _bracket_pairs(text):
        if text[start + 1] == "-":
            continue
        shorter = text[:start] + text[start + 1:end] + text[end + 1:]
        assert ast.dump(ast.parse(shorter)) != tree_dump, f"needless brackets in {text}"


def _bracket_pairs(text):
    stack, pairs = [], []
    for i, ch in enumerate(text):
        if ch == "(":
            stack.append(i)
        elif ch == ")":
            pairs.append((stack.pop(), i))
    return pairs


# -- debugprint -----------------------------------------------------------------


def test_debugprint_format_of_theano():
    x, y = T.dmatrices("x", "y")
    assert debugprint(x + y, file="str") == (
        "Elemwise{add,no_inplace} [id A] ''\n"
        " |x [id B]\n"
        " |y [id C]\n")
    z = x + y
    z.name = "z"
    text = debugprint(T.exp(z) * x, file="str", print_type=True)
    assert text.splitlines() == [
        "Elemwise{mul,no_inplace} [id A] <TensorType(float64, matrix)> ''",
        " |Elemwise{exp,no_inplace} [id B] <TensorType(float64, matrix)> ''",
        " | |Elemwise{add,no_inplace} [id C] <TensorType(float64, matrix)> 'z'",
        " |   |x [id D] <TensorType(float64, matrix)>",
        " |   |y [id E] <TensorType(float64, matrix)>",
        " |x [id D] <TensorType(float64, matrix)>"]


def test_debugprint_prints_a_shared_subgraph_once():
    x, y = T.dvectors("x", "y")
    s = x + y
    lines = debugprint(s * s, file="str").splitlines()
    assert lines[1:] == [" |Elemwise{add,no_inplace} [id B] ''", " | |x [id C]",
                         " | |y [id D]", " |Elemwise{add,no_inplace} [id B] ''"]


def test_debugprint_of_a_function_numbers_nodes_by_schedule():
    x, y = T.dvectors("x", "y")
    f = theano.function([x, y], [T.exp(x) + y, x * 2])
    lines = debugprint(f, file="str").splitlines()
    order = [str(node.op) for node in f.maker.fgraph.toposort()]
    seen = set()
    for line in lines:
        match = re.fullmatch(r"[ |]*(.+?) \[id [A-Z]+\] ''   (\d+)", line)
        if match:
            assert order[int(match.group(2))] == match.group(1)
            seen.add(int(match.group(2)))
        else:  # an input or a constant: no position
            assert re.fullmatch(r"[ |]*(x|y|TensorConstant\{.*\}) \[id [A-Z]+\]", line), line
    assert seen == set(range(len(order)))
    assert debugprint(f.maker.fgraph, file="str") == debugprint(f, file="str")


def test_debugprint_options_and_destinations(capsys):
    x, y = T.dvectors("x", "y")
    z = x + y
    z.name = "z"
    e = T.exp(z)
    assert debugprint(e, file=None) is None
    assert capsys.readouterr().out == debugprint(e, file="str")
    buffer = io.StringIO()
    assert debugprint(e, file=buffer) is buffer
    assert buffer.getvalue() == debugprint(e, file="str")
    assert debugprint(e, file="str", depth=1) == "Elemwise{exp,no_inplace} [id A] ''\n"
    assert debugprint(e, file="str", stop_on_name=True).splitlines()[-1] == \
        " |Elemwise{add,no_inplace} [id B] 'z'"
    assert debugprint(e, file="str", ids="int").splitlines()[-1] == "   |y [id 3]"
    assert debugprint(e, file="str", ids="").splitlines()[-1] == "   |y"
    done = {}
    debugprint(z, file="str", done=done)
    assert debugprint(e, file="str", done=done).splitlines() == [
        "Elemwise{exp,no_inplace} [id D] ''", " |Elemwise{add,no_inplace} [id A] 'z'"]
    with pytest.raises(ValueError, match="ids"):
        debugprint(e, ids="hex")
    with pytest.raises(TypeError, match="cannot print an object of type dict"):
        debugprint({})


def test_debugprint_of_leaves_apply_nodes_and_lists():
    W = theano.shared(np.zeros(3), name="W")
    assert debugprint(W, file="str") == "W [id A]\n"
    assert debugprint(T.constant(2.0), file="str") == "TensorConstant{2.0} [id A]\n"
    x = T.dvector("x")
    first, second = Pair()(x)
    assert debugprint(first.owner, file="str").splitlines() == [
        "Pair.0 [id A] ''", " |x [id B]", "Pair.1 [id A] ''"]
    assert debugprint([x, W], file="str") == "x [id A]\nW [id B]\n"


def test_char_from_number_counts_in_base_26_as_theano():
    assert [char_from_number(n) for n in (0, 1, 25, 26, 27, 26 * 26)] == \
        ["A", "B", "Z", "BA", "BB", "BAA"]


def test_debugprint_of_a_deep_graph():
    x = T.dscalar("x")
    y = x
    for _ in range(1200):
        y = y * 2
    lines = debugprint(y, file="str").splitlines()
    # Ids in printing order: the 1200 products, x, then each product's constant.
    assert len(lines) == 2 * 1200 + 1
    assert lines[-1] == " |TensorConstant{2.0} [id " + char_from_number(2 * 1200) + "]"


# -- str() of graph objects, as Theano prints them ---------------------------------


def test_str_of_variables_and_types():
    x = T.dmatrix("x")
    assert str(x) == "x" and repr(x) == "x"
    assert str(x + x) == "Elemwise{add,no_inplace}.0"
    assert str(T.dmatrix()) == "<TensorType(float64, matrix)>"
    assert str(T.constant(2.0)) == "TensorConstant{2.0}"
    assert str(theano.shared(np.zeros(2))) == "<TensorType(float64, vector)>"
    assert str(theano.shared(np.zeros(2), name="b")) == "b"
    types = {T.dscalar: "TensorType(float64, scalar)", T.fvector: "TensorType(float32, vector)",
             T.dmatrix: "TensorType(float64, matrix)", T.drow: "TensorType(float64, row)",
             T.dcol: "TensorType(float64, col)", T.dtensor3: "TensorType(float64, 3D)",
             T.ivector: "TensorType(int32, vector)"}
    for make, text in types.items():
        assert str(make().type) == text
    odd = T.TensorType("float64", (False, True, False))
    assert str(odd) == "TensorType(float64, (False, True, False))"


def test_str_of_ops():
    x, W = T.dmatrices("x", "W")
    v = T.dvector("v")
    assert str((x + W).owner.op) == "Elemwise{add,no_inplace}"
    assert str(T.exp(x).owner.op) == "Elemwise{exp,no_inplace}"
    assert str(T.sum(x, axis=1).owner.op) == "Sum{axis=[1]}"
    assert str(T.dot(x, W).owner.op) == "Dot"
    assert str(v.dimshuffle("x", 0).owner.op) == "DimShuffle{x,0}"
    assert str(x.T.owner.op) == "DimShuffle{1,0}"
    f = theano.function([x], x)
    assert [str(n.op) for n in f.maker.fgraph.toposort()] == ["DeepCopyOp"]
    a = ScalarType("float64")()
    assert str(T.Elemwise(Composite([a], [smath.exp(a) + 1]))) == "Composite{exp(i0) + 1}"
    assert str(Print("hi")) == "Print{message='hi', attrs=('__str__',)}"


# -- Print ------------------------------------------------------------------------


def test_print_shows_the_value_and_passes_it_through(capsys):
    x = T.dvector("x")
    f = theano.function([x], Print("x is")(x) * 2)
    out = f([1.0, 2.0])
    np.testing.assert_array_equal(out, [2.0, 4.0])
    assert capsys.readouterr().out == f"x is __str__ = {np.array([1.0, 2.0])}\n"
    g = theano.function([x], Print("x", attrs=("shape", "sum"))(x))
    np.testing.assert_array_equal(g([1.0, 2.0]), [1.0, 2.0])
    assert capsys.readouterr().out == "x shape = (2,)\nx sum = 3.0\n"


def test_print_op_is_a_view():
    x = T.dvector("x")
    op = Print("m")
    assert op.view_map == {0: [0]}
    assert op.make_node(x).outputs[0].type == x.type
    assert op == Print("m") and op != Print("n")
    seen = []
    h = theano.function([x], Print("q", global_fn=lambda op, v: seen.append(v.sum()))(x))
    h([1.0, 5.0])
    assert seen == [6.0]
    with pytest.raises(TypeError, match="Print.'m'. takes a symbolic Variable"):
        op(3.0)
