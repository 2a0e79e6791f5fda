"""Pretty printing: a graph read back as the expression a person would write (chapter 1).

    >>> x, y = T.dmatrices('x', 'y')
    >>> pp((x - y) ** 2)
    '(x - y) ** 2'
    >>> pp(1 / (1 + T.exp(-x)))
    '1 / (1 + exp(-x))'

The printer walks the graph from its inputs to its outputs and gives every
Variable a text *and a precedence*: how tightly the outermost operator of
that text binds.  When an operator takes an operand whose precedence is
lower, the operand goes in brackets; that is the whole trick, and the rules
for it (`operator_text`) are this chapter's exercise.  The precedences are
Python's, so what `pp` prints is Python that builds the same graph.

Every op the printer does not know is written as a call: its str()
`Sum{axis=[1]}` becomes `sum(x, axis=[1])`, `Dot` becomes `dot(x, W)`.  A few
ops have forms of their own (`x.T`, `x[0:2]`, `set_subtensor(x[i], y)`), chosen by class name in
`SPECIAL` -- so printing needs no import of tensor/, and an op added later
prints sensibly without anyone touching this file.

`Composite` (scalar/composite.py) names itself with `expressions`:
`Composite{exp(i0) * sin(i1) + i0}`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply, Constant, Variable, toposort
from minitheano.printing.targets import output_variables

# The one table of infix operators: scalar op name -> (symbol, precedence).
# Higher binds tighter; the numbers follow Python's own operator precedence.
OPERATORS: dict[str, tuple[str, int]] = {
    "eq": ("==", 1), "neq": ("!=", 1), "lt": ("<", 1), "le": ("<=", 1),
    "gt": (">", 1), "ge": (">=", 1),
    "or_": ("|", 2), "xor": ("^", 3), "and_": ("&", 4),
    "add": ("+", 5), "sub": ("-", 5),
    "mul": ("*", 6), "true_div": ("/", 6), "int_div": ("//", 6), "mod": ("%", 6),
    "neg": ("-", 7), "invert": ("~", 7),
    "pow": ("**", 8),
}
COMPARISON, UNARY, POWER, ATOM = 1, 7, 8, 9

# An expression and the precedence of its outermost operator.
Text = tuple[str, int]


def pp(obj: Any) -> str:
    """`obj` (a Variable, a list, a FunctionGraph, a compiled function) as infix
    expressions, one line per output."""
    return "\n".join(expressions(output_variables(obj)))


pprint = pp  # Theano's other name for it


def expressions(outputs: Sequence[Variable],
                names: Mapping[Variable, str] | None = None) -> list[str]:
    """The expression of each output; a Variable in `names` is written as that name."""
    known = {var: (name, ATOM) for var, name in (names or {}).items()}
    return [text for text, _ in _walk(outputs, known)]


def _walk(outputs: Sequence[Variable], known: dict[Variable, Text]) -> list[Text]:
    """Texts of `outputs`, node after node in topological order (no recursion, so a
    graph built by a long loop prints too)."""
    texts = dict(known)
    # Elemwise pads a smaller input with broadcastable dimensions in front
    # (DimShuffle{x,0}); as an operand of an elementwise op that padding is
    # what the reader wrote as `x + v`, so it is not shown there.
    padded: dict[Variable, Text] = {}
    for node in toposort(outputs, stop_at=texts):
        args = [texts[v] if v in texts else leaf_text(v) for v in node.inputs]
        if type(node.op).__name__ == "Elemwise":
            args = [padded.get(v, arg) for v, arg in zip(node.inputs, args)]
        for out, text in zip(node.outputs, node_texts(node, args)):
            texts[out] = text
        if _is_padding(node.op):
            padded[node.outputs[0]] = args[0]
    return [texts[v] if v in texts else leaf_text(v) for v in outputs]


def _is_padding(op: Any) -> bool:
    """A DimShuffle that only adds broadcastable dimensions in front: {x,x,0,1}."""
    if type(op).__name__ != "DimShuffle":
        return False
    order = list(op.new_order)
    while order and order[0] == "x":
        order.pop(0)
    return order == list(range(len(op.input_broadcastable)))


def leaf_text(var: Variable) -> Text:
    """A Variable nobody computes: its name, or a constant's value."""
    if var.name is not None:
        return var.name, ATOM
    if isinstance(var, Constant):
        return constant_text(var.data)
    return str(var), ATOM


def constant_text(data: Any) -> Text:
    """A constant as a number (`2`, `0.5`, `-1`) or a short array."""
    value = np.asarray(data)
    if value.ndim > 0 and value.size <= 8:
        return repr(value.tolist()), ATOM  # [2, -1], [[0.5, 1.0]]
    if value.ndim > 0:
        return np.array2string(value, separator=", ", threshold=8), ATOM  # [0., 1., ..., 9.]
    text = repr(value.item())
    if text.endswith(".0"):  # 1.0 -> 1: the graph shows what the user typed
        text = text[:-2]
    return text, UNARY if text.startswith("-") else ATOM


def node_texts(node: Apply, args: list[Text]) -> list[Text]:
    """The text of each output of `node`, given the texts of its inputs."""
    op = node.op
    if type(op).__name__ == "Elemwise":
        op = op.scalar_op  # elementwise x + y reads like scalar x + y
    special = SPECIAL.get(type(op).__name__)
    if special is not None:
        return special(op, node, args)
    name = getattr(op, "name", None)
    if name in OPERATORS:
        return [operator_text(name, args)]
    return call_texts(str(op), args, len(node.outputs))


