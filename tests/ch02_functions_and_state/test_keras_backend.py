"""Keras 2.2's Theano backend on minitheano, through `minitheano.theano_alias` (issue 11,
item 6).  Slow, and skipped where Keras is not installed (`pip install -e ".[keras]"`);
.ci/run installs it and runs this file with `-m slow`.

The programs are in keras_check.py, run in a fresh interpreter (the alias must be installed
before Keras is imported).  What they check:

- each model's gradient (float64) against central differences of Keras's own loss, and that
  training lowers the loss (Dense, SimpleRNN, LSTM, Conv2D + MaxPooling2D, and bilinear
  UpSampling2D + a he_normal Conv2D);
- Keras trains Dense, Conv2D + MaxPooling2D, SimpleRNN and LSTM models on chapter 8's
  digits to a fixed test accuracy, and to the accuracy (and the weights) of the same
  architecture written directly in minitheano by chapters 8 and 9, trained from the same
  start on the same minibatches with the same Adam.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = Path(__file__).with_name("keras_check.py")
MODELS = ["dense", "conv", "simple_rnn", "lstm"]
GRADIENT_MODELS = [*MODELS, "upsampling"]  # also: UpSampling2D(bilinear), he_normal

# Test accuracy after 10 epochs, measured 96.7-97.7% (dense), 97.0-98.0% (conv),
# 94.7-96.0% (simple_rnn), 93.7-95.3% (lstm) over initial seeds 0-2; the bars keep a margin.
ACCURACY_BAR = {"dense": 0.95, "conv": 0.95, "simple_rnn": 0.92, "lstm": 0.91}
# Keras and the reference start equal and take the same steps: their weights differ only by
# rounding (measured <= 3e-9 after 380 steps), and their test accuracies by at most this.
WEIGHT_TOLERANCE = 1e-5
ACCURACY_MARGIN = 0.01
GRADIENT_TOLERANCE = 1e-4  # relative, against central differences

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("keras") is None, reason="Keras not installed"),
]


def run_program(command: str, tmp_path: Path) -> dict[str, dict]:
    """keras_check.py's JSON lines, one per model, by model name."""
    env = dict(os.environ, KERAS_BACKEND="theano", KERAS_HOME=str(tmp_path),
               PYTHONPATH=str(ROOT))
    run = subprocess.run([sys.executable, str(PROGRAM), command], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    return {row["model"]: row for row in rows}


def test_keras_models_have_correct_gradients_and_train(tmp_path):
    results = run_program("gradients", tmp_path)
    assert sorted(results) == sorted(GRADIENT_MODELS)
    for name, row in results.items():
        assert row["gradient_error"] < GRADIENT_TOLERANCE, \
            f"{name}: gradient differs from finite differences"
        assert row["last_loss"] < row["first_loss"], f"{name}: training did not lower the loss"


def test_keras_trains_digit_models_as_minitheano_does(tmp_path):
    results = run_program("digits", tmp_path)
    assert sorted(results) == sorted(MODELS)
    for name, row in results.items():
        print(name, {k: v for k, v in row.items() if k != "model"})
        assert row["keras_accuracy"] == pytest.approx(row["keras_predict_accuracy"]), \
            f"{name}: Keras's accuracy metric disagrees with its own predictions"
        assert row["keras_accuracy"] >= ACCURACY_BAR[name], name
        assert abs(row["keras_accuracy"] - row["reference_accuracy"]) <= ACCURACY_MARGIN, name
        assert row["weight_difference"] < WEIGHT_TOLERANCE, \
            f"{name}: Keras's training diverged from chapter 8/9's"
        assert row["last_loss"] < row["first_loss"] / 5, name
