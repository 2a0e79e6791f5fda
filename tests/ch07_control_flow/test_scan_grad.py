"""Gradients through scan (backpropagation through time), against finite differences
and hand-written numpy BPTT (chapter 7)."""

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano.gradient import verify_grad
from minitheano.scan import Scan

rng = np.random.default_rng(21)


def rnn_cost(X, W, U, h0):
    h, _ = theano.scan(lambda x, hp: T.tanh(T.dot(x, W) + T.dot(hp, U)), sequences=X,
                       outputs_info=h0)
    return (h ** 2).sum() + h[-1].sum()


def test_rnn_gradient_wrt_everything():
    verify_grad(rnn_cost, [rng.normal(size=(5, 3)), rng.normal(size=(3, 4)),
                           rng.normal(size=(4, 4)) * 0.5, rng.normal(size=4)])


def test_the_gradient_is_a_backward_scan():
    X, W, U, h0 = T.dmatrix("X"), T.dmatrix("W"), T.dmatrix("U"), T.dvector("h0")
    g = T.grad(rnn_cost(X, W, U, h0), W)
    f = theano.function([X, W, U, h0], g, mode=theano.Mode("py", None))
    loops = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Scan)]
    assert len(loops) == 2
    assert [n.op.go_backwards for n in loops] == [False, True]
    assert loops[1].op.name == "grad_of_scan_fn"


def test_output_taps_minus_two_and_minus_one():
    def cost(x, init, u, v):
        out, _ = theano.scan(lambda xt, a, b: T.tanh(T.dot(a, u) + T.dot(b, v) + xt),
                             sequences=x, outputs_info=dict(initial=init, taps=[-2, -1]))
        return (out * T.arange(1, 4)).sum()
    verify_grad(cost, [rng.normal(size=(6, 3)), rng.normal(size=(2, 3)),
                       rng.normal(size=(3, 3)) * 0.5, rng.normal(size=(3, 3)) * 0.5])


def test_initial_value_longer_than_its_taps():
    # Only the first rows of the initial value are read; the others get zero gradient.
    init = T.dmatrix("init")
    out, _ = theano.scan(lambda a, b: a * b, outputs_info=dict(initial=init, taps=[-2, -1]),
                         n_steps=3)
    g = theano.function([init], T.grad(out.sum(), init))(np.full((4, 2), 1.5))
    np.testing.assert_array_equal(g[2:], 0.0)
    verify_grad(lambda i: theano.scan(lambda a, b: a * b, n_steps=3, outputs_info=dict(
        initial=i, taps=[-2, -1]))[0].sum(), [rng.uniform(0.5, 1.5, size=(4, 2))])


def test_sequence_taps_and_a_non_fed_back_output():
    def cost(x, w):
        out, _ = theano.scan(lambda a, b, c: T.sin(a * w[0] + b * w[1] + c * w[2]),
                             sequences=dict(input=x, taps=[-1, 0, 2]))
        return (out ** 2).sum()
    verify_grad(cost, [rng.normal(size=9), rng.normal(size=3)])


def test_go_backwards():
    def cost(x, h0, u):
        h, _ = theano.scan(lambda a, b, hp: T.tanh(T.dot(hp, u) + a - 2 * b),
                           sequences=dict(input=x, taps=[-1, 0]), outputs_info=h0,
                           go_backwards=True)
        return (h * T.arange(h.shape[0]).dimshuffle(0, "x")).sum()
    verify_grad(cost, [rng.normal(size=(6, 2)), rng.normal(size=2), rng.normal(size=(2, 2))])


def test_n_steps_shorter_than_the_sequences():
    x, n = T.dvector("x"), T.iscalar("n")
    for backwards in (False, True):
        out, _ = theano.scan(lambda a, acc: acc * 0.5 + a ** 2, sequences=x,
                             outputs_info=T.constant(0.0), n_steps=n, go_backwards=backwards)
        f = theano.function([x, n], T.grad(out.sum(), x))
        data = rng.normal(size=6)
        g = f(data, 3)
        used = slice(3, 6) if backwards else slice(0, 3)
        unused = np.ones(6, bool)
        unused[used] = False
        np.testing.assert_array_equal(g[unused], 0.0)
        # d/dx_i sum_t acc_t where acc_t = sum_{s<=t} 0.5**(t-s) x_s**2
        order = np.arange(6)[used][::-1] if backwards else np.arange(6)[used]
        expected = [sum(0.5 ** (t - s) for t in range(s, 3)) * 2 * data[i]
                    for s, i in enumerate(order)]
        np.testing.assert_allclose(g[order], expected, rtol=1e-12)


def test_several_outputs():
    def cost(x, h0, v):
        (h, y), _ = theano.scan(lambda a, hp: [T.tanh(hp + a), T.dot(T.tanh(hp + a), v)],
                                sequences=x, outputs_info=[h0, None])
        return (y ** 2).sum() + h.sum() * 0.1
    verify_grad(cost, [rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(3, 2))])


