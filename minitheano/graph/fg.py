"""FunctionGraph: a graph being compiled, with the bookkeeping rewrites need (chapters 2-3).

`function` copies the user's graph into a FunctionGraph, so compiling never
changes what the user built.  The FunctionGraph knows, for each Variable, its
*clients* (which nodes read it), so a rewrite can ask "who uses x?" and
`replace(x, y)` can redirect every use of x to y in one call.  Unused nodes
are dropped as soon as nothing reads them.

Features (listeners) are told of every change: the in-place tracker of
chapter 3 uses that to keep its alias bookkeeping up to date, and the history
records each replacement with its reason for the book's "what happened" view.
`toposort` also orders the readers of a buffer before the node that overwrites
it (graph/destroy.py, chapter 3).

A change that would leave the graph inconsistent raises `InconsistencyError`
(Theano 1.0's `theano.gof.InconsistencyError`): `replace` refuses to make a
cycle, and `replace_validate` asks every feature's `validate` afterwards and
undoes the replacement if one of them objects.  The rewrite engine replaces
through `replace_validate`, so a rewrite a feature rejects is rolled back and
skipped, as Theano's optimizers did.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minitheano.graph.basic import Apply, Constant, Variable, clone_get_equiv, toposort
from minitheano.graph.destroy import destroy_orderings, toposort_with

# A client is (node, input index), or ("output", i) for the graph's i-th output.
Client = tuple[Any, int]


class Feature:
    """Something that listens to a FunctionGraph's changes. Override what you need."""

    def on_attach(self, fgraph: FunctionGraph) -> None: ...
    def on_import(self, fgraph: FunctionGraph, node: Apply, reason: str) -> None: ...
    def on_prune(self, fgraph: FunctionGraph, node: Apply, reason: str) -> None: ...

    def on_change_input(self, fgraph: FunctionGraph, node: Any, i: int,
                        old: Variable, new: Variable, reason: str) -> None: ...

    def validate(self, fgraph: FunctionGraph) -> None:
        """Raise InconsistencyError if the graph, as it now is, is not acceptable."""


class InconsistencyError(Exception):
    """A change to a FunctionGraph would leave it inconsistent: `replace` making a
    cycle, or a feature's `validate` rejecting the graph after a replacement."""


class _ChangeLog(Feature):
    """Every input change, in order, so `replace_validate` can undo them."""

    def __init__(self) -> None:
        self.changes: list[tuple[Any, int, Variable]] = []

    def on_change_input(self, fgraph, node, i, old, new, reason):
        self.changes.append((node, i, old))


