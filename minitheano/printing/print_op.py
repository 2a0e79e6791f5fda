"""Print: an op that shows a value while the function runs (chapter 1).

    x = T.dvector('x')
    y = theano.printing.Print('x is')(x) * 2
    f = theano.function([x], y)
    f([1, 2])        # prints: x is __str__ = [1. 2.]

The graph is only a description, so a Python `print(x)` shows the symbol, never
the number.  To see values mid-computation, put a `Print` node in the graph:
it passes its input through unchanged (its output *is* the input, a view) and
prints as a side effect.  Its gradient passes through too, so it can sit in
a training graph.  Rewrites do not see through it: a Print in the middle of
`log(1 + x)` keeps chapter 3 from turning that into `log1p(x)`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from minitheano.graph.basic import Apply, Variable
from minitheano.graph.op import Op


def _print_fn(op: Print, value: Any) -> None:
    """Theano's default: `message attr = value` for each attribute."""
    for attr in op.attrs:
        shown = getattr(value, attr)
        print(op.message, attr, "=", shown() if callable(shown) else shown)


class Print(Op):
    """Identity that prints `message` and the given attributes of its input.

    `attrs` names attributes or methods of the numpy value (`'shape'`, `'sum'`);
    `global_fn(op, value)` does the printing and may be replaced.
    """

    __props__ = ("message", "attrs", "global_fn")
    view_map = {0: [0]}

    def __init__(self, message: str = "", attrs: Sequence[str] = ("__str__",),
                 global_fn: Callable[[Print, Any], None] = _print_fn) -> None:
        self.message = message
        self.attrs = tuple(attrs)
        self.global_fn = global_fn

    def make_node(self, x: Any) -> Apply:
        if not isinstance(x, Variable):
            raise TypeError(f"Print({self.message!r}) takes a symbolic Variable, "
                            f"got {type(x).__name__}")
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        output_storage[0][0] = x
        self.global_fn(self, x)

    def infer_shape(self, fgraph, node, input_shapes):
        return list(input_shapes)

    def grad(self, inputs, output_grads):
        return list(output_grads)

    def R_op(self, inputs, eval_points):
        return list(eval_points)

    def __str__(self) -> str:
        return f"Print{{message={self.message!r}, attrs={self.attrs}}}"
