"""MakeVector, concatenate / Join, stack, arange, tensordot (chapter 1)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitheano as theano
from minitheano import scalar
from minitheano import tensor as T

RNG = np.random.default_rng(7)


def data(shape, dtype="float64"):
    return RNG.normal(size=shape).astype(dtype)


# ---------------------------------------------------------------------------
# scalars into vectors
# ---------------------------------------------------------------------------

def test_make_vector_of_symbolic_scalars(check_infer_shape):
    a, b = T.lscalars("a", "b")
    v = T.stack([a, b, 3])
    assert isinstance(v.owner.op, T.MakeVector) and v.dtype == "int64"
    assert v.broadcastable == (False,)
    out = theano.function([a, b], v)(1, 2)
    np.testing.assert_array_equal(out, [1, 2, 3])
    assert out.dtype == np.int64
    check_infer_shape(v, [a, b], [1, 2])


def test_make_vector_dtypes_follow_numpy2():
    f = T.fscalar("f")
    assert T.stack([f, 0.5]).dtype == "float32"      # the Python float is weak
    assert T.stack([f, T.dscalar()]).dtype == "float64"
    i = T.iscalar("i")
    assert T.stack([i, 1]).dtype == "int32"
    assert T.stack([i, f]).dtype == "float64"
    assert T.stack([i]).broadcastable == (True,)
    with pytest.raises(TypeError, match="losing precision"):
        T.MakeVector("int32")(T.lscalar())
    with pytest.raises(TypeError, match="not a scalar"):
        T.MakeVector("int64")(T.lvector())


def test_as_tensor_variable_of_a_list_with_variables():
    n = T.lscalar("n")
    v = T.as_tensor_variable([n, 2])
    np.testing.assert_array_equal(theano.function([n], v)(5), [5, 2])


def test_tensor_from_scalar_and_back():
    s = scalar.ScalarType("float32")("s")
    t = T.tensor_from_scalar(s)
    assert t.type == T.fscalar
    back = T.scalar_from_tensor(t * 2)
    assert back.type == scalar.ScalarType("float32")
    out = theano.function([s], [t, back])(np.float32(1.5))
    assert out[0] == 1.5 and out[0].dtype == np.float32 and out[1] == 3.0
    # as_tensor_variable of a ScalarVariable goes through TensorFromScalar
    assert T.as_tensor_variable(s).owner.op == T.tensor_from_scalar


# ---------------------------------------------------------------------------
# concatenate / join
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [0, 1, 2, -1, -3])
def test_concatenate_matches_numpy(axis, check_infer_shape):
    a, b, c = T.dtensor3("a"), T.dtensor3("b"), T.dtensor3("c")
    y = T.concatenate([a, b, c], axis=axis)
    shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]]
    for s, n in zip(shapes, (1, 0, 5)):
        s[axis] = n
    vals = [data(s) for s in shapes]
    out = theano.function([a, b, c], y)(*vals)
    np.testing.assert_array_equal(out, np.concatenate(vals, axis=axis))
    check_infer_shape(y, [a, b, c], vals)


def test_concatenate_dtypes_and_non_contiguous_inputs():
    a, b = T.imatrix("a"), T.fmatrix("b")
    y = T.concatenate([a, b], axis=1)
    assert y.dtype == "float64"  # numpy: int32 with float32 is float64
    va = np.arange(12, dtype="int32").reshape(3, 4)[:, ::2]
    vb = data((2, 3), "float32").T
    out = theano.function([a, b], y)(va, vb)
    np.testing.assert_array_equal(out, np.concatenate([va, vb], axis=1))
    assert out.dtype == np.float64


def test_join_broadcastable_flags():
    r1, r2 = T.drow("r1"), T.drow("r2")
    assert T.concatenate([r1, r2], axis=0).broadcastable == (False, False)
    assert T.concatenate([r1, r2], axis=1).broadcastable == (True, False)
    assert T.concatenate([r1, T.dmatrix()], axis=1).broadcastable == (True, False)
    x = T.dmatrix()
    assert T.concatenate([x], axis=0) is x  # one piece: nothing to join


def test_join_symbolic_axis(check_infer_shape):
    a, b = T.dmatrices("a", "b")
    axis = T.lscalar("axis")
    y = T.join(axis, a, b)
    assert y.broadcastable == (False, False)
    f = theano.function([axis, a, b], y)
    va, vb = data((2, 3)), data((2, 3))
    for ax in (0, 1, -1, -2):
        np.testing.assert_array_equal(f(ax, va, vb), np.concatenate([va, vb], axis=ax))
        check_infer_shape(y, [axis, a, b], [ax, va, vb])
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        f(2, va, vb)


def test_join_errors():
    a, b = T.dmatrix("a"), T.dmatrix("b")
    f = theano.function([a, b], T.concatenate([a, b], axis=0))
    with pytest.raises(ValueError, match=r"Join.*axis 0.*\(2, 3\), \(2, 4\)"):
        f(data((2, 3)), data((2, 4)))
    with pytest.raises(TypeError, match="same number of dimensions"):
        T.concatenate([a, T.dvector()])
    with pytest.raises(ValueError, match="out of range"):
        T.concatenate([a, b], axis=2)
    with pytest.raises(TypeError, match="use stack"):
        T.concatenate([T.dscalar(), T.dscalar()])
    with pytest.raises(TypeError, match="integer scalar"):
        T.join(T.dscalar(), a, b)
    with pytest.raises(TypeError, match="list or tuple"):
        T.concatenate(a)


# ---------------------------------------------------------------------------
# stack
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_stack_matches_numpy(axis, check_infer_shape):
    a, b = T.fmatrices("a", "b")
    y = T.stack([a, b], axis=axis)
    va, vb = data((2, 3), "float32"), data((2, 3), "float32")
    out = theano.function([a, b], y)(va, vb)
    np.testing.assert_array_equal(out, np.stack([va, vb], axis=axis))
    assert out.dtype == np.float32
    check_infer_shape(y, [a, b], [va, vb])


def test_stack_theano_call_forms():
    a, b = T.dvectors("a", "b")
    va, vb = data(3), data(3)
    forms = [(T.stack(a, b), 0), (T.stack([a, b]), 0), (T.stack([a, b], 1), 1),
             (T.stack((a, b), axis=1), 1)]
    for y, axis in forms:
        out = theano.function([a, b], y)(va, vb)
        np.testing.assert_array_equal(out, np.stack([va, vb], axis=axis))
    with pytest.raises(ValueError, match="nothing to stack"):
        T.stack([])


def test_stack_of_scalars_along_last_axis():
    a = T.dscalar("a")
    y = T.stack([a, 2.0], axis=-1)
    np.testing.assert_array_equal(theano.function([a], y)(1.0), [1.0, 2.0])


# ---------------------------------------------------------------------------
# arange
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("args", [(5,), (0,), (2, 9), (9, 2), (9, 2, -2), (-3, 4, 3),
                                  (10, -10, -7), (0, 1, 5)])
def test_arange_integers(args, check_infer_shape):
    syms = [T.lscalar() for _ in args]
    y = T.arange(*syms)
    assert y.dtype == "int64"
    out = theano.function(syms, y)(*args)
    np.testing.assert_array_equal(out, np.arange(*args))
    assert out.dtype == np.int64
    check_infer_shape(y, syms, list(args))


@given(st.integers(-20, 20), st.integers(-20, 20), st.integers(-6, 6).filter(bool))
def test_arange_length_is_inferred_exactly(start, stop, step):
    syms = T.lscalars("a", "b", "c")
    y = T.arange(*syms)
    length = y.owner.op.infer_shape(None, y.owner, [(), (), ()])[0][0]
    n = theano.function(syms, length)(start, stop, step)
    assert n == len(np.arange(start, stop, step))


@pytest.mark.parametrize("args", [(0.5, 3.0), (0.0, 1.0, 0.3), (2.5, -1.0, -0.5)])
def test_arange_floats(args, check_infer_shape):
    syms = [T.dscalar() for _ in args]
    y = T.arange(*syms)
    assert y.dtype == "float64"
    out = theano.function(syms, y)(*args)
    np.testing.assert_allclose(out, np.arange(*args))
    check_infer_shape(y, syms, list(args))


def test_arange_dtypes():
    assert T.arange(5).dtype == "int64"
    assert T.arange(T.iscalar()).dtype == "int64"        # as numpy: no int32 arange
    assert T.arange(T.bscalar(), 10).dtype == "int64"
    assert T.arange(T.fscalar()).dtype == "float32"
    assert T.arange(T.iscalar(), 2.5).dtype == "float64"
    assert T.arange(0, 1, dtype="int32").dtype == "int32"
    with theano.config.change_flags(floatX="float32"):
        assert T.arange(0.5, 3).dtype == "float32"
    np.testing.assert_array_equal(T.arange(3, dtype="float32").eval(), [0, 1, 2])


def test_arange_zero_step_is_an_error():
    n = T.lscalar("n")
    f = theano.function([n], T.arange(0, 5, n))
    with pytest.raises(ValueError, match="step must not be 0"):
        f(0)


# ---------------------------------------------------------------------------
# tensordot and dot of more than two dimensions
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("sa, sb, axes", [
    ((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2, 3), (4, 5), 0),
    ((2, 3, 4), (4, 3, 2), [[1, 2], [1, 0]]), ((3, 4), (4, 3), [[0, 1], [1, 0]]),
    ((2, 3, 4), (4,), [[2], [0]]), ((5,), (5,), 1), ((2, 0, 3), (3, 4), [[-1], [0]]),
    ((2, 3, 4), (2, 3, 4), 3),
])
def test_tensordot_matches_numpy(sa, sb, axes):
    a = T.TensorType("float64", (False,) * len(sa))("a")
    b = T.TensorType("float64", (False,) * len(sb))("b")
    y = T.tensordot(a, b, axes)
    va, vb = data(sa), data(sb)
    out = theano.function([a, b], y)(va, vb)
    np.testing.assert_allclose(out, np.tensordot(va, vb, axes), rtol=1e-12, atol=1e-12)


def test_tensordot_broadcastable_and_non_contiguous():
    a = T.TensorType("float64", (True, False, False))("a")
    b = T.dmatrix("b")
    y = T.tensordot(a, b, [[2], [0]])
    assert y.broadcastable == (True, False, False)
    va, vb = data((1, 3, 8))[:, :, ::2], data((3, 4)).T
    out = theano.function([a, b], y)(va, vb)
    np.testing.assert_allclose(out, np.tensordot(va, vb, [[2], [0]]), rtol=1e-12)


def test_tensordot_errors():
    a, b = T.dtensor3("a"), T.dtensor3("b")
    with pytest.raises(ValueError, match="same length"):
        T.tensordot(a, b, [[0, 1], [0]])
    with pytest.raises(ValueError, match="out of range"):
        T.tensordot(a, b, [[3], [0]])
    with pytest.raises(ValueError, match="axes=4"):
        T.tensordot(a, b, 4)
    # (2, 3) summed against (3, 2): the product of the lengths agrees, the lengths do not
    f = theano.function([a, b], T.tensordot(a, b, [[1, 2], [0, 1]]))
    with pytest.raises(ValueError, match="SpecifyShape"):
        f(data((4, 2, 3)), data((3, 2, 5)))


@pytest.mark.parametrize("sa, sb", [((2, 3, 4), (4, 5)), ((2, 3, 4), (3, 4, 5)), ((4,), (2, 4, 3)),
                                    ((2, 3, 4), (4,)), ((2, 1, 3), (5, 3, 2))])
def test_dot_of_more_than_two_dimensions_is_numpy_dot(sa, sb):
    a = T.TensorType("float64", (False,) * len(sa))("a")
    b = T.TensorType("float64", (False,) * len(sb))("b")
    va, vb = data(sa), data(sb)
    out = theano.function([a, b], T.dot(a, b))(va, vb)
    np.testing.assert_allclose(out, np.dot(va, vb), rtol=1e-12)
