"""Intermediate arrays kept between calls within a budget (link/c/buffers.py).

With `allow_gc` the VM still empties every intermediate cell, but the C thunks keep
the arrays they wrote, up to `config.reuse_buffers_mb` per function, and write into
them again at the next call.  What must hold: the same values as numpy, gradients as
finite differences say, no caller array changed, and no array the function returned
(or a view of one) changed by a later call.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitheano as th
from minitheano import tensor as T
from minitheano.link.c.buffers import MEGABYTE, BufferBudget

rng = np.random.default_rng(17)


def counting_empty(monkeypatch) -> list[int]:
    """Count the arrays the thunks allocate: they bind np.empty when built."""
    calls = [0]
    real = np.empty

    def empty(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)
    monkeypatch.setattr(np, "empty", empty)
    return calls


def hidden_layer():
    x, W, b = T.dmatrix("x"), T.dmatrix("W"), T.dvector("b")
    h = T.tanh(T.dot(x, W) + b)  # Dot, then tanh(. + b) in place in the Dot's array
    return [x, W, b], h, (h * h).sum(axis=0)


def hidden_layer_numpy(x, W, b):
    h = np.tanh(x @ W + b)
    return h, (h * h).sum(axis=0)


def test_intermediates_are_allocated_once_within_the_budget(monkeypatch):
    calls = counting_empty(monkeypatch)
    inputs, _, total = hidden_layer()
    f = th.function(inputs, total)
    x, W, b = rng.normal(size=(40, 30)), rng.normal(size=(30, 20)), rng.normal(size=20)
    f(x, W, b)
    calls[0] = 0
    for _ in range(3):
        np.testing.assert_allclose(f(x, W, b), hidden_layer_numpy(x, W, b)[1], rtol=1e-12)
    # The Dot's array and the Sum's output, if the caller dropped it, are written again.
    assert calls[0] == 0
    # allow_gc still empties the intermediate cells after each call.
    fg = f.maker.fgraph
    inner = [v for v in fg.variables if v.owner is not None and v not in fg.outputs]
    assert inner and all(f._vm.storage[v][0] is None for v in inner)


def test_no_budget_allocates_every_call_as_theano(monkeypatch):
    calls = counting_empty(monkeypatch)
    inputs, _, total = hidden_layer()
    with th.config.change_flags(reuse_buffers_mb=0):
        f = th.function(inputs, total)
    x, W, b = rng.normal(size=(8, 5)), rng.normal(size=(5, 4)), rng.normal(size=4)
    f(x, W, b)
    calls[0] = 0
    f(x, W, b)
    assert calls[0] >= 1  # at least the Dot's array, fresh
    np.testing.assert_allclose(f(x, W, b), hidden_layer_numpy(x, W, b)[1], rtol=1e-12)


def test_an_output_written_in_an_intermediates_array_is_never_overwritten():
    inputs, h, total = hidden_layer()
    f = th.function(inputs, [h, total])  # h: the Dot's own array, tanh'd in place
    args = [(rng.normal(size=(6, 5)), rng.normal(size=(5, 4)), rng.normal(size=4))
            for _ in range(4)]
    kept = [f(*a) for a in args]
    views = [f(*a)[0].T[1:] for a in args]  # views hold the array too
    for a, (h_out, total_out), view in zip(args, kept, views):
        h_ref, total_ref = hidden_layer_numpy(*a)
        np.testing.assert_allclose(h_out, h_ref, rtol=1e-12)
        np.testing.assert_allclose(total_out, total_ref, rtol=1e-12)
        np.testing.assert_allclose(view, h_ref.T[1:], rtol=1e-12)


def test_caller_arrays_are_not_modified():
    inputs, h, total = hidden_layer()
    f = th.function(inputs, [h, total])
    args = (rng.normal(size=(6, 5)), rng.normal(size=(5, 4)), rng.normal(size=4))
    copies = [a.copy() for a in args]
    for _ in range(3):
        f(*args)
    for a, c in zip(args, copies):
        np.testing.assert_array_equal(a, c)


def test_gradients_through_kept_arrays_match_finite_differences():
    x, W = T.dmatrix("x"), T.dmatrix("W")
    loss = T.tanh(T.dot(x, W)).sum() + (T.dot(x, W) ** 2).mean()
    g = th.function([x, W], T.grad(loss, W))
    value = th.function([x, W], loss)
    for _ in range(3):  # each call reuses the arrays of the last
        a, w = rng.normal(size=(7, 4)), rng.normal(size=(4, 3))
        numeric = np.zeros_like(w)
        eps = 1e-6
        for i in np.ndindex(w.shape):
            up, down = w.copy(), w.copy()
            up[i] += eps
            down[i] -= eps
            numeric[i] = (value(a, up) - value(a, down)) / (2 * eps)
        np.testing.assert_allclose(g(a, w), numeric, rtol=1e-6, atol=1e-8)


def test_a_training_step_keeps_its_intermediates_and_updates_right(monkeypatch):
    calls = counting_empty(monkeypatch)
    X, y = rng.normal(size=(32, 8)), rng.integers(0, 3, size=32)
    W0, b0 = rng.normal(size=(8, 3)) / 3, np.zeros(3)
    W, b = th.shared(W0.copy()), th.shared(b0.copy())
    x, t = T.dmatrix("x"), T.lvector("t")
    p = T.nnet.softmax(T.dot(x, W) + b)
    loss = T.nnet.categorical_crossentropy(p, t).mean()
    gW, gb = T.grad(loss, [W, b])
    step = th.function([x, t], loss, updates=[(W, W - 0.5 * gW), (b, b - 0.5 * gb)])
    Wn, bn = W0.copy(), b0.copy()
    for k in range(4):
        if k == 2:
            calls[0] = 0
        z = X @ Wn + bn
        e = np.exp(z - z.max(axis=1, keepdims=True))
        pn = e / e.sum(axis=1, keepdims=True)
        expected = -np.log(pn[np.arange(32), y]).mean()
        gz = pn.copy()
        gz[np.arange(32), y] -= 1
        gz /= 32
        Wn, bn = Wn - 0.5 * X.T @ gz, bn - 0.5 * gz.sum(axis=0)
        assert step(X, y) == pytest.approx(expected, rel=1e-12)
        np.testing.assert_allclose(W.get_value(), Wn, rtol=1e-12)
        np.testing.assert_allclose(b.get_value(), bn, rtol=1e-12, atol=1e-15)
    # Later calls allocate at most what the updates hand to the shared variables.
    assert calls[0] <= 2 * 2


def test_the_budget_keeps_what_fits_and_lets_go_of_what_it_replaces():
    budget = BufferBudget(1000)
    bufs = [None, None]
    small, big = np.empty(50), np.empty(200)  # 400 and 1600 bytes
    budget.keep(bufs, 0, small)
    assert bufs[0] is small and budget.left == 600
    budget.keep(bufs, 1, big)  # over the budget: not kept
    assert bufs[1] is None and budget.left == 600
    other = np.empty(100)  # replaces `small` (held by someone, or reshaped)
    budget.keep(bufs, 0, other)
    assert bufs[0] is other and budget.left == 200
    budget.keep(bufs, 0, big)  # does not fit even after letting `other` go
    assert bufs[0] is None and budget.left == 1000


def test_the_budget_is_a_flag_in_megabytes():
    with th.config.change_flags(reuse_buffers_mb="0.5"):
        from minitheano.link.c.buffers import function_budget

        assert function_budget().left == MEGABYTE // 2
    with pytest.raises(ValueError, match="reuse_buffers_mb.*megabytes"):
        th.config.reuse_buffers_mb = -1


# Generated programs: chains of elementwise ops, products, transposes and sums over
# a square matrix, some results returned, called repeatedly; every result ever
# returned (and views of them) must still be what numpy computes for its call.
UNARY = {"tanh": (T.tanh, np.tanh), "exp": (lambda v: T.exp(-abs(v)), lambda v: np.exp(-abs(v))),
         "transpose": (lambda v: v.T, lambda v: v.T), "neg": (lambda v: -v, lambda v: -v)}
BINARY = {"add": (lambda a, b: a + b, np.add), "mul": (lambda a, b: a * b, np.multiply),
          "dot": (T.dot, np.dot)}


@st.composite
def programs(draw):
    steps = []
    for _ in range(draw(st.integers(2, 6))):
        if draw(st.booleans()):
            steps.append(("unary", draw(st.sampled_from(sorted(UNARY))), None))
        else:
            steps.append(("binary", draw(st.sampled_from(sorted(BINARY))),
                          draw(st.integers(0, 10))))
    returned = draw(st.lists(st.integers(0, 10), min_size=1, max_size=3))
    return steps, returned


def _evaluate(steps, returned, first, second, unary, binary):
    values = [first, second]
    for kind, name, pick in steps:
        last = values[-1]
        if kind == "unary":
            values.append(unary[name](last))
        else:
            values.append(binary[name](last, values[pick % len(values)]))
    return [values[2 + k % (len(values) - 2)] for k in returned]


@settings(max_examples=25, deadline=None)
@given(programs(), st.integers(1, 12))
def test_generated_programs_never_change_what_they_returned(program, n):
    steps, returned = program
    a, b = T.dmatrix("a"), T.dmatrix("b")
    sym = {k: v[0] for k, v in UNARY.items()}, {k: v[0] for k, v in BINARY.items()}
    num = {k: v[1] for k, v in UNARY.items()}, {k: v[1] for k, v in BINARY.items()}
    outs = _evaluate(steps, returned, a, b, *sym)
    f = th.function([a, b], outs, on_unused_input="ignore")
    calls = []
    for _ in range(3):
        x, y = rng.normal(size=(n, n)), rng.normal(size=(n, n))
        got = f(x, y)
        calls.append((x, y, got, [g.T[::-1] for g in got]))
    for x, y, got, views in calls:
        expected = _evaluate(steps, returned, x, y, *num)
        for g, v, e in zip(got, views, expected):
            np.testing.assert_allclose(g, e, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(v, e.T[::-1], rtol=1e-10, atol=1e-12)
