"""Compiled gradients (chapter 4).

The gradient graph `grad` builds is ordinary graph, rewritten and run like
any other: its speed is that of the simplified graph (chapter 3 turns the
logistic's gradient into s * (1 - s)) on the linker of the day.
"""

from __future__ import annotations

import numpy as np

from bench.systems import pytensor_function


def logistic_grad_1000() -> dict:
    """The seed's `grad(sum(1 / (1 + exp(-x))), x)` on a 1000x1000 float64 matrix."""
    m = np.random.default_rng(0).normal(size=(1000, 1000))

    def numpy():
        def call():
            s = 1 / (1 + np.exp(-m))
            return s * (1 - s)
        return call

    def jax():
        import jax

        f = jax.jit(jax.grad(lambda x: jax.numpy.sum(1 / (1 + jax.numpy.exp(-x)))))
        jm = jax.numpy.asarray(m)
        return lambda: f(jm).block_until_ready()

    def torch():
        import torch

        tm = torch.from_numpy(m).requires_grad_()

        def call():
            (g,) = torch.autograd.grad(torch.sum(1 / (1 + torch.exp(-tm))), tm)
            return g
        return call

    def pytensor():
        import pytensor.tensor as pt
        from pytensor import grad

        x = pt.dmatrix("x")
        f = pytensor_function([x], grad(pt.sum(1 / (1 + pt.exp(-x))), x))
        return lambda: f(m)

    def minitheano():
        import minitheano
        import minitheano.tensor as T

        x = T.dmatrix("x")
        f = minitheano.function([x], T.grad(T.sum(1 / (1 + T.exp(-x))), x))
        return lambda: f(m)

    return {"numpy": numpy, "jax": jax, "torch": torch, "pytensor": pytensor,
            "minitheano": minitheano}


WORKLOADS = [logistic_grad_1000]
