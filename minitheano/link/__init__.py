"""Linkers: from a rewritten graph to something that runs (chapters 2, 5, 6, 7).

`link_graph` gives every Variable a storage cell and every node a thunk, and
returns the VM that runs them.  Which thunk a node gets depends on the mode's
linker: 'py' uses each op's `perform`; 'c' (chapter 5) compiles the nodes
that have a kernel into one C module and keeps `perform` for the rest;
'debug' (DebugMode) runs every node both ways and compares; 'cuda' (chapter 6)
moves the nodes that have a CUDA kernel onto the device, with explicit
transfers, and runs the rest as 'c' does.  A graph holding
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
               instrument: Callable[[list[Apply], list[Thunk]], list[Thunk]] | None = None,
               monitor: Callable[[list[Apply], list[Thunk], dict[Variable, list]],
                                 list[Thunk]] | None = None
               ) -> VM | LazyVM:
    """A VM for `fgraph`; `given` are the cells of inputs and shared values.

    `instrument(order, thunks)` may wrap the thunks (the profiler's timers), and
    `monitor(order, thunks, storage)` too (MonitorMode's hooks, which read the cells)."""
    if linker == "cuda":
        from minitheano.link.cuda.thunk import prepare_graph

        prepare_graph(fgraph)
        keep = set(keep) | set(fgraph.outputs)  # the outputs are now HostFromGpu's
    storage = make_storage(fgraph, given)
    order = fgraph.toposort()
    thunks = [py_thunk(node, storage) for node in order]
    if linker in ("c", "cuda"):
        from minitheano.link.c.buffers import function_budget
        from minitheano.link.c.thunk import c_thunks

        # A node may keep its output arrays for the next call if they are
        # function outputs, or if intermediate results are not freed anyway;
        # otherwise up to the function's budget (link/c/buffers.py).
        budget = function_budget()

        def reuse(node):
            return not allow_gc or any(v in keep for v in node.outputs) or budget

        host = [i for i, n in enumerate(order) if "Gpu" not in type(n.op).__name__]
        compiled = c_thunks([order[i] for i in host], storage, reuse)
        for i, c in zip(host, compiled or []):
            thunks[i] = c or thunks[i]
    if linker == "cuda":
        from minitheano.link.cuda.device import get_device
        from minitheano.link.cuda.thunk import cuda_thunks

        thunks = [c or p for c, p in zip(cuda_thunks(order, storage, get_device()), thunks)]
    elif linker == "debug":
        from minitheano.link.debug import debug_thunks

        thunks = debug_thunks(fgraph, order, storage)
    if instrument is not None:
        thunks = instrument(order, thunks)
    if monitor is not None:
        thunks = monitor(order, thunks, storage)
    if has_lazy_op(order):
        return make_lazy_vm(fgraph, storage, thunks, order, allow_gc, keep)
    return make_vm(fgraph, storage, thunks, order, allow_gc, keep)
