"""Constant folding: compute at compile time what depends only on constants (chapter 3).

`2 * 3 + x` needs `2 * 3` computed once, not at every call.  A node whose
inputs are all constants is run right away, with the op's own `perform` (the
same code the Python VM would run), and its outputs become constants.  Run to
equilibrium, this folds whole constant subexpressions, innermost first.

Not folded:
* `Alloc`: its purpose is a fresh array at every call.  Folded, it would
  become one constant that every call shares (and may not write into), and a
  (1000, 1000) array of zeros stored in the graph instead of two numbers;
* ops that declare themselves `nondeterministic` (random numbers);
* nodes whose inputs are not all constants (shared values can change);
* a node whose `perform` fails (`dot` of misaligned constants): the error is
  left for the call, where it names the node and the line that built it.
"""

from __future__ import annotations

from minitheano.graph.basic import Apply, Constant
from minitheano.graph.fg import FunctionGraph
from minitheano.rewrite.engine import register
from minitheano.tensor.basic import Alloc

DO_NOT_FOLD = (Alloc,)


@register(("canonicalize", "stabilize", "specialize"))
def constant_folding(fgraph: FunctionGraph, node: Apply):
    """op(constants) -> its value, computed now by op.perform: the same code, run once."""
    # --8<-- [start:ex-ch03-constant-fold]
    if not all(isinstance(v, Constant) for v in node.inputs):
        return None
    if isinstance(node.op, DO_NOT_FOLD) or getattr(node.op, "nondeterministic", False):
        return None
    storage = [[None] for _ in node.outputs]
    try:
        node.op.perform(node, [v.data for v in node.inputs], storage)
    except Exception:  # noqa: BLE001 - left for the run, where the error names the node
        return None
    return [out.type.make_constant(value) for out, (value,) in zip(node.outputs, storage)]
    # --8<-- [end:ex-ch03-constant-fold]
