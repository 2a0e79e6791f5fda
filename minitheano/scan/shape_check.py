"""Checking a loop body's shapes when `scan` builds it (chapter 9).

Many shapes are known before anything runs: a shared variable's are those of
its value, a constant's are its own, a broadcastable dimension has length 1.
`scan` calls the step once, on placeholders; from the lengths known for what
the step reads, every node's `infer_shape` gives the lengths of what it makes,
and two requirements can be checked on the way:

* an elementwise node's inputs agree, dimension by dimension (x + y needs
  len(x) == len(y), unless one of them is 1: numpy broadcasts it);
* `dot(x, y)` needs the last length of x to be the first of y;

and at the end, each output fed back must have the shape of its initial value
in `outputs_info` (the step's h[t] is read as h[t-1] by the next step), and
each shared variable's new value the shape of its value.

The seed's RNN adds T.dot(x, W), of W's 20 columns, to T.dot(h_prev, V), of
V's 5: both lengths come from shared values, so `scan` raises at once, with
test values off, naming the step's line and both shapes.  A length known
only when the function runs (the rows of X) is skipped: the check never
raises on a graph that could run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from minitheano.config import config
from minitheano.graph.basic import Apply, Constant, Variable, toposort
from minitheano.graph.shared import SharedVariable
from minitheano.graph.trace import no_user_lines
from minitheano.tensor.constant_value import NotScalarConstantError, get_scalar_constant_value
from minitheano.tensor.elemwise import Elemwise
from minitheano.tensor.math import Dot
from minitheano.tensor.type import TensorType

if TYPE_CHECKING:
    from minitheano.scan.build import StepBody
    from minitheano.scan.spec import SequenceSpec

Shape = tuple  # one entry per dimension: its length, or None where it is not known

# An outer variable computed from others (h0 = T.zeros(20)) has its shape worked
# out from its graph only if that graph is this small: a check must stay cheap.
MAX_OUTER_NODES = 30


class StaticShapes:
    """The lengths known, without running anything, of the variables of a graph."""

    def __init__(self, known: dict[Variable, Shape | None],
                 labels: dict[Variable, str] | None = None) -> None:
        self.known: dict[Variable, Shape | None] = dict(known)
        self.labels = labels or {}  # how messages name the step's arguments

    def leaf(self, var: Variable) -> Shape | None:
        """The shape of a variable nothing computes: a shared value's, a constant's,
        else 1 for each broadcastable dimension.  None: not a tensor."""
        if not isinstance(var.type, TensorType):
            return None
        if isinstance(var, SharedVariable):
            return tuple(np.shape(var.get_value(borrow=True)))
        if isinstance(var, Constant):
            return tuple(np.shape(var.data))
        return _from_type(var)

    def outer(self, var: Variable) -> Shape | None:
        """The shape of a variable the body reads but does not compute from what the
        step is given (W, h0 = T.zeros(20), T.dot(W, V) made in the step): worked out,
        and checked, from its graph, if that graph is small."""
        if var not in self.known:
            if var.owner is None:
                self.known[var] = self.leaf(var)
                return self.known[var]
            nodes = toposort([var], stop_at=list(self.known))
            if len(nodes) > MAX_OUTER_NODES:
                return _from_type(var)
            for node in nodes:
                in_shapes = [self.known[v] if v in self.known else self.leaf(v)
                             for v in node.inputs]
                check_node(node, in_shapes, self.labels)
                self.known.update(zip(node.outputs, infer_output_shapes(node, in_shapes)))
        return self.known.get(var, _from_type(var))

    def body(self, outputs: list[Variable], placeholders: list[Variable]) -> None:
        """Work out, and check, every node of the body between the placeholders
        and `outputs`; what the body reads from outside is asked of `outer`."""
        inner = set(placeholders)
        for node in toposort(outputs, stop_at=placeholders):
            if not any(v in inner for v in node.inputs):
                continue  # computed outside the loop: its shape only when a body node reads it
            inner.update(node.outputs)
            in_shapes = [self.known.get(v) if v in inner else self.outer(v)
                         for v in node.inputs]
            check_node(node, in_shapes, self.labels)
            self.known.update(zip(node.outputs, infer_output_shapes(node, in_shapes)))

    def of(self, var: Variable) -> Shape | None:
        return self.known[var] if var in self.known else self.outer(var)


def infer_output_shapes(node: Apply, in_shapes: list[Shape | None]) -> list[Shape | None]:
    """The node's `infer_shape` on the lengths known (a symbol for each unknown one),
    the lengths it gives back folded to numbers where they are.  (Called within
    `quietly`: the symbols get no user line and no test value.)"""
    from minitheano.tensor.basic import lscalar

    if any(s is None for s in in_shapes) or not all(isinstance(o.type, TensorType)
                                                     for o in node.outputs):
        return [_from_type(o) for o in node.outputs]
    if all(s and s == _from_type(v) for v, s in zip(node.inputs, in_shapes)):
        # No length known, and no scalar (whose value may be a length: T.zeros(n)).
        return [_from_type(o) for o in node.outputs]
    symbolic = [tuple(lscalar() if d is None else d for d in s) for s in in_shapes]
    try:
        out_shapes = node.op.infer_shape(None, node, symbolic)
    except Exception:  # noqa: BLE001 - no infer_shape for this node: nothing known
        return [_from_type(o) for o in node.outputs]
    return [_fold(s, o) for s, o in zip(out_shapes, node.outputs)]


def _fold(shape: Any, out: Variable) -> Shape:
    if shape is None or len(shape) != out.type.ndim:
        return _from_type(out)
    entries = []
    for d in shape:
        try:
            entries.append(int(get_scalar_constant_value(d)))
        except (NotScalarConstantError, TypeError, ValueError):
            entries.append(None)
    return tuple(entries)


def _from_type(var: Variable) -> Shape | None:
    if not isinstance(var.type, TensorType):
        return None
    return tuple(1 if b else None for b in var.type.broadcastable)


# ---------------------------------------------------------------------------
# What a node requires of its inputs
# ---------------------------------------------------------------------------

@dataclass
class FedBack:
    """An output the step feeds back: the value it returns, the initial value in
    outputs_info, and the shape the next step reads (known lengths)."""

    output: Variable
    initial: Variable
    expected: Shape | None


class ShapeMismatch(ValueError):
    """Lengths known when the graph is built cannot work when it runs."""


def check_node(node: Apply, in_shapes: list[Shape | None],
               labels: dict[Variable, str] | None = None) -> None:
    """Raise ShapeMismatch if the inputs' known lengths cannot go together."""
    if isinstance(node.op, Elemwise):
        ndim = node.outputs[0].type.ndim
        # --8<-- [start:ex-ch09-shape-check]
        for d in range(ndim):
            lengths = {s[d] for s in in_shapes if s is not None and len(s) == ndim
                       and s[d] not in (None, 1)}
            if len(lengths) > 1:
                raise ShapeMismatch(_node_message(
                    node, in_shapes, f"its inputs' lengths along dimension {d} differ", labels))
        # --8<-- [end:ex-ch09-shape-check]
    elif isinstance(node.op, Dot) and None not in in_shapes[:2]:
        xs, ys = in_shapes[0], in_shapes[1]
        if xs and ys and None not in (xs[-1], ys[0]) and xs[-1] != ys[0]:
            raise ShapeMismatch(_node_message(
                node, in_shapes, f"the last length of the first ({xs[-1]}) is not the "
                                 f"first length of the second ({ys[0]})", labels))


