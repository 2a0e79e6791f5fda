"""Theano 1.0 code runs unchanged: the names and behaviours that scripts of the time
relied on (issue 11's list), each checked against numpy or finite differences."""

import copy
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minitheano as theano
import minitheano.tensor as T
from minitheano import In
from minitheano.gradient import verify_grad

ROOT = Path(__file__).resolve().parents[2]
RNG = np.random.default_rng(11)


def shape_of(out, inputs, values):
    """The shape infer_shape predicts for `out` (through the graph's own shape)."""
    return tuple(theano.function(inputs, out.shape, mode="FAST_RUN",
                                 on_unused_input="ignore")(*values))


# -- batched_dot ---------------------------------------------------------------------

BATCHED_CASES = [((4, 2, 3), (4, 3, 5)), ((4, 3), (4, 3, 5)), ((4, 2, 3), (4, 3)),
                 ((4, 3), (4, 3)), ((1, 2, 3), (1, 3, 1)), ((0, 2, 3), (0, 3, 4))]


def batched_reference(a, b):
    subscripts = {(3, 3): "bij,bjk->bik", (2, 3): "bj,bjk->bk", (3, 2): "bij,bj->bi",
                  (2, 2): "bj,bj->b"}[a.ndim, b.ndim]
    return np.einsum(subscripts, a, b)


@pytest.mark.parametrize("xs, ys", BATCHED_CASES)
def test_batched_dot_matches_einsum_with_its_inferred_shape(xs, ys):
    x, y = T.tensor("float64", (False,) * len(xs)), T.tensor("float64", (False,) * len(ys))
    a, b = RNG.normal(size=xs), RNG.normal(size=ys)
    out = T.batched_dot(x, y)
    assert isinstance(out.owner.op, T.batched_dot.__globals__["BatchedDot"])
    got = theano.function([x, y], out)(a, b)
    np.testing.assert_allclose(got, batched_reference(a, b), rtol=1e-12, atol=1e-12)
    assert shape_of(out, [x, y], [a, b]) == got.shape


@pytest.mark.ch04  # needs chapter 4 (T.grad)
@pytest.mark.parametrize("xs, ys", BATCHED_CASES[:5])
def test_batched_dot_gradient_matches_finite_differences(xs, ys):
    verify_grad(T.batched_dot, [RNG.normal(size=xs), RNG.normal(size=ys)], rng=RNG)


def test_batched_dot_r_op_matches_the_jacobian_product():
    x, y, ex, ey = T.dtensor3(), T.dtensor3(), T.dtensor3(), T.dtensor3()
    a, b, da, db = (RNG.normal(size=s) for s in [(3, 2, 4), (3, 4, 5), (3, 2, 4), (3, 4, 5)])
    tangent = theano.gradient.Rop(T.batched_dot(x, y), [x, y], [ex, ey])
    got = theano.function([x, y, ex, ey], tangent)(a, b, da, db)
    np.testing.assert_allclose(got, batched_reference(da, b) + batched_reference(a, db),
                               rtol=1e-12)


@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(1, 3),
       st.sampled_from([(2, 2), (2, 3), (3, 2), (3, 3)]), st.data())
def test_batched_dot_on_generated_shapes_matches_einsum(batch, n, m, k, ndims, data):
    xs = (batch, n, m) if ndims[0] == 3 else (batch, m)
    ys = (batch, m, k) if ndims[1] == 3 else (batch, m)
    floats = st.floats(-100, 100)
    a = data.draw(hnp.arrays(np.float64, xs, elements=floats))
    b = data.draw(hnp.arrays(np.float64, ys, elements=floats))
    x, y = T.tensor("float64", (False,) * len(xs)), T.tensor("float64", (False,) * len(ys))
    got = theano.function([x, y], T.batched_dot(x, y), mode="FAST_COMPILE")(a, b)
    np.testing.assert_allclose(got, batched_reference(a, b), rtol=1e-10, atol=1e-9)


