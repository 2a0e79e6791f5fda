"""Keras 2.2's Theano backend on minitheano, through `minitheano.theano_alias` (issue 11,
item 6).  Slow, and skipped where Keras 2.2 is not installed
(`pip install keras==2.2.5 keras-applications keras-preprocessing`) or where the
modules it imports (theano.sandbox.rng_mrg, theano.tensor.signal.pool: chapter 8) are
not there yet.

Run in a fresh interpreter: the alias must be installed before Keras is imported.
Keras 2.2.5 itself imports `collections.Iterable`, gone since Python 3.10; the
program puts those names back first.  What it checks: each model's gradient (float64)
against finite differences of Keras's own loss, and that training lowers the loss.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="Keras not installed"),
    pytest.mark.skipif(importlib.util.find_spec("minitheano.sandbox.rng_mrg") is None or
                       importlib.util.find_spec("minitheano.tensor.signal") is None,
                       reason="Keras imports theano.sandbox.rng_mrg and theano.tensor.signal"),
]

PROGRAM = r'''
import collections, collections.abc
for name in ("Iterable", "Mapping", "Sequence", "MutableMapping", "Callable"):
    setattr(collections, name, getattr(collections.abc, name))  # Keras 2.2 predates 3.10
import minitheano.theano_alias  # noqa: F401
import numpy as np
from keras import backend as K
from keras.layers import LSTM, Conv2D, Dense, Flatten, MaxPooling2D, SimpleRNN
from keras.models import Sequential

assert K.backend() == "theano"
K.set_floatx("float64")
rng = np.random.RandomState(1)
SEQ = rng.randn(8, 5, 3)
IMG = rng.randn(8, 1, 6, 6)
Y = (rng.rand(8, 1) > 0.5).astype("float64")
MODELS = {
    "dense": (lambda: [Dense(6, activation="relu", input_shape=(5, 3)), Flatten()], SEQ),
    "simple_rnn": (lambda: [SimpleRNN(4, input_shape=(5, 3))], SEQ),
    "lstm": (lambda: [LSTM(4, input_shape=(5, 3))], SEQ),
    "conv": (lambda: [Conv2D(2, (3, 3), activation="tanh", input_shape=(1, 6, 6),
                             data_format="channels_first"),
                      MaxPooling2D((2, 2), data_format="channels_first"), Flatten()], IMG),
}
for name, (layers, x) in MODELS.items():
    model = Sequential(layers() + [Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    inputs = [model.inputs[0], model.targets[0], model.sample_weights[0]]
    f = K.function(inputs, [model.total_loss] + K.gradients(model.total_loss,
                                                            model.trainable_weights))
    data = [x, Y, np.ones(len(x))]
    grads = f(data)[1:]
    worst = 0.0
    for w, g in zip(model.trainable_weights, grads):
        value = K.get_value(w)
        for idx in list(np.ndindex(value.shape))[:5]:
            losses = []
            for step in (1e-6, -1e-6):
                moved = value.copy()
                moved[idx] += step
                K.set_value(w, moved)
                losses.append(f(data)[0])
            K.set_value(w, value)
            numeric = (losses[0] - losses[1]) / 2e-6
            worst = max(worst, abs(numeric - g[idx]) / max(1e-6, abs(numeric) + abs(g[idx])))
    history = model.fit(x, Y, epochs=20, batch_size=8, verbose=0).history["loss"]
    print(name, worst, history[0], history[-1])
'''


def test_keras_models_have_correct_gradients_and_train(tmp_path):
    env = dict(os.environ, KERAS_BACKEND="theano", KERAS_HOME=str(tmp_path),
               PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, "-c", PROGRAM], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = [line.split() for line in run.stdout.splitlines() if line.split()[0] in
             ("dense", "simple_rnn", "lstm", "conv")]
    assert [fields[0] for fields in lines] == ["dense", "simple_rnn", "lstm", "conv"]
    for name, worst, first, last in lines:
        assert float(worst) < 1e-4, f"{name}: gradient differs from finite differences"
        assert float(last) < float(first), f"{name}: training did not lower the loss"
