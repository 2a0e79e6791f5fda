"""RandomStreams: random variables that draw new numbers at every call (chapter 2).

    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    f = theano.function([], rv_u)
    f(), f()                      # two different 2x2 samples

Each draw gets its own generator, a shared variable holding a numpy
`RandomState` (`rv_u.rng`).  The draw's node (tensor/random.py) returns the
sample and the generator's next state, and that next state is the shared
variable's `default_update`: every function that uses `rv_u` stores it after
each call, so the next call continues the sequence.  `function(...,
no_default_updates=True)` leaves the generator alone, and then gives the same
numbers every time.

The generators' seeds come from one master generator seeded with `seed`, so
a program that builds the same draws in the same order gets the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minitheano.graph.shared import SharedVariable
from minitheano.tensor import random
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.sort import PermuteAlongAxis
from minitheano.tensor.type import TensorVariable


class RandomStreams:
    """A source of random variables, each with its own seeded generator."""

    def __init__(self, seed: int | None = None) -> None:
        self.default_instance_seed = seed
        # Gives each new stream its seed, deterministically from `seed`.
        self.gen_seedgen = np.random.RandomState(seed)
        # (shared generator, its next state) for every draw made so far.
        self.state_updates: list[tuple[SharedVariable, Any]] = []

    def updates(self) -> list[tuple[SharedVariable, Any]]:
        """The update of every generator: pairs for `function(updates=...)`."""
        return list(self.state_updates)

    def seed(self, seed: int | None = None) -> None:
        """Reseed every generator made so far, deterministically from `seed`:
        afterwards the draws repeat what a new RandomStreams(seed) would give."""
        if seed is None:
            seed = self.default_instance_seed
        seedgen = np.random.RandomState(seed)
        for rng, _ in self.state_updates:
            rng.set_value(np.random.RandomState(int(seedgen.randint(2 ** 30))), borrow=True)

    def __getitem__(self, rng: SharedVariable) -> np.random.RandomState:
        return rng.get_value(borrow=True)

    def __setitem__(self, rng: SharedVariable, value: np.random.RandomState) -> None:
        rng.set_value(value, borrow=True)

    def gen(self, draw: Callable, *args: Any, **kwargs: Any) -> TensorVariable:
        """A new random variable: `draw(rng, ...)` (a function of tensor/random.py)
        on a fresh shared generator that advances at every call."""
        seed = int(self.gen_seedgen.randint(2 ** 30))
        rng = SharedVariable(random.random_state_type, np.random.RandomState(seed), borrow=True)
        new_rng, out = draw(rng, *args, **kwargs)
        rng.default_update = new_rng
        out.rng = rng
        out.update = (rng, new_rng)
        self.state_updates.append(out.update)
        return out

    # -- the distributions (the arguments of tensor/random.py's functions) -----------
    def uniform(self, size: Any = None, low: Any = 0.0, high: Any = 1.0,
                ndim: int | None = None, dtype: str | None = None) -> TensorVariable:
        """Uniform on [low, high); floatX unless `dtype`."""
        return self.gen(random.uniform, size, low, high, ndim=ndim, dtype=dtype)

    def normal(self, size: Any = None, avg: Any = 0.0, std: Any = 1.0,
               ndim: int | None = None, dtype: str | None = None) -> TensorVariable:
        """Gaussian of mean `avg` and standard deviation `std`."""
        return self.gen(random.normal, size, avg, std, ndim=ndim, dtype=dtype)

    def binomial(self, size: Any = None, n: Any = 1, p: Any = 0.5, ndim: int | None = None,
                 dtype: str = "int64", prob: Any = None) -> TensorVariable:
        """Successes in `n` trials of probability `p` (n=1: coin flips)."""
        return self.gen(random.binomial, size, n, p, ndim=ndim, dtype=dtype, prob=prob)

    def poisson(self, size: Any = None, lam: Any = 1.0, ndim: int | None = None,
                dtype: str = "int64") -> TensorVariable:
        """Poisson of mean `lam`."""
        return self.gen(random.poisson, size, lam, ndim=ndim, dtype=dtype)

    def random_integers(self, size: Any = None, low: Any = 0, high: Any = 1,
                        ndim: int | None = None, dtype: str = "int64") -> TensorVariable:
        """Integers uniform on [low, high], both included."""
        return self.gen(random.random_integers, size, low, high, ndim=ndim, dtype=dtype)

    def choice(self, size: Any = None, a: Any = 2, replace: bool = True, p: Any = None,
               ndim: int | None = None, dtype: str | None = None) -> TensorVariable:
        """Elements of `a` (or of range(a)), with probabilities `p`."""
        return self.gen(random.choice, size, a, replace, p, ndim=ndim, dtype=dtype)

    def permutation(self, size: Any = None, n: Any = 1, ndim: int | None = None,
                    dtype: str = "int64") -> TensorVariable:
        """A permutation of range(n) for each element of `size` (one if None)."""
        return self.gen(random.permutation, size, n, ndim=ndim, dtype=dtype)

    def multinomial(self, size: Any = None, n: Any = 1, pvals: Any = (0.5, 0.5),
                    ndim: int | None = None, dtype: str = "int64") -> TensorVariable:
        """Counts of `n` draws among the categories of `pvals` (the last dimension)."""
        return self.gen(random.multinomial, size, n, pvals, ndim=ndim, dtype=dtype)

    def shuffle_row_elements(self, input: Any) -> TensorVariable:  # noqa: A002 (Theano's name)
        """`input` with the elements of each row (its last dimension) shuffled,
        each row by its own permutation."""
        input = as_tensor_variable(input)
        if input.ndim == 0:
            raise TypeError("shuffle_row_elements: expected a vector or more, got a scalar")
        perm = self.permutation(size=input.shape[:-1], n=input.shape[-1], ndim=input.ndim - 1)
        return PermuteAlongAxis(input.ndim - 1)(input, perm)
