"""The second seed's RNN (chapter 9): its shape bug found at the step function's line
while the graph is built (by scan's shape check, and with test values); a shape
known only at call time fails at the call, at the step's line, with the iteration."""

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
FIXED_LINE = "h = T.tanh(T.dot(x, W_in) + T.dot(h_prev, W_rec))"
N_STEPS, INPUT_SIZE = 7, 10


def _line_of(source: str, text: str) -> int:
    return source.splitlines().index("    " + text) + 1


def test_seed_unchanged_fails_while_building_naming_the_step_line():
    """Test values off: the shapes of the shared W and V are known (their values
    are), so scan's shape check finds the bug when the loop is built."""
    from minitheano.scan.shape_check import ShapeMismatch

    with pytest.raises(ShapeMismatch) as info:
        run_seed_rnn()
    msg = str(info.value)
    assert f"line {_line_of(SEED_RNN, STEP_LINE)}, in step: {STEP_LINE}" in msg
    assert "when the loop is built" in msg and "lengths along dimension 0 differ" in msg
    # Both shapes, which is which: x . W has W's 20 columns, h_prev . V has V's 5.
    assert "input 0: Dot(x (X[t]), an unnamed shared variable of shape (20, 20)), " \
        "shape (20,)" in msg
    assert "input 1: Dot(h_prev (argument of the step), an unnamed shared variable of " \
        "shape (20, 5)), shape (5,)" in msg
    assert isinstance(info.value, ValueError)


def test_a_wrong_input_width_fails_at_call_naming_the_step_line():
    """X's width is known only when the function runs: the fixed net, given rows of
    11 numbers instead of 10, fails at the call, at the step's line, with both
    shapes (all steps at once: the product was moved out of the loop)."""
    ns = run_seed_rnn(SEED_RNN_FIXED, filename="<fixed RNN>")
    with pytest.raises(ValueError) as info:
        ns["predict"](np.random.default_rng(0).normal(size=(N_STEPS, INPUT_SIZE + 1)))
    msg = str(info.value)
    assert f"line {_line_of(SEED_RNN_FIXED, FIXED_LINE)}, in step: {FIXED_LINE}" in msg
    assert "input 0: X = float64[7, 11]" in msg  # (X itself: X[:len(X)] is X)
    assert "input 1: W_in = float64[10, 20]" in msg
    assert "for every iteration at once" in msg


def test_a_wrong_input_width_in_the_python_loop_names_the_iteration():
    with theano.config.change_flags(mode="FAST_COMPILE"):
        ns = run_seed_rnn(SEED_RNN_FIXED, filename="<fixed RNN>")
    with pytest.raises(ValueError) as info:
        ns["predict"](np.ones((N_STEPS, INPUT_SIZE + 1)))
    msg = str(info.value)
    assert f"in step: {FIXED_LINE}" in msg
    assert "input 0: X[t] = float64[11]" in msg and "float64[10, 20]" in msg
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


def test_the_shape_check_compares_fed_back_outputs_and_updates():
    from minitheano.scan.shape_check import ShapeMismatch

    T = theano.tensor
    W = theano.shared(np.zeros((3, 4)), name="W")
    X = T.matrix("X")
    with pytest.raises(ShapeMismatch) as info:
        theano.scan(lambda x, h: T.dot(h, W), sequences=X, outputs_info=T.zeros(3))
    msg = str(info.value)
    assert "Dot(h (argument of the step), W) of shape (4,)" in msg
    assert "in place of the initial value" in msg and "of shape (3,)" in msg
    assert "test_seed_rnn_error_line.py" in msg  # the line that made it
    acc = theano.shared(np.zeros(2), name="acc")
    with pytest.raises(ShapeMismatch, match=r"shared variable acc it updates, of shape \(2,\)"):
        theano.scan(lambda x: {acc: acc.sum() + T.ones(3)}, sequences=X)


def test_the_shape_check_never_refuses_a_graph_that_can_run():
    """Unknown lengths are skipped, broadcasting is allowed, and the loops that can run are built
    and give numpy's values."""
    T = theano.tensor
    b = theano.shared(np.float64(1.0), name="b")  # broadcast to every length
    U = theano.shared(np.eye(3) * 0.5, name="U")
    X, V = T.matrix("X"), T.matrix("V")
    h, _ = theano.scan(lambda x, h, V_: T.tanh(T.dot(h, U) + T.dot(x, V_) + b),
                       sequences=X, outputs_info=T.zeros(3), non_sequences=V)
    f = theano.function([X, V], h)
    xs, vs = np.ones((2, 4)), np.full((4, 3), 0.1)
    expected, state = [], np.zeros(3)
    for x in xs:
        state = np.tanh(state @ (np.eye(3) * 0.5) + x @ vs + 1.0)
        expected.append(state)
    np.testing.assert_allclose(f(xs, vs), expected)


def test_the_shape_check_uses_outer_graphs_and_matrices():
    from minitheano.scan.shape_check import ShapeMismatch

    T = theano.tensor
    W = theano.shared(np.zeros((5, 4)), name="W")
    with pytest.raises(ShapeMismatch, match=r"last length of the first \(4\) is not the first "
                                            r"length of the second \(5\)"):
        # h0 = zeros((2, 5)) is computed outside: its small graph gives its shape.
        theano.scan(lambda h: T.dot(T.dot(h, W), W), outputs_info=T.zeros((2, 5)), n_steps=3)
