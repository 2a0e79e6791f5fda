"""Turning a failure inside a compiled function into a message about the user's code
(chapters 2 and 5).

When a node fails at run time (numpy refuses to add a (3,) and a (4,) array),
the bare numpy message says nothing of which of the user's expressions was
at fault.  We add the op, the shapes and dtypes of its inputs, and the line
of user code that built the node, keeping the exception's type so that
`except ValueError` in the user's code still works.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.test_value import describe_inputs


def describe_values(values: Sequence[Any]) -> str:
    parts = []
    for v in values:
        if v is None:
            parts.append("(not computed)")
        elif isinstance(v, (np.ndarray, np.generic)):
            parts.append(f"{v.dtype}{list(np.shape(v))}")
        else:
            parts.append(type(v).__name__)
    return ", ".join(parts)


def node_failure_message(node: Apply, input_values: Sequence[Any]) -> str:
    """What went wrong where, in the user's terms."""
    lines = [f"Apply node that caused the error: {node}",
             f"Inputs (dtype[shape]): {describe_values(input_values)}", "Which is which:",
             *describe_inputs(node, input_values)]
    trace = node.outputs[0].trace if node.outputs else None
    if trace is not None:
        lines.append(f"The node was built at {trace.describe()}")
    moved = getattr(node.outputs[0].tag, "moved_out_of_loop", None) if node.outputs else None
    if moved is not None:  # chapter 9: a rewrite took it out of a scan's body
        lines.append(f"It does the work of that line for every iteration at once: a rewrite "
                     f"moved it out of the loop of {moved}")
    return "\n".join(lines)


def annotate_exception(exc: BaseException, node: Apply, input_values: Sequence[Any]) -> None:
    """Add the node's description to `exc`'s message, in place, once."""
    if getattr(exc, "_minitheano_annotated", False):
        return
    extra = node_failure_message(node, input_values)
    if exc.args and isinstance(exc.args[0], str):
        exc.args = (f"{exc.args[0]}\n{extra}",) + exc.args[1:]
    else:
        exc.args = (*exc.args, extra)
    exc._minitheano_annotated = True
