"""Rewrites of what a loop keeps: the last step only, sums of the steps (chapter 7).

* `scan_keep_last`: when every use of an output is its last step (`h[-1]`), or its
  value after the loop (join(0, h0[None], h)[-1]: h0 after no step), or a
  state is only fed back and read by nobody outside,
  the loop keeps a ring of the last few steps instead of the whole history:
  its memory no longer grows with the number of steps.
* `scan_sums_out_of_loop`: a state that only accumulates, acc = acc + term[t],
  and is used only at the end, is a sum over the steps; it leaves the loop.
  The sum of outer products a[t] b[t]^T, which backpropagation through time
  builds for every weight matrix (dW += h[t-1] dz[t]^T), is one matrix product
  A^T B after the loop: BLAS instead of n small updates.
* `scan_forward_from_states_loop`: a loop whose gradient built it again, with the
  shared variables it updates as states, runs once: the loop as written reads
  its results from the other.  `scan_forward_from_saving_loop`: the same for a
  loop built again to save the products its gradient reads (scan/grad_saved.py).
"""

from __future__ import annotations

from typing import Any

import minitheano.tensor as T
from minitheano.graph.basic import Apply, Constant, Variable
from minitheano.graph.fg import FunctionGraph
from minitheano.rewrite.engine import register
from minitheano.rewrite.scan import ScanParts
from minitheano.scan.grad_saved import SAVING_LOOPS
from minitheano.scan.grad_shared import STATES_LOOPS
from minitheano.scan.op import FINAL, LAST, Scan
from minitheano.tensor.elemwise import DimShuffle, Elemwise
from minitheano.tensor.join import Join
from minitheano.tensor.subtensor import Subtensor


def _is_last_step(client: Any) -> bool:
    node = client[0]
    return (node != "output" and isinstance(node.op, Subtensor)
            and tuple(node.op.idx_list) == (-1,) and client[1] == 0)


@register("specialize", Scan)
def scan_keep_last(fgraph: FunctionGraph, node: Apply) -> dict | None:
    """An output used only as out[-1], or a state the loop feeds back but nobody
    reads: keep a ring of the last steps, not all of them."""
    if node.op.until:
        return None  # a while loop: its number of steps is known only when it runs
    parts = ScanParts(fgraph, node)
    n_out = len(parts.states) + parts.n_nit_sot
    lasts: dict[Variable, Variable] = {}
    unread_states = []
    for j in range(n_out):
        out = node.outputs[j]
        clients = fgraph.clients.get(out, [])
        if parts.keep_last[j]:
            continue
        if not clients and j < len(parts.states):
            unread_states.append(j)
            parts.keep_last[j] = FINAL  # (never an error: after no step, nobody asks)
            continue
        finals = _final_readers(fgraph, node, j)
        if finals is not None:  # the state's value after the loop (backpropagation's)
            parts.keep_last[j] = FINAL
            lasts.update((v, j) for v in finals)
            continue
        if not clients or not all(_is_last_step(c) for c in clients):
            continue
        parts.keep_last[j] = LAST
        for client, _ in clients:
            lasts[client.outputs[0]] = j
    if not lasts and not unread_states:
        return None
    if not parts.build() and not lasts:
        return None  # nothing of this scan is read (another rewrite removes it)
    new_node = parts.new_node
    now_last = set(lasts.values())
    # The outputs that now hold one step replace the out[-1] that used them;
    # the others replace themselves.
    replacements = {old: new_node.outputs[old.index] for old in node.outputs
                    if old.index not in now_last and parts.used(old)}
    for last, j in lasts.items():
        replacements[last] = new_node.outputs[j]
    return replacements


def _final_readers(fgraph: FunctionGraph, node: Apply, j: int) -> list[Variable] | None:
    """The variables that read the value of state j after the loop, written
    join(0, init[None], out)[-1] (scan/grad.py's `final_value`: the initial value
    if the loop ran no step), if nothing else reads the output; else None."""
    op = node.op
    if j >= op.n_states or op.state_taps[j] != (-1,):
        return None
    init, out = op.outer_groups(node.inputs).initial[j], node.outputs[j]
    readers = []
    for client, _ in fgraph.clients.get(out, []):
        if client == "output" or not _is_initial_then(client, init, out):
            return None
        lasts = fgraph.clients.get(client.outputs[0], [])
        if not lasts or not all(_is_last_step(c) for c in lasts):
            return None
        readers += [c.outputs[0] for c, _ in lasts]
    return readers or None


def _is_initial_then(node: Apply, init: Variable, out: Variable) -> bool:
    """Is `node` join(0, init[None], out)?"""
    if not isinstance(node.op, Join) or len(node.inputs) != 3:
        return False
    axis, first, rest = node.inputs
    if not (isinstance(axis, Constant) and axis.data == 0 and rest is out):
        return False
    if isinstance(first, Constant) and isinstance(init, Constant):  # both folded
        return first.data.shape == (1, *init.data.shape) and (first.data == init.data).all()
    row = first.owner
    return (row is not None and isinstance(row.op, DimShuffle)
            and tuple(row.op.new_order) == ("x", *range(init.ndim)) and row.inputs[0] is init)


# ---------------------------------------------------------------------------
# Sums over the steps
# ---------------------------------------------------------------------------

def _elemwise(node: Apply | None, name: str) -> bool:
    return node is not None and isinstance(node.op, Elemwise) and node.op.scalar_op.name == name


def _outer_factors(term: Variable) -> tuple[Variable, Variable] | None:
    """(a, b) if `term` is a[:, None] * b[None, :], the outer product of two vectors."""
    if not _elemwise(term.owner, "mul") or len(term.owner.inputs) != 2:
        return None
    factors = []
    for v, pattern in zip(term.owner.inputs, ((0, "x"), ("x", 0))):
        op = v.owner.op if v.owner is not None else None
        if not (isinstance(op, DimShuffle) and tuple(op.new_order) == pattern):
            return None
        factors.append(v.owner.inputs[0])
    return factors[0], factors[1]


