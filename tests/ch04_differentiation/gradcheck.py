"""Shared helpers of the chapter-4 tests: random points and shapes, and checking
gradients against finite differences with `verify_grad`."""

from __future__ import annotations

import zlib

import numpy as np

from minitheano.gradient import verify_grad


def rng_for(name: str) -> np.random.Generator:
    """A generator seeded from a test's name: random, but the same on every run."""
    return np.random.default_rng(zlib.crc32(name.encode()))


def random_shape(rng: np.random.Generator, ndim: int, low: int = 2, high: int = 5) -> tuple:
    return tuple(int(n) for n in rng.integers(low, high, size=ndim))


def point(rng: np.random.Generator, shape: tuple, low: float = -2.0, high: float = 2.0,
          dtype: str = "float64") -> np.ndarray:
    return rng.uniform(low, high, size=shape).astype(dtype)


def check(fun, *values, rng=None, **kwargs) -> None:
    """verify_grad with a fixed generator."""
    verify_grad(fun, list(values), rng=rng or np.random.default_rng(0), **kwargs)

