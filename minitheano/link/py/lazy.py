"""The lazy VM: compute only what the outputs need, skipping untaken branches (chapter 7).

Chapter 2's VM runs every node in topological order.  That is exactly wrong
for `ifelse(cond, a, b)`: `a` and `b` would both be computed before the
ifelse node even looks at `cond`.  A *lazy* op is one whose thunk can say
"not yet: first give me these inputs", so the VM works *on demand*:

    stack = the nodes computing the outputs
    while stack:
        node = top of stack
        if it is done: pop it
        a lazy node's thunk returns the inputs it still needs (after it has
          seen `cond`, only those of the branch it takes), or [] when it is done;
        an ordinary node needs all its inputs;
        push the producers of what is missing, or, if nothing is, run it.

This is Theano's "Stack" VM idea, reduced to its core.  The protocol is small:
an op with `lazy = True` provides

    make_lazy_thunk(node, input_cells, output_cells, input_computed) -> thunk

where `input_computed[i]` is a one-element list, `[True]` once input i has a
value in this call; the thunk returns a list of input indices it still needs.

Only graphs that contain a lazy op get this VM (see `link_graph`), and even
there the walk is kept for the nodes that need it.  It costs more per node
than chapter 2's flat loop, and most nodes of a typical graph are needed
whatever the conditions say: they feed an output along a path that passes
through no branch.  Those *eager* nodes run in a flat loop, in topological
order; a lazy node among them starts the walk, which only ever has to
compute *conditional* nodes (the eager ones before it are done already):

    for node in the eager nodes, in order:
        if it is lazy: the walk above, from this node
        else: run it

Freeing intermediate results is simpler here: with branches skipped, "the last
reader" is not known in advance, so with `allow_gc` all intermediates are
dropped at the end of the call.
"""

from __future__ import annotations

from collections.abc import Sequence

from minitheano.graph.basic import Apply, Constant, Variable
from minitheano.graph.fg import FunctionGraph
from minitheano.link.errors import annotate_exception
from minitheano.link.py.vm import Thunk

_ALWAYS = [True]  # the "computed" flag of inputs, constants and shared values


def has_lazy_op(order: Sequence[Apply]) -> bool:
    return any(getattr(node.op, "lazy", False) for node in order)


class LazyVM:
    """Runs a graph from its outputs backwards, computing each node when needed."""

    def __init__(self, fgraph: FunctionGraph, order: Sequence[Apply], thunks: Sequence[Thunk],
                 storage: dict[Variable, list], allow_gc: bool, keep: set[Variable]) -> None:
        self.nodes = list(order)
        self.storage = storage
        index = {node: k for k, node in enumerate(self.nodes)}
        eager = eager_nodes(fgraph, self.nodes)
        # One "done" flag per node, shared by all its outputs.  An eager node that
        # is not lazy is always done when a walk looks at it (it came earlier).
        self.done = [_ALWAYS if k in eager and not getattr(node.op, "lazy", False) else [False]
                     for k, node in enumerate(self.nodes)]
        self.conditional_flags = [flag for flag in self.done if flag is not _ALWAYS]

        def computed(v: Variable) -> list:
            return self.done[index[v.owner]] if v.owner in index else _ALWAYS

        # For each node, the index of the node computing each of its inputs
        # (None for graph inputs and constants, which always have a value).
        self.producers = [[index.get(v.owner) for v in node.inputs] for node in self.nodes]
        self.thunks: list[Thunk] = []
        self.lazy: list[bool] = []
        for node, thunk in zip(self.nodes, thunks):
            if getattr(node.op, "lazy", False):
                thunk = node.op.make_lazy_thunk(node, [storage[v] for v in node.inputs],
                                                [storage[v] for v in node.outputs],
                                                [computed(v) for v in node.inputs])
            self.thunks.append(thunk)
            self.lazy.append(getattr(node.op, "lazy", False))
        self.eager = [(k, self.thunks[k], self.lazy[k]) for k in sorted(eager)]
        self.garbage = ([storage[v] for v in fgraph.variables
                         if v.owner in index and v not in keep and not isinstance(v, Constant)]
                        if allow_gc else [])

    def run(self) -> None:
        for flag in self.conditional_flags:
            flag[0] = False
        k = None
        try:
            for k, thunk, lazy in self.eager:
                if lazy:
                    self.walk(k)
                else:
                    thunk()
        except Exception as e:
            if k is not None:
                node = self.nodes[k]
                annotate_exception(e, node, [self.storage[v][0] for v in node.inputs])
            raise
        finally:
            for cell in self.garbage:
                cell[0] = None

    def walk(self, target: int) -> None:
        """Compute node `target` (a lazy one) and what it needs, on demand."""
        done, producers, thunks, lazy = self.done, self.producers, self.thunks, self.lazy
        stack = [target]
        k = target
        try:
            # --8<-- [start:ex-ch07-lazy-vm]
            while stack:
                k = stack[-1]
                if done[k][0]:
                    stack.pop()
                    continue
                if lazy[k]:
                    needed = thunks[k]()  # input positions it still needs, [] when done
                    if needed:
                        stack.extend(producers[k][i] for i in needed)
                        continue
                else:
                    missing = [p for p in producers[k] if p is not None and not done[p][0]]
                    if missing:
                        stack.extend(missing)
                        continue
                    thunks[k]()
                done[k][0] = True
                stack.pop()
            # --8<-- [end:ex-ch07-lazy-vm]
        except Exception as e:  # say which node failed (run's handler then adds nothing)
            node = self.nodes[k]
            annotate_exception(e, node, [self.storage[v][0] for v in node.inputs])
            raise


def eager_nodes(fgraph: FunctionGraph, order: Sequence[Apply]) -> set[int]:
    """The positions in `order` of the nodes every call computes: those that reach an
    output without passing through an input of a lazy node (which may not want it)."""
    index = {node: k for k, node in enumerate(order)}
    eager: set[int] = set()
    stack = [v.owner for v in fgraph.outputs if v.owner in index]
    while stack:
        node = stack.pop()
        if index[node] in eager:
            continue
        eager.add(index[node])
        if not getattr(node.op, "lazy", False):
            stack.extend(v.owner for v in node.inputs if v.owner in index)
    return eager


def make_lazy_vm(fgraph: FunctionGraph, storage: dict[Variable, list], thunks: Sequence[Thunk],
                 order: Sequence[Apply], allow_gc: bool, keep: set[Variable]) -> LazyVM:
    return LazyVM(fgraph, order, thunks, storage, allow_gc, keep)
