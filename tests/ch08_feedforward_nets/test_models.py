"""Chapter 8's models: the loss and its gradient by hand against numpy and T.grad; the two
ways of feeding minibatches agree; short seeded trainings reach their bars on the digits
(the full targets are slow tests); the second seed's net runs as written."""

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano.examples import lenet, logistic, mlp
from minitheano.examples.data import load_digits
from minitheano.examples.seed_net import SEED_NET, run_seed_net
from minitheano.examples.train import TrainConfig, minibatches, train_classifier

DIGITS = load_digits()
ROOT = Path(__file__).resolve().parents[2]


def numpy_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def random_problem(seed, n=7, n_in=5, n_out=4):
    rng = np.random.default_rng(seed)
    x, y, model = logistic.build(n_in, n_out)
    model.W.set_value(rng.normal(size=(n_in, n_out)))
    model.b.set_value(rng.normal(size=n_out))
    return x, y, model, rng.normal(size=(n, n_in)), rng.integers(0, n_out, n).astype(np.int32)


@pytest.mark.parametrize("seed", range(3))
def test_logistic_loss_errors_and_prediction_against_numpy(seed):
    x, y, model, xv, yv = random_problem(seed)
    f = theano.function([x, y], [model.negative_log_likelihood(y), model.errors(y),
                                 model.y_pred])
    nll, errors, pred = f(xv, yv)
    p = numpy_softmax(xv @ model.W.get_value() + model.b.get_value())
    np.testing.assert_allclose(nll, -np.mean(np.log(p[np.arange(len(yv)), yv])), rtol=1e-12)
    np.testing.assert_array_equal(pred, p.argmax(axis=1))
    assert errors == np.mean(p.argmax(axis=1) != yv)


@pytest.mark.parametrize("seed", range(3))
def test_softmax_nll_gradient_by_hand_is_t_grad(seed):
    x, y, model, xv, yv = random_problem(seed)
    by_hand = model.gradients_by_hand(y)
    automatic = T.grad(model.negative_log_likelihood(y), model.params)
    values = theano.function([x, y], by_hand + automatic)(xv, yv)
    for mine, reference in zip(values[:2], values[2:]):
        np.testing.assert_allclose(mine, reference, rtol=1e-10, atol=1e-14)
    # and against numpy's (p - onehot(y)) / n, with the logits perturbed by finite differences
    z = xv @ model.W.get_value() + model.b.get_value()
    d_logits = theano.function([x, y], logistic.softmax_nll_grad(model.p_y_given_x, y))(xv, yv)

    def nll(z):
        return -np.mean(np.log(numpy_softmax(z)[np.arange(len(yv)), yv]))
    h, numeric = 1e-6, np.zeros_like(z)
    for index in np.ndindex(*z.shape):
        dz = np.zeros_like(z)
        dz[index] = h
        numeric[index] = (nll(z + dz) - nll(z - dz)) / (2 * h)
    np.testing.assert_allclose(d_logits, numeric, rtol=1e-6, atol=1e-9)


def test_training_with_gradients_by_hand_follows_t_grad():
    from minitheano.examples.updates import sgd
    trajectories = []
    for by_hand in (False, True):
        x, y, model = logistic.build()
        cost = model.negative_log_likelihood(y)
        grads = model.gradients_by_hand(y) if by_hand else cost
        step = theano.function([x, y], cost, updates=sgd(grads, model.params, 0.5))
        losses = [float(step(b.x, b.y)) for b in minibatches(DIGITS.train, 64)]
        trajectories.append((losses, model.W.get_value()))
    np.testing.assert_allclose(trajectories[0][0], trajectories[1][0], rtol=1e-9)
    np.testing.assert_allclose(trajectories[0][1], trajectories[1][1], rtol=1e-9, atol=1e-12)
    assert trajectories[0][0][-1] < 0.6 * trajectories[0][0][0]  # it learned


