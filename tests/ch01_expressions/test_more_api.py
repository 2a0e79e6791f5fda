"""Theano 1.0 names added for issue 11 against numpy (chapter 1): arctan2, the gamma
family, choose, change_flags, view_op, shared_constructor, scan_checkpoints,
MonitorMode, expm.  Their gradients are tested in chapter 4 (test_more_api_grads.py)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minitheano as theano
from minitheano import tensor as T

RNG = np.random.default_rng(1111)
FAST = "FAST_COMPILE"
FINITE = st.floats(-1e3, 1e3, allow_nan=False, width=64)


def run(out, inputs, *values, mode=FAST):
    return theano.function(inputs, out, mode=mode)(*values)


# -- arctan2: numpy's, in Python and in C ------------------------------------------

@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float64, 6, elements=FINITE), hnp.arrays(np.float64, 6, elements=FINITE))
def test_arctan2_matches_numpy(a, b):
    y, x = T.dvectors("y", "x")
    np.testing.assert_allclose(run(T.arctan2(y, x), [y, x], a, b), np.arctan2(a, b),
                               rtol=1e-12, atol=0)


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_arctan2_quadrants_zeros_and_broadcasting(mode):
    y, x = T.dmatrix("y"), T.dvector("x")
    a = np.array([[1.0, -1.0, 0.0, -0.0], [2.0, -3.0, np.inf, np.nan]])
    b = np.array([-1.0, -1.0, -0.0, 0.0])
    got, want = run(T.arctan2(y, x), [y, x], a, b, mode=mode), np.arctan2(a, b)
    np.testing.assert_allclose(got, want, rtol=1e-15)  # C's atan2 may differ by an ulp
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_arctan2_dtypes(mode):
    small, f = T.bvector("small"), T.fvector("f")
    out = run([T.arctan2(small, small + 1), T.arctan2(f, f)], [small, f],
              np.array([1, -3], "int8"), np.array([1, -2], "float32"), mode=mode)
    assert [o.dtype for o in out] == ["float32", "float32"]  # never float16, as Theano
    np.testing.assert_allclose(out[0], np.arctan2([1.0, -3.0], [2.0, -2.0]), rtol=1e-6)
    assert T.arctan2(T.lvector(), T.lvector()).dtype == "float64"


# -- the gamma family: math.gamma / math.lgamma, psi against scipy -------------------

# gamma(172.5) overflows float64.
POINTS = np.array([-2.5, -0.3, 1e-3, 0.1, 0.5, 1.0, 2.0, 3.7, 20.0, 172.5])


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_gamma_and_gammaln_match_python_math(mode):
    x = T.dvector("x")
    g, lg = run([T.gamma(x), T.gammaln(x)], [x], POINTS, mode=mode)
    np.testing.assert_allclose(g, [math.gamma(v) for v in POINTS[:-1]] + [np.inf], rtol=1e-13)
    np.testing.assert_allclose(lg, [math.lgamma(v) for v in POINTS], rtol=1e-13)
    # The poles, as C's tgamma and lgamma have them (and scipy.special).
    poles = np.array([0.0, -0.0, -1.0, -4.0])
    g, lg = run([T.gamma(x), T.gammaln(x)], [x], poles, mode=mode)
    np.testing.assert_array_equal(g, [np.inf, -np.inf, np.nan, np.nan])
    np.testing.assert_array_equal(lg, [np.inf] * 4)


def test_gamma_of_integers_is_the_factorial():
    n = T.lvector("n")
    np.testing.assert_allclose(run(T.gamma(n), [n], np.arange(1, 15)),
                               [math.factorial(k - 1) for k in range(1, 15)], rtol=1e-14)
    assert T.gamma(T.bvector()).dtype == "float32" and T.psi(T.fvector()).dtype == "float32"


def test_psi_matches_scipy():
    special = pytest.importorskip("scipy.special")
    x = T.dvector("x")
    a = np.concatenate([POINTS, RNG.uniform(-30, 60, size=50)])
    psi, tri = run([T.psi(x), T.tri_gamma(x)], [x], a)
    np.testing.assert_allclose(psi, special.psi(a), rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(tri, special.polygamma(1, a), rtol=1e-11)
    psi, tri = run([T.psi(x), T.tri_gamma(x)], [x], np.array([-0.0, -3.0]))
    assert np.isnan(psi).all() and np.isinf(tri).all()


@settings(max_examples=40, deadline=None)
@given(st.floats(-40, 40, allow_nan=False).filter(lambda v: abs(v - round(v)) > 1e-3))
def test_psi_recurrence_and_euler_constant(v):
    # psi(x + 1) = psi(x) + 1/x everywhere, and psi(1) = -Euler's constant.
    x = T.dvector("x")
    p = run(T.psi(x), [x], np.array([v, v + 1, 1.0]))
    assert p[1] == pytest.approx(p[0] + 1 / v, rel=1e-9, abs=1e-9)
    assert p[2] == pytest.approx(-0.5772156649015329, rel=1e-14)


# -- choose: numpy.choose, any number of choices, three modes ------------------------

@settings(max_examples=30, deadline=None)
@given(st.sampled_from(["raise", "wrap", "clip"]), st.integers(1, 5),
       hnp.array_shapes(min_dims=0, max_dims=3, max_side=4), st.randoms(use_true_random=False))
def test_choose_matches_numpy(mode, n, shape, random):
    rng = np.random.default_rng(random.getrandbits(32))
    low, high = (0, n) if mode == "raise" else (-2 * n, 2 * n)
    a_val = rng.integers(low, high, size=shape)
    choices_val = rng.normal(size=(n,) + shape)
    a, choices = T.TensorType("int64", (False,) * len(shape))(), T.TensorType(
        "float64", (False,) * (len(shape) + 1))()
    got = run(T.choose(a, choices, mode=mode), [a, choices], a_val, choices_val)
    np.testing.assert_array_equal(got, np.choose(a_val, choices_val, mode=mode))


def test_choose_broadcasts_and_takes_a_list(check_infer_shape):
    a, x, y = T.lcol("a"), T.dvector("x"), T.dvector("y")
    a_val, x_val, y_val = np.array([[0], [1], [1]]), RNG.normal(size=4), RNG.normal(size=4)
    out = T.choose(a, [x, y])
    assert out.broadcastable == (False, False)
    np.testing.assert_array_equal(run(out, [a, x, y], a_val, x_val, y_val),
                                  np.choose(a_val, [x_val, y_val]))
    check_infer_shape(out, [a, x, y], [a_val, x_val, y_val])
    many = T.dmatrix("many")  # more choices than numpy.choose takes
    rows = RNG.normal(size=(70, 3))
    picks = np.array([69, 0, 33])
    np.testing.assert_array_equal(run(T.choose(picks, many), [many], rows),
                                  rows[picks, np.arange(3)])


def test_choose_errors_name_what_was_wrong():
    a, choices = T.lvector("a"), T.dmatrix("choices")
    with pytest.raises(ValueError, match="index 3 in a is out of range for 2 choices"):
        run(T.choose(a, choices), [a, choices], np.array([0, 3]), np.ones((2, 2)))
    with pytest.raises(TypeError, match="must hold integers"):
        T.choose(T.dvector(), choices)
    with pytest.raises(ValueError, match="mode must be one of"):
        T.choose(a, choices, mode="bounce")
    with pytest.raises(ValueError, match="do not broadcast"):
        run(T.choose(a, choices), [a, choices], np.array([0, 1, 1]), np.ones((2, 2)))


# -- change_flags, view_op, shared_constructor -----------------------------------------

def test_change_flags_at_the_top_level_as_block_and_decorator():
    before = theano.config.floatX
    other = "float32" if before == "float64" else "float64"
    with theano.change_flags(floatX=other):
        assert theano.config.floatX == other and T.matrix().dtype == other
    assert theano.config.floatX == before

    @theano.change_flags({"floatX": other})
    def inside() -> str:
        return T.vector().dtype

    assert inside() == other and inside() == other  # usable more than once
    assert theano.config.floatX == before


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_view_op_is_its_input_and_outputs_never_alias_it(mode, check_infer_shape):
    from minitheano.compile import ViewOp, view_op
    x = T.dmatrix("x")
    a = RNG.normal(size=(2, 3))
    seen = view_op(x)
    assert isinstance(seen.owner.op, ViewOp) and seen.type == x.type
    f = theano.function([x], [seen, view_op(x) * 2], mode=mode)
    out, twice = f(a)
    np.testing.assert_array_equal(out, a)
    np.testing.assert_array_equal(twice, 2 * a)
    assert not np.shares_memory(out, a)  # the compiler copies an output that views an input
    check_infer_shape(seen, [x], [a])


class Interval:
    """A value theano.shared does not know: a pair of bounds."""

    def __init__(self, low: float, high: float) -> None:
        self.low, self.high = low, high


def test_shared_constructor_registers_and_removes():
    from minitheano.compile import SharedVariable, shared_constructor

    @shared_constructor
    def interval_shared(value, name=None, strict=False, allow_downcast=None, borrow=False,
                        **kwargs):
        if not isinstance(value, Interval):
            raise TypeError("not an Interval")  # passes the value on to the next
        return theano.shared(np.array([value.low, value.high]), name=name, borrow=borrow)

    try:
        s = theano.shared(Interval(1.0, 3.0), name="bounds")
        assert isinstance(s, SharedVariable) and s.name == "bounds"
        np.testing.assert_array_equal(s.get_value(), [1.0, 3.0])
        # other values still reach the built-in constructors, broadcastable included
        assert theano.shared(np.zeros((1, 2)), broadcastable=(True, False)).broadcastable == (
            True, False)
    finally:
        shared_constructor(interval_shared, remove=True)
    with pytest.raises(TypeError, match="does not know how to hold a value of type Interval"):
        theano.shared(Interval(0.0, 1.0))
    with pytest.raises(TypeError, match="unexpected arguments"):
        theano.shared(np.zeros(2), target="gpu9")



# -- MonitorMode: hooks around every node ------------------------------------------

@pytest.mark.parametrize("linker", ["py", "c"])
def test_monitor_mode_calls_the_hooks_around_each_node(linker):
    from minitheano.compile import MonitorMode
    x = T.dvector("x")
    calls = []

    def pre(i, node, fn):
        assert all(c[0] is not None for c in fn.inputs)  # the inputs are there before
        calls.append(("pre", i, node))

    def find_nan(i, node, fn):
        calls.append(("post", i, node))
        if any(np.isnan(c[0]).any() for c in fn.outputs):
            calls.append(("nan", i, node))

    mode = MonitorMode(pre_func=pre, post_func=find_nan, linker=linker)
    f = theano.function([x], [T.log(x), T.exp(x).sum()], mode=mode)
    with np.errstate(invalid="ignore"):  # log(-1): the NaN the hook is to find
        got = f(np.array([1.0, -1.0]))
    np.testing.assert_allclose(got[1], np.exp(1.0) + np.exp(-1.0))
    order = f.maker.fgraph.toposort()
    assert [c[:2] for c in calls if c[0] != "nan"] == [
        (kind, i) for i in range(len(order)) for kind in ("pre", "post")]
    assert [c[2] for c in calls if c[0] == "pre"] == order
    nan_nodes = [c[2] for c in calls if c[0] == "nan"]
    assert len(nan_nodes) == 1 and "log" in str(nan_nodes[0].op)
    assert isinstance(mode.excluding("fusion"), MonitorMode)
    assert mode != MonitorMode(pre_func=pre, post_func=find_nan, linker=linker)


# -- expm: Pade with scaling and squaring ----------------------------------------------

def test_expm_matches_scipy_and_known_exponentials(check_infer_shape):
    from minitheano.tensor import slinalg
    a = T.dmatrix("a")
    f = theano.function([a], slinalg.expm(a), mode=FAST)
    # exact cases: a diagonal matrix, a nilpotent one, a rotation generator
    np.testing.assert_allclose(f(np.diag([0.5, -2.0, 3.0])), np.diag(np.exp([0.5, -2.0, 3.0])))
    np.testing.assert_allclose(f(np.array([[0.0, 1.0], [0.0, 0.0]])), [[1.0, 1.0], [0.0, 1.0]])
    t = 7.5  # a norm above THETA_13: scaled and squared
    np.testing.assert_allclose(f(np.array([[0.0, -t], [t, 0.0]])),
                               [[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]], atol=1e-13)
    linalg = pytest.importorskip("scipy.linalg")
    for scale in (1e-3, 1.0, 20.0):
        m = RNG.normal(size=(5, 5)) * scale
        want = linalg.expm(m)
        np.testing.assert_allclose(f(m), want, rtol=1e-11, atol=1e-12 * np.abs(want).max())
    check_infer_shape(slinalg.expm(a), [a], [np.eye(3)])


@settings(max_examples=20, deadline=None)
@given(hnp.arrays(np.float64, (3, 3), elements=st.floats(-3, 3)))
def test_expm_of_a_sum_of_commuting_matrices(m):
    # exp(A) exp(-A) = I and exp(2A) = exp(A)^2, for any A
    from minitheano.tensor import slinalg
    a = T.dmatrix("a")
    e, e_neg, e2 = run([slinalg.expm(a), slinalg.expm(-a), slinalg.expm(2 * a)], [a], m)
    np.testing.assert_allclose(e @ e_neg, np.eye(3), atol=1e-9 * max(1, np.abs(e).max()) ** 2)
    np.testing.assert_allclose(e2, e @ e, rtol=1e-10, atol=1e-12 * np.abs(e2).max())


def test_expm_refuses_bad_matrices():
    from minitheano.tensor import slinalg
    a = T.dmatrix("a")
    with pytest.raises(ValueError, match="must be square"):
        run(slinalg.expm(a), [a], np.ones((2, 3)))
    with pytest.raises(ValueError, match="NaN or infinite"):
        run(slinalg.expm(a), [a], np.array([[np.nan]]))
    with pytest.raises(TypeError, match="square matrix"):
        slinalg.expm(T.dvector())


# -- Generic: any Python object as a value ---------------------------------------------

class Lengths(theano.Op):
    """The lengths of the items of a Python list, as an int64 vector."""

    def make_node(self, items):
        items = theano.generic.make_constant(items) if not isinstance(
            items, theano.Variable) else items
        if items.type != theano.generic:
            raise TypeError(f"Lengths: expected a generic input, got {items.type}")
        return theano.Apply(self, [items], [T.lvector()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = np.array([len(v) for v in inputs[0]], dtype="int64")


def test_generic_carries_any_python_object():
    assert theano.generic == theano.Generic() and str(theano.generic) == "Generic"
    words = theano.generic("words")
    n = Lengths()(words)
    f = theano.function([words], n.sum() + 0 * n[0], mode=FAST)
    assert f(["a", "bcd", ""]) == 4 and f([[1, 2], {3: 4}]) == 3
    assert theano.generic.filter(item := {"any": object()}) is item
    assert theano.generic.values_eq([1, 2], [1, 2]) and not theano.generic.values_eq(1, 2)
    a = np.ones(2)
    assert theano.generic.values_eq(a, a) and not theano.generic.values_eq(a, np.ones(2))
    constant = Lengths()(["xy", "z"])
    np.testing.assert_array_equal(theano.function([], constant, mode=FAST)(), [2, 1])


# -- printing without addresses: var_descriptor, hex_digest -----------------------------

def test_var_descriptor_is_the_same_for_equal_graphs_and_tags_shared_parts():
    from minitheano.printing import position_independent_str, var_descriptor

    def build():
        x = T.dvector("x")
        e = T.exp(x)
        return e + e * 2.0

    one, two = var_descriptor(build()), var_descriptor(build())
    assert one == two and "0x" not in one and "\n" not in one
    assert one.startswith("A=Elemwise{add,no_inplace}(B=Elemwise{exp,no_inplace}(C=x),")
    assert one.count("exp") == 1  # the shared exp(x) is written once, then called B
    assert var_descriptor(T.exp(T.dvector("y"))) != var_descriptor(T.exp(T.dvector("x")))
    assert position_independent_str(T.fmatrix()) == "theano_var{type=TensorType(float32, matrix)}"
    with pytest.raises(NotImplementedError, match="only Variables"):
        position_independent_str(3)


def test_hex_digest_tells_shape_and_layout_apart():
    from minitheano.printing import hex_digest
    a = np.arange(6.0)
    assert hex_digest(a) == hex_digest(np.arange(6.0))
    assert hex_digest(a) != hex_digest(a.reshape(2, 3))  # same bytes, another shape
    assert hex_digest(a.reshape(2, 3)) != hex_digest(np.asfortranarray(a.reshape(2, 3)))
    assert hex_digest(a) != hex_digest(a + 1)
    assert hex_digest(a).endswith("|strides=[8]|shape=[6]")
    with pytest.raises(TypeError, match="expected a numpy array"):
        hex_digest([1, 2])


# -- default: x, or a copy of d where x is None ------------------------------------------

def test_default_replaces_none_with_a_copy():
    maybe, fallback = theano.generic("maybe"), theano.generic("fallback")
    f = theano.function([maybe, fallback], T.default(maybe, fallback), mode=FAST)
    given, spare = [1, 2], [3]
    assert f(given, spare) == given  # x (a view, which the function copies out)
    out = f(None, spare)
    assert out == [3] and out is not spare  # the default, copied
    x = T.dvector("x")
    np.testing.assert_array_equal(theano.function([x], T.default(x, np.zeros(2)), mode=FAST)(
        np.ones(2)), [1.0, 1.0])
    with pytest.raises(TypeError, match="must have one type"):
        T.default(T.dvector(), T.fvector())


# -- neighbours: patches of images as rows ---------------------------------------------

def patches_by_loops(x, shape, step, pad):
    """images2neibs written plainly: pad, then walk the patch positions in order."""
    x = np.pad(x, [(0, 0), (0, 0), (pad[0],) * 2, (pad[1],) * 2])
    rows = []
    for b in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(0, x.shape[2] - shape[0] + 1, step[0]):
                for j in range(0, x.shape[3] - shape[1] + 1, step[1]):
                    rows.append(x[b, c, i:i + shape[0], j:j + shape[1]].ravel())
    return np.array(rows)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(["ignore_borders", "half", "full"]), st.integers(1, 3),
       st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(3, 7),
       st.integers(3, 7))
def test_images2neibs_matches_a_loop(mode, sh, sw, th, tw, h, w):
    from minitheano.tensor.nnet import images2neibs
    x = T.dtensor4("x")
    a = RNG.normal(size=(2, 2, h, w))
    pad = {"half": (sh // 2, sw // 2), "full": (sh - 1, sw - 1)}.get(mode, (0, 0))
    out = images2neibs(x, (sh, sw), (th, tw), mode=mode)
    np.testing.assert_array_equal(run(out, [x], a),
                                  patches_by_loops(a, (sh, sw), (th, tw), pad))


def test_images2neibs_valid_and_neibs2images_round_trip(check_infer_shape):
    from minitheano.tensor.nnet import images2neibs, neibs2images
    x = T.dtensor4("x")
    a = RNG.normal(size=(2, 3, 4, 6))
    neibs = images2neibs(x, (2, 3))
    np.testing.assert_array_equal(run(neibs, [x], a), patches_by_loops(a, (2, 3), (2, 3), (0, 0)))
    back = neibs2images(neibs, (2, 3), x.shape)
    np.testing.assert_array_equal(run(back, [x], a), a)
    check_infer_shape([neibs, back], [x], [a])
    # ignore_borders: what no patch reaches comes back as zeros
    odd = RNG.normal(size=(1, 1, 5, 7))
    cut = neibs2images(images2neibs(x, (2, 3), mode="ignore_borders"), (2, 3), x.shape,
                       mode="ignore_borders")
    expected = np.zeros_like(odd)
    expected[:, :, :4, :6] = odd[:, :, :4, :6]
    np.testing.assert_array_equal(run(cut, [x], odd), expected)


def test_neighbours_errors_name_what_was_wrong():
    from minitheano.tensor.nnet import images2neibs, neibs2images
    x = T.dtensor4("x")
    with pytest.raises(ValueError, match="do not tile an image of"):
        run(images2neibs(x, (2, 2)), [x], np.ones((1, 1, 5, 4)))
    with pytest.raises(ValueError, match="does not fit"):
        run(images2neibs(x, (3, 3), mode="ignore_borders"), [x], np.ones((1, 1, 2, 4)))
    with pytest.raises(TypeError, match="expected 4-d images"):
        images2neibs(T.dmatrix(), (2, 2))
    with pytest.raises(ValueError, match="mode must be one of"):
        images2neibs(x, (2, 2), mode="wrap_centered")
    with pytest.raises(ValueError, match="two positive ints"):
        images2neibs(x, (0, 2))
    m = T.dmatrix("m")
    with pytest.raises(ValueError, match="make a matrix of"):
        run(neibs2images(m, (2, 2), [1, 1, 4, 4]), [m], np.ones((3, 4)))
