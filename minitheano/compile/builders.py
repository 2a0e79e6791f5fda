"""OpFromGraph: a graph packaged as one Op, as Theano's `theano.compile.builders` (chapter 2).

    x, y = T.dscalars('x', 'y')
    op = OpFromGraph([x, y], [x * y + 1])
    z = op(a, b) + op(b, a)          # two nodes, each running the inner graph

The inner graph is compiled once, the first time a node runs (Python linker,
no rewrites across the boundary).  Its gradient and its shapes are the inner
graph's own, written in terms of the node's inputs: the inner graph is copied
with its inputs replaced by the node's, and `grad` or `shape` works on the copy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minitheano.graph.basic import Apply, Constant, Variable, clone_replace, graph_inputs
from minitheano.graph.op import Op
from minitheano.graph.shared import SharedVariable


class OpFromGraph(Op):
    """An Op whose computation is the graph from `inputs` to `outputs`."""

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable] | Variable,
                 inline: bool = False, name: str | None = None, **kwargs: Any) -> None:
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        inputs = list(inputs)
        for v in graph_inputs(outputs):
            if v not in inputs and not isinstance(v, Constant):
                kind = "shared variable" if isinstance(v, SharedVariable) else "variable"
                raise ValueError(f"OpFromGraph: the outputs depend on the {kind} {v}, which "
                                 f"is not one of the inputs (pass it as an input)")
        if kwargs:
            raise NotImplementedError(f"OpFromGraph: {', '.join(sorted(kwargs))} not supported")
        self.inner_inputs = inputs
        self.inner_outputs = outputs
        self.inline = inline  # accepted; the graph always stays packaged
        self.name = name
        self._fn = None

    def make_node(self, *inputs: Any) -> Apply:
        if len(inputs) != len(self.inner_inputs):
            raise TypeError(f"{self}: expected {len(self.inner_inputs)} inputs, got "
                            f"{len(inputs)}")
        checked = []
        for k, (value, inner) in enumerate(zip(inputs, self.inner_inputs)):
            var = value if isinstance(value, Variable) else inner.type.make_constant(value)
            if var.type != inner.type:
                raise TypeError(f"{self}: input {k} must be a {inner.type}, got {var.type}")
            checked.append(var)
        return Apply(self, checked, [out.type() for out in self.inner_outputs])

    def perform(self, node, inputs, output_storage):
        if self._fn is None:
            from minitheano.compile.function import function
            self._fn = function(self.inner_inputs, self.inner_outputs, mode="FAST_COMPILE",
                                on_unused_input="ignore")
        for cell, value in zip(output_storage, self._fn(*inputs)):
            cell[0] = value

    def _outputs_at(self, inputs: Sequence[Variable]) -> list[Variable]:
        """The inner outputs, copied with the inner inputs replaced by `inputs`."""
        return clone_replace(self.inner_outputs, dict(zip(self.inner_inputs, inputs)))

    def infer_shape(self, fgraph, node, input_shapes):
        from minitheano import tensor as T
        return [tuple(T.shape(out)[d] for d in range(out.ndim))
                for out in self._outputs_at(node.inputs)]

    def L_op(self, inputs, outputs, output_grads):
        from minitheano import tensor as T
        from minitheano.gradient import grad
        inner = self._outputs_at(inputs)
        # The gradient of sum(output * its gradient), holding those gradients
        # fixed: they may themselves depend on the inputs (z = op(x) * x).
        cost = sum(T.sum(out * g) for out, g in zip(inner, output_grads))
        return grad(cost, list(inputs), consider_constant=list(output_grads),
                    disconnected_inputs="ignore")

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def __str__(self) -> str:
        return f"OpFromGraph{{{self.name or 'inner'}}}"
