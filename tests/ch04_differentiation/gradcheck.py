"""Shared helpers of the chapter-4 tests: random points and shapes, numpy's softmax,
checking gradients against finite differences with `verify_grad`, and computing the
gradient graph one op builds for itself (its `L_op`)."""

from __future__ import annotations

import zlib

import numpy as np

import minitheano as theano
from minitheano import tensor as T
from minitheano.gradient import verify_grad


def rng_for(name: str) -> np.random.Generator:
    """A generator seeded from a test's name: random, but the same on every run."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def random_shape(rng: np.random.Generator, ndim: int, low: int = 2, high: int = 5) -> tuple:
    return tuple(int(n) for n in rng.integers(low, high, size=ndim))


def point(rng: np.random.Generator, shape: tuple, low: float = -2.0, high: float = 2.0,
          dtype: str = "float64") -> np.ndarray:
    return rng.uniform(low, high, size=shape).astype(dtype)


def softmax_ref(x: np.ndarray) -> np.ndarray:
    """Softmax along the last axis in numpy, stable for any finite x."""
    return np.exp(x - np.logaddexp.reduce(x, axis=-1, keepdims=True))


def check(fun, *values, rng=None, **kwargs) -> None:
    """verify_grad with a fixed generator."""
    verify_grad(fun, list(values), rng=rng or np.random.default_rng(0), **kwargs)



def op_grad(out, x, x_value: np.ndarray, gz_value: np.ndarray) -> np.ndarray:
    """The gradient with respect to x that out's op builds for its node (`L_op`, no
    `T.grad` walk), for the gradient gz_value arriving at out, computed at x_value."""
    node = out.owner
    gz = T.tensor("float64", out.broadcastable, name="gz")
    gx = node.op.L_op(node.inputs, node.outputs, [gz])[0]
    return theano.function([x, gz], gx, on_unused_input="ignore")(x_value, gz_value)
