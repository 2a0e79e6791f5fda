"""Which nodes run as compiled kernels (chapters 5 and 6).

The descriptions themselves are plain data defined in tensor/kernel.py, and
each op says what its node computes through its own `kernel(node)` method
(Elemwise, CAReduce, Softmax, Dot...).  `describe` is the one question a
linker asks: the node's description, or None when it runs its Python
`perform` (shape ops, anything that is not a loop over elements).
"""

from __future__ import annotations

from minitheano.graph.basic import Apply
from minitheano.tensor.kernel import (
    CrossentropyGradKernel,
    CrossentropyKernel,
    DotKernel,
    ElemwiseKernel,
    Kernel,
    Operand,
    ReduceKernel,
    ScalarProgram,
    SoftmaxKernel,
    Step,
    operand,
    scalar_program,
)

# Beyond this many arrays a kernel's argument list gets silly (CUDA limits it
# too); such a node runs in Python.
MAX_OPERANDS = 32


def describe(node: Apply) -> Kernel | None:
    """The kernel description of `node` (its op's `kernel(node)`), or None when it has none."""
    if len(node.inputs) + len(node.outputs) > MAX_OPERANDS:
        return None
    if not all(hasattr(v.type, "broadcastable") for v in node.inputs + node.outputs):
        return None
    return node.op.kernel(node)


__all__ = ["CrossentropyGradKernel", "CrossentropyKernel", "DotKernel", "ElemwiseKernel",
           "Kernel", "Operand", "ReduceKernel", "ScalarProgram", "SoftmaxKernel", "Step",
           "describe", "operand", "scalar_program"]
