"""The Scan op: a loop as one node of the graph, with the loop's body as a graph inside (chapter 7).

`scan(...)` (scan/build.py) turns a step function into this op.  The body is
an inner FunctionGraph whose inputs and outputs come in a fixed order:

    inner inputs    sequence slices    x[t + tap]  for each sequence and tap
                    state taps         h[t + tap]  for each recurrent output and tap (< 0)
                    shared states      the current value of each shared variable updated
                    non-sequences      the same value at every step
    inner outputs   new states         h[t]        one per recurrent output
                    other outputs      y[t]        not fed back ("nit_sot" in Theano)
                    new shared values
                    [stop]             the until(...) condition: stop after this step

and the node's outer inputs and outputs follow the same groups:

    outer inputs    [n_steps], sequences, initial states, shared variables, non-sequences
    outer outputs   all states h[0..n-1], all y[0..n-1], final shared values
                    (with until, n is the number of steps taken: known only when it runs)

The body is compiled ONCE, when the outer function is linked: rewritten with
the mode's rewrites and linked with the mode's linker, into a VM whose input
and output cells this op fills and empties itself.  A step is then: put
views of the current slices into the input cells, `vm.run()`, copy the new
values into preallocated output buffers.  No Function call, no argument
checking: a few microseconds of Python per step on top of the body's work.

A recurrent output with taps [-2, -1] lives in one buffer of L + n rows
(L = 2 initial rows, then one row per step): step t reads rows L+t-2 and
L+t-1 and writes row L+t; the output is the view buf[L:].  When only the last
step is wanted (`keep_last`, set by a rewrite for `h[-1]`), the buffer is a
ring of L + 1 rows indexed modulo L + 1: memory no longer grows with n.
A loop of 0 steps has no last step: `h[-1]` is then an error.  A state's
*final* value, the last row of its history with the initial rows in front
(`FINAL`, which backpropagation through time asks for), is then its initial
value: the ring's row L - 1.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply, Variable, graph_inputs
from minitheano.graph.fg import FunctionGraph
from minitheano.graph.op import Op
from minitheano.tensor.type import TensorType

# What an output keeps (`Scan.keep_last[j]`): every step (False), its last step
# (LAST: none after 0 steps, an error), or a state's final value (FINAL: its
# initial value after 0 steps).
LAST = True
FINAL = "final"


@dataclass
class OuterGroups:
    """A Scan node's outer inputs, by group (or anything listed in their order:
    their shapes, their values)."""

    n_steps: Any  # None unless the node has an n_steps input
    sequences: list
    initial: list  # one per recurrent output (state)
    shared: list  # shared variables the loop updates
    non_sequences: list


@dataclass
class InnerSlots:
    """The body's inputs, by group: one slot per tap of each sequence and state."""

    sequences: list[list[Variable]]  # per sequence, a slot per tap
    states: list[list[Variable]]  # per state, a slot per tap
    shared: list[Variable]
    non_sequences: list[Variable]

    def sequence_slots(self) -> list[Variable]:
        return [slot for slots in self.sequences for slot in slots]

    def state_slots(self) -> list[Variable]:
        return [slot for slots in self.states for slot in slots]


