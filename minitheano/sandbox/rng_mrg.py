"""MRG_RandomStreams: random numbers reproducible on every backend (chapter 8).

    from minitheano.sandbox.rng_mrg import MRG_RandomStreams
    srng = MRG_RandomStreams(seed=234)
    mask = srng.binomial(size=(128, 500), p=0.5, dtype='float32')

Theano's MRG streams were written so that a GPU draws the same numbers as
the CPU.  Theano used the MRG31k3p generator split into many substreams;
here the generator is counter-based (philox.py): the bits of draw number
`call` of a random variable are philox(counter = (block, call), key), a
pure function, so a GPU kernel computing block b in thread b gets the very
same bits.  `nstreams` (how Theano split the work) is accepted and has
nothing left to decide.

Like RandomStreams (chapter 2), each random variable owns a shared state,
here the pair (key, number of draws so far) as a uint64 vector, and the
node drawing from it returns the next state, which becomes the shared
variable's default update: every call of a function moves the counter on.
Each variable's key is derived from the stream's seed and the variable's
rank among the stream's draws, so rebuilding the same program with the
same seed gives the same numbers.

Only uniform numbers are drawn by an op (`PhiloxUniform`); normal, binomial,
multinomial and choice are built from them in the graph (Box-Muller, a
comparison) or by small ops that read uniforms (`MultinomialFromUniform`,
`ChoiceFromUniform`), as in Theano.  The uniforms, and so the binomial,
multinomial and choice draws, are the same bits in every mode; normals go
through log and cos, which each backend takes from its own math library,
so they agree to the last rounding.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.config import config
from minitheano.graph.basic import Apply
from minitheano.graph.null import grad_undefined
from minitheano.graph.op import Op
from minitheano.sandbox import philox_c
from minitheano.sandbox.philox import (
    FLOAT32_BITS,
    FLOAT64_HIGH_BITS,
    FLOAT64_LOW_BITS,
    KEY_STEPS,
    MASK32,
    MULTIPLIERS,
    ROUNDS,
    philox4x32,
    random_words,
    uniform_from_words,
)
from minitheano.tensor.basic import as_tensor_variable, cast
from minitheano.tensor.kernel import PhiloxKernel
from minitheano.tensor.shape import get_vector_length
from minitheano.tensor.sharedvar import TensorSharedVariable
from minitheano.tensor.type import TensorConstant, TensorType, TensorVariable

TRUNCATE_AT = 2.0  # normal(truncate=True): standard deviations kept on each side

state_type = TensorType("uint64", (False,))  # (key, draws so far)


class PhiloxUniform(Op):
    """(state, size) -> (next state, floats uniform in (0, 1) of shape `size`)."""

    __props__ = ("dtype", "ndim")

    def __init__(self, dtype: str, ndim: int) -> None:
        if dtype not in ("float32", "float64"):
            raise TypeError(f"uniform draws are float32 or float64, not {dtype}")
        self.dtype, self.ndim = dtype, ndim

    def make_node(self, state: Any, size: Any) -> Apply:
        state, size = as_tensor_variable(state), as_tensor_variable(size)
        if state.type != state_type:
            raise TypeError(f"{self}: the state must be a {state_type}, got {state.type}")
        if size.ndim != 1 or not size.dtype.startswith(("int", "uint")):
            raise TypeError(f"{self}: size must be an integer vector, got {size.type}")
        sample = TensorType(self.dtype, (False,) * self.ndim)()
        return Apply(self, [state, size], [state.type(), sample])

    def draw(self, inputs: list, words_of: Any, output_cells: list) -> None:
        """Fill the output cells, the bits coming from `words_of(key, call, n)`:
        philox.random_words (numpy) or its C twin (philox_c.py)."""
        state, size = inputs
        shape = self.sample_shape(size)
        key, call = int(state[0]), int(state[1])
        n = int(np.prod(shape))
        words_per_value = 1 if self.dtype == "float32" else 2
        words = words_of((key & MASK32, key >> 32), call, n * words_per_value)
        output_cells[0][0] = np.array([key, call + 1], dtype=np.uint64)
        output_cells[1][0] = uniform_from_words(words, self.dtype).reshape(shape)

    def sample_shape(self, size: np.ndarray) -> tuple[int, ...]:
        """The shape `size` asks for, checked."""
        shape = tuple(int(s) for s in size)
        if len(shape) != self.ndim or min(shape, default=0) < 0:
            raise ValueError(f"{self}: size {list(shape)} is not a shape of {self.ndim} "
                             f"dimensions")
        return shape

    def perform(self, node, inputs, output_storage):
        self.draw(inputs, random_words, output_storage)

    # FAST_RUN: the generator in C (link/c/op_thunks.py), the same bits.
    def c_source(self, node: Apply) -> str:
        return philox_c.SOURCE

    def c_thunk(self, node: Apply, lib: Any, input_cells: list, output_cells: list) -> Any:
        words_of = philox_c.words_function(lib)

        def thunk() -> None:
            self.draw([cell[0] for cell in input_cells], words_of, output_cells)
        return thunk

    # device=cuda: a thread per block of the counter, the same bits, printed by chapter
    # 6's printer from philox.py's numbers (link/cuda/counter_rng.py).
    def kernel(self, node: Apply) -> PhiloxKernel:
        bits = (FLOAT32_BITS,) if self.dtype == "float32" else (FLOAT64_HIGH_BITS,
                                                                 FLOAT64_LOW_BITS)
        return PhiloxKernel(self.dtype, self.ndim, MULTIPLIERS, KEY_STEPS, ROUNDS, bits)

    def infer_shape(self, fgraph, node, input_shapes):
        size = node.inputs[1]
        return [input_shapes[0], tuple(size[d] for d in range(self.ndim))]

    def grad(self, inputs, output_grads):
        return [grad_undefined(self, k, v, "random draws have no gradient")
                for k, v in enumerate(inputs)]

    def __str__(self) -> str:
        return f"PhiloxUniform{{{self.dtype}}}"


class _SamplesFromUniform(Op):
    """What the two samplers below share: (pvals, uniforms) in, an integer matrix of
    dtype `odtype` out, and no gradient (a sample does not move with its probabilities)."""

    __props__ = ("odtype",)

    def __init__(self, odtype: str) -> None:
        self.odtype = odtype

    def make_node(self, pvals: Any, unis: Any) -> Apply:
        pvals, unis = as_tensor_variable(pvals), as_tensor_variable(unis)
        if pvals.ndim != 2 or unis.ndim != 2:
            raise TypeError(f"{self}: pvals must be a matrix and the uniforms a matrix, got "
                            f"{pvals.type} and {unis.type}")
        return Apply(self, [pvals, unis], [TensorType(self.odtype, (False, False))()])

    def grad(self, inputs, output_grads):
        return [grad_undefined(self, k, v, "samples have no gradient")
                for k, v in enumerate(inputs)]


class MultinomialFromUniform(_SamplesFromUniform):
    """(pvals, uniforms) -> counts: row i of `pvals` (a distribution over k
    classes) sampled once per row of `uniforms` (shape (n, rows)), the n
    draws of each row counted per class."""

    def perform(self, node, inputs, output_storage):
        pvals, unis = inputs
        _check_rows(self, pvals, unis.shape[1])
        edges = np.cumsum(pvals, axis=1)
        # Each draw's class: the one whose cumulative interval holds its uniform
        # (clipped: rounding may leave the last edge a hair under 1).
        picked = np.minimum((edges[None, :, :] < unis[:, :, None]).sum(axis=2),
                            pvals.shape[1] - 1)
        counts = np.zeros(pvals.shape, dtype=self.odtype)
        rows = np.broadcast_to(np.arange(pvals.shape[0]), picked.shape)
        np.add.at(counts, (rows, picked), 1)
        output_storage[0][0] = counts

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]


class ChoiceFromUniform(_SamplesFromUniform):
    """(pvals, uniforms) -> indices: for each row of `pvals`, as many classes as
    the row of `uniforms` (shape (rows, size)) has values, drawn without
    replacement: each draw renormalizes what the earlier ones left."""

    def perform(self, node, inputs, output_storage):
        pvals, unis = inputs
        _check_rows(self, pvals, unis.shape[0])
        rows, size = unis.shape
        if size > pvals.shape[1]:
            raise ValueError(f"{self}: cannot choose {size} of {pvals.shape[1]} classes "
                             f"without replacement (pvals shape {pvals.shape})")
        left = np.array(pvals, dtype=np.float64)
        out = np.zeros((rows, size), dtype=self.odtype)
        for j in range(size):
            edges = np.cumsum(left, axis=1)
            target = unis[:, j] * edges[:, -1]
            picked = (edges <= target[:, None]).sum(axis=1)
            # Never a class already taken (probability 0), even at a rounding edge.
            picked = np.where(left[np.arange(rows), np.minimum(picked, left.shape[1] - 1)] > 0,
                              picked, np.argmax(left > 0, axis=1))
            picked = np.minimum(picked, left.shape[1] - 1)
            out[:, j] = picked
            left[np.arange(rows), picked] = 0
        output_storage[0][0] = out

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[1]]


def _check_rows(op: Op, pvals: np.ndarray, rows: int) -> None:
    if pvals.shape[0] != rows:
        raise ValueError(f"{op}: {pvals.shape[0]} rows of probabilities (pvals shape "
                         f"{pvals.shape}) but uniforms for {rows} rows")
    if (pvals < 0).any() or not np.allclose(pvals.sum(axis=1), 1, atol=1e-5):
        raise ValueError(f"{op}: each row of pvals must be probabilities summing to 1 "
                         f"(shape {pvals.shape}, row sums {pvals.sum(axis=1)})")


class MRG_RandomStreams:  # noqa: N801 (Theano's name)
    """A source of random variables drawn with Philox, reproducible from `seed`."""

    def __init__(self, seed: int = 12345) -> None:
        self.default_instance_seed = seed
        self.rstate = self._check_seed(seed)
        # (shared state, its next state) for every draw made so far.
        self.state_updates: list[tuple[TensorSharedVariable, Any]] = []

    @staticmethod
    def _check_seed(seed: Any) -> int:
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"MRG_RandomStreams: the seed must be a non-negative int, "
                             f"got {seed!r}")
        return int(seed) & ((1 << 64) - 1)

    def _key(self, rank: int) -> int:
        """The key of the stream's `rank`-th random variable: Philox of the rank
        under the seed, so that the variables' keys are unrelated."""
        words = philox4x32(np.array([[rank], [0], [0], [0]], dtype=np.uint32),
                           (self.rstate & MASK32, self.rstate >> 32))[:, 0]
        return int(words[0]) | (int(words[1]) << 32)

    def updates(self) -> list[tuple[TensorSharedVariable, Any]]:
        """The update of every state: pairs for `function(updates=...)`."""
        return list(self.state_updates)

    def seed(self, seed: int | None = None) -> None:
        """Restart every random variable made so far as if built by a new
        MRG_RandomStreams(seed)."""
        self.rstate = self._check_seed(self.default_instance_seed if seed is None else seed)
        for rank, (state, _) in enumerate(self.state_updates):
            state.set_value(np.array([self._key(rank), 0], dtype=np.uint64), borrow=True)

    def uniform(self, size: Any, low: Any = 0.0, high: Any = 1.0, ndim: int | None = None,
                dtype: str | None = None, nstreams: Any = None) -> TensorVariable:
        """Uniform in (low, high); floatX unless `dtype`."""
        dtype = _float_dtype(dtype, low, high)
        u = self._draw(size, ndim, dtype)
        if _is_number(low, 0.0) and _is_number(high, 1.0):
            return u
        return cast(low + (high - low) * u, dtype)

    def normal(self, size: Any, avg: Any = 0.0, std: Any = 1.0, ndim: int | None = None,
               dtype: str | None = None, nstreams: Any = None,
               truncate: bool = False) -> TensorVariable:
        """Gaussian of mean `avg` and standard deviation `std`, by Box-Muller
        from two uniforms per value.

        `truncate=True` keeps every value within 2 standard deviations of the mean, as
        Theano 1.0 did: a value that falls outside is drawn again with the same angle
        and a radius from a third uniform, limited to at most 2 (Keras's truncated
        normal initializers, such as he_normal, ask for this)."""
        dtype = _float_dtype(dtype, avg, std)
        size_vec, n = _size_vector(size, ndim)
        rows = 3 if truncate else 2
        u = self._draw(_T.concatenate([_int64s(rows), size_vec]), n + 1, dtype)
        # --8<-- [start:ex-ch08-box-muller]
        z = _T.sqrt(-2.0 * _T.log(u[0])) * _T.cos(2.0 * np.pi * u[1])
        # --8<-- [end:ex-ch08-box-muller]
        if truncate:
            # -2 log(v) <= TRUNCATE_AT ** 2 for v in [exp(-TRUNCATE_AT ** 2 / 2), 1].
            lowest = np.exp(-TRUNCATE_AT ** 2 / 2)
            radius = _T.sqrt(-2.0 * _T.log(lowest + (1.0 - lowest) * u[2]))
            redrawn = radius * _T.cos(2.0 * np.pi * u[1])
            z = _T.switch(_T.abs_(z) > TRUNCATE_AT, redrawn, z)
        return cast(avg + std * z, dtype)

    def binomial(self, size: Any = None, n: int = 1, p: Any = 0.5, ndim: int | None = None,
                 dtype: str = "int64", nstreams: Any = None) -> TensorVariable:
        """Successes in `n` trials of probability `p`: a uniform below p is a success."""
        p = as_tensor_variable(p)
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"MRG_RandomStreams.binomial: n must be an int >= 1, got {n!r}")
        if size is None:
            size, ndim = p.shape, p.ndim
        size_vec, nd = _size_vector(size, ndim)
        fdtype = _uniform_dtype(p, dtype)
        u = self._draw(_T.concatenate([_int64s(n), size_vec]), nd + 1, fdtype)
        return cast(_T.sum(_T.lt(u, p), axis=0), dtype)

    def multinomial(self, size: Any = None, n: int = 1, pvals: Any = None,
                    ndim: int | None = None, dtype: str = "int64",
                    nstreams: Any = None) -> TensorVariable:
        """Counts of `n` draws from each row of the matrix `pvals`, shape of pvals."""
        pvals = _pvals(pvals, "multinomial")
        if size is not None:
            raise NotImplementedError("MRG_RandomStreams.multinomial: size must be None "
                                      "(the shape is pvals')")
        u = self._draw(_T.stack([int(n), pvals.shape[0]]), 2, pvals.dtype)
        return MultinomialFromUniform(dtype)(pvals, u)

    def choice(self, size: int = 1, a: Any = None, replace: bool = False, p: Any = None,
               ndim: int | None = None, dtype: str = "int64",
               nstreams: Any = None) -> TensorVariable:
        """For each row of the matrix `p`, `size` distinct class indices drawn with
        those probabilities: shape (rows of p, size).  Without replacement only."""
        if replace:
            raise NotImplementedError("MRG_RandomStreams.choice: only replace=False "
                                      "(multinomial draws with replacement)")
        p = _pvals(p, "choice")
        if a is not None and not (isinstance(a, int) and isinstance(p, TensorConstant)
                                  and p.data.shape[1] == a):
            raise ValueError(f"MRG_RandomStreams.choice: a must be None (the classes are "
                             f"p's columns), got {a!r}")
        u = self._draw(_T.stack([p.shape[0], int(size)]), 2, p.dtype)
        return ChoiceFromUniform(dtype)(p, u)

    def _draw(self, size: Any, ndim: int | None, dtype: str) -> TensorVariable:
        """A new random variable: uniforms of `size`, on a fresh state."""
        size_vec, nd = _size_vector(size, ndim)
        state = TensorSharedVariable(state_type, np.array([self._key(len(self.state_updates)), 0],
                                                    dtype=np.uint64), borrow=True)
        new_state, sample = PhiloxUniform(dtype, nd)(state, size_vec)
        state.default_update = new_state
        sample.rng = state
        sample.update = (state, new_state)
        self.state_updates.append(sample.update)
        return sample