def _final_uses(fgraph: FunctionGraph, node: Apply, parts: ScanParts, j: int) -> list | None:
    """The variables that stand for the final value of output j (its out[-1]
    readers, or the output itself if only the last step is kept)."""
    out = node.outputs[j]
    clients = fgraph.clients.get(out, [])
    if not clients:
        return None
    if parts.keep_last[j]:
        return [out]
    finals = _final_readers(fgraph, node, j)
    if finals is not None:
        return finals
    if all(_is_last_step(c) for c in clients):
        return [c.outputs[0] for c, _ in clients]
    return None


@register("specialize", Scan, grows="a sum over the steps becomes one operation after the loop")
def scan_sums_out_of_loop(fgraph: FunctionGraph, node: Apply) -> dict | None:
    """acc[t] = acc[t-1] + term[t], used only at the end: init + the sum of the terms."""
    if node.op.until:
        return None  # a while loop: its number of steps is known only when it runs
    parts = ScanParts(fgraph, node)
    inner = parts.op.fgraph
    for j, state in enumerate(parts.states):
        update = parts.outputs[j]
        if state.taps != [-1] or not _elemwise(update.owner, "add") \
                or len(update.owner.inputs) != 2:
            continue
        slot = state.slots[0]
        if slot not in update.owner.inputs or len(inner.clients.get(slot, [])) != 1:
            continue  # the step must read acc only to add to it
        if any(client != "output" for client, _ in inner.clients.get(update, [])):
            continue  # and nothing in the step may read the new total
        if sum(out is update for out in parts.outputs) > 1:
            continue  # nor may another output be the total (it would still read acc)
        finals = _final_uses(fgraph, node, parts, j)
        if finals is None:
            continue
        term = [v for v in update.owner.inputs if v is not slot][0]
        factors = _outer_factors(term)
        if factors is None and term.ndim > 1:
            continue  # a sum of whole matrices would need n of them in memory
        pieces = factors if factors is not None else (term,)
        if any(v.broadcastable != (False,) * v.ndim for v in pieces):
            continue
        return _take_out(parts, j, pieces, factors is not None, finals)
    return None


def _take_out(parts: ScanParts, j: int, pieces: tuple, outer: bool, finals: list) -> dict:
    """State j, a sum of `pieces` (or of their outer products) over the steps, computed
    after the loop; the replacements of its `finals`."""
    backwards = parts.op.go_backwards
    init = parts.states[j].outer
    slot_of = parts.sequence_taps()
    parts.n()  # the number of steps, made an explicit input of the new loop
    parts.drop_state(j)
    positions = []
    for v in pieces:  # each piece as the rows of all steps, in loop order
        if v in slot_of:
            window = parts.window(slot_of[v])
            positions.append(window[::-1] if backwards else window)
        else:
            positions.append(parts.add_nit_sot(v))
    replacements = parts.build()
    new_node = parts.new_node
    rows = [p if isinstance(p, Variable) else new_node.outputs[p] for p in positions]
    # --8<-- [start:ex-ch07-sum-of-outer-products]
    total = T.dot(rows[0].T, rows[1]) if outer else rows[0].sum(axis=0)
    # --8<-- [end:ex-ch07-sum-of-outer-products]
    # With no step the rows are empty and the total is zero: the initial value.
    like = finals[0]
    final = T.patternbroadcast(T.cast(init + total, like.dtype), like.broadcastable)
    for v in finals:
        replacements[v] = final
    return replacements


# ---------------------------------------------------------------------------
# One run for a loop and its states loop
# ---------------------------------------------------------------------------

@register("canonicalize", Scan)
def scan_forward_from_states_loop(fgraph: FunctionGraph, node: Apply) -> dict | None:
    """The gradient of a loop that updates shared tensors runs the loop again with
    them as states (scan/grad_shared.py), which computes everything the loop as
    written does: the latter's outputs are read from it (a shared tensor's final
    value is the last row of its history), and the loop runs once."""
    of = STATES_LOOPS.get(node.op)
    if of is None or not node.inputs:
        return None
    for forward, _ in fgraph.clients.get(node.inputs[0], []):
        if forward != "output" and forward.op is of.forward \
                and _same(of.inputs(list(forward.inputs)), node.inputs):
            return {old: new for old, new in of.forward_outputs(forward, node).items()
                    if fgraph.clients.get(old)}
    return None


def _same(a: list[Variable], b: list[Variable]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


@register("canonicalize", Scan)
def scan_forward_from_saving_loop(fgraph: FunctionGraph, node: Apply) -> dict | None:
    """The gradient of a loop whose backward step read products of its body was
    taken of the same loop saving them (scan/grad_saved.py), which computes
    everything the loop as written does: the latter's outputs are read from it.
    So are those of another saving loop of it that saves the same products (a
    second T.grad of the same cost)."""
    of = SAVING_LOOPS.get(node.op)
    if of is None or not node.inputs:
        return None
    for other, _ in fgraph.clients.get(node.inputs[0], []):
        if other == "output" or other is node or not _same(other.inputs, node.inputs):
            continue
        if other.op is of.forward:
            return {old: new for old, new in of.forward_outputs(other, node).items()
                    if fgraph.clients.get(old)}
        twin = SAVING_LOOPS.get(other.op)
        if twin is not None and twin.forward is of.forward and twin.saved == of.saved:
            return {old: new for old, new in zip(other.outputs, node.outputs)
                    if fgraph.clients.get(old)}
    return None
