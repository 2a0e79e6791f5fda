"""Linkers: from a rewritten graph to something that runs (chapters 2, 5, 6, 7).

`link_graph` gives every Variable a storage cell and every node a thunk, and
returns the VM that runs them.  Which thunk a node gets depends on the mode's
linker: 'py' uses each op's `perform`; 'c' (chapter 5) compiles the nodes
that have a kernel into one C module and keeps `perform` for the rest;
'debug' (DebugMode) runs every node both ways and compares.  A graph holding
a lazy op (`ifelse`, chapter 7) gets the lazy VM, which skips the untaken
branch.
"""

from __future__ import annotations

from collections.abc import Callable

from minitheano.graph.basic import Apply, Variable
from minitheano.graph.fg import FunctionGraph
from minitheano.link.py.lazy import LazyVM, has_lazy_op, make_lazy_vm
from minitheano.link.py.vm import VM, Thunk, make_storage, make_vm, py_thunk


def link_graph(fgraph: FunctionGraph, linker: str, given: dict[Variable, list],
               keep: set[Variable], allow_gc: bool,
               instrument: Callable[[list[Apply], list[Thunk]], list[Thunk]] | None = None
               ) -> VM | LazyVM:
    """A VM for `fgraph`; `given` are the cells of inputs and shared values.

    `instrument(order, thunks)` may wrap the thunks (the profiler's timers)."""
    storage = make_storage(fgraph, given)
    order = fgraph.toposort()
    thunks = [py_thunk(node, storage) for node in order]
    if linker == "c":
        from minitheano.link.c.thunk import c_thunks

        # A node may keep its output arrays for the next call if they are
        # function outputs, or if intermediate results are not freed anyway.
        def reuse(node):
            return not allow_gc or any(v in keep for v in node.outputs)

        compiled = c_thunks(order, storage, reuse)
        if compiled is not None:
            thunks = [c or p for c, p in zip(compiled, thunks)]
    elif linker == "debug":
        from minitheano.link.debug import debug_thunks

        thunks = debug_thunks(fgraph, order, storage)
    if instrument is not None:
        thunks = instrument(order, thunks)
    if has_lazy_op(order):
        return make_lazy_vm(fgraph, storage, thunks, order, allow_gc, keep)
    return make_vm(fgraph, storage, thunks, order, allow_gc, keep)
