"""Rewrites of ifelse: decide it at compile time, or make it a switch (chapter 7).

* `ifelse_constant_condition`: `ifelse(1, a, b)` is `a`.
* `ifelse_same_branches`: `ifelse(c, a, a)` is `a`.
* `ifelse_nested_same_condition`: inside the branch taken when c is true, an
  `ifelse(c, a, b)` is `a` (and `b` inside the other branch).
* `ifelse_to_switch`: when both branches are scalars that cost next to nothing
  (a variable, a constant, or one elementwise operation on those), computing
  both is cheaper than the lazy machinery, and a `switch` can be fused with
  its neighbours.  Only scalars: a switch broadcasts its branches against
  each other, while ifelse lets them have different shapes.
"""

from __future__ import annotations

import minitheano.tensor as T
from minitheano.graph.basic import Apply, Constant, Variable
from minitheano.graph.fg import FunctionGraph
from minitheano.ifelse import IfElse
from minitheano.rewrite.engine import register
from minitheano.tensor.elemwise import DimShuffle, Elemwise


def _branches(node: Apply) -> tuple[Variable, list[Variable], list[Variable]]:
    n = node.op.n_outs
    return node.inputs[0], node.inputs[1:1 + n], node.inputs[1 + n:]


def _fit(value: Variable, out: Variable) -> Variable:
    """`value` with the type of the ifelse output it replaces."""
    if value.broadcastable != out.broadcastable:
        value = T.patternbroadcast(value, out.broadcastable)
    return value


@register("canonicalize", IfElse)
def ifelse_constant_condition(fgraph: FunctionGraph, node: Apply) -> list | None:
    """ifelse(constant, a, b) -> a or b: the choice is known before running."""
    cond, then, other = _branches(node)
    if not isinstance(cond, Constant):
        return None
    chosen = then if cond.data else other
    return [_fit(v, out) for v, out in zip(chosen, node.outputs)]


@register("canonicalize", IfElse)
def ifelse_same_branches(fgraph: FunctionGraph, node: Apply) -> dict | None:
    """ifelse(c, a, a) -> a: both ways give the same value."""
    _, then, other = _branches(node)
    same = {out: _fit(a, out) for a, b, out in zip(then, other, node.outputs)
            if a is b and fgraph.clients.get(out)}
    return same or None


@register("canonicalize", IfElse)
def ifelse_nested_same_condition(fgraph: FunctionGraph, node: Apply) -> list | None:
    """ifelse(c, ifelse(c, a, b), d) -> ifelse(c, a, d); likewise in the else branch."""
    cond, then, other = _branches(node)

    def pick(v: Variable, taken: bool) -> Variable:
        inner = v.owner
        if inner is None or not isinstance(inner.op, IfElse) or inner.inputs[0] is not cond:
            return v
        _, inner_then, inner_else = _branches(inner)
        return (inner_then if taken else inner_else)[v.index]

    new_then = [pick(v, True) for v in then]
    new_else = [pick(v, False) for v in other]
    if new_then == then and new_else == other:
        return None
    outs = IfElse(node.op.n_outs, node.op.name).make_node(cond, *new_then, *new_else).outputs
    return [_fit(new, out) for new, out in zip(outs, node.outputs)]


def _cheap(v: Variable) -> bool:
    """A variable, a constant, or one elementwise operation on such."""
    if v.owner is None:
        return True
    node = v.owner
    while isinstance(node.op, DimShuffle):  # broadcasting a constant costs nothing
        if node.inputs[0].owner is None:
            return True
        node = node.inputs[0].owner
    return isinstance(node.op, Elemwise) and all(
        i.owner is None or isinstance(i.owner.op, DimShuffle) and i.owner.inputs[0].owner is None
        for i in node.inputs)


@register("specialize", IfElse)
def ifelse_to_switch(fgraph: FunctionGraph, node: Apply) -> list | None:
    """ifelse(c, a, b) -> switch(c, a, b) for cheap scalar branches."""
    cond, then, other = _branches(node)
    # --8<-- [start:ex-ch07-ifelse-to-switch]
    if not all(out.ndim == 0 for out in node.outputs):
        return None
    if not all(_cheap(v) for v in then + other):
        return None
    return [T.switch(cond, a, b) for a, b in zip(then, other)]
    # --8<-- [end:ex-ch07-ifelse-to-switch]
