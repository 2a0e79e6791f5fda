"""Gemm: turn `b*Z + a*dot(X, Y)` into one BLAS call, in place when safe (chapter 5).

Two passes over the graph, both in FAST_RUN:

* `gemm` (before fusion) finds `Z + a*dot(X, Y)`, `Z - a*dot(X, Y)`,
  `a*dot(X, Y) - Z`, and the same with `b*Z` or a bare `dot(X, Y)`, where
  a and b are scalars (constants or broadcast 0-d variables) and
  the product is read by nobody else, and replaces the three or four
  elementwise and Dot nodes with one `Gemm(Z, a, X, Y, b)` (tensor/blas.py).
  An SGD step `W - lr * dot(h.T, g)` is one.

* `gemm_inplace` (after chapter 3's in-place pass) lets a Gemm write into Z's
  buffer.  An intermediate Z may be destroyed when `AliasTracker.can_destroy`
  says so, as for elementwise ops.  A shared variable is protected by that
  rule, but when this Gemm computes the shared variable's *own update*, its
  old value dies at the end of the call anyway, as in Theano, where an
  updated shared variable is a mutable input.  It may then be overwritten
  provided every other reader of its buffer (the forward `dot(X, W)`, the
  backward `dot(g, W.T)`) can run before the Gemm: the forward product is an
  ancestor, the backward one gets an ordering (graph/destroy.py).  The
  function's maker tells which output updates which shared variable
  (`fgraph.update_of`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minitheano.graph.basic import Apply, Constant, Variable
from minitheano.graph.fg import FunctionGraph
from minitheano.rewrite.canonicalize import owned_only_by
from minitheano.rewrite.engine import GlobalRewrite
from minitheano.rewrite.inplace import AliasTracker
from minitheano.scalar.arithmetic import Add, Mul, Sub
from minitheano.tensor.blas import Gemm, gemm_inplace, gemm_no_inplace
from minitheano.tensor.elemwise import DimShuffle, Elemwise
from minitheano.tensor.math import Dot

_FLOATS = ("float32", "float64")


@dataclass
class Scaled:
    """`factor * term`, factor a 0-d variable (None: 1)."""
    factor: Variable | None
    term: Variable


def _elemwise(var: Variable, kind: type) -> Apply | None:
    node = var.owner
    if node is not None and isinstance(node.op, Elemwise) and isinstance(
            node.op.scalar_op, kind) and len(node.inputs) == 2:
        return node
    return None


def _as_scalar(var: Variable, dtype: str) -> Variable | None:
    """`var` as a 0-d variable of `dtype` if it broadcasts like a scalar, else None."""
    import minitheano.tensor as T

    if not all(var.type.broadcastable):
        return None
    if isinstance(var, Constant):
        data = np.asarray(var.data)
        return T.constant(data.reshape(()).astype(dtype)) if data.size == 1 else None
    node = var.owner
    if node is not None and isinstance(node.op, DimShuffle) and node.inputs[0].ndim == 0:
        scalar = node.inputs[0]
        return scalar if scalar.dtype == dtype else T.cast(scalar, dtype)
    return None


def _scaled(fgraph: FunctionGraph, var: Variable, dtype: str) -> Scaled:
    """`var` as factor * term when it is a product with a scalar read only here."""
    node = _elemwise(var, Mul)
    if node is not None and owned_only_by(fgraph, var):
        for k in (0, 1):
            factor = _as_scalar(node.inputs[k], dtype)
            if factor is not None and node.inputs[1 - k].type == var.type:
                return Scaled(factor, node.inputs[1 - k])
    return Scaled(None, var)


def _product(fgraph: FunctionGraph, var: Variable) -> Apply | None:
    """The matrix-matrix Dot computing `var`, if only one node reads it."""
    node = var.owner
    if (node is not None and isinstance(node.op, Dot) and var.ndim == 2
            and all(i.ndim == 2 and i.dtype == var.dtype for i in node.inputs)
            and owned_only_by(fgraph, var)):
        return node
    return None


def _negated(v: Variable) -> Variable:
    return type(v)(v.type, -v.data) if isinstance(v, Constant) else -v


def _gemm_for(fgraph: FunctionGraph, node: Apply) -> Variable | None:
    """The Gemm replacing the add or sub `node`, or None if it does not fit."""
    import minitheano.tensor as T

    out = node.outputs[0]
    dtype = out.dtype
    if out.ndim != 2 or dtype not in _FLOATS:
        return None
    subtract = isinstance(node.op.scalar_op, Sub)
    for k in (0, 1):  # k: the side of Z (for a sub: Z - a*dot, or a*dot - Z)
        z_side = _scaled(fgraph, node.inputs[k], dtype)
        dot_side = _scaled(fgraph, node.inputs[1 - k], dtype)
        product = _product(fgraph, dot_side.term)
        # A float32 product added to a float64 Z is upcast by the add: no Gemm.
        if product is None or z_side.term.type != out.type or dot_side.term.dtype != dtype:
            continue
        # A product known to be 1 wide (a row times a column) broadcasts against a
        # wider Z in the add; Gemm needs the product as large as Z.
        if dot_side.term.broadcastable != out.broadcastable:
            continue
        one = T.constant(np.asarray(1, dtype=dtype))
        a = dot_side.factor if dot_side.factor is not None else one
        b = z_side.factor if z_side.factor is not None else one
        if subtract and k == 0:
            a = _negated(a)
        elif subtract:
            b = _negated(b)
        return gemm_no_inplace(z_side.term, a, product.inputs[0], product.inputs[1], b)
    return None


def gemm(fgraph: FunctionGraph) -> int:
    """Replace `b*Z + a*dot(X, Y)` (and its sub forms) with one Gemm node."""
    count = 0
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes:
            continue
        if _elemwise(node.outputs[0], (Add, Sub)) is None:
            continue
        new = _gemm_for(fgraph, node)
        if new is not None:
            fgraph.replace(node.outputs[0], new, reason="gemm")
            count += 1
    return count


def updated_variable(fgraph: FunctionGraph, node: Apply) -> Variable | None:
    """Z of Gemm `node` if it is a shared variable whose update `node` computes."""
    z = node.inputs[0]
    k = getattr(fgraph, "update_of", {}).get(z)
    if k is None or fgraph.outputs[k] is not node.outputs[0]:
        return None
    return z


def make_gemm_inplace(fgraph: FunctionGraph) -> int:
    """Let each Gemm write into Z's buffer where nothing else needs Z afterwards."""
    tracker = AliasTracker()
    fgraph.attach_feature(tracker)
    count = 0
    try:
        for node in fgraph.toposort():
            if (node not in fgraph.apply_nodes or not isinstance(node.op, Gemm)
                    or node.op.inplace):
                continue
            if tracker.can_destroy(node, 0, dying=updated_variable(fgraph, node)):
                fgraph.replace(node.outputs[0], gemm_inplace(*node.inputs),
                               reason="gemm_inplace")
                count += 1
    finally:
        fgraph.features.remove(tracker)
    return count


gemm_rewrite = GlobalRewrite(gemm, "gemm")
gemm_inplace_rewrite = GlobalRewrite(make_gemm_inplace, "gemm_inplace")
