"""Gradients of the ops that move elements around -- dot, dimshuffle, reshape,
indexing, joining, alloc -- against finite differences, with random shapes."""

import numpy as np
import pytest
from gradcheck import check, point, random_shape, rng_for

import minitheano as theano
from minitheano import tensor as T

DOT_SHAPES = {  # every combination of dimensions numpy.dot accepts
    "scalar.matrix": lambda k, m, n: ((), (m, n)),
    "vector.vector": lambda k, m, n: ((m,), (m,)),
    "vector.matrix": lambda k, m, n: ((m,), (m, n)),
    "matrix.vector": lambda k, m, n: ((k, m), (m,)),
    "matrix.matrix": lambda k, m, n: ((k, m), (m, n)),
    "row.matrix": lambda k, m, n: ((1, m), (m, n)),
    "matrix.col": lambda k, m, n: ((k, m), (m, 1)),
    "tensor3.matrix": lambda k, m, n: ((2, k, m), (m, n)),
    "matrix.tensor3": lambda k, m, n: ((k, m), (2, m, n)),
}


@pytest.mark.parametrize("case", sorted(DOT_SHAPES))
def test_dot(case):
    rng = rng_for(case)
    sa, sb = DOT_SHAPES[case](*random_shape(rng, 3))
    check(T.dot, point(rng, sa), point(rng, sb), rng=rng)


def test_outer_and_tensordot():
    rng = rng_for("outer")
    check(T.outer, point(rng, (3,)), point(rng, (4,)), rng=rng)
    check(lambda a, b: T.tensordot(a, b, axes=[[1, 2], [0, 1]]),
          point(rng, (2, 3, 4)), point(rng, (3, 4, 2)), rng=rng)


@pytest.mark.parametrize("pattern", [(1, 0), ("x", 0, 1), (1, "x", 0), (0, "x", "x", 1)])
def test_dimshuffle(pattern):
    rng = rng_for(str(pattern))
    def fun(x):
        y = x.dimshuffle(*pattern)
        return y * y  # something whose gradient depends on where elements went

    check(fun, point(rng, random_shape(rng, 2)), rng=rng)


def test_dimshuffle_dropping_a_broadcastable_dimension():
    rng = rng_for("drop")
    check(lambda x: T.exp(x.dimshuffle(1)), point(rng, (1, 4)), rng=rng)


def test_transpose_reshape_flatten():
    rng = rng_for("reshape")
    check(lambda x: T.sin(x.T), point(rng, (3, 4)), rng=rng)
    check(lambda x: T.sin(x.reshape((4, 3))), point(rng, (3, 4)), rng=rng)
    check(lambda x: T.sin(x.reshape((2, -1, 3))), point(rng, (3, 4)), rng=rng)
    check(lambda x: T.sin(x.flatten()), point(rng, (2, 3, 2)), rng=rng)
    check(lambda x: T.sin(T.flatten(x, 2)), point(rng, (2, 3, 2)), rng=rng)


def test_rebroadcast_and_alloc():
    rng = rng_for("alloc")
    check(lambda x: T.addbroadcast(x, 0) * 2, point(rng, (1, 3)), rng=rng)
    check(lambda x: T.alloc(x, 2, 3, 4) ** 2, point(rng, (3, 1)), rng=rng)
    check(lambda x: T.alloc(x, 4, 3) ** 2, point(rng, (3,)), rng=rng)
    check(lambda x: T.alloc(x, 2, 3) ** 2, point(rng, ()), rng=rng)


INDEXES = {
    "int": lambda x: x[1],
    "negative": lambda x: x[-1, 1:],
    "slices": lambda x: x[1:, ::2],
    "reversed": lambda x: x[::-1, ::-2],
    "symbolic": lambda x: x[T.constant(1, dtype="int64"):],
    "int_array": lambda x: x[[0, 2, 0]],
    "int_array_2d": lambda x: x[[0, 2, 0], [1, 1, 3]],
    "int_array_slice": lambda x: x[1:, [3, 0, 3]],
    "mask": lambda x: x[np.array([True, False, True])],
}


@pytest.mark.parametrize("case", sorted(INDEXES))
def test_indexing(case):
    rng = rng_for(case)
    check(lambda x: INDEXES[case](x) ** 2, point(rng, (3, 4)), rng=rng)


def test_the_gradient_of_picking_one_per_row_is_an_inc_subtensor():
    # The crossentropy pattern: p[arange(n), y].
    p = T.dmatrix("p")
    y = T.lvector("y")
    n = p.shape[0]
    cost = -T.sum(T.log(p[T.arange(n), y]))
    g = T.grad(cost, p)
    ops = {type(node.op).__name__ for node in theano.graph.basic.toposort([g])}
    assert any("IncSubtensor" in name for name in ops), ops
    pv = np.random.default_rng(0).uniform(0.1, 1, size=(4, 3))
    yv = np.array([2, 0, 0, 1])
    expected = np.zeros((4, 3))
    expected[np.arange(4), yv] = -1 / pv[np.arange(4), yv]
    np.testing.assert_allclose(theano.function([p, y], g)(pv, yv), expected)
    check(lambda q: -T.sum(T.log(q[T.arange(q.shape[0]), yv])), pv)


@pytest.mark.parametrize("kind", ["set", "inc"])
@pytest.mark.parametrize("case", ["slices", "int_array", "int"])
def test_set_and_inc_subtensor(kind, case):
    rng = rng_for(kind + case)
    write = T.set_subtensor if kind == "set" else T.inc_subtensor
    index = {"slices": lambda x: x[1:, ::2], "int_array": lambda x: x[[0, 2, 0]],
             "int": lambda x: x[1]}[case]
    x = point(rng, (3, 4))
    shape = np.asarray(index(x) if case != "int_array" else x[[0, 2, 0]]).shape
    if kind == "set" and case == "int_array":
        shape, index = (2, 4), (lambda x: x[[0, 2]])  # repeated rows make 'set' ambiguous
    check(lambda a, b: write(index(a), b) ** 2, x, point(rng, shape), rng=rng)


def test_inc_subtensor_with_a_broadcast_value():
    rng = rng_for("incb")
    check(lambda a, b: T.inc_subtensor(a[1:], b) ** 2, point(rng, (3, 4)), point(rng, (1, 4)),
          rng=rng)
    check(lambda a, b: T.set_subtensor(a[:, 1], b) ** 2, point(rng, (3, 4)), point(rng, ()),
          rng=rng)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concatenate_and_stack(axis):
    rng = rng_for(f"join{axis}")
    a, b, c = (point(rng, (2, 3)) for _ in range(3))
    check(lambda x, y, z: T.concatenate([x, y ** 2, z], axis=axis) ** 2, a, b, c, rng=rng)
    check(lambda x, y, z: T.stack([x, y, z], axis=axis) ** 2, a, b, c, rng=rng)
    check(lambda x, y: T.stack(x, y) ** 2, a, b, rng=rng)
    d = point(rng, (2, 5)) if axis != 0 else point(rng, (4, 3))
    check(lambda x, y: T.concatenate([x, y], axis=axis) ** 2, a, d, rng=rng)


def test_cast_between_floats():
    rng = rng_for("cast")
    check(lambda x: T.cast(x, "float32") * 2, point(rng, (3,)), rng=rng)
    check(lambda x: T.cast(x, "float64") ** 2, point(rng, (3,), dtype="float32"), rng=rng)
