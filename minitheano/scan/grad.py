"""Backpropagation through time: the gradient of a scan is another scan (chapter 7).

The forward loop computes, at each step t,

    h[t] = f(x[t + k] for the sequence taps, h[t + k] for the state taps (k < 0), W)

Reverse mode walks the steps backwards, t = n-1, ..., 0, carrying the
gradient that later steps sent to the states they read:

    a[t]       = dC/dh[t] (the cost's own) + what steps t+1, t+2, ... sent to h[t]
    vjp        = the gradient of f at step t, started from a[t]   (T.grad, known_grads)
    dC/dx[t+k] = vjp's gradient for the sequence tap k            (one row per step)
    h[t+k]     receives vjp's gradient for the state tap k        (carried back)
    dC/dW     += vjp's gradient for W                             (an accumulator)

`scan_grad` builds exactly this with `scan` itself: the backward step is a
Python function that clones the forward body, asks `grad` for its
vector-Jacobian product, and returns the new carries.  It reads the forward
sequences and the forward *states* (saved by the forward loop: nothing is
recomputed that the forward pass already has) and runs with go_backwards.
When it would compute a product of the body again (an LSTM's x W + h U, which
the sigmoids' derivatives need), the gradient is taken of the loop that saves
that product as one more output (scan/grad_saved.py, chapter 9).

The backward step seeds `grad` with what reaches each output of the body
(the cost's row, plus a state's carry), and a seed is ADDED to what flows
back to its variable from the body's other outputs: an LSTM's c is an output
and is also read by h = o * tanh(c) in the same step, and c's gradient is
both.  (A seed that replaced it would silently drop the path through h.)

A while loop (until) runs the backward loop over the steps it took: its
outputs have one row per step, so their length records how many
(`steps_taken`).  A loop that updates shared tensors whose values the
gradient needs is differentiated as the same loop with them as states
(scan/grad_shared.py).

A state with taps [-2, -1] has two carries: what later steps sent to h[t]
and to h[t-1].  `truncate_gradient=k` runs the backward loop over the last k
steps only, as Theano does: earlier positions (and the initial state, if it
is not reached) get a zero gradient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import minitheano.tensor as T
from minitheano.graph.basic import (
    Variable,
    clone_get_equiv,
    clone_replace,
    graph_inputs,
    toposort,
    variables,
)
from minitheano.graph.null import (
    disconnected_type,
    grad_not_implemented,
    grad_undefined,
    is_disconnected,
    is_undefined,
)
from minitheano.ifelse import ifelse
from minitheano.scalar.basic import DISCRETE_DTYPES
from minitheano.scan.grad_saved import can_save, products, saving_loop
from minitheano.scan.grad_shared import needs_history, shared_states_grad
from minitheano.scan.op import OuterGroups, Scan, seq_span
from minitheano.tensor.basic import is_zeros
from minitheano.tensor.type import TensorType


def _float(v: Variable) -> bool:
    return getattr(v.type, "dtype", None) not in DISCRETE_DTYPES


def scan_grad(op: Scan, inputs: list[Variable], outputs: list[Variable],
              output_grads: list[Variable]) -> list[Variable]:
    """The gradient of a Scan node with respect to each of its inputs."""
    if any(op.keep_last):
        raise NotImplementedError(f"{op}: this scan keeps only its last step (a rewrite did "
                                  f"that); differentiate the graph before compiling it")
    if needs_history(op, output_grads):  # shared tensors the loop updates: states
        return shared_states_grad(op, inputs, output_grads)
    outer = op.outer_groups(inputs)
    n_rec = op.n_states + op.n_nit_sot
    for s, g in enumerate(output_grads[n_rec:]):
        if not is_zeros(g) and not is_disconnected(g):
            raise NotImplementedError(f"{op}: the gradient through the final value of the "
                                      f"shared variable {outer.shared[s]} updated by the loop "
                                      f"is not supported")
    grads = {k: (None if is_zeros(g) or is_disconnected(g) else g)
             for k, g in enumerate(output_grads[:n_rec])}
    if op.until and n_rec == 0:  # only generators' states come out: nothing to differentiate
        return [disconnected_type() for _ in inputs]
    backward = _Backward(op, steps_taken(op, inputs, outputs), outer, outputs, grads)
    result = backward.build()
    read = backward.products_read() if can_save(op) else []
    if not read:
        return result
    # The backward step computes products again: differentiate the loop that saves them.
    node = saving_loop(op, inputs, read)
    none = [disconnected_type() for _ in read]
    return scan_grad(node.op, inputs, node.outputs,
                     [*output_grads[:n_rec], *none, *output_grads[n_rec:]])


def steps_taken(op: Scan, inputs: list[Variable], outputs: list[Variable]) -> Variable:
    """How many steps the forward loop ran, as a symbolic scalar.  A while loop
    records it itself: each of its outputs has one row per step taken, so the
    backward loop runs exactly those steps, in reverse (the condition, a
    comparison, has no gradient: near a step where it is true, the number of
    steps does not change, and the loop is the unrolled loop of that many steps)."""
    if op.until:
        return outputs[0].shape[0]
    outer = op.outer_groups(inputs)
    if op.has_n_steps:
        return outer.n_steps
    return op.n_steps_shape(outputs[0].owner, [T.shape(s) for s in outer.sequences])


@dataclass
class StepValues:
    """What one backward step receives, for forward step t, by group."""

    seq_taps: list[list[Variable]]  # per sequence, x[t + k] for each tap k
    state_taps: list[list[Variable]]  # per state, h[t + k] for each tap k (< 0)
    states_now: list[Variable]  # per state, h[t], saved by the forward loop
    outputs_now: list[Variable]  # per output that is not fed back, y[t]
    output_grads: dict[int, Variable]  # per output the cost reads row by row, dC/dy[t]
    carries: list[list[Variable]]  # per float state, what later steps sent to h[t], h[t-1]..
    totals: list[Variable]  # per differentiated non-sequence, its gradient so far
    non_sequences: list[Variable]


@dataclass
class StepGradients:
    """The body's vector-Jacobian product at one step, by group of the body's inputs
    (None where the gradient is undefined: it is reported, not carried)."""

    seq_taps: list[Variable | None]  # one per tap of each sequence, in order
    state_taps: list[list[Variable]]  # per state, one per tap
    non_sequences: list[Variable | None]  # one per differentiated non-sequence


class _Backward:
    """The pieces of one backward scan, gathered by `build`."""

    def __init__(self, op: Scan, n: Variable, outer: OuterGroups, outputs: list,
                 grads: dict) -> None:
        self.op, self.n = op, T.cast(n, "int64")
        self.outer, self.outputs, self.grads = outer, outputs, grads
        self.inits, self.non_seqs = outer.initial, outer.non_sequences
        self.slots = op.inner_slots()
        # The forward sequences, cut to the rows the loop read and put in step
        # order (going backwards, reversed, with the taps mirrored).
        self.windows, self.window_taps = [], []
        for taps, s in zip(op.seq_taps, outer.sequences):
            span = seq_span(taps)
            if op.go_backwards:
                self.windows.append(s[s.shape[0] - (self.n + span):][::-1])
                self.window_taps.append([-k for k in taps])
            else:
                self.windows.append(s[:self.n + span])
                self.window_taps.append(list(taps))
        # Each state's whole history, initial rows first: h[t + k] is row t + k + L.
        self.histories = []
        for j, (taps, init) in enumerate(zip(op.state_taps, self.inits)):
            rows = init.dimshuffle("x", *range(init.ndim)) if taps == (-1,) else init[:-min(taps)]
            self.histories.append(T.concatenate([rows, outputs[j]]))
        self.float_states = [j for j in range(op.n_states) if _float(outputs[j])]
        # A cost that reads only h[-1] sends h a gradient that is zero but for its
        # last row: that row is where the carry starts, and no sequence is needed.
        self.start_carry: dict[int, Variable] = {}
        for j in self.float_states:
            last = _last_row_only(grads.get(j))
            if last is not None:
                self.start_carry[j] = last
                grads[j] = None
        # Differentiate each distinct float non-sequence once (one may be given twice).
        self.wrt_non_seqs = [m for m, v in enumerate(self.non_seqs)
                             if _float(v) and v not in self.non_seqs[:m]]
        # Outer inputs whose gradient the body says is undefined, and why.
        self.undefined: dict[int, str] = {}
        # Set by the step: the forward body's copy in it, and what its gradients read.
        self.equiv: dict[Variable, Variable] = {}
        self.read: set[Variable] = set()

    def lag(self, j: int) -> int:
        """How many steps back state j reads: the number of its carries."""
        return -min(self.op.state_taps[j])

    # -- the backward step ----------------------------------------------------
    def unpack(self, args: list[Variable]) -> StepValues:
        """The backward step's arguments, in the order `build` gave them to scan:
        sequences, then fed-back values (carries, totals), then non-sequences."""
        op, take = self.op, _taker(args)
        seq_taps = [take(len(taps)) for taps in self.window_taps]
        histories = [take(len(taps) + 1) for taps in op.state_taps]  # state taps, then tap 0
        outputs_now = take(op.n_nit_sot)
        output_grads = {k: take(1)[0] for k in sorted(self.grads) if self.grads[k] is not None}
        carries = [take(self.lag(j)) for j in self.float_states]
        totals = take(len(self.wrt_non_seqs))
        return StepValues(seq_taps, [h[:-1] for h in histories], [h[-1] for h in histories],
                          outputs_now, output_grads, carries, totals, take(op.n_non_seqs))

    def body_on(self, values: StepValues) -> tuple[list[Variable], list[Variable]]:
        """The forward body, cloned on the backward step's values: (its outputs,
        placeholders for the shared variables the loop updates)."""
        slots = self.slots
        memo = dict(zip(slots.sequence_slots(), [v for taps in values.seq_taps for v in taps]))
        memo.update(zip(slots.state_slots(), [v for taps in values.state_taps for v in taps]))
        memo.update(zip(slots.non_sequences, values.non_sequences))
        unknown = [v.type() for v in slots.shared]
        memo.update(zip(slots.shared, unknown))
        fgraph = self.op.fgraph
        equiv = clone_get_equiv(fgraph.inputs, fgraph.outputs, copy_inputs=False, memo=memo)
        self.equiv = equiv  # (which forward variable each of the step's copies is)
        return [equiv[o] for o in fgraph.outputs], unknown

    def seeds(self, values: StepValues, body_out: list[Variable]) -> dict[Variable, Variable]:
        """What reaches each output of the body at this step: the cost's gradient of
        that row, plus, for a state, the carry that later steps sent back.

        Each seed is ADDED by `grad` to what flows back to its variable from the
        body's other outputs (an LSTM's h reads c, which is also an output), and a
        variable the step returns twice gets both seeds."""
        op, seeds = self.op, {}

        def seed(out: Variable, g: Variable) -> None:
            seeds[out] = seeds[out] + g if out in seeds else g
        for carries, j in zip(values.carries, self.float_states):
            seed(body_out[j], carries[0])
            if j in values.output_grads:
                seed(body_out[j], values.output_grads[j])
        for k in range(op.n_nit_sot):
            if op.n_states + k in values.output_grads:
                seed(body_out[op.n_states + k], values.output_grads[op.n_states + k])
        return seeds

    def vjp(self, values: StepValues, body_out: list[Variable], unknown: list[Variable],
            seeds: dict[Variable, Variable]) -> StepGradients:
        """The body's vector-Jacobian product from `seeds`, for the sequence taps,
        the state taps and the differentiated non-sequences."""
        from minitheano.gradient import grad

        op = self.op
        seq_wrt = [v for taps in values.seq_taps for v in taps]
        state_wrt = [v for taps in values.state_taps for v in taps]
        non_seq_wrt = [values.non_sequences[m] for m in self.wrt_non_seqs]
        result = grad(None, seq_wrt + state_wrt + non_seq_wrt, known_grads=seeds,
                      disconnected_inputs="ignore", return_disconnected="disconnected",
                      null_gradients="return")
        # Values the forward loop saved need not be recomputed.
        saved = dict(zip(body_out[:op.n_states], values.states_now))
        saved.update(zip(body_out[op.n_states:op.n_states + op.n_nit_sot], values.outputs_now))
        result = _use_saved(result, {o: v for o, v in saved.items() if o.owner is not None})
        self.read = set(variables([g for g in result
                                   if not (is_disconnected(g) or is_undefined(g))]))
        for g in result:
            if not (is_disconnected(g) or is_undefined(g)) and \
                    any(u in unknown for u in graph_inputs([g])):
                raise NotImplementedError(
                    f"{op}: the gradient needs the numbers a random generator drew at each "
                    f"step, which the loop does not keep; draw them outside the loop and "
                    f"pass them as a sequence, or return them as outputs of the step")
        take = _taker(result)
        grads = StepGradients(take(len(seq_wrt)),
                              [take(len(taps)) for taps in op.state_taps],
                              take(len(non_seq_wrt)))
        # An undefined gradient (argmax of a sequence) is reported for that input.
        owners = [i for i, taps in enumerate(op.seq_taps) for _ in taps]
        for pos, g in enumerate(grads.seq_taps):
            if is_undefined(g):
                self.undefined[owners[pos]] = g.type.why
                grads.seq_taps[pos] = None
        first_non_seq = op.n_seqs + op.n_states + op.n_shared
        for pos, g in enumerate(grads.non_sequences):
            if is_undefined(g):
                self.undefined[first_non_seq + self.wrt_non_seqs[pos]] = g.type.why
                grads.non_sequences[pos] = None
        return grads

    def products_read(self) -> list[Variable]:
        """The forward body's products (scan/grad_saved.py) that the backward step,
        as built, computes again."""
        return [v for v in products(self.op) if self.equiv.get(v) in self.read]

    def step(self, *args: Variable) -> list[Variable]:
        """One step of the backward loop: the new carries, the new totals of the
        non-sequences' gradients, and this step's rows of the sequences' gradients."""
        values = self.unpack(list(args))
        body_out, unknown = self.body_on(values)
        g = self.vjp(values, body_out, unknown, self.seeds(values, body_out))
        carries, totals = values.carries, values.totals
        # --8<-- [start:ex-ch07-bptt-accumulate]
        new_carries = []
        for pos, j in enumerate(self.float_states):
            sent_now = dict(zip(self.op.state_taps[j], g.state_taps[j]))
            lag = len(carries[pos])
            for i in range(1, lag + 1):
                # What reaches h[t - i]: what later steps sent, plus this step's tap -i.
                later = carries[pos][i] if i < lag else None
                new_carries.append(_plus(later, sent_now.get(-i), like=carries[pos][0]))
        new_totals = [_plus(total, g_m, like=total)
                      for total, g_m in zip(totals, g.non_sequences)]
        # --8<-- [end:ex-ch07-bptt-accumulate]
        seq_rows = [_plus(None, g_k, like=x)
                    for g_k, x in zip(g.seq_taps, [v for taps in values.seq_taps for v in taps])
                    if _float(x)]
        return new_carries + new_totals + seq_rows

    # -- the loop and its results ---------------------------------------------
    def build(self) -> list[Variable]:
        """The backward scan, and from its results the gradient of each outer input."""
        op, n = self.op, self.n
        trunc = op.truncate_gradient
        steps = T.minimum(n, trunc) if trunc > 0 else n
        results = self._backward_loop(steps)
        ran = T.gt(steps, 0)
        g_inits: dict[int, Variable] = {}
        for j, carries in zip(self.float_states, results.carries):
            finals = [final_value(c) for c in carries]  # sent to h[-1], ..., h[-lag]
            init = self.inits[j]
            if op.state_taps[j] == (-1,):
                value = finals[0]
            else:
                value = T.set_subtensor(T.zeros_like(init)[:len(finals)], T.stack(finals[::-1]))
            # With no step, a carry's final value is its start: zero, unless the cost's
            # h[-1] started it (that cost has no value then); truncated early, zero.
            if trunc > 0:
                reached = T.and_(ran, T.le(n, trunc))
                value = ifelse(reached, value, T.zeros_like(init))
            elif j in self.start_carry:
                value = ifelse(ran, value, T.zeros_like(init))
            g_inits[j] = value
        # A total's final value: its start, zero, if the loop ran no step.
        g_non_seqs = {m: final_value(total)
                      for m, total in zip(self.wrt_non_seqs, results.totals)}
        # With no step, the rows are empty: the sequences' gradients are zeros.
        g_seqs = self._sequence_grads(iter(results.seq_rows), steps)

        outer = self.outer
        grads = [g_seqs.get(i, disconnected_type()) for i in range(op.n_seqs)]
        grads += [g_inits.get(j, disconnected_type()) for j in range(op.n_states)]
        # A shared tensor the loop updates reaches no output differentiated here
        # (else grad_shared.py would be differentiating); a generator has no gradient.
        for sv in outer.shared:
            if not isinstance(sv.type, TensorType):
                grads.append(grad_not_implemented(op, len(grads), sv, "a random generator"))
            else:
                grads.append(T.zeros_like(sv) if _float(sv) else disconnected_type())
        grads += [g_non_seqs.get(m, disconnected_type()) for m in range(op.n_non_seqs)]
        inputs = [*outer.sequences, *outer.initial, *outer.shared, *outer.non_sequences]
        for k, why in self.undefined.items():
            grads[k] = grad_undefined(op, k, inputs[k], why)
        return ([disconnected_type()] if op.has_n_steps else []) + grads

    def _backward_loop(self, steps: Variable) -> BackwardResults:
        """The backward scan: over the forward sequences and states (step order
        reversed), carrying each float state's carries and each non-sequence's
        total, and giving a row per step for each float sequence tap."""
        from minitheano.scan.build import scan

        op = self.op
        sequences = [dict(input=w, taps=taps) for w, taps in zip(self.windows, self.window_taps)]
        sequences += [dict(input=h, taps=[*taps, 0])
                      for h, taps in zip(self.histories, op.state_taps)]
        sequences += [self.outputs[op.n_states + k] for k in range(op.n_nit_sot)]
        sequences += [self.grads[k] for k in sorted(self.grads) if self.grads[k] is not None]
        starts = []
        for j in self.float_states:
            row = self.inits[j] if op.state_taps[j] == (-1,) else self.inits[j][0]
            first = self.start_carry.get(j)
            first = T.zeros_like(row) if first is None else \
                T.patternbroadcast(T.cast(first, row.dtype), row.broadcastable)
            starts += [first] + [T.zeros_like(row)] * (self.lag(j) - 1)
        starts += [T.zeros_like(self.non_seqs[m]) for m in self.wrt_non_seqs]
        n_seq_rows = sum(1 for slot in self.slots.sequence_slots() if _float(slot))
        results, _ = scan(self.step, sequences=sequences,
                          outputs_info=starts + [None] * n_seq_rows,
                          non_sequences=self.non_seqs, n_steps=steps, go_backwards=True,
                          mode=op.mode, name=f"grad_of_{op.name or 'scan_fn'}")
        if results is None:  # nothing to carry, no totals, no sequence rows
            results = []
        elif not isinstance(results, list):
            results = [results]
        take = _taker(results)
        carries = [take(self.lag(j)) for j in self.float_states]
        return BackwardResults(carries, take(len(self.wrt_non_seqs)), take(n_seq_rows))

    def _sequence_grads(self, rows: Any, steps: Variable) -> dict[int, Variable]:
        """Scatter each tap's rows (backward order) into a gradient per sequence."""
        op, n = self.op, self.n
        result = {}
        slots = self.slots.sequences
        for i, (taps, window, seq) in enumerate(zip(self.window_taps, self.windows,
                                                    self.outer.sequences)):
            first = -min(min(taps), 0)
            total = None
            for k, slot in zip(taps, slots[i]):
                if not _float(slot):
                    continue
                g_rows = next(rows)[::-1]  # step n - steps, ..., n - 1
                start = n - steps + k + first
                part = T.inc_subtensor(T.zeros_like(window)[start:start + steps], g_rows)
                total = part if total is None else total + part
            if total is None:
                continue
            span = seq_span(op.seq_taps[i])
            if op.go_backwards:
                result[i] = T.set_subtensor(T.zeros_like(seq)[seq.shape[0] - (n + span):],
                                            total[::-1])
            else:
                result[i] = T.set_subtensor(T.zeros_like(seq)[:n + span], total)
        return result


