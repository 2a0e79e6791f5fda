"""Test values: computing a graph on sample values while it is being built (chapter 9).

    theano.config.compute_test_value = 'raise'
    X.tag.test_value = np.random.randn(7, 10)
    h = T.dot(X, W)          # ValueError here, at this line, if the shapes disagree

Graphs are usually checked only when a compiled function runs, far from the
line that made the mistake.  With test values on, every Apply node made by
calling an Op (`Op.__call__`, the one place user code makes nodes) is run at
once on its inputs' test values, and its outputs keep the results as their
own `tag.test_value`.  A shape bug then raises where the node is built, with
the op, each input's name and shape, and the user's line.

Where a test value comes from: `var.tag.test_value` (checked against the
variable's type when set), a constant's value, a shared variable's current
value, or, for a computed variable, the value computed when its node was built.

`config.compute_test_value` says what to do when an input has none, as in
Theano 1.0: 'off' (compute nothing; the default), 'ignore' (skip the node),
'warn' (skip it with a warning), 'raise' (a ValueError), 'pdb' (the debugger).
A node that *does* have every test value and fails raises in every mode but 'off'.
"""

from __future__ import annotations

import copy
import pdb
import sys
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply, TestValueError, Variable, toposort
from minitheano.graph.shared import SharedVariable


def describe_inputs(node: Apply, values: Sequence[Any]) -> list[str]:
    """One line per input: its position, its name in the graph, dtype and shape."""
    lines = []
    for i, (var, value) in enumerate(zip(node.inputs, values)):
        if isinstance(value, (np.ndarray, np.generic)):
            what = f"{value.dtype}{list(np.shape(value))}"
        else:
            what = type(value).__name__
        lines.append(f"  input {i}: {_called(var)} = {what}")
    return lines


def _called(var: Variable) -> str:
    """How an error names an input: its name, or what it is."""
    if var.name is None and isinstance(var, SharedVariable):
        return f"an unnamed shared variable {var}"
    return str(var)


def compute_test_values(node: Apply, mode: str) -> None:
    """Run `node` on its inputs' test values; store the results as its outputs'.

    Called by `Op.__call__` (and by `scan` for its Scan node) when
    `config.compute_test_value` is not 'off'."""
    values = []
    for var in node.inputs:
        try:
            values.append(var.get_test_value())
        except TestValueError:
            _missing(node, var, mode)
            return
    if node.op.destroy_map:  # an inplace op must not overwrite a test value
        values = [copy.copy(v) for v in values]
    # --8<-- [start:ex-ch09-test-values]
    storage: list[list] = [[None] for _ in node.outputs]
    try:
        node.op.perform(node, values, storage)
    except Exception as e:
        _annotate(e, node, values)
        raise
    for out, cell in zip(node.outputs, storage):
        out.tag.test_value = cell[0]
    # --8<-- [end:ex-ch09-test-values]


def fill_test_values(outputs: Sequence[Variable], mode: str) -> None:
    """Compute the test values of every node of `outputs`' graph that has none
    yet (a graph built with test values off, such as a gradient's)."""
    for node in toposort(outputs):
        if not all(hasattr(out.tag, "test_value") for out in node.outputs):
            compute_test_values(node, mode)


def _missing(node: Apply, var: Variable, mode: str) -> None:
    """An input without a test value: what `mode` says to do."""
    message = (f"Cannot compute the test value of {node.op}: its input {var} has no test "
               f"value (give one with `var.tag.test_value = ...`, or set "
               f"config.compute_test_value to 'off' or 'ignore')")
    if mode == "ignore":
        return
    if mode == "warn":
        warnings.warn(message, stacklevel=4)
        return
    error = ValueError(message)
    if mode == "pdb":
        try:
            raise error
        except ValueError:
            pdb.post_mortem(sys.exc_info()[2])
        return
    raise error


def _annotate(e: Exception, node: Apply, values: Sequence[Any]) -> None:
    """Add the op, the inputs (which is which, with shapes) and the user's line
    to `e`'s message, in place, keeping its type."""
    lines = [f"This happened computing test values (config.compute_test_value), for "
             f"the node {node.op} with inputs:", *describe_inputs(node, values)]
    trace = node.outputs[0].trace if node.outputs else None
    if trace is not None:
        lines.append(f"The node was built at {trace.describe()}")
    extra = "\n".join(lines)
    if e.args and isinstance(e.args[0], str):
        e.args = (f"{e.args[0]}\n{extra}",) + e.args[1:]
    else:
        e.args = (*e.args, extra)
    e._minitheano_annotated = True
