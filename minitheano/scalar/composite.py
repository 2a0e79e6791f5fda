"""Composite: a small graph of scalar ops, used as one scalar op (chapters 3, 5, 6).

Chapter 3's fusion rewrite turns a chain of elementwise nodes such as
`exp(x) * sin(y) + z` into one `Elemwise(Composite)` node.  Run by Python it
evaluates its inner graph with numpy, op after op; chapter 5 prints the whole
inner graph as the body of one C loop, which is where fusion pays: one pass
over memory instead of one per op.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minitheano.graph.basic import Apply, Constant, Variable, clone, toposort
from minitheano.printing.pretty import expressions
from minitheano.scalar.basic import ScalarOp, ScalarType, ScalarVariable, as_scalar


class Composite(ScalarOp):
    """Several scalar ops fused into one.

    `inputs` are scalar input Variables, `outputs` scalar Variables computed
    from them.  The graph is copied, so later changes to it cannot reach here.
    """

    __props__ = ("signature",)

    def __init__(self, inputs: Sequence[ScalarVariable], outputs: Sequence[ScalarVariable]) -> None:
        self.inputs, self.outputs = clone(list(inputs), list(outputs))
        self.nodes = toposort(self.outputs)
        self.nin = len(self.inputs)
        self.nout = len(self.outputs)
        # Named by its expression, as pp prints it: Composite{exp(i0) * sin(i1) + i0}.
        names = {v: f"i{k}" for k, v in enumerate(self.inputs)}
        self.name = "Composite{" + ", ".join(expressions(self.outputs, names)) + "}"
        self.signature = self._signature()

    def _signature(self) -> tuple:
        """A hashable description of the inner graph: equal graphs, equal ops."""
        index = {v: ("in", k, v.type.dtype) for k, v in enumerate(self.inputs)}
        entries = []
        for n, node in enumerate(self.nodes):
            args = []
            for v in node.inputs:
                args.append(index[v] if v in index else ("const", v.signature()))
            entries.append((node.op, tuple(args)))
            for k, out in enumerate(node.outputs):
                index[out] = ("node", n, k)
        outs = tuple(index[o] if o in index else ("const", o.signature()) for o in self.outputs)
        return tuple(entries), outs

    def make_node(self, *inputs: Any) -> Apply:
        if len(inputs) != self.nin:
            raise TypeError(f"{self.name} takes {self.nin} inputs, got {len(inputs)}")
        inputs = [as_scalar(i) for i in inputs]
        for k, (given, mine) in enumerate(zip(inputs, self.inputs)):
            if given.type != mine.type:
                raise TypeError(f"{self.name}: input {k} must be {mine.type}, got {given.type}")
        return Apply(self, inputs, [ScalarType(o.type.dtype)() for o in self.outputs])

    def output_dtypes(self) -> list[str]:
        return [o.type.dtype for o in self.outputs]

    def impl(self, *inputs: Any) -> Any:
        values: dict[Variable, Any] = dict(zip(self.inputs, inputs))
        for node in self.nodes:
            args = [v.data if isinstance(v, Constant) else values[v] for v in node.inputs]
            result = node.op.impl(*args)
            values[node.outputs[0]] = result
        results = [o.data if isinstance(o, Constant) else values[o] for o in self.outputs]
        return results[0] if self.nout == 1 else tuple(results)
