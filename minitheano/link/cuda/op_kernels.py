"""Ops that bring their own CUDA kernels (chapters 6 and 8).

Most CUDA in minitheano is printed from kernel descriptions (printer.py).
A few ops are not one loop over elements but a short sequence of kernels:
conv2d copies patches (im2col), multiplies two matrices and puts the result
in order; pooling walks windows; the random generator fills an array from a
counter.  Such an op carries its CUDA itself, as it carries its C
(link/c/op_thunks.py), with two methods:

    cuda_source(node) -> the CUDA text of its kernels (None: no CUDA for this node)
    cuda_thunk(node, gpu, input_cells, output_cells) -> the node's thunk

`gpu` is an `OpKernels`: the op's module compiled for this process's device
(the CPU emulator here, PyCUDA on a GPU), and the few things a thunk needs
from the device: new arrays, addresses, and `launch(kernel, grid, block,
args, writes)`.  The op decides its grids itself, in Python, so the emulator
runs exactly the launches a GPU would.

The op's text follows chapter 6's habits: every kernel is
`extern "C" __global__ void name(...)` on one line, with `long` scalars and
pointers as parameters (one argument list for cuLaunchKernel and the
emulator).  The heads are read back from the text here, so an op writes
each signature once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from minitheano.graph.basic import Apply, Variable
from minitheano.link.cuda.launch import (
    ELEMWISE_BLOCK,
    MAX_GRID,
    Launch,
    Plan,
    element_strides,
    is_c_contiguous,
)
from minitheano.link.cuda.printer import CudaFunction

_HEAD = re.compile(r'extern "C" __global__ void (\w+)\(([^)]*)\)')
# A kernel that synchronizes its threads runs on fibers in the emulator.
_SYNCHRONIZING = ("__syncthreads", "_sync(")


def functions(source: str) -> list[CudaFunction]:
    """The kernels of an op's CUDA text: name, parameters, text, whether they synchronize."""
    heads = list(_HEAD.finditer(source))
    found = []
    for k, head in enumerate(heads):
        end = heads[k + 1].start() if k + 1 < len(heads) else len(source)
        text = source[head.start():end]
        params = []
        for param in head.group(2).split(","):
            ctype, name = param.strip().rsplit(" ", 1)
            while name.startswith("*"):  # `float *x` written as `float * x` or `float *x`
                ctype, name = ctype + " *", name[1:]
            params.append((ctype.strip(), name))
        found.append(CudaFunction(head.group(1), tuple(params), text,
                                  any(s in text for s in _SYNCHRONIZING)))
    if not found:
        raise ValueError("an op's CUDA text has no `extern \"C\" __global__ void` kernel")
    return found


_MODULES: dict[tuple[Any, str], Any] = {}


def compiled(device: Any, source: str) -> Any:
    """`source` compiled for `device` (a module belongs to its device's context),
    once per process."""
    key = (device, source)
    if key not in _MODULES:
        _MODULES[key] = device.module(source, functions(source))
    return _MODULES[key]


class OpKernels:
    """What an op's CUDA thunk is given: its compiled kernels on a device."""

    def __init__(self, device: Any, source: str, check: bool = True) -> None:
        self.device = device
        self.module = compiled(device, source)
        self.check = check  # the emulator reruns synchronizing kernels, compared

    def empty(self, shape: tuple[int, ...], dtype: Any) -> Any:
        return self.device.empty(tuple(int(n) for n in shape), str(dtype))

    def zeros(self, shape: tuple[int, ...], dtype: Any) -> Any:
        return self.device.zeros(tuple(int(n) for n in shape), str(dtype))

    def address(self, x: Any) -> int:
        return self.device.address(x)

    def to_host(self, x: Any) -> Any:
        return self.device.to_host(x)

    def c_order(self, x: Any) -> Any:
        """`x` itself when it is C-contiguous, else a C-contiguous copy on the device."""
        if is_c_contiguous(tuple(x.shape), element_strides(x)):
            return x
        return self.device.contiguous(x)

    def launch(self, kernel: str, grid: tuple[int, int], block: tuple[int, int],
               args: Sequence[Any], writes: Sequence[Any]) -> None:
        """Run `kernel` on a grid of blocks; `writes` are the arrays it writes
        (the emulator compares them between its reruns)."""
        plan = Plan([Launch(kernel, tuple(grid), tuple(block), tuple(args))], list(writes))
        self.device.run(self.module, plan, self.check)

    def each(self, kernel: str, total: int, args: Sequence[Any], writes: Sequence[Any],
             threads: int | None = None) -> None:
        """Run a grid-stride kernel over `total` elements, `total` its first argument
        (as chapter 6's elementwise kernels: any grid covers any count).  The
        grid is sized for `threads` threads (default: one per element); none: no launch."""
        threads = total if threads is None else threads
        if threads == 0:
            return
        blocks = min((threads + ELEMWISE_BLOCK - 1) // ELEMWISE_BLOCK, MAX_GRID)
        self.launch(kernel, (blocks, 1), (ELEMWISE_BLOCK, 1), [total, *args], writes)


def own_cuda(node: Apply) -> str | None:
    """The CUDA text the node's op brings, or None."""
    source = getattr(node.op, "cuda_source", None)
    return source(node) if source is not None else None


def op_kernel_thunk(node: Apply, op_node: Apply, device: Any, storage: dict[Variable, list]
                    ) -> Callable[[], None]:
    """The thunk of Gpu node `node`, whose op's own node is `op_node`."""
    gpu = OpKernels(device, own_cuda(op_node))
    return op_node.op.cuda_thunk(op_node, gpu, [storage[v] for v in node.inputs],
                                 [storage[v] for v in node.outputs])
