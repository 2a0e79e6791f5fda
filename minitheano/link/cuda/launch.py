"""How each CUDA kernel is launched: the grid, the block and the arguments (chapter 6).

A kernel printed by link/cuda/printer.py is only half of the story: the host
decides, for each call, how many threads run it and what numbers they get.
That decision is made here, in Python, once per call, and it is the same
whoever runs the kernel (the CPU emulator or a real GPU through PyCUDA), so
the emulator runs exactly the grid the GPU would.

Chapter 8's layers, several launches each, are planned by layer_launch.py
from the same pieces.

The arrays are "device arrays" of a `Device` (link/cuda/device.py): objects
with a shape, a dtype, strides in bytes and an address.  For the emulator
they are numpy arrays; for PyCUDA, GPUArrays.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from minitheano.link.cuda.printer import MAX_BLOCK, TILE, WARP, CudaPrinter
from minitheano.tensor.kernel import (
    CrossentropyGradKernel,
    CrossentropyKernel,
    CrossentropySoftmaxDxKernel,
    CrossentropySoftmaxKernel,
    DotKernel,
    ElemwiseKernel,
    GemmKernel,
    Kernel,
    ReduceKernel,
    ShapeKernel,
    SoftmaxKernel,
    ViewKernel,
)

ELEMWISE_BLOCK = 256   # threads per block of a grid-stride kernel
MAX_GRID = 1024        # blocks of a grid-stride kernel: each thread then takes several elements


class ContextError(ValueError):
    """A device array of one context handed to another: device memory belongs to
    the context that allocated it, and crosses to another only through the host."""


def context_message(x: Any, have: Any, want: Any) -> str:
    return (f"{x!r} lives in device context {have}, but was given to context {want}: "
            "device arrays do not move between contexts; copy it through the host "
            "(to_host, then to_device of the other context)")


@dataclass(frozen=True)
class Launch:
    """One kernel launch: which function, grid (x, y), block (x, y), the arguments."""
    function: str
    grid: tuple[int, int]
    block: tuple[int, int]
    args: tuple[Any, ...]


@dataclass
class Plan:
    """What one node's call does: its launches, its outputs, and a flag the
    kernels set on bad input (None when they cannot): a word of host memory the
    device writes directly (`device.flag()`), so reading it is no transfer.  `inputs` keeps the
    input arrays alive as long as the plan: the launches hold only their
    addresses, and memory freed before the launch would be read as garbage."""
    launches: list[Launch]
    outputs: list[Any]
    flag: Any = None
    inputs: list[Any] = field(default_factory=list)
    # Arrays some launches write for later ones to read (conv's patch matrix): kept
    # alive like `inputs`, and compared by the emulator's reruns like `outputs`.
    scratch: list[Any] = field(default_factory=list)
    # What a set flag means: a class index out of range, or (ValueError) an
    # element a scalar op refuses; the node's perform then says which, in its words.
    flag_error: type[Exception] = IndexError


def grid_blocks(n: int, block: int) -> int:
    """Blocks of `block` threads for n threads' work: at least 1, at most MAX_GRID
    (a grid-stride kernel's threads then take several elements each)."""
    return min(max((n + block - 1) // block, 1), MAX_GRID)


def reduction_block(n: int) -> int:
    """The block size for folding n elements: the power of two covering n,
    between one warp and MAX_BLOCK (no idle warps for short runs)."""
    size = WARP
    while size < n and size < MAX_BLOCK:
        size *= 2
    return size


def element_strides(array: Any) -> list[int]:
    """The strides of a device array counted in elements."""
    itemsize = np.dtype(array.dtype).itemsize
    if any(s % itemsize for s in array.strides):
        raise ValueError(f"strides {array.strides} are not multiples of the item size")
    return [s // itemsize for s in array.strides]


def is_c_contiguous(shape: tuple[int, ...], strides: list[int]) -> bool:
    expected = 1
    for n, s in zip(reversed(shape), reversed(strides)):
        if n != 1 and s != expected:
            return False
        expected *= n
    return True


# --8<-- [start:merge]
def merge_dimensions(shape: list[int],
                     strides: list[list[int]]) -> tuple[list[int], list[list[int]]]:
    """Fewer, longer dimensions for the same walk: drop length-1 dimensions, and
    join dimension d to d-1 when every array steps over d-1 exactly as over a
    whole run of d (stride[d-1] == stride[d] * shape[d])."""
    keep = [d for d, n in enumerate(shape) if n != 1]
    new_shape, new_strides = [], [[] for _ in strides]
    for d in keep:
        if new_shape and all(s[-1] == a[d] * shape[d] for s, a in zip(new_strides, strides)):
            new_shape[-1] *= shape[d]
            for s, a in zip(new_strides, strides):
                s[-1] = a[d]
        else:
            new_shape.append(shape[d])
            for s, a in zip(new_strides, strides):
                s.append(a[d])
    return new_shape, new_strides
# --8<-- [end:merge]


def plan(device: Any, name: str, kernel: Kernel, inputs: list[Any]) -> Plan:
    """The launches computing `kernel` (printed under `name`) on device arrays `inputs`."""
    planned = node_plan(device, name, kernel, inputs)
    planned.inputs = [*inputs, *planned.inputs]  # with any copy the launches read
    return planned


def node_plan(device: Any, name: str, kernel: Kernel, inputs: list[Any]) -> Plan:
    """`plan` less the inputs it holds: the launches, outputs and any copies."""
    if isinstance(kernel, ElemwiseKernel):
        return _elemwise(device, name, kernel, inputs)
    if isinstance(kernel, ReduceKernel):
        return _reduce(device, name, kernel, inputs[0])
    if isinstance(kernel, SoftmaxKernel):
        return _softmax(device, name, kernel, inputs[0])
    if isinstance(kernel, CrossentropyKernel):
        return _crossentropy(device, name, kernel, inputs)
    if isinstance(kernel, CrossentropyGradKernel):
        return _crossentropy_grad(device, name, kernel, inputs)
    if isinstance(kernel, CrossentropySoftmaxKernel):
        return _crossentropy_softmax(device, name, kernel, inputs)
    if isinstance(kernel, CrossentropySoftmaxDxKernel):
        return _crossentropy_softmax_dx(device, name, kernel, inputs)
    if isinstance(kernel, ViewKernel):
        return Plan([], [_view(device, kernel, inputs[0])])
    if isinstance(kernel, ShapeKernel):
        out = device.empty((), "int64")
        n = int(inputs[0].shape[kernel.dim])
        return Plan([Launch(name, (1, 1), (1, 1), (n, device.address(out)))], [out])
    if isinstance(kernel, DotKernel):
        return _dot(device, name, kernel, inputs)
    if isinstance(kernel, GemmKernel):
        return _gemm(device, name, kernel, inputs)
    raise NotImplementedError(f"no CUDA launch for {type(kernel).__name__}")


def _elemwise(device: Any, name: str, k: ElemwiseKernel, inputs: list[Any]) -> Plan:
    shape = [1] * k.ndim
    for x, op in zip(inputs, k.inputs):
        for d, n in enumerate(x.shape):
            if op.broadcastable[d] and n != 1:
                raise ValueError(f"input of shape {x.shape} has length {n} along dimension "
                                 f"{d}, declared broadcastable (length 1)")
            if n != 1:
                if shape[d] not in (1, n):
                    raise ValueError(f"shapes {[tuple(i.shape) for i in inputs]} do not "
                                     f"broadcast together (dimension {d})")
                shape[d] = n
    for x in inputs:  # a length-0 dimension wins over length 1
        for d, n in enumerate(x.shape):
            if n == 0:
                shape[d] = 0
    outputs = [device.empty(tuple(shape), op.dtype) for op in k.outputs]
    n = int(np.prod(shape))
    flag = device.flag() if _reports_errors(k) else None
    if n == 0:
        return Plan([], outputs, flag, flag_error=ValueError)
    looped = [x for x, op in zip(inputs, k.inputs) if not op.is_scalar]
    grid = (grid_blocks(n, ELEMWISE_BLOCK), 1)
    pointers = [device.address(x) for x in inputs] + [device.address(y) for y in outputs]
    if flag is not None:
        pointers.append(device.flag_address(flag))
    if all(tuple(x.shape) == tuple(shape) and is_c_contiguous(x.shape, element_strides(x))
           for x in looped):
        return Plan([Launch(f"{name}_c", grid, (ELEMWISE_BLOCK, 1), (n, *pointers))], outputs,
                    flag, flag_error=ValueError)
    strides = [[0 if x.shape[d] == 1 else s for d, s in enumerate(element_strides(x))]
               for x in looped]
    strides += [element_strides(y) for y in outputs]
    merged, merged_strides = merge_dimensions(shape, strides)
    pad = k.ndim - len(merged)  # the kernel has k.ndim dimensions: leading ones of length 1
    merged = [1] * pad + merged
    merged_strides = [[0] * pad + s for s in merged_strides]
    args = (n, *merged, *[s for per_array in merged_strides for s in per_array], *pointers)
    return Plan([Launch(f"{name}_s", grid, (ELEMWISE_BLOCK, 1), args)], outputs, flag,
                flag_error=ValueError)


@functools.cache
def _reports_errors(k: ElemwiseKernel) -> bool:
    """Does the kernel take a flag for values its scalar ops refuse?"""
    return bool(CudaPrinter().checks(k.program))


def _reduce(device: Any, name: str, k: ReduceKernel, x: Any) -> Plan:
    strides = element_strides(x)
    kept_shape = [x.shape[d] for d in k.kept]
    red_shape = [x.shape[d] for d in k.axes]
    n_out, n_red = int(np.prod(kept_shape)), int(np.prod(red_shape))
    if n_red == 0 and n_out > 0 and k.op in ("maximum", "minimum", "argmax", "argmin"):
        raise ValueError(f"zero-size array to reduction operation {k.op} which has no identity")
    out = device.empty(tuple(kept_shape), k.out_dtype)
    if n_out == 0:
        return Plan([], [out])
    args = (n_out, n_red, *kept_shape, *[strides[d] for d in k.kept], *red_shape,
            *[strides[d] for d in k.axes], device.address(x), device.address(out))
    launch = Launch(name, (min(n_out, MAX_GRID), 1), (reduction_block(n_red), 1), args)
    return Plan([launch], [out])


def _rows(device: Any, x: Any) -> tuple[Any, int, int, int]:
    """x seen as rows along its last axis: (x, or a contiguous copy when its
    leading dimensions cannot be walked with one stride; rows; row stride; column stride)."""
    shape, strides = list(x.shape), element_strides(x)
    if len(shape) == 1:
        return x, 1, 0, strides[0]
    lead, lead_strides = merge_dimensions(shape[:-1], [strides[:-1]])
    if len(lead) > 1:
        x = device.contiguous(x)
        return _rows(device, x)
    rows = int(np.prod(shape[:-1]))
    return x, rows, lead_strides[0][0] if lead else 0, strides[-1]


def _softmax(device: Any, name: str, k: SoftmaxKernel, x: Any) -> Plan:
    out = device.empty(tuple(x.shape), k.input.dtype)
    x, rows, xr, xc = _rows(device, x)
    m = x.shape[-1]
    if rows * m == 0:
        if rows and not m:
            raise ValueError("softmax of an empty row: its max is undefined")
        return Plan([], [out])
    launch = Launch(name, (min(rows, MAX_GRID), 1), (reduction_block(m), 1),
                    (rows, m, xr, xc, device.address(x), device.address(out)))
    return Plan([launch], [out], inputs=[x])  # x may be a copy: held while the launch runs


def _crossentropy(device: Any, name: str, k: CrossentropyKernel, inputs: list[Any]) -> Plan:
    coding, y = inputs
    rows, classes = coding.shape
    if y.shape[0] != rows:
        raise ValueError(f"{rows} rows of probabilities but {y.shape[0]} class indices")
    out = device.empty((rows,), k.coding.dtype)
    flag = device.flag()
    if rows == 0:
        return Plan([], [out], flag)
    cs, ys = element_strides(coding), element_strides(y)
    args = (rows, classes, cs[0], cs[1], ys[0], device.address(coding), device.address(y),
            device.address(out), device.flag_address(flag))
    return Plan([Launch(name, (grid_blocks(rows, ELEMWISE_BLOCK), 1), (ELEMWISE_BLOCK, 1), args)],
                [out], flag)


def _crossentropy_grad(device: Any, name: str, k: CrossentropyGradKernel,
                       inputs: list[Any]) -> Plan:
    return _gradient_by_rows(device, name, k.coding.dtype, inputs)


def _gradient_by_rows(device: Any, name: str, dtype: str, inputs: list[Any]) -> Plan:
    """Both cross-entropy gradients: (g, probabilities, class indices) in, one
    thread per element of the (rows, classes) result."""
    g, probs, y = inputs
    rows, classes = probs.shape
    if y.shape[0] != rows or g.shape[0] != rows:
        raise ValueError(f"{rows} rows of probabilities, {y.shape[0]} class indices and "
                         f"{g.shape[0]} gradients")
    out = device.empty((rows, classes), dtype)
    flag = device.flag()
    if rows * classes == 0:
        return Plan([], [out], flag)
    gs, ps, ys = element_strides(g), element_strides(probs), element_strides(y)
    args = (rows, classes, gs[0], ps[0], ps[1], ys[0], device.address(g),
            device.address(probs), device.address(y), device.address(out),
            device.flag_address(flag))
    grid = (grid_blocks(rows * classes, ELEMWISE_BLOCK), 1)
    return Plan([Launch(name, grid, (ELEMWISE_BLOCK, 1), args)], [out], flag)


def _crossentropy_softmax(device: Any, name: str, k: CrossentropySoftmaxKernel,
                          inputs: list[Any]) -> Plan:
    x, y = inputs
    rows, m = x.shape
    if y.shape[0] != rows:
        raise ValueError(f"{rows} rows of logits but {y.shape[0]} class indices")
    if rows and not m:
        raise ValueError("softmax of an empty row: its max is undefined")
    loss, sm = device.empty((rows,), k.logits.dtype), device.empty((rows, m), k.logits.dtype)
    flag = device.flag()
    if rows == 0:
        return Plan([], [loss, sm], flag)
    xs, ys = element_strides(x), element_strides(y)
    args = (rows, m, xs[0], xs[1], ys[0], device.address(x), device.address(y),
            device.address(loss), device.address(sm), device.flag_address(flag))
    launch = Launch(name, (min(rows, MAX_GRID), 1), (reduction_block(m), 1), args)
    return Plan([launch], [loss, sm], flag)


def _crossentropy_softmax_dx(device: Any, name: str, k: CrossentropySoftmaxDxKernel,
                             inputs: list[Any]) -> Plan:
    return _gradient_by_rows(device, name, k.sm.dtype, inputs)


def _view(device: Any, k: ViewKernel, x: Any) -> Any:
    """DimShuffle of a device array: the same memory with other dimensions.
    A new dimension ('x') has length 1 (its stride does not matter); a dropped
    one must have length 1."""
    kept = {d for d in k.new_order if d != "x"}
    for d, n in enumerate(x.shape):
        if d not in kept and n != 1:
            raise ValueError(f"DimShuffle{{{','.join(map(str, k.new_order))}}}: cannot drop "
                             f"dimension {d} of length {n} (only broadcastable ones)")
    shape = tuple(1 if d == "x" else x.shape[d] for d in k.new_order)
    strides = tuple(0 if d == "x" else x.strides[d] for d in k.new_order)
    return device.view(x, shape, strides)


def _dot(device: Any, name: str, k: DotKernel, inputs: list[Any]) -> Plan:
    a, b = inputs
    if a.shape[1] != b.shape[0]:
        raise ValueError(f"Dot: shapes {tuple(a.shape)} and {tuple(b.shape)} are not aligned")
    rows, inner, cols = a.shape[0], a.shape[1], b.shape[1]
    out = device.empty((rows, cols), k.dtype)
    if rows * cols == 0:
        return Plan([], [out])
    sa, sb = element_strides(a), element_strides(b)
    grid = ((cols + TILE - 1) // TILE, (rows + TILE - 1) // TILE)
    args = (rows, cols, inner, sa[0], sa[1], sb[0], sb[1], device.address(a),
            device.address(b), device.address(out))
    return Plan([Launch(name, grid, (TILE, TILE), args)], [out])


def _gemm(device: Any, name: str, k: GemmKernel, inputs: list[Any]) -> Plan:
    """b*z + a*(x . y): the tiled product's launch, with z and the scalars added
    (z's strides, then z, a and b, before the output)."""
    z, a, x, y, b = inputs
    if x.shape[1] != y.shape[0] or tuple(z.shape) != (x.shape[0], y.shape[1]):
        raise ValueError(f"Gemm: shapes do not fit: Z {tuple(z.shape)}, X {tuple(x.shape)}, "
                         f"Y {tuple(y.shape)} (Z must be X's rows by Y's columns)")
    product = _dot(device, name, DotKernel(k.x, k.y, k.dtype), [x, y])
    if not product.launches:  # an empty result
        return product
    (launch,) = product.launches
    sz = element_strides(z)
    args = (*launch.args[:-1], sz[0], sz[1], device.address(z), device.address(a),
            device.address(b), launch.args[-1])
    return Plan([Launch(name, launch.grid, launch.block, args)], product.outputs)