def test_batched_dot_of_vectors_and_of_more_dimensions_as_theano():
    v, m, t4 = T.dvector(), T.dmatrix(), T.dtensor4()
    a, b = RNG.normal(size=3), RNG.normal(size=(3, 4))
    np.testing.assert_allclose(theano.function([v, m], T.batched_dot(v, m))(a, b),
                               a[:, None] * b)
    c, d = RNG.normal(size=(2, 3, 4, 5)), RNG.normal(size=(2, 3, 5, 6))
    # Theano 1.0: the last axis of x with axis max(1, y.ndim - 2) of y.
    expected = np.stack([np.tensordot(c[i], d[i], axes=[[2], [1]]) for i in range(2)])
    x2 = T.dtensor4()
    got = theano.function([t4, x2], T.batched_dot(t4, x2))(c, d)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_batched_dot_says_which_shapes_do_not_fit():
    x, y = T.dtensor3(), T.dtensor3()
    f = theano.function([x, y], T.batched_dot(x, y))
    with pytest.raises(ValueError, match="batched_dot: shapes"):
        f(np.ones((2, 3, 4)), np.ones((2, 5, 6)))
    with pytest.raises(TypeError, match="batch axis"):
        T.batched_dot(T.dscalar(), y)


# -- bool(var) -------------------------------------------------------------------------

def test_every_variable_is_true_but_a_comparison_raises():
    W = theano.shared(np.zeros(3), name="W")
    x = T.dvector("x")
    assert bool(W) and bool(x) and bool(x + 1) and bool(T.constant(0.0))
    assert (W if W else None) is W          # `if not W:` patterns work
    for comparison in (x < 1, x <= 1, x > 1, x >= 1, T.eq(x, 1), T.neq(x, 1)):
        with pytest.raises(TypeError, match="truth value of the comparison"):
            bool(comparison)
    with pytest.raises(TypeError, match="a < b < c"):
        0 < x < 1  # noqa: B015  (Python's chained comparison asks bool(0 < x))


# -- softmax of a vector ----------------------------------------------------------------

def test_softmax_of_a_vector_is_a_one_row_matrix_as_in_theano():
    v = T.dvector("v")
    s = T.nnet.softmax(v)
    assert s.ndim == 2 and s.broadcastable == (True, False)
    a = RNG.normal(size=5)
    e = np.exp(a - a.max())
    got = theano.function([v], [s, s[:, 0], T.nnet.logsoftmax(v)])(a)
    np.testing.assert_allclose(got[0], (e / e.sum())[None, :], rtol=1e-12)
    np.testing.assert_allclose(got[1], [e[0] / e.sum()], rtol=1e-12)
    np.testing.assert_allclose(got[2], np.log(e / e.sum())[None, :], rtol=1e-12)


# -- names ------------------------------------------------------------------------------

@pytest.mark.ch04  # needs chapter 4 (T.grad)
def test_theano_dot_tag_debugmode_and_module_paths():
    from minitheano.compile.debugmode import DebugMode, DebugModeError
    from minitheano.tensor.xlogx import xlogx, xlogy0

    assert theano.dot is T.dot
    x = T.dvector("x")
    x.tag.test_value = np.ones(2)
    assert x.tag.test_value.tolist() == [1.0, 1.0]
    assert x.clone().tag.test_value is x.tag.test_value  # a clone copies the notes
    assert not hasattr(T.dvector().tag, "test_value")
    f = theano.function([x], x * 2, mode=DebugMode())
    np.testing.assert_array_equal(f([1.0, 2.0]), [2.0, 4.0])
    assert issubclass(DebugModeError, AssertionError)
    a = np.array([0.0, 0.5, 1.0, 2.0])
    y = T.dvector("y")
    g = theano.function([x, y], [xlogx(x), xlogy0(x, y)])
    with np.errstate(divide="ignore"):
        got = g(a, np.array([5.0, 0.25, 3.0, 0.0]))
    np.testing.assert_allclose(got[0], [0.0, 0.5 * np.log(0.5), 0.0, 2 * np.log(2.0)])
    np.testing.assert_allclose(got[1], [0.0, 0.5 * np.log(0.25), np.log(3.0), -np.inf])
    verify_grad(xlogx, [np.array([0.3, 1.2, 2.5])], rng=RNG)
    verify_grad(xlogy0, [np.array([0.3, 1.2]), np.array([0.7, 2.0])], rng=RNG)


