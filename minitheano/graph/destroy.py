"""Orderings: which nodes must run before a node that overwrites a buffer (chapter 3).

An op with a `destroy_map` writes its result into an input's buffer.  Every
other node that reads the old contents of that buffer must then run *before*
it.  Most of them do anyway, because the destroyer depends on them (they are
its ancestors).  The others are readers it does not depend on: the forward
product `dot(x, W)` and the backward `dot(g, W.T)` both read W, and only the
first is an ancestor of W's update.  The graph's data edges say nothing about
those; the *orderings* computed here do, as Theano's DestroyHandler did:

    destroy_orderings(fgraph)  ->  {destroyer: {nodes that must run first}}

`FunctionGraph.toposort` puts those nodes first, and every linker (the Python
VM, the C linker, the compiled scan loop, the C call path) runs the nodes in
that order.  The orderings are *derived* from the graph each time it is sorted,
never stored, so no rewrite can leave a stale one behind.

Buffers.  A variable may share its buffer with another: a DimShuffle output
is a *view* of its input (view_map), an in-place output is its input's buffer
rewritten (destroy_map).  Following those links up from a variable gives the
variable that owns the buffer, its *root*; the root and every alias below it
form one buffer.  A destroyer's own results (and their views) hold the new
contents: their readers come after it, through the data edges.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from minitheano.graph.basic import Apply, Variable

if TYPE_CHECKING:
    from minitheano.graph.fg import FunctionGraph

# For each variable, the variables that share its buffer directly (views, in-place results).
Aliases = Mapping[Variable, Iterable[Variable]]


def aliased_input(node: Apply, k: int) -> int | None:
    """The input whose buffer output k of `node` shares (view or in-place), or None."""
    op = node.op
    inputs = op.view_map.get(k) or op.destroy_map.get(k)
    return inputs[0] if inputs else None


def alias_root(var: Variable) -> Variable:
    """The variable owning `var`'s buffer: follow view_map and destroy_map up."""
    while var.owner is not None:
        i = aliased_input(var.owner, var.index)
        if i is None:
            break
        var = var.owner.inputs[i]
    return var


def alias_children(fgraph: FunctionGraph) -> dict[Variable, list[Variable]]:
    """The aliases of the whole graph: for each variable, its views and in-place results."""
    children: dict[Variable, list[Variable]] = {}
    for node in fgraph.apply_nodes:
        for k, out in enumerate(node.outputs):
            i = aliased_input(node, k)
            if i is not None:
                children.setdefault(node.inputs[i], []).append(out)
    return children


def old_contents_readers(fgraph: FunctionGraph, aliases: Aliases, node: Apply,
                         i: int) -> list[Apply | str]:
    """Whatever reads the contents that `node` overwrites in input i's buffer, `node`
    aside: the readers of every variable sharing the buffer, except `node`'s own
    results and their views (which hold the new contents).  "output" if a variable
    of the buffer is an output of the function."""
    readers: list[Apply | str] = []
    todo = [alias_root(node.inputs[i])]
    while todo:
        v = todo.pop()
        readers.extend(reader for reader, _ in fgraph.clients.get(v, ())
                       if reader is not node)
        todo.extend(a for a in aliases.get(v, ()) if a.owner is not node)
    return readers


def prerequisites(fgraph: FunctionGraph, aliases: Aliases, node: Apply) -> set[Apply]:
    """The nodes that must run before `node` because it overwrites what they read
    (none unless `node` has a destroy_map)."""
    first: set[Apply] = set()
    for inputs in node.op.destroy_map.values():
        first.update(r for r in old_contents_readers(fgraph, aliases, node, inputs[0])
                     if r != "output")
    return first


def destroy_orderings(fgraph: FunctionGraph) -> dict[Apply, set[Apply]]:
    """For each node that overwrites an input, the nodes that must run before it
    (ancestors included: for them it changes nothing).  {} when no node does."""
    destroyers = [node for node in fgraph.apply_nodes if node.op.destroy_map]
    if not destroyers:
        return {}
    aliases = alias_children(fgraph)
    return {node: prerequisites(fgraph, aliases, node) for node in destroyers}


def depends_on(nodes: Iterable[Apply], node: Apply, fgraph: FunctionGraph,
               aliases: Aliases, position: Mapping[Apply, float]) -> bool:
    """Must one of `nodes` run after `node`: does it read, directly or not, what
    `node` computes, or wait for it through the orderings of the graph's destroyers?

    `position` places the nodes in an order that runs every node after what it
    reads and after its prerequisites: a node placed before `node` cannot depend
    on it, so the walk up stops there."""
    floor = position.get(node)
    todo, seen = list(nodes), set()
    while todo:
        n = todo.pop()
        if n is node:
            return True
        if n in seen or (floor is not None and position.get(n, floor) < floor):
            continue
        seen.add(n)
        todo.extend(v.owner for v in n.inputs if v.owner is not None)
        if n.op.destroy_map:
            todo.extend(prerequisites(fgraph, aliases, n))
    return False


def toposort_with(outputs: Iterable[Variable], stop_at: Iterable[Variable],
                  before: Mapping[Apply, Iterable[Apply]]) -> list[Apply]:
    """Chapter 1's depth-first toposort, where a node also waits for the nodes
    `before[node]`.  Raises ValueError naming a node on a cycle, if there is one."""
    stop = set(stop_at)
    order: list[Apply] = []
    done: set[Apply] = set()
    active: set[Apply] = set()  # on the stack: met again before it is done, a cycle

    def needs(node: Apply) -> list[Apply]:  # the last is visited first: reversed
        found = [v.owner for v in node.inputs if v.owner is not None and v not in stop]
        found += [n for n in before.get(node, ()) if n is not node]
        return found[::-1]

    for out in outputs:
        if out.owner is None or out in stop or out.owner in done:
            continue
        stack = [(out.owner, needs(out.owner))]
        active.add(out.owner)
        while stack:
            node, waiting = stack[-1]
            while waiting and waiting[-1] in done:
                waiting.pop()
            if not waiting:
                stack.pop()
                active.discard(node)
                done.add(node)
                order.append(node)
                continue
            nxt = waiting.pop()
            if nxt in active:
                raise ValueError(f"the orderings of in-place nodes make a cycle through {nxt}")
            active.add(nxt)
            stack.append((nxt, needs(nxt)))
    return order
