"""Running a Scan node: the inner graph compiled once, then stepped n times (chapter 7).

`ScanLoop` is what a Scan node becomes when its function is linked.  Its
constructor compiles the inner graph (the mode's rewrites, the mode's linker)
into a VM and keeps the VM's input and output cells; `run` is the loop.

Everything the loop does per step is plain Python over those cells:

    for t in range(n):
        input cell of x[t+k]  <- view of sequence row t + k - min_tap
        input cell of h[t+k]  <- view of state buffer row (L + t + k) % size
        vm.run()                               the body, compiled once
        state buffer row (L + t) % size  <- inner output h[t]  (shape checked)

The inner graph never writes into its inputs (they are `protected`), so views
of the sequences and of the state buffers can be handed in without copies.
A state of which only the last step is kept (the rewrite `scan_keep_last`)
and that the body reads as h[t-1] needs no buffer at all: its new value, an
array the body made, is handed back to the body's input cell as it is.
A while loop (a step that returns `until(condition)`) reads the condition,
the body's last output, after each step and stops there; as it may stop long
before n, its buffers start with room for a few steps and double as needed.

(`seq[t, ...]`, not `seq[t]`: a row of a vector must be a 0-d array, which
ops can treat like any array, not a numpy scalar.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply, Variable
from minitheano.scan.op import FINAL, Scan, seq_span


def _int_constant(value: Any) -> Variable:
    from minitheano.tensor.basic import constant

    return constant(np.int64(value))


def computed_afresh(var: Variable) -> bool:
    """Is `var` a new array of the body's, not a view of one of its inputs?"""
    from minitheano.rewrite.inplace import aliased_input

    while var.owner is not None:
        i = aliased_input(var.owner, var.index)
        if i is None:
            return True
        var = var.owner.inputs[i]
    return False


class ScanStepError(ValueError):
    """A step of a scan produced a value of the wrong shape."""


# A while loop may stop long before n: its buffers start with room for this
# many steps, and double when full.
WHILE_LOOP_FIRST_ROWS = 64


@dataclass(slots=True)
class SequenceFeed:
    """One tap of a sequence: at step t, row `start + direction * t` goes into `cell`."""

    cell: list
    sequence: np.ndarray
    start: int
    direction: int  # 1, or -1 for a loop going backwards


@dataclass(slots=True)
class TapFeed:
    """One tap of a state: at step t, row (t + offset) % size of its buffer goes into `cell`."""

    cell: list
    buffer: np.ndarray
    offset: int
    size: int


@dataclass(slots=True)
class OutputStore:
    """Output j after each step: the body leaves its value in `cell`; it is checked
    against `shape` and saved in row (t + lag) % size of `buffer` (lag: the
    initial rows of a state, before step 0's row)."""

    cell: list
    buffer: np.ndarray
    lag: int
    size: int
    shape: tuple
    j: int

    @classmethod
    def of(cls, cell: list, buffer: np.ndarray, lag: int, j: int) -> OutputStore:
        return cls(cell, buffer, lag, len(buffer), buffer.shape[1:], j)


@dataclass(slots=True)
class HandBack:
    """State j, of which only the last step is kept: after each step its new value
    goes from the body's output cell straight back into its input cell."""

    out_cell: list
    in_cell: list
    shape: tuple
    j: int


@dataclass
class StateFeeds:
    """How the states reach the body and are saved: buffers (stores and their
    taps) or hand-backs."""

    stores: list[OutputStore]
    taps: list[TapFeed]
    hand_backs: list[HandBack]


