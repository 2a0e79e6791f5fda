"""dot_bias_act: a layer's `act(dot(x, W) + b)` becomes one DotBiasAct node (chapter 5).

After fusion (chapter 3) a dense layer is two nodes: `Dot(x, W)` and an
Elemwise of two inputs, the product and the bias row `b.dimshuffle('x', 0)`,
such as `Composite{tanh(i0 + i1)}`.  When nothing else reads the product,
this pass replaces the pair with `DotBiasAct(scalar_op, product_index)(x, W,
b)` (tensor/dot_bias_act.py), whose C writes the product by BLAS, then applies
the bias and the activation over it in place, in one pass.

Only a bias that is a row, the same for every row of the product, fits: a
column `b.dimshuffle(0, 'x')`, a matrix, a scalar (also as a row of length 1)
leave the pair as it is.
It runs after fusion (which builds the Composite) and before the in-place
passes, in FAST_RUN on the C linker's host; a loop body keeps its Dot and
Elemwise, which the compiled loop of chapter 9 runs in C.
"""

from __future__ import annotations

from minitheano.graph.basic import Apply, Variable
from minitheano.graph.fg import FunctionGraph
from minitheano.rewrite.canonicalize import owned_only_by
from minitheano.rewrite.engine import GlobalRewrite
from minitheano.tensor.dot_bias_act import DotBiasAct
from minitheano.tensor.elemwise import DimShuffle, Elemwise
from minitheano.tensor.math import Dot

_FLOATS = ("float32", "float64")


def _bias_row(var: Variable) -> Variable | None:
    """The vector b if `var` is `b.dimshuffle('x', 0)`, else None."""
    node = var.owner
    if (node is not None and isinstance(node.op, DimShuffle)
            and tuple(node.op.new_order) == ("x", 0) and node.inputs[0].ndim == 1):
        return node.inputs[0]
    return None


def _fused_layer(fgraph: FunctionGraph, node: Apply) -> Variable | None:
    """The DotBiasAct computing what the Elemwise `node` does, or None if it does not fit."""
    out = node.outputs[0]
    if (len(node.inputs) != 2 or len(node.outputs) != 1 or node.op.inplace_pattern
            or out.ndim != 2 or out.dtype not in _FLOATS):
        return None
    for k in (0, 1):  # k: which input is the product
        product, b = node.inputs[k], _bias_row(node.inputs[1 - k])
        dot = product.owner
        if (b is None or dot is None or not isinstance(dot.op, Dot)
                or product.type != out.type or b.dtype != out.dtype
                # a b of length 1 stretched along the columns is not a row of biases
                or b.broadcastable[0] != out.broadcastable[1]
                or any(v.ndim != 2 or v.dtype != out.dtype for v in dot.inputs)
                or not owned_only_by(fgraph, product)):
            continue
        try:
            return DotBiasAct(node.op.scalar_op, k)(*dot.inputs, b)
        except TypeError:  # the scalar op changes the type: leave the pair
            return None
    return None


def dot_bias_act(fgraph: FunctionGraph) -> int:
    """Replace each `Elemwise(Dot(x, W), b.dimshuffle('x', 0))` pair with one DotBiasAct."""
    count = 0
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes or not isinstance(node.op, Elemwise):
            continue
        new = _fused_layer(fgraph, node)
        if new is not None:
            fgraph.replace(node.outputs[0], new, reason="dot_bias_act")
            count += 1
    return count


dot_bias_act_rewrite = GlobalRewrite(dot_bias_act, "dot_bias_act")
