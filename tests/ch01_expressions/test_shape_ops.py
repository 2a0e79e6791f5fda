"""Reshape, flatten, specify_shape, get_vector_length, padding dimensions (chapter 1)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitheano as theano
from minitheano import tensor as T
from minitheano.tensor.shape import Reshape

RNG = np.random.default_rng(42)


def data(shape, dtype="float64"):
    return RNG.normal(size=shape).astype(dtype) if dtype != "bool" else RNG.random(shape) > 0.5


# ---------------------------------------------------------------------------
# reshape
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32", "int8", "uint16", "bool"])
@pytest.mark.parametrize("shape, new", [
    ((2, 3), (3, 2)), ((2, 3), (6,)), ((2, 3), (-1,)), ((2, 3), (1, -1)), ((2, 3), (3, -1, 1)),
    ((6,), (2, 3)), ((0, 3), (3, 0)), ((0, 3), (-1,)), ((1,), ()), ((), (1, 1)),
    ((4, 1, 3), (2, 2, 3)),
])
def test_reshape_constant_shape_matches_numpy(dtype, shape, new, check_infer_shape):
    x = T.TensorType(dtype, (False,) * len(shape))("x")
    y = x.reshape(new)
    assert y.ndim == len(new) and y.dtype == dtype
    assert y.broadcastable == tuple(n == 1 for n in new)
    v = data(shape, dtype)
    out = theano.function([x], y)(v)
    np.testing.assert_array_equal(out, v.reshape(new))
    assert out.dtype == v.dtype
    check_infer_shape(y, [x], [v])


def test_reshape_non_contiguous_input():
    x = T.dmatrix("x")
    f = theano.function([x], x.reshape((2, -1)))
    v = data((4, 6))[::2, ::-2].T  # (3, 2), neither C nor F contiguous
    np.testing.assert_array_equal(f(v), v.reshape((2, -1)))


def test_reshape_symbolic_shape_entries(check_infer_shape):
    x = T.dtensor3("x")
    n = T.lscalar("n")
    y = x.reshape((x.shape[0], n, -1))
    assert y.ndim == 3
    f = theano.function([x, n], y)
    v = data((2, 3, 4))
    for k in (1, 2, 3, 4, 6, 12):
        np.testing.assert_array_equal(f(v, k), v.reshape((2, k, -1)))
        check_infer_shape(y, [x, n], [v, k])


def test_reshape_symbolic_entry_may_be_minus_one(check_infer_shape):
    x = T.dmatrix("x")
    n = T.lscalar("n")
    y = x.reshape((n, 2))
    f = theano.function([x, n], y)
    v = data((3, 4))
    np.testing.assert_array_equal(f(v, -1), v.reshape((-1, 2)))
    np.testing.assert_array_equal(f(v, 6), v.reshape((6, 2)))
    check_infer_shape(y, [x, n], [v, -1])
    check_infer_shape(y, [x, n], [v, 6])


def test_reshape_shape_vector_needs_ndim(check_infer_shape):
    x = T.dmatrix("x")
    s = T.lvector("s")
    with pytest.raises(ValueError, match="ndim"):
        x.reshape(s)
    y = x.reshape(s, ndim=3)
    assert y.ndim == 3 and y.broadcastable == (False,) * 3
    v = data((4, 6))
    f = theano.function([x, s], y)
    np.testing.assert_array_equal(f(v, [2, -1, 3]), v.reshape((2, -1, 3)))
    check_infer_shape(y, [x, s], [v, np.array([2, -1, 3])])
    check_infer_shape(y, [x, s], [v, np.array([3, 2, 4])])


def test_reshape_int32_shape_and_broadcastable_from_make_vector():
    x = T.dvector("x")
    n = T.iscalar("n")
    y = x.reshape((1, n))
    assert y.broadcastable == (True, False)
    z = x.reshape((n, 1))
    assert z.broadcastable == (False, True)
    v = data((5,))
    np.testing.assert_array_equal(theano.function([x, n], y)(v, 5), v.reshape((1, 5)))


def test_reshape_gives_a_view_where_numpy_does():
    x = T.dmatrix("x")
    y = x.reshape((6,))
    node = y.owner
    assert node.op.view_map == {0: [0]}
    v = data((2, 3))
    storage = [[None]]
    node.op.perform(node, [v, np.array([6])], storage)
    assert np.shares_memory(storage[0][0], v)
    # ... while the compiled function's output is the user's own array
    out = theano.function([x], y)(v)
    out[0] = 100.0
    assert v[0, 0] != 100.0


@given(st.lists(st.integers(0, 4), min_size=0, max_size=4), st.randoms(use_true_random=False))
def test_reshape_random_factorizations(shape, rnd):
    size = int(np.prod(shape))
    new = list(shape)
    rnd.shuffle(new)
    if new and size:
        new[rnd.randrange(len(new))] = -1
    x = T.TensorType("float64", (False,) * len(shape))("x")
    v = np.arange(size, dtype="float64").reshape(shape)
    out = theano.function([x], x.reshape(tuple(new)))(v)
    np.testing.assert_array_equal(out, v.reshape(tuple(new)))


def test_reshape_size_mismatch_names_the_shapes():
    x = T.dmatrix("x")
    f = theano.function([x], x.reshape((4, 2)))
    with pytest.raises(ValueError, match=r"Reshape\{2\}.*\(2, 3\).*6 elements.*\(4, 2\)"):
        f(data((2, 3)))
    g = theano.function([x], x.reshape((4, -1)))
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, -1\)"):
        g(data((2, 3)))


def test_reshape_bad_shapes_at_graph_time():
    x = T.dmatrix("x")
    with pytest.raises(ValueError, match="at most one -1"):
        x.reshape((-1, -1))
    with pytest.raises(ValueError, match="at most one -1"):
        x.reshape((2, -3))
    with pytest.raises(TypeError, match="integers"):
        x.reshape(T.dvector())
    with pytest.raises(ValueError, match="entries"):
        Reshape(3)(x, [2, 3])


def test_reshape_bad_shapes_at_run_time():
    x = T.dmatrix("x")
    s = T.lvector("s")
    f = theano.function([x, s], x.reshape(s, ndim=2))
    with pytest.raises(ValueError, match="at most one -1"):
        f(data((2, 3)), [-1, -1])
    with pytest.raises(ValueError, match="3 entries, not 2"):
        f(data((2, 3)), [1, 2, 3])


def test_reshape_prints_as_theano():
    assert str(Reshape(2)) == "Reshape{2}"
    assert Reshape(2) == Reshape(2) and hash(Reshape(2)) == hash(Reshape(2))
    assert Reshape(2) != Reshape(3)


# ---------------------------------------------------------------------------
# flatten
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape, ndim", [((2, 3, 4), 1), ((2, 3, 4), 2), ((2, 3, 4), 3),
                                         ((0, 3), 1), ((5,), 1), ((), 1), ((2, 0, 3), 2)])
def test_flatten_keeps_the_first_ndim_minus_one(shape, ndim, check_infer_shape):
    x = T.TensorType("float32", (False,) * len(shape))("x")
    y = T.flatten(x, ndim)
    v = data(shape, "float32")
    out = theano.function([x], y)(v)
    np.testing.assert_array_equal(out, v.reshape(v.shape[:ndim - 1] + (-1,)))
    assert out.dtype == np.float32
    reshaped = y.owner.inputs[0] if isinstance(y.owner.op, T.Rebroadcast) else y
    check_infer_shape([reshaped, y], [x], [v])


def test_flatten_method_and_broadcastable():
    x = T.TensorType("float64", (False, True, True))("x")
    assert x.flatten().broadcastable == (False,)
    assert x.flatten(2).broadcastable == (False, True)
    r = T.drow("r")
    assert r.flatten(2).broadcastable == (True, False)
    assert T.dscalar().flatten().broadcastable == (True,)
    v = data((3, 1, 1))
    np.testing.assert_array_equal(theano.function([x], x.flatten(2))(v), v.reshape(3, 1))


def test_flatten_bad_ndim():
    x = T.dmatrix("x")
    for ndim in (0, 3):
        with pytest.raises(ValueError, match=f"ndim={ndim}"):
            x.flatten(ndim)


# ---------------------------------------------------------------------------
# specify_shape, get_vector_length, padding
# ---------------------------------------------------------------------------

def test_specify_shape_checks_and_passes_through(check_infer_shape):
    x = T.dmatrix("x")
    n = T.lscalar("n")
    y = T.specify_shape(x, (n, 3))
    f = theano.function([x, n], y)
    v = data((2, 3))
    np.testing.assert_array_equal(f(v, 2), v)
    with pytest.raises(ValueError, match=r"SpecifyShape.*\(2, 3\).*\(5, 3\)"):
        f(v, 5)
    check_infer_shape(y, [x, n], [v, 2])
    assert y.type == x.type
    with pytest.raises(ValueError, match="3 entries"):
        T.specify_shape(x, (1, 2, 3))


def test_get_vector_length():
    x = T.dtensor3("x")
    n = T.lscalar("n")
    assert T.get_vector_length(x.shape) == 3
    assert T.get_vector_length(x.shape[1:]) == 2
    assert T.get_vector_length(x.shape[::-2]) == 2
    assert T.get_vector_length(T.constant([1, 2, 3, 4])) == 4
    assert T.get_vector_length(T.stack([n, n, 1])) == 3
    assert T.get_vector_length(T.concatenate([x.shape, [n]])) == 4
    assert T.get_vector_length(T.cast(x.shape, "int32")) == 3
    for unknown in (T.lvector("v"), x.shape[n:], T.arange(n)):
        with pytest.raises(ValueError, match="not known"):
            T.get_vector_length(unknown)
    with pytest.raises(TypeError, match="not a vector"):
        T.get_vector_length(T.lmatrix())


def test_shape_of_symbolic_shapes(check_infer_shape):
    x = T.dmatrix("x")
    v = data((0, 7))
    f = theano.function([x], [x.shape, x.shape[-1]])
    shape, last = f(v)
    np.testing.assert_array_equal(shape, [0, 7])
    assert shape.dtype == np.int64 and last == 7 and last.shape == ()
    check_infer_shape(x.shape, [x], [v])


def test_padding_dimensions():
    x = T.fmatrix("x")
    v = data((2, 3), "float32")
    cases = [(T.shape_padleft(x), v[None], (True, False, False)),
             (T.shape_padleft(x, 2), v[None, None], (True, True, False, False)),
             (T.shape_padright(x), v[..., None], (False, False, True)),
             (T.shape_padaxis(x, 1), v[:, None], (False, True, False)),
             (T.shape_padaxis(x, -1), v[:, :, None], (False, False, True)),
             (T.shape_padaxis(x, -3), v[None], (True, False, False))]
    f = theano.function([x], [c[0] for c in cases])
    for (var, expected, bcast), out in zip(cases, f(v)):
        assert var.broadcastable == bcast
        np.testing.assert_array_equal(out, expected)
    with pytest.raises(IndexError, match="out of range"):
        T.shape_padaxis(x, 3)


def test_unpacking_a_vector_of_known_length():
    x = T.dtensor3("x")
    n, m, k = x.shape
    f = theano.function([x], [n, m * k])
    a, b = f(np.zeros((2, 3, 4)))
    assert a == 2 and b == 12
    assert len(list(T.constant([1, 2]))) == 2
    with pytest.raises(TypeError, match="cannot iterate"):
        iter(T.dvector())
    with pytest.raises(TypeError, match="cannot iterate"):
        iter(T.dmatrix())
