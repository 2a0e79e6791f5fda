"""Rewrites of loops: move work out of the body, keep only what is used (chapter 7).

A Scan node holds its body as a graph, so a rewrite can look inside and
build a better loop:

* `scan_hoist_invariants`: a computation of the body that reads only
  non-sequences (`W.T`, `exp(W)`) gives the same value at every step; it is
  computed once, before the loop, and passed in as a new non-sequence.
* `scan_push_out_sequences`: a computation that reads one sequence and
  otherwise only non-sequences (`x[t] . Wx + b`) is done for all the steps
  at once, before the loop: one matrix product `X . Wx + b`, passed in as a
  new sequence.  Sums are regrouped so that their loop-free terms go out
  together.
* `scan_output_is_a_sequence`: what is left of a map whose work went out is
  the sequence itself: no loop at all.
* `scan_prune`: outputs nobody uses are not computed, and inputs the body
  no longer reads are not passed.  (A scan none of whose outputs is used
  disappears by itself: the FunctionGraph drops nodes nobody reads.)

What the loop keeps (only the last step; sums accumulated over the steps)
is in scan_memory.py.  Finally `rewrite_inner_graphs` gives every loop body
the rewrites of the function it is part of, once, at compile time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import minitheano.tensor as T
from minitheano.graph.basic import Apply, Constant, Variable, clone_replace
from minitheano.graph.fg import FunctionGraph
from minitheano.graph.trace import UserLine
from minitheano.rewrite.engine import register
from minitheano.scan.op import Scan, seq_span
from minitheano.tensor.elemwise import Elemwise
from minitheano.tensor.math import Dot


@dataclass
class TappedInput:
    """A sequence, or a state's initial value (`outer`), and the body's slot for
    each of its taps."""

    outer: Variable
    taps: list[int]
    slots: list[Variable]


@dataclass
class PlainInput:
    """A shared variable or a non-sequence (`outer`) and the body's slot for it."""

    outer: Variable
    slot: Variable


@dataclass(frozen=True)
class SequenceTap:
    """Which sequence (its position among the loop's sequences) and which tap a slot reads."""

    seq: int
    tap: int