def final_value(history: Variable) -> Variable:
    """The value of a state (tap -1) after its loop: the last row of its history
    with the initial value in front, which is that initial value if the loop ran
    no step.  (`scan_keep_last` makes the loop keep only that row: FINAL.)"""
    node = history.owner
    init = node.op.outer_groups(node.inputs).initial[history.index]
    return T.concatenate([T.shape_padleft(init), history])[-1]


@dataclass
class BackwardResults:
    """The backward scan's outputs, by group: per float state its carries (each a
    row per step), per differentiated non-sequence its running total, and a
    row per step for each float sequence tap."""

    carries: list[list[Variable]]
    totals: list[Variable]
    seq_rows: list[Variable]


def _last_row_only(g: Variable | None) -> Variable | None:
    """The last row, if `g` is zeros with only its last row set (the gradient
    of out[-1]: IncSubtensor{Inc;-1}(zeros, row)), else None."""
    from minitheano.tensor.subtensor import IncSubtensor

    node = None if g is None else g.owner
    if node is None or not isinstance(node.op, IncSubtensor) or len(node.inputs) != 2:
        return None
    if tuple(node.op.idx_list) != (-1,) or getattr(node.op, "set_instead_of_inc", False):
        return None
    return node.inputs[1] if is_zeros(node.inputs[0]) else None


