"""C kernels: fused elementwise loops, the seed's logistic, an MLP training step (chapter 5).

* `fused_*`: `x*y + exp(-x)*tanh(y) - sqrt(abs(x))` on float64 vectors.
  numpy makes one temporary per operation (eight passes over memory);
  minitheano fuses the whole expression into one C loop (one pass: read x
  and y, write the result), whose exp and tanh gcc vectorizes with glibc's
  libmvec.  The runner prints GB/s (24 bytes per element) next to the
  machine's copy bandwidth.
* `logistic_1000`: the seed's `1 / (1 + exp(-x))` on a 1000x1000 matrix.
* `mlp_step_*`: one SGD step of a 64-256-10 tanh/softmax classifier on a
  batch of 256 (forward, cross-entropy, gradients, four updates).  numpy's
  column is the same step written by hand; JAX's is `jax.value_and_grad`
  jitted with the update, torch's is eager autograd with in-place updates.
"""

from __future__ import annotations

import numpy as np

from bench.systems import pytensor_function

N_IN, N_HID, N_OUT, BATCH, LEARNING_RATE = 64, 256, 10, 256, 0.1


def _fused(n: int) -> dict:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=n), rng.normal(size=n)

    def numpy():
        return lambda: a * b + np.exp(-a) * np.tanh(b) - np.sqrt(np.abs(a))

    def jax():
        import jax
        import jax.numpy as jnp

        f = jax.jit(lambda x, y: x * y + jnp.exp(-x) * jnp.tanh(y) - jnp.sqrt(jnp.abs(x)))
        ja, jb = jnp.asarray(a), jnp.asarray(b)
        return lambda: f(ja, jb).block_until_ready()

    def torch():
        import torch

        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        return lambda: ta * tb + torch.exp(-ta) * torch.tanh(tb) - torch.sqrt(torch.abs(ta))

    def pytensor():
        import pytensor.tensor as pt

        x, y = pt.dvectors("x", "y")
        f = pytensor_function([x, y], x * y + pt.exp(-x) * pt.tanh(y) - pt.sqrt(abs(x)))
        return lambda: f(a, b)

    def minitheano():
        import minitheano
        import minitheano.tensor as T

        x, y = T.dvectors("x", "y")
        f = minitheano.function([x, y], x * y + T.exp(-x) * T.tanh(y) - T.sqrt(abs(x)))
        return lambda: f(a, b)

    return {"numpy": numpy, "jax": jax, "torch": torch, "pytensor": pytensor,
            "minitheano": minitheano}


def fused_1e6() -> dict:
    """`x*y + exp(-x)*tanh(y) - sqrt(abs(x))` on 10^6 float64."""
    return _fused(10**6)


def fused_1e7() -> dict:
    """`x*y + exp(-x)*tanh(y) - sqrt(abs(x))` on 10^7 float64."""
    return _fused(10**7)


# Two inputs read, one output written: what a perfect fused loop moves.
fused_1e6.bytes_per_call = 3 * 8 * 10**6
fused_1e7.bytes_per_call = 3 * 8 * 10**7
fused_1e6.tolerance = fused_1e7.tolerance = {"rtol": 1e-9, "atol": 1e-12}


def logistic_1000() -> dict:
    """The seed's `1 / (1 + exp(-x))` on a 1000x1000 float64 matrix."""
    m = np.random.default_rng(0).normal(size=(1000, 1000))

    def numpy():
        return lambda: 1 / (1 + np.exp(-m))

    def jax():
        import jax

        f = jax.jit(lambda x: 1 / (1 + jax.numpy.exp(-x)))
        jm = jax.numpy.asarray(m)
        return lambda: f(jm).block_until_ready()

    def torch():
        import torch

        tm = torch.from_numpy(m)
        return lambda: 1 / (1 + torch.exp(-tm))

    def pytensor():
        import pytensor.tensor as pt

        x = pt.dmatrix("x")
        f = pytensor_function([x], 1 / (1 + pt.exp(-x)))
        return lambda: f(m)

    def minitheano():
        import minitheano
        import minitheano.tensor as T

        x = T.dmatrix("x")
        f = minitheano.function([x], 1 / (1 + T.exp(-x)))
        return lambda: f(m)

    return {"numpy": numpy, "jax": jax, "torch": torch, "pytensor": pytensor,
            "minitheano": minitheano}


def _mlp_data(dtype: str) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    return {"X": rng.normal(size=(BATCH, N_IN)).astype(dtype),
            "y": rng.integers(0, N_OUT, size=BATCH),
            "W1": (rng.normal(size=(N_IN, N_HID)) / np.sqrt(N_IN)).astype(dtype),
            "b1": np.zeros(N_HID, dtype),
            "W2": (rng.normal(size=(N_HID, N_OUT)) / np.sqrt(N_HID)).astype(dtype),
            "b2": np.zeros(N_OUT, dtype)}