# -- helpers --------------------------------------------------------------------------------
def _size_vector(size: Any, ndim: int | None) -> tuple[TensorVariable, int]:
    """`size` as an int64 vector, and how many dimensions it gives."""
    if isinstance(size, (tuple, list)):
        if not size:
            return _T.constant(np.zeros(0, dtype="int64")), 0
        entries = [as_tensor_variable(s) for s in size]
        if any(e.ndim != 0 or not e.dtype.startswith(("int", "uint")) for e in entries):
            raise ValueError(f"MRG_RandomStreams: size must hold integers, got {size!r}")
        return cast(_T.stack(entries), "int64"), len(entries)
    vec = as_tensor_variable(size)
    if vec.ndim != 1 or not vec.dtype.startswith(("int", "uint")):
        raise ValueError(f"MRG_RandomStreams: size must be a tuple of ints or an integer "
                         f"vector, got {size!r}")
    if isinstance(vec, TensorConstant):
        return cast(vec, "int64"), len(vec.data)
    if ndim is None:
        ndim = _known_length(vec)
    if ndim is None:
        raise ValueError("MRG_RandomStreams: give ndim with a symbolic size vector")
    return cast(vec, "int64"), ndim


def _known_length(vec: TensorVariable) -> int | None:
    """The length of a vector whose length the graph knows (x.shape, [2] ++ shape...)."""
    try:
        return get_vector_length(vec)
    except ValueError:
        return None