class Scan(Op):
    """A loop: run the inner graph once per step, feeding states back."""

    default_output = None

    def __init__(self, inner_inputs: Sequence[Variable], inner_outputs: Sequence[Variable],
                 seq_taps: Sequence[Sequence[int]], state_taps: Sequence[Sequence[int]],
                 n_nit_sot: int, n_shared: int, n_non_seqs: int, has_n_steps: bool,
                 go_backwards: bool = False, truncate_gradient: int = -1,
                 keep_last: Sequence[bool | str] | None = None, name: str | None = None,
                 mode: Any = None, step: str = "the step function",
                 until: bool = False) -> None:
        self.fgraph = FunctionGraph(inner_inputs, inner_outputs, clone=True)
        self.seq_taps = tuple(tuple(t) for t in seq_taps)
        self.state_taps = tuple(tuple(t) for t in state_taps)
        self.n_seqs = len(self.seq_taps)
        self.n_states = len(self.state_taps)
        self.n_nit_sot = n_nit_sot
        self.n_shared = n_shared
        self.n_non_seqs = n_non_seqs
        self.has_n_steps = has_n_steps
        self.go_backwards = go_backwards
        self.truncate_gradient = truncate_gradient
        n_outs = self.n_states + n_nit_sot
        self.keep_last = tuple(keep_last) if keep_last is not None else (False,) * n_outs
        self.name = name
        self.mode = mode
        self.step = step  # "step (defined at file.py:12)", for error messages
        self.until = until  # the last inner output is a condition to stop after a step
        # Set by `compiled_for`: the body is already rewritten, to be linked with this mode.
        self.inner_ready = False
        self.link_mode: Any = None
        n_in = sum(map(len, self.seq_taps)) + sum(map(len, self.state_taps)) + n_shared + \
            n_non_seqs
        if (len(self.fgraph.inputs) != n_in
                or len(self.fgraph.outputs) != n_outs + n_shared + until):
            raise ValueError("Scan: the inner graph's inputs and outputs do not match the "
                             "taps and counts given")

    # Two Scan ops are the same op only if they are the same object: comparing
    # inner graphs would be possible, but is not needed by anything here.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    # Set when a function links the loop: "compiled loop", or "python loop: why" (chapter 9).
    loop_kind: str | None = None
    loop: Any = None  # that loop (scan/compiled_loop.py): how many steps ran in C

    def __str__(self) -> str:
        kind = f",{self.loop_kind}" if self.loop_kind else ""
        return f"for{{cpu,{self.name or 'scan_fn'}{kind}}}"

    # -- where things are in the inputs and outputs ------------------------------
    def outer_groups(self, inputs: Sequence[Any]) -> OuterGroups:
        """The outer inputs (or their shapes, their values) by group."""
        k = 1 if self.has_n_steps else 0
        n_steps = inputs[0] if self.has_n_steps else None
        seqs = list(inputs[k:k + self.n_seqs])
        k += self.n_seqs
        inits = list(inputs[k:k + self.n_states])
        k += self.n_states
        shared = list(inputs[k:k + self.n_shared])
        return OuterGroups(n_steps, seqs, inits, shared, list(inputs[k + self.n_shared:]))

    def inner_slots(self) -> InnerSlots:
        """The body's inputs by group."""
        slots = iter(self.fgraph.inputs)
        seqs = [[next(slots) for _ in taps] for taps in self.seq_taps]
        states = [[next(slots) for _ in taps] for taps in self.state_taps]
        shared = [next(slots) for _ in range(self.n_shared)]
        return InnerSlots(seqs, states, shared, list(slots))

    # -- building the node --------------------------------------------------------
    def make_node(self, *inputs: Any) -> Apply:
        outer = self.outer_groups(inputs)
        if len(outer.non_sequences) != self.n_non_seqs:
            raise TypeError(f"{self} takes {self.n_non_seqs} non-sequences, got "
                            f"{len(outer.non_sequences)}")
        inner = self.inner_slots()
        # Each outer input must give the inner graph values of the type it expects.
        for slots, seq in zip(inner.sequences, outer.sequences):
            for slot in slots:
                _check_type(slot, seq, drop_first=True, what="sequence")
        state_types = []
        for taps, slots, init in zip(self.state_taps, inner.states, outer.initial):
            for slot in slots:
                _check_type(slot, init, drop_first=taps != (-1,), what="initial state")
            state_types.append(slots[-1].type)
        for slot, v in zip(inner.shared + inner.non_sequences,
                           outer.shared + outer.non_sequences):
            _check_type(slot, v, drop_first=False, what="input")
        outputs = [t() if last else _sequence_of(t)
                   for t, last in zip(state_types, self.keep_last)]
        for k, out in enumerate(self.fgraph.outputs[self.n_states:self.n_states + self.n_nit_sot]):
            last = self.keep_last[self.n_states + k]
            outputs.append(out.type() if last else _sequence_of(out.type))
        outputs += [sv.type() for sv in outer.shared]
        return Apply(self, list(inputs), outputs)

    def compiled_for(self, mode: Any) -> Scan:
        """This loop with its body rewritten for the function containing it: with
        scan(mode=...) if given, else with that function's mode."""
        from minitheano.compile.mode import get_mode
        from minitheano.rewrite import rewrite_graph

        own = get_mode(self.mode) if self.mode is not None else get_mode(mode)
        new = copy.copy(self)
        new.fgraph = self.fgraph.clone()
        # Views of the sequences and of the state buffers are fed in: the body
        # must not modify its inputs in place.
        new.fgraph.protected = set(new.fgraph.inputs)
        # A layer's Dot and Elemwise stay two nodes: the compiled loop (chapter 9)
        # runs both in C, and has no step for DotBiasAct.
        rewrite_graph(new.fgraph, own.excluding("dot_bias_act"))
        new._copy_aliased_shared_values()
        new.inner_ready, new.link_mode = True, own
        return new

    def _copy_aliased_shared_values(self) -> None:
        """A shared variable's new value goes to the next step as it is, unlike a
        state's (copied into its buffer): one that is a view of the body's inputs
        (a row of a buffer that a later step overwrites, {s: h_tm2}) is copied."""
        from minitheano.scan.loop import computed_afresh
        from minitheano.tensor.basic import tensor_copy

        first = self.n_states + self.n_nit_sot
        for i in range(first, first + self.n_shared):
            out = self.fgraph.outputs[i]
            if isinstance(out.type, TensorType) and not computed_afresh(out):
                self.fgraph.change_input("output", i, tensor_copy(out), "scan: shared value")

    # -- running ---------------------------------------------------------------
    def make_py_thunk(self, node: Apply, input_cells: list[list], output_cells: list[list]):
        from minitheano.scan.compiled_loop import make_loop  # building graphs needs none

        loop = make_loop(self, node)  # in C when it can (chapter 9), else chapter 7's

        def thunk() -> None:
            loop.run([cell[0] for cell in input_cells], output_cells)
        return thunk

    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list]) -> None:
        from minitheano.scan.compiled_loop import make_loop

        make_loop(self, node).run(list(inputs), output_storage)

    # -- shapes ------------------------------------------------------------------
    def n_steps_shape(self, node: Apply, input_shapes: list[tuple]) -> Any:
        """The number of steps, as a symbolic scalar built from the inputs' shapes."""
        if self.has_n_steps:
            return node.inputs[0]
        import minitheano.tensor as T

        lengths = []
        for taps, shape in zip(self.seq_taps, input_shapes[:self.n_seqs]):
            span = seq_span(taps)
            lengths.append(shape[0] - span if span else shape[0])
        n = lengths[0]
        for other in lengths[1:]:
            n = T.minimum(n, other)
        return n

    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        if self.until:  # the number of steps is known when the loop has run
            raise NotImplementedError(f"{self}: a loop that stops with until has no "
                                      f"shape before it runs")
        k = 1 if self.has_n_steps else 0
        n = self.n_steps_shape(node, input_shapes[k:])
        outer = self.outer_groups(input_shapes)
        shapes = []
        for j, shape in enumerate(outer.initial):
            state = tuple(shape) if self.state_taps[j] == (-1,) else tuple(shape[1:])
            shapes.append(state if self.keep_last[j] else (n, *state))
        inner = self._inner_output_shapes(outer)
        for k in range(self.n_nit_sot):
            shape = inner[self.n_states + k]
            shapes.append(shape if self.keep_last[self.n_states + k] else (n, *shape))
        shapes += [tuple(s) for s in outer.shared]
        return shapes

    def _inner_output_shapes(self, outer_shapes: OuterGroups,
                             allowed: Sequence[Variable] = ()) -> list[tuple]:
        """The shape of each inner output, from the outer inputs' shapes, by asking
        every inner node's infer_shape.  A length that depends on the inner
        values (not only on shapes, or the inner variables `allowed`) cannot
        be answered: NotImplementedError."""
        known: dict[Variable, tuple] = {}
        inner = self.inner_slots()
        for slots, shape in zip(inner.sequences, outer_shapes.sequences):
            for slot in slots:
                known[slot] = tuple(shape[1:])
        for taps, slots, shape in zip(self.state_taps, inner.states, outer_shapes.initial):
            for slot in slots:
                known[slot] = tuple(shape) if taps == (-1,) else tuple(shape[1:])
        for slot, shape in zip(inner.shared + inner.non_sequences,
                               outer_shapes.shared + outer_shapes.non_sequences):
            known[slot] = tuple(shape)
        for v in self.fgraph.variables:
            if v not in known and v.owner is None:  # constants
                known[v] = tuple(np.shape(v.data))
        for inner_node in self.fgraph.toposort():
            outs = inner_node.op.infer_shape(self.fgraph, inner_node,
                                             [known[v] for v in inner_node.inputs])
            for v, shape in zip(inner_node.outputs, outs):
                known[v] = tuple(shape)
        inner_vars = self.fgraph.variables - set(allowed)
        result = []
        for out in self.fgraph.outputs:
            shape = known[out]
            symbolic = [s for s in shape if isinstance(s, Variable)]
            if any(v in inner_vars for v in graph_inputs(symbolic)):
                raise NotImplementedError(f"{self}: the shape of output {out} depends on "
                                          f"values computed inside the loop")
            result.append(shape)
        return result

    # -- gradients ---------------------------------------------------------------
    def L_op(self, inputs: list[Variable], outputs: list[Variable],
             output_grads: list[Variable]) -> list[Variable]:
        from minitheano.scan.grad import scan_grad

        return scan_grad(self, inputs, outputs, output_grads)

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        from minitheano.scan.connections import connection_pattern

        return connection_pattern(self, node)


def seq_span(taps: Sequence[int]) -> int:
    """How many more rows than steps a sequence read at these taps needs.
    As in Theano, tap 0 always counts: taps [2] read x[t + 2], so 2 rows
    are left over, and so are they for taps [-2]."""
    return max(max(taps), 0) - min(min(taps), 0)


def _check_type(slot: Variable, outer: Variable, drop_first: bool, what: str) -> None:
    t = outer.type
    if drop_first:
        t = TensorType(t.dtype, t.broadcastable[1:]) if t.ndim else None
    if t != slot.type:
        raise TypeError(f"Scan: the {what} {outer} ({outer.type}) cannot feed the inner "
                        f"input {slot} of type {slot.type}")


def _sequence_of(t: TensorType) -> Any:
    """A variable of `t` with one more, leading, dimension: the steps."""
    return TensorType(t.dtype, (False, *t.broadcastable))()