class ScanLoop:
    """A Scan node, compiled: the inner VM and the loop around it."""

    def __init__(self, op: Scan, node: Apply) -> None:
        from minitheano.link import link_graph

        self.op, self.node = op, node
        if not op.inner_ready:  # not compiled within a function (constant folding, tests)
            op = op.compiled_for(None)
        fg, mode = op.fgraph, op.link_mode
        cells = [[None] for _ in fg.inputs]
        self.vm = link_graph(fg, mode.linker, dict(zip(fg.inputs, cells)),
                             keep=set(fg.inputs) | set(fg.outputs), allow_gc=False)
        cell_of = dict(zip(fg.inputs, cells))
        slots = op.inner_slots()
        # The body's input cells, by group (as the op's inner slots).
        self.seq_cells = [[cell_of[v] for v in taps] for taps in slots.sequences]
        self.state_cells = [[cell_of[v] for v in taps] for taps in slots.states]
        self.shared_cells = [cell_of[v] for v in slots.shared]
        self.non_seq_cells = [cell_of[v] for v in slots.non_sequences]
        self.out_cells = [self.vm.storage[v] for v in fg.outputs]
        self.inner_outputs = fg.outputs
        # The states whose new value goes straight back into the body's input
        # cell, without a copy into a buffer: only the last step is kept, the
        # body reads it as tap -1, and computes it into an array of its own (not
        # a view of one of its inputs, which the loop's buffers or the caller own).
        self.hand_back = [op.keep_last[j] and op.state_taps[j] == (-1,)
                          and computed_afresh(fg.outputs[j]) for j in range(op.n_states)]
        self.stop_cell = self.out_cells[-1] if op.until else [False]

    def run(self, inputs: list[Any], output_cells: list[list]) -> None:
        op = self.op
        outer = op.outer_groups(inputs)
        n = self._n_steps(outer.n_steps, outer.sequences)
        seq_feeds = self._sequence_feeds(outer.sequences)
        # Room for `rows` steps: all n, except in a while loop (until), which may
        # stop long before n; its buffers start small and grow as it runs.
        rows = min(n, WHILE_LOOP_FIRST_ROWS) if op.until else n
        states = self._state_feeds(outer.initial, rows)
        for cell, value in zip(self.shared_cells + self.non_seq_cells,
                               outer.shared + outer.non_sequences):
            cell[0] = value
        shared_moves = list(zip(self.shared_cells, self.out_cells[op.n_states + op.n_nit_sot:]))
        taken = self._steps(n, rows, seq_feeds, states, shared_moves)

        # The results: whole histories (without the initial rows) or last steps.
        if n == 0:
            states.stores += self._nit_sot_stores(0, inputs)
        for store in states.stores:
            j, buf = store.j, store.buffer
            if op.keep_last[j]:  # (with no step, FINAL's row is the last initial one)
                output_cells[j][0] = (buf[(taken - 1 + store.lag) % store.size, ...]
                                      if taken or op.keep_last[j] == FINAL else self._empty(j))
            else:
                output_cells[j][0] = buf[store.lag:store.lag + taken]
        for hand_back in states.hand_backs:
            output_cells[hand_back.j][0] = (hand_back.in_cell[0]
                                            if taken or op.keep_last[hand_back.j] == FINAL
                                            else self._empty(hand_back.j))
        for cell, (shared_cell, _) in zip(output_cells[op.n_states + op.n_nit_sot:],
                                          shared_moves):
            cell[0] = shared_cell[0]

    def _sequence_feeds(self, seqs: list) -> list[SequenceFeed]:
        """Tap k of sequence s at step t reads s[t + k + first], where s[first] is
        time 0 (first = -min(taps, 0): the taps before it need room).  Going
        backwards, time runs from the last step allowed down to 0."""
        feeds = []
        for taps, cells, seq in zip(self.op.seq_taps, self.seq_cells, seqs):
            first = -min(min(taps), 0)
            for k, cell in zip(taps, cells):
                if self.op.go_backwards:
                    start = len(seq) - seq_span(taps) - 1 + k + first
                    feeds.append(SequenceFeed(cell, seq, start, -1))
                else:
                    feeds.append(SequenceFeed(cell, seq, k + first, 1))
        return feeds

    def _state_feeds(self, inits: list, rows: int) -> StateFeeds:
        """One buffer per state, its initial rows first; tap k reads row
        (L + t + k) % size.  A state handed back needs no buffer."""
        feeds = StateFeeds([], [], [])
        for j, (taps, cells, init) in enumerate(zip(self.op.state_taps, self.state_cells,
                                                    inits)):
            buf, lag = self._state_buffer(j, taps, init, rows)
            if self.hand_back[j]:
                (cell,) = cells
                cell[0] = buf[0, ...]  # the initial state, in the output's dtype
                feeds.hand_backs.append(HandBack(self.out_cells[j], cell, buf.shape[1:], j))
                continue
            feeds.stores.append(OutputStore.of(self.out_cells[j], buf, lag, j))
            for k, cell in zip(taps, cells):
                feeds.taps.append(TapFeed(cell, buf, lag + k, len(buf)))
        return feeds

    def _steps(self, n: int, rows: int, seq_feeds: list[SequenceFeed], states: StateFeeds,
               shared_moves: list, first: int = 0, last: int | None = None) -> int:
        """Run the body n times (fewer if until(...) stops it); the steps taken.
        (Steps `first` .. `last` - 1 only, for the compiled loop of chapter 9.)"""
        run, stop = self.vm.run, self.stop_cell
        stores, tap_feeds, hand_backs = states.stores, states.taps, states.hand_backs
        t = first
        taken = n  # the steps taken: fewer if until(...) stops the loop
        try:
            # --8<-- [start:ex-ch07-scan-step-loop]
            for t in range(first, n if last is None else last):
                if t == rows:  # a while loop filled its buffers: double them
                    rows = self._grow(stores, tap_feeds, rows, n)
                for feed in seq_feeds:
                    feed.cell[0] = feed.sequence[feed.start + feed.direction * t, ...]
                for tap in tap_feeds:
                    tap.cell[0] = tap.buffer[(t + tap.offset) % tap.size, ...]
                run()
                if t == 0:  # the first step tells the shape of the other outputs
                    stores += self._nit_sot_stores(rows)
                for store in stores:
                    value = store.cell[0]
                    if value.shape != store.shape:
                        self._wrong_shape(store.j, t, value, store.shape)
                    store.buffer[(t + store.lag) % store.size] = value
                for hand_back in hand_backs:
                    value = hand_back.out_cell[0]
                    if value.shape != hand_back.shape:
                        self._wrong_shape(hand_back.j, t, value, hand_back.shape)
                    hand_back.in_cell[0] = hand_back.out_cell[0]
                for cell, out_cell in shared_moves:
                    cell[0] = out_cell[0]
                if stop[0]:
                    taken = t + 1
                    break
            # --8<-- [end:ex-ch07-scan-step-loop]
        except ScanStepError:
            raise
        except Exception as e:
            raise self._annotate(e, t, n) from None
        return taken

    # -- pieces of run -----------------------------------------------------------
    def _n_steps(self, n_steps: Any, seqs: list) -> int:
        op = self.op
        available = [len(seq) - seq_span(taps) for taps, seq in zip(op.seq_taps, seqs)]
        if n_steps is None:
            return max(0, min(available))
        n = int(n_steps)
        if n < 0:
            raise ValueError(f"scan{self._called()}: n_steps must not be negative, got {n}")
        for s, (have, taps) in enumerate(zip(available, op.seq_taps)):
            if have < n:
                raise ValueError(
                    f"scan{self._called()}: n_steps is {n}, but sequence {s} "
                    f"({self.node.inputs[1 + s]}) has only {len(seqs[s])} elements, which "
                    f"with taps {list(taps)} is enough for {max(have, 0)} steps")
        return n

    def _state_buffer(self, j: int, taps: tuple, init: Any, n: int) -> tuple[np.ndarray, int]:
        """A buffer for state j: its L initial rows, then room for the steps."""
        lag = -min(taps)
        rows = init[None] if taps == (-1,) else init
        if len(rows) < lag:
            raise ValueError(f"scan{self._called()}: output {j} has taps {list(taps)}, so its "
                             f"initial value needs at least {lag} rows (for h[-{lag}] .. "
                             f"h[-1]), got shape {np.shape(init)}")
        size = lag + 1 if self.op.keep_last[j] else lag + n
        buf = np.empty((size, *rows.shape[1:]), dtype=self.node.outputs[j].type.dtype)
        buf[:lag] = rows[:lag]
        return buf, lag

    def _grow(self, stores: list[OutputStore], tap_feeds: list[TapFeed], rows: int,
              n: int) -> int:
        """Give every history buffer room for twice as many steps (at most n), in
        place in `stores` and `tap_feeds`; the new number of rows."""
        new_rows = min(2 * rows, n)
        moved = {}
        for store in stores:
            if self.op.keep_last[store.j]:
                continue  # a ring of the last steps: its size does not depend on n
            buf = store.buffer
            bigger = np.empty((store.lag + new_rows, *buf.shape[1:]), dtype=buf.dtype)
            bigger[:len(buf)] = buf
            moved[id(buf)] = bigger
            store.buffer, store.size = bigger, len(bigger)
        for tap in tap_feeds:
            if id(tap.buffer) in moved:
                tap.buffer = moved[id(tap.buffer)]
                tap.size = len(tap.buffer)
        return new_rows

    def _nit_sot_stores(self, n: int, inputs: list[Any] | None = None) -> list[OutputStore]:
        """Buffers for the outputs that are not fed back, shaped like their first
        step's values (n rows, or 1 if only the last is kept).  With no step
        at all, the body's shape inference says what a step would have given."""
        op, stores = self.op, []
        shapes = self._zero_step_shapes(inputs) if not n else None
        for k in range(op.n_nit_sot):
            j = op.n_states + k
            cell, otype = self.out_cells[j], self.node.outputs[j].type
            if n:
                cell[0] = value = np.asarray(cell[0])
                shape = value.shape
            else:
                shape = shapes[k]
            rows = 1 if op.keep_last[j] else n
            stores.append(OutputStore.of(cell, np.empty((rows, *shape), dtype=otype.dtype), 0, j))
        return stores

    def _zero_step_shapes(self, inputs: list[Any]) -> list[tuple]:
        """The shape each output that is not fed back would have had at a step,
        from the body's infer_shape, computed on the inputs' shapes and the
        non-sequences' values.  Where that is not possible (a length computed
        in the loop), dimensions that are not broadcastable get length 0."""
        from minitheano.graph.fg import FunctionGraph
        from minitheano.link.py.vm import run_graph_in_python
        from minitheano.tensor.type import TensorType

        op = self.op
        n_out = range(op.n_states, op.n_states + op.n_nit_sot)
        guess = [tuple(1 if b else 0 for b in self.node.outputs[j].type.broadcastable[1:])
                 for j in n_out]
        non_seq_values = op.outer_groups(inputs).non_sequences
        symbols = [[TensorType("int64", ())() for _ in np.shape(v)] for v in inputs]
        non_seq_slots = op.inner_slots().non_sequences
        try:
            shapes = op._inner_output_shapes(op.outer_groups(symbols), allowed=non_seq_slots)
        except Exception:  # noqa: BLE001 - no shape inference: the guess
            return guess
        wanted = [[s if isinstance(s, Variable) else _int_constant(s) for s in shapes[j]]
                  for j in n_out]
        flat = [s for shape in wanted for s in shape]
        if not flat:
            return [() for _ in n_out]
        given = [v for group in symbols for v in group] + list(non_seq_slots)
        values = [np.int64(d) for v in inputs for d in np.shape(v)] + list(non_seq_values)
        fg = FunctionGraph(given, flat, clone=False)
        computed = iter(int(x) for x in run_graph_in_python(fg, dict(zip(fg.inputs, values))))
        return [tuple(next(computed) for _ in shape) for shape in wanted]

    def _empty(self, j: int) -> None:
        raise IndexError(f"scan{self._called()}: the last step of output {j} was asked for, "
                         f"but the loop ran 0 steps")

    # -- errors ----------------------------------------------------------------------
    def _called(self) -> str:
        return f" {self.op.name!r}" if self.op.name else ""

    def _where(self, t: int, n: int) -> str:
        direction = ", going backwards" if self.op.go_backwards else ""
        return f"at iteration {t} (of {n}{direction}) of scan{self._called()}, in {self.op.step}"

    def _wrong_shape(self, j: int, t: int, value: Any, expected: tuple) -> None:
        if not isinstance(value, np.ndarray):  # a number from an op's perform: fine
            self.out_cells[j][0] = np.asarray(value)
            if self.out_cells[j][0].shape == expected:
                return
        name = self.inner_outputs[j].name
        source = "its initial state" if j < self.op.n_states else "the first step's value"
        raise ScanStepError(
            f"{self.op.step} returned, for output {j}{f' ({name})' if name else ''}, a value "
            f"of shape {np.shape(value)} at iteration {t} of scan{self._called()}, but "
            f"{source} had shape {expected}. Every step must return the same shape "
            f"for an output.")

    def _annotate(self, e: Exception, t: int, n: int) -> Exception:
        where = f"This happened {self._where(t, n)}."
        if e.args and isinstance(e.args[0], str):
            e.args = (f"{e.args[0]}\n{where}",) + e.args[1:]
        else:
            e.args = (*e.args, where)
        return e
