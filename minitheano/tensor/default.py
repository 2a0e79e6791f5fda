"""default(x, d): x, or d where x holds None (Theano 1.0's theano.tensor.default).
Chapter 1.

Only values of a type that admits None can be None: `theano.generic` inputs, or
outputs of ops that may produce nothing.  The result is x itself (a view), or a
copy of d, so that a caller never receives d's own buffer.
"""

from __future__ import annotations

import copy
from typing import Any

from minitheano.graph.basic import Apply, Variable
from minitheano.graph.null import grad_not_implemented
from minitheano.graph.op import Op
from minitheano.tensor.basic import as_tensor_variable


class Default(Op):
    """x if x is not None, else a copy of the default; both of one type."""

    view_map = {0: [0]}

    def make_node(self, x: Variable, default: Variable) -> Apply:
        if x.type != default.type:
            raise TypeError(f"default: x and the default must have one type, got {x.type} "
                            f"and {default.type}")
        return Apply(self, [x, default], [default.type()])

    def perform(self, node, inputs, output_storage):
        x, default = inputs
        output_storage[0][0] = copy.deepcopy(default) if x is None else x

    def grad(self, inputs, output_grads):
        # Which input the output came from is known only at run time (Theano had no
        # gradient either).
        why = "which input is passed on is decided at run time"
        return [grad_not_implemented(self, k, v, why) for k, v in enumerate(inputs)]


def default(x: Any, d: Any) -> Variable:
    """x, or a copy of d where x is None at run time."""
    x = x if isinstance(x, Variable) else as_tensor_variable(x)
    d = d if isinstance(d, Variable) else x.type.make_constant(d)
    return Default()(x, d)