def operator_text(name: str, args: list[Text]) -> Text:
    """Operator `name` applied to `args`, with the brackets precedence requires.

    `a - (b - c)` keeps its brackets (- groups from the left), `a ** b ** c`
    needs none (** groups from the right), `(a < b) == c` keeps them (Python
    would read `a < b == c` as a chain).  Beyond what Python needs, a negated
    right operand is bracketed for the reader: `x * (-y)`, `-(-x)`.
    """
    symbol, prec = OPERATORS[name]
    # --8<-- [start:ex-ch01-pp-infix]
    if len(args) == 1:  # unary: -(x + y), -(-x), but -x ** 2 is -(x ** 2) already
        text, arg_prec = args[0]
        return symbol + (text if arg_prec > prec else f"({text})"), prec
    parts = []
    for i, (text, arg_prec) in enumerate(args):
        if prec == COMPARISON:
            bracket = arg_prec <= prec
        elif prec == POWER:  # right-associative: brackets on the left at equal precedence
            bracket = arg_prec <= prec if i == 0 else arg_prec < prec
        else:  # left-associative: brackets on the right at equal precedence
            bracket = arg_prec < prec if i == 0 else arg_prec <= prec
        # x - (-y) rather than the legal but puzzling x - -y
        bracket = bracket or (i > 0 and arg_prec == UNARY)
        parts.append(f"({text})" if bracket else text)
    return f" {symbol} ".join(parts), prec
    # --8<-- [end:ex-ch01-pp-infix]


# Ops whose function has another name than the op (T.fill makes a `second`).
CALL_NAMES = {"second": "fill"}


def call_texts(op_str: str, args: list[Text], nout: int = 1) -> list[Text]:
    """An op written as a call: `Sum{axis=[1]}` on x -> `sum(x, axis=[1])`."""
    head, brace, props = op_str.partition("{")
    params = [text for text, _ in args] + ([props.removesuffix("}")] if brace else [])
    name = snake_case(head)
    text = f"{CALL_NAMES.get(name, name)}({', '.join(params)})"
    if nout == 1:
        return [(text, ATOM)]
    return [(f"{text}[{k}]", ATOM) for k in range(nout)]


def snake_case(name: str) -> str:
    """`DeepCopyOp` -> `deep_copy_op`, `CAReduce` -> `ca_reduce`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def atom(text: Text) -> str:
    """`text` made safe to put before `.T` or `[...]`."""
    return text[0] if text[1] >= ATOM else f"({text[0]})"


# -- ops with forms of their own ---------------------------------------------
# Each returns the text of each output.

def _composite(op: Any, node: Apply, args: list[Text]) -> list[Text]:
    """A fused op reads as the expression it fused, with its inputs put in."""
    return _walk(op.outputs, dict(zip(op.inputs, args)))


def _dimshuffle(op: Any, node: Apply, args: list[Text]) -> list[Text]:
    """A reversal of the dimensions is `x.T`, any other order `x.dimshuffle(...)`."""
    ndim = len(op.input_broadcastable)
    if ndim >= 2 and list(op.new_order) == list(range(ndim))[::-1]:
        return [(f"{atom(args[0])}.T", ATOM)]
    pattern = ", ".join(repr(d) if d == "x" else str(d) for d in op.new_order)
    return [(f"{atom(args[0])}.dimshuffle({pattern})", ATOM)]


def _index(op: Any, x: Text, index_args: list[Text]) -> str:
    """`x[0:2]`, `x[i, ::2]`: constant entries of the op's `idx_list` are printed,
    the others stand for its next inputs.  Without an `idx_list` every input is
    one entry (`x[idx]`)."""
    if not hasattr(op, "idx_list"):
        return f"{atom(x)}[{', '.join(text for text, _ in index_args)}]"
    symbolic = iter(index_args)

    def entry(e: Any) -> str:
        if e is None:
            return ""
        if isinstance(e, (int, np.integer)):
            return str(e)
        return next(symbolic)[0]

    parts = []
    for e in op.idx_list:
        if isinstance(e, slice):
            part = f"{entry(e.start)}:{entry(e.stop)}"
            parts.append(part + (f":{entry(e.step)}" if e.step is not None else ""))
        else:
            parts.append(entry(e))
    return f"{atom(x)}[{', '.join(parts)}]"


def _subtensor(op: Any, node: Apply, args: list[Text]) -> list[Text]:
    """Reading part of an array: `x[1:-1, i]`."""
    return [(_index(op, args[0], args[1:]), ATOM)]


def _inc_subtensor(op: Any, node: Apply, args: list[Text]) -> list[Text]:
    """Writing into part of a copy: `set_subtensor(x[0:2], y)`, as the user wrote it."""
    name = "set_subtensor" if getattr(op, "set_instead_of_inc", False) else "inc_subtensor"
    return [(f"{name}({_index(op, args[0], args[2:])}, {args[1][0]})", ATOM)]


SPECIAL: dict[str, Callable[[Any, Apply, list[Text]], list[Text]]] = {
    "Composite": _composite,
    "DimShuffle": _dimshuffle,
    "Subtensor": _subtensor,
    "AdvancedSubtensor1": _subtensor,
    "AdvancedSubtensor": _subtensor,
    "IncSubtensor": _inc_subtensor,
    "AdvancedIncSubtensor1": _inc_subtensor,
    "AdvancedIncSubtensor": _inc_subtensor,
}
