"""Merging: compute each expression once (chapter 3).

Two nodes that apply the same op to the same inputs compute the same values,
so one can stand for both; two constants with the same type and data are
interchangeable.  Merging walks the graph once in topological order, keeping a
table from "signature" to the first variable seen with it:

    constant       (type, data)
    node output    (op, its inputs after merging, output index)

Because inputs are merged before the nodes that read them, `exp(x) + exp(x)`
written twice collapses in one pass: the two `exp(x)` merge, after which the
two additions read the same inputs and merge too.

Not merged: nodes that write into their inputs (destroy_map), whose effect
happens once per node, and ops that say they are random (`nondeterministic`).
"""

from __future__ import annotations

from minitheano.graph.basic import Constant, Variable
from minitheano.graph.fg import FunctionGraph
from minitheano.rewrite.engine import GlobalRewrite


def merge(fgraph: FunctionGraph) -> int:
    """Replace duplicate constants and duplicate nodes by the first of each kind;
    safe because equal ops on equal inputs give equal values."""
    count = 0
    seen: dict[tuple, Variable] = {}
    for const in [v for v in fgraph.variables if isinstance(v, Constant)]:
        key = ("const",) + const.signature()
        first = seen.setdefault(key, const)
        if first is not const and const in fgraph.variables:
            fgraph.replace(const, first, reason="merge")
            count += 1
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes:
            continue
        op = node.op
        if op.destroy_map or getattr(op, "nondeterministic", False):
            continue
        try:
            first = seen.setdefault((op, tuple(node.inputs)), node.outputs[0])
        except TypeError:  # an op with unhashable attributes cannot be compared
            continue
        if first is node.outputs[0]:
            continue
        for old, new in zip(node.outputs, first.owner.outputs):
            if old in fgraph.variables:
                fgraph.replace(old, new, reason="merge")
        count += 1
    return count


merge_rewrite = GlobalRewrite(merge, "merge")