def mlp_graph(T, shared, grad, softmax, crossentropy, data: dict, dtype: str):
    """The training step's inputs, loss and updates, in Theano's API (both
    minitheano and PyTensor speak it, except for softmax and the cross-entropy,
    which PyTensor 3 moved)."""
    params = [shared(data[k].copy(), name=k) for k in ("W1", "b1", "W2", "b2")]
    W1, b1, W2, b2 = params
    x, y = T.matrix("x", dtype=dtype), T.lvector("y")
    h = T.tanh(T.dot(x, W1) + b1)
    p = softmax(T.dot(h, W2) + b2)
    loss = T.mean(crossentropy(p, y))
    lr = np.asarray(LEARNING_RATE, dtype=dtype)
    updates = [(q, q - lr * g) for q, g in zip(params, grad(loss, params))]
    return [x, y], loss, updates


def _mlp(dtype: str) -> dict:
    data = _mlp_data(dtype)
    X, labels = data["X"], data["y"]

    def numpy():
        W1, b1, W2, b2 = (data[k].copy() for k in ("W1", "b1", "W2", "b2"))
        rows = np.arange(BATCH)
        lr = np.asarray(LEARNING_RATE, dtype=dtype)

        def step():
            nonlocal W1, b1, W2, b2
            h = np.tanh(X @ W1 + b1)
            z = h @ W2 + b2
            e = np.exp(z - z.max(axis=1, keepdims=True))
            p = e / e.sum(axis=1, keepdims=True)
            loss = -np.log(p[rows, labels]).mean()
            gz = p
            gz[rows, labels] -= 1
            gz /= BATCH
            gh = (gz @ W2.T) * (1 - h * h)
            W2 = W2 - lr * (h.T @ gz)
            b2 = b2 - lr * gz.sum(axis=0)
            W1 = W1 - lr * (X.T @ gh)
            b1 = b1 - lr * gh.sum(axis=0)
            return loss
        return step

    def jax():
        import jax
        import jax.numpy as jnp

        def loss(params, x, y):
            W1, b1, W2, b2 = params
            z = jnp.tanh(x @ W1 + b1) @ W2 + b2
            return jnp.mean(jax.nn.logsumexp(z, axis=1) - z[jnp.arange(BATCH), y])

        @jax.jit
        def step(params, x, y):
            value, grads = jax.value_and_grad(loss)(params, x, y)
            return value, [q - LEARNING_RATE * g for q, g in zip(params, grads)]

        params = [jnp.asarray(data[k]) for k in ("W1", "b1", "W2", "b2")]
        jx, jy = jnp.asarray(X), jnp.asarray(labels)

        def call():
            nonlocal params
            value, params = step(params, jx, jy)
            return value.block_until_ready()
        return call

    def torch():
        import torch

        params = [torch.from_numpy(data[k].copy()).requires_grad_()
                  for k in ("W1", "b1", "W2", "b2")]
        W1, b1, W2, b2 = params
        tx, ty = torch.from_numpy(X), torch.from_numpy(labels)

        def call():
            z = torch.tanh(tx @ W1 + b1) @ W2 + b2
            loss = torch.nn.functional.cross_entropy(z, ty)
            loss.backward()
            with torch.no_grad():
                for q in params:
                    q -= LEARNING_RATE * q.grad
                    q.grad = None
            return loss.detach()
        return call

    def pytensor():
        import pytensor
        import pytensor.tensor as pt

        def crossentropy(p, y):
            return -pt.log(p[pt.arange(y.shape[0]), y])

        inputs, loss, updates = mlp_graph(pt, pytensor.shared, pytensor.grad,
                                          lambda z: pt.special.softmax(z, axis=-1),
                                          crossentropy, data, dtype)
        f = pytensor_function(inputs, loss, updates=updates)
        return lambda: f(X, labels)

    def minitheano():
        import minitheano
        import minitheano.tensor as T

        inputs, loss, updates = mlp_graph(T, minitheano.shared, T.grad, T.nnet.softmax,
                                          T.nnet.categorical_crossentropy, data, dtype)
        f = minitheano.function(inputs, loss, updates=updates)
        return lambda: f(X, labels)

    return {"numpy": numpy, "jax": jax, "torch": torch, "pytensor": pytensor,
            "minitheano": minitheano}


def mlp_step_f64() -> dict:
    """One SGD step of a 64-256-10 tanh/softmax net, batch 256, float64."""
    return _mlp("float64")


def mlp_step_f32() -> dict:
    """One SGD step of a 64-256-10 tanh/softmax net, batch 256, float32."""
    return _mlp("float32")


mlp_step_f32.tolerance = {"rtol": 1e-4, "atol": 1e-6}

WORKLOADS = [fused_1e6, fused_1e7, logistic_1000, mlp_step_f64, mlp_step_f32]