class ScanParts:
    """A Scan node taken apart into lists that a rewrite can edit, then put back
    together with `build`.  Each group pairs outer inputs with inner slots."""

    def __init__(self, fgraph: FunctionGraph, node: Apply) -> None:
        op: Scan = node.op
        self.op, self.node, self.fgraph = op, node, fgraph
        outer, inner = op.outer_groups(node.inputs), op.inner_slots()
        self.n_steps = outer.n_steps
        self.seqs = [TappedInput(s, list(taps), slots)
                     for s, taps, slots in zip(outer.sequences, op.seq_taps, inner.sequences)]
        self.states = [TappedInput(init, list(taps), slots)
                       for init, taps, slots in zip(outer.initial, op.state_taps, inner.states)]
        self.shared = [PlainInput(sv, slot) for sv, slot in zip(outer.shared, inner.shared)]
        self.non_seqs = [PlainInput(v, slot)
                         for v, slot in zip(outer.non_sequences, inner.non_sequences)]
        outs = op.fgraph.outputs
        self.outputs = list(outs)  # states, then nit_sot, then shared
        self.keep_last = list(op.keep_last)
        self.n_nit_sot = op.n_nit_sot
        # Which outer output each inner output becomes (None: dropped).
        self.outer_outputs: list[Variable | None] = list(node.outputs)

    def n(self) -> Variable:
        """The number of steps, symbolic; made an explicit input of the loop so
        that new sequences of exactly n rows cannot change it."""
        if self.n_steps is None:
            shapes = [T.shape(seq.outer) for seq in self.seqs]
            self.n_steps = T.cast(self.op.n_steps_shape(self.node, shapes), "int64")
        return self.n_steps

    # -- inner facts ---------------------------------------------------------------
    def non_seq_slots(self) -> dict[Variable, Variable]:
        """{the body's slot: the outer non-sequence it stands for}."""
        return {v.slot: v.outer for v in self.non_seqs}

    def sequence_taps(self) -> dict[Variable, SequenceTap]:
        """{a sequence slot of the body: which sequence and tap it reads}."""
        return {slot: SequenceTap(i, k) for i, seq in enumerate(self.seqs)
                for k, slot in zip(seq.taps, seq.slots)}

    def window(self, where: SequenceTap) -> Variable:
        """The rows of a sequence that one of its taps reads over the loop."""
        seq = self.seqs[where.seq]
        return sequence_window(seq.outer, seq.taps, where.tap, self.n(), self.op.go_backwards)

    def invariant(self, var: Variable, memo: dict) -> bool:
        """Does `var` have the same value at every step (non-sequences, constants)?"""
        if var in memo:
            return memo[var]
        if var.owner is None:
            memo[var] = isinstance(var, Constant) or var in self.non_seq_slots()
        else:
            memo[var] = all(self.invariant(v, memo) for v in var.owner.inputs)
        return memo[var]

    def outer_value(self, var: Variable) -> Variable:
        """An invariant inner variable, computed outside the loop."""
        return clone_replace(var, self.non_seq_slots())

    # -- putting it back together ----------------------------------------------------
    def build(self, replace: dict[Variable, Variable] | None = None) -> dict[Variable, Variable]:
        """A new Scan node; the {old outer output: new outer output} replacements.

        `replace` substitutes inner variables (a hoisted value by its new slot).
        """
        op = self.op
        outputs = clone_replace(self.outputs, replace or {}) if replace else self.outputs
        inner = [slot for seq in self.seqs for slot in seq.slots]
        inner += [slot for state in self.states for slot in state.slots]
        inner += [v.slot for v in self.shared + self.non_seqs]
        n_states = len(self.states)
        new_op = Scan(inner, outputs, seq_taps=[seq.taps for seq in self.seqs],
                      state_taps=[state.taps for state in self.states],
                      n_nit_sot=self.n_nit_sot, n_shared=len(self.shared),
                      n_non_seqs=len(self.non_seqs), has_n_steps=self.n_steps is not None,
                      go_backwards=op.go_backwards, truncate_gradient=op.truncate_gradient,
                      keep_last=self.keep_last[:n_states + self.n_nit_sot], name=op.name,
                      mode=op.mode, step=op.step)
        outer = [] if self.n_steps is None else [self.n_steps]
        outer += [seq.outer for seq in self.seqs] + [state.outer for state in self.states]
        outer += [v.outer for v in self.shared + self.non_seqs]
        new_node = self.new_node = new_op.make_node(*outer)
        kept = [old for old in self.outer_outputs if old is not None]
        # Outputs nobody reads are left out: the old node goes as soon as the
        # used ones are replaced.
        return {old: new for old, new in zip(kept, new_node.outputs) if self.used(old)}

    def used(self, var: Variable) -> bool:
        return bool(self.fgraph.clients.get(var))

    # -- editing ---------------------------------------------------------------
    def drop_state(self, j: int) -> None:
        """Remove recurrent output j (its initial value, slots and output)."""
        del self.states[j], self.outputs[j], self.keep_last[j], self.outer_outputs[j]

    def add_nit_sot(self, var: Variable) -> int:
        """Make the inner `var` an output that is not fed back (all steps kept);
        its position among the outputs (an existing one is reused)."""
        first = len(self.states)
        for j in range(first, first + self.n_nit_sot):
            if self.outputs[j] is var and not self.keep_last[j]:
                return j
        j = first + self.n_nit_sot
        self.outputs.insert(j, var)
        self.keep_last.insert(j, False)
        self.outer_outputs.insert(j, None)
        self.n_nit_sot += 1
        return j


# ---------------------------------------------------------------------------
# Hoisting what does not change from step to step
# ---------------------------------------------------------------------------

@register("specialize", Scan, grows="the hoisted work moves out of the loop, as new inputs")
def scan_hoist_invariants(fgraph: FunctionGraph, node: Apply) -> dict | None:
    """A body computation that reads only non-sequences is done once, before the loop."""
    if node.op.until:
        return None  # a while loop: its number of steps is known only when it runs
    parts = ScanParts(fgraph, node)
    memo: dict[Variable, bool] = {}
    boundary = []
    for inner_node in parts.op.fgraph.toposort():
        if parts.invariant(inner_node.outputs[0], memo):
            continue
        if getattr(inner_node.op, "lazy", False):
            continue  # an ifelse's branches are computed only when taken: leave them
        for v in inner_node.inputs:
            if v.owner is not None and parts.invariant(v, memo) and v not in boundary:
                boundary.append(v)
    for out in parts.outputs:
        if out.owner is not None and parts.invariant(out, memo) and out not in boundary:
            boundary.append(out)
    if not boundary:
        return None
    replace = {}
    for v in boundary:
        slot = v.type(name=v.name)
        parts.non_seqs.append(PlainInput(parts.outer_value(v), slot))
        replace[v] = slot
    return parts.build(replace)


