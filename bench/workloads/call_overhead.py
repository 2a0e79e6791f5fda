"""Per-call overhead of a compiled function on tiny inputs (chapter 2).

On a scalar or a 2x2 matrix the arithmetic costs almost nothing: what is
measured is the machinery around it, checking arguments, running the
schedule, returning the outputs.  numpy's own expression is the floor.
JAX's jitted function and torch's eager expression get their own arrays,
made once, as their users would have them.
"""

from __future__ import annotations

import numpy as np

from bench.systems import pytensor_function


def add_dscalars() -> dict:
    """`function([x, y], x + y)` on two float64 scalars."""
    a, b = np.array(1.5), np.array(2.5)

    def numpy():
        return lambda: a + b

    def jax():
        import jax

        f = jax.jit(lambda x, y: x + y)
        ja, jb = jax.numpy.asarray(a), jax.numpy.asarray(b)
        return lambda: f(ja, jb).block_until_ready()

    def torch():
        import torch

        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        return lambda: ta + tb

    def pytensor():
        import pytensor.tensor as pt

        x, y = pt.dscalars("x", "y")
        f = pytensor_function([x, y], x + y)
        return lambda: f(a, b)

    def minitheano():
        import minitheano
        import minitheano.tensor as T

        x, y = T.dscalars("x", "y")
        f = minitheano.function([x, y], x + y)
        return lambda: f(a, b)

    return {"numpy": numpy, "jax": jax, "torch": torch, "pytensor": pytensor,
            "minitheano": minitheano}


def add_dscalars_python() -> dict:
    """`x + y` on float64 scalars, minitheano called through the Python path
    (`Function._call_python`; the default is compile/fastcall.py's C path)."""
    builders = add_dscalars()
    a, b = np.array(1.5), np.array(2.5)

    def minitheano():
        import minitheano
        import minitheano.tensor as T

        x, y = T.dscalars("x", "y")
        f = minitheano.function([x, y], x + y)._call_python
        return lambda: f(a, b)

    return dict(builders, minitheano=minitheano)


def logistic_2x2() -> dict:
    """The seed's logistic `1 / (1 + exp(-x))` of a 2x2 float64 matrix."""
    m = np.array([[0.0, 1.0], [-1.0, -2.0]])

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


WORKLOADS = [add_dscalars, add_dscalars_python, logistic_2x2]
