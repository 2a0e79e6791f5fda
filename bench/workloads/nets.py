"""Training chapter 8's networks: an MLP epoch on the digits, a conv-net step (chapter 8).

* `mlp_epoch_digits`: one epoch of SGD over the 1,197 training digits in minibatches of
  32 (37 calls of a 64-100-10 relu net): bound by the cost of a call, not by arithmetic.
* `convnet_step_128`: one SGD step of deeplearning.net's LeNet5 on a batch of 128 28x28
  images (conv 5x5x20, pool 2, conv 5x5x50, pool 2, dense 500, softmax), float32:
  bound by the convolutions' arithmetic.

Each call returns numbers that depend on the gradients (the epoch's losses; the step's
loss and first filters after the update), so the runner's check covers the backward pass.
Filters are applied without flipping (`filter_flip=False`: a correlation), as torch does.
PyTensor 3 no longer has Theano's `conv2d` and `pool_2d`: its builder writes the same
layers in its graph language (im2col by slices and one dot; pooling by reshape and max).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from bench.systems import pytensor_function

MLP_BATCH, MLP_HIDDEN, MLP_RATE = 32, 100, 0.1
CONV_BATCH, CONV_RATE, IMAGE = 128, 0.1, 28
CONV_SHAPES = {"W1": (20, 1, 5, 5), "b1": (20,), "W2": (50, 20, 5, 5), "b2": (50,),
               "W3": (800, 500), "b3": (500,), "W4": (500, 10), "b4": (10,)}


# -- the MLP epoch -------------------------------------------------------------------------

def _digits_batches() -> tuple[list[np.ndarray], list[np.ndarray], dict]:
    from minitheano.examples.data import load_digits
    from minitheano.examples.train import minibatches

    batches = minibatches(load_digits().train, MLP_BATCH)
    rng = np.random.default_rng(0)
    params = {"W1": rng.uniform(-0.2, 0.2, (64, MLP_HIDDEN)), "b1": np.zeros(MLP_HIDDEN),
              "W2": rng.uniform(-0.2, 0.2, (MLP_HIDDEN, 10)), "b2": np.zeros(10)}
    return [b.x for b in batches], [b.y for b in batches], params


def mlp_epoch_digits() -> dict:
    """One SGD epoch of a 64-100-10 relu MLP over the digits, minibatches of 32 (37 steps)."""
    xs, ys, start = _digits_batches()
    names = ("W1", "b1", "W2", "b2")

    def numpy():
        params = {k: v.copy() for k, v in start.items()}

        def epoch():
            losses = []
            for x, y in zip(xs, ys):
                W1, b1, W2, b2 = (params[k] for k in names)
                a = x @ W1 + b1
                h = np.maximum(a, 0)
                z = h @ W2 + b2
                e = np.exp(z - z.max(axis=1, keepdims=True))
                p = e / e.sum(axis=1, keepdims=True)
                rows = np.arange(len(y))
                losses.append(-np.log(p[rows, y]).mean())
                gz = p.copy()
                gz[rows, y] -= 1
                gz /= len(y)
                ga = (gz @ W2.T) * (a > 0)
                grads = (x.T @ ga, ga.sum(axis=0), h.T @ gz, gz.sum(axis=0))
                for k, g in zip(names, grads):
                    params[k] = params[k] - MLP_RATE * g
            return np.array(losses)
        return epoch

    def pytensor():
        import pytensor
        import pytensor.tensor as pt

        params = [pytensor.shared(start[k].copy(), name=k) for k in names]
        W1, b1, W2, b2 = params
        x, y = pt.dmatrix("x"), pt.ivector("y")
        h = pt.maximum(pt.dot(x, W1) + b1, 0)
        p = pt.special.softmax(pt.dot(h, W2) + b2, axis=-1)
        loss = -pt.mean(pt.log(p[pt.arange(y.shape[0]), y]))
        updates = [(q, q - MLP_RATE * g) for q, g in zip(params, pytensor.grad(loss, params))]
        step = pytensor_function([x, y], loss, updates=updates)
        return lambda: np.array([step(a, b) for a, b in zip(xs, ys)])

    def minitheano():
        import minitheano as theano
        from minitheano.examples import mlp
        from minitheano.examples.updates import sgd

        x, y, net = mlp.build(n_hidden=(MLP_HIDDEN,), activation="relu")
        for param, k in zip(net.params, names):
            param.set_value(start[k].copy())
        cost = net.negative_log_likelihood(y)
        step = theano.function([x, y], cost, updates=sgd(cost, net.params, MLP_RATE))
        return lambda: np.array([step(a, b) for a, b in zip(xs, ys)])

    def torch():
        import torch as th

        params = [th.tensor(start[k], requires_grad=True) for k in names]
        W1, b1, W2, b2 = params
        txs = [th.from_numpy(x) for x in xs]
        tys = [th.from_numpy(y.astype(np.int64)) for y in ys]

        def epoch():
            losses = []
            for x, y in zip(txs, tys):
                logits = th.relu(x @ W1 + b1) @ W2 + b2
                loss = th.nn.functional.cross_entropy(logits, y)
                loss.backward()
                with th.no_grad():
                    for q in params:
                        q -= MLP_RATE * q.grad
                        q.grad = None
                losses.append(loss.item())
            return np.array(losses)
        return epoch

    return {"numpy": numpy, "pytensor": pytensor, "minitheano": minitheano, "torch": torch}


# -- the conv-net step ---------------------------------------------------------------------

def _conv_data() -> tuple[np.ndarray, np.ndarray, dict]:
    rng = np.random.default_rng(5)
    x = rng.random((CONV_BATCH, 1, IMAGE, IMAGE), dtype=np.float32)
    y = rng.integers(0, 10, CONV_BATCH).astype(np.int32)
    params = {}
    for k, shape in CONV_SHAPES.items():
        if k.startswith("b"):
            params[k] = np.zeros(shape, np.float32)
        else:
            fan_in = int(np.prod(shape[1:])) if len(shape) == 4 else shape[0]
            params[k] = (rng.normal(size=shape) / np.sqrt(fan_in)).astype(np.float32)
    return x, y, params


def _correlate(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """'valid' correlation of x (n, c, h, w) with w (f, c, k, k) -> (n, f, oh, ow)."""
    windows = sliding_window_view(x, w.shape[2:], axis=(2, 3))  # n, c, oh, ow, k, k
    return np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)


def _correlate_grads(x: np.ndarray, w: np.ndarray, g: np.ndarray, need_x: bool):
    """Gradients of sum(g * correlate(x, w)) with respect to w and (if asked) x."""
    k = w.shape[2]
    windows = sliding_window_view(x, (k, k), axis=(2, 3))
    gw = np.tensordot(g, windows, axes=([0, 2, 3], [0, 2, 3]))  # f, c, k, k
    if not need_x:
        return gw, None
    padded = np.pad(g, ((0, 0), (0, 0), (k - 1, k - 1), (k - 1, k - 1)))
    return gw, _correlate(padded, w[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))


def _pool(a: np.ndarray) -> np.ndarray:
    n, c, h, w = a.shape
    return a.reshape(n, c, h // 2, 2, w // 2, 2).max(axis=(3, 5))


def _pool_grad(a: np.ndarray, pooled: np.ndarray, g: np.ndarray) -> np.ndarray:
    n, c, h, w = a.shape
    blocks = a.reshape(n, c, h // 2, 2, w // 2, 2)
    mask = blocks == pooled[:, :, :, None, :, None]  # random floats: no ties
    return (mask * g[:, :, :, None, :, None]).reshape(a.shape)


def _pytensor_correlate(x, w, border_mode: str, filter_flip: bool):
    """PyTensor 3 dropped Theano's conv2d: the same 'valid' correlation written in its
    graph language as im2col (one strided slice per filter tap, stacked) and one dot."""
    import pytensor.tensor as pt

    assert border_mode == "valid" and not filter_flip
    f, c, k, _ = CONV_SHAPES["W1"] if w.name == "W1" else CONV_SHAPES["W2"]
    out_h, out_w = x.shape[2] - k + 1, x.shape[3] - k + 1
    taps = [x[:, :, a:a + out_h, b:b + out_w] for a in range(k) for b in range(k)]
    columns = pt.stack(taps, axis=2)  # n, c, k*k, oh, ow
    return pt.tensordot(w.reshape((f, c * k * k)),
                        columns.reshape((x.shape[0], c * k * k, out_h, out_w)),
                        axes=[[1], [1]]).dimshuffle(1, 0, 2, 3)


def _pytensor_pool(maps, ws, ignore_border: bool, mode: str):
    """PyTensor 3 dropped pool_2d: 2x2 max pooling as a reshape and a max."""
    assert tuple(ws) == (2, 2) and ignore_border and mode == "max"
    n, c, h, w = maps.shape
    return maps.reshape((n, c, h // 2, 2, w // 2, 2)).max(axis=(3, 5))


def convnet_step_128() -> dict:
    """One SGD step of LeNet5 (conv 5x5x20, pool, conv 5x5x50, pool, 500, 10), batch 128
    of 28x28, float32."""
    x, y, start = _conv_data()
    names = list(CONV_SHAPES)

    def result(loss, w1):
        return np.concatenate([[float(loss)], np.asarray(w1).ravel()])

    def numpy():
        p = {k: v.copy() for k, v in start.items()}
        rows = np.arange(CONV_BATCH)

        def step():
            c1 = _correlate(x, p["W1"])
            s1 = _pool(c1)
            h1 = np.tanh(s1 + p["b1"][:, None, None])
            c2 = _correlate(h1, p["W2"])
            s2 = _pool(c2)
            h2 = np.tanh(s2 + p["b2"][:, None, None]).reshape(CONV_BATCH, -1)
            h3 = np.tanh(h2 @ p["W3"] + p["b3"])
            z = h3 @ p["W4"] + p["b4"]
            e = np.exp(z - z.max(axis=1, keepdims=True))
            prob = e / e.sum(axis=1, keepdims=True)
            loss = -np.log(prob[rows, y]).mean()
            gz = prob.copy()
            gz[rows, y] -= 1
            gz /= CONV_BATCH
            g = {"W4": h3.T @ gz, "b4": gz.sum(axis=0)}
            g3 = (gz @ p["W4"].T) * (1 - h3 ** 2)
            g["W3"], g["b3"] = h2.T @ g3, g3.sum(axis=0)
            g2 = ((g3 @ p["W3"].T) * (1 - h2 ** 2)).reshape(s2.shape)
            g["b2"] = g2.sum(axis=(0, 2, 3))
            g["W2"], gh1 = _correlate_grads(h1, p["W2"], _pool_grad(c2, s2, g2), True)
            g1 = gh1 * (1 - h1 ** 2)
            g["b1"] = g1.sum(axis=(0, 2, 3))
            g["W1"], _ = _correlate_grads(x, p["W1"], _pool_grad(c1, s1, g1), False)
            for k in names:
                p[k] = (p[k] - CONV_RATE * g[k]).astype(np.float32)
            return result(loss, p["W1"])
        return step

    def theano_graph(theano, T, conv2d, pool_2d, softmax, grad, shared):
        params = {k: shared(v.copy(), name=k) for k, v in start.items()}
        xs, ys = T.tensor4("x", dtype="float32"), T.ivector("y")
        below = xs
        for w, b in (("W1", "b1"), ("W2", "b2")):
            maps = conv2d(below, params[w], border_mode="valid", filter_flip=False)
            pooled = pool_2d(maps, ws=(2, 2), ignore_border=True, mode="max")
            below = T.tanh(pooled + params[b].dimshuffle("x", 0, "x", "x"))
        h3 = T.tanh(T.dot(below.flatten(2), params["W3"]) + params["b3"])
        prob = softmax(T.dot(h3, params["W4"]) + params["b4"])
        loss = -T.mean(T.log(prob)[T.arange(ys.shape[0]), ys])
        rate = np.float32(CONV_RATE)
        ordered = [params[k] for k in names]
        updates = [(q, q - rate * g) for q, g in zip(ordered, grad(loss, ordered))]
        return [xs, ys], loss, updates, params["W1"]

    def pytensor():
        import pytensor
        import pytensor.tensor as pt

        inputs, loss, updates, w1 = theano_graph(
            pytensor, pt, _pytensor_correlate, _pytensor_pool,
            lambda z: pt.special.softmax(z, axis=-1), pytensor.grad, pytensor.shared)
        f = pytensor_function(inputs, loss, updates=updates)
        return lambda: result(f(x, y), w1.get_value())

    def minitheano():
        import minitheano
        import minitheano.tensor as T
        from minitheano.tensor.nnet import conv2d
        from minitheano.tensor.signal.pool import pool_2d

        inputs, loss, updates, w1 = theano_graph(minitheano, T, conv2d, pool_2d,
                                                 T.nnet.softmax, T.grad, minitheano.shared)
        f = minitheano.function(inputs, loss, updates=updates)
        return lambda: result(f(x, y), w1.get_value())

    def torch():
        import torch as th
        import torch.nn.functional as F

        p = {k: th.tensor(v, requires_grad=True) for k, v in start.items()}
        tx, ty = th.from_numpy(x), th.from_numpy(y.astype(np.int64))

        def step():
            h = tx
            for w, b in (("W1", "b1"), ("W2", "b2")):
                h = th.tanh(F.max_pool2d(F.conv2d(h, p[w]), 2) + p[b][:, None, None])
            h3 = th.tanh(h.flatten(1) @ p["W3"] + p["b3"])
            loss = F.cross_entropy(h3 @ p["W4"] + p["b4"], ty)
            loss.backward()
            with th.no_grad():
                for q in p.values():
                    q -= CONV_RATE * q.grad
                    q.grad = None
            return result(loss.item(), p["W1"].detach().numpy())
        return step

    return {"numpy": numpy, "pytensor": pytensor, "minitheano": minitheano, "torch": torch}


convnet_step_128.tolerance = {"rtol": 2e-3, "atol": 1e-5}  # float32, other summation orders

WORKLOADS = [mlp_epoch_digits, convnet_step_128]
