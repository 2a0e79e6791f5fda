"""debugprint: a graph as an indented tree, in Theano's format (chapter 1).

    >>> debugprint(x + y)
    Elemwise{add,no_inplace} [id A] ''
     |x [id B]
     |y [id C]

One line per Variable: the op that computes it (or the input's name), an id,
and in quotes the Variable's name.  A node met a second time is printed once
more with the same id but without its inputs, so a shared subgraph appears
once.  For a compiled function each node's line ends with its position in
the schedule the function runs (`''   2`).
"""

from __future__ import annotations

import sys
from typing import Any

from minitheano.graph.basic import Apply, Variable
from minitheano.printing.targets import print_targets


def debugprint(obj: Any, file: Any = None, depth: int = -1, print_type: bool = False,
               ids: str = "CHAR", stop_on_name: bool = False,
               done: dict[Any, str] | None = None) -> Any:
    """Print the graph of `obj` (Variable, Apply, FunctionGraph, Function, or a list).

    `file`: None prints to stdout, 'str' returns the text, a file object is
    written to (and returned).  `depth` limits how deep the tree goes (-1: all).
    `print_type` adds each Variable's type.  `ids`: 'CHAR' ([id A]), 'int'
    ([id 0]), 'id' (Python's id()), or '' (none).  `stop_on_name` does not
    expand below a named Variable.  `done` maps already printed nodes to their
    ids; pass the same dict to several calls to share ids between them.
    """
    if not isinstance(depth, int):
        raise TypeError(f"debugprint: depth must be an int, got {depth!r}")
    if ids not in ("CHAR", "int", "id", ""):
        raise ValueError(f"debugprint: ids must be 'CHAR', 'int', 'id' or '', got {ids!r}")
    done = {} if done is None else done
    lines: list[str] = []
    items = obj if isinstance(obj, (list, tuple)) else [obj]
    for item in items:
        if isinstance(item, (int, float)):  # Theano prints numbers as they are
            lines.append(str(item))
            continue
        for var, order in print_targets(item):
            lines.extend(_tree(var, order, depth, print_type, ids, stop_on_name, done))
    text = "".join(line.rstrip() + "\n" for line in lines)
    if file == "str":
        return text
    if file is None:  # returns None, so an interactive prompt shows only the tree
        sys.stdout.write(text)
        return None
    file.write(text)
    return file


def _tree(root: Variable, order: list[Apply] | None, depth: int, print_type: bool,
          ids: str, stop_on_name: bool, done: dict[Any, str]) -> list[str]:
    """The lines for one output, depth first (an explicit stack, not recursion)."""
    lines = []
    # (variable, prefix of its own line, prefix of its inputs' lines, depth left)
    stack = [(root, "", "", depth)]
    while stack:
        var, prefix, child_prefix, left = stack.pop()
        if left == 0:
            continue
        node = var.owner
        key = node if node is not None else var
        seen = key in done
        if not seen:
            done[key] = _new_id(key, ids, len(done))
        type_str = f" <{var.type}>" if print_type else ""
        if node is None:
            lines.append(f"{prefix}{var} {done[key]}{type_str}")
            continue
        out = f".{node.outputs.index(var)}" if len(node.outputs) > 1 else ""
        name = var.name if var.name is not None else ""
        position = str(order.index(node)) if order is not None and node in order else ""
        lines.append(f"{prefix}{node.op}{out} {done[key]}{type_str} '{name}'   {position}")
        if seen or (stop_on_name and var.name is not None):
            continue
        # Push the inputs last-first so the first input is printed first.
        last = len(node.inputs) - 1
        for i in range(last, -1, -1):
            below = child_prefix + ("  " if i == last else " |")
            stack.append((node.inputs[i], child_prefix + " |", below, left - 1))
    return lines


def _new_id(obj: Any, ids: str, count: int) -> str:
    if ids == "CHAR":
        return f"[id {char_from_number(count)}]"
    if ids == "int":
        return f"[id {count}]"
    if ids == "id":
        return f"[id {id(obj)}]"
    return ""


def char_from_number(number: int) -> str:
    """0 -> 'A', 25 -> 'Z', 26 -> 'BA': base 26 with letters for digits (as Theano)."""
    text = ""
    while True:
        number, digit = divmod(number, 26)
        text = chr(ord("A") + digit) + text
        if number == 0:
            return text

