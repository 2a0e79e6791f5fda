"""Keras 2.2's Theano backend on minitheano: the program test_keras_backend.py runs.

    KERAS_BACKEND=theano python tests/ch02_functions_and_state/keras_check.py gradients
    KERAS_BACKEND=theano python tests/ch02_functions_and_state/keras_check.py digits

It runs in a fresh interpreter because the alias must be installed before Keras is
imported.  Each command prints one JSON line per model.

`gradients`: each model's gradient (float64) against central differences of Keras's own
loss, on a few random inputs.

`digits`: Keras trains the usual models on chapter 8's 8x8 digits, and the same
architecture, written directly in minitheano by chapters 8 and 9 (`examples.mlp.MLP`,
`examples.lenet.LeNet`, `examples.recurrent.SequenceClassifier`), trains beside it as the
reference: started from Keras's initial weights, fed the same minibatches in the same order,
stepped by chapter 8's Adam with Keras's epsilon.  No TensorFlow exists for Keras 2.2 on this
Python, so this is "the accuracy the same code reaches elsewhere": the two share minitheano's
ops but none of Keras's backend, layers, losses or optimizer code, so any slip in how Keras
is served (a transposed kernel, a gate out of order, a wrong update) shows up as diverging
weights.
"""

from __future__ import annotations

import collections
import collections.abc
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Keras 2.2 imports these from `collections`, where they were until Python 3.10.
for _name in ("Iterable", "Mapping", "Sequence", "MutableMapping", "Callable"):
    setattr(collections, _name, getattr(collections.abc, _name))

import minitheano.theano_alias  # noqa: E402, F401  (the one-line shim: `import theano` works)

# isort: split
import numpy as np  # noqa: E402
from keras import backend as K  # noqa: E402
from keras.layers import (  # noqa: E402
    LSTM,
    Activation,
    Conv2D,
    Dense,
    Flatten,
    MaxPooling2D,
    SimpleRNN,
    UpSampling2D,
)
from keras.models import Sequential  # noqa: E402
from keras.optimizers import Adam  # noqa: E402

import minitheano as theano  # noqa: E402
import minitheano.tensor as T  # noqa: E402
from minitheano.examples.data import load_digits  # noqa: E402
from minitheano.examples.lenet import LeNet  # noqa: E402
from minitheano.examples.mlp import MLP  # noqa: E402
from minitheano.examples.recurrent import SequenceClassifier  # noqa: E402
from minitheano.examples.updates import adam  # noqa: E402

EPOCHS, BATCH_SIZE, LEARNING_RATE = 10, 32, 0.01
N_HIDDEN, N_FILTERS = 32, 8
FD_STEP = 1e-6
FD_ENTRIES = 5  # entries of each weight moved by the finite-difference check
SEED = 0

assert K.backend() == "theano"
K.set_floatx("float64")
theano.config.floatX = "float64"  # Keras sets minitheano's floatX from its own on import


def check_gradients() -> None:
    """Keras's gradients of small models against central differences of its loss."""
    rng = np.random.RandomState(1)
    seq, img = rng.randn(8, 5, 3), rng.randn(8, 1, 6, 6)
    y = (rng.rand(8, 1) > 0.5).astype("float64")
    models = {
        "dense": (lambda: [Dense(6, activation="relu", input_shape=(5, 3)), Flatten()], seq),
        "simple_rnn": (lambda: [SimpleRNN(4, input_shape=(5, 3))], seq),
        "lstm": (lambda: [LSTM(4, input_shape=(5, 3))], seq),
        "conv": (lambda: [Conv2D(2, (3, 3), activation="tanh", input_shape=(1, 6, 6),
                                 data_format="channels_first"),
                          MaxPooling2D((2, 2), data_format="channels_first"), Flatten()], img),
        # he_normal draws MRG's truncated normal; bilinear upsampling is abstract_conv's.
        "upsampling": (lambda: [UpSampling2D(interpolation="bilinear", input_shape=(1, 6, 6),
                                             data_format="channels_first"),
                                Conv2D(2, (3, 3), kernel_initializer="he_normal",
                                       data_format="channels_first"), Flatten()], img),
    }
    for name, (layers, x) in models.items():
        model = Sequential(layers() + [Dense(1, activation="sigmoid")])
        model.compile("adam", "binary_crossentropy")
        inputs = [model.inputs[0], model.targets[0], model.sample_weights[0]]
        f = K.function(inputs, [model.total_loss] + K.gradients(model.total_loss,
                                                                model.trainable_weights))
        data = [x, y, np.ones(len(x))]
        grads = f(data)[1:]
        worst = 0.0
        for w, g in zip(model.trainable_weights, grads):
            value = K.get_value(w)
            for idx in list(np.ndindex(value.shape))[:FD_ENTRIES]:
                losses = []
                for step in (FD_STEP, -FD_STEP):
                    moved = value.copy()
                    moved[idx] += step
                    K.set_value(w, moved)
                    losses.append(f(data)[0])
                K.set_value(w, value)
                numeric = (losses[0] - losses[1]) / (2 * FD_STEP)
                worst = max(worst, abs(numeric - g[idx]) / max(1e-6, abs(numeric) + abs(g[idx])))
        history = model.fit(x, y, epochs=20, batch_size=8, verbose=0).history["loss"]
        print(json.dumps({"model": name, "gradient_error": worst,
                          "first_loss": history[0], "last_loss": history[-1]}), flush=True)