def describe(var: Variable, labels: dict[Variable, str] | None = None, depth: int = 2) -> str:
    """How the message names a variable: its name (or the step's argument it is),
    or what computes it."""
    if labels and var in labels:
        return labels[var]
    if var.name is not None:
        return var.name
    if isinstance(var, SharedVariable):
        return f"an unnamed shared variable of shape {np.shape(var.get_value(borrow=True))}"
    if isinstance(var, Constant):
        return str(var)
    if var.owner is None or depth == 0:
        return str(var)
    args = ", ".join(describe(v, labels, depth - 1) for v in var.owner.inputs)
    return f"{var.owner.op}({args})"


def _shape_text(shape: Shape | None) -> str:
    if shape is None:
        return "unknown"
    return "(" + ", ".join("?" if d is None else str(d) for d in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _node_message(node: Apply, in_shapes: list[Shape | None], problem: str,
                  labels: dict[Variable, str] | None) -> str:
    lines = [f"{node.op} cannot work on the shapes its inputs will have: {problem}."]
    lines += [f"  input {i}: {describe(v, labels)}, shape {_shape_text(s)}"
              for i, (v, s) in enumerate(zip(node.inputs, in_shapes))]
    trace = node.outputs[0].trace if node.outputs else None
    if trace is not None:
        lines.append(f"The node was built at {trace.describe()}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# The whole body, at scan's call
# ---------------------------------------------------------------------------

def check_step_shapes(body: StepBody, sequences: list[SequenceSpec], step: str,
                      arg_names: list[str]) -> None:
    """Check the body of a loop, as scan/build.py called the step: each node, then
    each output fed back against its initial value's shape, each shared
    variable's new value against its value.  A ShapeMismatch if they cannot fit.
    `arg_names` are the step's parameters, to name its arguments in messages."""
    with no_user_lines(), config.change_flags(compute_test_value="off"):
        labels = {p: f"{name} (argument of the step)" if p.name is None else f"{name} ({p.name})"
                  for p, name in zip(body.placeholders, arg_names)}
        shapes = StaticShapes({}, labels)
        # What the step was called on: a row of each sequence, a state's value.
        sources = [(seq.input, True) for seq in sequences for _ in seq.taps]
        sources += [(st.initial, st.taps != [-1]) for st in body.states
                    if st.initial is not None for _ in st.taps]
        for placeholder, (outer, drop_first) in zip(body.placeholders, sources):
            known = shapes.outer(outer)
            shapes.known[placeholder] = known[1:] if known and drop_first else known
        fed_back, slot = [], sum(len(seq.taps) for seq in sequences)
        for i in body.recurrent:  # each tap's slot has the shape of one step's h
            fed_back.append(FedBack(body.outputs[i], body.states[i].initial,
                                    shapes.known[body.placeholders[slot]]))
            slot += len(body.states[i].taps)
        ends = [] if body.stop is None else [body.stop]
        outputs = body.outputs + [new for _, new in body.updates] + ends
        try:
            shapes.body(outputs, body.placeholders)
            for f in fed_back:
                _same_shape(shapes.of(f.output), f.expected, f.output,
                            f"the initial value {describe(f.initial)} given in outputs_info",
                            labels)
            for sv, new in body.updates:
                _same_shape(shapes.of(new), shapes.leaf(sv), new,
                            f"the value of the shared variable {describe(sv)} it updates",
                            labels)
        except ShapeMismatch as e:
            raise ShapeMismatch(f"scan: {step} cannot run: the lengths known when the loop "
                                f"is built (from shared variables' values and constants) "
                                f"do not fit.\n{e}") from None


def _same_shape(got: Shape | None, expected: Shape | None, out: Variable, what: str,
                labels: dict[Variable, str]) -> None:
    if got is None or expected is None or len(got) != len(expected):
        return
    if any(a is not None and b is not None and a != b for a, b in zip(got, expected)):
        where = f"\nThe value was made at {out.trace.describe()}" if out.trace else ""
        raise ShapeMismatch(f"The step returns {describe(out, labels)} of shape "
                            f"{_shape_text(got)}, which the next step reads in place of "
                            f"{what}, of shape {_shape_text(expected)}.{where}")
