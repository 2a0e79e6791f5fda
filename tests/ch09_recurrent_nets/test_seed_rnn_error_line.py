"""The second seed's RNN (chapter 9): its shape bug found at the step function's line,
at call time (with the iteration) and, with test values, while the graph is built."""

import numpy as np
import pytest

import minitheano as theano
from minitheano.examples.seed_rnn import (
    SEED_RNN,
    SEED_RNN_FIXED,
    run_seed_rnn,
    with_test_values,
)

STEP_LINE = "h = T.tanh(T.dot(x, W) + T.dot(h_prev, V))"
N_STEPS, INPUT_SIZE = 7, 10


def _line_of(source: str, text: str) -> int:
    return source.splitlines().index("    " + text) + 1


def test_seed_unchanged_fails_at_call_naming_the_step_line():
    namespace = run_seed_rnn()
    with pytest.raises(ValueError) as info:
        namespace["predict"](np.random.default_rng(0).normal(size=(N_STEPS, INPUT_SIZE)))
    msg = str(info.value)
    assert f"line {_line_of(SEED_RNN, STEP_LINE)}, in step: {STEP_LINE}" in msg
    # Both shapes, which is which: the rows of X (all steps at once: the product
    # was moved out of the loop) and the 20x20 W.
    assert "input 0: Subtensor" in msg and "float64[7, 10]" in msg
    assert "input 1: an unnamed shared variable" in msg and "float64[20, 20]" in msg
    assert "for every iteration at once" in msg


def test_seed_in_the_python_loop_names_the_iteration():
    with theano.config.change_flags(mode="FAST_COMPILE"):
        namespace = run_seed_rnn()
    with pytest.raises(ValueError) as info:
        namespace["predict"](np.ones((N_STEPS, INPUT_SIZE)))
    msg = str(info.value)
    assert f"in step: {STEP_LINE}" in msg
    assert "input 0: X[t] = float64[10]" in msg and "float64[20, 20]" in msg
    assert f"at iteration 0 (of {N_STEPS})" in msg


def test_seed_with_test_values_fails_while_building():
    source = with_test_values()
    with pytest.raises(ValueError) as info:
        run_seed_rnn(source, filename="<seed RNN with test values>")
    msg = str(info.value)
    assert "computing test values" in msg
    assert f"line {_line_of(source, STEP_LINE)}, in step: {STEP_LINE}" in msg
    assert "input 0: X[t] = float64[10]" in msg and "float64[20, 20]" in msg
    assert theano.config.compute_test_value == "off"  # the flag it set was put back


def _numpy_rnn(ns: dict, xs: np.ndarray) -> np.ndarray:
    h = ns["h0"].get_value()
    for x in xs:
        h = np.tanh(x @ ns["W_in"].get_value() + h @ ns["W_rec"].get_value())
    logits = h @ ns["V"].get_value() + ns["b"].get_value()
    e = np.exp(logits - logits.max())
    return e / e.sum()


def test_fixed_rnn_matches_numpy_and_passes_test_values():
    ns = run_seed_rnn(with_test_values(SEED_RNN_FIXED), filename="<fixed RNN>")
    xs = np.random.default_rng(2).normal(size=(N_STEPS, INPUT_SIZE))
    np.testing.assert_allclose(ns["predict"](xs)[0], _numpy_rnn(ns, xs), rtol=1e-10)
    assert ns["W_in"].get_value().shape == (10, 20)
    assert ns["W_rec"].get_value().shape == (20, 20)
    assert ns["V"].get_value().shape == (20, 5)


def test_seed_rnn_is_the_posts_code_unchanged():
    from pathlib import Path

    post = Path("/work/shared/seeds/001_5a6b19f273db3dee.txt")
    if not post.exists():
        pytest.skip("the seed's text is not on this machine")
    blocks = [b.split("```")[0] for b in post.read_text().split("```python\n")]
    assert SEED_RNN in [b for b in blocks if "def step" in b]
