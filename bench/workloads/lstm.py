"""An LSTM training step: chapter 9's layer, batch 32, 50 steps, 128 units.

    pre = x_t W + b + h_{t-1} U        (x W + b for every step at once, before the loop)
    i, f, o = sigmoid(pre[:, :n]), sigmoid(pre[:, n:2n]), sigmoid(pre[:, 2n:3n])
    g = tanh(pre[:, 3n:])
    c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t)

The loss is the squared error of a readout of the last state; one call is the
forward pass, backpropagation through time and an SGD step on every weight.
numpy's column is the same step with the gradients written by hand; JAX's is
`jax.value_and_grad` of a `lax.scan`, jitted with the update; torch's is eager
autograd on the CPU, one thread.
"""

from __future__ import annotations

import numpy as np

from bench.systems import pytensor_function

N_IN, N_HID, N_OUT, BATCH, LENGTH = 32, 128, 10, 32, 50
LEARNING_RATE = 1e-3
NAMES = ("W", "U", "b", "V", "c")


def _data() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    n = N_HID
    return {"X": rng.normal(size=(LENGTH, BATCH, N_IN)), "y": rng.normal(size=(BATCH, N_OUT)),
            "W": rng.normal(size=(N_IN, 4 * n)) / np.sqrt(N_IN),
            "U": rng.normal(size=(n, 4 * n)) / np.sqrt(n),
            "b": np.zeros(4 * n), "V": rng.normal(size=(n, N_OUT)) / np.sqrt(n),
            "c": np.zeros(N_OUT)}


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def _numpy_train(d: dict) -> float:
    """Forward, loss, backpropagation through time by hand, SGD; returns the loss."""
    X, W, U, b, V, c, y = (d[k] for k in ("X", "W", "U", "b", "V", "c", "y"))
    n = N_HID
    xw = X @ W + b
    h, cell = np.zeros((BATCH, n)), np.zeros((BATCH, n))
    saved = []
    for t in range(LENGTH):
        pre = xw[t] + h @ U
        i, f, o = _sigmoid(pre[:, :n]), _sigmoid(pre[:, n:2 * n]), _sigmoid(pre[:, 2 * n:3 * n])
        g = np.tanh(pre[:, 3 * n:])
        saved.append((h, cell, i, f, o, g))
        cell = f * cell + i * g
        h = o * np.tanh(cell)
    out = h @ V + c
    loss = ((out - y) ** 2).sum()
    d_out = 2 * (out - y)
    grads = {"V": h.T @ d_out, "c": d_out.sum(0), "U": np.zeros_like(U)}
    dh, dcell = d_out @ V.T, np.zeros((BATCH, n))
    dxw = np.empty_like(xw)
    for t in range(LENGTH - 1, -1, -1):
        h_prev, c_prev, i, f, o, g = saved[t]
        c_t = f * c_prev + i * g
        tc = np.tanh(c_t)
        dcell = dcell + dh * o * (1 - tc ** 2)
        dpre = np.concatenate([dcell * g * i * (1 - i), dcell * c_prev * f * (1 - f),
                               dh * tc * o * (1 - o), dcell * i * (1 - g ** 2)], axis=1)
        grads["U"] += h_prev.T @ dpre
        dxw[t] = dpre
        dh, dcell = dpre @ U.T, dcell * f
    grads["W"] = X.reshape(-1, N_IN).T @ dxw.reshape(-1, 4 * n)
    grads["b"] = dxw.sum((0, 1))
    for k, g in grads.items():
        d[k] -= LEARNING_RATE * g
    return loss


def _theano_graph(theano, T, sigmoid, d: dict):
    """The step in Theano's API (minitheano and PyTensor both speak it)."""
    X, y = T.tensor3("X"), T.dmatrix("y")
    params = [theano.shared(d[k].copy(), name=k) for k in NAMES]
    W, U, b, V, c = params
    n = N_HID

    def step(xw_t, h_prev, c_prev):
        pre = xw_t + T.dot(h_prev, U)
        i, f = sigmoid(pre[:, :n]), sigmoid(pre[:, n:2 * n])
        o, g = sigmoid(pre[:, 2 * n:3 * n]), T.tanh(pre[:, 3 * n:])
        cell = f * c_prev + i * g
        return [o * T.tanh(cell), cell]

    zeros = T.zeros((BATCH, n))
    (h, _), _ = theano.scan(step, sequences=[T.dot(X, W) + b], outputs_info=[zeros, zeros])
    loss = ((T.dot(h[-1], V) + c - y) ** 2).sum()
    grads = T.grad(loss, params)
    return [X, y], loss, [(p, p - LEARNING_RATE * g) for p, g in zip(params, grads)]


def lstm_train() -> dict:
    """One SGD step of an LSTM (batch 32, 50 steps, 32 -> 128 units), float64."""

    def numpy():
        d = _data()
        return lambda: _numpy_train(d)

    def pytensor():
        import pytensor as pt_
        import pytensor.tensor as pt

        d = _data()
        inputs, loss, updates = _theano_graph(pt_, pt, pt.sigmoid, d)
        f = pytensor_function(inputs, loss, updates=updates)
        return lambda: f(d["X"], d["y"])

    def minitheano():
        import minitheano as theano
        import minitheano.tensor as T

        d = _data()
        inputs, loss, updates = _theano_graph(theano, T, T.nnet.sigmoid, d)
        f = theano.function(inputs, loss, updates=updates)
        return lambda: f(d["X"], d["y"])

    def jax():
        import jax
        import jax.numpy as jnp

        d = _data()
        n = N_HID

        def loss(params, X, y):
            W, U, b, V, c = params

            def step(carry, xw_t):
                h, cell = carry
                pre = xw_t + h @ U
                i, f = jax.nn.sigmoid(pre[:, :n]), jax.nn.sigmoid(pre[:, n:2 * n])
                o, g = jax.nn.sigmoid(pre[:, 2 * n:3 * n]), jnp.tanh(pre[:, 3 * n:])
                cell = f * cell + i * g
                return (o * jnp.tanh(cell), cell), None
            zeros = jnp.zeros((BATCH, n))
            (h, _), _ = jax.lax.scan(step, (zeros, zeros), X @ W + b)
            return ((h @ V + c - y) ** 2).sum()

        @jax.jit
        def train(params, X, y):
            value, grads = jax.value_and_grad(loss)(params, X, y)
            return value, [p - LEARNING_RATE * g for p, g in zip(params, grads)]

        params = [jnp.asarray(d[k]) for k in NAMES]
        X, y = jnp.asarray(d["X"]), jnp.asarray(d["y"])

        def call():
            value, params[:] = train(params, X, y)
            return value.block_until_ready()
        return call

    def torch():
        import torch

        d = _data()
        n = N_HID
        params = [torch.from_numpy(d[k]).requires_grad_() for k in NAMES]
        X, y = torch.from_numpy(d["X"]), torch.from_numpy(d["y"])

        def call():
            W, U, b, V, c = params
            xw = X @ W + b
            h = cell = torch.zeros((BATCH, n), dtype=torch.float64)
            for t in range(LENGTH):
                pre = xw[t] + h @ U
                i, f = torch.sigmoid(pre[:, :n]), torch.sigmoid(pre[:, n:2 * n])
                o, g = torch.sigmoid(pre[:, 2 * n:3 * n]), torch.tanh(pre[:, 3 * n:])
                cell = f * cell + i * g
                h = o * torch.tanh(cell)
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


lstm_train.tolerance = {"rtol": 1e-9}
WORKLOADS = [lstm_train]