def _use_saved(grads: list, saved: dict[Variable, Variable]) -> list:
    """`grads` with every computation of a saved forward value replaced by it.

    An op's gradient may use its output (the Variable), or recompute it from
    its inputs (tanh' = 1 - tanh(z)**2 builds a new tanh(z) node): both are
    found, by the node's op and inputs, and read from the saved sequence.
    """
    by_node = {(o.owner.op, tuple(o.owner.inputs), o.index): v for o, v in saved.items()}
    live = [g for g in grads if not (is_disconnected(g) or is_undefined(g))]
    memo = dict(saved)
    for node in toposort(live):
        for k, out in enumerate(node.outputs):
            value = by_node.get((node.op, tuple(node.inputs), k))
            if value is not None:
                memo[out] = value
    new = iter(clone_replace(live, memo))  # one call: shared parts stay shared
    return [g if is_disconnected(g) or is_undefined(g) else next(new) for g in grads]


def _taker(args: list) -> Any:
    position = [0]

    def take(count: int) -> list:
        start = position[0]
        position[0] += count
        return args[start:start + count]
    return take


def _plus(a: Variable | None, g: Variable | None, like: Variable) -> Variable:
    """a + g, where either may be missing (None, disconnected): zeros like `like`."""
    if g is not None and is_undefined(g):
        raise NotImplementedError(f"the gradient through the loop's state is undefined: "
                                  f"{g.type.why}")
    if g is not None and is_disconnected(g):
        g = None
    if a is None and g is None:
        return T.zeros_like(like)
    if a is None:
        return g
    return a if g is None else a + g
