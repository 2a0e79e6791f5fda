"""What the printers accept, reduced to the Variables to print (chapter 1).

Every printer takes the same things: a Variable, an Apply node, a
FunctionGraph, a compiled Function, or a list of these.  `print_targets`
turns any of them into (variable, schedule) pairs; the schedule is the
FunctionGraph's toposort for compiled graphs (debugprint shows each node's
position in it) and None for a graph that was only built.

Printing knows nothing of tensors or of the compiler: a compiled Function is
recognised by its `maker.fgraph`, `In`/`Out` by their `variable`, so this
package imports only graph/ and the scalar ops can use `pretty` for their
own names.
"""

from __future__ import annotations

from typing import Any

from minitheano.graph.basic import Apply, Variable
from minitheano.graph.fg import FunctionGraph


def print_targets(obj: Any) -> list[tuple[Variable, list[Apply] | None]]:
    """The output Variables of `obj`, each with its graph's schedule (or None)."""
    if isinstance(obj, (list, tuple)):
        return [target for item in obj for target in print_targets(item)]
    if isinstance(obj, Variable):
        return [(obj, None)]
    if isinstance(obj, Apply):
        return [(out, None) for out in obj.outputs]
    fgraph = getattr(getattr(obj, "maker", None), "fgraph", obj)
    if isinstance(fgraph, FunctionGraph):
        order = fgraph.toposort()
        return [(out, order) for out in fgraph.outputs]
    if isinstance(getattr(obj, "variable", None), Variable):  # In, Out
        return [(obj.variable, None)]
    raise TypeError(f"cannot print an object of type {type(obj).__name__}: give a Variable, "
                    f"an Apply node, a FunctionGraph, a compiled function, or a list of these")


def output_variables(obj: Any) -> list[Variable]:
    """Just the Variables of `print_targets(obj)`."""
    return [var for var, _ in print_targets(obj)]