def test_minibatches_through_givens_and_as_arrays_take_the_same_steps():
    """One epoch, batches in order: the classic shared-data step equals the array step."""
    from minitheano.examples.train import SharedSplit, compile_givens_step
    from minitheano.examples.updates import momentum
    results = []
    for feed in ("givens", "arrays"):
        x, y, model = mlp.build(n_hidden=(16,), seed=5)
        cost = model.negative_log_likelihood(y)
        updates = momentum(cost, model.params, learning_rate=0.05)
        if feed == "givens":
            step = compile_givens_step(x, y, cost, updates, SharedSplit.of(DIGITS.train), 32)
            losses = [float(step(i)) for i in range(len(DIGITS.train) // 32)]
        else:
            step = theano.function([x, y], cost, updates=updates)
            losses = [float(step(b.x, b.y)) for b in minibatches(DIGITS.train, 32)]
        results.append((losses, [p.get_value() for p in model.params]))
    assert len(results[0][0]) == 37
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-10)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_minibatches_cover_the_split_once_in_a_seeded_order():
    from minitheano.examples.data import Split
    numbered = Split(np.arange(100.0).reshape(100, 1), np.arange(100, dtype=np.int32))
    batches = minibatches(numbered, 32, np.random.default_rng(0))
    assert [len(b) for b in batches] == [32, 32, 32]  # the last 4 rows wait for next epoch
    rows = np.concatenate([b.y for b in batches])
    assert len(set(rows)) == 96 and not np.array_equal(rows, np.arange(96))
    np.testing.assert_array_equal(np.concatenate([b.x[:, 0] for b in batches]), rows)
    again = minibatches(numbered, 32, np.random.default_rng(0))
    np.testing.assert_array_equal(again[1].y, batches[1].y)
    in_order = minibatches(numbered, 32)
    np.testing.assert_array_equal(in_order[2].y, np.arange(64, 96))


# -- short trainings on the digits (the full targets: test_*_target, marked slow) -----------

def test_logistic_regression_learns_the_digits_quickly():
    x, y, model = logistic.build()
    result = train_classifier(model, x, y, DIGITS, replace(logistic.TRAINING, max_epochs=8))
    assert result.test_accuracy >= 0.93
    assert result.history.train_loss[-1] < result.history.train_loss[0]


def test_mlp_learns_the_digits_quickly_with_arrays_and_adam():
    x, y, model = mlp.build(n_hidden=(64,))
    config = TrainConfig(rule="adam", learning_rate=0.005, max_epochs=8, feed="arrays")
    result = train_classifier(model, x, y, DIGITS, config)
    assert result.test_accuracy >= 0.95


def test_training_rejects_unknown_rules_and_feeds():
    x, y, model = logistic.build()
    with pytest.raises(ValueError, match="unknown update rule 'adagrad'"):
        train_classifier(model, x, y, DIGITS, TrainConfig(rule="adagrad"))
    with pytest.raises(ValueError, match="feed must be 'givens' or 'arrays'"):
        train_classifier(model, x, y, DIGITS, TrainConfig(feed="queue"))


@pytest.mark.slow
def test_logistic_regression_target():
    x, y, model = logistic.build()
    result = train_classifier(model, x, y, DIGITS, logistic.TRAINING)
    assert result.test_accuracy >= 0.94 and result.seconds < 60


@pytest.mark.slow
def test_mlp_target():
    x, y, model = mlp.build()
    result = train_classifier(model, x, y, DIGITS, mlp.TRAINING)
    assert result.test_accuracy >= 0.97 and result.seconds < 60


def numpy_lenet(net, images):
    """The LeNet's forward pass by plain loops: true convolution (filters flipped) with one
    pixel of zero padding, 2x2 max pooling, relu, then the dense layers."""
    def conv_half(maps, filters):
        n, c, h, w = maps.shape
        padded = np.pad(maps, ((0, 0), (0, 0), (1, 1), (1, 1)))
        flipped = filters[:, :, ::-1, ::-1]
        out = np.zeros((n, len(filters), h, w))
        for i in range(h):
            for j in range(w):
                window = padded[:, :, i:i + 3, j:j + 3]
                out[:, :, i, j] = np.einsum("nckl,fckl->nf", window, flipped)
        return out

    def pool(maps):
        n, c, h, w = maps.shape
        return maps.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))

    maps = images.reshape(-1, 1, 8, 8)
    for layer in net.conv_layers:
        b = layer.b.get_value()[None, :, None, None]
        maps = np.maximum(pool(conv_half(maps, layer.W.get_value())) + b, 0)
    hidden = np.maximum(maps.reshape(len(maps), -1) @ net.hidden.W.get_value()
                        + net.hidden.b.get_value(), 0)
    out = net.output_layer
    return numpy_softmax(hidden @ out.W.get_value() + out.b.get_value())