@pytest.mark.parametrize("shape, reps", [((3,), (2,)), ((2, 3), (2, 2)), ((2, 3), (3,)),
                                         ((3,), (2, 1, 2)), ((2, 1, 3), (1, 2, 1))])
@pytest.mark.ch04  # needs chapter 4 (T.grad)
def test_tile_matches_numpy_with_its_gradient(shape, reps):
    x = T.tensor("float64", (False,) * len(shape))
    a = RNG.normal(size=shape)
    out = T.tile(x, reps)
    got = theano.function([x], out)(a)
    np.testing.assert_array_equal(got, np.tile(a, reps))
    assert shape_of(out, [x], [a]) == got.shape
    verify_grad(lambda v: T.tile(v, reps), [a], rng=RNG)


def test_tile_with_symbolic_repetitions():
    x, n = T.dmatrix(), T.lscalar()
    a = RNG.normal(size=(2, 3))
    f = theano.function([x, n], T.tile(x, (n, 2)))
    np.testing.assert_array_equal(f(a, 3), np.tile(a, (3, 2)))
    with pytest.raises(TypeError, match="integer scalar"):
        T.tile(x, (1.5, 2))


def test_to_one_hot_matches_numpy_eye():
    y = T.lvector("y")
    labels = np.array([2, 0, 3, 3])
    got = theano.function([y], T.extra_ops.to_one_hot(y, 4))(labels)
    np.testing.assert_array_equal(got, np.eye(4)[labels])
    assert got.dtype == theano.config.floatX
    assert T.extra_ops.to_one_hot(y, 4, dtype="int32").dtype == "int32"
    with pytest.raises(TypeError, match="class numbers"):
        T.extra_ops.to_one_hot(T.dvector(), 4)


# -- updates as any iterable of pairs ---------------------------------------------------

@pytest.mark.parametrize("as_iterable", [lambda d: d.items(), lambda d: iter(d.items()),
                                         lambda d: (pair for pair in d.items())])
def test_updates_may_be_any_iterable_of_pairs(as_iterable):
    W = theano.shared(1.0, name="W")
    b = theano.shared(2.0, name="b")
    f = theano.function([], W + b, updates=as_iterable({W: W * 3, b: b + 1}))
    assert f() == 3.0 and f() == 6.0
    assert W.get_value() == 9.0 and b.get_value() == 4.0
    g = f.copy(delete_updates=True)  # a copy is made again from the pairs
    assert g() == 13.0 and W.get_value() == 9.0
    with pytest.raises(TypeError, match="pairs"):
        theano.function([], W, updates=W * 2)


# -- a function's containers ------------------------------------------------------------

def test_function_indexing_reads_and_writes_default_values():
    x, y, z = T.dscalars("x", "y", "z")
    f = theano.function([x, In(y, value=1.0), In(z, value=2.0, name="w")], x + y + z)
    assert f(5) == 8.0 and f[y] == 1.0 and f["w"] == 2.0 and f[1] == 1.0
    f["w"] = 10
    assert f["w"] == 10.0 and f(5) == 16.0
    assert f(5, 1, 1) == 7.0 and f(5) == 16.0  # a given argument does not change a default
    f[y] = 0
    assert f(5) == 15.0
    assert [c.value for c in f.input_storage[1:]] == [0.0, 10.0]
    assert f.container[z].value == 10.0 and f.container[z].name == "w"
    with pytest.raises(KeyError, match="no input 'v'"):
        f["v"]
    with pytest.raises(TypeError, match="input w"):
        f["w"] = "text"
    assert f.copy()(5) == 8.0  # a copy starts from the values given to function()


