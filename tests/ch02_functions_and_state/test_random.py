"""Random streams: reproducible, advancing at each call, reseedable (chapter 2).

Expected numbers are derived from numpy directly, using the seeding scheme of
Theano's RandomStreams: the k-th draw built gets a generator seeded with the
k-th `randint(2**30)` of `RandomState(seed)`.
"""

import numpy as np
import pytest

import minitheano as theano
from minitheano import function
from minitheano import tensor as T
from minitheano.config import config
from minitheano.tensor import random as raw_random
from minitheano.tensor.shared_randomstreams import RandomStreams


def generators(seed, n):
    """The generators RandomStreams(seed) gives its first n draws."""
    seedgen = np.random.RandomState(seed)
    return [np.random.RandomState(int(seedgen.randint(2 ** 30))) for _ in range(n)]


def test_tutorial_using_random_numbers():
    # Theano's tutorial, "Using Random Numbers", step by step.
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = function([], rv_u)
    g = function([], rv_n, no_default_updates=True)  # not updating rv_n.rng
    nearly_zeros = function([], rv_u + rv_u - 2 * rv_u)

    gen_u, gen_n = generators(234, 2)
    f_val0, f_val1 = f(), f()
    np.testing.assert_array_equal(f_val0, gen_u.uniform(0, 1, (2, 2)))
    np.testing.assert_array_equal(f_val1, gen_u.uniform(0, 1, (2, 2)))
    assert not np.allclose(f_val0, f_val1)
    g_val0, g_val1 = g(), g()
    np.testing.assert_array_equal(g_val0, gen_n.normal(0, 1, (2, 2)))
    np.testing.assert_array_equal(g_val0, g_val1)
    # One draw per call, however often the graph mentions it.
    np.testing.assert_allclose(nearly_zeros(), np.zeros((2, 2)), atol=1e-15)

    # Seeding one stream through its shared generator.
    rng_val = rv_u.rng.get_value(borrow=True)
    rng_val.seed(89234)
    rv_u.rng.set_value(rng_val, borrow=True)
    np.testing.assert_array_equal(f(), np.random.RandomState(89234).uniform(0, 1, (2, 2)))

    # Seeding every stream.
    srng.seed(902340)
    gen_u, gen_n = generators(902340, 2)
    np.testing.assert_array_equal(f(), gen_u.uniform(0, 1, (2, 2)))
    np.testing.assert_array_equal(g(), gen_n.normal(0, 1, (2, 2)))

    # Sharing streams between functions; saving and restoring a state.
    state_after_v0 = rv_u.rng.get_value().get_state()
    nearly_zeros()  # this advances rv_u's generator
    v1 = f()
    rng = rv_u.rng.get_value(borrow=True)
    rng.set_state(state_after_v0)
    rv_u.rng.set_value(rng, borrow=True)
    v2 = f()  # v2 != v1
    v3 = f()  # v3 == v1
    assert not np.allclose(v1, v2)
    np.testing.assert_array_equal(v1, v3)


def test_tutorial_copying_random_state_between_graphs():
    class Graph:
        def __init__(self, seed=123):
            self.rng = RandomStreams(seed)
            self.y = self.rng.uniform(size=(1,))

    g1, g2 = Graph(seed=123), Graph(seed=987)
    f1, f2 = theano.function([], g1.y), theano.function([], g2.y)
    assert f1() != f2()
    for su1, su2 in zip(g1.rng.state_updates, g2.rng.state_updates):
        su2[0].set_value(su1[0].get_value())
    np.testing.assert_array_equal(f1(), f2())
    assert g1.y.broadcastable == (True,)


def test_same_seed_same_numbers_different_seed_different_numbers():
    def draws(seed):
        srng = RandomStreams(seed)
        f = function([], [srng.uniform((3,)), srng.normal((2,)), srng.binomial((4,), p=0.5)])
        return [f() for _ in range(3)]

    a, b, c = draws(5), draws(5), draws(6)
    for x, y in zip(a, b):
        for u, v in zip(x, y):
            np.testing.assert_array_equal(u, v)
    assert not np.allclose(a[0][0], c[0][0])


def test_no_default_updates_as_a_list():
    srng = RandomStreams(1)
    u, n = srng.uniform((3,)), srng.normal((3,))
    f = function([], [u, n], no_default_updates=[u.rng])
    (u0, n0), (u1, n1) = f(), f()
    np.testing.assert_array_equal(u0, u1)
    assert not np.allclose(n0, n1)


