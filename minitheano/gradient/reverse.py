"""Reverse mode: `grad` walks the graph backwards, building the gradient as graph (chapter 4).

For a scalar `cost` and a variable `x`, `grad(cost, x)` is the graph of
d cost / d x.  It is built by the chain rule, one node at a time, from the
cost back to x:

1. The gradient of the cost with respect to itself is 1 (`fill(cost, 1.0)`).
2. Visit the nodes in reverse topological order.  When a node is visited,
   every node that uses its outputs has been visited already, so the
   gradient of each output is complete: the sum of the terms its users sent.
3. Ask the node's op for the gradients of its inputs, given those of its
   outputs (`op.L_op(inputs, outputs, output_grads)`), and send each input
   its term.

Each op knows only its own derivative; `grad` knows only the chain rule.  The
result is an ordinary graph, which chapter 3's rewrites simplify and which
can itself be differentiated again (`hessian`).

Two markers from graph/null.py travel through the same lists as gradients:
a *disconnected* gradient (the output does not depend on the input) is
dropped from sums, an *undefined* one (`NullType`, the input is used in a
non-differentiable way) poisons every sum it enters and becomes an error
only if the caller asks for that gradient.

Nothing here is specific to tensors: the same walk differentiates the small
scalar graphs inside a `Composite` (scalar/composite.py).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import minitheano.tensor as _T
from minitheano.graph.basic import Apply, Variable, toposort
from minitheano.graph.null import disconnected_type, is_disconnected, is_undefined
from minitheano.scalar import math as smath
from minitheano.scalar.basic import DISCRETE_DTYPES, ScalarType, float_dtype
from minitheano.tensor.type import TensorType


class DisconnectedInputError(ValueError):
    """`grad` was asked for the gradient of a variable the cost does not depend on."""


class NullTypeGradError(TypeError):
    """`grad` was asked for a gradient that is undefined (or not implemented)."""


# ---------------------------------------------------------------------------
# The few things the walk must do to a gradient, for tensors and scalars alike
# ---------------------------------------------------------------------------

def is_discrete(var: Variable) -> bool:
    """Integer and bool variables: their gradient is always zero."""
    return getattr(var.type, "dtype", None) in DISCRETE_DTYPES


def grad_dtype(var: Variable) -> str:
    """The dtype of the gradient of `var`: its own if a float, else the float it computes in."""
    return float_dtype(var.type.dtype)


def filled(like: Variable, value: float, dtype: str) -> Variable:
    """`value` in the shape of `like`: Theano's `fill(like, value)`."""
    if isinstance(like.type, ScalarType):
        return smath.second(like, ScalarType(dtype).make_constant(value))
    return _T.second(like, _T.constant(value, dtype=dtype))


def float_zeros_like(var: Variable) -> Variable:
    """Zeros of `var`'s shape, as a float: the gradient of an integer, or a zero one."""
    return filled(var, 0.0, grad_dtype(var))


def _add(terms: list[Variable]) -> Variable:
    if len(terms) == 1:
        return terms[0]
    if isinstance(terms[0].type, ScalarType):
        return smath.add(*terms)
    return _T.add(*terms)


def fit_to(g: Variable, var: Variable) -> Variable:
    """`g` as a gradient of `var`: the same float dtype and, for tensors, the same
    broadcastable pattern (declaring a length-1 dimension is checked at run time)."""
    if is_undefined(g) or is_disconnected(g):
        return g
    dtype = grad_dtype(var)
    if g.type.dtype != dtype:
        g = smath.cast(g, dtype) if isinstance(g.type, ScalarType) else _T.cast(g, dtype)
    if isinstance(var.type, TensorType) and g.broadcastable != var.broadcastable:
        g = _T.patternbroadcast(g, var.broadcastable)
    return g


def _check_term(node: Apply, i: int, term: Any) -> Variable:
    """The term an op's gradient returned for input `i`, checked and tidied."""
    x = node.inputs[i]
    if term is None:  # the scalar ops' way of saying "zero"
        return float_zeros_like(x)
    if not isinstance(term, Variable):
        raise TypeError(f"{node.op}.grad returned {term!r} for input {i}; expected a Variable "
                        f"(or disconnected_type() / grad_undefined(...))")
    if is_undefined(term) or is_disconnected(term):
        return term
    if getattr(term.type, "ndim", 0) != getattr(x.type, "ndim", 0):
        raise ValueError(f"{node.op}.grad returned a gradient with {term.type.ndim} dimensions "
                         f"for input {i} ({x}, {x.type}), which has {x.type.ndim}")
    if is_discrete(x):  # an integer's gradient is zero, whatever the op says
        return float_zeros_like(x)
    return term


# ---------------------------------------------------------------------------
# The walk
# ---------------------------------------------------------------------------

