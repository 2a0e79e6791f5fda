"""Linkers: from a rewritten graph to something that runs (chapters 2, 5, 6, 7).

`link_graph` gives every Variable a storage cell and every node a thunk, and
returns the VM that runs them.  Which thunk a node gets depends on the mode's
linker: 'py' uses each op's `perform`; 'c' (chapter 5) compiles the ops that
have C code and falls back to `perform` for the rest.  A graph holding a lazy
op (`ifelse`, chapter 7) gets the lazy VM, which skips the untaken branch.
"""

from __future__ import annotations

from minitheano.graph.basic import Variable
from minitheano.graph.fg import FunctionGraph
from minitheano.link.py.lazy import LazyVM, has_lazy_op, make_lazy_vm
from minitheano.link.py.vm import VM, make_storage, make_vm, py_thunk


def link_graph(fgraph: FunctionGraph, linker: str, given: dict[Variable, list],
               keep: set[Variable], allow_gc: bool) -> VM | LazyVM:
    """A VM for `fgraph`; `given` are the cells of inputs and shared values."""
    storage = make_storage(fgraph, given)
    order = fgraph.toposort()
    thunks = [py_thunk(node, storage) for node in order]
    if has_lazy_op(order):
        return make_lazy_vm(fgraph, storage, thunks, order, allow_gc, keep)
    return make_vm(fgraph, storage, thunks, order, allow_gc, keep)
