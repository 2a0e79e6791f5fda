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

from minitheano.graph.basic import Apply, Constant, Variable
from minitheano.graph.fg import FunctionGraph
from minitheano.link.cuda import layer_launch
from minitheano.link.cuda.launch import ContextError
from minitheano.link.cuda.printer import CudaFunction, CudaPrinter
from minitheano.link.cuda.transfer import (
    GpuFromHost,
    GpuKernelOp,
    HostFromGpu,
    insert_transfers,
)
from minitheano.link.kernel import describe
from minitheano.tensor.kernel import Kernel, ShapeKernel, ViewKernel

Thunk = Callable[[], None]


class CudaModule:
    """Kernels printed into one CUDA module, compiled for `device`, named k0, k1..."""

    def __init__(self, kernels: Sequence[Kernel], device: Any) -> None:
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
        Raises IndexError (a class index out of range) or ValueError (an element
        a scalar op refuses) when a kernel flags bad input."""
        plan = layer_launch.plan(self.device, f"k{i}", self.kernels[i], list(inputs))
        self.device.run(self.compiled, plan, check)
        if plan.flag is not None and self.device.flag_is_set(plan.flag):
            what = "a class index is out of range" if plan.flag_error is IndexError \
                else "an input its scalar ops refuse"
            raise plan.flag_error(f"kernel k{i}: {what}")
        return plan.outputs


def cuda_kernel(node: Apply) -> Kernel | None:
    """The node's kernel when the CUDA printer has text for it, else None."""
    kernel = describe(node)
    if kernel is not None:
        try:
            CudaPrinter().functions("probe", kernel)
        except NotImplementedError:
            return None
    return kernel


def on_gpu(node: Apply, on_device: Callable[[Variable], bool]) -> bool:
    """Should the transfer rewrite move this node onto the device?  Any node with
    a CUDA kernel, except those that only look at an array's shape (a view, a
    length): they move only when their array is on the device already
    (`on_device`), where they save the trip to the host; a host array would be
    moved in for nothing."""
    if isinstance(node.op, (GpuKernelOp, GpuFromHost, HostFromGpu)):
        return False
    kernel = cuda_kernel(node)
    if isinstance(kernel, (ViewKernel, ShapeKernel)):
        return on_device(node.inputs[0])
    return kernel is not None


def prepare_graph(fgraph: FunctionGraph) -> None:
    """Put the nodes that have CUDA kernels on the device, transfers around them."""
    insert_transfers(fgraph, on_gpu)


def cuda_thunks(order: Sequence[Apply], storage: dict[Variable, list],
                device: Any) -> list[Thunk | None]:
    """A thunk for each Gpu node and transfer of `order` (None for the host nodes)."""
    gpu_nodes = [n for n in order if isinstance(n.op, GpuKernelOp)]
    # Each node's kernel is described once: a kernel holding a NaN constant is not
    # equal to a second description of itself (NaN != NaN), so it is found by identity.
    node_kernels = {n: cuda_kernel(n) for n in gpu_nodes}
    kernels = list(dict.fromkeys(node_kernels.values()))
    module = CudaModule(kernels, device) if kernels else None
    thunks: list[Thunk | None] = []
    for node in order:
        ins, outs = [storage[v] for v in node.inputs], [storage[v] for v in node.outputs]
        if node in node_kernels:
            thunks.append(_kernel_thunk(node, module, kernels.index(node_kernels[node]),
                                        ins, outs))
        elif isinstance(node.op, GpuFromHost) and isinstance(node.inputs[0], Constant):
            thunks.append(_constant_thunk(node, outs[0], device))
        elif isinstance(node.op, GpuFromHost):
            thunks.append(_copy_thunk(ins[0], outs[0], device.to_device, node.outputs[0]))
        elif isinstance(node.op, HostFromGpu):
            thunks.append(_copy_thunk(ins[0], outs[0], device.to_host, None))
        else:
            thunks.append(None)
    return thunks


def _constant_thunk(node: Apply, out: list, device: Any) -> Thunk:
    """A constant is moved to the device once, when the function is made, and
    stays there: every call hands the kernels the same device array (they never
    write their inputs)."""
    value = device.to_device(np.asarray(node.inputs[0].data), node.outputs[0].type.dtype)

    def thunk() -> None:
        out[0] = value
    return thunk


def _copy_thunk(src: list, dst: list, copy: Callable, to: Variable | None) -> Thunk:
    if to is None:
        def thunk() -> None:
            dst[0] = copy(src[0])
    else:
        dtype = to.type.dtype

        def thunk() -> None:
            dst[0] = copy(np.asarray(src[0]), dtype)
    return thunk


def _kernel_thunk(node: Apply, module: CudaModule, i: int, in_cells: list[list],
                  out_cells: list[list]) -> Thunk:
    device = module.device

    def thunk() -> None:
        values = [c[0] for c in in_cells]
        try:
            outs = module.run(i, values)
        except ContextError:
            raise  # not bad input: there is no host answer to give
        except (ValueError, IndexError):
            # Bad input: the op's own perform says what is wrong, in its words.
            host = [device.to_host(v) for v in values]
            node.op.perform(node, host, [[None] for _ in out_cells])
            raise
        for cell, out in zip(out_cells, outs):
            cell[0] = out

    return thunk
