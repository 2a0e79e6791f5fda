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

A state with taps [-2, -1] has two carries: what later steps sent to h[t]
and to h[t-1].  `truncate_gradient=k` runs the backward loop over the last k
steps only, as Theano does: earlier positions (and the initial state, if it
is not reached) get a zero gradient.
"""

from __future__ import annotations

from typing import Any

import minitheano.tensor as T
from minitheano.graph.basic import (
    Apply,
    Constant,
    Variable,
    clone_get_equiv,
    clone_replace,
    graph_inputs,
    toposort,
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
from minitheano.scan.op import Scan, seq_span


def _float(v: Variable) -> bool:
    return getattr(v.type, "dtype", None) not in DISCRETE_DTYPES


def is_zero(g: Variable) -> bool:
    """Is `g` a zero filled in by `grad` for an output nobody differentiates?"""
    from minitheano.tensor.elemwise import DimShuffle, Elemwise

    if isinstance(g, Constant):
        return not g.data.any()
    node = g.owner
    if node is None:
        return False
    if isinstance(node.op, DimShuffle):
        return is_zero(node.inputs[0])
    if isinstance(node.op, Elemwise) and node.op.scalar_op.name == "second":
        return is_zero(node.inputs[1])
    return False


def connection_pattern(op: Scan, node: Apply) -> list[list[bool]]:
    """[outer input][outer output]: can the output depend on the input at all?

    Inner dependencies, closed over the recurrence: an output that reads state
    h[t-1] depends on whatever h depends on, and on h's initial value.
    """
    inner_in, inner_out = op.fgraph.inputs, op.fgraph.outputs[:len(node.outputs)]
    first = 1 if op.has_n_steps else 0
    slots = iter(inner_in)
    plain: dict[Variable, int] = {}            # inner input -> outer input
    recurrent: dict[Variable, tuple[int, int]] = {}  # -> (outer init, inner output)
    for i, taps in enumerate(op.seq_taps):
        for _ in taps:
            plain[next(slots)] = first + i
    first += op.n_seqs
    for j, taps in enumerate(op.state_taps):
        for _ in taps:
            recurrent[next(slots)] = (first + j, j)
    first += op.n_states
    n_out = op.n_states + op.n_nit_sot
    for s in range(op.n_shared):
        recurrent[next(slots)] = (first + s, n_out + s)
    first += op.n_shared
    for m in range(op.n_non_seqs):
        plain[next(slots)] = first + m
    reads = [set(graph_inputs([out])) for out in inner_out]
    deps: list[set[int]] = [set() for _ in inner_out]
    changed = True
    while changed:  # a fixed point: the recurrence may chain states
        changed = False
        for o, read in enumerate(reads):
            new = set(deps[o])
            for v in read:
                if v in plain:
                    new.add(plain[v])
                elif v in recurrent:
                    init, source = recurrent[v]
                    new.add(init)
                    new |= deps[source]
            if new != deps[o]:
                deps[o], changed = new, True
    return [[i in deps[o] for o in range(len(inner_out))] for i in range(len(node.inputs))]


def scan_grad(op: Scan, inputs: list[Variable], outputs: list[Variable],
              output_grads: list[Variable]) -> list[Variable]:
    """The gradient of a Scan node with respect to each of its inputs."""
    if op.until:
        raise NotImplementedError(f"{op}: the gradient of a loop that stops with until(...) "
                                  f"is not implemented; give it a fixed number of steps")
    if any(op.keep_last):
        raise NotImplementedError(f"{op}: this scan keeps only its last step (a rewrite did "
                                  f"that); differentiate the graph before compiling it")
    n_steps, seqs, inits, shared, non_seqs = op.outer_groups(inputs)
    n_rec = op.n_states + op.n_nit_sot
    for s, g in enumerate(output_grads[n_rec:]):
        if not is_zero(g) and not is_disconnected(g):
            raise NotImplementedError(f"{op}: the gradient through the final value of the "
                                      f"shared variable {shared[s]} updated by the loop is "
                                      f"not supported")
    grads = {k: (None if is_zero(g) or is_disconnected(g) else g)
             for k, g in enumerate(output_grads[:n_rec])}
    n = n_steps if op.has_n_steps else op.n_steps_shape(outputs[0].owner,
                                                         [T.shape(s) for s in seqs])
    builder = _Backward(op, n, seqs, inits, non_seqs, outputs, grads)
    return builder.build(n_steps, shared)


class _Backward:
    """The pieces of one backward scan, gathered by `build`."""

    def __init__(self, op: Scan, n: Variable, seqs: list, inits: list, non_seqs: list,
                 outputs: list, grads: dict) -> None:
        self.op, self.n = op, T.cast(n, "int64")
        self.inits, self.non_seqs, self.outputs, self.grads = inits, non_seqs, outputs, grads
        inner = op.fgraph.inputs
        n_seq_slots = sum(map(len, op.seq_taps))
        n_state_slots = sum(map(len, op.state_taps))
        self.seq_slots = inner[:n_seq_slots]
        self.state_slots = inner[n_seq_slots:n_seq_slots + n_state_slots]
        self.shared_slots = inner[n_seq_slots + n_state_slots:
                                  n_seq_slots + n_state_slots + op.n_shared]
        self.non_seq_slots = inner[len(inner) - op.n_non_seqs:]
        # The forward sequences, cut to the rows the loop read and put in step
        # order (going backwards, reversed, with the taps mirrored).
        self.windows, self.window_taps = [], []
        for taps, s in zip(op.seq_taps, seqs):
            span = seq_span(taps)
            if op.go_backwards:
                self.windows.append(s[s.shape[0] - (self.n + span):][::-1])
                self.window_taps.append([-k for k in taps])
            else:
                self.windows.append(s[:self.n + span])
                self.window_taps.append(list(taps))
        self.seqs = seqs
        # Each state's whole history, initial rows first: h[t + k] is row t + k + L.
        self.histories = []
        for j, (taps, init) in enumerate(zip(op.state_taps, inits)):
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
        self.wrt_non_seqs = [m for m, v in enumerate(non_seqs)
                             if _float(v) and v not in non_seqs[:m]]
        # Outer inputs whose gradient the body says is undefined, and why.
        self.undefined: dict[int, str] = {}

    # -- the backward step ----------------------------------------------------
    def step(self, *args: Variable) -> list[Variable]:
        from minitheano.gradient import grad

        op, args = self.op, list(args)
        take = _taker(args)
        seq_args = [take(len(taps)) for taps in self.window_taps]
        hist_args = [take(len(taps) + 1) for taps in op.state_taps]  # state taps, then tap 0
        nit_now = take(op.n_nit_sot)
        g_now = {k: take(1)[0] for k in sorted(self.grads) if self.grads[k] is not None}
        carries = [take(-min(op.state_taps[j])) for j in self.float_states]
        accs = take(len(self.wrt_non_seqs))
        non_seq_args = take(op.n_non_seqs)

        # The forward body, on the backward step's values.
        memo = dict(zip(self.seq_slots, [a for group in seq_args for a in group]))
        memo.update(zip(self.state_slots, [a for group in hist_args for a in group[:-1]]))
        memo.update(zip(self.non_seq_slots, non_seq_args))
        unknown = [v.type() for v in self.shared_slots]
        memo.update(zip(self.shared_slots, unknown))
        equiv = clone_get_equiv(op.fgraph.inputs, op.fgraph.outputs, copy_inputs=False,
                                memo=memo)
        body_out = [equiv[o] for o in op.fgraph.outputs]

        # What reaches each output at this step: the cost's gradient, plus the
        # carry for a state.
        known: dict[Variable, Variable] = {}

        def seed(out: Variable, g: Variable) -> None:
            # A step returning one variable twice (h as an output and as a
            # state) gets both gradients; `grad` adds each seed to what the
            # step's other outputs send back to that variable.
            known[out] = known[out] + g if out in known else g
        for pos, j in enumerate(self.float_states):
            seed(body_out[j], carries[pos][0])
            if j in g_now:
                seed(body_out[j], g_now[j])
        for k in range(op.n_nit_sot):
            if op.n_states + k in g_now:
                seed(body_out[op.n_states + k], g_now[op.n_states + k])
        state_wrt = [a for group in hist_args for a in group[:-1]]
        seq_wrt = [a for group in seq_args for a in group]
        wrt = seq_wrt + state_wrt + [non_seq_args[m] for m in self.wrt_non_seqs]
        vjp = grad(None, wrt, known_grads=known, disconnected_inputs="ignore",
                   return_disconnected="disconnected", null_gradients="return")
        # Values the forward loop saved need not be recomputed.
        saved = {body_out[j]: hist_args[j][-1] for j in range(op.n_states)}
        saved.update((body_out[op.n_states + k], nit_now[k]) for k in range(op.n_nit_sot))
        saved = {o: v for o, v in saved.items() if o.owner is not None}
        vjp = _use_saved(vjp, saved)
        for g in vjp:
            if not (is_disconnected(g) or is_undefined(g)) and \
                    any(u in unknown for u in graph_inputs([g])):
                raise NotImplementedError(
                    f"{op}: the gradient needs the values, at each step, of a shared variable "
                    f"the loop updates; return them as outputs of the step instead")
        g_seq = vjp[:len(seq_wrt)]
        g_state = vjp[len(seq_wrt):len(seq_wrt) + len(state_wrt)]
        g_non_seq = vjp[len(seq_wrt) + len(state_wrt):]
        # An undefined gradient (argmax of a sequence) is reported for that input.
        owners = [i for i, taps in enumerate(op.seq_taps) for _ in taps]
        for pos, g in enumerate(g_seq):
            if is_undefined(g):
                self.undefined[owners[pos]] = g.type.why
                g_seq[pos] = None
        for pos, g in enumerate(g_non_seq):
            if is_undefined(g):
                self.undefined[op.n_seqs + op.n_states + op.n_shared
                               + self.wrt_non_seqs[pos]] = g.type.why
                g_non_seq[pos] = None

        # --8<-- [start:ex-ch07-bptt-accumulate]
        new_carries = []
        offset = 0
        by_state = {}
        for j, taps in enumerate(op.state_taps):
            by_state[j] = dict(zip(taps, g_state[offset:offset + len(taps)]))
            offset += len(taps)
        for pos, j in enumerate(self.float_states):
            lag = len(carries[pos])
            for i in range(1, lag + 1):
                # What reaches h[t - i]: what later steps sent, plus this step's tap -i.
                later = carries[pos][i] if i < lag else None
                now = by_state[j].get(-i)
                new_carries.append(_plus(later, now, like=carries[pos][0]))
        new_accs = [_plus(acc, g, like=acc) for acc, g in zip(accs, g_non_seq)]
        # --8<-- [end:ex-ch07-bptt-accumulate]
        seq_rows = [_plus(None, g, like=a) for g, a in zip(g_seq, seq_wrt)
                    if _float(a)]
        return new_carries + new_accs + seq_rows

    # -- the loop and its results ---------------------------------------------
    def build(self, n_steps: Variable | None, shared: list) -> list[Variable]:
        from minitheano.scan.build import scan

        op, n = self.op, self.n
        trunc = op.truncate_gradient
        steps = T.minimum(n, trunc) if trunc > 0 else n
        sequences = [dict(input=w, taps=taps) for w, taps in zip(self.windows, self.window_taps)]
        sequences += [dict(input=h, taps=[*taps, 0])
                      for h, taps in zip(self.histories, op.state_taps)]
        sequences += [self.outputs[op.n_states + k] for k in range(op.n_nit_sot)]
        sequences += [self.grads[k] for k in sorted(self.grads) if self.grads[k] is not None]
        zeros = []
        for j in self.float_states:
            row = self.inits[j] if op.state_taps[j] == (-1,) else self.inits[j][0]
            first = self.start_carry.get(j)
            first = T.zeros_like(row) if first is None else \
                T.patternbroadcast(T.cast(first, row.dtype), row.broadcastable)
            zeros += [first] + [T.zeros_like(row)] * (-min(op.state_taps[j]) - 1)
        zeros += [T.zeros_like(self.non_seqs[m]) for m in self.wrt_non_seqs]
        n_seq_rows = sum(1 for slot in self.seq_slots if _float(slot))
        results, _ = scan(self.step, sequences=sequences,
                          outputs_info=zeros + [None] * n_seq_rows, non_sequences=self.non_seqs,
                          n_steps=steps, go_backwards=True, mode=op.mode,
                          name=f"grad_of_{op.name or 'scan_fn'}")
        if results is None:  # no carries, no accumulators, no sequence rows
            results = []
        elif not isinstance(results, list):
            results = [results]
        # Whether the backward loop reached the start (else the initial state gets 0).
        reached = T.gt(steps, 0) if trunc <= 0 else T.and_(T.gt(steps, 0), T.le(n, trunc))
        ran = T.gt(steps, 0)
        it = iter(results)
        g_inits: dict[int, Variable] = {}
        for j in self.float_states:
            lag = -min(op.state_taps[j])
            finals = [next(it)[-1] for _ in range(lag)]  # sent to h[-1], ..., h[-lag]
            init = self.inits[j]
            if op.state_taps[j] == (-1,):
                value = finals[0]
            else:
                value = T.set_subtensor(T.zeros_like(init)[:lag], T.stack(finals[::-1]))
            g_inits[j] = ifelse(reached, value, T.zeros_like(init))
        g_non_seqs = {m: ifelse(ran, next(it)[-1], T.zeros_like(self.non_seqs[m]))
                      for m in self.wrt_non_seqs}
        g_seqs = self._sequence_grads(it, steps)

        grads = [g_seqs.get(i, disconnected_type()) for i in range(op.n_seqs)]
        grads += [g_inits.get(j, disconnected_type()) for j in range(op.n_states)]
        grads += [grad_not_implemented(op, len(grads), sv, "a shared variable the loop updates")
                  for sv in shared]
        grads += [g_non_seqs.get(m, disconnected_type()) for m in range(op.n_non_seqs)]
        outer = [*self.seqs, *self.inits, *shared, *self.non_seqs]
        for k, why in self.undefined.items():
            grads[k] = grad_undefined(op, k, outer[k], why)
        return ([disconnected_type()] if op.has_n_steps else []) + grads

    def _sequence_grads(self, rows: Any, steps: Variable) -> dict[int, Variable]:
        """Scatter each tap's rows (backward order) into a gradient per sequence."""
        op, n = self.op, self.n
        result = {}
        slot = iter(self.seq_slots)
        for i, (taps, window, seq) in enumerate(zip(self.window_taps, self.windows, self.seqs)):
            first = -min(min(taps), 0)
            total = None
            for k in taps:
                if not _float(next(slot)):
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


def _last_row_only(g: Variable | None) -> Variable | None:
    """The last row, if `g` is zeros with only its last row set (the gradient
    of out[-1]: IncSubtensor{Inc;-1}(zeros, row)), else None."""
    from minitheano.tensor.subtensor import IncSubtensor

    node = None if g is None else g.owner
    if node is None or not isinstance(node.op, IncSubtensor) or len(node.inputs) != 2:
        return None
    if tuple(node.op.idx_list) != (-1,) or getattr(node.op, "set_instead_of_inc", False):
        return None
    return node.inputs[1] if is_zero(node.inputs[0]) else None


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
