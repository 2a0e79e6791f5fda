"""In-place: let an elementwise op write its result into an input's buffer (chapter 3).

In `tanh(dot(x, W) + b)` the product `dot(x, W)` is a fresh array that only
the fused `tanh(i0 + i1)` reads.  Writing the result into that array instead
of a new one saves an allocation and keeps the cache warm.  It is only safe
when nothing else will read the old contents, which is what the
`AliasTracker` keeps track of.

Buffers.  A variable may share its buffer with another: a DimShuffle output
is a *view* of its input (view_map), an in-place output is its input's buffer
rewritten (destroy_map).  Following those links up gives the variable that
owns the buffer, its *root*; the root and every view of it form one buffer.

An elementwise node may overwrite input i (and become Elemwise{..., inplace})
only when that buffer is

* not protected: not a function input (unless In(mutable=True)), not a
  shared value, not a constant (fgraph.protected, Constant);
* not an output of the function, directly or through a view (the caller
  would see it change);
* read by no node that must run after this one: every other reader of the
  buffer, through any view, must be able to run *before* it.  The readers it
  depends on do (they are its ancestors).  One it does not depend on, such as
  the backward `dot(g, W.T)` beside W's update, is made to: the graph carries
  that *ordering* (graph/destroy.py), which `FunctionGraph.toposort`, and so
  every linker, respects.  A reader that depends on this node's result while
  reading the old contents cannot run before it (the ordering would make a
  cycle): then the buffer is not overwritten.

The lazy VM of chapter 7 runs a branch's nodes only when the branch is taken,
whenever that is, so it cannot promise an ordering: in a graph with a lazy op
every other reader must be an ancestor.
"""

from __future__ import annotations

from minitheano.graph.basic import Apply, Constant, Variable
from minitheano.graph.destroy import aliased_input, depends_on
from minitheano.graph.fg import Feature, FunctionGraph
from minitheano.rewrite.engine import GlobalRewrite
from minitheano.tensor.elemwise import Elemwise


class AliasTracker(Feature):
    """For each variable, the variables that share its buffer directly (its views
    and in-place results), kept up to date as the graph changes."""

    def on_attach(self, fgraph: FunctionGraph) -> None:
        self.fgraph = fgraph
        self.lazy = any(getattr(n.op, "lazy", False) for n in fgraph.apply_nodes)
        self.aliases: dict[Variable, set[Variable]] = {}
        self.place_nodes()
        for node in fgraph.toposort():
            self.on_import(fgraph, node, "attach")

    def place_nodes(self) -> None:
        """Number the nodes in the order `toposort` runs them (orderings included):
        what a node depends on is placed before it (graph/destroy.py depends_on)."""
        self.position = {n: float(k) for k, n in enumerate(self.fgraph.toposort())}
        self.misplaced = False

    def on_import(self, fgraph, node, reason):
        # A new node goes just after the latest of its inputs, so before its readers;
        # one replacing another then takes its place (on_change_input).
        self.position.setdefault(node, max(
            (self.position.get(v.owner, -1.0) for v in node.inputs), default=-1.0) + 0.5)
        for k, out in enumerate(node.outputs):
            i = aliased_input(node, k)
            if i is not None:
                self.aliases.setdefault(node.inputs[i], set()).add(out)

    def on_prune(self, fgraph, node, reason):
        for k, out in enumerate(node.outputs):
            i = aliased_input(node, k)
            if i is not None:
                self.aliases.get(node.inputs[i], set()).discard(out)

    def on_change_input(self, fgraph, node, i, old, new, reason):
        if new.owner is not None and old.owner in self.position:
            # The readers of `old` now read `new`: its node can run where old's did,
            # which is still before them.  (If it must also wait for a reader placed
            # later, `can_run_before` has the nodes numbered again before the next use.)
            self.position[new.owner] = max(self.position.get(new.owner, -1.0),
                                           self.position[old.owner])
        if node == "output":
            return
        for k, out in enumerate(node.outputs):
            if aliased_input(node, k) == i:
                self.aliases.get(old, set()).discard(out)
                self.aliases.setdefault(new, set()).add(out)

    def root(self, var: Variable) -> tuple[Variable, list[Apply]]:
        """The variable owning `var`'s buffer, and the nodes on the way up to it."""
        path = []
        while var.owner is not None:
            i = aliased_input(var.owner, var.index)
            if i is None:
                break
            path.append(var.owner)
            var = var.owner.inputs[i]
        return var, path

    def buffer(self, root: Variable) -> list[Variable]:
        """Every variable sharing the buffer of `root`: root, its views, theirs..."""
        found, stack = [], [root]
        while stack:
            v = stack.pop()
            found.append(v)
            stack.extend(self.aliases.get(v, ()))
        return found

    def can_destroy(self, node: Apply, i: int, dying: Variable | None = None) -> bool:
        """May `node` overwrite the buffer of its input i?  `dying` is a protected
        variable that may be overwritten all the same: a shared variable whose old
        value dies at the end of the call, `node` computing its update (rewrite/blas.py)."""
        # --8<-- [start:ex-ch03-can-destroy]
        fg = self.fgraph
        root, _ = self.root(node.inputs[i])
        if isinstance(root, Constant) or (root in fg.protected and root is not dying):
            return False
        first = set()  # the other readers: they must run before `node`
        for v in self.buffer(root):
            for reader, _ in fg.clients.get(v, ()):
                if reader == "output":
                    return False
                if reader is node and v is not node.inputs[i]:
                    return False  # x + x.T into x: would read what it overwrites
                if reader is not node:
                    first.add(reader)
        return self.can_run_before(first, node)
        # --8<-- [end:ex-ch03-can-destroy]

    def can_run_before(self, first: set[Apply], node: Apply) -> bool:
        """Can every node of `first` run before `node`?  Its ancestors do; any other
        must not depend on it, through the data or the orderings of the nodes
        already in place."""
        if not first:
            return True
        others = first - ancestors(self.fgraph, node, first)
        if not others:
            return True
        if self.lazy:  # no orderings: each must be an ancestor
            return False
        if self.misplaced:
            self.place_nodes()
        if depends_on(others, node, self.fgraph, self.aliases, self.position):
            return False
        # Its in-place version takes its place (on_change_input): after all of them?
        place = self.position.get(node, -1.0)
        self.misplaced |= any(self.position.get(r, place) >= place for r in others)
        return True


