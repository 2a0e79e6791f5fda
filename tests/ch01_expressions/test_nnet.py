"""T.nnet: activations, softmax and cross-entropies against numpy, and their stability
(chapter 1)."""

import contextlib
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from ch01_helpers import inferred_shape
from hypothesis import given
from hypothesis import strategies as st

import minitheano as theano
from minitheano import tensor as T

RNG = np.random.default_rng(7)


def np_softmax(x):
    """The textbook formula: fine for the moderate values these tests use it on."""
    e = np.exp(x)
    return e / e.sum(axis=-1, keepdims=True)


def evaluate(fn, value, dtype="float64"):
    """fn(x) computed by the ops' own Python code (`perform`, this chapter's subject);
    the default mode, which may run C (chapter 5), must agree with it."""
    x = T.tensor(dtype, (False,) * np.ndim(value), name="x")
    value = np.asarray(value, dtype=dtype)
    in_python = theano.function([x], fn(x), mode="FAST_COMPILE")(value)
    np.testing.assert_allclose(theano.function([x], fn(x))(value), in_python,
                               rtol=1e-5 if dtype == "float32" else 1e-12)
    return in_python


@contextlib.contextmanager
def no_warnings():
    """Any warning (numpy's overflow, divide by zero ...) becomes an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_reachable_as_module_attributes():
    import minitheano.tensor.nnet as nnet_module

    assert T.nnet is nnet_module
    assert theano.tensor.nnet.softmax is T.nnet.softmax


def test_sigmoid_and_softplus_values_and_names():
    x = np.linspace(-20, 20, 41)
    np.testing.assert_allclose(evaluate(T.nnet.sigmoid, x), 1 / (1 + np.exp(-x)), rtol=1e-12)
    np.testing.assert_allclose(evaluate(T.nnet.softplus, x), np.log1p(np.exp(x)), rtol=1e-12)
    v = T.dmatrix("v")
    assert str(T.nnet.sigmoid(v).owner.op) == "sigmoid"
    assert str(T.nnet.softplus(v).owner.op) == "softplus"


def test_extremes_are_exact_and_silent():
    with no_warnings():
        sig = evaluate(T.nnet.sigmoid, [-1000.0, 1000.0])
        sp = evaluate(T.nnet.softplus, [1000.0, -1000.0])
        sm = evaluate(T.nnet.softmax, [1000.0, 0.0])
        lsm = evaluate(T.nnet.logsoftmax, [1000.0, 0.0])
    assert sig[0] == 0.0 and sig[1] == 1.0
    assert sp[0] == 1000.0 and sp[1] == 0.0
    # A vector's softmax is a 1 x n row, as in Theano 1.0.
    np.testing.assert_array_equal(sm, [[1.0, 0.0]])
    np.testing.assert_array_equal(lsm, [[0.0, -1000.0]])


@pytest.mark.parametrize("fn", ["sigmoid", "softplus", "softmax", "logsoftmax", "relu"])
def test_float32_stays_float32(fn):
    out = evaluate(getattr(T.nnet, fn), RNG.normal(size=(2, 3)), dtype="float32")
    assert out.dtype == np.float32


def test_relu_plain_and_leaky():
    x = RNG.normal(size=(3, 4))
    np.testing.assert_allclose(evaluate(T.nnet.relu, x), np.maximum(x, 0))
    leaky = evaluate(lambda v: T.nnet.relu(v, alpha=0.1), x)
    np.testing.assert_allclose(leaky, np.where(x > 0, x, 0.1 * x))
    a = T.dscalar("a")
    v = T.dmatrix("v")
    f = theano.function([v, a], T.nnet.relu(v, a))
    np.testing.assert_allclose(f(x, 0.3), np.where(x > 0, x, 0.3 * x))


def test_hard_sigmoid():
    x = np.linspace(-5, 5, 21)
    np.testing.assert_allclose(evaluate(T.nnet.hard_sigmoid, x), np.clip(0.2 * x + 0.5, 0, 1))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4), (4, 1), (0, 3)])
def test_softmax_and_logsoftmax_like_numpy(shape):
    x = RNG.normal(scale=3, size=shape)
    sm = evaluate(T.nnet.softmax, x)
    rows = x.reshape(1, -1) if x.ndim == 1 else x  # a vector gives a 1 x n row (Theano 1.0)
    np.testing.assert_allclose(sm, np_softmax(rows), rtol=1e-12)
    np.testing.assert_allclose(sm.sum(axis=-1), np.ones(rows.shape[:-1]))
    np.testing.assert_allclose(evaluate(T.nnet.logsoftmax, x), np.log(np_softmax(rows)),
                               rtol=1e-10, atol=1e-12)


def test_softmax_of_non_contiguous_input():
    base = RNG.normal(size=(6, 8))
    for x in (base[::2, 1::2], base.T):
        np.testing.assert_allclose(evaluate(T.nnet.softmax, x), np_softmax(x), rtol=1e-12)


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                  elements=st.floats(-1e4, 1e4)))
def test_softmax_is_a_distribution_for_any_input(x):
    sm = evaluate(T.nnet.softmax, x)
    assert np.all(np.isfinite(sm)) and np.all(sm >= 0)
    np.testing.assert_allclose(sm.sum(axis=-1), 1.0, rtol=1e-12)
    lsm = evaluate(T.nnet.logsoftmax, x)
    assert np.all(np.isfinite(lsm)) and np.all(lsm <= 0)
    # Both agree where the softmax did not underflow.
    ok = sm > 1e-300
    np.testing.assert_allclose(np.exp(lsm[ok]), sm[ok], rtol=1e-9)


def test_softmax_rejects_bad_inputs():
    with pytest.raises(TypeError, match="Softmax needs floats.*int64"):
        T.nnet.softmax(T.lmatrix("y"))
    with pytest.raises(TypeError, match="LogSoftmax needs at least one dimension"):
        T.nnet.logsoftmax(T.dscalar("s"))


def test_softmax_with_bias():
    x, b = T.dmatrix("x"), T.dvector("b")
    xv, bv = RNG.normal(size=(3, 4)), RNG.normal(size=4)
    got = theano.function([x, b], T.nnet.softmax_with_bias(x, b))(xv, bv)
    np.testing.assert_allclose(got, np_softmax(xv + bv), rtol=1e-12)


def test_infer_shape_agrees_with_perform():
    x, y = T.dmatrix("x"), T.lvector("y")
    xv, yv = np_softmax(RNG.normal(size=(3, 5))), np.array([0, 4, 2])
    outs = [T.nnet.softmax(x), T.nnet.logsoftmax(x), T.nnet.crossentropy_categorical_1hot(x, y)]
    for out in outs:
        result = theano.function([x, y], out, on_unused_input="ignore")(xv, yv)
        assert inferred_shape(out, [x, y], [xv, yv]) == result.shape


# -- cross-entropies ------------------------------------------------------------------

def test_categorical_crossentropy_one_hot_and_indices_agree_with_numpy():
    coding, onehot, idx = T.dmatrix("coding"), T.dmatrix("onehot"), T.lvector("idx")
    p = np_softmax(RNG.normal(size=(4, 3)))
    labels = np.array([2, 0, 1, 2])
    targets = np.eye(3)[labels]
    expected = -np.log(p[np.arange(4), labels])
    f = theano.function([coding, onehot, idx],
                        [T.nnet.categorical_crossentropy(coding, onehot),
                         T.nnet.categorical_crossentropy(coding, idx)])
    a, b = f(p, targets, labels)
    np.testing.assert_allclose(a, expected, rtol=1e-12)
    np.testing.assert_allclose(b, expected, rtol=1e-12)
    soft = np_softmax(RNG.normal(size=(4, 3)))  # a soft target distribution
    np.testing.assert_allclose(f(p, soft, labels)[0], -(soft * np.log(p)).sum(axis=1))


def test_crossentropy_1hot_checks_its_indices():
    coding, idx = T.dmatrix("coding"), T.ivector("idx")
    f = theano.function([coding, idx], T.nnet.categorical_crossentropy(coding, idx))
    p = np.full((2, 3), 1 / 3)
    with pytest.raises(IndexError, match=r"class index 3 \(row 1\).*3 classes"):
        f(p, [0, 3])
    with pytest.raises(IndexError, match=r"class index -1 \(row 0\)"):
        f(p, [-1, 0])
    with pytest.raises(ValueError, match="2 rows of probabilities.*but 3 class indices"):
        f(p, [0, 1, 2])


def test_categorical_crossentropy_rejects_other_targets():
    with pytest.raises(TypeError, match="integer vector of class indices"):
        T.nnet.categorical_crossentropy(T.dmatrix(), T.dvector())
    with pytest.raises(TypeError, match="coding_dist must be a float matrix"):
        T.nnet.crossentropy_categorical_1hot(T.dvector(), T.lvector())


def test_binary_crossentropy():
    o, t = T.dvector("o"), T.dvector("t")
    ov, tv = RNG.uniform(0.01, 0.99, 5), RNG.uniform(0, 1, 5)
    got = theano.function([o, t], T.nnet.binary_crossentropy(o, t))(ov, tv)
    np.testing.assert_allclose(got, -(tv * np.log(ov) + (1 - tv) * np.log(1 - ov)))


def test_softsign_elu_selu():
    x = np.concatenate([np.linspace(-5, 5, 11), [-1000.0, 1000.0]])
    with no_warnings():
        np.testing.assert_allclose(evaluate(T.nnet.softsign, x), x / (1 + np.abs(x)))
        np.testing.assert_allclose(evaluate(lambda v: T.nnet.elu(v, 0.5), x),
                                   np.where(x > 0, x, 0.5 * (np.exp(np.minimum(x, 0)) - 1)))
        alpha, scale = 1.6732632423543772, 1.0507009873554805
        np.testing.assert_allclose(
            evaluate(T.nnet.selu, x),
            scale * np.where(x > 0, x, alpha * (np.exp(np.minimum(x, 0)) - 1)))


def test_sigmoid_binary_crossentropy_is_the_stable_composition():
    o, t = T.dvector("o"), T.dvector("t")
    f = theano.function([o, t], T.nnet.sigmoid_binary_crossentropy(o, t))
    ov, tv = RNG.normal(scale=3, size=6), RNG.uniform(0, 1, 6)
    s = 1 / (1 + np.exp(-ov))
    np.testing.assert_allclose(f(ov, tv), -(tv * np.log(s) + (1 - tv) * np.log(1 - s)))
    with no_warnings():  # logits far out: the naive formula would take log(0)
        np.testing.assert_allclose(f([1000.0, -1000.0], [0.0, 1.0]), [1000.0, 1000.0])