class FunctionGraph:
    """The graph from `inputs` to `outputs`, with clients, replace and features."""

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
                 clone: bool = True) -> None:
        inputs, outputs = list(inputs), list(outputs)
        if clone:
            equiv = clone_get_equiv(inputs, outputs)
            inputs = [equiv[v] for v in inputs]
            outputs = [equiv[v] for v in outputs]
            self.equiv: dict[Variable, Variable] | None = equiv
        else:
            self.equiv = None
        self.inputs: list[Variable] = []
        self.outputs: list[Variable] = list(outputs)
        self.apply_nodes: set[Apply] = set()
        self.variables: set[Variable] = set()
        self.clients: dict[Variable, list[Client]] = {}
        self.features: list[Feature] = []
        # Variables whose buffers no rewrite may overwrite: the function's inputs
        # (unless declared mutable) and shared values.  Set by `function`.
        self.protected: set[Variable] = set()
        self.history: list[tuple[str, Variable, Variable]] = []
        self._order: list[Apply] | None = None
        # A rank per node, larger than the ranks of the nodes it reads (not the depth:
        # only kept that large).  Whatever reads x ranks above x's node.
        self._rank: dict[Apply, int] = {}
        for v in inputs:
            if v.owner is not None:
                raise ValueError(f"input {v} of a FunctionGraph must not be computed by a node")
            if v in self.variables:
                raise ValueError(f"input {v} is given twice")
            self._add_variable(v)
            self.inputs.append(v)
        for i, out in enumerate(self.outputs):
            self._import_variable(out, "init")
            self.clients[out].append(("output", i))

    # -- building -------------------------------------------------------------
    def _add_variable(self, v: Variable) -> None:
        if v not in self.variables:
            self.variables.add(v)
            self.clients[v] = []

    def _import_variable(self, var: Variable, reason: str) -> None:
        """Add `var` and every node it needs that is not in the graph yet."""
        if var in self.variables:
            return
        if var.owner is None:
            if not isinstance(var, Constant):
                raise MissingInputError(var)
            self._add_variable(var)
            return
        for node in toposort([var], stop_at=self.variables):
            if node in self.apply_nodes:
                continue
            for v in node.inputs:
                if v not in self.variables:
                    if v.owner is None and not isinstance(v, Constant):
                        raise MissingInputError(v)
                    self._add_variable(v)
            self.apply_nodes.add(node)
            self._rank[node] = 1 + max(map(self.rank, node.inputs), default=0)
            for v in node.outputs:
                self._add_variable(v)
            for i, v in enumerate(node.inputs):
                self.clients[v].append((node, i))
            self._order = None
            for f in self.features:
                f.on_import(self, node, reason)

    def _prune(self, var: Variable, reason: str) -> None:
        """Drop the node computing `var` (and what only it used) if nothing reads it."""
        stack = [var]
        while stack:
            v = stack.pop()
            node = v.owner
            if node is None or node not in self.apply_nodes:
                if v.owner is None and not self.clients.get(v) and v not in self.inputs:
                    self.variables.discard(v)
                    self.clients.pop(v, None)
                continue
            if any(self.clients[out] for out in node.outputs):
                continue
            self.apply_nodes.remove(node)
            del self._rank[node]
            self._order = None
            for out in node.outputs:
                self.variables.discard(out)
                del self.clients[out]
            for f in self.features:
                f.on_prune(self, node, reason)
            for i, inp in enumerate(node.inputs):
                self.clients[inp].remove((node, i))
                stack.append(inp)

    # -- changing -------------------------------------------------------------
    def change_input(self, node: Any, i: int, new: Variable, reason: str = "") -> None:
        """Make input `i` of `node` (or output `i` if node is "output") be `new`."""
        if node == "output":
            old = self.outputs[i]
            self.outputs[i] = new
        else:
            old = node.inputs[i]
            node.inputs[i] = new
        if old is new:
            return
        self._import_variable(new, reason)
        if node != "output":
            self._raise_rank(node, self.rank(new))
        self.clients[new].append((node, i))
        self.clients[old].remove((node, i))
        self._order = None
        for f in self.features:
            f.on_change_input(self, node, i, old, new, reason)
        self._prune(old, reason)

    def replace(self, old: Variable, new: Variable, reason: str = "") -> None:
        """Make every reader of `old` read `new` instead.

        `new` must have the type of `old` (or be convertible to it without a
        computation): a rewrite that changes a type is a bug, caught here.
        """
        if old not in self.variables:
            raise ValueError(f"replace: {old} is not in this graph")
        if new.type != old.type:
            converted = old.type.convert_variable(new)
            if converted is None:
                by = f" (by {reason})" if reason else ""
                raise TypeError(f"cannot replace {old} of type {old.type} with {new} of type "
                                f"{new.type}{by}: the types differ")
            new = converted
        if old is new:
            return
        self._check_no_cycle(old, new, reason)
        # Nodes a rewrite just built have no user line of their own (graph/trace.py):
        # give them the line that built what they replace, for error messages
        # (unless the rewrite gave them one: work moved out of a loop's body
        # keeps the line of the step function that built it, chapter 9).
        todo, seen = [new], set()
        while todo:
            node = todo.pop().owner
            if node is None or node in seen or node in self.apply_nodes:
                continue
            seen.add(node)
            for out in node.outputs:
                if out.trace is None:
                    out.trace = old.trace
            todo.extend(node.inputs)
        self.history.append((reason, old, new))
        for node, i in list(self.clients[old]):
            self.change_input(node, i, new, reason)

    def rank(self, var: Variable) -> int:
        """The rank of the node computing `var` (0 for an input or a constant)."""
        return self._rank.get(var.owner, 0)

    def _raise_rank(self, node: Apply, below: int) -> None:
        """`node` now reads a variable of rank `below`: raise its rank, and its readers'."""
        todo = [(node, below)]
        while todo:
            node, below = todo.pop()
            if self._rank[node] > below:
                continue
            self._rank[node] = below + 1
            todo.extend((reader, below + 1) for out in node.outputs
                        for reader, _ in self.clients[out] if reader != "output")

    def _check_no_cycle(self, old: Variable, new: Variable, reason: str) -> None:
        """Raise InconsistencyError if `new` is computed from a reader of `old`.

        After the replacement every reader of `old` reads `new`: if `new` is computed
        from one of them, the graph has a cycle (and a toposort would never end).  So
        walk up from `new`, looking for a node of the graph that reads `old`.  Readers of
        `old` rank above `old`'s node: the walk never climbs past a node that does not,
        so it ends within a few steps, however deep the graph.
        """
        floor = self.rank(old)
        todo, seen = [new], {new}
        while todo:
            v = todo.pop()
            node = v.owner
            if node is None or (node in self.apply_nodes and self._rank[node] <= floor):
                continue
            if node in self.apply_nodes and any(inp is old for inp in node.inputs):
                by = f" (by {reason})" if reason else ""
                via = "" if v is new else f" through {v}"
                raise InconsistencyError(
                    f"replacing {old} with {new}{by} would make a cycle: {new} is computed "
                    f"from {old}{via}, whose node {node} would then read {new}")
            for inp in node.inputs:
                if inp not in seen:
                    seen.add(inp)
                    todo.append(inp)

    def replace_all(self, pairs: Sequence[tuple[Variable, Variable]], reason: str = "") -> None:
        for old, new in pairs:
            if old in self.variables:
                self.replace(old, new, reason)

    def validate(self) -> None:
        """Ask every feature whether the graph is acceptable (InconsistencyError if not)."""
        for feature in self.features:
            feature.validate(self)

    def replace_validate(self, pairs: Sequence[tuple[Variable, Variable]],
                         reason: str = "") -> None:
        """`replace_all`, then `validate`; on InconsistencyError the graph is put back
        as it was before the call, and the error raised (Theano's replace_all_validate)."""
        log, history_length = _ChangeLog(), len(self.history)
        self.features.append(log)
        try:
            self.replace_all(pairs, reason)
            self.validate()
        except InconsistencyError:
            self.features.remove(log)
            for node, i, old in reversed(log.changes):
                self.change_input(node, i, old, reason=f"revert {reason}".strip())
            del self.history[history_length:]
            raise
        else:
            self.features.remove(log)

    def attach_feature(self, feature: Feature) -> None:
        self.features.append(feature)
        feature.on_attach(self)

    # -- reading --------------------------------------------------------------
    def toposort(self) -> list[Apply]:
        """The nodes in an order where each comes after the nodes it reads, and a
        node that overwrites a buffer after the other readers of its old contents
        (the orderings of graph/destroy.py)."""
        if self._order is None:
            before = destroy_orderings(self)
            if not before:
                self._order = toposort(self.outputs, stop_at=self.inputs)
            else:
                try:
                    self._order = toposort_with(self.outputs, self.inputs, before)
                except ValueError as e:
                    raise InconsistencyError(str(e)) from None
        return list(self._order)

    def __str__(self) -> str:
        return f"FunctionGraph({', '.join(map(str, self.outputs))})"

    def clone(self) -> FunctionGraph:
        """An independent copy (new Variables and nodes, same ops)."""
        return FunctionGraph(self.inputs, self.outputs, clone=True)


class MissingInputError(ValueError):
    """An output depends on an input variable that was not given."""

    def __init__(self, var: Variable) -> None:
        where = f", created at {var.trace.describe()}" if var.trace else ""
        super().__init__(f"the outputs need the value of {var} ({var.type}{where}), which is "
                         f"not among the function's inputs; add it to the inputs, or give its "
                         f"value with givens")
        self.variable = var