def test_two_functions_advance_one_shared_generator():
    srng = RandomStreams(3)
    u = srng.uniform((2,))
    f1, f2 = function([], u), function([], u * 2)
    (gen,) = generators(3, 1)
    np.testing.assert_array_equal(f1(), gen.uniform(0, 1, 2))
    np.testing.assert_array_equal(f2(), 2 * gen.uniform(0, 1, 2))
    np.testing.assert_array_equal(f1(), gen.uniform(0, 1, 2))


def test_seed_resets_to_what_a_fresh_stream_gives():
    srng = RandomStreams(11)
    u = srng.uniform((2,))
    f = function([], u)
    first = f()
    f(), f()
    srng.seed(11)
    np.testing.assert_array_equal(f(), first)
    srng.seed()  # None: the constructor's seed
    np.testing.assert_array_equal(f(), first)


def test_explicit_updates():
    srng = RandomStreams(2)
    u = srng.uniform((2,))
    assert srng.updates() == [u.update] and u.update[0] is u.rng
    f = function([], u, updates=srng.updates(), no_default_updates=True)
    assert not np.allclose(f(), f())
    assert srng[u.rng] is u.rng.get_value(borrow=True)


def test_symbolic_size_and_parameter_broadcasting():
    srng = RandomStreams(4)
    x = T.dmatrix("x")
    avg = T.dvector("avg")
    f = function([x, avg], [srng.uniform(size=x.shape), srng.normal(size=(3, 2), avg=avg),
                            srng.normal(avg=avg, std=1e-9)])
    u, n, m = f(np.zeros((4, 5)), np.array([0.0, 100.0]))
    assert u.shape == (4, 5)
    assert n.shape == (3, 2) and np.all(n[:, 1] > 90) and np.all(n[:, 0] < 10)
    np.testing.assert_allclose(m, [0.0, 100.0], atol=1e-6)


def test_dtypes():
    srng = RandomStreams(0)
    assert srng.uniform((2,)).dtype == config.floatX
    assert srng.uniform((2,), dtype="float32").dtype == "float32"
    assert srng.binomial((2,)).dtype == "int64"
    assert srng.random_integers((2,), 0, 5).dtype == "int64"
    assert srng.permutation(n=4).dtype == "int64"
    assert srng.choice((2,), a=np.array([0.5, 1.5])).dtype == "float64"
    with config.change_flags(floatX="float32"):
        srng = RandomStreams(0)
        u = srng.uniform((2,), low=-1, high=1)
        assert u.dtype == "float32"
        assert function([], u)().dtype == np.float32


def test_distributions_have_the_right_moments():
    srng = RandomStreams(2024)
    n = 40000
    draws = {
        "uniform": (srng.uniform((n,), low=2.0, high=5.0), 3.5, 0.75),
        "normal": (srng.normal((n,), avg=1.0, std=2.0), 1.0, 4.0),
        "binomial": (srng.binomial((n,), n=10, p=0.3), 3.0, 2.1),
        "poisson": (srng.poisson((n,), lam=4.0), 4.0, 4.0),
        "random_integers": (srng.random_integers((n,), low=-2, high=2), 0.0, 2.0),
        "choice": (srng.choice((n,), a=3, p=[0.2, 0.3, 0.5]), 1.3, 0.61),
    }
    values = function([], [d for d, _, _ in draws.values()])()
    for (name, (_, mean, var)), v in zip(draws.items(), values):
        assert abs(v.mean() - mean) < 5 * np.sqrt(var / n), name
        assert abs(v.var() - var) < 0.05 * var, name
    ints = values[4]
    assert ints.min() == -2 and ints.max() == 2  # both ends included


def test_permutation_and_choice_without_replacement():
    srng = RandomStreams(8)
    p1, p2 = srng.permutation(n=6), srng.permutation(size=(3, 2), n=5)
    c = srng.choice(size=(4,), a=np.arange(10, 20), replace=False)
    v1, v2, vc = function([], [p1, p2, c])()
    np.testing.assert_array_equal(np.sort(v1), np.arange(6))
    assert v2.shape == (3, 2, 5)
    for row in v2.reshape(-1, 5):
        np.testing.assert_array_equal(np.sort(row), np.arange(5))
    assert len(set(vc)) == 4 and all(10 <= v < 20 for v in vc)


# -- the op itself ------------------------------------------------------------------

def rng_var(seed=0):
    return theano.shared(np.random.RandomState(seed))


