"""Sums of increments of zeros: one array incremented in turn (chapters 4 and 9).

The gradient of `x[:, a:b]` is `inc_subtensor(zeros_like(x)[:, a:b], g)`: a whole
array of zeros with g added in its part.  An LSTM reads its four gates as four
slices of one product, so backpropagation adds four such arrays:

    add(inc(zeros, g_i, [:, 0:n]), inc(zeros, g_f, [:, n:2n]), ...)

four fills with zeros, four copies, a sum of four whole arrays, at every step of
the backward loop.  `add_of_increments` takes the increments out of the sum, one
at a time:

    add(a, inc(zeros, y, idx))  ->  inc(a, y, idx)

(exact: zeros + y in a part, added to a, is y added to that part of a), until one
array is incremented in turn, and the inplace phase makes each increment write
into the array before it.
"""

from __future__ import annotations

from minitheano.graph.basic import Apply, Variable
from minitheano.graph.fg import FunctionGraph
from minitheano.rewrite.engine import register
from minitheano.scalar import arithmetic as sa
from minitheano.tensor import math as tm
from minitheano.tensor.basic import is_zeros
from minitheano.tensor.subtensor import IncSubtensor


def _increment_of_zeros(v: Variable, like: Variable) -> bool:
    """Is `v` inc_subtensor(zeros, y, idx), of `like`'s type?"""
    node = v.owner
    return (node is not None and type(node.op) is IncSubtensor
            and not node.op.set_instead_of_inc and v.type == like.type
            and is_zeros(node.inputs[0]))


@register("specialize", sa.Add)
def add_of_increments(fgraph: FunctionGraph, node: Apply) -> list | None:
    """add(a, ..., inc(zeros, y, idx)) -> inc(add(a, ...), y, idx)."""
    (out,) = node.outputs
    if len(node.inputs) < 2:
        return None
    for k, v in enumerate(node.inputs):
        if not _increment_of_zeros(v, out):
            continue
        others = node.inputs[:k] + node.inputs[k + 1:]
        rest = others[0] if len(others) == 1 else tm.add(*others)
        if rest.type != out.type:
            continue  # the others alone broadcast to a smaller shape: not this one
        inc = v.owner
        return [IncSubtensor(inc.op.idx_list)(rest, *inc.inputs[1:])]
    return None
