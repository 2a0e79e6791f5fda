"""Random numbers as pure functions of a generator's state (chapter 2).

A graph is a pure function, yet `srng.uniform((2, 2))` gives new numbers at
every call.  The trick, as in Theano: the generator's state is itself a value
in the graph.  A `RandomFunction` node takes a numpy `RandomState` (plus the
size and the distribution's parameters) and returns *two* things: the sample,
and the state after drawing it.  Nothing is mutated, so the node is an
ordinary pure function; the "randomness" is an update, state <- new state,
which `RandomStreams` (shared_randomstreams.py) attaches to a shared variable
holding the state, and which every compiled function applies after each call.

The functions here (`uniform(rng, size, low, high)` ...) return that pair
`(new_rng, sample)`, like Theano's `raw_random`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np

from minitheano.config import config
from minitheano.graph.basic import Apply, Variable
from minitheano.graph.null import grad_undefined
from minitheano.graph.op import Op
from minitheano.graph.type import Type
from minitheano.scalar.basic import INT_DTYPES, UINT_DTYPES, is_weak, upcast
from minitheano.tensor.basic import as_tensor_variable, cast, constant
from minitheano.tensor.type import TensorConstant, TensorType, TensorVariable


class RandomStateType(Type):
    """The type of a numpy.random.RandomState: a generator and its position."""

    def filter(self, data: Any, strict: bool = False, allow_downcast: bool | None = None) -> Any:
        if isinstance(data, np.random.RandomState):
            return data
        raise TypeError(f"expected a numpy.random.RandomState, got {type(data).__name__}")

    def values_eq(self, a: Any, b: Any) -> bool:
        """Two generators are equal if they will produce the same numbers."""
        sa, sb = a.get_state(), b.get_state()
        return sa[0] == sb[0] and np.array_equal(sa[1], sb[1]) and sa[2:] == sb[2:]

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(RandomStateType)

    def __str__(self) -> str:
        return "RandomStateType"


random_state_type = RandomStateType()


class RandomFunction(Op):
    """Draw from a distribution: (rng, size, *params) -> (new rng, sample).

    `fn(rng, size, *params)` is the numpy call; `outtype` the sample's type.
    `size` is an int64 vector: the sample's shape, or, when empty, "the
    shape of the parameters broadcast together".  `ndim_added` counts the
    dimensions a single draw has (1 for a permutation) after those of `size`.
    Unless `inplace`, perform draws from a copy of the generator, so the
    input is never changed and the node is a pure function of its inputs.
    """

    __props__ = ("fn", "outtype", "ndim_added", "inplace")

    def __init__(self, fn: Callable, outtype: TensorType, ndim_added: int = 0,
                 inplace: bool = False) -> None:
        self.fn = fn
        self.outtype = outtype
        self.ndim_added = ndim_added
        self.inplace = inplace
        self.destroy_map = {0: [0]} if inplace else {}

    def make_node(self, rng: Any, size: Any, *params: Any) -> Apply:
        if not isinstance(rng, Variable) or rng.type != random_state_type:
            raise TypeError(f"{self}: the first input must be a RandomStateType variable, "
                            f"got {rng!r}")
        size = as_tensor_variable(size)
        if size.ndim != 1 or size.dtype not in _INT_DTYPES:
            raise TypeError(f"{self}: size must be an integer vector, got {size.type}")
        params = [as_tensor_variable(p) for p in params]
        return Apply(self, [rng, size, *params], [rng.type(), self.outtype()])

    def perform(self, node, inputs, output_storage):
        rng, size, *params = inputs
        if not self.inplace:
            rng = copy.deepcopy(rng)
        shape = tuple(int(s) for s in size) or None
        sample = np.asarray(self.fn(rng, shape, *params), dtype=self.outtype.dtype)
        if sample.ndim != self.outtype.ndim or any(
                b and n != 1 for b, n in zip(self.outtype.broadcastable, sample.shape)):
            raise ValueError(f"{self}: drew a sample of shape {sample.shape} for size "
                             f"{list(size)} and parameters of shapes "
                             f"{[np.shape(p) for p in params]}, but the output was declared "
                             f"{self.outtype}")
        output_storage[0][0] = rng
        output_storage[1][0] = sample

    def infer_shape(self, fgraph, node, input_shapes):
        rng, size, *params = node.inputs
        n_size = self.outtype.ndim - self.ndim_added
        if isinstance(size, TensorConstant) and len(size.data) > 0:
            shape = [int(s) for s in size.data]
        elif isinstance(size, TensorConstant):  # empty: the parameters' broadcast shape
            padded = [((True,) * (n_size - p.ndim) + p.broadcastable,
                       (1,) * (n_size - p.ndim) + tuple(s))
                      for p, s in zip(params, input_shapes[2:])]
            shape = []
            for d in range(n_size):
                sizes = [s[d] for bcast, s in padded if not bcast[d]]
                shape.append(sizes[0] if sizes else 1)
        else:
            shape = [size[d] for d in range(n_size)]
        if self.ndim_added:  # permutation: each draw is a vector of length n
            shape.append(params[0])
        return [None, tuple(shape)]

    def grad(self, inputs, output_grads):
        return [grad_undefined(self, k, x, "random draws have no gradient")
                for k, x in enumerate(inputs)]

    def __str__(self) -> str:
        name = self.fn.__name__.lstrip("_")
        return f"RandomFunction{{{name}{',inplace' if self.inplace else ''}}}"


# -- the numpy calls ----------------------------------------------------------

def _uniform(rng, size, low, high):
    return rng.uniform(low, high, size)


def _normal(rng, size, avg, std):
    return rng.normal(avg, std, size)


def _binomial(rng, size, n, p):
    return rng.binomial(n, p, size)


def _poisson(rng, size, lam):
    return rng.poisson(lam, size)


def _random_integers(rng, size, low, high):
    # Both ends included, as Theano's random_integers (numpy's randint excludes high).
    return rng.randint(low, high + 1, size)


def _choice(rng, size, a, replace, p):
    return rng.choice(a, size, bool(replace), p if p.size else None)


def _permutation(rng, size, n):
    if size is None:
        return rng.permutation(int(n))
    out = np.empty(size + (int(n),), dtype="int64")
    for index in np.ndindex(*size):
        out[index] = rng.permutation(int(n))
    return out


# -- building the nodes ----------------------------------------------------------

_INT_DTYPES = INT_DTYPES + UINT_DTYPES


def _size(size: Any, ndim: int | None,
          params: list[TensorVariable]) -> tuple[TensorVariable, list[bool]]:
    """`size` as an int64 vector, and the broadcastable pattern of the sample.

    size may be None (the parameters' broadcast shape), a tuple of ints or
    symbolic scalars, or a symbolic vector such as `x.shape`.
    """
    if size is None:
        n = max((p.ndim for p in params), default=0) if ndim is None else ndim
        padded = [(True,) * (n - p.ndim) + p.broadcastable for p in params]
        bcast = [all(b[d] for b in padded) for d in range(n)]
        return constant(np.zeros(0, dtype="int64")), bcast
    if isinstance(size, (tuple, list)):
        if all(isinstance(s, (int, np.integer)) for s in size):
            sizes = np.asarray(size, dtype="int64").reshape(-1)
            vec = constant(sizes)
        else:
            entries = [as_tensor_variable(s) for s in size]
            if any(e.ndim != 0 or e.dtype not in _INT_DTYPES for e in entries):
                raise TypeError(f"size must hold integer scalars, got {size}")
            vec = cast(as_tensor_variable(entries), "int64")
        bcast = [isinstance(s, (int, np.integer)) and s == 1 for s in size]
    else:
        vec = as_tensor_variable(size)
        if vec.ndim != 1 or vec.dtype not in _INT_DTYPES:
            raise TypeError(f"size must be an integer vector or a tuple, got {vec.type}")
        vec = cast(vec, "int64")
        try:
            length = _T.get_vector_length(vec) if ndim is None else ndim
        except ValueError:
            raise TypeError(f"cannot tell how many dimensions a sample of size {size} has; "
                            f"give ndim=") from None
        bcast = ([bool(s == 1) for s in vec.data] if isinstance(vec, TensorConstant)
                 else [False] * length)
    if ndim is not None and ndim != len(bcast):
        raise ValueError(f"size {size} has {len(bcast)} dimensions but ndim={ndim}")
    return vec, bcast


def _draw(fn: Callable, random_state: Variable, size: Any, ndim: int | None, dtype: str,
          params: list[TensorVariable], broadcast_params: bool = True,
          ndim_added: int = 0) -> list[TensorVariable]:
    vec, bcast = _size(size, ndim, params if broadcast_params else [])
    if broadcast_params:
        for p in params:
            if p.ndim > len(bcast):
                raise ValueError(f"{fn.__name__.lstrip('_')}: parameter {p} has {p.ndim} "
                                 f"dimensions, more than the {len(bcast)} of size {size}")
    outtype = TensorType(dtype, bcast + [False] * ndim_added)
    return RandomFunction(fn, outtype, ndim_added)(random_state, vec, *params)


def _float_params(dtype: str | None, *params: Any) -> tuple[str, list[TensorVariable]]:
    """Parameters of a float distribution; Python numbers take the result's dtype."""
    strong = [as_tensor_variable(p).dtype for p in params if not is_weak(p)]
    dtype = dtype or upcast(config.floatX, *strong)
    return dtype, [constant(p, dtype=dtype) if is_weak(p) else as_tensor_variable(p)
                   for p in params]


def uniform(random_state: Variable, size: Any = None, low: Any = 0.0, high: Any = 1.0,
            ndim: int | None = None, dtype: str | None = None) -> list[TensorVariable]:
    """(new rng, a sample uniform on [low, high)); floatX unless `dtype`."""
    dtype, params = _float_params(dtype, low, high)
    return _draw(_uniform, random_state, size, ndim, dtype, params)


def normal(random_state: Variable, size: Any = None, avg: Any = 0.0, std: Any = 1.0,
           ndim: int | None = None, dtype: str | None = None) -> list[TensorVariable]:
    """(new rng, a Gaussian sample of mean `avg` and standard deviation `std`)."""
    dtype, params = _float_params(dtype, avg, std)
    return _draw(_normal, random_state, size, ndim, dtype, params)


def binomial(random_state: Variable, size: Any = None, n: Any = 1, p: Any = 0.5,
             ndim: int | None = None, dtype: str = "int64",
             prob: Any = None) -> list[TensorVariable]:
    """(new rng, the number of successes in `n` trials of probability `p`)."""
    p = prob if prob is not None else p  # Theano's old name for p
    params = [as_tensor_variable(n), as_tensor_variable(p)]
    return _draw(_binomial, random_state, size, ndim, dtype, params)


def poisson(random_state: Variable, size: Any = None, lam: Any = 1.0,
            ndim: int | None = None, dtype: str = "int64") -> list[TensorVariable]:
    """(new rng, a Poisson sample of mean `lam`)."""
    return _draw(_poisson, random_state, size, ndim, dtype, [as_tensor_variable(lam)])


def random_integers(random_state: Variable, size: Any = None, low: Any = 0, high: Any = 1,
                    ndim: int | None = None, dtype: str = "int64") -> list[TensorVariable]:
    """(new rng, integers uniform on [low, high], both ends included)."""
    params = [as_tensor_variable(low), as_tensor_variable(high)]
    return _draw(_random_integers, random_state, size, ndim, dtype, params)


def choice(random_state: Variable, size: Any = None, a: Any = 2, replace: bool = True,
           p: Any = None, ndim: int | None = None,
           dtype: str | None = None) -> list[TensorVariable]:
    """(new rng, elements of `a` (a vector, or an int n for range(n)) drawn with
    probabilities `p` (uniform if None), with or without replacement)."""
    a = as_tensor_variable(a)
    if a.ndim > 1:
        raise TypeError(f"choice: a must be an int or a vector, got {a.type}")
    p = as_tensor_variable(np.zeros(0) if p is None else p)  # empty: uniform
    dtype = dtype or (a.dtype if a.ndim == 1 else "int64")
    params = [a, as_tensor_variable(bool(replace)), p]
    return _draw(_choice, random_state, size, ndim, dtype, params, broadcast_params=False)


def permutation(random_state: Variable, size: Any = None, n: Any = 1,
                ndim: int | None = None, dtype: str = "int64") -> list[TensorVariable]:
    """(new rng, a random permutation of range(n) for each element of `size`)."""
    n = as_tensor_variable(n)
    if n.ndim != 0 or n.dtype not in _INT_DTYPES:
        raise TypeError(f"permutation: n must be an integer scalar, got {n.type}")
    return _draw(_permutation, random_state, size, ndim, dtype, [n],
                 broadcast_params=False, ndim_added=1)


class MultinomialFunction(RandomFunction):
    """Multinomial draws: each sample is a vector of counts, one per category of
    `pvals` (its last dimension); its leading dimensions, with `n`, batch."""

    def __init__(self, outtype: TensorType, inplace: bool = False) -> None:
        super().__init__(_multinomial, outtype, 1, inplace)

    def infer_shape(self, fgraph, node, input_shapes):
        rng, size, n, pvals = node.inputs
        n_batch = self.outtype.ndim - 1
        if isinstance(size, TensorConstant) and len(size.data) == 0:
            # The broadcast of n with pvals's leading dimensions.
            padded = [((True,) * (n_batch - bcast_len) + bcast, (1,) * (n_batch - len(s)) + s)
                      for bcast, s, bcast_len in
                      ((n.broadcastable, tuple(input_shapes[2]), n.ndim),
                       (pvals.broadcastable[:-1], tuple(input_shapes[3])[:-1], pvals.ndim - 1))]
            batch = []
            for d in range(n_batch):
                sizes = [s[d] for bcast, s in padded if not bcast[d]]
                batch.append(sizes[0] if sizes else 1)
        else:
            batch = [size[d] for d in range(n_batch)]
        return [None, (*batch, input_shapes[3][-1])]


def _multinomial(rng, size, n, pvals):
    batch = size if size is not None else np.broadcast_shapes(np.shape(n), pvals.shape[:-1])
    counts = np.broadcast_to(n, batch)
    probabilities = np.broadcast_to(pvals, tuple(batch) + pvals.shape[-1:])
    out = np.empty(tuple(batch) + pvals.shape[-1:], dtype="int64")
    for index in np.ndindex(*batch):
        out[index] = rng.multinomial(int(counts[index]), probabilities[index])
    return out


def multinomial(random_state: Variable, size: Any = None, n: Any = 1, pvals: Any = (0.5, 0.5),
                ndim: int | None = None, dtype: str = "int64") -> list[TensorVariable]:
    """(new rng, counts of `n` draws among the categories of `pvals`): the sample
    has the shape `size` (or n's and pvals's leading shape, broadcast) plus one
    dimension for the categories."""
    n, pvals = as_tensor_variable(n), as_tensor_variable(pvals)
    if pvals.ndim < 1 or n.dtype not in _INT_DTYPES:
        raise TypeError(f"multinomial: expected integer counts n and a vector (or more) of "
                        f"probabilities, got {n.type} and {pvals.type}")
    batch_like = TensorType(pvals.dtype, pvals.broadcastable[:-1])()  # only its type is read
    vec, bcast = _size(size, ndim, [n, batch_like])
    outtype = TensorType(dtype, bcast + [False])
    return MultinomialFunction(outtype)(random_state, vec, n, pvals)


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