def test_the_op_is_a_pure_function_of_its_inputs():
    r = rng_var()
    new_r, u = raw_random.uniform(r, (3,))
    f = function([], [new_r, u], no_default_updates=True)
    before = r.get_value(borrow=True).get_state()[1].copy()
    (r1, u1), (r2, u2) = f(), f()
    np.testing.assert_array_equal(r.get_value(borrow=True).get_state()[1], before)
    np.testing.assert_array_equal(u1, u2)
    assert r.type.values_eq(r1, r2) and not r.type.values_eq(r1, r.get_value())
    # The returned generator continues where the draw stopped.
    gen = np.random.RandomState(0)
    gen.uniform(size=3)
    assert r.type.values_eq(r1, gen)


def test_inplace_flag_draws_from_the_input_generator():
    op = raw_random.RandomFunction(raw_random._uniform, T.dvector.clone(), inplace=True)
    assert op.destroy_map == {0: [0]} and "inplace" in str(op)
    state = np.random.RandomState(5)
    node = op.make_node(rng_var(), T.constant(np.array([2])), 0.0, 1.0)
    out = [[None], [None]]
    op.perform(node, [state, np.array([2]), np.array(0.0), np.array(1.0)], out)
    assert out[0][0] is state
    assert T.dvector.clone() == node.outputs[1].type


def test_random_state_type():
    rt = raw_random.random_state_type
    assert str(rng_var().type) == "RandomStateType" and rng_var().type == rt
    with pytest.raises(TypeError, match="expected a numpy.random.RandomState, got ndarray"):
        rt.filter(np.zeros(2))
    with pytest.raises(TypeError, match="RandomState"):
        rng_var().set_value(3)


def test_bad_arguments():
    r = rng_var()
    with pytest.raises(ValueError, match="has 1 dimensions, more than the 0 of size"):
        raw_random.uniform(r, (), low=T.dvector())
    with pytest.raises(TypeError, match=r"size must be an integer vector.*float64, vector"):
        raw_random.normal(r, T.dvector())
    with pytest.raises(TypeError, match="cannot tell how many dimensions.*ndim="):
        raw_random.normal(r, T.lvector())
    with pytest.raises(TypeError, match="first input must be a RandomStateType"):
        raw_random.uniform(T.dvector(), (2,))
    with pytest.raises(TypeError, match="permutation: n must be an integer scalar"):
        raw_random.permutation(r, None, 2.5)
    # Parameters that do not fit the size fail at call time, naming the op.
    avg = T.dvector("avg")
    f = function([avg], raw_random.normal(r, (2,), avg=avg)[1])
    with pytest.raises(ValueError, match=r"RandomFunction\{normal\}"):
        f(np.zeros(3))


def test_symbolic_size_with_ndim():
    r = rng_var()
    size = T.lvector("size")
    new_r, u = raw_random.uniform(r, size, ndim=2)
    assert u.ndim == 2
    assert function([size], u)([3, 1]).shape == (3, 1)


def test_infer_shape_for_constant_and_parameter_shapes():
    r = rng_var()
    avg = T.dmatrix("avg")
    for draw, expected in [(raw_random.uniform(r, (4, 3))[1], (4, 3)),
                           (raw_random.normal(r, None, avg=avg)[1], (2, 5)),
                           (raw_random.permutation(r, (3,), n=4)[1], (3, 4))]:
        node = draw.owner
        shapes = [None, (len(node.inputs[1].data),)]
        shapes += [tuple(T.shape_i(p, d) for d in range(p.ndim)) for p in node.inputs[2:]]
        inferred = node.op.infer_shape(None, node, shapes)
        assert inferred[0] is None
        f = function([avg], [T.as_tensor_variable(s) for s in inferred[1]],
                     on_unused_input="ignore")
        assert tuple(int(v) for v in f(np.zeros((2, 5)))) == expected
        assert function([avg], draw, on_unused_input="ignore")(np.zeros((2, 5))).shape \
            == expected


def test_size_built_from_symbolic_lengths():
    srng = RandomStreams(9)
    x = T.dmatrix("x")
    u = srng.uniform(size=(x.shape[0], 3))
    n = srng.normal(size=x.shape[::-1])
    assert u.ndim == 2 and n.ndim == 2
    uv, nv = function([x], [u, n])(np.zeros((4, 2)))
    assert uv.shape == (4, 3) and nv.shape == (2, 4)
    with pytest.raises(TypeError, match="size must hold integer scalars"):
        srng.uniform(size=(x.shape[0], T.dscalar()))


def test_infer_shape_for_a_symbolic_size():
    r = rng_var()
    x = T.dmatrix("x")
    draw = raw_random.uniform(r, x.shape)[1]
    node = draw.owner
    shapes = [None, (2,), (), ()]
    inferred = node.op.infer_shape(None, node, shapes)[1]
    f = function([x], list(inferred))
    assert tuple(int(v) for v in f(np.zeros((3, 5)))) == (3, 5)
