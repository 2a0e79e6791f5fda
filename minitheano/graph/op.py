"""Op: an operation, with everything the compiler needs to know about it (chapter 1).

An Op is one class per operation.  Each method serves one stage of the pipeline:

    make_node      graph building   check input types, decide output types   (ch 1)
    perform        Python VM        compute outputs from numpy inputs        (ch 2)
    infer_shape    rewriting        output shapes as graphs of input shapes  (ch 3)
    grad / R_op    differentiation  more graph                               (ch 4)
    kernel         C and CUDA       a description of the loop to compile     (ch 5, 6)

An Op instance is a value: two ops with the same class and the same `__props__`
are equal and hash alike, so identical computations can be merged (ch 3).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from minitheano.config import config
from minitheano.graph.basic import Apply, Variable
from minitheano.graph.test_value import compute_test_values


class Op:
    """Base class of all operations."""

    # The attributes that define this op; equality, hashing and str() use them.
    __props__: tuple[str, ...] = ()
    # view_map {out: [inp]}: output `out` may be a view of input `inp`.
    view_map: dict[int, list[int]] = {}
    # destroy_map {out: [inp]}: output `out` is written into input `inp`'s buffer.
    destroy_map: dict[int, list[int]] = {}
    # Which output `op(...)` returns when the node has several (None: all of them).
    default_output: int | None = None

    def make_node(self, *inputs: Any) -> Apply:
        """Check the inputs and return an Apply node with fresh output Variables."""
        raise NotImplementedError(f"{type(self).__name__}.make_node")

    def __call__(self, *inputs: Any, **kwargs: Any) -> Variable | list[Variable]:
        node = self.make_node(*inputs, **kwargs)
        if config.compute_test_value != "off":  # chapter 9: run it now, on test values
            compute_test_values(node, config.compute_test_value)
        if self.default_output is not None:
            return node.outputs[self.default_output]
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    # -- running ------------------------------------------------------------
    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list]) -> None:
        """Compute the outputs with numpy: `output_storage[i][0] = value`."""
        raise NotImplementedError(f"{self} has no Python implementation")

    def make_py_thunk(self, node: Apply, input_cells: list[list],
                      output_cells: list[list]) -> Callable[[], None]:
        """A function of no arguments that runs this node on the VM's storage cells.

        Ops with a faster way to run (Elemwise, DimShuffle) override this; the default calls
        `perform` with the current contents of the input cells.
        """
        # --8<-- [start:ex-ch02-thunk]
        perform = self.perform

        def thunk() -> None:
            perform(node, [cell[0] for cell in input_cells], output_cells)

        return thunk
        # --8<-- [end:ex-ch02-thunk]

    # -- compiled code ------------------------------------------------------
    def kernel(self, node: Apply) -> Any:
        """The kernel description of `node` (tensor/kernel.py), which the C
        printer (ch 5) and the CUDA printer (ch 6) both print; None: the node
        runs `perform`, even inside a compiled function."""
        return None

    # -- shapes -------------------------------------------------------------
    def infer_shape(self, fgraph: Any, node: Apply,
                    input_shapes: list[tuple]) -> list[tuple]:
        """The shape of each output, as tuples of symbolic scalars built from
        `input_shapes`, without computing anything."""
        raise NotImplementedError(f"{self} cannot infer its output shape")

    # -- differentiation ----------------------------------------------------
    def grad(self, inputs: list[Variable], output_grads: list[Variable]) -> list[Variable]:
        """Given d cost / d output for each output, return d cost / d input."""
        raise NotImplementedError(f"{self} has no gradient")

    def L_op(self, inputs: list[Variable], outputs: list[Variable],
             output_grads: list[Variable]) -> list[Variable]:
        """`grad`, for ops that want to reuse their outputs in it (softmax, exp)."""
        return self.grad(inputs, output_grads)

    def R_op(self, inputs: list[Variable], eval_points: list[Variable | None]) -> list[Variable]:
        """Forward mode: the directional derivative of each output along `eval_points`."""
        raise NotImplementedError(f"{self} has no R_op")

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        """[input][output]: can output depend on input at all?"""
        return [[True] * len(node.outputs) for _ in node.inputs]

    # -- identity -----------------------------------------------------------
    def _props(self) -> tuple:
        return tuple(getattr(self, name) for name in self.__props__)

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self) -> int:
        return hash((type(self), self._props()))

    def __str__(self) -> str:
        if not self.__props__:
            return type(self).__name__
        props = ", ".join(f"{name}={getattr(self, name)}" for name in self.__props__)
        return f"{type(self).__name__}{{{props}}}"

    def __repr__(self) -> str:
        return str(self)