def ancestors(fgraph: FunctionGraph, node: Apply, among: set[Apply]) -> set[Apply]:
    """The nodes of `among` that `node` depends on through the data.  (A node ranks
    above the nodes it reads: the walk stops below the lowest rank of `among`.)"""
    floor = min(fgraph.rank(n.outputs[0]) for n in among)
    found, todo, seen = set(), [node], set()
    while todo:
        n = todo.pop()
        for v in n.inputs:
            owner = v.owner
            if owner is not None and owner not in seen and fgraph.rank(v) >= floor:
                seen.add(owner)
                todo.append(owner)
                if owner in among:
                    found.add(owner)
    return found


def make_inplace(fgraph: FunctionGraph) -> int:
    """Turn elementwise nodes into their in-place versions where the AliasTracker
    allows it; safe by the rule in this module's doc."""
    tracker = AliasTracker()
    fgraph.attach_feature(tracker)
    count = 0
    try:
        for node in fgraph.toposort():
            op = node.op
            if node in fgraph.apply_nodes and _increment_inplace(fgraph, tracker, node):
                count += 1
                continue
            if (node not in fgraph.apply_nodes or not isinstance(op, Elemwise)
                    or op.inplace_pattern):
                continue
            pattern: dict[int, int] = {}
            # An input that nothing else reads first: overwriting it needs no ordering.
            candidates = sorted(range(len(node.inputs)),
                                key=lambda i: len(fgraph.clients[node.inputs[i]]))
            for k, out in enumerate(node.outputs):
                for i in candidates:
                    if (i not in pattern.values() and node.inputs[i].type == out.type
                            and tracker.can_destroy(node, i)):
                        pattern[k] = i
                        break
            if not pattern:
                continue
            new_node = Elemwise(op.scalar_op, pattern, op.name).make_node(*node.inputs)
            for old, new in zip(node.outputs, new_node.outputs):
                fgraph.replace(old, new, reason="inplace")
            count += 1
    finally:
        fgraph.features.remove(tracker)
    return count


def _increment_inplace(fgraph: FunctionGraph, tracker: AliasTracker, node: Apply) -> bool:
    """x[idx] += y (or = y) into x itself, by the same rule; True if it now does.
    (A gradient of slices adds into one array in turn: rewrite/increments.py.)"""
    from minitheano.tensor.subtensor import IncSubtensor

    op = node.op
    if type(op) is not IncSubtensor or op.inplace or not tracker.can_destroy(node, 0):
        return False
    new = IncSubtensor(op.idx_list, inplace=True, set_instead_of_inc=op.set_instead_of_inc)
    fgraph.replace(node.outputs[0], new.make_node(*node.inputs).outputs[0], reason="inplace")
    return True


inplace_rewrite = GlobalRewrite(make_inplace, "inplace")
