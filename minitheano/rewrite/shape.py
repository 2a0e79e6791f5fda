"""Shapes without computing: the ShapeFeature (chapter 3).

Every op says, in `infer_shape`, how the shape of its outputs follows from the
shapes of its inputs: an elementwise result has the shape of its inputs, a
`dot` of (m, k) and (k, n) is (m, n).  Chaining those answers from the graph's
inputs gives the shape of any variable as a small graph of the inputs'
lengths, `x.shape[0]` and the like, without computing the variable itself.

The ShapeFeature keeps those answers for the rewrites:

* `x.shape` of a computed x is replaced by a vector of those lengths, so
  `exp(dot(a, b)).shape` costs two lookups, not a matrix product;
* it checks every replacement (engine.py): a rewrite must not change a shape.
  Lengths are compared as *atoms*: numbers, and the lengths of the graph's
  inputs.  Elementwise nodes and `dot` tell which input lengths must be equal
  (x + y needs len(x) == len(y)), kept in a union-find; two atoms that are
  neither equal numbers nor known equal lengths are different shapes, and
  the rewrite is refused with both shapes in the message.  Entries that are
  computed (a reshape's product of lengths) are not compared: no false alarms.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Apply, Constant, Variable, toposort
from minitheano.graph.fg import Feature, FunctionGraph
from minitheano.rewrite.engine import is_elemwise, register
from minitheano.scalar import math as smath
from minitheano.tensor.basic import constant
from minitheano.tensor.elemwise import Elemwise
from minitheano.tensor.join import make_vector
from minitheano.tensor.math import Dot
from minitheano.tensor.shape import Shape, shape
from minitheano.tensor.subtensor import Subtensor

Entry = Any  # an int, or a symbolic int64 scalar


def _as_int(entry: Entry) -> Entry:
    if isinstance(entry, (int, np.integer)):
        return int(entry)
    if isinstance(entry, Constant) and np.asarray(entry.data).size == 1:
        return int(np.asarray(entry.data).reshape(()))
    return entry


class ShapeFeature(Feature):
    """The shape of each variable, as inferred from the graph's inputs."""

    def on_attach(self, fgraph: FunctionGraph) -> None:
        self.fgraph = fgraph
        self.shapes: dict[Variable, tuple] = {}
        self.input_lengths: dict[tuple[Variable, int], Variable] = {}
        self.parent: dict[Any, Any] = {}  # union-find over atoms known equal

    def on_change_input(self, fgraph: FunctionGraph, node: Any, i: int, old: Variable,
                        new: Variable, reason: str) -> None:
        # The node's outputs are asked again from its new input: x[:len(x)] -> x
        # makes dot(x, w)'s length x's own again, an atom, no longer the slice's.
        if node != "output":
            for out in node.outputs:
                self.shapes.pop(out, None)

    # -- union-find ---------------------------------------------------------
    def find(self, a: Any) -> Any:
        while a in self.parent:
            a = self.parent[a]
        return a

    def union(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra is rb or (isinstance(ra, int) and isinstance(rb, int)):
            return  # already one; or two numbers, which no graph can make equal
        if isinstance(rb, int):
            ra, rb = rb, ra  # keep a number as the name of its class
        self.parent[rb] = ra

    def is_atom(self, entry: Entry) -> bool:
        return isinstance(entry, int) or any(entry is v for v in self.input_lengths.values())

    # -- shapes -------------------------------------------------------------
    def _input_shape(self, var: Variable) -> tuple:
        if isinstance(var, Constant):
            return tuple(np.shape(var.data))
        dims = []
        for d, b in enumerate(getattr(var.type, "broadcastable", ())):
            if b:
                dims.append(1)
            else:
                key = (var, d)
                if key not in self.input_lengths:
                    self.input_lengths[key] = shape(var)[d]
                dims.append(self.input_lengths[key])
        return tuple(dims)

    def _infer(self, node: Apply) -> None:
        in_shapes = [self.shapes[v] for v in node.inputs]
        try:
            out_shapes = node.op.infer_shape(self.fgraph, node, in_shapes)
        except Exception:  # noqa: BLE001 - no infer_shape: ask the value at run time
            out_shapes = [tuple(1 if b else shape(o)[d]
                                for d, b in enumerate(getattr(o.type, "broadcastable", ())))
                          for o in node.outputs]
        for out, s in zip(node.outputs, out_shapes):
            # Non-tensor outputs (a random generator's new state) have no shape.
            self.shapes[out] = () if s is None else tuple(_as_int(e) for e in s)
        # What the node requires of its inputs: equal lengths.
        if isinstance(node.op, Elemwise):
            for d in range(node.outputs[0].type.ndim):
                lengths = [s[d] for v, s in zip(node.inputs, in_shapes)
                           if not v.type.broadcastable[d]]
                for e in lengths[1:]:
                    self.union(_as_int(lengths[0]), _as_int(e))
        elif isinstance(node.op, Dot):
            self.union(_as_int(in_shapes[0][-1]), _as_int(in_shapes[1][0]))

    def shape_of(self, var: Variable) -> tuple:
        """The shape of `var` (ints and symbolic lengths)."""
        if var not in self.shapes:
            for node in toposort([var], stop_at=self.shapes):
                for v in node.inputs:
                    if v not in self.shapes and (v.owner is None or isinstance(v, Constant)):
                        self.shapes[v] = self._input_shape(v)
                self._infer(node)
            if var not in self.shapes:
                self.shapes[var] = self._input_shape(var)
        return self.shapes[var]

    def same_length(self, a: Entry, b: Entry) -> bool | None:
        """True if the lengths are known equal, False if known different, else None."""
        a, b = _as_int(a), _as_int(b)
        if a is b or (isinstance(a, int) and isinstance(b, int) and a == b):
            return True
        if not (self.is_atom(a) and self.is_atom(b)):
            return None
        ra, rb = self.find(a), self.find(b)
        return ra is rb or (isinstance(ra, int) and isinstance(rb, int) and ra == rb)

    def shapes_differ(self, old: Variable, new: Variable) -> str:
        """Why `new` cannot have the shape of `old`, or '' if it may."""
        if not hasattr(old.type, "broadcastable"):
            return ""
        so, sn = self.shape_of(old), self.shape_of(new)
        if len(so) != len(sn):
            return f"{len(so)} dimensions become {len(sn)}"
        for d, (a, b) in enumerate(zip(so, sn)):
            if self.same_length(a, b) is False:
                return f"dimension {d} has length {a}, the replacement {b}"
        return ""


def _depends_on(entry: Entry, var: Variable) -> bool:
    if not isinstance(entry, Variable):
        return False
    return any(var in node.outputs for node in toposort([entry]))


@register("canonicalize", Shape)
def shape_from_inputs(fgraph: FunctionGraph, node: Apply):
    """x.shape -> a vector of lengths inferred from the inputs, so x need not be
    computed for it.  Safe: each op's infer_shape is checked against perform in tests."""
    (x,) = node.inputs
    feature = getattr(fgraph, "shape_feature", None)
    if feature is None or x.owner is None:
        return None
    entries = feature.shape_of(x)
    if any(_depends_on(e, x) for e in entries):
        return None
    parts = [constant(e, dtype="int64") if isinstance(e, int) else e for e in entries]
    if not parts:
        return None
    return [make_vector(*parts)]


@register("canonicalize", smath.Second)
def useless_fill(fgraph: FunctionGraph, node: Apply):
    """fill(a, b) -> b when b already has the type and the shape of the result:
    the fill would copy b's values to the place they already are."""
    a, b = node.inputs
    out = node.outputs[0]
    feature = getattr(fgraph, "shape_feature", None)
    if feature is None or b.type != out.type:
        return None
    so, sb = feature.shape_of(out), feature.shape_of(b)
    if all(feature.same_length(x, y) for x, y in zip(so, sb)):
        return [b]
    return None


@register(("canonicalize", "stabilize"), smath.Second)
def fill_shape_from_input(fgraph: FunctionGraph, node: Apply):
    """fill(f(a, b), c) -> fill(a, c) when f(a, b) is computed only for fills, f is
    elementwise and a has the broadcast pattern of its result: a then has the shape
    of f(a, b) (only broadcastable dimensions stretch), so f need not run at all.
    (The gradient of a sum fills its output's shape: T.grad makes many of these.)"""
    a, c = node.inputs
    inner = a.owner
    if inner is None or not isinstance(inner.op, Elemwise):
        return None
    if not all(reader != "output" and is_elemwise(reader, smath.Second) and i == 0
               for reader, i in fgraph.clients[a]):
        return None
    for v in inner.inputs:
        if v.type.broadcastable == a.type.broadcastable:
            return [Elemwise(smath.second)(v, c)]
    return None


def _length(feature: ShapeFeature, v: Variable) -> Entry:
    """The length `v` stands for, as the feature names it: y.shape[d] becomes the
    feature's entry for dimension d of y (an atom, if y is an input)."""
    node = v.owner
    if (node is not None and isinstance(node.op, Subtensor) and len(node.inputs) == 1
            and len(node.op.idx_list) == 1 and isinstance(node.op.idx_list[0], int)):
        source = node.inputs[0].owner
        if source is not None and isinstance(source.op, Shape):
            lengths = feature.shape_of(source.inputs[0])
            d = node.op.idx_list[0]
            if -len(lengths) <= d < len(lengths):
                return lengths[d]
    return v


@register(("canonicalize", "specialize"), Subtensor)
def useless_slice(fgraph: FunctionGraph, node: Apply):
    """x[:n] -> x when n is x's own length (x[:x.shape[0]], or dot(x, w)[:x.shape[0]],
    which a scan's sequence windows make): the slice is all of x."""
    feature = getattr(fgraph, "shape_feature", None)
    (entry, *rest) = node.op.idx_list or (None,)
    if feature is None or rest or not isinstance(entry, slice) or len(node.inputs) != 2:
        return None
    x, stop = node.inputs
    if (entry.start not in (None, 0) or entry.step not in (None, 1)
            or node.outputs[0].type != x.type):
        return None
    if feature.same_length(_length(feature, stop), feature.shape_of(x)[0]):
        return [x]
    return None
