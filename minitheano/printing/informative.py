"""min_informative_str: the smallest tree that says what a variable is (chapter 1).

Theano's helper for error messages: a variable is printed down to its named
variables and constants and no further, each entry tagged with a capital
letter, and an entry met again is printed as its tag alone:

    A. Elemwise{add,no_inplace}
     B. log_likelihood_v_given_h
     C. log_likelihood_h
"""

from __future__ import annotations

from minitheano.graph.basic import Variable
from minitheano.printing.debug import char_from_number


def min_informative_str(obj: Variable, indent_level: int = 0) -> str:
    """The tree of `obj` down to its named variables and constants, one
    entry a line, indented one space a level (starting at `indent_level`)."""
    tags: dict[int, str] = {}
    lines = []
    stack = [(obj, indent_level)]  # depth first, with an explicit stack
    while stack:
        var, level = stack.pop()
        indent = " " * level
        if id(var) in tags:
            lines.append(f"{indent}<{tags[id(var)]}>")
            continue
        tag = tags[id(var)] = char_from_number(len(tags))
        node = var.owner
        if var.name is not None or node is None:
            lines.append(f"{indent}{tag}. {var.name if var.name is not None else var}")
            continue
        out = f".{node.outputs.index(var)}" if len(node.outputs) > 1 else ""
        lines.append(f"{indent}{tag}. {node.op}{out}")
        stack.extend((inp, level + 1) for inp in reversed(node.inputs))
    return "\n".join(lines)
