"""The products a loop saves for its gradient (chapter 9).

Backpropagation through time (scan/grad.py) runs the forward body again at every
backward step, on the states the forward loop saved: whatever else the gradient
needs is computed a second time.  For an LSTM that is the gates' input,
pre = x[t] W + h[t-1] U, whose sigmoids' derivatives the gradient reads: one more
32x128 by 128x512 product per backward step, a third of that step's products.

Elementwise work is cheap to do again; a product is not.  So when the backward
step reads a product of the body (or the sum it is added into, which the forward
body's Gemm computes in the same call), the gradient is taken of the same loop
with that value as one more output, a row per step, and the backward loop reads
it as it reads the states (`_use_saved` in scan/grad.py): no product is computed
twice.  The rebuilt loop computes everything the loop as written does: a rewrite
(rewrite/scan_memory.py, `scan_forward_from_saving_loop`) has the latter read its
results from the former, and the loop runs once.  (Without that rewrite both
run: the same values, more time.)
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from minitheano.graph.basic import Apply, Variable, graph_inputs
from minitheano.scan.op import Scan
from minitheano.tensor.elemwise import Elemwise
from minitheano.tensor.math import Dot
from minitheano.tensor.type import TensorType


@dataclass
class SavingOf:
    """A loop rebuilt to save products: which loop, and which of its `products` it
    saves (its outputs that are not fed back, after the loop's own)."""

    forward: Scan
    saved: tuple[int, ...]  # positions in products(forward)

    @property
    def n_saved(self) -> int:
        return len(self.saved)

    def forward_outputs(self, forward_node: Apply, saving_node: Apply
                        ) -> dict[Variable, Variable]:
        """{each output of the loop as written: the same value, from the saving loop}."""
        n_out = self.forward.n_states + self.forward.n_nit_sot
        outs = saving_node.outputs
        same = list(outs[:n_out]) + list(outs[n_out + self.n_saved:])
        return dict(zip(forward_node.outputs, same))


# The saving loops made so far, by op: the rewrite finds the loop as written by this.
SAVING_LOOPS: weakref.WeakKeyDictionary[Scan, SavingOf] = weakref.WeakKeyDictionary()


def products(op: Scan) -> list[Variable]:
    """The body's products that change from step to step, each as the value to save:
    the sum it is added into when that sum is its only reader, else the product."""
    fgraph = op.fgraph
    slots = op.inner_slots()
    moving = set(slots.sequence_slots() + slots.state_slots() + slots.shared)
    outputs = set(fgraph.outputs)
    found: list[Variable] = []
    for node in fgraph.toposort():
        if not isinstance(node.op, Dot):
            continue
        value = node.outputs[0]
        if not moving.intersection(graph_inputs([value])):
            continue  # the same at every step: hoisted out of the loop, not saved
        clients = fgraph.clients.get(value, [])
        if len(clients) == 1 and _is_sum(clients[0][0]):
            value = clients[0][0].outputs[0]
        if value not in outputs and value not in found and isinstance(value.type, TensorType):
            found.append(value)
    return found


def _is_sum(node: Apply | str) -> bool:
    return (node != "output" and isinstance(node.op, Elemwise)
            and node.op.scalar_op.name == "add" and len(node.inputs) == 2)


def can_save(op: Scan) -> bool:
    """Loops rebuilt here: not one that is itself rebuilt (a saving loop, or the loop
    with its shared tensors as states, whose rewrite must find it), nor one that
    updates shared variables."""
    from minitheano.scan.grad_shared import STATES_LOOPS

    return op.n_shared == 0 and op not in SAVING_LOOPS and op not in STATES_LOOPS


def saving_loop(op: Scan, inputs: list[Variable], saved: list[Variable]) -> Apply:
    """The loop of `op` on `inputs`, with the body's variables `saved` as more
    outputs that are not fed back (a row per step), after its own."""
    n_out = op.n_states + op.n_nit_sot
    outs = op.fgraph.outputs
    new_op = Scan(op.fgraph.inputs, [*outs[:n_out], *saved, *outs[n_out:]],
                  seq_taps=op.seq_taps, state_taps=op.state_taps,
                  n_nit_sot=op.n_nit_sot + len(saved), n_shared=op.n_shared,
                  n_non_seqs=op.n_non_seqs, has_n_steps=op.has_n_steps,
                  go_backwards=op.go_backwards, truncate_gradient=op.truncate_gradient,
                  name=op.name, mode=op.mode, step=op.step, until=op.until)
    found = products(op)
    SAVING_LOOPS[new_op] = SavingOf(op, tuple(found.index(v) for v in saved))
    return new_op.make_node(*inputs)