def _int64s(*values: int) -> TensorVariable:
    return _T.constant(np.array(values, dtype="int64"))


def _float_dtype(dtype: str | None, *params: Any) -> str:
    if dtype is not None:
        return dtype
    dtypes = [as_tensor_variable(p).dtype for p in params if not isinstance(p, (int, float))]
    floats = [d for d in dtypes if d.startswith("float")]
    return "float64" if "float64" in floats else config.floatX


def _uniform_dtype(p: TensorVariable, dtype: str) -> str:
    """The uniforms a comparison with p needs: as precise as a symbolic float p,
    else as the result if it is a float, else floatX.  (A float32 uniform costs
    one 32-bit word of Philox, a float64 two.)"""
    if p.dtype.startswith("float") and not isinstance(p, TensorConstant):
        return p.dtype
    return dtype if dtype in ("float32", "float64") else config.floatX


def _is_number(value: Any, number: float) -> bool:
    return isinstance(value, (int, float)) and value == number


def _pvals(pvals: Any, what: str) -> TensorVariable:
    if pvals is None:
        raise ValueError(f"MRG_RandomStreams.{what}: the probabilities (a matrix, one "
                         f"distribution per row) are required")
    pvals = as_tensor_variable(pvals)
    if pvals.ndim != 2 or not pvals.dtype.startswith("float"):
        raise ValueError(f"MRG_RandomStreams.{what}: the probabilities must be a float "
                         f"matrix (one distribution per row), got {pvals.type}")
    return pvals


import minitheano.tensor as _T  # noqa: E402  (the graph functions above)
