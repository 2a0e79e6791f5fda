"""The graph layer: Variables, Apply nodes, Ops and Types (chapters 1 and 3).

It knows nothing of tensors, rewrites, linkers or `function`: every later
stage builds on it, never the other way round.
"""

from minitheano.graph.basic import (
    Apply,
    Constant,
    Variable,
    as_list,
    clone,
    clone_get_equiv,
    clone_replace,
    graph_inputs,
    toposort,
    variables,
)
from minitheano.graph.op import Op
from minitheano.graph.trace import UserLine, user_line
from minitheano.graph.type import Type

__all__ = [
    "Apply", "Constant", "Op", "Type", "UserLine", "Variable", "as_list", "clone",
    "clone_get_equiv", "clone_replace", "graph_inputs", "toposort", "user_line", "variables",
]
