"""Algebraic identities: powers, exp and log, transpositions, sums of views (chapter 3).

Two tables of patterns (patterns.py) and three rewrites on DimShuffle and Sum.
The `canonicalize` table simplifies; the `specialize` table, run later, picks
the cheapest op for what is left (`x ** 2` is `sqr(x)`: one multiplication
instead of a call to `pow`).

What is deliberately *not* here: `log(x * y) -> log(x) + log(y)`.  It is
wrong for negative x and y (the left side is defined, the right is NaN) and
makes the graph larger.
"""

from __future__ import annotations

import numpy as np

from minitheano.graph.fg import FunctionGraph
from minitheano.rewrite.engine import register
from minitheano.rewrite.patterns import pattern_table
from minitheano.scalar import math as smath
from minitheano.tensor import basic as tb
from minitheano.tensor import math as tm
from minitheano.tensor.elemwise import DimShuffle
from minitheano.tensor.reduction import Sum
from minitheano.tensor.shape import Rebroadcast, patternbroadcast

pattern_table("canonicalize", [
    ("log_exp", (smath.log, (smath.exp, "x")), "x",
     "log(exp(x)) -> x: exact for every real x, and x does not overflow where exp(x) does"),
    ("exp_log", (smath.exp, (smath.log, "x")),
     lambda x: tm.switch(tm.ge(x, 0), x, np.nan),
     "exp(log(x)) -> x where x >= 0 and NaN elsewhere, as log made it: no exp, no log"),
])

pattern_table("specialize", [
    ("pow_2_to_sqr", (smath.pow, "x", 2), (smath.sqr, "x"),
     "x ** 2 -> sqr(x): one multiplication instead of pow"),
    ("pow_half_to_sqrt", (smath.pow, "x", 0.5), (smath.sqrt, "x"),
     "x ** 0.5 -> sqrt(x): the same value, correctly rounded, faster"),
    ("pow_1", (smath.pow, "x", 1), "x", "x ** 1 -> x"),
    ("pow_minus_1", (smath.pow, "x", -1), (smath.true_div, 1, "x"), "x ** -1 -> 1 / x"),
    ("mul_minus_1_to_neg", (smath.mul, -1, "x"), (smath.neg, "x"),
     "-1 * x -> -x: a sign flip instead of a multiplication"),
    ("double_negation", (smath.neg, (smath.neg, "x")), "x",
     "--x -> x, again: stabilization (after canonicalize) may negate a negation"),
])


@register("canonicalize", DimShuffle)
def dimshuffle_chain(fgraph: FunctionGraph, node):
    """DimShuffle(DimShuffle(x)) -> one DimShuffle; an identity DimShuffle -> x.
    Safe: a DimShuffle only renames axes, so two in a row compose."""
    op = node.op
    (x,) = node.inputs
    inner = x.owner
    if inner is not None and isinstance(inner.op, DimShuffle):
        order = tuple("x" if d == "x" else inner.op.new_order[d] for d in op.new_order)
        source = inner.inputs[0]
        return [DimShuffle(source.type.broadcastable, order)(source)]
    if op.new_order == tuple(range(x.type.ndim)):
        return [x]
    return None


@register("canonicalize", Rebroadcast)
def rebroadcast_chain(fgraph: FunctionGraph, node):
    """Rebroadcast(Rebroadcast(x)) -> one; Rebroadcast of what it declares -> its input."""
    (x,) = node.inputs
    if x.type.broadcastable == node.op.broadcastable:
        return [x]
    if x.owner is not None and isinstance(x.owner.op, Rebroadcast):
        return [patternbroadcast(x.owner.inputs[0], node.op.broadcastable)]
    return None


@register("canonicalize", Sum)
def sum_over_no_axes(fgraph: FunctionGraph, node):
    """Sum{axis=[]}(x) -> x: a sum over no axes adds nothing (the gradient of a
    broadcast over no dimensions makes such sums)."""
    (x,) = node.inputs
    out = node.outputs[0]
    if node.op.axis or x.type.broadcastable != out.type.broadcastable:
        return None
    return [x if x.type.dtype == out.type.dtype else tb.cast(x, out.type.dtype)]


@register("canonicalize", Sum)
def sum_of_dimshuffle(fgraph: FunctionGraph, node):
    """sum(x.dimshuffle(...), axes) -> sum(x, the same axes of x), then a DimShuffle
    of the (smaller) result.  sum(x.T) -> sum(x).  Safe: a sum does not care in
    which order its axes are laid out, and a new axis has length 1."""
    (view,) = node.inputs
    ds = view.owner
    if ds is None or not isinstance(ds.op, DimShuffle):
        return None
    (x,) = ds.inputs
    order = ds.op.new_order
    summed = set(node.op.axis)
    axes = sorted(order[k] for k in summed if order[k] != "x")
    reduced = Sum(axes)(x)
    remaining = [d for d in range(x.type.ndim) if d not in axes]
    final = ["x" if order[k] == "x" else remaining.index(order[k])
             for k in range(len(order)) if k not in summed]
    if final != list(range(reduced.type.ndim)):
        reduced = DimShuffle(reduced.type.broadcastable, final)(reduced)
    out = node.outputs[0]
    if reduced.type.dtype != out.type.dtype:
        reduced = tb.cast(reduced, out.type.dtype)
    return [reduced]
