"""Kernel descriptions: what a compiled loop computes, without saying in which language
(chapters 5 and 6).

An op that can run as compiled code *describes* its node: its `kernel(node)`
method returns plain data.  A fused elementwise node gives an
`ElemwiseKernel` (a scalar program applied at every position of some arrays,
with their dtypes and broadcastable patterns), a reduction a `ReduceKernel`
(a scalar op folded over some axes), softmax a `SoftmaxKernel`, a matrix
product a `DotKernel` (with an update, `GemmKernel`); a DimShuffle a
`ViewKernel` and Shape_i a `ShapeKernel`, which only a device needs (on the
host they are numpy's views and shapes).  Chapter 8's layers describe
themselves too: conv2d a `ConvKernel` (im2col as a `PatchesKernel`, a
`DotKernel` and an elementwise copy), pool_2d a `PoolKernel`, the random
streams a `PhiloxKernel`; only the CUDA printer has text for those (on the
CPU their ops call their own C).  Renderers turn these into text:
`link/c/loops.py` into C loops for the CPU, `link/cuda/printer.py` into CUDA
kernels.  Both render the *same* descriptions through one description of the
loop (link/loop.py) and the same scalar code (link/c/cprinter.py); they
differ in a few fields: the function head, the element index, how a
reduction combines, a few spellings.

The description lives with the op (Elemwise.kernel, CAReduce.kernel,
Softmax.kernel, ...), never in a table of class names kept somewhere else:
renaming or subclassing an op cannot silently lose its compiled path.  A
printer that has no text for some description raises NotImplementedError
and the node runs its Python `perform` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minitheano.graph.basic import Variable
from minitheano.scalar.basic import ScalarOp, ScalarType
from minitheano.scalar.composite import Composite
from minitheano.scalar.math import identity


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



@dataclass(frozen=True)
class CrossentropyGradKernel:
    """The gradient of CrossentropyKernel with respect to `coding`:
    dx[i, j] = -g[i] / coding[i, y[i]] where j == y[i], 0 elsewhere."""
    coding: Operand
    index_dtype: str


@dataclass(frozen=True)
class CrossentropySoftmaxKernel:
    """Softmax and the cross-entropy against class indices in one pass over each row
    of the logits x: sm = softmax(x) and loss[i] = -log_softmax(x)[i, y[i]]."""
    logits: Operand
    index_dtype: str


@dataclass(frozen=True)
class CrossentropySoftmaxDxKernel:
    """Its gradient with respect to x: dx[i, j] = g[i] * sm[i, j], less g[i] where
    j == y[i]."""
    sm: Operand
    index_dtype: str


@dataclass(frozen=True)
class ViewKernel:
    """A DimShuffle: the same memory seen with other dimensions (`new_order` as
    DimShuffle's: input dimensions, 'x' for a new one of length 1); no element
    is read or written, only the shape and strides change."""
    input: Operand
    new_order: tuple[int | str, ...]


@dataclass(frozen=True)
class ShapeKernel:
    """The length of dimension `dim` of `input`, as an int64 0-d array: read from
    the array's shape, never from its data."""
    input: Operand
    dim: int


@dataclass(frozen=True)
class DotKernel:
    """out = a . b for two matrices (numpy.dot), all three of dtype `dtype`."""
    a: Operand
    b: Operand
    dtype: str


@dataclass(frozen=True)
class GemmKernel:
    """out = b*z + a*(x . y) (BLAS's gemm): z, x, y matrices of dtype `dtype`, a and b
    scalars (0-d arrays) of dtypes `a_dtype`, `b_dtype`, converted to `dtype`."""
    z: Operand
    x: Operand
    y: Operand
    a_dtype: str
    b_dtype: str
    dtype: str


# -- chapter 8's layers: windows over images, and a counter-based generator ---------------
@dataclass(frozen=True)
class PatchesKernel:
    """im2col: the (channels*kh*kw, batch*oh*ow) matrix of an image batch's windows,
    row (c, a, b) holding tap (a, b) of every window: the pixel x[n, c, i*sh + a*dh - ph,
    j*sw + b*dw - pw], 0 outside the image.  With `flip`, row (c, a, b) holds tap
    (kh-1-a, kw-1-b) instead (a true convolution's flipped filter).  `inverse`:
    col2im, the image whose pixels are the sums of the entries im2col would copy
    from them (the transpose of the copy)."""
    dtype: str
    flip: bool
    inverse: bool = False


@dataclass(frozen=True)
class ConvKernel:
    """conv2d on a device, as chapter 6's pieces: im2col (`PatchesKernel`), one
    matrix product (`DotKernel`) and a transposing copy (an `ElemwiseKernel`).
    `pass_` is "forward" (images, filters), "grad_weights" (images, output gradient,
    filter size) or "grad_inputs" (filters, output gradient, image size); the other
    fields are the op's geometry, which the launch turns into numbers."""
    pass_: str
    dtype: str
    border_mode: str | tuple[int, int]
    subsample: tuple[int, int]
    dilation: tuple[int, int]
    flip: bool
    imshp: tuple | None = None  # the shapes the op declared (None: any)
    kshp: tuple | None = None

    def parts(self) -> dict[str, Kernel]:
        """The kernels it runs, by the suffix of their names: the patches (im2col;
        col2im for grad_inputs), the product, and a copy that transposes (the
        elementwise identity, read through a view with swapped strides)."""
        matrix, array = Operand(self.dtype, (False, False)), Operand(self.dtype, (False,) * 4)
        return {"patches": PatchesKernel(self.dtype, self.flip, self.pass_ == "grad_inputs"),
                "product": DotKernel(matrix, matrix, self.dtype),
                "copy": ElemwiseKernel((array,), (array,),
                                       scalar_program(identity, (self.dtype,)))}


@dataclass(frozen=True)
class PoolKernel:
    """pool_2d over the last two axes: each window of `ws` pixels, `stride` apart in
    the image padded by `pad`, folded into one value ("max", "sum",
    "average_inc_pad", "average_exc_pad").  `grad`: the gradient instead, each
    pixel gathering the output gradient of the windows covering it (for "max",
    of those whose first largest pixel it is)."""
    mode: str
    dtype: str
    ws: tuple[int, int]
    stride: tuple[int, int]
    pad: tuple[int, int]
    ignore_border: bool
    grad: bool = False


@dataclass(frozen=True)
class PhiloxKernel:
    """Uniform draws in (0, 1) of `dtype`, an `ndim`-d array, from Philox4x32:
    block b of draw `call` is `rounds` rounds on the counter (b, call) under the key, with these
    `multipliers` and `key_steps`; a float32 takes the top `bits[0]` bits of a
    word, a float64 the top bits[0] and bits[1] of two words (plus half a step)."""
    dtype: str
    ndim: int
    multipliers: tuple[int, int]
    key_steps: tuple[int, int]
    rounds: int
    bits: tuple[int, ...]


Kernel = (ElemwiseKernel | ReduceKernel | SoftmaxKernel | CrossentropyKernel
          | CrossentropyGradKernel | CrossentropySoftmaxKernel | CrossentropySoftmaxDxKernel
          | ViewKernel | ShapeKernel | DotKernel | GemmKernel | PatchesKernel | ConvKernel
          | PoolKernel | PhiloxKernel)


def operand(v: Variable) -> Operand:
    """The Operand of a tensor variable: its dtype and broadcastable pattern."""
    return Operand(v.type.dtype, tuple(v.type.broadcastable))


__all__ = ["ConvKernel", "CrossentropyGradKernel", "CrossentropyKernel",
           "CrossentropySoftmaxDxKernel", "CrossentropySoftmaxKernel", "DotKernel",
           "ElemwiseKernel", "GemmKernel", "Kernel", "Operand", "PatchesKernel", "PhiloxKernel",
           "PoolKernel", "ReduceKernel", "ScalarProgram", "ShapeKernel", "SoftmaxKernel", "Step",
           "ViewKernel", "operand", "scalar_program"]
