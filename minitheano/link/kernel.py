"""Kernel descriptions: what a compiled loop computes, without saying in which language
(chapters 5 and 6).

A node of the graph that can run as compiled code is first *described*: a
fused elementwise node becomes an `ElemwiseKernel` (a scalar program applied
at every position of some arrays, with their dtypes and broadcastable
patterns), a reduction a `ReduceKernel` (a scalar op folded over some
axes), softmax a `SoftmaxKernel`.  These are plain data.  Printers turn them
into text: `link/c/cprinter.py` into C loops for the CPU, chapter 6's printer
into CUDA kernels.  Both print the *same* descriptions; they differ in the
loops around the scalar code and in a few spellings.

`describe(node)` gives the description of a node, or None when the node has
none (`dot`, shape ops, anything that is not a loop over elements): such
nodes run their Python `perform`, even inside a compiled function.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minitheano.graph.basic import Apply, Constant, Variable
from minitheano.scalar.basic import ScalarOp, ScalarType
from minitheano.scalar.composite import Composite
from minitheano.tensor.elemwise import Elemwise
from minitheano.tensor.reduction import CAReduce

# Beyond this many arrays a kernel's argument list gets silly (CUDA limits it
# too); such a node runs in Python.
MAX_OPERANDS = 32


@dataclass(frozen=True)
class Operand:
    """One array argument: its dtype and which dimensions are declared broadcastable."""
    dtype: str
    broadcastable: tuple[bool, ...]

    @property
    def ndim(self) -> int:
        return len(self.broadcastable)

    @property
    def is_scalar(self) -> bool:
        """One value for every position (0-d, or length 1 everywhere): read it once."""
        return all(self.broadcastable)


@dataclass(frozen=True)
class Step:
    """`values[out] = op(values[args])`: one scalar op of a loop body."""
    op: ScalarOp
    args: tuple[int, ...]
    out: int
    dtype: str


@dataclass(frozen=True)
class ScalarProgram:
    """The body of an elementwise loop, as a straight-line program on numbered values.

    Values 0..n_inputs-1 are the inputs (one element of each input array),
    `constants` give some values literally, each step computes one more, and
    `outputs` say which values are stored.
    """
    in_dtypes: tuple[str, ...]
    constants: tuple[tuple[int, Any, str], ...]   # (value, Python number, dtype)
    steps: tuple[Step, ...]
    outputs: tuple[int, ...]

    def dtype(self, value: int) -> str:
        if value < len(self.in_dtypes):
            return self.in_dtypes[value]
        for v, _, d in self.constants:
            if v == value:
                return d
        return next(s.dtype for s in self.steps if s.out == value)


def scalar_program(scalar_op: ScalarOp, in_dtypes: tuple[str, ...]) -> ScalarProgram:
    """The straight-line program of a scalar op: one step, or a Composite's inner
    graph in topological order (nested Composites are opened up)."""
    constants: list[tuple[int, Any, str]] = []
    steps: list[Step] = []
    count = [len(in_dtypes)]

    def new_value() -> int:
        count[0] += 1
        return count[0] - 1

    def emit(op: ScalarOp, args: list[int], out_dtypes: list[str]) -> list[int]:
        if not isinstance(op, Composite):
            out = new_value()
            steps.append(Step(op, tuple(args), out, out_dtypes[0]))
            return [out]
        values: dict[Variable, int] = dict(zip(op.inputs, args))

        def value_of(v: Variable) -> int:
            if v not in values:  # a constant of the inner graph
                values[v] = new_value()
                constants.append((values[v], v.data.item(), v.type.dtype))
            return values[v]

        for node in op.nodes:
            outs = emit(node.op, [value_of(v) for v in node.inputs],
                        [o.type.dtype for o in node.outputs])
            values.update(zip(node.outputs, outs))
        return [value_of(o) for o in op.outputs]

    probe = scalar_op.make_node(*[_scalar(d) for d in in_dtypes])
    outputs = emit(scalar_op, list(range(len(in_dtypes))), [o.type.dtype for o in probe.outputs])
    return ScalarProgram(tuple(in_dtypes), tuple(constants), tuple(steps), tuple(outputs))


def _scalar(dtype: str) -> Variable:
    return ScalarType(dtype)()


@dataclass(frozen=True)
class ElemwiseKernel:
    """`outputs[k][i] = program(inputs[0][i], inputs[1][i], ...)` at every position i.

    `inplace` lists (output, input) pairs: that output is written into that
    input's buffer (chapter 3 decided it was safe).
    """
    inputs: tuple[Operand, ...]
    outputs: tuple[Operand, ...]
    program: ScalarProgram
    inplace: tuple[tuple[int, int], ...] = ()

    @property
    def ndim(self) -> int:
        return self.outputs[0].ndim


# The scalar ops a reduction can fold (CAReduce's commutative, associative ones).
REDUCTIONS = ("add", "mul", "maximum", "minimum", "and_", "or_", "xor")


@dataclass(frozen=True)
class ReduceKernel:
    """Fold a scalar op over `axes` of `input`: `out[kept] = op(..., in[kept, reduced], ...)`.

    `op` is "add", "mul", "maximum", "minimum", "and_", "or_", "xor", or
    "argmax"/"argmin" (the position, counted in C order over the reduced axes).
    Elements are converted to `out_dtype` before they are combined (numpy sums
    int8 in int64).
    """
    op: str
    input: Operand
    axes: tuple[int, ...]
    out_dtype: str

    @property
    def kept(self) -> tuple[int, ...]:
        return tuple(d for d in range(self.input.ndim) if d not in self.axes)


@dataclass(frozen=True)
class SoftmaxKernel:
    """Softmax or log-softmax along the last axis of `input` ("softmax", "log_softmax")."""
    kind: str
    input: Operand


@dataclass(frozen=True)
class CrossentropyKernel:
    """-log(coding[i, y[i]]) for each row i of `coding`, y an integer vector of
    class indices (out of range: an error)."""
    coding: Operand
    index_dtype: str


Kernel = ElemwiseKernel | ReduceKernel | SoftmaxKernel | CrossentropyKernel


def describe(node: Apply) -> Kernel | None:
    """The kernel description of `node`, or None when it has none."""
    op = node.op
    if len(node.inputs) + len(node.outputs) > MAX_OPERANDS:
        return None
    if not all(hasattr(v.type, "broadcastable") for v in node.inputs + node.outputs):
        return None
    if isinstance(op, Elemwise):
        return _describe_elemwise(node)
    if isinstance(op, CAReduce) and not any(isinstance(i, Constant) for i in node.inputs):
        name = getattr(op.scalar_op, "name", "")
        if name in REDUCTIONS:
            return ReduceKernel(name, _operand(node.inputs[0]), tuple(op.axis),
                                node.outputs[0].type.dtype)
    return _describe_other(node)


def _operand(v: Variable) -> Operand:
    return Operand(v.type.dtype, tuple(v.type.broadcastable))


def _describe_elemwise(node: Apply) -> ElemwiseKernel:
    in_dtypes = tuple(v.type.dtype for v in node.inputs)
    program = scalar_program(node.op.scalar_op, in_dtypes)
    return ElemwiseKernel(tuple(_operand(v) for v in node.inputs),
                          tuple(_operand(v) for v in node.outputs), program,
                          tuple(sorted(node.op.inplace_pattern.items())))


def _describe_other(node: Apply) -> Kernel | None:
    """Ops of other modules that have a kernel, found by name so that this module
    needs nothing of theirs: argmax/argmin (tensor/reduction.py), the
    softmaxes and the cross-entropy against class indices (tensor/nnet.py)."""
    name = type(node.op).__name__
    x = node.inputs[0] if node.inputs else None
    if name in ("Argmax", "Argmin") and len(node.inputs) == 1:
        axes = getattr(node.op, "axis", None)
        axes = tuple(range(x.ndim)) if axes is None else tuple(axes)
        return ReduceKernel(name.lower(), _operand(x), axes, node.outputs[0].type.dtype)
    if name in ("Softmax", "LogSoftmax") and len(node.inputs) == 1 and x.ndim >= 1:
        if x.dtype.startswith("float") and getattr(node.op, "axis", -1) in (-1, x.ndim - 1):
            return SoftmaxKernel("softmax" if name == "Softmax" else "log_softmax", _operand(x))
    if name == "CrossentropyCategorical1Hot" and len(node.inputs) == 2 and x.ndim == 2:
        return CrossentropyKernel(_operand(x), node.inputs[1].type.dtype)
    return None


__all__ = ["CrossentropyKernel", "ElemwiseKernel", "Operand", "ReduceKernel", "ScalarProgram",
           "SoftmaxKernel", "Step", "describe", "scalar_program"]
