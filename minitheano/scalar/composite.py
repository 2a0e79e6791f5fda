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

from minitheano.graph.basic import Apply, Constant, Variable, clone, clone_replace, toposort
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

    def grad(self, inputs, output_grads):
        """The gradient of the inner graph, by the same reverse mode as any graph's.

        The inner graph is copied onto `inputs`, each output is seeded with its
        gradient, and `backprop` (gradient/reverse.py) does the rest.  An output
        that the inner graph also uses (fusion makes such graphs) gets both its
        seed and what its users send.
        """
        # Differentiation builds on the scalar layer, not the other way round.
        from minitheano.gradient.reverse import backprop, is_discrete

        outputs = clone_replace(self.outputs, dict(zip(self.inputs, inputs)))
        seeds: dict[Variable, Variable] = {}
        for out, g in zip(outputs, output_grads):  # an output listed twice gets both
            seeds[out] = seeds[out] + g if out in seeds else g
        grads = backprop(seeds, list(inputs))
        # The scalar ops' convention: None where an input has no gradient.
        return [None if is_discrete(x) or not isinstance(g.type, ScalarType) else g
                for x, g in zip(inputs, grads)]
