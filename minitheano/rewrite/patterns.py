"""Pattern rewrites: a rewrite written as a (pattern, replacement) pair (chapter 3).

Many rewrites say "this shape of expression becomes that one".  Written as
data, they read like the algebra they implement:

    ("log1p_exp_to_softplus",
     (smath.log1p, (smath.exp, "x")),     # log1p(exp(x))
     (smath.softplus, "x"),               # softplus(x)
     "log1p(exp(x)) -> softplus(x): the same function, without exp overflowing")

In a pattern, a tuple `(op, *arguments)` matches an elementwise node applying
that scalar op (or a node of that tensor op); a string matches any variable and
names it (the same name twice must be the same variable); a number matches a
constant whose every element is that number.  Commutative ops (add, mul) with
two arguments match in either order.  The replacement is built from the same
language, or is a function of the named variables.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Apply, Constant, Variable
from minitheano.graph.op import Op
from minitheano.rewrite.engine import LocalRewrite, register
from minitheano.scalar import math as smath
from minitheano.scalar.basic import ScalarOp
from minitheano.tensor.basic import cast
from minitheano.tensor.elemwise import Elemwise

COMMUTATIVE = (smath.Add, smath.Mul)


def scalar_constant(var: Variable) -> Any | None:
    """The number every element of `var` holds, if `var` is a constant that
    broadcasts like a scalar (all dimensions of length 1); else None."""
    if not isinstance(var, Constant) or not all(var.type.broadcastable):
        return None
    data = np.asarray(var.data)
    return data.reshape(()).item() if data.size == 1 else None


def is_constant_value(var: Variable, value: float) -> bool:
    """Is `var` a scalar-like constant equal to `value`?"""
    found = scalar_constant(var)
    return found is not None and found == value


def match(pattern: Any, var: Variable, bindings: dict[str, Variable]) -> bool:
    """Does `var` match `pattern`?  Names the pattern binds are added to `bindings`."""
    if isinstance(pattern, str):
        if pattern in bindings:
            return bindings[pattern] is var
        bindings[pattern] = var
        return True
    if isinstance(pattern, (int, float)):
        return is_constant_value(var, pattern)
    op, *args = pattern
    node = var.owner
    if node is None or len(node.inputs) != len(args) or not _same_op(node, op):
        return False
    orders = [node.inputs]
    if isinstance(op, COMMUTATIVE) and len(args) == 2:
        orders.append(node.inputs[::-1])
    for inputs in orders:
        trial = dict(bindings)
        if all(match(p, v, trial) for p, v in zip(args, inputs)):
            bindings.update(trial)
            return True
    return False


def _same_op(node: Apply, op: ScalarOp | Op) -> bool:
    if isinstance(op, ScalarOp):
        return isinstance(node.op, Elemwise) and node.op.scalar_op == op
    return node.op == op


def build(template: Any, bindings: dict[str, Variable]) -> Any:
    """The graph a replacement template describes, with the names bound."""
    if callable(template) and not isinstance(template, (Op, tuple)):
        return template(**bindings)
    if isinstance(template, str):
        return bindings[template]
    if isinstance(template, (int, float)):
        return template  # a weak Python number: takes the dtype of its neighbours
    op, *args = template
    built = [build(a, bindings) for a in args]
    return Elemwise(op)(*built) if isinstance(op, ScalarOp) else op(*built)


def pattern_rewrite(phase: str, name: str, pattern: tuple, replacement: Any, doc: str,
                    grows: str | None = None) -> LocalRewrite:
    """Register the rewrite `pattern -> replacement` under `name` in `phase`."""
    op = pattern[0]
    track = type(op)

    def rewrite(fgraph, node):
        out = node.outputs[0]
        bindings: dict[str, Variable] = {}
        if len(node.outputs) != 1 or not match(pattern, out, bindings):
            return None
        new = build(replacement, bindings)
        if isinstance(new, (int, float)):
            return None
        if new.type.dtype != out.type.dtype:
            new = cast(new, out.type.dtype)
        return [new]

    rewrite.__name__ = name
    rewrite.__doc__ = doc
    return register(phase, track, grows=grows)(rewrite)


def pattern_table(phase: str, rows: list[tuple]) -> list[LocalRewrite]:
    """Register every row (name, pattern, replacement, doc[, grows]) of a table."""
    return [pattern_rewrite(phase, *row) for row in rows]

