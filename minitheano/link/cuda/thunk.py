"""The CUDA linker: one CUDA module per function, and thunks that launch its kernels
(chapter 6).

`CudaModule(kernels, device)` prints kernel descriptions into one CUDA module
(one compile per function, as chapter 5's C module) and runs them on a
device: a real GPU through PyCUDA (link/cuda/pycuda_device.py) or the CPU
emulator (link/cuda/emulator.py), behind the same four questions (allocate,
address, copy, launch).

`cuda_thunks(order, storage)` gives every node that has a CUDA kernel a
thunk that moves its inputs to the device, launches, and brings the outputs
back; the other nodes keep their Python thunks, on the host.  Which moves
happen is visible in the compiled graph (link/cuda/transfer.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply, Variable
from minitheano.link.cuda import launch
from minitheano.link.cuda.printer import CudaFunction, CudaPrinter
from minitheano.link.kernel import describe
from minitheano.tensor.kernel import Kernel

Thunk = Callable[[], None]


class CudaModule:
    """Kernels printed into one CUDA module, compiled for `device`, named k0, k1..."""

    def __init__(self, kernels: Sequence[Kernel], device: Any, titles: Sequence[str] = ()) -> None:
        printer = CudaPrinter()
        self.kernels = list(kernels)
        self.functions: list[CudaFunction] = []
        for i, kernel in enumerate(self.kernels):
            self.functions += printer.functions(f"k{i}", kernel)
        self.source = printer.module(self.functions)
        self.device = device
        self.compiled = device.module(self.source, self.functions)

    def run(self, i: int, inputs: Sequence[Any], check: bool = True) -> list[Any]:
        """Kernel i on device arrays `inputs`; its output device arrays.
        Raises ValueError when a kernel flags bad input (a class index out of range)."""
        plan = launch.plan(self.device, f"k{i}", self.kernels[i], list(inputs))
        self.device.run(self.compiled, plan, check)
        if plan.flag is not None and int(self.device.to_host(plan.flag)[0]):
            raise IndexError(f"kernel k{i}: a class index is out of range")
        return plan.outputs


def printable_kernels(order: Sequence[Apply]) -> list[Kernel | None]:
    """Each node's kernel when the CUDA printer has text for it, else None."""
    result = []
    for node in order:
        kernel = describe(node)
        if kernel is not None:
            try:
                CudaPrinter().functions("probe", kernel)
            except NotImplementedError:
                kernel = None
        result.append(kernel)
    return result


def cuda_thunks(order: Sequence[Apply], storage: dict[Variable, list],
                device: Any) -> list[Thunk | None]:
    """A thunk for each node of `order` with a CUDA kernel (None for the others)."""
    node_kernels = printable_kernels(order)
    distinct = list(dict.fromkeys(k for k in node_kernels if k is not None))
    if not distinct:
        return [None] * len(order)
    module = CudaModule(distinct, device)
    index = {k: i for i, k in enumerate(distinct)}
    return [None if k is None else
            _thunk(node, module, index[k], [storage[v] for v in node.inputs],
                   [storage[v] for v in node.outputs])
            for node, k in zip(order, node_kernels)]


def _thunk(node: Apply, module: CudaModule, i: int, in_cells: list[list],
           out_cells: list[list]) -> Thunk:
    device = module.device
    dtypes = [v.type.dtype for v in node.inputs]

    def thunk() -> None:
        values = [np.asarray(c[0]) for c in in_cells]
        try:
            outs = module.run(i, [device.to_device(v, d) for v, d in zip(values, dtypes)])
        except (ValueError, IndexError):
            # Bad input: the op's own perform says what is wrong, in its words.
            node.op.perform(node, values, [[None] for _ in out_cells])
            raise
        for cell, out in zip(out_cells, outs):
            cell[0] = device.to_host(out)

    return thunk
