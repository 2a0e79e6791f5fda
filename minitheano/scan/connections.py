"""Which outputs of a loop can depend on which of its inputs (chapter 7).

`grad` asks every op for its connection pattern, to tell a zero gradient from
no gradient at all.  For a Scan node the answer comes from its body, closed
over the recurrence: an output that reads the state h[t-1] depends on
whatever h depends on, and on h's initial value.
"""

from __future__ import annotations

from minitheano.graph.basic import Apply, Variable, graph_inputs
from minitheano.scan.op import Scan


def connection_pattern(op: Scan, node: Apply) -> list[list[bool]]:
    """[outer input][outer output]: can the output depend on the input at all?

    Inner dependencies, closed over the recurrence: an output that reads state
    h[t-1] depends on whatever h depends on, and on h's initial value.
    """
    inner_out = op.fgraph.outputs[:len(node.outputs)]
    slots = op.inner_slots()
    first = 1 if op.has_n_steps else 0
    plain: dict[Variable, int] = {}  # inner input -> its outer input
    initial: dict[Variable, int] = {}  # a state's inner input -> its outer initial value
    source: dict[Variable, int] = {}  # -> the inner output that feeds it back
    for i, taps in enumerate(slots.sequences):
        plain.update((slot, first + i) for slot in taps)
    first += op.n_seqs
    for j, taps in enumerate(slots.states):
        initial.update((slot, first + j) for slot in taps)
        source.update((slot, j) for slot in taps)
    first += op.n_states
    n_out = op.n_states + op.n_nit_sot
    for s, slot in enumerate(slots.shared):
        initial[slot], source[slot] = first + s, n_out + s
    first += op.n_shared
    plain.update((slot, first + m) for m, slot in enumerate(slots.non_sequences))
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
                elif v in initial:
                    new.add(initial[v])
                    new |= deps[source[v]]
            if new != deps[o]:
                deps[o], changed = new, True
    return [[i in deps[o] for o in range(len(inner_out))] for i in range(len(node.inputs))]