def sequence_window(seq: Variable, taps: list[int], k: int, n: Variable,
                    backwards: bool) -> Variable:
    """The n rows of `seq` that tap k reads, in the order the loop reads them
    when it runs forwards (step t reads row t); going backwards the loop reads
    the same rows from the end, which an n-row window keeps right."""
    # --8<-- [start:ex-ch07-push-out-window]
    first = -min(min(taps), 0)
    start = k + first  # the row step 0 reads, going forwards
    # (The offsets are added only when not 0: this runs after canonicalize,
    # which would have removed an `n + 0`.)
    if not backwards:
        return seq[start:start + n] if start else seq[:n]
    end = seq.shape[0]  # one past the row step 0 reads
    if start != seq_span(taps):
        end = end + (start - seq_span(taps))
    return seq[end - n:end]
    # --8<-- [end:ex-ch07-push-out-window]


@register("specialize", Scan, grows="one operation over all steps replaces one per step")
def scan_push_out_sequences(fgraph: FunctionGraph, node: Apply) -> dict | None:
    """`x[t] . W` (or an elementwise function of x[t] and non-sequences) for every
    t at once, before the loop: one matrix product over the whole sequence."""
    if node.op.until:
        return None  # a while loop: its number of steps is known only when it runs
    parts = ScanParts(fgraph, node)
    memo: dict[Variable, bool] = {}
    slot_of = parts.sequence_taps()
    for inner_node in parts.op.fgraph.toposort():
        found = _pushable(parts, inner_node, slot_of, memo)
        if found is None:
            found = _regroup_sum(parts, inner_node, slot_of, memo)
        if found is None:
            continue
        new_seq = found.outer(parts.window(found.where))
        _keep_user_line(new_seq, inner_node.outputs[0].trace, parts.op.step)
        name = parts.seqs[found.where.seq].outer.name
        slot = T.TensorType(new_seq.dtype, new_seq.broadcastable[1:])(
            name=None if name is None or found.rest else f"{name}_pushed[t]")
        parts.seqs.append(TappedInput(new_seq, [0], [slot]))
        # A sum split in two: the loop-free part went out, the rest stays.
        new_value = T.add(slot, *found.rest) if found.rest else slot
        return parts.build({inner_node.outputs[0]: new_value})
    return None


def _keep_user_line(var: Variable, trace: UserLine | None, step: str) -> None:
    """The nodes just built for `var` (they have no user line yet) get `trace`:
    an error in work moved out of the loop names the step's line that built it,
    and says that it was moved (link/errors.py, chapter 9)."""
    todo = [var]
    while todo:
        node = todo.pop().owner
        if node is None or node.outputs[0].trace is not None:
            continue
        for out in node.outputs:
            out.trace = trace
            out.tag.moved_out_of_loop = step
        todo.extend(node.inputs)


@dataclass
class PushedOut:
    """Work of the body that can be done for all steps at once, before the loop:
    `outer(rows)` computes it from the rows of the sequence tap `where`; `rest`
    are the terms of a sum that stay in the loop (none if all of it goes)."""

    where: SequenceTap
    outer: Callable[[Variable], Variable]
    rest: list[Variable]


