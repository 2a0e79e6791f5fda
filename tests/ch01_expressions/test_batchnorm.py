"""theano.tensor.nnet.bn: batch normalization against numpy (chapter 1); its gradient
is checked in chapter 4 (test_linalg_grads.py)."""

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T

RNG = np.random.default_rng(14)
bn = T.nnet.bn


def reference(x, gamma, beta, averaged, eps):
    mean = x.mean(axis=averaged, keepdims=True)
    var = x.var(axis=averaged, keepdims=True)
    return (x - mean) * gamma / np.sqrt(var + eps) + beta, mean, var


@pytest.mark.parametrize("axes, averaged", [("per-activation", (0,)), ("spatial", (0, 2, 3)),
                                            ((0, 1), (0, 1))])
@pytest.mark.parametrize("params_full", [False, True])
def test_train_and_test_like_numpy(axes, averaged, params_full):
    x = T.dtensor4("x")
    value = RNG.normal(size=(5, 3, 2, 4)) * 3 + 1
    kept_shape = tuple(1 if d in averaged else n for d, n in enumerate(value.shape))
    gamma_v, beta_v = RNG.uniform(0.5, 2, kept_shape), RNG.normal(size=kept_shape)
    stats_v = np.zeros(kept_shape), np.ones(kept_shape)
    if not params_full:
        gamma_v, beta_v = gamma_v.squeeze(averaged), beta_v.squeeze(averaged)
        stats_v = tuple(s.squeeze(averaged) for s in stats_v)
    gamma, beta, rm, rv = (T.tensor("float64", [n == 1 and params_full for n in v.shape])
                           for v in (gamma_v, beta_v, *stats_v))
    outs = bn.batch_normalization_train(x, gamma, beta, axes, 1e-3, 0.25, rm, rv)
    out, mean, invstd, new_mean, new_var = theano.function(
        [x, gamma, beta, rm, rv], outs, mode="FAST_COMPILE")(value, gamma_v, beta_v, *stats_v)
    full = lambda p: p.reshape(kept_shape)  # noqa: E731
    want, want_mean, want_var = reference(value, full(gamma_v), full(beta_v), averaged, 1e-3)
    count = np.prod([value.shape[d] for d in averaged])
    np.testing.assert_allclose(out, want, rtol=1e-12)
    np.testing.assert_allclose(full(mean), want_mean)
    np.testing.assert_allclose(full(invstd), 1 / np.sqrt(want_var + 1e-3))
    np.testing.assert_allclose(full(new_mean), 0.25 * want_mean)
    np.testing.assert_allclose(full(new_var), 0.75 + 0.25 * want_var * count / (count - 1))
    assert mean.shape == gamma_v.shape
    test_out = bn.batch_normalization_test(x, gamma, beta, rm, rv, axes, 1e-3)
    got = theano.function([x, gamma, beta, rm, rv], test_out, mode="FAST_COMPILE")(
        value, gamma_v, beta_v, full(want_mean).reshape(gamma_v.shape),
        full(want_var).reshape(gamma_v.shape))
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_batch_normalization_formula_and_errors():
    x, g, b, m, s = T.dmatrices("x", "g", "b", "m", "s")
    vals = [RNG.uniform(0.5, 2, size=(2, 3)) for _ in range(5)]
    got = theano.function([x, g, b, m, s], T.nnet.batch_normalization(x, g, b, m, s))(*vals)
    np.testing.assert_allclose(got, (vals[0] - vals[3]) * (vals[1] / vals[4]) + vals[2])
    with pytest.raises(ValueError, match="both running_mean and running_var"):
        bn.batch_normalization_train(x, g, b, running_mean=m)
    with pytest.raises(ValueError, match="do not fit an input of 2 dimensions"):
        bn.batch_normalization_train(x, g, b, axes=(2,))
    with pytest.raises(ValueError, match="axes must be"):
        bn.batch_normalization_test(x, g, b, m, s, axes="channel")
