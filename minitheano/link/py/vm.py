"""The Python virtual machine: run a graph's nodes in order (chapter 2).

Everything that can be decided once is decided at compile time:

* every Variable gets a *storage cell*, a one-element list.  Inputs, shared
  values and constants get theirs filled from outside; a node reads its
  inputs' cells and writes its outputs' cells;
* every node becomes a *thunk*, a function of no arguments bound to its cells;
* the schedule is the list of thunks in topological order, and, if
  `allow_gc`, the cells each step can empty afterwards (the last reader of an
  intermediate value frees it).

A call is then just `for thunk in thunks: thunk()`.  Chapter 5's C linker
produces thunks of the same shape, so this loop runs C and Python nodes side
by side; chapter 7 adds a lazy variant that can skip the untaken branch of
an `ifelse`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from minitheano.graph.basic import Apply, Constant, Variable
from minitheano.graph.fg import FunctionGraph
from minitheano.link.errors import annotate_exception

Thunk = Callable[[], None]


def make_storage(fgraph: FunctionGraph, given: dict[Variable, list]) -> dict[Variable, list]:
    """A storage cell for every Variable: those in `given` (inputs, shared
    containers) are used as they are; constants hold their value."""
    storage: dict[Variable, list] = dict(given)
    for v in fgraph.variables:
        if v not in storage:
            storage[v] = [v.data] if isinstance(v, Constant) else [None]
    return storage


def py_thunk(node: Apply, storage: dict[Variable, list]) -> Thunk:
    """The node's Python thunk, bound to its cells."""
    return node.op.make_py_thunk(node, [storage[v] for v in node.inputs],
                                 [storage[v] for v in node.outputs])


class VM:
    """Runs thunks in order; on failure, says which node failed and why."""

    def __init__(self, nodes: Sequence[Apply], thunks: Sequence[Thunk],
                 storage: dict[Variable, list], clear_after: Sequence[Sequence[list]] | None):
        self.nodes = list(nodes)
        self.thunks = list(thunks)
        self.storage = storage
        self.clear_after = clear_after
        self._node_of = {id(t): n for t, n in zip(self.thunks, self.nodes)}
        if clear_after is None:
            self.run = self._run
        else:
            self.steps = list(zip(self.thunks, clear_after))
            self.run = self._run_gc

    # --8<-- [start:vm-run]
    def _run(self) -> None:
        thunk = None
        try:
            for thunk in self.thunks:
                thunk()
        except Exception as e:
            self._explain(e, thunk)
            raise
    # --8<-- [end:vm-run]

    def _run_gc(self) -> None:
        thunk = None
        try:
            for thunk, cells in self.steps:
                thunk()
                for cell in cells:
                    cell[0] = None
        except Exception as e:
            self._explain(e, thunk)
            raise

    def _explain(self, exc: Exception, thunk: Thunk | None) -> None:
        node = self._node_of.get(id(thunk))
        if node is not None:
            annotate_exception(exc, node, [self.storage[v][0] for v in node.inputs])


def make_vm(fgraph: FunctionGraph, storage: dict[Variable, list], thunks: Sequence[Thunk],
            order: Sequence[Apply], allow_gc: bool, keep: set[Variable]) -> VM:
    """The VM for `order`, freeing each intermediate result after its last reader
    when `allow_gc` (never the variables in `keep`: inputs, outputs, shared)."""
    if not allow_gc:
        return VM(order, thunks, storage, None)
    # --8<-- [start:ex-ch02-free-intermediates]
    last_reader: dict[Variable, int] = {}
    for k, node in enumerate(order):
        for v in node.inputs:
            last_reader[v] = k
    clear: list[list[list]] = [[] for _ in order]
    for v, k in last_reader.items():
        if v.owner is not None and v not in keep and not isinstance(v, Constant):
            clear[k].append(storage[v])
    # Outputs of a node that nobody reads (a second output left unused).
    for k, node in enumerate(order):
        for v in node.outputs:
            if v not in last_reader and v not in keep:
                clear[k].append(storage[v])
    # --8<-- [end:ex-ch02-free-intermediates]
    if not any(clear):
        return VM(order, thunks, storage, None)
    return VM(order, thunks, storage, clear)


def run_graph_in_python(fgraph: FunctionGraph, values: dict[Variable, Any]) -> list[Any]:
    """Evaluate `fgraph` once, without a Function: used by constant folding and tests."""
    storage = make_storage(fgraph, {v: [values[v]] for v in fgraph.inputs})
    order = fgraph.toposort()
    vm = VM(order, [py_thunk(n, storage) for n in order], storage, None)
    vm.run()
    return [storage[o][0] for o in fgraph.outputs]
