"""Saving and loading (chapter 8): parameters through get_value/set_value and .npz files,
a trained model loaded in a new process, and pickling of shared variables, graphs and
compiled functions (in every mode, and in a new process)."""

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minitheano as theano
from minitheano.examples import mlp
from minitheano.examples.data import load_digits
from minitheano.examples.params import load_params, save_params
from minitheano.examples.updates import momentum

DIGITS = load_digits()
ROOT = Path(__file__).resolve().parents[2]


def trained_mlp(seed=3, hidden=(24,)):
    """An MLP after a few steps, so its weights are not its initial ones."""
    x, y, model = mlp.build(n_hidden=hidden, seed=seed)
    cost = model.negative_log_likelihood(y)
    step = theano.function([x, y], cost, updates=momentum(cost, model.params, 0.05))
    for start in range(0, 320, 32):
        step(DIGITS.train.x[start:start + 32], DIGITS.train.y[start:start + 32])
    return x, model


def test_npz_round_trip_gives_the_same_predictions(tmp_path):
    x, model = trained_mlp()
    predict = theano.function([x], model.p_y_given_x)
    before = predict(DIGITS.test.x)
    save_params(tmp_path / "mlp.npz", model.params)
    x2, y2, fresh = mlp.build(n_hidden=(24,), seed=99)  # other initial weights
    predict_fresh = theano.function([x2], fresh.p_y_given_x)
    assert not np.allclose(predict_fresh(DIGITS.test.x), before)
    load_params(tmp_path / "mlp.npz", fresh.params)
    np.testing.assert_array_equal(predict_fresh(DIGITS.test.x), before)
    for saved, loaded in zip(model.params, fresh.params):
        np.testing.assert_array_equal(saved.get_value(), loaded.get_value())


def test_loading_into_another_architecture_names_the_file_and_the_parameter(tmp_path):
    _, model = trained_mlp()
    path = tmp_path / "mlp.npz"
    save_params(path, model.params)
    _, _, wider = mlp.build(n_hidden=(32,))
    before = [p.get_value() for p in wider.params]
    with pytest.raises(ValueError, match=r"mlp.npz: 000_W is float64\[64, 24\], the model's W "
                                         r"is float64\[64, 32\]"):
        load_params(path, wider.params)
    for param, value in zip(wider.params, before):  # nothing was half-loaded
        np.testing.assert_array_equal(param.get_value(), value)
    _, _, deeper = mlp.build(n_hidden=(24, 24))
    with pytest.raises(ValueError, match=r"mlp.npz: holds the parameters \['000_W', '001_b', "
                                         r"'002_W', '003_b'\], the model has"):
        load_params(path, deeper.params)


LOAD_IN_A_NEW_PROCESS = """
import sys
import numpy as np
import minitheano as theano
from minitheano.examples import mlp
from minitheano.examples.data import load_digits
from minitheano.examples.params import load_params
x, y, model = mlp.build(n_hidden=(24,), seed=0)
load_params(sys.argv[1], model.params)
np.save(sys.argv[2], theano.function([x], model.p_y_given_x)(load_digits().test.x))
"""


def test_a_saved_model_predicts_the_same_in_a_new_process(tmp_path):
    x, model = trained_mlp()
    expected = theano.function([x], model.p_y_given_x)(DIGITS.test.x)
    save_params(tmp_path / "mlp.npz", model.params)
    subprocess.run([sys.executable, "-c", LOAD_IN_A_NEW_PROCESS, str(tmp_path / "mlp.npz"),
                    str(tmp_path / "predictions.npy")], cwd=ROOT, check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "predictions.npy"), expected)


# -- pickle ----------------------------------------------------------------------------

def test_pickled_shared_variable_keeps_its_value_name_and_type():
    _, model = trained_mlp()
    w = model.params[0]
    copy = pickle.loads(pickle.dumps(w))
    np.testing.assert_array_equal(copy.get_value(), w.get_value())
    assert copy.name == w.name and copy.type == w.type
    copy.set_value(np.zeros_like(w.get_value()))  # a copy, not the same storage
    assert np.abs(w.get_value()).sum() > 0


def pickled_graph():
    x, model = trained_mlp()
    expected = theano.function([x], model.p_y_given_x, mode="FAST_COMPILE")(DIGITS.test.x)
    x2, out2 = pickle.loads(pickle.dumps((x, model.p_y_given_x)))
    return x2, out2, expected


def test_pickled_graph_compiles_and_runs_in_fast_compile():
    x, out, expected = pickled_graph()
    f = theano.function([x], out, mode="FAST_COMPILE")
    np.testing.assert_allclose(f(DIGITS.test.x), expected, rtol=1e-12)


def test_pickled_graph_compiles_and_runs_in_fast_run():
    """It once failed: 'Elemwise{add,inplace}: the C kernel failed with code 1' (issue 11a)."""
    x, out, expected = pickled_graph()
    f = theano.function([x], out, mode="FAST_RUN")
    np.testing.assert_allclose(f(DIGITS.test.x), expected, rtol=1e-12)


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN"])
def test_pickled_compiled_function_predicts_the_same(mode):
    x, model = trained_mlp()
    f = theano.function([x], model.p_y_given_x, mode=mode)
    g = pickle.loads(pickle.dumps(f))
    np.testing.assert_array_equal(g(DIGITS.test.x), f(DIGITS.test.x))


LOAD_A_PICKLED_FUNCTION = """
import pickle, sys
import numpy as np
from minitheano.examples.data import load_digits
with open(sys.argv[1], "rb") as f:
    predict = pickle.load(f)
np.save(sys.argv[2], predict(load_digits().test.x))
"""


def test_a_pickled_compiled_function_predicts_the_same_in_a_new_process(tmp_path):
    x, model = trained_mlp()
    predict = theano.function([x], model.p_y_given_x)
    with open(tmp_path / "predict.pkl", "wb") as f:
        pickle.dump(predict, f)
    subprocess.run([sys.executable, "-c", LOAD_A_PICKLED_FUNCTION, str(tmp_path / "predict.pkl"),
                    str(tmp_path / "predictions.npy")], cwd=ROOT, check=True)
    np.testing.assert_array_equal(np.load(tmp_path / "predictions.npy"),
                                  predict(DIGITS.test.x))
