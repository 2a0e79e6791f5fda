"""as_op: a Python function made into an Op by a decorator (chapter 2).

    @theano.compile.as_op(itypes=[T.dmatrix], otypes=[T.dvector])
    def row_norms(m):
        return numpy.sqrt((m ** 2).sum(axis=1))

The function runs on numpy arrays when the compiled function runs (like an
Op's `perform`); the types say what goes in and out.  Such an op has no
gradient and no C code, and rewrites treat it as a black box.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from minitheano.graph.basic import Apply, Variable
from minitheano.graph.op import Op
from minitheano.graph.type import Type


class FromFunctionOp(Op):
    """An Op whose perform calls `fn`; built by `as_op`."""

    __props__ = ("fn", "itypes", "otypes")

    def __init__(self, fn: Callable, itypes: Sequence[Type], otypes: Sequence[Type],
                 infer_shape: Callable | None = None) -> None:
        self.fn = fn
        self.itypes = tuple(itypes)
        self.otypes = tuple(otypes)
        self._infer_shape = infer_shape

    def make_node(self, *inputs: Any) -> Apply:
        if len(inputs) != len(self.itypes):
            raise TypeError(f"{self}: expected {len(self.itypes)} inputs, got {len(inputs)}")
        checked = []
        for k, (value, itype) in enumerate(zip(inputs, self.itypes)):
            var = value if isinstance(value, Variable) else itype.make_constant(value)
            if var.type != itype:
                raise TypeError(f"{self}: input {k} must be a {itype}, got {var.type}")
            checked.append(var)
        return Apply(self, checked, [otype() for otype in self.otypes])

    def perform(self, node, inputs, output_storage):
        outputs = self.fn(*inputs)
        if len(self.otypes) == 1:
            outputs = [outputs]
        for cell, value, otype in zip(output_storage, outputs, self.otypes):
            cell[0] = otype.filter(value)

    def infer_shape(self, fgraph, node, input_shapes):
        if self._infer_shape is None:
            raise NotImplementedError(f"{self} cannot infer its output shape (pass "
                                      f"infer_shape= to as_op)")
        return self._infer_shape(node, input_shapes)

    def grad(self, inputs, output_grads):
        raise NotImplementedError(f"{self} was made with as_op and has no gradient: write an "
                                  f"Op class with a grad method to differentiate through it")

    def __str__(self) -> str:
        return f"FromFunctionOp{{{getattr(self.fn, '__name__', self.fn)}}}"


def as_op(itypes: Sequence[Type], otypes: Sequence[Type],
          infer_shape: Callable | None = None) -> Callable[[Callable], FromFunctionOp]:
    """A decorator that makes a numpy function into an Op of the given types."""
    itypes, otypes = list(itypes), list(otypes)
    for t in itypes + otypes:
        if not isinstance(t, Type):
            raise TypeError(f"as_op: itypes and otypes must hold Types (e.g. T.dmatrix), "
                            f"got {t!r}")

    def decorate(fn: Callable) -> FromFunctionOp:
        return FromFunctionOp(fn, itypes, otypes, infer_shape)
    return decorate