def test_in_with_another_functions_container_shares_the_state():
    # The example of Theano's library/compile/io page.
    x, s = T.scalars("xs")
    inc = theano.function([x, In(s, update=(s + x), value=10.0)], [])
    dec = theano.function([x, In(s, update=(s - x), value=inc.container[s],
                                 implicit=False)], [])
    assert dec[s] == 10.0
    inc[s] = 2
    assert dec[s] == 2.0
    inc(1)
    assert dec[s] == 3.0
    dec(1)
    assert inc[s] == 2.0
    input_storage = inc.input_storage
    assert input_storage[1].storage is dec.container[s].storage


# -- Rop of a linear map ----------------------------------------------------------------

def test_rop_of_dot_does_not_need_the_point():
    x, W, V = T.dmatrix("x"), T.dmatrix("W"), T.dmatrix("V")
    JV = T.Rop(T.dot(x, W), W, V)
    a, v = RNG.normal(size=(2, 3)), RNG.normal(size=(3, 4))
    np.testing.assert_allclose(theano.function([x, V], JV)(a, v), a @ v, rtol=1e-12)
    # The tutorial's form, with W an input, still compiles (W is not "unused").
    f = theano.function([W, V, x], JV)
    np.testing.assert_allclose(f(np.zeros((3, 4)), v, a), a @ v, rtol=1e-12)


# -- pickling and copying ------------------------------------------------------------------

def mlp_cost(x, W, b):
    return (T.tanh(T.dot(x, W) + b) ** 2).sum()


@pytest.mark.ch04  # needs chapter 4 (T.grad)
def test_a_pickled_graph_compiles_and_runs_in_fast_run():
    x, W, b = T.dmatrix("x"), T.dmatrix("W"), T.dvector("b")
    cost = mlp_cost(x, W, b)
    graph = pickle.loads(pickle.dumps((x, W, b, cost, T.grad(cost, W))))
    a, w, c = RNG.normal(size=(4, 3)), RNG.normal(size=(3, 2)), RNG.normal(size=2)
    expected = theano.function([x, W, b], [cost, T.grad(cost, W)])(a, w, c)
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        f = theano.function(list(graph[:3]), list(graph[3:]), mode=mode)
        for got, want in zip(f(a, w, c), expected):
            np.testing.assert_allclose(got, want, rtol=1e-12)


def test_pickled_arrays_run_in_c_kernels():
    # numpy unpickles dtype objects as copies; the C kernels want numpy's own.
    x = T.dmatrix("x")
    f = theano.function([x], (x * 2 + 1).sum())
    a = pickle.loads(pickle.dumps(RNG.normal(size=(3, 4))))
    assert f(a) == pytest.approx((a * 2 + 1).sum())


class Model:
    def __init__(self):
        self.W = theano.shared(np.ones((3, 2)), name="W")
        x = T.dmatrix("x")
        cost = mlp_cost(x, self.W, np.zeros(2))
        self.train = theano.function([x], cost, updates=[(self.W, self.W - 0.1 * T.grad(
            cost, self.W))])
        k = T.dscalar("k")
        self.predict = theano.function([x, In(k, value=2.0)], T.dot(x, self.W) * k)


@pytest.mark.ch04  # needs chapter 4 (T.grad)
def test_deepcopy_and_pickle_of_an_object_holding_compiled_functions():
    a = RNG.normal(size=(4, 3))
    model = Model()
    model.train(a)
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        np.testing.assert_array_equal(clone.W.get_value(), model.W.get_value())
        clone.train(a)  # trains the clone's own W, which its functions share
        assert not np.array_equal(clone.W.get_value(), model.W.get_value())
        np.testing.assert_allclose(clone.predict(a), a @ clone.W.get_value() * 2, rtol=1e-12)
        assert clone.train.maker.shared[0] is clone.W


def test_a_pickled_function_keeps_its_defaults_and_state():
    x, s = T.dscalars("x", "s")
    acc = theano.function([x, In(s, value=0.0, update=s + x)], s + x)
    acc(2.0)
    acc(3.0)
    again = pickle.loads(pickle.dumps(acc))
    # The copy has its own graph: its inputs are reached by name.
    assert again["s"] == 5.0 and again(1.0) == 6.0 and acc[s] == 5.0


# -- the fuzzer's findings ------------------------------------------------------------------

