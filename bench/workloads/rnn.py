"""A recurrent net with scan: the second seed's RNN shape, corrected (chapter 7).

Input 32, hidden 128, a sequence of 100 steps, one sequence (no batch):

    h[t] = tanh(x[t] . Wx + h[t-1] . Wh + b)

`rnn_forward` computes all the hidden states; `rnn_train` also the loss of a
readout of the last state, its gradient by backpropagation through time and
an SGD step on every weight.  numpy's column is a hand-written loop (the
input projection X . Wx done once, before the loop), the floor a compiled
scan can hope for.  PyTensor runs its scan's loop in Python around C thunks.

The issue's anchors were measured with one BLAS thread; on this shared machine
a multithreaded BLAS makes small matrix products erratic, so run these with
`OPENBLAS_NUM_THREADS=1` (it applies to the three systems alike).
"""

from __future__ import annotations

import numpy as np

from bench.systems import pytensor_function

N_IN, N_HID, N_OUT, LENGTH = 32, 128, 10, 100
LEARNING_RATE = 1e-3


def _data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(42)
    return {"X": rng.normal(size=(LENGTH, N_IN)), "y": rng.normal(size=N_OUT),
            "Wx": rng.normal(size=(N_IN, N_HID)) / np.sqrt(N_IN),
            "Wh": rng.normal(size=(N_HID, N_HID)) / np.sqrt(N_HID),
            "b": np.zeros(N_HID), "h0": np.zeros(N_HID),
            "V": rng.normal(size=(N_HID, N_OUT)) / np.sqrt(N_HID), "c": np.zeros(N_OUT)}


def _numpy_forward(d: dict) -> np.ndarray:
    xw = d["X"] @ d["Wx"] + d["b"]
    hs = np.empty((LENGTH, N_HID))
    h = d["h0"]
    for t in range(LENGTH):
        h = hs[t] = np.tanh(xw[t] + h @ d["Wh"])
    return hs


def rnn_forward() -> dict:
    """All hidden states of the RNN over 100 steps (32 -> 128), float64."""
    d = _data()

    def numpy():
        return lambda: _numpy_forward(d)

    def pytensor():
        import pytensor as pt_
        import pytensor.tensor as pt

        X = pt.dmatrix("X")
        Wx, Wh = pt_.shared(d["Wx"]), pt_.shared(d["Wh"])
        b, h0 = pt_.shared(d["b"]), pt_.shared(d["h0"])
        h, _ = pt_.scan(lambda x, h: pt.tanh(pt.dot(x, Wx) + pt.dot(h, Wh) + b),
                        sequences=X, outputs_info=[h0])
        f = pytensor_function([X], h)
        return lambda: f(d["X"])

    def minitheano():
        import minitheano as theano
        import minitheano.tensor as T

        X = T.dmatrix("X")
        Wx, Wh = theano.shared(d["Wx"]), theano.shared(d["Wh"])
        b, h0 = theano.shared(d["b"]), theano.shared(d["h0"])
        h, _ = theano.scan(lambda x, h: T.tanh(T.dot(x, Wx) + T.dot(h, Wh) + b),
                           sequences=X, outputs_info=[h0])
        f = theano.function([X], h)
        return lambda: f(d["X"])

    def jax():
        import jax
        import jax.numpy as jnp

        @jax.jit
        def forward(X, Wx, Wh, b, h0):
            def step(h, x):
                h = jnp.tanh(x @ Wx + h @ Wh + b)
                return h, h
            return jax.lax.scan(step, h0, X)[1]

        args = [jnp.asarray(d[k]) for k in ("X", "Wx", "Wh", "b", "h0")]
        return lambda: forward(*args).block_until_ready()

    def torch():
        import torch

        X, Wx, Wh, b, h0 = (torch.from_numpy(d[k]) for k in ("X", "Wx", "Wh", "b", "h0"))

        def forward():
            hs, h = [], h0
            with torch.no_grad():
                for t in range(LENGTH):
                    h = torch.tanh(X[t] @ Wx + h @ Wh + b)
                    hs.append(h)
                return torch.stack(hs)
        return forward

    return {"numpy": numpy, "jax": jax, "torch": torch, "pytensor": pytensor,
            "minitheano": minitheano}