def lstm_gates_as_chapter_9(w: np.ndarray) -> np.ndarray:
    """Keras puts an LSTM's gates side by side as (input, forget, cell, output); chapter 9's
    LSTM as (input, forget, output, cell)."""
    i, f, c, o = np.split(w, 4, axis=-1)
    return np.concatenate([i, f, o, c], axis=-1)


def conv_kernel_as_chapter_8(weights: list[np.ndarray]) -> list[np.ndarray]:
    """Keras keeps a kernel as (rows, cols, in, out); its Theano backend dimshuffles it to
    Theano's (out, in, rows, cols) and convolves (flipping the filter, unlike TensorFlow's
    backend), as chapter 8's conv2d does: no flip here."""
    return [weights[0].transpose(3, 2, 0, 1)] + weights[1:]


@dataclass
class DigitModel:
    """One architecture twice: Keras's layers (before the softmax) and chapter 8/9's model."""

    keras_layers: list
    reference: Any  # its .params are in the order of Keras's model.get_weights()
    to_reference: Callable[[list[np.ndarray]], list[np.ndarray]]  # Keras's weights, as its
    image_shape: tuple[int, ...]  # one image as Keras's first layer takes it


def digit_models(x: T.TensorVariable, rng: np.random.Generator) -> dict[str, DigitModel]:
    channels_first = {"data_format": "channels_first"}
    return {
        "dense": DigitModel([Dense(N_HIDDEN, activation="relu", input_shape=(64,))],
                            MLP(rng, x, 64, (N_HIDDEN,), 10, "relu"), list, (64,)),
        # Chapter 8's layer is relu(max_pool(conv) + b): in Keras, conv (with its bias),
        # pool, then relu.  (Max and a per-map bias commute, so that is the same function.)
        "conv": DigitModel(
            [Conv2D(N_FILTERS, (3, 3), padding="same", input_shape=(1, 8, 8), **channels_first),
             MaxPooling2D((2, 2), **channels_first), Activation("relu"), Flatten(),
             Dense(N_HIDDEN, activation="relu")],
            LeNet(rng, x, (8, 8), (N_FILTERS,), N_HIDDEN, 10), conv_kernel_as_chapter_8,
            (1, 8, 8)),
        "simple_rnn": DigitModel([SimpleRNN(N_HIDDEN, input_shape=(8, 8))],
                                 SequenceClassifier(rng, x, (8, 8), N_HIDDEN, 10, "rnn"),
                                 list, (8, 8)),
        # Keras 2.2's LSTM defaults to hard_sigmoid gates; chapter 9's uses the sigmoid.
        "lstm": DigitModel(
            [LSTM(N_HIDDEN, recurrent_activation="sigmoid", input_shape=(8, 8))],
            SequenceClassifier(rng, x, (8, 8), N_HIDDEN, 10, "lstm"),
            lambda ws: [lstm_gates_as_chapter_9(w) for w in ws[:3]] + ws[3:], (8, 8)),
    }


def train_reference(model, x: T.TensorVariable, train) -> None:
    """Chapter 8's training step, over the minibatches Keras's fit(shuffle=False) takes."""
    y = T.ivector("y")
    cost = model.negative_log_likelihood(y)
    step = theano.function([x, y], cost, updates=adam(cost, model.params, LEARNING_RATE,
                                                      epsilon=K.epsilon()))
    for _ in range(EPOCHS):
        for start in range(0, len(train), BATCH_SIZE):
            step(train.x[start:start + BATCH_SIZE], train.y[start:start + BATCH_SIZE])


def train_on_digits() -> None:
    """Keras and the chapter 8/9 reference, trained side by side on the digits."""
    data = load_digits()
    one_hot = np.eye(data.n_classes)
    x = T.matrix("x")
    np.random.seed(SEED)  # Keras's initializers draw from numpy's global generator
    models = digit_models(x, np.random.default_rng(SEED))
    for name, twins in models.items():
        reference, as_reference, shape = twins.reference, twins.to_reference, twins.image_shape
        start = time.perf_counter()
        model = Sequential(twins.keras_layers + [Dense(data.n_classes, activation="softmax")])
        model.compile(Adam(lr=LEARNING_RATE), "categorical_crossentropy", metrics=["accuracy"])
        for param, value in zip(reference.params, as_reference(model.get_weights())):
            param.set_value(np.ascontiguousarray(value))
        train_x = data.train.x.reshape((-1, *shape))
        test_x = data.test.x.reshape((-1, *shape))
        history = model.fit(train_x, one_hot[data.train.y], batch_size=BATCH_SIZE,
                            epochs=EPOCHS, shuffle=False, verbose=0).history["loss"]
        _, keras_accuracy = model.evaluate(test_x, one_hot[data.test.y], verbose=0)
        predicted = model.predict(test_x).argmax(axis=1)
        train_reference(reference, x, data.train)
        reference_predicted = theano.function([x], reference.output_layer.y_pred)(data.test.x)
        weight_difference = max(
            float(np.abs(k - r.get_value()).max())
            for k, r in zip(as_reference(model.get_weights()), reference.params))
        print(json.dumps({
            "model": name,
            "keras_accuracy": float(keras_accuracy),
            "keras_predict_accuracy": float(np.mean(predicted == data.test.y)),
            "reference_accuracy": float(np.mean(reference_predicted == data.test.y)),
            "weight_difference": weight_difference,
            "first_loss": history[0], "last_loss": history[-1],
            "seconds": time.perf_counter() - start,
        }), flush=True)


if __name__ == "__main__":
    {"gradients": check_gradients, "digits": train_on_digits}[sys.argv[1]]()
