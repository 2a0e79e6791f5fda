"""Basic indexing (Subtensor) and writing into a part (set_subtensor, inc_subtensor)
(chapter 1)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitheano as theano
from minitheano import scalar
from minitheano import tensor as T
from minitheano.tensor.subtensor import IncSubtensor, Subtensor

RNG = np.random.default_rng(3)
X3 = RNG.normal(size=(4, 5, 6))


def symbolic(index):
    """The index with each int (also inside slices) replaced by an lscalar input:
    returns (symbolic index, inputs, values)."""
    inputs, values = [], []

    def sym(p):
        if isinstance(p, int) and not isinstance(p, bool):
            v = T.lscalar()
            inputs.append(v)
            values.append(p)
            return v
        return p

    entries = index if isinstance(index, tuple) else (index,)
    out = tuple(slice(sym(e.start), sym(e.stop), sym(e.step)) if isinstance(e, slice)
                else sym(e) for e in entries)
    return out, inputs, values


BASIC_INDICES = [
    0, -1, 3, (1, 2), (1, 2, 3), (-4, -5, -6), slice(None), slice(1, 3), slice(None, None, -1),
    slice(-2, None), slice(None, -10), slice(10, None), slice(3, 1), slice(3, 1, -1),
    slice(None, None, 2), slice(-1, -5, -2), (slice(1, None), 2), (Ellipsis, 1),
    (1, Ellipsis), (1, Ellipsis, slice(None, None, -3)), (None,), (None, 1), (1, None),
    (slice(None), None, 2, None), (Ellipsis, None), (None, Ellipsis, None, 0), (),
]


@pytest.mark.parametrize("index", BASIC_INDICES, ids=repr)
def test_basic_indexing_matches_numpy(index, check_infer_shape):
    x = T.dtensor3("x")
    y = x[index]
    expected = X3[index]
    assert y.ndim == expected.ndim
    out = theano.function([x], y)(X3)
    np.testing.assert_array_equal(out, expected)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    sub = y if isinstance(y.owner.op, Subtensor) else y.owner.inputs[0]
    check_infer_shape(sub, [x], [X3])


@pytest.mark.parametrize("index", BASIC_INDICES, ids=repr)
def test_symbolic_indices_match_numpy(index, check_infer_shape):
    x = T.dtensor3("x")
    sym_index, inputs, values = symbolic(index)
    y = x[sym_index]
    out = theano.function([x, *inputs], y)(X3, *values)
    np.testing.assert_array_equal(out, X3[index])
    sub = y if isinstance(y.owner.op, Subtensor) else y.owner.inputs[0]
    check_infer_shape(sub, [x, *inputs], [X3, *values])


bound = st.none() | st.integers(-9, 9)


@given(st.lists(st.tuples(bound, bound, bound.filter(lambda s: s != 0)), min_size=1,
                max_size=3),
       st.lists(st.integers(0, 7), min_size=3, max_size=3))
def test_random_slices_symbolic_and_constant(parts, shape):
    v = np.arange(np.prod(shape), dtype="float64").reshape(shape)
    index = tuple(slice(*p) for p in parts)
    x = T.dtensor3("x")
    sym_index, inputs, values = symbolic(index)
    y_const, y_sym = x[index], x[sym_index]
    f = theano.function([x, *inputs], [y_const, y_sym], on_unused_input="ignore")
    out_const, out_sym = f(v, *values)
    np.testing.assert_array_equal(out_const, v[index])
    np.testing.assert_array_equal(out_sym, v[index])
    # the inferred shape, symbolic in the bounds, agrees with numpy's
    shape_of = y_sym.owner.op.infer_shape(
        None, y_sym.owner, [tuple(x.shape[d] for d in range(3))] + [()] * len(inputs))[0]
    lengths = theano.function([x, *inputs], [T.as_tensor_variable(n) for n in shape_of],
                              on_unused_input="ignore")(v, *values)
    assert tuple(int(n) for n in lengths) == v[index].shape


@pytest.mark.parametrize("dtype", ["int8", "uint32", "bool", "float32", "int64"])
def test_indexing_keeps_dtype(dtype):
    v = (RNG.normal(size=(3, 4)) * 10).astype(dtype)
    x = T.TensorType(dtype, (False, False))("x")
    out = theano.function([x], [x[1], x[:, ::-2], x[2, 3]])(v)
    for o, e in zip(out, [v[1], v[:, ::-2], v[2, 3]]):
        np.testing.assert_array_equal(o, e)
        assert o.dtype == v.dtype and isinstance(o, np.ndarray)


def test_zero_length_and_length_one_dimensions(check_infer_shape):
    x = T.dmatrix("x")
    i = T.lscalar("i")
    ys = [x[1:], x[:, i:], x[::-1, 0:1]]
    for v in (np.zeros((0, 3)), np.ones((1, 1)), np.ones((1, 0))):
        out = theano.function([x, i], ys)(v, 0)
        for o, e in zip(out, [v[1:], v[:, 0:], v[::-1, 0:1]]):
            np.testing.assert_array_equal(o, e)
            assert o.shape == e.shape
        check_infer_shape(ys, [x, i], [v, 0])


def test_non_contiguous_input():
    x = T.dmatrix("x")
    v = RNG.normal(size=(6, 8))[::2, 1::3].T
    out = theano.function([x], [x[1], x[::-1, 1:], x[-1, -1]])(v)
    for o, e in zip(out, [v[1], v[::-1, 1:], v[-1, -1]]):
        np.testing.assert_array_equal(o, e)


def test_broadcastable_flags():
    r = T.drow("r")
    assert r[0].broadcastable == (False,)
    assert r[:, 0].broadcastable == (True,)
    assert r[0:].broadcastable == (True, False)
    assert r[::-1].broadcastable == (True, False)
    assert r[0:1].broadcastable == (True, False)
    assert r[0:5:2].broadcastable == (True, False)
    assert r[0:5:-1].broadcastable == (False, False)   # empty on a length-1 dimension
    assert r[1:].broadcastable == (False, False)
    assert r[None].broadcastable == (True, True, False)
    n = T.lscalar()
    assert r[n:].broadcastable == (False, False)
    assert T.dmatrix()[0:1].broadcastable == (False, False)


def test_index_types_that_become_inputs_or_props():
    x = T.dvector("x")
    assert x[np.int32(2)].owner.op == Subtensor((2,))
    assert x[T.constant(2)].owner.op == Subtensor((2,))
    i = T.iscalar("i")
    y = x[i]
    assert y.owner.inputs[1] is i and y.owner.op.idx_list == (i.type,)
    s = scalar.ScalarType("int64")("s")
    z = x[s:]
    v = np.arange(5.0)
    out = theano.function([x, i, s], [y, z])(v, 3, 2)
    np.testing.assert_array_equal(out[0], 3.0)
    np.testing.assert_array_equal(out[1], v[2:])


def test_printing_and_equality():
    x = T.dmatrix("x")
    i = T.lscalar("i")
    assert str(x[0].owner.op) == "Subtensor{0}"
    assert str(x[i:].owner.op) == "Subtensor{int64::}"
    assert str(x[::-1, T.iscalar()].owner.op) == "Subtensor{::-1, int32}"
    assert str(x[1:3].owner.op) == "Subtensor{1:3:}"
    a, b = x[1:3, 0].owner.op, T.dmatrix()[1:3, 0].owner.op
    assert a == b and hash(a) == hash(b) and a != x[1:4, 0].owner.op
    assert str(T.set_subtensor(x[0], 1.0).owner.op) == "IncSubtensor{Set;0}"
    assert str(T.inc_subtensor(x[i:], 1.0).owner.op) == "IncSubtensor{Inc;int64::}"
    assert str(IncSubtensor((0,), inplace=True)) == "IncSubtensor{InplaceInc;0}"


def test_out_of_bounds_is_an_index_error_naming_op_index_shape():
    x = T.dmatrix("x")
    i = T.lscalar("i")
    f = theano.function([x, i], x[1, i])
    assert f(np.ones((2, 3)), -3) == 1.0
    with pytest.raises(IndexError, match=r"Subtensor\{1, int64\}.*index 3 .*\[1, 3\].*\(2, 3\)"):
        f(np.ones((2, 3)), 3)
    g = theano.function([x], x[5])
    with pytest.raises(IndexError, match=r"Subtensor\{5\}.*\(2, 3\)"):
        g(np.ones((2, 3)))


def test_bad_indices_at_graph_time():
    x = T.dmatrix("x")
    with pytest.raises(TypeError, match="float64.*integers"):
        x[T.dscalar()]
    with pytest.raises(TypeError, match="float"):
        x[1.0]
    with pytest.raises(TypeError, match="slice bounds must be integers"):
        x[1.5:]
    with pytest.raises(TypeError, match="slice bounds must be integers"):
        x[:T.dscalar()]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., 0, ...]
    with pytest.raises(ValueError, match="step cannot be zero"):
        x[::0]
    with pytest.raises(TypeError, match="not an index"):
        x[True]
    with pytest.raises(TypeError, match="not a valid index"):
        x["a"]


def test_shape_entries():
    x = T.dtensor3("x")
    f = theano.function([x], [x.shape[0], x.shape[-1], x.shape[1:]])
    a, b, c = f(X3)
    assert a == 4 and b == 6 and list(c) == [5, 6]


def test_output_does_not_alias_the_input():
    x = T.dmatrix("x")
    v = np.zeros((3, 3))
    out = theano.function([x], x[1:])(v)
    out[...] = 7
    assert not v.any()


# ---------------------------------------------------------------------------
# set_subtensor / inc_subtensor
# ---------------------------------------------------------------------------

WRITE_CASES = [  # index, shape of the value written
    (0, (6,)), ((1, 2), ()), ((slice(1, 3), -1), (2,)), ((slice(None, None, -2),), (2, 6)),
    ((Ellipsis, 2), (4,)), ((1, slice(2, None)), (1,)), ((slice(5, None),), (0, 6)),
]


@pytest.mark.parametrize("set_", [True, False])
@pytest.mark.parametrize("index, yshape", WRITE_CASES, ids=repr)
def test_set_and_inc_match_numpy(index, yshape, set_, check_infer_shape):
    v = RNG.normal(size=(4, 6))
    yv = RNG.normal(size=yshape)
    x, y = T.dmatrix("x"), T.TensorType("float64", [n == 1 for n in yshape])("y")
    z = T.set_subtensor(x[index], y) if set_ else T.inc_subtensor(x[index], y)
    assert z.type == x.type
    v_before = v.copy()
    out = theano.function([x, y], z)(v, yv)
    expected = v.copy()
    if set_:
        expected[index] = yv
    else:
        expected[index] += yv
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(v, v_before)  # the caller's array is untouched
    check_infer_shape(z, [x, y], [v, yv])


def test_symbolic_index_and_broadcast_value():
    x = T.fmatrix("x")
    i, j = T.lscalars("i", "j")
    z = T.inc_subtensor(x[i:j], 1.5)   # a Python float stays float32
    assert z.dtype == "float32"
    s = T.fscalar("s")
    w = T.set_subtensor(x[:, i], s)
    v = np.zeros((4, 3), dtype="float32")
    out = theano.function([x, i, j], z)(v, 1, 3)
    np.testing.assert_array_equal(out, [[0] * 3, [1.5] * 3, [1.5] * 3, [0] * 3])
    out = theano.function([x, i, s], w)(v, -1, 2)
    np.testing.assert_array_equal(out, [[0, 0, 2]] * 4)
    row = T.frow("row")
    np.testing.assert_array_equal(
        theano.function([x, row], T.inc_subtensor(x[1:3], row))(v, [[1, 2, 3]]),
        [[0, 0, 0], [1, 2, 3], [1, 2, 3], [0, 0, 0]])


def test_write_through_new_axes_and_transposes():
    x = T.dmatrix("x")
    v = np.zeros((2, 3))
    z = T.set_subtensor(x[None, 1], [[1.0, 2.0, 3.0]])
    assert z.type == x.type
    np.testing.assert_array_equal(theano.function([x], z)(v), [[0, 0, 0], [1, 2, 3]])
    z = T.inc_subtensor(x[0, None, 1:, None], np.ones((1, 2, 1)))
    np.testing.assert_array_equal(theano.function([x], z)(v), [[0, 1, 1], [0, 0, 0]])
    # the indexed variable is x.T, so the result is a new x.T, as in Theano
    t = T.set_subtensor(x.T[2], [5.0, 6.0])
    np.testing.assert_array_equal(theano.function([x], t)(v), [[0, 0], [0, 0], [5, 6]])


def test_inplace_flag_decides_destroy_map():
    x = T.dvector("x")
    assert T.set_subtensor(x[0], 1.0).owner.op.destroy_map == {}
    op = IncSubtensor((0,), inplace=True)
    assert op.destroy_map == {0: [0]}
    node = op.make_node(x, 1.0)
    v = np.zeros(3)
    storage = [[None]]
    op.perform(node, [v, np.asarray(1.0)], storage)
    assert storage[0][0] is v and v[0] == 1.0


def test_write_errors():
    x = T.dmatrix("x")
    with pytest.raises(TypeError, match="indexed variable"):
        T.set_subtensor(x, 1.0)
    with pytest.raises(TypeError, match="indexed variable"):
        T.inc_subtensor(x + 1, 1.0)
    with pytest.raises(TypeError, match="2-dimensional value"):
        T.set_subtensor(x[0], T.dmatrix())
    with pytest.raises(TypeError, match="losing precision"):
        T.set_subtensor(T.fmatrix()[0], T.dvector())
    with pytest.raises(TypeError, match="losing precision"):
        T.inc_subtensor(T.imatrix()[0], 0.5)
    y = T.dvector("y")
    f = theano.function([x, y], T.set_subtensor(x[0], y))
    with pytest.raises(ValueError, match=r"IncSubtensor\{Set;0\}.*\(4,\).*part of shape \(3,\)"):
        f(np.zeros((2, 3)), np.ones(4))
    # numpy would stretch the length 1; Theano's rule, and ours, is to stretch only
    # dimensions declared broadcastable
    with pytest.raises(ValueError, match="declared broadcastable"):
        f(np.zeros((2, 3)), np.ones(1))
    r = T.drow("r")
    g = theano.function([x, r], T.inc_subtensor(x[:, 1:], r))
    np.testing.assert_array_equal(g(np.zeros((2, 3)), [[1.0, 2.0]]), [[0, 1, 2], [0, 1, 2]])
    m = T.dmatrix("m")
    h = theano.function([x, m], T.inc_subtensor(x[:, 1:], m))
    with pytest.raises(ValueError, match=r"\(1, 2\).*\(2, 2\).*declared broadcastable"):
        h(np.zeros((2, 3)), [[1.0, 2.0]])
