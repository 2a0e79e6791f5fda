"""The products a loop saves for its gradient (scan/grad_saved.py, chapter 9, issue 15).

When the backward step would compute a product of the body again (sigmoid'(z) needs
z = x[t] W + h[t-1] U), the gradient is taken of the loop saving z as an output, and
the loop as written reads its results from that one: one forward loop, one product
per backward step fewer.  Checked: which products are saved, that the compiled
gradient has one forward loop and the backward body one product fewer, and the
gradients against central differences on generated loops (lengths 0-4, forwards and
backwards, one or two taps, a while loop, truncated gradients; FAST_RUN,
FAST_COMPILE and the Python linker without rewrites, where both loops run)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ch07_control_flow"))
from ch07_unrolled import finite_differences  # noqa: E402

import minitheano as theano
import minitheano.tensor as T
from minitheano.scan import until
from minitheano.scan.grad_saved import SAVING_LOOPS, products
from minitheano.scan.op import Scan
from minitheano.tensor.blas import Gemm
from minitheano.tensor.math import Dot

N_IN, N_HID, BATCH = 3, 2, 2
EPS = 1e-6
MODES = ["FAST_RUN", "FAST_COMPILE", theano.Mode("py", None)]


def gated(backwards: bool = False, two_taps: bool = False, truncate: int = -1):
    """h[t] = sigmoid(x[t] W + h[t-1] U) * tanh(h[t-2] U) (two taps) or
    sigmoid(x[t] W + h[t-1] U) * h[t-1]: sigmoid's derivative reads its input,
    the product; the cost reads every state, and W outside the loop too."""
    X, h0, W, U = T.dtensor3("X"), T.dtensor3("h0"), T.dmatrix("W"), T.dmatrix("U")
    if two_taps:
        def step(x, h2, h1):
            return T.nnet.sigmoid(T.dot(x, W) + T.dot(h1, U)) * T.tanh(T.dot(h2, U))
        info = dict(initial=h0, taps=[-2, -1])
    else:
        def step(x, h1):
            return T.nnet.sigmoid(T.dot(x, W) + T.dot(h1, U)) * h1 + 0.1
        info = h0[0]
    h, _ = theano.scan(step, sequences=X, outputs_info=info, go_backwards=backwards,
                       truncate_gradient=truncate)
    cost = (h * h).sum() + h.sum() + (W * W).sum()
    return [X, h0, W, U], cost


def values(n: int, seed: int) -> list[np.ndarray]:
    r = np.random.default_rng(seed)
    return [r.normal(size=(n, BATCH, N_IN)), r.normal(size=(2, BATCH, N_HID)),
            r.normal(size=(N_IN, N_HID)), r.normal(size=(N_HID, N_HID))]


FUNCTIONS: dict = {}


def compiled(mode, **case):
    """(gradient function, cost function), built once per case."""
    key = (str(mode), tuple(sorted(case.items())))
    if key not in FUNCTIONS:
        inputs, cost = gated(**case)
        FUNCTIONS[key] = (theano.function(inputs, T.grad(cost, inputs), mode=mode),
                          theano.function(inputs, cost, mode=mode))
    return FUNCTIONS[key]


def check_gradients(grad, cost, arrays: list[np.ndarray]) -> None:
    before = [a.copy() for a in arrays]
    result = grad(*arrays)
    for a, b in zip(arrays, before):
        np.testing.assert_array_equal(a, b)
    expected = finite_differences(lambda: cost(*arrays), arrays, EPS)
    for g, e, a in zip(result, expected, arrays):
        assert g.shape == a.shape
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-7)


def scans(f) -> list[Scan]:
    return [node.op for node in f.maker.fgraph.toposort() if isinstance(node.op, Scan)]


def n_products(op: Scan) -> int:
    return sum(isinstance(node.op, (Dot, Gemm)) for node in op.fgraph.toposort())


def test_the_sum_a_product_is_added_into_is_saved_and_invariant_products_are_not():
    x, h, W, U, V = T.dmatrix("x"), T.dmatrix("h"), T.dmatrix("W"), T.dmatrix("U"), \
        T.dmatrix("V")
    out, _ = theano.scan(lambda x_t, h_t: T.tanh(T.dot(x_t, W) + T.dot(h_t, U))
                         * T.dot(h_t, T.dot(U, V)).sum(), sequences=x, outputs_info=h[0])
    op = out.owner.op
    body = op.fgraph
    saved = products(op)
    # x W + h U: the sum (read by nothing else) stands for both products in it; U V is
    # the same at every step; h (U V) is a product read by sum().
    assert len(saved) == 2
    first, second = saved
    assert first.owner.op.scalar_op.name == "add"
    assert all(isinstance(v.owner.op, Dot) for v in first.owner.inputs)
    assert isinstance(second.owner.op, Dot) and second not in body.outputs


def test_the_compiled_gradient_runs_one_forward_loop_with_a_product_less_per_step():
    grad, _ = compiled("FAST_RUN")
    loops = scans(grad)
    forward = [op for op in loops if "grad_of" not in str(op)]
    backward = [op for op in loops if "grad_of" in str(op)]
    assert len(forward) == 1 and len(backward) == 1
    assert forward[0].n_nit_sot == 1  # the saved x W + h U, a row per step
    # The backward step: dz U^T (to h[t-1]), dz W^T (to x[t]), h^T dz and x^T dz
    # (the weights' sums) -- not x W and h U again, which made six.
    assert n_products(backward[0]) == 4


def test_a_product_the_gradient_does_not_read_is_not_saved():
    """tanh's derivative reads tanh's output, the state, which the loop saves anyway."""
    X, h0, W, U = T.dtensor3("X"), T.dmatrix("h0"), T.dmatrix("W"), T.dmatrix("U")
    h, _ = theano.scan(lambda x, h1: T.tanh(T.dot(x, W) + T.dot(h1, U)), sequences=X,
                       outputs_info=h0)
    before = len(SAVING_LOOPS)
    g = T.grad((h ** 2).sum(), [W, U])
    assert len(SAVING_LOOPS) == before
    f = theano.function([X, h0, W, U], g)
    assert len([op for op in scans(f) if "grad_of" not in str(op)]) == 1


@pytest.mark.parametrize("mode", MODES, ids=str)
@pytest.mark.parametrize("backwards, two_taps", [(False, False), (True, True)])
def test_gradients_at_zero_one_and_more_steps(mode, backwards, two_taps):
    grad, cost = compiled(mode, backwards=backwards, two_taps=two_taps)
    for n in (0, 1, 4):
        check_gradients(grad, cost, values(n, n))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mode=st.sampled_from(MODES), backwards=st.booleans(), two_taps=st.booleans(),
       truncate=st.sampled_from([-1, 4]), n=st.integers(0, 4), seed=st.integers(0, 2 ** 16))
def test_generated_loops_gradients_against_finite_differences(mode, backwards, two_taps,
                                                              truncate, n, seed):
    # (truncate_gradient=4 on at most 4 steps: the whole gradient, through the
    # truncated loop's code.)
    grad, cost = compiled(mode, backwards=backwards, two_taps=two_taps, truncate=truncate)
    check_gradients(grad, cost, values(n, seed))


@pytest.mark.parametrize("mode", MODES, ids=str)
def test_a_while_loop_saves_its_products_too(mode):
    x, w, h0 = T.dmatrix("x"), T.dmatrix("w"), T.dvector("h0")

    def step(v, h, w_):
        new = T.nnet.sigmoid(T.dot(h, w_) + v) * h + 0.2
        return new, until(new.sum() > 3.0)

    h, _ = theano.scan(step, sequences=x, outputs_info=h0, non_sequences=w)
    cost = (h * h).sum() + h.sum()
    inputs = [x, w, h0]
    grad = theano.function(inputs, T.grad(cost, inputs), mode=mode)
    value = theano.function(inputs, cost, mode=mode)
    forward = [op for op in scans(grad) if "grad_of" not in str(op)]
    # Without rewrites, the loop as written and the saving loop both run.
    assert sorted(op.n_nit_sot for op in forward) == ([0, 1] if mode == MODES[-1] else [1])
    r = np.random.default_rng(3)
    for n in (0, 1, 6):
        check_gradients(grad, value, [r.normal(size=(n, 2)), r.normal(size=(2, 2)),
                                      np.array([1.0, 0.5])])


def test_two_gradients_of_one_cost_share_one_forward_loop():
    """Each T.grad makes its own saving loop; they save the same products, so the
    rewrite keeps one of them, and the forward runs once."""
    inputs, cost = gated()
    X, h0, W, U = inputs
    f = theano.function(inputs, [T.grad(cost, W), T.grad(cost, U)])
    forward = [op for op in scans(f) if "grad_of" not in str(op)]
    assert len(forward) == 1 and forward[0].n_nit_sot == 1
    value = theano.function(inputs, cost)
    arrays = values(3, 11)
    g_W, g_U = f(*arrays)
    expected = finite_differences(lambda: value(*arrays), arrays, EPS)
    np.testing.assert_allclose(g_W, expected[2], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(g_U, expected[3], rtol=1e-5, atol=1e-7)
