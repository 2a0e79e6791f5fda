"""What a picture of a graph shows: its shapes, their labels, colours and arrows (chapter 1).

Both drawers -- `graph_svg` (svg.py, pure Python) and `pydotprint` (dot.py,
Graphviz) -- draw the same `Picture`, built here from a graph.  The visual
vocabulary is Theano's pydotprint:

* an Apply node is a rounded box labelled with its op (`Elemwise{add,no_inplace}`),
  tinted by the kind of op (`OP_FILLS`);
* the graph's inputs are green, its outputs blue, shared variables cyan,
  constants grey; these are ellipses;
* an arrow goes from each value to each node that reads it; where the order
  of a node's inputs matters (`x - y`, `dot(x, W)`) the arrow says which input
  it is (0, 1, ...); a view is drawn blue, an input overwritten in place red.

An intermediate result without a name is just an arrow (with `compact=True`,
the default): in a graph of 5 to 60 nodes, an ellipse for every intermediate
would double the number of shapes and the height of the picture while adding
nothing an arrow does not say.  Named intermediates (`h = T.tanh(...)`; h.name = 'h')
are the ones a reader looks for, so they keep an ellipse.

A variable without a name is labelled with a short one (`short_names`): the name the
user's code assigned it to (`x = T.dscalar()` draws `x`), else `a`, `b`, ... for an
input and `out` for an output; its type is in the tooltip (and under it with
`show_types`).
"""

from __future__ import annotations

import os
import re
import string
from dataclasses import dataclass, field
from typing import Any

from minitheano.graph.basic import Apply, Constant, Variable, graph_inputs, toposort
from minitheano.graph.shared import SharedVariable
from minitheano.printing.pretty import constant_text
from minitheano.printing.targets import output_variables

# (fill, stroke) of each kind of shape.
STYLES: dict[str, tuple[str, str]] = {
    "apply": ("#f7f7f7", "#444444"),
    "input": ("#b8e6b0", "#2e7d32"),
    "shared": ("#b2ebf2", "#00838f"),
    "constant": ("#e4e4e4", "#8a8a8a"),
    "variable": ("#ffffff", "#666666"),
    "output": ("#b3d4f5", "#1f5fa8"),
}
# Apply nodes tinted by op class, as pydotprint's colour codes (lighter, for print).
OP_FILLS: dict[str, str] = {
    "Elemwise": "#ffe3e8", "DimShuffle": "#eeeeee", "Subtensor": "#f6e0f6",
    "AdvancedSubtensor1": "#f6e0f6", "IncSubtensor": "#f6e0f6", "Alloc": "#ffe6c7",
    "Shape": "#eadbcf", "Shape_i": "#eadbcf", "Scan": "#fff7b3", "IfElse": "#f8d3f8",
}
EDGE_COLOURS = {"plain": "#555555", "view": "#1f5fa8", "destroy": "#c62828"}

# Elementwise ops whose inputs can be swapped: their arrows need no input numbers.
COMMUTATIVE = {"add", "mul", "maximum", "minimum", "eq", "neq", "and_", "or_", "xor"}


@dataclass
class Shape:
    """One box or ellipse: `kind` is a key of STYLES, `lines` the text drawn in it,
    `title` the text shown on hover."""
    key: str
    kind: str
    lines: list[str]
    title: str
    fill: str
    op_class: str = ""  # for apply nodes


@dataclass
class Arrow:
    """From shape `src` to shape `dst`; it feeds input `port` of `nports`."""
    src: str
    dst: str
    label: str = ""
    port: int = 0
    nports: int = 1
    kind: str = "plain"


@dataclass
class Picture:
    shapes: list[Shape] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)


