"""`DotBiasAct`: a layer's `act(dot(x, W) + b)` as one node (chapter 5, fewer nodes).

A dense layer is a matrix product, then one elementwise pass adding the bias
row to every row and applying the activation.  After fusion (chapter 3) that
is two nodes, `Dot` and `Composite{tanh(i0 + i1)}` writing into the product's
buffer.  `DotBiasAct` is both in one node: BLAS writes the product into the
output, and the loop the C printer makes for the same Composite applies the
bias and the activation there (link/c/blas_calls.c, `mt_dot_bias_act`): one
thunk, one call from Python, no temporary.  (Doing it a block of rows at a
time, each block activated while still in cache, was slower: each BLAS call
packs W again.  bench/README.md has the numbers.)

`DotBiasAct(scalar_op, product_index)(x, W, b)` is
`Elemwise(scalar_op)(dot(x, W), b.dimshuffle('x', 0))` with the product as
the scalar op's input `product_index` (0 or 1) and the bias row as the other:
any elementwise function of the two that fusion builds (tanh(i0 + i1),
sigmoid, a relu's maximum, a bare add).  Its gradient is that of its
decomposition, so `grad` of a graph holding it is the graph `grad` would have
made from the Dot and the Elemwise (the rewrite making it, rewrite/
dot_bias_act.py, runs after gradients are taken anyway).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Apply, Variable
from minitheano.graph.op import Op
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.elemwise import DimShuffle, Elemwise
from minitheano.tensor.math import Dot, for_blas

_FLOATS = ("float32", "float64")


class DotBiasAct(Op):
    """`scalar_op(dot(x, W), b[None, :])` for matrices x, W and a vector b, the product
    as the scalar op's input `product_index`; one float dtype throughout."""

    __props__ = ("scalar_op", "product_index")

    def __init__(self, scalar_op: Any, product_index: int = 0) -> None:
        if product_index not in (0, 1):
            raise ValueError(f"DotBiasAct: product_index must be 0 or 1, got {product_index}")
        if getattr(scalar_op, "nout", 1) != 1:
            raise ValueError(f"DotBiasAct: the scalar op must give one output, {scalar_op} "
                             f"gives {scalar_op.nout}")
        self.scalar_op = scalar_op
        self.product_index = product_index

    def __str__(self) -> str:
        return f"DotBiasAct{{{self.scalar_op}}}"

    def decomposed(self, x: Variable, w: Variable, b: Variable) -> Variable:
        """The same value as a Dot and an Elemwise: what this node stands for."""
        pair = [Dot()(x, w), DimShuffle(b.broadcastable, ["x", 0])(b)]
        if self.product_index == 1:
            pair.reverse()
        return Elemwise(self.scalar_op)(*pair)

    def make_node(self, x: Any, w: Any, b: Any) -> Apply:
        x, w, b = (as_tensor_variable(v) for v in (x, w, b))
        if x.ndim != 2 or w.ndim != 2 or b.ndim != 1:
            raise TypeError(f"DotBiasAct: x and W must be matrices and b a vector, got "
                            f"{x.type}, {w.type}, {b.type}")
        if not (x.dtype == w.dtype == b.dtype) or x.dtype not in _FLOATS:
            raise TypeError(f"DotBiasAct: x, W and b must share one float dtype, got "
                            f"{x.dtype}, {w.dtype}, {b.dtype}")
        out = self.decomposed(x, w, b)
        if out.type.dtype != x.dtype or out.broadcastable != (x.broadcastable[0],
                                                               w.broadcastable[1]):
            raise TypeError(f"DotBiasAct: {self.scalar_op} of the product and the bias "
                            f"gives {out.type}, not a matrix of the product's type")
        return Apply(self, [x, w, b], [out.type()])

    def perform(self, node, inputs, output_storage):
        x, w, b = inputs
        if x.shape[1] != w.shape[0] or b.shape != (w.shape[1],):
            raise ValueError(f"DotBiasAct: shapes do not fit: x {x.shape}, W {w.shape}, "
                             f"b {b.shape} (x's columns must be W's rows, b as long as "
                             f"W's columns)")
        product = np.dot(for_blas(x), for_blas(w))
        pair = [product, b[None, :]]
        if self.product_index == 1:
            pair.reverse()
        product[...] = self.scalar_op.impl(*pair)  # in the product's own buffer
        output_storage[0][0] = product

    def infer_shape(self, fgraph, node, input_shapes):
        xs, ws, _ = input_shapes
        return [(xs[0], ws[1])]

    def grad(self, inputs, output_grads):
        """The gradient of the decomposition: the Elemwise's, then the Dot's and the
        DimShuffle's (each op's own grad, as `grad` would have chained them)."""
        x, w, b = inputs
        out = self.decomposed(x, w, b)
        elemwise = out.owner
        grads = elemwise.op.L_op(elemwise.inputs, elemwise.outputs, output_grads)
        product, row = elemwise.inputs[self.product_index], elemwise.inputs[
            1 - self.product_index]
        g_product, g_row = grads[self.product_index], grads[1 - self.product_index]
        gx, gw = product.owner.op.L_op(product.owner.inputs, [product], [g_product])
        (gb,) = row.owner.op.L_op(row.owner.inputs, [row], [g_row])
        return [gx, gw, gb]

    def elemwise_node(self, node: Apply) -> Apply:
        """The in-place Elemwise applying the bias and the activation to the product:
        the C linker compiles its loop for `mt_dot_bias_act` (link/c/blas_thunks.py)."""
        x, w, b = node.inputs
        product = node.outputs[0].type()
        row = DimShuffle(b.broadcastable, ["x", 0])(b)
        pair = [product, row] if self.product_index == 0 else [row, product]
        return Elemwise(self.scalar_op, {0: self.product_index}).make_node(*pair)
