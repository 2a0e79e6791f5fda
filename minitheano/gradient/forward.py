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
from minitheano.graph.basic import Apply, Constant, Variable, clone_replace, toposort
from minitheano.graph.null import is_disconnected, is_undefined
from minitheano.graph.op import Op
from minitheano.tensor.type import TensorType


def _scalar_product(a: Variable, b: Variable) -> Variable:
    """sum(a * b), for tensors or scalars."""
    prod = a * b
    return T.sum(prod) if isinstance(prod.type, TensorType) else prod


def _still(x: Variable) -> Variable | None:
    """The tangent of a variable that does not move: zeros for float tensors."""
    if isinstance(x.type, TensorType) and not is_discrete(x) and not isinstance(x, Constant):
        return T.zeros_like(x)
    return None


def lop_rop(node: Apply, eval_points: list[Variable | None]) -> list[Variable | None]:
    """The tangents of a node's outputs, from its L_op by the double-L_op trick."""
    dummies = [None if is_discrete(o) else o.type() for o in node.outputs]
    output_grads = [u if u is not None else float_zeros_like(o)
                    for u, o in zip(dummies, node.outputs)]
    terms = node.op.L_op(list(node.inputs), list(node.outputs), output_grads)
    for t, v in zip(terms, eval_points):
        if v is not None and is_undefined(t):
            return [t] * len(node.outputs)
    products = [_scalar_product(t, v) for t, v in zip(terms, eval_points)
                if v is not None and t is not None
                and not is_disconnected(t) and not is_undefined(t)]
    wanted = [u for u in dummies if u is not None]
    if not products or not wanted:
        return [None] * len(node.outputs)
    total = products[0] if len(products) == 1 else sum(products[1:], products[0])
    tangents = grad(total, wanted, disconnected_inputs="ignore", return_disconnected="none")
    # The result is linear in v and does not depend on u's values, but it may
    # still use u's shape (a sum's gradient is filled to its input's shape):
    # the output itself has that shape.
    outputs = [o for u, o in zip(dummies, node.outputs) if u is not None]
    found = [t for t in tangents if t is not None]
    found = iter(clone_replace(found, dict(zip(wanted, outputs))))
    tangents = iter([None if t is None else next(found) for t in tangents])
    return [None if u is None else next(tangents) for u in dummies]


def node_rop(node: Apply, eval_points: list[Variable | None]) -> list[Variable | None]:
    """The tangents of a node's outputs: the op's own R_op if it has one."""
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
        # As in Theano, an input that does not move has a zero tangent (not None),
        # so the result still mentions every variable the node used.
        points_in = [tangent.get(x) if x in moves else _still(x) for x in node.inputs]
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
    if isinstance(f, tuple):
        return tuple(results)
    return results if isinstance(f, list) else results[0]