def picture(obj: Any, compact: bool = True, show_types: bool = False,
            max_label: int = 70) -> Picture:
    """The Picture of `obj` (Variable, list, FunctionGraph, Function).

    `compact=False` draws every intermediate result as an ellipse;
    `show_types` adds each variable's type under its name.
    """
    outputs = output_variables(obj)
    pic = Picture()
    keys: dict[Any, str] = {}  # Apply node or Variable -> shape key
    wanted = set(outputs)
    names = short_names(graph_inputs(outputs), outputs)

    def lines_of(var: Variable) -> list[str]:
        text = names.get(var, var.name)
        if text is None:
            text = constant_text(var.data)[0] if isinstance(var, Constant) else str(var.type)
        return [text, str(var.type)] if show_types else [text]

    def add(obj: Any, kind: str, lines: list[str], title: str, op_class: str = "") -> str:
        keys[obj] = f"n{len(pic.shapes)}"
        fill = OP_FILLS.get(op_class, STYLES[kind][0])
        pic.shapes.append(Shape(keys[obj], kind, [_cut(s, max_label) for s in lines], title,
                                fill, op_class))
        return keys[obj]

    def source(var: Variable) -> tuple[str, str]:
        """The shape `var`'s value comes from, and the output label of that arrow."""
        if var in keys:
            return keys[var], ""
        node = var.owner
        if node is None:
            return add(var, _leaf_kind(var), lines_of(var), _var_title(var)), ""
        many = f"{var.index}\u2192" if len(node.outputs) > 1 else ""
        if var in wanted or var.name is not None or not compact:
            kind = "output" if var in wanted else "variable"
            key = add(var, kind, lines_of(var), _var_title(var))
            pic.arrows.append(Arrow(keys[node], key, many.rstrip("\u2192")))
            return key, ""
        return keys[node], many

    for node in toposort(outputs):
        srcs = [source(var) for var in node.inputs]
        akey = add(node, "apply", [str(node.op)], _apply_title(node), type(node.op).__name__)
        numbered = len(node.inputs) > 1 and _scalar_name(node.op) not in COMMUTATIVE
        for i, (src, many) in enumerate(srcs):
            label = many + (str(i) if numbered else "")
            pic.arrows.append(Arrow(src, akey, label, i, len(node.inputs), _edge_kind(node, i)))
    for var in outputs:
        key, _ = source(var)
        if var.owner is None and ("out", var) not in keys:  # an input returned as it is
            out = add(("out", var), "output", lines_of(var), _var_title(var))
            pic.arrows.append(Arrow(key, out))
    return pic


def _leaf_kind(var: Variable) -> str:
    if isinstance(var, Constant):
        return "constant"
    return "shared" if isinstance(var, SharedVariable) else "input"


ASSIGNMENT = re.compile(r"^(?P<name>[A-Za-z_]\w*)\s*=(?!=)\s*(?P<value>.*)$")


def short_names(inputs: list[Variable], outputs: list[Variable]) -> dict[Variable, str]:
    """Labels for the unnamed inputs and outputs of a picture (see the module's docstring)."""
    unnamed = [v for v in dict.fromkeys([*inputs, *outputs])
               if v.name is None and not isinstance(v, Constant)]
    from_code: dict[Variable, str] = {}
    for var in unnamed:
        match = ASSIGNMENT.match(var.trace.source()) if var.trace is not None else None
        if match and "function(" not in match["value"]:  # `f = theano.function(...)`: not it
            from_code[var] = match["name"]
    taken = {v.name for v in [*inputs, *outputs] if v.name is not None}
    counts = {name: list(from_code.values()).count(name) for name in from_code.values()}
    names = {v: n for v, n in from_code.items() if counts[n] == 1 and n not in taken}
    taken |= set(names.values())
    letters = (c for c in string.ascii_lowercase if c not in taken)
    plain_outputs = [v for v in outputs if v in unnamed and v not in names]
    for var in unnamed:
        if var in names:
            continue
        if var in plain_outputs:
            names[var] = "out" if len(plain_outputs) == 1 else f"out{plain_outputs.index(var)}"
        else:
            names[var] = next(letters, "?")
    return names


def _var_title(var: Variable) -> str:
    return f"{var} : {var.type}{_where(var)}"


def _apply_title(node: Apply) -> str:
    types = ", ".join(str(o.type) for o in node.outputs)
    return f"{node.op}\n-> {types}{_where(node.outputs[0])}"


def _where(var: Variable) -> str:
    """The user's line that built `var`, by file name only: a picture made on one
    machine must not carry its directories (and must be the same on another)."""
    if var.trace is None:
        return ""
    line = var.trace.source()
    place = f"{os.path.basename(var.trace.filename)}:{var.trace.lineno}"
    return f"\nbuilt at {place}" + (f": {line}" if line else "")


def _scalar_name(op: Any) -> str | None:
    """The scalar op an Elemwise applies (or a scalar op's own name)."""
    if type(op).__name__ == "Elemwise":
        op = op.scalar_op
    return getattr(op, "name", None)


def _edge_kind(node: Apply, i: int) -> str:
    if any(i in ins for ins in node.op.destroy_map.values()):
        return "destroy"
    if any(i in ins for ins in node.op.view_map.values()):
        return "view"
    return "plain"


def _cut(text: str, limit: int) -> str:
    """At most `limit` characters; the hover title keeps the whole text."""
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"
