"""The gradient through shared variables a loop updates: they become states (chapter 7).

A step may update a shared variable, `return h, {W: W * 0.9 + dW}`.  The
forward loop carries W from step to step and keeps only its last value (in
constant memory: a counter or an accumulator must not grow with the steps).
For the gradient that is not enough.  Step t read W[t], its value after t
updates, and W's final value is W[n] = u(W[n-1], ...): W is a recurrent state
like h, with the shared variable's value as its initial state,

    W[t+1] = u(W[t], h[t], x[t])          W[0] = W's value before the loop

and backpropagation through time needs its whole history.  So when a gradient
needs those values, `shared_states_grad` builds the loop once more, with the
same body, as a loop in which each shared tensor it updates is a recurrent
state (tap -1) whose history is kept, and differentiates *that* loop with
scan/grad.py: the final value's gradient reaches the last row of W's history,
and W's initial value gets a state's gradient.  The price is one more run of
the forward loop in the gradient's graph, until a rewrite
(`scan_forward_from_states_loop`, rewrite/scan_memory.py) lets the forward
loop's results be read from the states loop: then the loop runs once.  The
forward loop as built is not changed.

The loop with no step leaves W as it was: W's gradient is then the final
value's own.  Random generators the loop draws from are not tensors and stay
carried without a history (a gradient that needs the numbers they drew is
refused by scan/grad.py).
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import minitheano.tensor as T
from minitheano.graph.basic import Apply, Variable, graph_inputs
from minitheano.graph.null import disconnected_type, is_disconnected
from minitheano.ifelse import ifelse
from minitheano.scan.op import Scan
from minitheano.tensor.basic import is_zeros
from minitheano.tensor.type import TensorType


def _flows(g: Variable) -> bool:
    return not (is_zeros(g) or is_disconnected(g))


def carried_tensors(op: Scan) -> list[int]:
    """The positions, among the loop's shared variables, of the tensors it updates."""
    return [k for k, slot in enumerate(op.inner_slots().shared)
            if isinstance(slot.type, TensorType)]


def needs_history(op: Scan, output_grads: list[Variable]) -> bool:
    """Does the gradient need a shared tensor's value at each step: a cost that
    reads its final value, or an output computed from it?"""
    carried = carried_tensors(op)
    if not carried:
        return False
    n_out = op.n_states + op.n_nit_sot
    if any(_flows(output_grads[n_out + k]) for k in carried):
        return True
    shared = op.inner_slots().shared
    read = set(graph_inputs(op.fgraph.outputs[:n_out]))
    return any(shared[k] in read for k in carried)


@dataclass
class StatesOf:
    """What a loop built by `with_shared_as_states` is the states loop of."""

    forward: Scan  # the loop as written
    carried: list[int]  # positions of the shared tensors (now states) among its shared
    kept: list[int]  # the other shared variables' positions (random generators)

    def inputs(self, forward_inputs: list[Variable]) -> list[Variable]:
        """The states loop's outer inputs, from the forward loop's."""
        outer = self.forward.outer_groups(forward_inputs)
        new = ([outer.n_steps] if self.forward.has_n_steps else []) + outer.sequences
        new += outer.initial + [outer.shared[k] for k in self.carried]
        return new + [outer.shared[k] for k in self.kept] + outer.non_sequences

    def forward_outputs(self, forward_node: Apply, states_node: Apply
                        ) -> dict[Variable, Variable]:
        """{each output of the forward loop: the same value, read from the states loop}
        (a shared tensor's final value: the last row of its history)."""
        op, outs = self.forward, states_node.outputs
        n_out, n_carried = op.n_states + op.n_nit_sot, len(self.carried)
        same = list(outs[:op.n_states]) + list(outs[op.n_states + n_carried:][:op.n_nit_sot])
        shared = op.outer_groups(forward_node.inputs).shared
        finals = {k: final_value(outs[op.n_states + pos], shared[k])
                  for pos, k in enumerate(self.carried)}
        finals.update((k, outs[n_out + n_carried + pos]) for pos, k in enumerate(self.kept))
        same += [finals[k] for k in range(op.n_shared)]
        return dict(zip(forward_node.outputs, same))