def _pushable(parts: ScanParts, node: Apply, slot_of: dict, memo: dict) -> PushedOut | None:
    """What goes out if `node` reads one sequence tap and otherwise only
    non-sequences and can be computed for all steps at once."""
    if len(node.outputs) != 1:
        return None
    taps = {slot_of[v] for v in node.inputs if v in slot_of}
    others = [v for v in node.inputs if v not in slot_of]
    if len(taps) != 1 or not all(parts.invariant(v, memo) for v in others):
        return None
    if not all(v.owner is None for v in others):
        return None  # hoist the invariant part first (scan_hoist_invariants)
    slots = parts.non_seq_slots()

    def outer(v: Variable) -> Variable:
        return slots.get(v, v)

    op = node.op
    if isinstance(op, Dot):
        x, w = node.inputs
        if x in slot_of and x.ndim == 1 and w.ndim == 2:
            return PushedOut(taps.pop(), lambda window: T.dot(window, outer(w)), [])
        if w in slot_of and w.ndim == 1 and x.ndim == 2:
            return PushedOut(taps.pop(), lambda window: T.dot(window, outer(x).T), [])
        return None
    if isinstance(op, Elemwise) and op.scalar_op.name == "second" \
            and node.inputs[1] not in slot_of:
        return None  # zeros shaped like x[t]: one row in the loop, not all rows out of it
    if isinstance(op, Elemwise) and all(v.ndim <= node.outputs[0].ndim for v in others):
        def elementwise(window: Variable) -> Variable:
            # Invariant inputs get a leading broadcastable dimension for the steps.
            args = [window if v in slot_of else outer(v).dimshuffle("x", *range(v.ndim))
                    for v in node.inputs]
            return op(*args)
        return PushedOut(taps.pop(), elementwise, [])
    return None


def _is_add(node: Apply | None) -> bool:
    return (node is not None and isinstance(node.op, Elemwise)
            and node.op.scalar_op.name == "add")


def _regroup_sum(parts: ScanParts, node: Apply, slot_of: dict, memo: dict) -> PushedOut | None:
    """x[t] . W + h . U + b: the terms x[t] . W (already a sequence) and b do not
    need the loop.  They go out together when a sum has at least two such
    terms of one sequence tap and some that need the loop."""
    if not _is_add(node):
        return None
    clients = parts.op.fgraph.clients
    terms, stack = [], list(node.inputs)
    while stack:  # flatten the sum through additions used only by it
        v = stack.pop()
        if _is_add(v.owner) and len(clients.get(v, [])) == 1:
            stack.extend(v.owner.inputs)
        else:
            terms.append(v)
    keys = [slot_of[v] for v in terms if v in slot_of]
    if not keys:
        return None
    key = max(set(keys), key=keys.count)
    free = [v for v in terms if v.owner is None and v not in slot_of and parts.invariant(v, memo)]
    group = [v for v in terms if slot_of.get(v) == key] + free
    rest = [v for v in terms if slot_of.get(v) != key and v not in free]
    if len(group) < 2 or not rest:
        return None
    slots = parts.non_seq_slots()
    copies = keys.count(key)  # x[t] + x[t]: the same slot twice

    def outer(window: Variable) -> Variable:
        # Elemwise gave every term the sum's number of dimensions; the loop-free
        # ones get a leading broadcastable dimension for the steps.
        total = window
        for _ in range(copies - 1):
            total = total + window
        for v in free:
            total = total + slots.get(v, v).dimshuffle("x", *range(v.ndim))
        return total
    return PushedOut(key, outer, rest)


@register("specialize", Scan)
def scan_output_is_a_sequence(fgraph: FunctionGraph, node: Apply) -> dict | None:
    """An output whose step value is a row of a sequence (what is left of a map
    whose work was pushed out) is that sequence's window: no loop needed."""
    if node.op.until:
        return None  # a while loop: its number of steps is known only when it runs
    parts = ScanParts(fgraph, node)
    slot_of = parts.sequence_taps()
    n_states = len(parts.states)
    for j in range(n_states, n_states + parts.n_nit_sot):
        out = parts.outputs[j]
        if out in slot_of and not parts.keep_last[j] and parts.used(node.outputs[j]):
            window = parts.window(slot_of[out])
            return {node.outputs[j]: window[::-1] if parts.op.go_backwards else window}
    return None


# ---------------------------------------------------------------------------
# Computing only what is used
# ---------------------------------------------------------------------------