def test_lenet_forward_pass_against_numpy_loops():
    x, y, net = lenet.build(n_filters=(4, 6), n_hidden=8)
    rng = np.random.default_rng(2)
    for layer in (net.output_layer,):  # zeros at the start: give it values to check
        layer.W.set_value(rng.normal(size=layer.W.get_value().shape))
        layer.b.set_value(rng.normal(size=layer.b.get_value().shape))
    for layer in net.conv_layers:
        layer.b.set_value(rng.normal(size=layer.b.get_value().shape) * 0.1)
    images = DIGITS.test.x[:5]
    predicted = theano.function([x], net.p_y_given_x)(images)
    np.testing.assert_allclose(predicted, numpy_lenet(net, images), rtol=1e-10)


def test_lenet_learns_the_digits_in_two_epochs():
    x, y, model = lenet.build(n_filters=(8, 16))
    result = train_classifier(model, x, y, DIGITS, replace(lenet.TRAINING, max_epochs=2))
    assert result.valid_error < 0.3 and result.test_accuracy > 0.7


@pytest.mark.slow
def test_lenet_target():
    x, y, model = lenet.build()
    result = train_classifier(model, x, y, DIGITS, lenet.TRAINING)
    assert result.test_accuracy >= 0.98 and result.seconds < 60