# The states loops made so far, by op: a rewrite (rewrite/scan_memory.py) lets the
# forward loop read its results from its states loop instead of running twice.
STATES_LOOPS: weakref.WeakKeyDictionary[Scan, StatesOf] = weakref.WeakKeyDictionary()


def final_value(history: Variable, shared: Variable) -> Variable:
    """A shared variable's value after the loop: its history's last row, or, if the
    loop ran no step, its value before.  (Row n - 1, not -1: a rewrite keeps only
    the last step of an output read as out[-1], which does not exist with no step.)"""
    n = history.shape[0]
    return ifelse(T.gt(n, 0), history[n - 1], shared)


@dataclass
class StatesLoop:
    """The loop rebuilt with the shared tensors it updates as states."""

    node: Apply  # the new Scan node
    carried: list[int]  # positions of those shared variables among the old loop's
    kept: list[int]  # the other shared variables' positions (random generators)


def with_shared_as_states(op: Scan, inputs: list[Variable]) -> StatesLoop:
    """The same loop, the same body, each updated shared tensor now a state with
    tap -1: its inner slot and new value move from the shared group to the states."""
    carried = carried_tensors(op)
    kept = [k for k in range(op.n_shared) if k not in carried]
    of = StatesOf(op, carried, kept)
    slots, outs = op.inner_slots(), op.fgraph.outputs
    n_out = op.n_states + op.n_nit_sot
    inner_in = slots.sequence_slots() + slots.state_slots()
    inner_in += [slots.shared[k] for k in carried] + [slots.shared[k] for k in kept]
    inner_in += slots.non_sequences
    inner_out = list(outs[:op.n_states]) + [outs[n_out + k] for k in carried]
    inner_out += list(outs[op.n_states:n_out]) + [outs[n_out + k] for k in kept]
    inner_out += [outs[-1]] if op.until else []
    states_op = Scan(inner_in, inner_out, seq_taps=op.seq_taps,
                     state_taps=[*op.state_taps, *[(-1,)] * len(carried)],
                     n_nit_sot=op.n_nit_sot, n_shared=len(kept), n_non_seqs=op.n_non_seqs,
                     has_n_steps=op.has_n_steps, go_backwards=op.go_backwards,
                     truncate_gradient=op.truncate_gradient, name=op.name, mode=op.mode,
                     step=op.step, until=op.until)
    STATES_LOOPS[states_op] = of
    return StatesLoop(states_op.make_node(*of.inputs(inputs)), carried, kept)


def shared_states_grad(op: Scan, inputs: list[Variable],
                       output_grads: list[Variable]) -> list[Variable]:
    """The gradient of a loop that updates shared tensors, through the loop that
    keeps their histories (see the module's docstring)."""
    from minitheano.scan.grad import scan_grad, steps_taken

    loop = with_shared_as_states(op, inputs)
    node, carried = loop.node, loop.carried
    n_out = op.n_states + op.n_nit_sot
    histories = node.outputs[op.n_states:op.n_states + len(carried)]
    finals = [output_grads[n_out + k] for k in carried]
    # The final value is the history's last row: its gradient starts the carry there.
    grads = list(output_grads[:op.n_states])
    grads += [T.inc_subtensor(T.zeros_like(h)[-1], g) if _flows(g) else disconnected_type()
              for h, g in zip(histories, finals)]
    grads += list(output_grads[op.n_states:n_out])
    grads += [output_grads[n_out + k] for k in loop.kept]
    result = scan_grad(node.op, list(node.inputs), list(node.outputs), grads)

    # Back to the old loop's inputs: its shared variables in their own order.
    first = (1 if op.has_n_steps else 0) + op.n_seqs + op.n_states
    before, after = result[:first], result[first + op.n_shared:]
    by_position = dict(zip(carried + loop.kept, result[first:first + op.n_shared]))
    n = steps_taken(node.op, list(node.inputs), list(node.outputs))
    for k, g_final in zip(carried, finals):
        if _flows(g_final):  # with no step at all, the final value is the initial one
            unchanged = ifelse(T.eq(n, 0), g_final, T.zeros_like(g_final))
            g = by_position[k]
            by_position[k] = unchanged if is_disconnected(g) else g + unchanged
    return before + [by_position[k] for k in range(op.n_shared)] + after