@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_non_finite_constants_compile_in_fast_run(value):
    x = T.dvector("x")
    a = np.array([1.0, -2.0])
    with np.errstate(invalid="ignore"):
        expected = a * value + 1
        for mode in ("FAST_RUN", "FAST_COMPILE"):
            got = theano.function([x], x * value + 1, mode=mode)(a)
            np.testing.assert_array_equal(got, expected)


@pytest.mark.ch04  # needs chapter 4 (T.grad)
@pytest.mark.parametrize("reduce, pick", [(T.max, np.argmax), (T.min, np.argmin)])
def test_gradient_of_a_negated_max_or_min(reduce, pick):
    v = T.dvector("v")
    a = np.array([1.0, 3.0, 2.0])
    expected = np.zeros(3)
    expected[pick(a)] = -1.0
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        got = theano.function([v], theano.grad(-reduce(v), v), mode=mode)(a)
        np.testing.assert_array_equal(got, expected)


def test_mean_of_int64_sums_in_float64_as_numpy():
    v = T.lvector("v")
    a = np.array([2**62, 2**62, 3], dtype=np.int64)
    out = T.mean(v)
    assert out.dtype == "float64"
    assert theano.function([v], out)(a) == np.mean(a)


# -- a regular install ------------------------------------------------------------------

def test_the_package_data_lists_every_non_python_file():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["minitheano"]
    package = ROOT / "minitheano"
    data = [p for p in package.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")
            and "__pycache__" not in p.parts]
    assert data, "expected at least runtime.h"
    for path in data:
        relative = path.relative_to(package)
        assert any(relative.match(p) for p in patterns), f"{relative} is not package data"


@pytest.mark.slow
def test_a_wheel_installed_outside_the_tree_compiles_c(tmp_path):
    # What .ci/run does, for a machine without it: build (pip fetches the build
    # backend, as for any install), install outside the tree, run a C function
    # compiled from the installed files (a fresh compile cache).
    source = tmp_path / "src"  # a copy: setuptools writes build/ next to the sources
    shutil.copytree(ROOT / "minitheano", source / "minitheano",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w",
                    str(tmp_path), str(source)], check=True)
    wheel = next(tmp_path.glob("minitheano-*.whl"))
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target",
                    str(target), str(wheel)], check=True)
    code = ("import minitheano as theano, minitheano.tensor as T, numpy as np\n"
            "x = T.dvector(); f = theano.function([x], T.exp(x).sum())\n"
            "assert 'minitheano/__init__' in theano.__file__.replace(chr(92), '/')\n"
            "print(theano.__file__, f(np.zeros(3)))")
    env = dict(os.environ, PYTHONPATH=str(target),
               MINITHEANO_FLAGS=f"compiledir={tmp_path / 'cache'}")
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert str(target) in result.stdout and result.stdout.split()[-1] == "3.0"


@given(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3),
       st.lists(st.integers(0, 3), min_size=1, max_size=3))
def test_tile_on_generated_shapes_matches_numpy(shape, reps):
    x = T.tensor("float64", (False,) * len(shape))
    a = np.arange(float(np.prod(shape))).reshape(shape)
    got = theano.function([x], T.tile(x, reps), mode="FAST_COMPILE")(a)
    np.testing.assert_array_equal(got, np.tile(a, reps))


def test_a_numpy_array_on_the_left_of_an_operator_builds_graph():
    x = T.dvector("x")
    a = np.array([1.0, 2.0, 3.0])
    for expr, expected in [(a * x, a * a), (a + x, a + a), (a - x, a * 0), (a / x, a / a)]:
        assert isinstance(expr, T.TensorVariable)
        np.testing.assert_allclose(theano.function([x], expr)(a), expected)