@pytest.mark.slow
@pytest.mark.parametrize("module", ["logistic", "mlp", "lenet"])
def test_command_line_training(module):
    out = subprocess.run([sys.executable, "-m", f"minitheano.examples.{module}"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    accuracy = float(re.search(r"test accuracy ([\d.]+)%", out).group(1))
    assert accuracy >= {"logistic": 94, "mlp": 97, "lenet": 98}[module]


# -- the second seed's feedforward net -----------------------------------------------------

SEED_FILE = Path("/work/shared/seeds/001_5a6b19f273db3dee.txt")


@pytest.mark.skipif(not SEED_FILE.exists(), reason="the seed's text is not on this machine")
def test_seed_net_is_the_posts_code_unchanged():
    blocks = re.findall(r"```python\n(.*?)```", SEED_FILE.read_text(), re.S)
    assert SEED_NET == blocks[1] + "\n" + blocks[2]


def test_seed_net_runs_as_written_and_learns():
    run = run_seed_net(num_epochs=300, batch_size=64)
    lines = run.printed.splitlines()
    assert len(lines) == 300 and lines[0].startswith("Epoch: 0, Loss: ")
    losses = [float(line.rsplit(" ", 1)[1]) for line in lines]
    assert np.mean(losses[-30:]) < 0.6 * np.mean(losses[:30])
    ns = run.namespace
    assert ns["predictions"].shape == (len(ns["X_test"]), 5)
    np.testing.assert_allclose(ns["predictions"].sum(axis=1), 1.0, rtol=1e-12)
    # the post's `predict` is its forward pass: numpy agrees
    w1, b1, w2, b2 = (ns[n].get_value() for n in ("W1", "b1", "W2", "b2"))
    expected = numpy_softmax(np.tanh(ns["X_test"] @ w1 + b1) @ w2 + b2)
    np.testing.assert_allclose(ns["predictions"], expected, rtol=1e-10)
    assert "theano" not in sys.modules  # the alias was taken back


def test_seed_net_is_repeatable_and_leaves_numpys_global_generator_alone():
    np.random.seed(123)
    expected_next = np.random.random()
    np.random.seed(123)
    first = run_seed_net(num_epochs=20)
    assert np.random.random() == expected_next
    second = run_seed_net(num_epochs=20)
    assert first.printed == second.printed
    np.testing.assert_array_equal(first.namespace["predictions"],
                                  second.namespace["predictions"])


@pytest.mark.slow
def test_seed_net_reaches_90_percent_on_digits_0_to_4():
    assert run_seed_net(num_epochs=3000).test_accuracy >= 0.9


# -- progress and pictures ------------------------------------------------------------------

def test_progress_bar_shows_loss_and_validation_accuracy(capsys):
    pytest.importorskip("tqdm")
    x, y, model = logistic.build()
    config = replace(logistic.TRAINING, max_epochs=2, progress=True)
    result = train_classifier(model, x, y, DIGITS, config)
    bar = capsys.readouterr().err
    assert "epochs" in bar and "2/2" in bar
    assert f"valid={100 * (1 - result.history.valid_error[-1]):.1f}%" in bar


def test_confusion_counts_and_pictures():
    from matplotlib.figure import Figure

    from minitheano.examples import plots
    labels = np.array([0, 0, 1, 2, 2, 2])
    predicted = np.array([0, 1, 1, 2, 0, 2])
    np.testing.assert_array_equal(plots.confusion(labels, predicted, 3),
                                  [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert isinstance(plots.confusion_matrix(labels, predicted, 3), Figure)
    x, y, model = logistic.build()
    history = train_classifier(model, x, y, DIGITS,
                               replace(logistic.TRAINING, max_epochs=2)).history
    fig = plots.curves({"logistic": history})
    loss_axis = fig.axes[0]
    np.testing.assert_allclose(loss_axis.lines[0].get_ydata(), history.train_loss)
    grid = plots.images(DIGITS.test.x[:12].reshape(-1, 8, 8), columns=5)
    assert len(grid.axes) == 15 and len(grid.axes[0].images) == 1


def test_train_config_reads_as_a_sentence():
    config = TrainConfig(rule="momentum", learning_rate=0.02, rule_options={"momentum": 0.8},
                         weight_decay=1e-4, batch_size=16, max_epochs=5, patience=2)
    assert str(config) == ("momentum (learning rate 0.02, momentum 0.8, weight decay 0.0001), "
                           "minibatches of 16 through givens, at most 5 epochs, patience 2")


@pytest.mark.parametrize("labels,error,message", [
    ([0, 10, 2], IndexError, r"class index 10 \(row 1\) is out of range for 10 classes"),
    ([0, -1, 2], IndexError, r"class index -1 \(row 1\) is out of range"),
    ([0, 1], ValueError, r"3 rows of probabilities \(shape \(3, 10\)\) but 2 class indices"),
])
def test_bad_labels_are_named_not_read_from_elsewhere(labels, error, message):
    x, y, model = logistic.build()
    cost = theano.function([x, y], model.negative_log_likelihood(y))
    with pytest.raises(error, match=message):
        cost(np.zeros((3, 64)), np.array(labels, dtype=np.int32))


def test_labels_of_the_wrong_dtype_are_refused():
    x, y, model = logistic.build()
    with pytest.raises(TypeError, match="integer vector of class indices, got "
                                        r"TensorType\(float64, vector\)"):
        model.negative_log_likelihood(T.dvector("labels"))
    cost = theano.function([x, y], model.negative_log_likelihood(y))
    with pytest.raises(TypeError, match="Bad input argument 'y'"):
        cost(np.zeros((3, 64)), np.array([0.0, 1.0, 2.0]))


def test_recorded_loss_is_the_nll_without_the_weight_decay_penalty():
    """With a zero learning rate nothing moves: each step's recorded loss must be the
    batch's NLL at the initial weights, not NLL + the (large, nonzero) penalty."""
    from minitheano.examples.train import compile_steps
    x, y, model = mlp.build(n_hidden=(16,))
    config = TrainConfig(rule="sgd", learning_rate=0.0, weight_decay=1.0, feed="arrays")
    run_epoch = compile_steps(model, x, y, DIGITS.train, config)
    losses = run_epoch(None)  # no generator: batches in order
    nll = theano.function([x, y], model.negative_log_likelihood(y))
    expected = [float(nll(b.x, b.y)) for b in minibatches(DIGITS.train, 32)]
    np.testing.assert_allclose(losses, expected, rtol=1e-12)
