"""`T.tile`: numpy.tile as a graph (chapter 1).

Tiling x (shape s) `reps` times along each axis is one broadcast and one
reshape: put a new axis of length r in front of each axis of x, broadcast
to (r0, s0, r1, s1, ...), and merge each pair (r0 * s0, r1 * s1, ...).
So `tile` needs no op of its own: its gradient (a sum over the copies) and
its shape come from `alloc` and `reshape`, and `reps` may be symbolic.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minitheano.tensor.basic import alloc, as_tensor_variable
from minitheano.tensor.type import TensorVariable


def tile(x: Any, reps: Any, ndim: int | None = None) -> TensorVariable:
    """numpy.tile(x, reps): x repeated reps[i] times along axis i.

    reps: a list of ints or symbolic int scalars, or a symbolic int vector
    whose length is known (or given as `ndim`, Theano's argument: the number of
    dimensions of the result).  As in numpy, the shorter of x.ndim and
    len(reps) is padded with leading ones.
    """
    x = as_tensor_variable(x)
    if isinstance(reps, (int, TensorVariable)) and getattr(reps, "ndim", 0) == 0:
        reps = [reps]
    if isinstance(reps, TensorVariable):  # a symbolic vector
        length = ndim if ndim is not None else _T.get_vector_length(reps)
        reps = [reps[i] for i in range(length)]
    reps = list(reps)
    for r in reps:
        r_type = as_tensor_variable(r).type
        if r_type.ndim != 0 or not r_type.dtype.startswith(("int", "uint")):
            raise TypeError(f"tile: each repetition count must be an integer scalar, got {r!r}")
    out_ndim = max(x.ndim, len(reps), ndim or 0)
    if ndim is not None and ndim != out_ndim:
        raise ValueError(f"tile: ndim={ndim}, but x has {x.ndim} dimensions and reps "
                         f"{len(reps)} entries")
    reps = [1] * (out_ndim - len(reps)) + reps
    x = x.dimshuffle(["x"] * (out_ndim - x.ndim) + list(range(x.ndim)))
    return _tile_aligned(x, reps)


def _tile_aligned(x: TensorVariable, reps: Sequence[Any]) -> TensorVariable:
    """tile when x has one dimension per entry of reps."""
    pairs = []  # (r0, s0, r1, s1, ...)
    for d, r in enumerate(reps):
        pairs += [r, x.shape[d]]
    interleaved = x.dimshuffle([a for d in range(x.ndim) for a in ("x", d)])
    spread = alloc(interleaved, *pairs)
    return spread.reshape([reps[d] * x.shape[d] for d in range(x.ndim)], ndim=x.ndim)


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
