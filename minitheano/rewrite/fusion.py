"""Elementwise fusion: a chain of elementwise ops becomes one loop (chapter 3).

`tanh(dot(x, W) + b) * 2` applies three elementwise ops; run one at a time,
each reads and writes a whole array, so the data crosses memory three times.
Fusion replaces the three nodes by one `Elemwise(Composite)` whose scalar op
is the little graph `tanh(i0 + i1) * 2`: one pass, no intermediate arrays.
In Python the gain is small (fewer nodes to dispatch); in chapter 5 the
Composite is printed as the body of one C loop, and there it is large.

The rewrite walks the graph from the outputs back.  Each elementwise node
absorbs the elementwise nodes that compute its inputs, as long as

* the producer's result is read by this group only (else it would have to be
  computed anyway, and computing it twice is no gain), and is not an output;
* it has the same number of dimensions (a DimShuffle between them breaks the
  chain: it changes which element is read where);
* the group keeps at most MAX_INPUTS inputs and MAX_NODES scalar ops.

Constants that are one number are written into the Composite instead of
being inputs.
"""

from __future__ import annotations

from minitheano.graph.basic import Apply, Variable, clone_get_equiv, toposort
from minitheano.graph.fg import FunctionGraph
from minitheano.rewrite.canonicalize import owned_only_by
from minitheano.rewrite.engine import GlobalRewrite
from minitheano.rewrite.patterns import scalar_constant
from minitheano.scalar.basic import ScalarType
from minitheano.scalar.composite import Composite
from minitheano.tensor.elemwise import Elemwise

# A fused loop reads each input through a pointer and one stride per
# dimension.  Chapter 6 passes those to a CUDA kernel, whose arguments must
# fit in 4 KB: 32 inputs of up to 8 dimensions take ~2.3 KB, leaving room for
# outputs.  Past a few dozen inputs a loop is limited by memory, not by the
# number of passes, so a bigger group would gain little anyway.
MAX_INPUTS = 32
# A Composite's name, and in chapter 5 its C loop body, spell out every op.
# A body of 100 ops already saves 99% of the passes over memory, so a longer
# chain (a 700-step unrolled recurrence) is cut into several loops.
MAX_NODES = 100


def size(node: Apply) -> int:
    """How many scalar ops `node` puts into a Composite."""
    op = node.op.scalar_op
    return len(op.nodes) if isinstance(op, Composite) else 1


def fusable(node: Apply | None) -> bool:
    """Can `node` be part of a fused group?"""
    # --8<-- [start:ex-ch03-fusion-eligible]
    return (node is not None and isinstance(node.op, Elemwise)
            and not node.op.inplace_pattern and len(node.outputs) == 1)
    # --8<-- [end:ex-ch03-fusion-eligible]


class Group:
    """The nodes fused into one, grown from `root` towards the inputs."""

    def __init__(self, fgraph: FunctionGraph, root: Apply) -> None:
        self.fgraph = fgraph
        self.root = root
        self.ndim = root.outputs[0].type.ndim
        self.members: set[Apply] = {root}
        self.size = size(root)
        self.inputs: list[Variable] = []
        # Variables still to decide on: absorb their node, or make them inputs.
        pending = list(reversed(root.inputs))
        while pending:
            var = pending.pop()
            if var in self.inputs or scalar_constant(var) is not None:
                continue
            node = var.owner
            # At most MAX_INPUTS inputs, counting those still pending.
            room = MAX_INPUTS - len(self.inputs) - len(set(pending) - set(self.inputs))
            if (fusable(node) and var.type.ndim == self.ndim and len(node.inputs) <= room
                    and self.size + size(node) <= MAX_NODES and owned_only_by(fgraph, var)):
                self.members.add(node)
                self.size += size(node)
                pending.extend(reversed(node.inputs))
            else:
                self.inputs.append(var)

    def composite(self) -> Composite:
        """The Composite computing the root's output from the group's inputs."""
        scalars: dict[Variable, Variable] = {v: ScalarType(v.type.dtype)() for v in self.inputs}
        # The members, inputs first: each node's scalar twin reads the twins of its inputs.
        for node in toposort(self.root.outputs, stop_at=self.inputs):
            for var in node.inputs:
                if var not in scalars:  # a one-number constant, written in
                    scalars[var] = ScalarType(var.type.dtype).make_constant(scalar_constant(var))
            args = [scalars[v] for v in node.inputs]
            op = node.op.scalar_op
            if isinstance(op, Composite):  # inline it: keep one flat scalar graph
                equiv = clone_get_equiv(op.inputs, op.outputs, memo=dict(zip(op.inputs, args)))
                scalars[node.outputs[0]] = equiv[op.outputs[0]]
            else:
                scalars[node.outputs[0]] = op.make_node(*args).outputs[0]
        return Composite([scalars[v] for v in self.inputs], [scalars[self.root.outputs[0]]])


def fuse_elemwise(fgraph: FunctionGraph) -> int:
    """Replace each maximal group of elementwise nodes by one Elemwise(Composite);
    safe: an elementwise op computes each element from the same elements of its inputs."""
    count = 0
    for node in reversed(fgraph.toposort()):
        if node not in fgraph.apply_nodes or not fusable(node):
            continue
        group = Group(fgraph, node)
        if len(group.members) < 2 or not group.inputs:
            continue
        new = Elemwise(group.composite())(*group.inputs)
        fgraph.replace(node.outputs[0], new, reason="fusion")
        count += 1
    return count


fusion_rewrite = GlobalRewrite(fuse_elemwise, "fusion")
