"""get_scalar_constant_value: the number a variable is known to hold, if the graph
says so (chapter 1).

Library code asks it to decide things while building a graph: "is this
length 1?", "is this scale 0?".  A variable is a known constant when it is a
Constant, when every input below it is a Constant (the graph is then worked
out here, node by node, with each op's `perform`), or when it is the length
of a dimension declared broadcastable (always 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Constant, Variable, graph_inputs, toposort
from minitheano.tensor.shape import Shape_i


class NotScalarConstantError(Exception):
    """The variable is not known to be one constant number."""


def get_scalar_constant_value(v: Any, elemwise: bool = True,
                              only_process_constants: bool = False,
                              max_recur: int = 10) -> np.ndarray:
    """The value of `v` as a 0-d numpy array, or NotScalarConstantError.

    `elemwise` and `max_recur` are accepted for Theano's signature; with
    `only_process_constants`, only a Constant itself counts.
    """
    if not isinstance(v, Variable):
        value = np.asarray(v)
    elif isinstance(v, Constant):
        value = np.asarray(v.data)
    elif only_process_constants:
        raise NotScalarConstantError(f"{v} is not a Constant")
    elif v.owner is not None and isinstance(v.owner.op, Shape_i) and \
            v.owner.inputs[0].broadcastable[v.owner.op.i]:
        value = np.asarray(1, dtype="int64")
    elif all(isinstance(i, Constant) for i in graph_inputs([v])):
        value = np.asarray(_evaluate(v))
    else:
        raise NotScalarConstantError(f"{v} depends on inputs that are not constants")
    if value.size != 1:
        raise NotScalarConstantError(f"{v} holds {value.size} numbers, not one")
    return value.reshape(())


def _evaluate(v: Variable) -> Any:
    """The value of a graph whose inputs are all Constants, by running each node."""
    values: dict[Variable, Any] = {}
    for node in toposort([v]):
        inputs = [values[i] if i in values else i.data for i in node.inputs]
        storage: list[list] = [[None] for _ in node.outputs]
        node.op.perform(node, inputs, storage)
        values.update((out, cell[0]) for out, cell in zip(node.outputs, storage))
    return values[v] if v in values else v.data
