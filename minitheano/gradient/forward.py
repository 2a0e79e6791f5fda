"""Forward mode: `Rop`, the Jacobian times a vector (chapter 4).

`Rop(f, x, v)` is (d f / d x) . v: how f moves when x moves along v.  It is
built in one sweep from x down to f, in topological order, carrying each
variable's *tangent* (its own movement) along: a node turns the tangents of
its inputs into those of its outputs.

An op that knows its forward derivative says so with `R_op(inputs,
eval_points)` (dot, dimshuffle, sum, ...).  For the others we use the
double-L_op trick: the op's `L_op` applied to a dummy output gradient u is
linear in u,

    L(u) = u . J        so        J . v = d/du ( L(u) . v ),

which `grad` computes.  Every op with a gradient therefore has an R_op.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minitheano import tensor as T
from minitheano.gradient.reverse import (
    fit_to,
    float_zeros_like,
    grad,
    is_discrete,
    made_at,
    report_disconnected,
)
from minitheano.graph.basic import (
    Apply,
    Constant,
    Variable,
    clone_replace,
    graph_inputs,
    toposort,
)
from minitheano.graph.null import is_disconnected, is_undefined
from minitheano.graph.op import Op
from minitheano.tensor.type import TensorType


def _scalar_product(a: Variable, b: Variable) -> Variable:
    """sum(a * b), for tensors or scalars."""
    prod = a * b
    return T.sum(prod) if isinstance(prod.type, TensorType) else prod


def lop_rop(node: Apply, eval_points: list[Variable | None]) -> list[Variable | None]:
    """The tangents of a node's outputs, from its L_op by the double-L_op trick."""
    # One dummy output gradient u per float output; integer outputs do not move.
    dummies = {o: o.type() for o in node.outputs if not is_discrete(o)}
    output_grads = [dummies[o] if o in dummies else float_zeros_like(o) for o in node.outputs]
    terms = node.op.L_op(list(node.inputs), list(node.outputs), output_grads)
    products = []  # L(u) . v, input by input
    for t, v in zip(terms, eval_points):
        if v is None or t is None or is_disconnected(t):
            continue
        if is_undefined(t):
            return [t] * len(node.outputs)
        products.append(_scalar_product(t, v))
    if not products or not dummies:
        return [None] * len(node.outputs)
    total = sum(products[1:], products[0])
    tangents = grad(total, list(dummies.values()), disconnected_inputs="ignore")
    # The tangents do not depend on the values of u, but may use its shape (a
    # sum's gradient is filled to the shape of its input): the output has it.
    tangents = clone_replace(tangents, {u: o for o, u in dummies.items()})
    by_output = dict(zip(dummies, tangents))
    return [by_output.get(o) for o in node.outputs]


def node_rop(node: Apply, eval_points: list[Variable | None]) -> list[Variable | None]:
    """The tangents of a node's outputs (None for an input that does not move):
    the op's own R_op if it has one, else the double-L_op trick."""
    if type(node.op).R_op is Op.R_op:
        return lop_rop(node, eval_points)
    result = node.op.R_op(list(node.inputs), eval_points)
    if not isinstance(result, (list, tuple)) or len(result) != len(node.outputs):
        raise TypeError(f"{node.op}.R_op must return one tangent per output, got {result!r}")
    return list(result)


def Rop(f: Variable | Sequence[Variable], wrt: Variable | Sequence[Variable],
        eval_points: Variable | Sequence[Variable],
        disconnected_outputs: str = "raise", return_disconnected: str = "zero") -> Any:
    """(d f / d wrt) . eval_points: the Jacobian of `f` times a vector (or tensor).

    Each eval point has the shape of its `wrt`; the result has the shape of `f`.
    `disconnected_outputs` ('raise' | 'warn' | 'ignore') says what to do when
    an output does not depend on `wrt`; `return_disconnected` ('zero' | 'none')
    what to return then.
    """
    fs = list(f) if isinstance(f, (list, tuple)) else [f]
    wrts = list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
    points = list(eval_points) if isinstance(eval_points, (list, tuple)) else [eval_points]
    if len(wrts) != len(points):
        raise ValueError(f"Rop: {len(wrts)} variables in wrt but {len(points)} eval_points")
    tangent: dict[Variable, Variable] = {}
    for x, v in zip(wrts, points):
        if isinstance(x.type, TensorType):
            v = T.as_tensor_variable(v)
        if getattr(v.type, "ndim", 0) != getattr(x.type, "ndim", 0):
            raise ValueError(f"Rop: the eval point for {x} ({x.type}) must have "
                             f"{x.type.ndim} dimensions, got {v.type}")
        tangent[x] = fit_to(v, x)

    nodes = toposort(fs, stop_at=wrts)
    moves = set(wrts)  # the variables that depend on some wrt
    for node in nodes:
        if any(x in moves for x in node.inputs):
            moves.update(node.outputs)
    for node in nodes:
        if not any(x in moves for x in node.inputs):
            continue
        points_in = [tangent.get(x) for x in node.inputs]
        for out, t in zip(node.outputs, node_rop(node, points_in)):
            if t is not None and not is_disconnected(t):
                if is_undefined(t):
                    raise TypeError(f"Rop: the derivative of {node.op} is undefined: "
                                    f"{t.type.why}")
                tangent[out] = fit_to(t, out)

    results = []
    for out in fs:
        t = tangent.get(out)
        if t is None:
            report_disconnected(
                f"Rop: {out}{made_at(out)} does not depend on "
                f"{', '.join(map(str, wrts))}. Pass disconnected_outputs='ignore' to get "
                f"zeros instead.", disconnected_outputs)
            t = float_zeros_like(out) if return_disconnected.lower() == "zero" else None
        results.append(t)
    # The tangent of a linear map does not depend on the point (the R-op of
    # dot(x, W) along V is dot(x, V), without W), so a function of it need not be
    # given W.  Theano's tangent mentioned every input of the forward graph, and
    # its tutorial compiles `function([W, V, x], JV)`: the result remembers
    # them, and `function` does not call them unused.
    forward_inputs = [v for v in graph_inputs(fs) if not isinstance(v, Constant)]
    for t in results:
        if t is not None and t.owner is not None and t not in points:
            t.tag.derived_from = forward_inputs
    if isinstance(f, tuple):
        return tuple(results)
    return results if isinstance(f, list) else results[0]
