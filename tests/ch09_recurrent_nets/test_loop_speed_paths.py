"""The faster paths around the compiled loop (issue 15, item 5), checked against numpy.

* products of reversed histories (the gradient of a loop reads h[::-1].T): Dot and
  Gemm copy such an operand for BLAS instead of numpy's slow loop, same values.
* step 0 in C: a call whose arrays are laid out as the last call's runs all its
  steps with the last program; values and gradients as chapter 7's Python loop.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano.scan import until
from minitheano.tensor.blas import gemm_into
from minitheano.tensor.math import for_blas

sys.path.insert(0, str(Path(__file__).parent))
from test_compiled_loop import assert_same, both_loops, scans  # noqa: E402

rng = np.random.default_rng(15)


def _operands():
    a = rng.normal(size=(7, 5))
    return {"reversed rows": a[::-1], "reversed, transposed": a[::-1].T,
            "every other row": a[::2], "columns reversed": a[:, ::-1],
            "plain": a, "transposed": a.T}


@pytest.mark.parametrize("name", list(_operands()))
def test_for_blas_keeps_values_and_copies_only_what_blas_cannot_read(name):
    a = _operands()[name]
    before = a.copy()
    b = for_blas(a)
    np.testing.assert_array_equal(b, a)
    np.testing.assert_array_equal(a, before)  # the caller's array untouched
    blas_ready = name in ("plain", "transposed", "every other row")  # (a leading dimension)
    assert (b is a) == blas_ready


@pytest.mark.parametrize("name", list(_operands()))
def test_dot_and_gemm_of_strided_operands_match_numpy(name):
    a = _operands()[name]
    y = rng.normal(size=(a.shape[1], 3))
    x = T.dmatrix("x")
    f = theano.function([x], T.dot(x, theano.shared(y)))
    np.testing.assert_allclose(f(a), a @ y, rtol=1e-12)
    z = rng.normal(size=(a.shape[0], 3))
    out = z.copy()
    gemm_into(out, 0.5, a, y, 2.0)
    np.testing.assert_allclose(out, 2.0 * z + 0.5 * (a @ y), rtol=1e-12)


def test_gradient_of_rnn_weights_reads_a_reversed_history():
    """The RNN's weight gradients (a product of a reversed history) against numpy's BPTT."""
    X, h0 = rng.normal(size=(6, 3)), rng.normal(size=4)
    Wx, Wh = rng.normal(size=(3, 4)), rng.normal(size=(4, 4)) / 2
    x, wx, wh = T.dmatrix("x"), T.dmatrix("wx"), T.dmatrix("wh")
    h, _ = theano.scan(lambda xt, hp: T.tanh(T.dot(xt, wx) + T.dot(hp, wh)),
                       sequences=x, outputs_info=theano.shared(h0))
    f = theano.function([x, wx, wh], T.grad(h[-1].sum(), [wx, wh]))
    g_wx, g_wh = f(X, Wx, Wh)
    hs = [h0]
    for t in range(len(X)):
        hs.append(np.tanh(X[t] @ Wx + hs[-1] @ Wh))
    dh, e_wx, e_wh = np.ones(4), np.zeros_like(Wx), np.zeros_like(Wh)
    for t in range(len(X) - 1, -1, -1):
        dz = dh * (1 - hs[t + 1] ** 2)
        e_wx += np.outer(X[t], dz)
        e_wh += np.outer(hs[t], dz)
        dh = dz @ Wh.T
    np.testing.assert_allclose(g_wx, e_wx, rtol=1e-10)
    np.testing.assert_allclose(g_wh, e_wh, rtol=1e-10)


def _rnn(batch: bool):
    x = T.tensor3("x") if batch else T.dmatrix("x")
    h0 = T.dmatrix("h0") if batch else T.dvector("h0")
    W = theano.shared(rng.normal(size=(4, 4)) / 2, name="W")
    h, _ = theano.scan(lambda x_t, h: [T.tanh(x_t + T.dot(h, W)), (h * h).sum()],
                       sequences=x, outputs_info=[h0, None])
    return [x, h0], h, W


def test_step_zero_runs_in_c_when_the_arrays_are_laid_out_as_before():
    inputs, outs, W = _rnn(batch=True)
    compiled, python = both_loops(inputs, outs)
    (op,) = scans(compiled)
    shapes = [((6, 3, 4), (3, 4)), ((6, 3, 4), (3, 4)), ((6, 3, 4), (3, 4)),
              ((9, 3, 4), (3, 4)), ((9, 3, 4), (3, 4)), ((6, 5, 4), (5, 4))]
    in_c = []
    for xs, hs in shapes:  # new values at every call; lengths and batches change
        values = [rng.normal(size=xs), rng.normal(size=hs)]
        before = op.loop.first_steps_in_c
        assert_same(compiled(*values), python(*values), what=f"x {xs}")
        in_c.append(op.loop.first_steps_in_c - before)
    # The first call, and each one laid out otherwise than the last, runs step 0 in Python.
    assert in_c == [0, 1, 1, 0, 1, 0]


def test_step_zero_in_c_values_and_gradients_against_the_python_loop():
    inputs, (h, s), W = _rnn(batch=False)
    cost = (h ** 2).sum() + s.sum()
    grads = T.grad(cost, [inputs[0], inputs[1], W])
    compiled, python = both_loops(inputs, [h, s, *grads])
    for _ in range(3):  # the second and third calls run step 0 in C
        values = [rng.normal(size=(7, 4)), rng.normal(size=4)]
        assert_same(compiled(*values), python(*values))
    assert sum(op.loop.first_steps_in_c for op in scans(compiled)) >= 2


def test_a_caller_array_is_not_written_by_step_zero_in_c():
    inputs, outs, W = _rnn(batch=False)
    compiled, python = both_loops(inputs, outs)
    values = [rng.normal(size=(5, 4)), rng.normal(size=4)]
    compiled(*values)
    copies = [v.copy() for v in values]
    (op,) = scans(compiled)
    before = op.loop.first_steps_in_c
    assert_same(compiled(*values), python(*values))
    assert op.loop.first_steps_in_c == before + 1  # this call's step 0 ran in C
    for v, c in zip(values, copies):
        np.testing.assert_array_equal(v, c)


def test_a_weight_gradient_summed_in_the_loop_is_updated_in_place():
    """With a batch, dW += h[t-1]^T dz[t] stays in the backward loop (a Gemm on a
    state): the program runs it in place.  Values against the Python loop and numpy."""
    from minitheano.link.c import step_loop

    X, h0 = rng.normal(size=(6, 3, 4)), rng.normal(size=(3, 4))
    Ws = rng.normal(size=(4, 4)) / 2
    x, hb, w = T.tensor3("x"), T.dmatrix("h0"), T.dmatrix("w")
    h, _ = theano.scan(lambda x_t, hp: T.tanh(x_t + T.dot(hp, w)), sequences=x,
                       outputs_info=hb)
    g = T.grad(h[-1].sum(), w)
    compiled, python = both_loops([x, hb, w], g)
    for _ in range(2):
        assert_same([compiled(X, h0, Ws)], [python(X, h0, Ws)])
    hs = [h0]
    for t in range(len(X)):
        hs.append(np.tanh(X[t] + hs[-1] @ Ws))
    dh, want = np.ones_like(h0), np.zeros_like(Ws)
    for t in range(len(X) - 1, -1, -1):
        dz = dh * (1 - hs[t + 1] ** 2)
        want += hs[t].T @ dz
        dh = dz @ Ws.T
    np.testing.assert_allclose(compiled(X, h0, Ws), want, rtol=1e-10)
    gemms = [step for op in scans(compiled) if op.loop.program is not None
             for step in op.loop.program.steps if step.kind == step_loop.GEMM]
    assert any(step.args[5] == step.args[0] for step in gemms)  # out is Z: in place


def test_a_while_loop_runs_step_zero_in_c_and_keeps_a_program_per_buffer_size():
    """A while loop's buffers start with room for 64 steps and double: each size has its
    program, kept for the next calls, whose step 0 then runs in C too."""
    h0, limit = T.dvector("h0"), T.dscalar("limit")
    h, _ = theano.scan(lambda h: [h + 1.0, until(h[0] + 1.0 >= limit)], outputs_info=[h0],
                       n_steps=1000)
    cost = (h ** 2).sum()
    compiled, python = both_loops([h0, limit], [h, T.grad(cost, h0)])
    (op, *_) = scans(compiled)
    in_c = []
    for stop in (5, 7, 150, 1, 150, 9):  # 150 steps: more than the first buffers hold
        values = [rng.uniform(0, 0.5, size=3), np.float64(stop)]
        before = op.loop.first_steps_in_c
        assert_same(compiled(*values), python(*values), what=f"stop {stop}")
        assert len(compiled(*values)[0]) == stop
        in_c.append(op.loop.first_steps_in_c - before)
    assert in_c == [1, 2, 2, 2, 2, 2]  # (two calls each; the very first step 0 in Python)
    assert len(op.loop.programs) == 3  # for 64, 128 and 256 rows
    # Only the program used last holds a call's buffers (the others: their own headers).
    assert [len(p.keep) == 1 for p in op.loop.programs] == [False, True, True]


def test_a_sum_in_place_is_not_counted_twice_when_a_later_gemm_refuses_the_step():
    """Two sums the loop carries, acc1 += x^T x and acc2 += a_t y^T y.  At a_t = 0
    the second Gemm refuses the step (BLAS would skip what 0 multiplies, and a NaN
    with it), and Python runs the step again from the states: acc1, had its Gemm
    summed in place before the refusal, held step 1 twice (off by 3.3 here).  Only
    the last refusing instruction of a step may update its state in place."""
    from minitheano.link.c import step_loop

    X, Y, a, z0 = T.dtensor3("X"), T.dtensor3("Y"), T.dvector("a"), T.dmatrix("z0")
    (h1, h2), _ = theano.scan(lambda x, y, at, acc1, acc2: (acc1 + T.dot(x.T, x),
                                                           acc2 + at * T.dot(y.T, y)),
                              sequences=[X, Y, a], outputs_info=[z0, z0])
    compiled, python = both_loops([X, Y, a, z0], [h1[-1], h2[-1]])
    Xv, Yv = rng.normal(size=(4, 2, 3)), rng.normal(size=(4, 2, 3))
    av, zv = np.array([1.0, 0.0, 2.0, 1.0]), np.zeros((3, 3))
    for _ in range(2):  # the second call runs from step 0 in C
        got = compiled(Xv, Yv, av, zv)
        assert_same(got, python(Xv, Yv, av, zv))
    np.testing.assert_allclose(got[0], sum(x.T @ x for x in Xv), rtol=1e-12)
    np.testing.assert_allclose(got[1], sum(t * (y.T @ y) for t, y in zip(av, Yv)), rtol=1e-12)
    gemms = [step for op in scans(compiled) if op.loop.program is not None
             for step in op.loop.program.steps if step.kind == step_loop.GEMM]
    assert [step.args[5] == step.args[0] for step in gemms] == [False, True]
