"""DeepCopyOp: the copy a function makes so its outputs never alias its state, and
ViewOp, its opposite: the input itself, as a view (chapter 2).

If an output of a function *is* one of its inputs, a shared value, a constant,
or a view of one of them, returning it as it is would hand the caller a
buffer the function still uses.  The compiler puts a `DeepCopyOp` in front of
such outputs; it shows up in `f.maker.fgraph.toposort()`.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply, Variable
from minitheano.graph.op import Op


class DeepCopyOp(Op):
    """A copy of its input, in a new buffer."""

    def make_node(self, x: Variable) -> Apply:
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        output_storage[0][0] = x.copy() if isinstance(x, np.ndarray) else copy.deepcopy(x)

    def make_py_thunk(self, node, input_cells, output_cells):
        (src,), (dst,) = input_cells, output_cells
        ndarray = np.ndarray

        def thunk() -> None:
            x = src[0]
            dst[0] = x.copy() if type(x) is ndarray else copy.deepcopy(x)
        return thunk

    def infer_shape(self, fgraph, node, input_shapes):
        return list(input_shapes)

    def grad(self, inputs, output_grads):
        return list(output_grads)

    def R_op(self, inputs: Any, eval_points: Any) -> Any:
        return list(eval_points)


deep_copy_op = DeepCopyOp()


class ViewOp(Op):
    """Its input itself, no copy (`view_map` tells the compiler the output is a view).

    Theano's base for ops that change nothing but how a value is seen or
    differentiated (zero_grad and its kin are such ops here too).
    """

    view_map = {0: [0]}

    def make_node(self, x: Variable) -> Apply:
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0]

    def infer_shape(self, fgraph, node, input_shapes):
        return list(input_shapes)

    def grad(self, inputs, output_grads):
        return list(output_grads)

    def R_op(self, inputs: Any, eval_points: Any) -> Any:
        return list(eval_points)


view_op = ViewOp()