def test_shared_weights_and_a_training_loop():
    rng2 = np.random.default_rng(5)
    W = theano.shared(rng2.normal(size=(2, 3)) * 0.5, name="W")
    U = theano.shared(rng2.normal(size=(3, 3)) * 0.3, name="U")
    X, target = T.dmatrix("X"), T.dvector("target")
    h, _ = theano.scan(lambda x, hp: T.tanh(T.dot(x, W) + T.dot(hp, U)), sequences=X,
                       outputs_info=T.zeros((3,), "float64"))
    loss = ((h[-1] - target) ** 2).sum()
    gW, gU = T.grad(loss, [W, U])
    train = theano.function([X, target], loss, updates=[(W, W - 0.2 * gW), (U, U - 0.2 * gU)])
    x, t = rng2.normal(size=(6, 2)), np.array([0.5, -0.3, 0.1])
    losses = [float(train(x, t)) for _ in range(60)]
    assert losses[-1] < 0.01 * losses[0]
    verify_grad(lambda w: rnn_cost(T.constant(x), w, T.constant(U.get_value()),
                                   T.zeros((3,), "float64")), [W.get_value()])


def numpy_bptt(x, w, u, h0, k):
    """cost = sum of all h; the gradient through the last k steps only."""
    hs = [h0]
    for t in range(len(x)):
        hs.append(np.tanh(x[t] @ w + hs[-1] @ u))
    gw, gu, gx = np.zeros_like(w), np.zeros_like(u), np.zeros_like(x)
    carry = np.zeros_like(h0)
    n = len(x)
    for t in range(n - 1, max(n - k, 0) - 1, -1):
        dz = (1.0 + carry) * (1 - hs[t + 1] ** 2)
        gw += np.outer(x[t], dz)
        gu += np.outer(hs[t], dz)
        gx[t] = dz @ w.T
        carry = dz @ u.T
    return gx, gw, gu, (carry if k >= n else np.zeros_like(h0))


@pytest.mark.parametrize("k", [2, 5, 6, 100])
def test_truncate_gradient(k):
    X, W, U, h0 = T.dmatrix("X"), T.dmatrix("W"), T.dmatrix("U"), T.dvector("h0")
    h, _ = theano.scan(lambda x, hp: T.tanh(T.dot(x, W) + T.dot(hp, U)), sequences=X,
                       outputs_info=h0, truncate_gradient=k)
    f = theano.function([X, W, U, h0], T.grad(h.sum(), [X, W, U, h0]))
    vals = [rng.normal(size=(6, 3)), rng.normal(size=(3, 4)), rng.normal(size=(4, 4)) * 0.5,
            rng.normal(size=4)]
    for got, expected in zip(f(*vals), numpy_bptt(*vals, k)):
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


def test_zero_steps_give_zero_gradients():
    h0, w, n = T.dvector("h0"), T.dvector("w"), T.iscalar("n")
    h, _ = theano.scan(lambda hp: hp * w, outputs_info=h0, n_steps=n)
    f = theano.function([h0, w, n], T.grad(h.sum(), [h0, w]))
    g_h0, g_w = f(np.ones(2), np.full(2, 3.0), 0)
    np.testing.assert_array_equal(g_h0, 0.0)
    np.testing.assert_array_equal(g_w, 0.0)
    g_h0, g_w = f(np.ones(2), np.full(2, 3.0), 2)
    # sum(h) = w h0 + w^2 h0: d/dh0 = w + w^2, d/dw = h0 + 2 w h0
    np.testing.assert_allclose(g_h0, [3.0 + 9.0] * 2)
    np.testing.assert_allclose(g_w, [1 + 2 * 3.0] * 2)


def test_nested_scan_gradient():
    def cost(m, w):
        def row(r):
            out, _ = theano.scan(lambda a, acc: T.tanh(acc * w + a), sequences=r,
                                 outputs_info=T.constant(0.0))
            return out
        rows, _ = theano.scan(row, sequences=m)
        return (rows ** 2).sum()
    verify_grad(cost, [rng.normal(size=(3, 4)), np.array(0.7)])


def test_integer_sequence_and_state_have_no_gradient():
    x, w = T.dvector("x"), T.dscalar("w")
    idx = T.arange(x.shape[0])
    out, _ = theano.scan(lambda i, acc, count: [acc + x[i] * w, count + 1], sequences=idx,
                         outputs_info=[T.constant(0.0), T.constant(np.int64(0))])
    g = T.grad(out[0][-1], [x, w])
    f = theano.function([x, w], g)
    data = rng.normal(size=4)
    gx, gw = f(data, 2.0)
    np.testing.assert_allclose(gx, np.full(4, 2.0))
    assert gw == pytest.approx(data.sum())


@pytest.mark.parametrize("mode", ["FAST_COMPILE", "FAST_RUN", "DebugMode",
                                  theano.Mode("py", "fast_run"), theano.Mode("py", None)])
def test_every_mode_computes_the_same_loop_and_gradient(mode):
    X, W, h0 = T.dmatrix("X"), T.dmatrix("W"), T.dvector("h0")
    h, _ = theano.scan(lambda x, hp: T.tanh(x + T.dot(hp, W)), sequences=X, outputs_info=h0)
    outputs = [h[-1], h.sum(axis=0)] + T.grad((h ** 2).sum(), [X, W, h0])
    values = [rng.normal(size=(4, 3)), rng.normal(size=(3, 3)) * 0.5, rng.normal(size=3)]
    reference = theano.function([X, W, h0], outputs, mode=theano.Mode("py", None))(*values)
    got = theano.function([X, W, h0], outputs, mode=mode)(*values)
    for a, b in zip(got, reference):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