def node_grads(node: Apply, output_grads: list[Variable]) -> list[Variable]:
    """The gradient terms a node sends to its inputs, given its outputs' gradients.

    Undefined output gradients are not given to the op: the inputs connected to
    them receive the same undefined marker, so the reason survives to the error.
    """
    pattern = node.op.connection_pattern(node)
    undefined = [g if is_undefined(g) else None for g in output_grads]
    usable = [None if is_disconnected(g) or is_undefined(g) else g for g in output_grads]
    terms: list[Variable] = [disconnected_type() for _ in node.inputs]
    if any(g is not None for g in usable):
        # The op sees zeros where an output has no gradient, never a marker
        # (except for outputs that are not numbers, such as a random state).
        ready = [fit_to(g, o) if g is not None else
                 float_zeros_like(o) if hasattr(o.type, "dtype") else disconnected_type()
                 for g, o in zip(usable, node.outputs)]
        result = node.op.L_op(list(node.inputs), list(node.outputs), ready)
        if not isinstance(result, (list, tuple)) or len(result) != len(node.inputs):
            raise TypeError(f"{node.op}.grad must return one gradient per input "
                            f"({len(node.inputs)}), got {result!r}")
        terms = [_check_term(node, i, t) for i, t in enumerate(result)]
    for i, row in enumerate(pattern):
        if not any(row):  # the op says its outputs ignore this input
            terms[i] = disconnected_type()
        for j, connected in enumerate(row):
            if connected and undefined[j] is not None:
                terms[i] = undefined[j]
    return terms


def backprop(seeds: dict[Variable, Variable], wrt: Sequence[Variable],
             consider_constant: Sequence[Variable] = ()) -> list[Variable]:
    """The gradient of each `wrt` variable, given the gradients `seeds` of some others.

    A seed is one more term of its variable's gradient, ADDED to what the
    variable's users send back: if `c` is seeded and `tanh(c)` is seeded too,
    c's gradient is its own seed plus tanh's term.  (Replacing instead would
    silently drop every path through c's users: a loop's backward step seeds
    each output of its body, and an LSTM's c is both an output and read by h.)
    Variables in `consider_constant` are treated as inputs: nothing flows past them.
    """
    stop = set(consider_constant)
    nodes = toposort(list(seeds), stop_at=stop)
    # Which variables depend on some `wrt`?  Nodes that depend on none are skipped.
    depends = set(wrt)
    for node in nodes:
        pattern = node.op.connection_pattern(node)
        for i, x in enumerate(node.inputs):
            if x in depends:
                depends.update(o for o, c in zip(node.outputs, pattern[i])
                               if c and o not in stop)

    terms: dict[Variable, list[Variable]] = {}
    totals: dict[Variable, Variable] = {}

    def total(var: Variable) -> Variable:
        """The gradient of `var`: complete once every user of `var` has been visited."""
        if var not in totals:
            parts = terms.get(var, [])
            if var in seeds:
                parts = [seeds[var], *parts]
            undefined = [t for t in parts if is_undefined(t)]
            parts = [t for t in parts if not is_disconnected(t)]
            if undefined:
                totals[var] = undefined[0]
            elif parts:
                totals[var] = _add(parts)
            else:
                totals[var] = disconnected_type()
        return totals[var]

    # --8<-- [start:ex-ch04-backprop-loop]
    for node in reversed(nodes):
        if not any(x in depends for x in node.inputs):
            continue
        output_grads = [total(o) for o in node.outputs]
        if all(is_disconnected(g) for g in output_grads):
            continue
        for x, term in zip(node.inputs, node_grads(node, output_grads)):
            if x in depends:
                terms.setdefault(x, []).append(term)
    # --8<-- [end:ex-ch04-backprop-loop]
    return [total(v) for v in wrt]


# ---------------------------------------------------------------------------
# The user's functions
# ---------------------------------------------------------------------------

def report_disconnected(message: str, policy: str) -> None:
    """Raise, warn or ignore, as `policy` ('raise' | 'warn' | 'ignore') says."""
    if policy not in ("ignore", "warn", "raise"):
        raise ValueError(f"expected 'ignore', 'warn' or 'raise' for disconnected "
                         f"variables, got {policy!r}")
    if policy == "warn":
        warnings.warn(message, stacklevel=3)
    elif policy == "raise":
        raise DisconnectedInputError(message)


def made_at(var: Variable) -> str:
    """` (made at File "f.py", line 3, in main: ...)`, where the user built `var`."""
    return f" (made at {var.trace.describe()})" if getattr(var, "trace", None) else ""


def _as_gradient(g: Any, var: Variable) -> Variable:
    """A known gradient given by the user, checked against its variable."""
    if not isinstance(g, Variable):
        g = _T.as_tensor_variable(g) if isinstance(var.type, TensorType) else g
    if not isinstance(g, Variable):
        raise TypeError(f"the gradient given for {var} must be a Variable, got {g!r}")
    if is_undefined(g) or is_disconnected(g):
        return g
    if g.type.dtype in DISCRETE_DTYPES:
        raise TypeError(f"the gradient given for {var} has dtype {g.type.dtype}; "
                        f"gradients are floats")
    if getattr(g.type, "ndim", 0) != getattr(var.type, "ndim", 0):
        raise ValueError(f"the gradient given for {var} ({var.type}) has {g.type.ndim} "
                         f"dimensions instead of {var.type.ndim}")
    return fit_to(g, var)