@pytest.mark.ch08  # MRG_RandomStreams is chapter 8's
def test_mrg_normal_truncate_keeps_two_standard_deviations_as_theano_did():
    """Keras's truncated-normal initializers (he_normal, lecun_normal, TruncatedNormal)
    call MRG_RandomStreams.normal(truncate=True).  Theano 1.0 drew a value outside two
    standard deviations again, with the same angle and a radius of at most 2: the
    reference here is that scheme in numpy."""
    from minitheano.sandbox.rng_mrg import MRG_RandomStreams

    n, avg, std = 200_000, 1.0, 0.5
    draw = theano.function([], MRG_RandomStreams(5).normal((n,), avg, std, truncate=True))
    values = draw()
    assert values.shape == (n,) and values.dtype == np.float64
    assert avg - 2 * std <= values.min() and values.max() <= avg + 2 * std
    assert not np.array_equal(values, draw())  # the stream moves on

    u = np.random.default_rng(0).uniform(size=(3, 1_000_000))
    z = np.sqrt(-2 * np.log(u[0])) * np.cos(2 * np.pi * u[1])
    lowest = np.exp(-2.0)
    redrawn = np.sqrt(-2 * np.log(lowest + (1 - lowest) * u[2])) * np.cos(2 * np.pi * u[1])
    reference = avg + std * np.where(np.abs(z) > 2, redrawn, z)
    assert abs(values.mean() - avg) < 0.005
    assert abs(values.std() - reference.std()) < 0.003
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        assert abs(np.quantile(values, q) - np.quantile(reference, q)) < 0.01


def theano_bilinear_upsampling(x: np.ndarray, ratio: int) -> np.ndarray:
    """Theano 1.0's scheme, in numpy: on each image axis, the border pixels repeated, then
    a transposed convolution of stride `ratio` with the triangular kernel, cropped."""
    kernel = np.concatenate([np.arange(1, ratio + 1), np.arange(ratio - 1, 0, -1)]) / ratio
    crop = 2 * ratio - (ratio - 1) // 2 - 1
    for axis in (2, 3):
        x = np.moveaxis(x, axis, -1)
        n = x.shape[-1]
        padded = np.concatenate([x[..., :1], x, x[..., -1:]], axis=-1)
        full = np.zeros(x.shape[:-1] + ((n + 1) * ratio + len(kernel),))
        for m in range(n + 2):
            full[..., m * ratio:m * ratio + len(kernel)] += padded[..., m:m + 1] * kernel
        x = np.moveaxis(full[..., crop:crop + n * ratio], -1, axis)
    return x


@pytest.mark.ch08  # convolution's module, chapter 8
@given(ratio=st.integers(1, 4), rows=st.integers(1, 5), cols=st.integers(1, 5),
       seed=st.integers(0, 2**16))
def test_bilinear_upsampling_is_theanos(ratio, rows, cols, seed):
    """Keras's UpSampling2D(interpolation='bilinear') calls
    T.nnet.abstract_conv.bilinear_upsampling."""
    x = np.random.default_rng(seed).normal(size=(2, 3, rows, cols))
    images = T.tensor4("images")
    up = theano.function([images], T.nnet.abstract_conv.bilinear_upsampling(images, ratio))
    np.testing.assert_allclose(up(x), theano_bilinear_upsampling(x, ratio), atol=1e-12)


@pytest.mark.ch08
def test_bilinear_upsampling_gradient_and_bad_input():
    from minitheano.tensor.nnet.abstract_conv import bilinear_upsampling

    x = RNG.normal(size=(1, 2, 3, 4))
    verify_grad(lambda v: bilinear_upsampling(v, ratio=2) ** 2, [x], rng=np.random.default_rng(1))
    small = np.array([[[[1.0, 3.0]]]])
    up = theano.function([], bilinear_upsampling(T.constant(small), ratio=2))
    np.testing.assert_allclose(up(), [[[[1, 2, 3, 3], [1, 2, 3, 3]]]])
    with pytest.raises(ValueError, match="ratio must be a positive int"):
        bilinear_upsampling(T.tensor4(), ratio=0)
    with pytest.raises(ValueError, match="4-d"):
        bilinear_upsampling(T.matrix(), ratio=2)
    with pytest.raises(NotImplementedError, match="frac_ratio"):
        bilinear_upsampling(T.tensor4(), frac_ratio=((3, 2), (3, 2)))
