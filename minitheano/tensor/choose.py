"""choose: build an array by picking, element by element, one of several arrays
(numpy.choose; Theano 1.0's theano.tensor.choose).  Chapter 1.

    choose(a, choices)[i, j] = choices[a[i, j]][i, j]

`a` holds integers and `choices` is a tensor whose first axis lists the arrays to
pick from (a list of tensors of one shape is stacked into one); `a` and each choice
broadcast together.  `mode` says what an index outside 0..n-1 means: 'raise' (an
error), 'wrap' (taken modulo n) or 'clip' (moved to 0 or n-1).  Unlike numpy.choose,
any number of choices may be given (numpy's is limited to 32 or 64).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.null import disconnected_type
from minitheano.graph.op import Op
from minitheano.scalar.basic import FLOAT_DTYPES
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.shape import INTEGER_DTYPES
from minitheano.tensor.type import TensorType, TensorVariable

MODES = ("raise", "wrap", "clip")


def _aligned(broadcastable: tuple[bool, ...], ndim: int) -> tuple[bool, ...]:
    """Flags padded on the left to `ndim` dimensions, as broadcasting pads shapes."""
    return (True,) * (ndim - len(broadcastable)) + tuple(broadcastable)


class Choose(Op):
    """choices[a] elementwise: the a[i]-th choice at each position i (numpy.choose)."""

    __props__ = ("mode",)

    def __init__(self, mode: str = "raise") -> None:
        if mode not in MODES:
            raise ValueError(f"Choose: mode must be one of {MODES}, got {mode!r}")
        self.mode = mode

    def make_node(self, a: Any, choices: Any) -> Apply:
        a = as_tensor_variable(a)
        if isinstance(choices, (list, tuple)):
            choices = _T.stack([as_tensor_variable(c) for c in choices])
        choices = as_tensor_variable(choices)
        if a.dtype not in INTEGER_DTYPES:
            raise TypeError(f"Choose: the index array a must hold integers, got {a.type}")
        if choices.ndim == 0:
            raise TypeError("Choose: choices must list arrays along its first axis, "
                            f"got the 0-d {choices.type}")
        ndim = max(a.ndim, choices.ndim - 1)
        bcast = tuple(x and y for x, y in zip(_aligned(a.broadcastable, ndim),
                                              _aligned(choices.broadcastable[1:], ndim)))
        return Apply(self, [a, choices], [TensorType(choices.dtype, bcast)()])

    def perform(self, node, inputs, output_storage):
        a, choices = inputs
        n = choices.shape[0]
        index = self._index(np, a, n)
        if self.mode == "raise" and index.size and (index.min() < 0 or index.max() >= n):
            bad = index[(index < 0) | (index >= n)].flat[0]
            raise ValueError(f"Choose: index {bad} in a is out of range for {n} choices "
                             "(mode='raise'; 'wrap' or 'clip' accept it)")
        try:
            shape = np.broadcast_shapes(a.shape, choices.shape[1:])
        except ValueError:
            raise ValueError(f"Choose: a of shape {a.shape} and choices of shape "
                             f"{choices.shape[1:]} (each) do not broadcast together") from None
        index = np.broadcast_to(index, shape)[None]
        # Each choice is padded on the left, as broadcasting pads; the choice axis stays first.
        choices = choices.reshape((n,) + (1,) * (len(shape) + 1 - choices.ndim) + choices.shape[1:])
        picked = np.take_along_axis(np.broadcast_to(choices, (n,) + shape), index, axis=0)
        output_storage[0][0] = np.array(picked[0], dtype=node.outputs[0].dtype)

    def _index(self, backend: Any, a: Any, n: Any) -> Any:
        """The index a names, after `mode`: numpy (perform) or tensors (grad) alike."""
        if self.mode == "wrap":
            return a % n
        if self.mode == "clip":
            return backend.clip(a, 0, n - 1)
        return a

    def infer_shape(self, fgraph, node, input_shapes):
        a_shape, c_shape = input_shapes[0], input_shapes[1][1:]
        ndim = node.outputs[0].ndim
        a_shape = (1,) * (ndim - len(a_shape)) + tuple(a_shape)
        c_shape = (1,) * (ndim - len(c_shape)) + tuple(c_shape)
        a_b = _aligned(node.inputs[0].broadcastable, ndim)
        c_b = _aligned(node.inputs[1].broadcastable[1:], ndim)
        return [tuple(1 if ab and cb else c if ab else a if cb else _T.maximum(a, c)
                      for a, c, ab, cb in zip(a_shape, c_shape, a_b, c_b))]

    def grad(self, inputs, output_grads):
        (a, choices), (gz,) = inputs, output_grads
        if choices.dtype not in FLOAT_DTYPES:
            return [disconnected_type(), choices.zeros_like(dtype="float64")]
        # Choice k gets gz where the index is k: a one-hot mask along a new first axis.
        n = choices.shape[0]
        index = _T.shape_padleft(self._index(_T, a, n))
        ks = _T.arange(n).dimshuffle([0] + ["x"] * gz.ndim)
        g = _T.eq(index, ks) * _T.shape_padleft(gz)
        # Sum back to the shape of choices: the dimensions it gained, then those it stretched.
        extra = g.ndim - choices.ndim
        if extra:
            g = g.sum(axis=list(range(1, 1 + extra)))
        axes = [d for d in range(1, choices.ndim)
                if choices.broadcastable[d] and not g.broadcastable[d]]
        if axes:
            g = g.sum(axis=axes, keepdims=True)
        g = _T.patternbroadcast(_T.cast(g, choices.dtype), choices.broadcastable)
        return [disconnected_type(), g]

    def connection_pattern(self, node):
        return [[False], [True]]


def choose(a: Any, choices: Any, out: None = None, mode: str = "raise") -> TensorVariable:
    """numpy.choose(a, choices, mode=mode) as a graph; `out` must be None (as in Theano)."""
    if out is not None:
        raise ValueError("choose: out is not supported (Theano's was not either); use the result")
    return Choose(mode)(a, choices)


import minitheano.tensor as _T  # noqa: E402