def _numpy_train(d: dict) -> float:
    """Forward, loss, backpropagation through time by hand, SGD; returns the loss."""
    X, Wx, Wh, b, h0, V, c, y = (d[k] for k in ("X", "Wx", "Wh", "b", "h0", "V", "c", "y"))
    hs = np.empty((LENGTH + 1, N_HID))
    hs[0] = h0
    xw = X @ Wx + b
    for t in range(LENGTH):
        hs[t + 1] = np.tanh(xw[t] + hs[t] @ Wh)
    out = hs[-1] @ V + c
    loss = ((out - y) ** 2).sum()
    d_out = 2 * (out - y)
    dz = np.empty((LENGTH, N_HID))
    dh = d_out @ V.T
    for t in range(LENGTH - 1, -1, -1):
        dz[t] = dh * (1 - hs[t + 1] ** 2)
        dh = dz[t] @ Wh.T
    grads = {"Wx": X.T @ dz, "Wh": hs[:-1].T @ dz, "b": dz.sum(0),
             "V": np.outer(hs[-1], d_out), "c": d_out}
    for k, g in grads.items():
        d[k] -= LEARNING_RATE * g
    return loss


def rnn_train() -> dict:
    """One SGD step: forward, squared error of a readout of the last state, BPTT, update."""

    def numpy():
        d = _data()
        return lambda: _numpy_train(d)

    def pytensor():
        import pytensor as pt_
        import pytensor.tensor as pt

        d = _data()
        X, y = pt.dmatrix("X"), pt.dvector("y")
        params = {k: pt_.shared(d[k], name=k) for k in ("Wx", "Wh", "b", "V", "c")}
        h0 = pt_.shared(d["h0"])
        Wx, Wh, b, V, c = params.values()
        h, _ = pt_.scan(lambda x, h: pt.tanh(pt.dot(x, Wx) + pt.dot(h, Wh) + b),
                        sequences=X, outputs_info=[h0])
        loss = ((pt.dot(h[-1], V) + c - y) ** 2).sum()
        grads = pt.grad(loss, list(params.values()))
        f = pytensor_function([X, y], loss, updates=[
            (p, p - LEARNING_RATE * g) for p, g in zip(params.values(), grads)])
        return lambda: f(d["X"], d["y"])

    def minitheano():
        import minitheano as theano
        import minitheano.tensor as T

        d = _data()
        X, y = T.dmatrix("X"), T.dvector("y")
        params = {k: theano.shared(d[k], name=k) for k in ("Wx", "Wh", "b", "V", "c")}
        h0 = theano.shared(d["h0"])
        Wx, Wh, b, V, c = params.values()
        h, _ = theano.scan(lambda x, h: T.tanh(T.dot(x, Wx) + T.dot(h, Wh) + b),
                           sequences=X, outputs_info=[h0])
        loss = ((T.dot(h[-1], V) + c - y) ** 2).sum()
        grads = T.grad(loss, list(params.values()))
        f = theano.function([X, y], loss, updates=[
            (p, p - LEARNING_RATE * g) for p, g in zip(params.values(), grads)])
        return lambda: f(d["X"], d["y"])

    def jax():
        import jax
        import jax.numpy as jnp

        d = _data()

        def loss(params, X, h0, y):
            Wx, Wh, b, V, c = params

            def step(h, x):
                return jnp.tanh(x @ Wx + h @ Wh + b), None
            h, _ = jax.lax.scan(step, h0, X)
            return ((h @ V + c - y) ** 2).sum()

        @jax.jit
        def train(params, X, h0, y):
            value, grads = jax.value_and_grad(loss)(params, X, h0, y)
            return value, [p - LEARNING_RATE * g for p, g in zip(params, grads)]

        params = [jnp.asarray(d[k]) for k in ("Wx", "Wh", "b", "V", "c")]
        X, h0, y = (jnp.asarray(d[k]) for k in ("X", "h0", "y"))

        def call():
            value, params[:] = train(params, X, h0, y)
            return value.block_until_ready()
        return call

    def torch():
        import torch

        d = _data()
        params = [torch.from_numpy(d[k]).requires_grad_() for k in ("Wx", "Wh", "b", "V", "c")]
        X, h0, y = (torch.from_numpy(d[k]) for k in ("X", "h0", "y"))

        def call():
            Wx, Wh, b, V, c = params
            h = h0
            for t in range(LENGTH):
                h = torch.tanh(X[t] @ Wx + h @ Wh + b)
            loss = ((h @ V + c - y) ** 2).sum()
            loss.backward()
            with torch.no_grad():
                for p in params:
                    p -= LEARNING_RATE * p.grad
                    p.grad = None
            return loss.item()
        return call

    return {"numpy": numpy, "jax": jax, "torch": torch, "pytensor": pytensor,
            "minitheano": minitheano}


WORKLOADS = [rnn_forward, rnn_train]
