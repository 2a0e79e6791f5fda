"""Integer-array and boolean-mask indexing, and writing through them; nonzero
(chapter 1)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitheano as theano
from minitheano import tensor as T
from minitheano.tensor.advanced_subtensor import (
    AdvancedIncSubtensor,
    AdvancedIncSubtensor1,
    AdvancedSubtensor,
    AdvancedSubtensor1,
)

RNG = np.random.default_rng(11)
X3 = RNG.normal(size=(4, 5, 6))


# ---------------------------------------------------------------------------
# x[int vector]: AdvancedSubtensor1
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("idx", [[0, 2], [3, -1, 3, 0], [], [-4], [1] * 7])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
def test_take_rows_matches_numpy(idx, dtype, check_infer_shape):
    x = T.dtensor3("x")
    i = T.TensorType(dtype, (False,))("i")
    y = x[i]
    assert isinstance(y.owner.op, AdvancedSubtensor1)
    if dtype == "uint8" and any(k < 0 for k in idx):
        return
    iv = np.array(idx, dtype=dtype)
    out = theano.function([x, i], y)(X3, iv)
    np.testing.assert_array_equal(out, X3[iv])
    check_infer_shape(y, [x, i], [X3, iv])


def test_take_rows_with_constants_and_broadcastable_flags():
    x = T.TensorType("float32", (False, True))("x")
    assert x[[2, 0]].broadcastable == (False, True)
    assert x[[2]].broadcastable == (True, True)
    assert x[[2, 0], :].owner.op == AdvancedSubtensor1()
    v = RNG.normal(size=(3, 1)).astype("float32")
    out = theano.function([x], x[[2, 0]])(v)
    np.testing.assert_array_equal(out, v[[2, 0]])
    assert out.dtype == np.float32


def test_take_rows_of_a_non_contiguous_input():
    x = T.dmatrix("x")
    v = RNG.normal(size=(6, 8))[::2, ::-3].T
    np.testing.assert_array_equal(theano.function([x], x[[1, 0, 1]])(v), v[[1, 0, 1]])


def test_take_rows_out_of_bounds():
    x = T.dmatrix("x")
    i = T.lvector("i")
    f = theano.function([x, i], x[i])
    with pytest.raises(IndexError, match=r"AdvancedSubtensor1: index 3 .*size 3.*\(3, 2\)"):
        f(np.zeros((3, 2)), [0, 3])
    with pytest.raises(IndexError, match="index -4"):
        f(np.zeros((3, 2)), [-4])


def test_index_arrays_must_be_integers():
    x = T.dmatrix("x")
    with pytest.raises(TypeError, match="float64.*integers"):
        x[T.dvector()]
    with pytest.raises(TypeError, match="integers"):
        x[[0.5, 1.0]]
    with pytest.raises(TypeError, match="vector of integers"):
        AdvancedSubtensor1()(x, T.lmatrix())


# ---------------------------------------------------------------------------
# The general case: AdvancedSubtensor
# ---------------------------------------------------------------------------

I2 = np.array([3, 0, 3])
J2 = np.array([[1, -1], [3, 2]])
ADVANCED = [  # numpy index on a (4, 5, 6) array
    (slice(None), I2), (I2, slice(1, None)), (I2, I2), (I2, slice(None), I2[::-1]),
    (0, slice(None), I2), (slice(None), 1, I2), (J2,), (slice(None), J2),
    (np.array([1, 0]), Ellipsis, J2), (I2, None, I2), (None, I2, None, 1, None),
    (None, I2), (I2, None), (slice(None), None, I2), (I2[:, None], I2), (slice(None, None, -1), I2),
    (slice(3, 1, -1), I2, 2),
]


@pytest.mark.parametrize("index", ADVANCED, ids=repr)
def test_advanced_indexing_matches_numpy(index, check_infer_shape):
    x = T.dtensor3("x")
    syms, values = [], []
    sym_index = []
    for e in index:
        if isinstance(e, np.ndarray):
            v = T.TensorType("int64", [n == 1 for n in e.shape])()
            syms.append(v)
            values.append(e)
            sym_index.append(v)
        else:
            sym_index.append(e)
    y = x[tuple(sym_index)]
    expected = X3[index]
    assert y.ndim == expected.ndim
    out = theano.function([x, *syms], y)(X3, *values)
    np.testing.assert_array_equal(out, expected)
    # the same index with constant arrays
    np.testing.assert_array_equal(theano.function([x], x[index])(X3), expected)
    indexed = y.owner.inputs[0] if isinstance(y.owner.op, T.DimShuffle) else y
    check_infer_shape(indexed, [x, *syms], [X3, *values])


def test_the_crossentropy_idiom():
    p = T.dmatrix("p")
    y = T.lvector("y")
    n = p.shape[0]
    picked = p[T.arange(n), y]
    assert isinstance(picked.owner.op, AdvancedSubtensor) and picked.ndim == 1
    pv = RNG.random((5, 3))
    yv = np.array([0, 2, 1, 1, 0])
    out = theano.function([p, y], -T.log(picked))(pv, yv)
    np.testing.assert_allclose(out, -np.log(pv[np.arange(5), yv]))


def test_advanced_index_broadcasting_and_flags(check_infer_shape):
    x = T.dmatrix("x")
    col, row = T.lcol("col"), T.lrow("row")
    y = x[col, row]
    assert y.broadcastable == (False, False)
    a = x[T.lrow("r1"), T.lrow("r2")]
    assert a.broadcastable == (True, False)
    v = RNG.normal(size=(4, 5))
    cv, rv = np.array([[0], [3], [1]]), np.array([[4, 0]])
    np.testing.assert_array_equal(theano.function([x, col, row], y)(v, cv, rv), v[cv, rv])
    check_infer_shape(y, [x, col, row], [v, cv, rv])
    # lengths that are 1 without being declared so broadcast as in numpy
    i, j = T.lvectors("i", "j")
    z = x[i, j]
    f = theano.function([x, i, j], z)
    for iv, jv in (([1], [0, 1, 2]), ([0, 1, 2], [4]), ([2, 3], [1, 1])):
        np.testing.assert_array_equal(f(v, iv, jv), v[iv, jv])
        check_infer_shape(z, [x, i, j], [v, np.array(iv), np.array(jv)])
    with pytest.raises(IndexError, match=r"AdvancedSubtensor.*shape mismatch"):
        f(v, [0, 1], [0, 1, 2])


def test_advanced_out_of_bounds():
    x = T.dmatrix("x")
    i = T.lvector("i")
    f = theano.function([x, i], x[1:, i])
    message = r"AdvancedSubtensor: index 7 .*\[1::, \[0, 7\]\].*\(3, 4\)"
    with pytest.raises(IndexError, match=message):
        f(np.zeros((3, 4)), [0, 7])


# ---------------------------------------------------------------------------
# Boolean masks
# ---------------------------------------------------------------------------

def test_mask_indexing(check_infer_shape):
    x = T.dmatrix("x")
    v = RNG.normal(size=(4, 5))
    pos = x[x > 0]
    rows = x[T.constant(np.array([True, False, True, True]))]
    cols = x[:, T.bvector("m") > 0]
    f = theano.function([x, cols.owner.inputs[1].owner.inputs[0]], [pos, rows, cols])
    mv = np.array([1, 0, 0, 1, 1], dtype="int8")
    out = f(v, mv)
    for o, e in zip(out, [v[v > 0], v[[True, False, True, True]], v[:, mv > 0]]):
        np.testing.assert_array_equal(o, e)
    check_infer_shape([pos, cols], [x, cols.owner.inputs[1].owner.inputs[0]], [v, mv])


def test_mask_of_the_wrong_shape_is_an_error():
    x = T.dvector("x")
    m = T.TensorType("bool", (False,))("m")
    f = theano.function([x, m], x[m])
    with pytest.raises(IndexError, match="AdvancedSubtensor.*boolean index did not match"):
        f(np.zeros(3), np.array([True, False]))


# ---------------------------------------------------------------------------
# Writing through an advanced index
# ---------------------------------------------------------------------------

def test_inc_with_repeated_rows_accumulates(check_infer_shape):
    x = T.dmatrix("x")
    y = T.dmatrix("y")
    i = T.lvector("i")
    z = T.inc_subtensor(x[i], y)
    assert isinstance(z.owner.op, AdvancedIncSubtensor1)
    v, yv, iv = RNG.normal(size=(3, 2)), RNG.normal(size=(4, 2)), np.array([0, 2, 0, 0])
    v_before = v.copy()
    out = theano.function([x, y, i], z)(v, yv, iv)
    expected = v.copy()
    np.add.at(expected, iv, yv)
    np.testing.assert_allclose(out, expected, rtol=1e-15)
    np.testing.assert_array_equal(v, v_before)
    check_infer_shape(z, [x, y, i], [v, yv, iv])


def test_set_with_repeated_rows_keeps_the_last_like_numpy():
    x = T.dvector("x")
    i = T.lvector("i")
    y = T.dvector("y")
    z = T.set_subtensor(x[i], y)
    out = theano.function([x, i, y], z)(np.zeros(3), [1, 1, 2], [5.0, 6.0, 7.0])
    expected = np.zeros(3)
    expected[[1, 1, 2]] = [5.0, 6.0, 7.0]
    np.testing.assert_array_equal(out, expected)


def test_inc_broadcasts_the_value_and_checks_bounds():
    x = T.fmatrix("x")
    i = T.lvector("i")
    z = T.inc_subtensor(x[i], 1.0)
    assert z.dtype == "float32"
    f = theano.function([x, i], z)
    np.testing.assert_array_equal(f(np.zeros((2, 2), "float32"), [1, 1]), [[0, 0], [2, 2]])
    with pytest.raises(IndexError, match=r"AdvancedIncSubtensor1\{no_inplace,inc\}: index 2"):
        f(np.zeros((2, 2), "float32"), [2])
    y = T.fmatrix("y")
    g = theano.function([x, i, y], T.set_subtensor(x[i], y))
    with pytest.raises(ValueError, match=r"AdvancedIncSubtensor1\{no_inplace,set\}.*\(1, 3\)"):
        g(np.zeros((2, 2), "float32"), [0], np.zeros((1, 3), "float32"))
    with pytest.raises(ValueError, match="declared broadcastable"):
        g(np.zeros((2, 2), "float32"), [0, 1], np.zeros((1, 2), "float32"))
    p, lab, v = T.dmatrix("p"), T.lvector("lab"), T.dvector("v")
    h = theano.function([p, lab, v], T.inc_subtensor(p[T.arange(2), lab], v))
    with pytest.raises(ValueError, match=r"AdvancedIncSubtensor\{no_inplace,inc\}.*\(1,\)"):
        h(np.zeros((2, 2)), [0, 1], [1.0])


@pytest.mark.parametrize("set_", [True, False])
def test_general_advanced_writes(set_, check_infer_shape):
    p = T.dmatrix("p")
    lab = T.lvector("lab")
    y = T.dvector("y")
    view = p[T.arange(p.shape[0]), lab]
    z = T.set_subtensor(view, y) if set_ else T.inc_subtensor(view, y)
    assert isinstance(z.owner.op, AdvancedIncSubtensor)
    pv, lv, yv = RNG.random((4, 3)), np.array([2, 0, 0, 1]), RNG.random(4)
    out = theano.function([p, lab, y], z)(pv, lv, yv)
    expected = pv.copy()
    if set_:
        expected[np.arange(4), lv] = yv
    else:
        np.add.at(expected, (np.arange(4), lv), yv)
    np.testing.assert_array_equal(out, expected)
    check_infer_shape(z, [p, lab, y], [pv, lv, yv])


def test_general_inc_with_slices_and_repeats():
    x = T.dtensor3("x")
    i = T.lvector("i")
    z = T.inc_subtensor(x[:, i, 1:], 1.0)
    iv = np.array([0, 4, 0])
    out = theano.function([x, i], z)(X3, iv)
    expected = X3.copy()
    np.add.at(expected, (slice(None), iv, slice(1, None)), 1.0)
    np.testing.assert_allclose(out, expected, rtol=1e-15)


def test_mask_writes_like_relu():
    x = T.dmatrix("x")
    z = T.set_subtensor(x[x < 0], 0)
    v = RNG.normal(size=(3, 4))
    np.testing.assert_array_equal(theano.function([x], z)(v), np.maximum(v, 0))


def test_advanced_write_through_new_axes():
    x = T.dvector("x")
    z = T.set_subtensor(x[None, [0, 2]], [[7.0, 8.0]])
    assert z.type == x.type
    np.testing.assert_array_equal(theano.function([x], z)(np.zeros(3)), [7, 0, 8])
    m = T.dmatrix("m")
    i = T.lvector("i")
    z = T.inc_subtensor(m[i, None, i], np.ones((2, 1)))
    assert z.type == m.type
    expected = np.zeros((3, 3))
    np.add.at(expected, ([0, 2], [0, 2]), 1.0)
    np.testing.assert_array_equal(theano.function([m, i], z)(np.zeros((3, 3)), [0, 2]), expected)


def test_advanced_write_errors():
    x = T.dmatrix("x")
    with pytest.raises(TypeError, match="indexed variable"):
        T.inc_subtensor(T.exp(x), 1.0)
    with pytest.raises(TypeError, match="losing precision"):
        T.inc_subtensor(T.imatrix()[[0]], T.dmatrix())
    with pytest.raises(TypeError, match="3-dimensional value"):
        T.inc_subtensor(x[[0, 1], 0], T.dtensor3())


def test_printing():
    x = T.dmatrix("x")
    assert str(x[[0]].owner.op) == "AdvancedSubtensor1"
    assert str(x[:, [0]].owner.op) == "AdvancedSubtensor"
    assert str(T.inc_subtensor(x[[0]], 1.0).owner.op) == "AdvancedIncSubtensor1{no_inplace,inc}"
    assert str(T.set_subtensor(x[:, [0]], 1.0).owner.op) == "AdvancedIncSubtensor{no_inplace,set}"
    assert AdvancedIncSubtensor1(inplace=True).destroy_map == {0: [0]}
    assert AdvancedIncSubtensor1().destroy_map == {}


@given(st.integers(1, 6), st.lists(st.integers(-6, 5), max_size=8), st.booleans())
def test_random_integer_indices(n, idx, set_):
    idx = [k for k in idx if -n <= k < n]
    x = T.dvector("x")
    i = T.lvector("i")
    y = T.dvector("y")
    write = T.set_subtensor(x[i], y) if set_ else T.inc_subtensor(x[i], y)
    f = theano.function([x, i, y], [x[i], write])
    v = np.arange(n, dtype="float64")
    yv = np.arange(len(idx), dtype="float64") + 10
    taken, written = f(v, idx, yv)
    np.testing.assert_array_equal(taken, v[idx])
    expected = v.copy()
    if set_:
        expected[idx] = yv
    else:
        np.add.at(expected, np.array(idx, dtype=int), yv)
    np.testing.assert_array_equal(written, expected)


# ---------------------------------------------------------------------------
# nonzero
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 0), (2, 3, 2)])
def test_nonzero_family(shape, check_infer_shape):
    a = T.TensorType("int8", (False,) * len(shape))("a")
    v = (RNG.random(shape) > 0.5).astype("int8")
    rows = T.nonzero(a)
    outs = theano.function([a], [*rows, T.nonzero(a, return_matrix=True), T.flatnonzero(a),
                                 T.nonzero_values(a)])(v)
    for o, e in zip(outs, np.nonzero(v)):
        np.testing.assert_array_equal(o, e)
    np.testing.assert_array_equal(outs[len(shape)], np.array(np.nonzero(v)).reshape(len(shape), -1))
    np.testing.assert_array_equal(outs[-2], np.flatnonzero(v))
    np.testing.assert_array_equal(outs[-1], v[v != 0])
    check_infer_shape(T.nonzero(a, return_matrix=True), [a], [v])
    with pytest.raises(TypeError, match="0-d"):
        T.nonzero(T.dscalar())
