"""The rewrite engine: local rewrites, pattern tables, and the equilibrium driver (chapter 3).

A *local rewrite* looks at one node and either says nothing (None) or offers
replacements for its outputs:

    @register("canonicalize", smath.Neg)
    def neg_neg(fgraph, node):
        "--x -> x: negation is its own inverse, exactly, for every dtype."
        inner = node.inputs[0].owner
        if inner is not None and is_elemwise(inner, smath.Neg):
            return [inner.inputs[0]]

Rewrites are registered under a *phase* (canonicalize, stabilize, specialize)
and indexed by the op they look at (an Op class, or for elementwise nodes the
scalar op class), so the driver only asks a node the rewrites that concern it.

The *equilibrium driver* (`equilibrium`) applies a phase's rewrites until none
applies: it starts from every node, and after each replacement it revisits the
new nodes and the readers of what changed.  It is bounded; a rewrite set that
never settles (two rewrites undoing each other) is stopped with an error that
names the rewrites that kept firing.

Every replacement is checked before it is made: same type as what it replaces
(FunctionGraph.replace), and a shape that cannot be proven different
(shape.py).  A wrong rewrite is reported with its name and the node it broke.
A replacement the graph itself refuses (InconsistencyError: it would make a
cycle, or a feature's `validate` objects) is rolled back and the rewrite
skipped for that node, as Theano's optimizers did; the record counts it.

A rewrite that raises NotImplementedError is not written yet (an exercise
you blanked): it is skipped, and the graph is compiled without it, correct
but less simplified; the record of the compilation lists it.  Any other
error is a bug and stops the compilation.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from typing import Any

from minitheano.config import config
from minitheano.graph.basic import Apply, Variable
from minitheano.graph.fg import Feature, FunctionGraph, InconsistencyError
from minitheano.tensor.elemwise import Elemwise

# A local rewrite returns None (no change), a list with one new Variable per
# output of the node, or a dict {old output: new Variable}.
Replacement = Sequence[Variable] | dict[Variable, Variable] | None


class RewriteError(Exception):
    """A rewrite produced something that cannot replace what it rewrote."""


class RewriteLoopError(RewriteError):
    """A set of rewrites did not reach a fixed point."""


class LocalRewrite:
    """A named function (fgraph, node) -> replacements, and the ops it looks at."""

    def __init__(self, fn: Callable[[FunctionGraph, Apply], Replacement], phase: str | tuple,
                 tracks: Sequence[type] | None, name: str | None = None,
                 grows: str | None = None) -> None:
        self.fn = fn
        self.phases = (phase,) if isinstance(phase, str) else tuple(phase)
        # None: look at every node (constant folding).
        self.tracks = tuple(tracks) if tracks is not None else None
        self.name = name or fn.__name__
        self.doc = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""
        # Why this rewrite may make the graph larger (stability), or None.
        self.grows = grows

    def __call__(self, fgraph: FunctionGraph, node: Apply) -> Replacement:
        return self.fn(fgraph, node)

    def __repr__(self) -> str:
        return f"<rewrite {self.name} ({', '.join(self.phases)})>"


class GlobalRewrite:
    """A named function over the whole graph (merge, fusion, in-place); returns a count."""

    def __init__(self, fn: Callable[[FunctionGraph], int], name: str) -> None:
        self.fn = fn
        self.name = name
        self.doc = (fn.__doc__ or "").strip().splitlines()[0] if fn.__doc__ else ""

    def __call__(self, fgraph: FunctionGraph) -> int:
        return self.fn(fgraph)


# Every local rewrite, by name, and the names a Mode may exclude.
LOCAL_REWRITES: dict[str, LocalRewrite] = {}
# Names that switch a behaviour of a rewrite rather than a whole rewrite;
# `Mode.excluding('cancel_div')` forbids x * y / x -> y (see canonicalize.py).
SWITCHES: dict[str, str] = {}


def register(phase: str | tuple[str, ...], *tracks: type, name: str | None = None,
             grows: str | None = None) -> Callable:
    """Decorator: make `fn(fgraph, node)` a local rewrite of `phase` (or phases), run on
    nodes whose op (or elementwise scalar op) is an instance of one of `tracks`
    (every node if none is given)."""
    def decorate(fn: Callable) -> LocalRewrite:
        rewrite = LocalRewrite(fn, phase, tracks or None, name, grows)
        if rewrite.name in LOCAL_REWRITES:
            raise ValueError(f"a rewrite named {rewrite.name!r} is already registered")
        LOCAL_REWRITES[rewrite.name] = rewrite
        return rewrite
    return decorate


def is_elemwise(node: Apply | None, scalar_class: type | tuple) -> bool:
    """Is `node` an Elemwise applying a scalar op of class `scalar_class`?"""
    return (node is not None and isinstance(node.op, Elemwise)
            and isinstance(node.op.scalar_op, scalar_class))


class RewriteIndex:
    """The rewrites of one phase, found by the op of a node in one dict lookup."""

    def __init__(self, rewrites: Sequence[LocalRewrite]) -> None:
        self.rewrites = list(rewrites)
        self._by_class: dict[type, list[LocalRewrite]] = {}

    def for_node(self, node: Apply) -> list[LocalRewrite]:
        op = node.op
        scalar = type(op.scalar_op) if isinstance(op, Elemwise) else None
        key = (type(op), scalar)
        found = self._by_class.get(key)
        if found is None:
            found = [r for r in self.rewrites if r.tracks is None or any(
                issubclass(type(op), t) or (scalar is not None and issubclass(scalar, t))
                for t in r.tracks)]
            self._by_class[key] = found
        return found


class RewriteRecord:
    """Which rewrites fired, how often, and the time spent in each phase."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.phase_times: dict[str, float] = {}
        self.nodes_before = 0
        self.nodes_after = 0
        self.unfinished: dict[str, str] = {}  # rewrites not written yet: why
        self.rejected: Counter[str] = Counter()  # replacements the graph refused, rolled back

    def __str__(self) -> str:
        lines = [f"rewrites: {self.nodes_before} nodes -> {self.nodes_after} nodes"]
        for phase, seconds in self.phase_times.items():
            lines.append(f"  phase {phase:<13} {seconds * 1e3:8.2f} ms")
        for name, count in sorted(self.counts.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {count:5d}  {name}")
        for name, why in self.unfinished.items():
            lines.append(f"  skipped {name}: {why}")
        for name, count in sorted(self.rejected.items()):
            lines.append(f"  rejected {count}x (rolled back): {name}")
        return "\n".join(lines)


class _Changes(Feature):
    """Collects the nodes a replacement creates or touches, for the driver to revisit."""

    def __init__(self) -> None:
        self.touched: list[Apply] = []

    def on_import(self, fgraph, node, reason):
        self.touched.append(node)

    def on_change_input(self, fgraph, node, i, old, new, reason):
        if node != "output":
            self.touched.append(node)


def check_replacement(fgraph: FunctionGraph, rewrite_name: str, node: Apply,
                      replacement: Replacement) -> list[tuple[Variable, Variable]]:
    """The (old, new) pairs of a rewrite's answer, or a RewriteError saying what is wrong."""
    if isinstance(replacement, dict):
        pairs = list(replacement.items())
    else:
        replacement = list(replacement)
        if len(replacement) != len(node.outputs):
            raise RewriteError(f"rewrite {rewrite_name} returned {len(replacement)} "
                               f"replacements for {node}, which has {len(node.outputs)} outputs")
        pairs = list(zip(node.outputs, replacement))
    result = []
    for old, new in pairs:
        if not isinstance(new, Variable):
            raise RewriteError(f"rewrite {rewrite_name} returned {new!r} for {old} in {node}; "
                               f"expected a Variable")
        if new.type != old.type:
            converted = old.type.convert_variable(new)
            if converted is None:
                raise RewriteError(
                    f"rewrite {rewrite_name} replaced {old} (type {old.type}) computed by "
                    f"{node} with {new} of type {new.type}: a rewrite must keep the type")
            new = converted
        shapes = getattr(fgraph, "shape_feature", None)
        if shapes is not None:
            why = shapes.shapes_differ(old, new)
            if why:
                raise RewriteError(f"rewrite {rewrite_name} replaced {old} computed by {node} "
                                   f"with {new} of another shape: {why}")
        result.append((old, new))
    return result


def apply_replacement(fgraph: FunctionGraph, rewrite_name: str, node: Apply,
                      replacement: Replacement) -> bool:
    """Check and make a rewrite's replacement; False if it changes nothing.

    Raises InconsistencyError, with the graph as it was, if the graph refuses it."""
    pairs = [(o, n) for o, n in check_replacement(fgraph, rewrite_name, node, replacement)
             if o is not n and o in fgraph.variables]
    if not pairs:
        return False
    if config.optimizer_verbose:
        for old, new in pairs:
            print(f"rewrite {rewrite_name}: {old.owner} -> {new.owner or new}")
    # (replace_all skips an old output already gone with an earlier pair's node.)
    fgraph.replace_validate(pairs, reason=rewrite_name)
    return True


def equilibrium(fgraph: FunctionGraph, index: RewriteIndex, record: RewriteRecord,
                max_steps: int | None = None) -> int:
    """Apply the rewrites of `index` until none applies; return how many fired.

    A worklist holds the nodes to look at, first the whole graph from the
    outputs back; each replacement adds the nodes it created and the nodes
    whose inputs it changed.  So the cost is proportional to the work done,
    not to (graph size) x (number of passes).  A pattern may look several
    nodes up from where it matches, past what the worklist revisits; so when
    anything fired, one more sweep over the whole graph confirms the fixed
    point (and continues if it finds more to do).
    """
    if max_steps is None:
        max_steps = 1000 + 20 * len(fgraph.apply_nodes)
    changes = _Changes()
    fgraph.attach_feature(changes)
    steps = 0
    recent: deque[str] = deque(maxlen=50)
    try:
        # --8<-- [start:ch03-equilibrium]
        while True:
            # Outputs first: a sum or product is best seen whole, from its root.
            queue = deque(reversed(fgraph.toposort()))
            steps_before = steps
            while queue:
                node = queue.popleft()
                if node not in fgraph.apply_nodes:
                    continue
                for rewrite in index.for_node(node):
                    try:
                        replacement = rewrite(fgraph, node)
                    except NotImplementedError as e:  # not written yet: do without it
                        record.unfinished[rewrite.name] = str(e)
                        continue
                    if replacement is None:
                        continue
                    changes.touched.clear()
                    try:
                        if not apply_replacement(fgraph, rewrite.name, node, replacement):
                            continue
                    except InconsistencyError:  # refused and rolled back: try the next
                        record.rejected[rewrite.name] += 1
                        continue
                    record.counts[rewrite.name] += 1
                    steps += 1
                    recent.append(rewrite.name)
                    if steps > max_steps:
                        raise loop_error(max_steps, recent)
                    queue.extend(changes.touched)
                    break
            if steps == steps_before:  # a whole sweep changed nothing: a fixed point
                return steps
        # --8<-- [end:ch03-equilibrium]
    finally:
        fgraph.features.remove(changes)


def loop_error(max_steps: int, recent: deque[str]) -> RewriteLoopError:
    """The error for a rewrite set that kept firing: which rewrites, how often."""
    looping = ", ".join(f"{n} ({c} times)" for n, c in Counter(recent).most_common(3))
    return RewriteLoopError(
        f"the rewrites did not reach a fixed point after {max_steps} replacements; the "
        f"last {len(recent)} were by: {looping}. Those rewrites probably undo each other.")


class Step:
    """One step of a pipeline: a phase of local rewrites run to equilibrium, or a
    global rewrite.  `name` is what `Mode.excluding` refers to."""

    def __init__(self, name: str, rewrite: GlobalRewrite | None = None) -> None:
        self.name = name
        self.rewrite = rewrite

    def run(self, fgraph: FunctionGraph, record: RewriteRecord, excluded: set[str]) -> None:
        start = time.perf_counter()
        if self.rewrite is not None:
            try:
                count = self.rewrite(fgraph)
            except NotImplementedError as e:  # what it did so far is correct: keep it
                record.unfinished[self.rewrite.name] = str(e)
                count = 0
            if count:
                record.counts[self.rewrite.name] += count
        else:
            rewrites = [r for r in LOCAL_REWRITES.values()
                        if self.name in r.phases and r.name not in excluded]
            if rewrites:
                equilibrium(fgraph, RewriteIndex(rewrites), record)
        record.phase_times[self.name] = (record.phase_times.get(self.name, 0.0)
                                         + time.perf_counter() - start)


def run_steps(fgraph: FunctionGraph, steps: Sequence[Step], excluded: set[str]) -> RewriteRecord:
    """Run `steps` in order on `fgraph`; the record is also kept as `fgraph.rewrite_record`."""
    record = RewriteRecord()
    record.nodes_before = len(fgraph.apply_nodes)
    fgraph.rewrite_switches = {name for name in SWITCHES if name not in excluded}
    for step in steps:
        if step.name not in excluded:
            step.run(fgraph, record, excluded)
    record.nodes_after = len(fgraph.apply_nodes)
    fgraph.rewrite_record = record
    return record


def switch_on(fgraph: FunctionGraph, name: str) -> bool:
    """Is the behaviour `name` (a key of SWITCHES) allowed in this compilation?"""
    return name in getattr(fgraph, "rewrite_switches", SWITCHES)


def fgraph_of(f: Any) -> FunctionGraph:
    """The FunctionGraph of a compiled function (or the graph itself)."""
    return f if isinstance(f, FunctionGraph) else f.maker.fgraph
