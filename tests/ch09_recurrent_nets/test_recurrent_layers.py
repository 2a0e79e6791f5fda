"""Chapter 9's recurrent layers: values against numpy, gradients against finite
differences, masks, gradient clipping, and a short training run."""

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano.examples.data import load_digits
from minitheano.examples.recurrent import GRU, LSTM, SequenceClassifier, SimpleRNN
from minitheano.examples.train import TrainConfig, train_classifier
from minitheano.examples.updates import clip_by_norm
from minitheano.gradient import verify_grad
from minitheano.graph.basic import clone_replace

N_STEPS, BATCH, N_IN, N_HIDDEN = 5, 3, 4, 6
LAYER_CLASSES = [SimpleRNN, LSTM, GRU]


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def numpy_layer(layer, xs, mask=None):
    """The layer's states at every step, computed with numpy from its equations."""
    p = {v.name: v.get_value() for v in layer.params}
    n = layer.n_hidden
    h = np.zeros((xs.shape[1], n))
    c = np.zeros_like(h)
    out = []
    for t, x in enumerate(xs):
        xw = x @ p["W"] + p["b"]
        if isinstance(layer, SimpleRNN):
            new_h, new_c = np.tanh(xw + h @ p["U"]), c
        elif isinstance(layer, LSTM):
            pre = xw + h @ p["U"]
            i, f, o = (_sigmoid(pre[:, k * n:(k + 1) * n]) for k in range(3))
            new_c = f * c + i * np.tanh(pre[:, 3 * n:])
            new_h = o * np.tanh(new_c)
        else:
            zr = _sigmoid(xw[:, :2 * n] + h @ p["U_zr"])
            z, r = zr[:, :n], zr[:, n:]
            cand = np.tanh(xw[:, 2 * n:] + (r * h) @ p["U_h"])
            new_h, new_c = (1 - z) * h + z * cand, c
        if mask is not None:
            m = mask[t][:, None]
            new_h, new_c = m * new_h + (1 - m) * h, m * new_c + (1 - m) * c
        h, c = new_h, new_c
        out.append(h)
    return np.array(out)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("cls", LAYER_CLASSES)