@register("specialize", Scan)
def scan_prune(fgraph: FunctionGraph, node: Apply) -> dict | None:
    """Drop the outputs nobody reads (unless the body needs them) and the inputs
    the body does not read."""
    from minitheano.graph.basic import graph_inputs

    if node.op.until:
        return None  # a while loop: its number of steps is known only when it runs
    parts = ScanParts(fgraph, node)
    n_states = len(parts.states)
    used = [bool(fgraph.clients.get(out)) for out in node.outputs]
    # A state is needed if it is used, or read by a needed output's body.
    slot_owner = {slot: j for j, state in enumerate(parts.states) for slot in state.slots}
    shared_owner = {v.slot: len(parts.states) + parts.n_nit_sot + s
                    for s, v in enumerate(parts.shared)}
    needed = set(k for k, u in enumerate(used) if u)
    changed = True
    while changed:
        changed = False
        for v in graph_inputs([parts.outputs[k] for k in needed]):
            owner = slot_owner.get(v, shared_owner.get(v))
            if owner is not None and owner not in needed:
                needed.add(owner)
                changed = True
    if len(needed) == len(node.outputs) and not _unread_inputs(parts, needed):
        return None
    if not needed:
        return None  # nothing is used: the FunctionGraph drops the node itself
    keep = sorted(needed)
    n_nit = parts.n_nit_sot
    parts.states = [parts.states[j] for j in keep if j < n_states]
    parts.n_nit_sot = sum(1 for j in keep if n_states <= j < n_states + n_nit)
    parts.shared = [parts.shared[j - n_states - n_nit] for j in keep if j >= n_states + n_nit]
    parts.keep_last = [parts.keep_last[j] for j in keep if j < n_states + n_nit]
    parts.outputs = [parts.outputs[j] for j in keep]
    parts.outer_outputs = [node.outputs[j] for j in keep]
    read = set(graph_inputs(parts.outputs))
    parts.non_seqs = [v for v in parts.non_seqs if v.slot in read]
    if any(slot not in read for seq in parts.seqs for slot in seq.slots):
        # Dropping a sequence, or some of its taps, could change the number of
        # steps: make it explicit.
        parts.n()
    kept_seqs = []
    for seq in parts.seqs:
        kept = [k for k, slot in zip(seq.taps, seq.slots) if slot in read]
        if kept:
            kept_seqs.append(TappedInput(_same_rows(seq.outer, seq.taps, kept), kept,
                                         [slot for slot in seq.slots if slot in read]))
    parts.seqs = kept_seqs
    return parts.build()


def _same_rows(seq: Variable, taps: list[int], kept: list[int]) -> Variable:
    """`seq`, cut so that the loop reads, through the taps `kept`, the rows it
    read through all of `taps`.

    Step t reads tap k at row t + k + first (first = -min(taps, 0)) going
    forwards, and at row len - 1 - last + k - t (last = max(taps, 0)) going
    backwards.  Dropping tap -1 of [-1, 0] makes first 0: without cutting the
    first row, x[t] would read x[t-1]'s row."""
    cut_start = -min(min(taps), 0) + min(min(kept), 0)
    cut_end = max(max(taps), 0) - max(max(kept), 0)
    if not cut_start and not cut_end:
        return seq
    return seq[cut_start:seq.shape[0] - cut_end]


def _unread_inputs(parts: ScanParts, needed: set) -> bool:
    from minitheano.graph.basic import graph_inputs

    read = set(graph_inputs(parts.outputs))
    return any(v.slot not in read for v in parts.non_seqs) or any(
        slot not in read for seq in parts.seqs for slot in seq.slots)


# ---------------------------------------------------------------------------
# The body gets the function's rewrites
# ---------------------------------------------------------------------------

def rewrite_inner_graphs(fgraph: FunctionGraph, mode: Any) -> None:
    """Rewrite the body of every loop with `mode` (unless scan(mode=...) chose
    another), once, and have it linked with that mode's linker."""
    if isinstance(mode, str):  # an optimizer's name: the default linker
        from minitheano.compile.mode import Mode, get_mode

        mode = Mode(get_mode(None).linker, mode)
    for node in list(fgraph.toposort()):
        if isinstance(node.op, Scan) and not node.op.inner_ready:
            new_op = node.op.compiled_for(mode)
            new_node = new_op.make_node(*node.inputs)
            for old, new in zip(node.outputs, new_node.outputs):
                if old in fgraph.variables:
                    fgraph.replace(old, new, reason="rewrite_inner_graphs")