def grad(cost: Variable | None, wrt: Variable | Sequence[Variable],
         consider_constant: Sequence[Variable] | None = None,
         disconnected_inputs: str = "raise",
         known_grads: dict[Variable, Variable] | None = None,
         return_disconnected: str = "zero",
         null_gradients: str = "raise") -> Any:
    """d cost / d wrt, as a graph; a list of gradients if `wrt` is a list.

    cost                 a scalar Variable (or None if `known_grads` says where to start)
    consider_constant    variables to treat as constants: no gradient flows past them
    disconnected_inputs  'raise' | 'warn' | 'ignore': what to do when the cost does
                         not depend on some `wrt`
    known_grads          {variable: a known gradient}: start backpropagation there too;
                         each is added to what flows back to that variable from
                         the cost and from the other known gradients
    return_disconnected  'zero' | 'none' | 'disconnected': what to return for those
    null_gradients       'raise' | 'return': what to do with an undefined gradient

    `grad` only builds new graph: calling it twice gives two equal graphs and
    changes nothing in the cost's graph.
    """
    wrt_list = list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
    for v in wrt_list:
        if not isinstance(v, Variable):
            raise TypeError(f"grad: wrt must be Variables, got {v!r} ({type(v).__name__})")
    if return_disconnected.lower() not in ("zero", "none", "disconnected"):
        raise ValueError(f"return_disconnected must be 'zero', 'None' or 'Disconnected', "
                         f"got {return_disconnected!r}")
    if null_gradients not in ("raise", "return"):
        raise ValueError(f"null_gradients must be 'raise' or 'return', got {null_gradients!r}")
    known = dict(known_grads or {})
    seeds: dict[Variable, Variable] = {}
    if cost is None:
        if not known:
            raise ValueError("grad needs a cost, or known_grads to start from")
    else:
        if not isinstance(cost, Variable):
            raise TypeError(f"grad: the cost must be a Variable, got {cost!r}")
        if getattr(cost.type, "ndim", 0) != 0:
            raise TypeError(f"grad: the cost must be a scalar, but {cost} is {cost.type}. "
                            f"Sum it (T.sum(cost)) or use jacobian() for a vector.")
        # As in Theano, a known gradient of the cost itself replaces the 1.
        seeds[cost] = filled(cost, 1.0, grad_dtype(cost))
    for var, g in known.items():
        if not isinstance(var, Variable):
            raise TypeError(f"known_grads: keys must be Variables, got {var!r}")
        seeds[var] = _as_gradient(g, var)

    grads = backprop(seeds, wrt_list, consider_constant or ())

    results = []
    for v, g in zip(wrt_list, grads):
        if is_undefined(g):
            if null_gradients == "raise":
                raise NullTypeGradError(f"grad: the gradient with respect to {v} is "
                                        f"undefined, because {g.type.why}")
        elif is_disconnected(g):
            what = "the cost" if cost is not None else "the outputs"
            report_disconnected(
                f"grad was asked for the gradient of {what} with respect to {v}{made_at(v)}, "
                f"but {what} does not depend on it (or only through non-differentiable "
                f"uses such as shapes or indices). Pass disconnected_inputs='ignore' to "
                f"get zeros instead.", disconnected_inputs)
            mode = return_disconnected.lower()
            g = float_zeros_like(v) if mode == "zero" else None if mode == "none" else g
        else:
            g = fit_to(g, v)
        results.append(g)
    if isinstance(wrt, tuple):
        return tuple(results)
    return results if isinstance(wrt, list) else results[0]


def Lop(f: Variable | Sequence[Variable], wrt: Variable | Sequence[Variable],
        eval_points: Variable | Sequence[Variable],
        consider_constant: Sequence[Variable] | None = None,
        disconnected_inputs: str = "raise") -> Any:
    """v . (d f / d wrt): the row vector `eval_points` times the Jacobian of `f`.

    It is reverse mode started from `eval_points` instead of from 1: the
    gradient of sum(f * v), without building that sum.
    """
    fs = list(f) if isinstance(f, (list, tuple)) else [f]
    vs = list(eval_points) if isinstance(eval_points, (list, tuple)) else [eval_points]
    if len(fs) != len(vs):
        raise ValueError(f"Lop: {len(fs)} outputs but {len(vs)} eval_points")
    known: dict[Variable, Variable] = {}
    for out, v in zip(fs, vs):
        v = _T.as_tensor_variable(v) if isinstance(out.type, TensorType) else v
        if getattr(v.type, "ndim", 0) != getattr(out.type, "ndim", 0):
            raise ValueError(f"Lop: the eval point for {out} ({out.type}) must have its "
                             f"number of dimensions, got {v.type}")
        # f listing one variable twice: v1.J + v2.J, so its points add up.
        known[out] = known[out] + v if out in known else v
    return grad(None, wrt, consider_constant=consider_constant,
                disconnected_inputs=disconnected_inputs, known_grads=known)