def test_layer_values_against_numpy(cls, rng):
    layer = cls(rng, N_IN, N_HIDDEN)
    x, m = T.tensor3("x"), T.matrix("m")
    xs = rng.normal(size=(N_STEPS, BATCH, N_IN))
    mask = np.ones((N_STEPS, BATCH))
    mask[3:, 0] = 0  # sequence 0 has 3 steps, sequence 1 has 4, sequence 2 all 5
    mask[4:, 1] = 0
    f = theano.function([x], layer(x))
    g = theano.function([x, m], layer(x, m))
    np.testing.assert_allclose(f(xs), numpy_layer(layer, xs), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(g(xs, mask), numpy_layer(layer, xs, mask), rtol=1e-9,
                               atol=1e-12)


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_gradients_by_finite_differences(cls, rng):
    layer = cls(rng, N_IN, N_HIDDEN)
    mask = np.ones((N_STEPS, BATCH))
    mask[2:, 0] = 0

    def cost(x, *params):
        h = clone_replace(layer(x, T.constant(mask)), dict(zip(layer.params, params)))
        return T.sum(T.sqr(h[-1])) + T.sum(h * 0.1)

    pt = [rng.normal(size=(N_STEPS, BATCH, N_IN))] + [p.get_value() for p in layer.params]
    verify_grad(cost, pt, rng=np.random.default_rng(1))


@pytest.mark.parametrize("cls", LAYER_CLASSES)
def test_full_mask_agrees_with_no_mask(cls, rng):
    layer = cls(rng, N_IN, N_HIDDEN)
    x, m = T.tensor3("x"), T.matrix("m")
    xs = rng.normal(size=(N_STEPS, BATCH, N_IN))
    plain, masked = layer(x), layer(x, m)
    grads_plain = T.grad(T.sum(plain[-1] ** 2), layer.params)
    grads_masked = T.grad(T.sum(masked[-1] ** 2), layer.params)
    f = theano.function([x], [plain, *grads_plain])
    g = theano.function([x, m], [masked, *grads_masked])
    for a, b in zip(f(xs), g(xs, np.ones((N_STEPS, BATCH)))):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cls", LAYER_CLASSES)
def test_mask_stops_updates_on_padding(cls, rng):
    layer = cls(rng, N_IN, N_HIDDEN)
    x, m = T.tensor3("x"), T.matrix("m")
    length = 2
    mask = np.ones((N_STEPS, BATCH))
    mask[length:, 1] = 0  # sequence 1: 2 real steps, then padding
    h = layer(x, m)
    dx = T.grad(T.sum(h[-1]), x)
    f = theano.function([x, m], [h, dx])
    xs = rng.normal(size=(N_STEPS, BATCH, N_IN))
    states, grad_x = f(xs, mask)
    for t in range(length, N_STEPS):  # the state stays that of the last real step
        np.testing.assert_array_equal(states[t, 1], states[length - 1, 1])
    assert not np.allclose(states[length, 0], states[length - 1, 0])  # others move on
    np.testing.assert_array_equal(grad_x[length:, 1], 0.0)  # padding does not matter
    other = xs.copy()
    other[length:, 1] = 100.0  # whatever the padding holds
    np.testing.assert_array_equal(f(other, mask)[0][-1, 1], states[-1, 1])


def test_clip_by_norm_scales_to_the_bound(rng):
    a, b = T.vector("a"), T.matrix("b")
    clipped = clip_by_norm([a, b], 2.0)
    f = theano.function([a, b], clipped)
    av, bv = rng.normal(size=3) * 10, rng.normal(size=(2, 2)) * 10
    norm = np.sqrt(np.sum(av ** 2) + np.sum(bv ** 2))
    ca, cb = f(av, bv)
    np.testing.assert_allclose(ca, av * 2.0 / norm, rtol=1e-6)
    np.testing.assert_allclose(cb, bv * 2.0 / norm, rtol=1e-6)
    small_a, small_b = av / (10 * norm), bv / (10 * norm)  # total norm 0.1: unchanged
    for got, want in zip(f(small_a, small_b), (small_a, small_b)):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_grad_clip_on_the_state_clips_its_gradient(rng):
    x = T.tensor3("x")
    xs = rng.normal(size=(N_STEPS, BATCH, N_IN))
    largest = {}
    for bound in (None, 1e-3):
        layer = SimpleRNN(np.random.default_rng(5), N_IN, N_HIDDEN, grad_clip=bound)
        dx = theano.function([x], T.grad(T.sum(layer(x)[-1]) * 1000, x))
        largest[bound] = np.abs(dx(xs)).max()
    assert largest[None] > 1.0
    # Each state's gradient is at most 1e-3 per unit; through tanh' <= 1 and W:
    assert largest[1e-3] <= 1e-3 * np.abs(layer.W.get_value()).sum(axis=1).max() * N_STEPS


def _train(kind, n_hidden, epochs, learning_rate=0.01, clip_norm=None):
    data = load_digits()
    x, y = T.matrix("x"), T.ivector("y")
    model = SequenceClassifier(np.random.default_rng(0), x, (8, 8), n_hidden, 10, kind=kind)
    config = TrainConfig(rule="adam", learning_rate=learning_rate, batch_size=32,
                         max_epochs=epochs, patience=10, clip_norm=clip_norm)
    return train_classifier(model, x, y, data, config)


def test_short_seeded_lstm_run_learns_the_digits_by_row():
    result = _train("lstm", 16, epochs=3, clip_norm=5.0)
    assert result.test_accuracy >= 0.6  # chance is 0.1
    assert result.history.train_loss[-1] < result.history.train_loss[0]


@pytest.mark.slow
def test_lstm_reads_digits_row_by_row_to_95_percent():
    result = _train("lstm", 64, epochs=40)
    assert result.test_accuracy >= 0.95, result.summary("lstm")


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_test_values_through_a_layer_and_its_gradient(cls, rng):
    """With test values on, a masked layer and its gradient build, and every test value
    equals what the compiled function computes."""
    with theano.config.change_flags(compute_test_value="raise"):
        x, m = T.tensor3("x"), T.matrix("m")
        x.tag.test_value = rng.normal(size=(N_STEPS, BATCH, N_IN))
        m.tag.test_value = np.ones((N_STEPS, BATCH))
        layer = cls(rng, N_IN, N_HIDDEN)
        h = layer(x, m)
        grads = T.grad(T.sum(h[-1] ** 2), layer.params)
    f = theano.function([x, m], [h, *grads])
    for got, var in zip(f(x.tag.test_value, m.tag.test_value), [h, *grads]):
        np.testing.assert_allclose(got, var.tag.test_value, rtol=1e-12, atol=1e-12)
