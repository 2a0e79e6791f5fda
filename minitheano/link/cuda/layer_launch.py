"""How chapter 8's layers are launched: conv2d, pool_2d and the Philox draws (chapters 6, 8).

The kernels are printed by chapter 6's printer (windows.py, counter_rng.py);
this module is their host side, as launch.py is for the others: it reads the
shapes, checks that they fit, computes the geometry the kernels are given as
`long` parameters, allocates the outputs, and lists the launches.

conv2d is several launches, each a description chapter 6 already plans:

    forward        patches = im2col(images)            (k, c*kh*kw) . (c*kh*kw, n*oh*ow)
                   product = filters . patches         then the copy puts images first:
                   out = copy of product seen (n, k, oh, ow)
    grad_weights   d filters = top_matrix . patches^T  (patches^T: the same memory,
                                                        strides swapped)
    grad_inputs    d images = col2im(filters^T . top_matrix)

where top_matrix, the output gradient as (k, n*oh*ow), is the elementwise copy
of the gradient seen with its first two axes swapped.  The product is `T.dot`'s
tiled kernel and its launch (launch.py), the copy any elementwise copy's.

A shape that does not fit raises ValueError; the CUDA thunk then runs the
op's perform on the host, which names what was wrong in the op's words.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.link.cuda import launch
from minitheano.link.cuda.counter_rng import VALUES_PER_BLOCK
from minitheano.link.cuda.launch import (
    ELEMWISE_BLOCK,
    Launch,
    Plan,
    element_strides,
    is_c_contiguous,
)
from minitheano.tensor.kernel import ConvKernel, Kernel, PhiloxKernel, PoolKernel
from minitheano.tensor.nnet.conv_geometry import axes, check_shapes, check_top
from minitheano.tensor.signal.pool import Window


def plan(device: Any, name: str, kernel: Kernel, inputs: list[Any]) -> Plan:
    """The launches computing `kernel` (printed under `name`) on device arrays
    `inputs`: chapter 8's layers here, every other kernel by launch.plan."""
    if isinstance(kernel, ConvKernel):
        planned = _conv(device, name, kernel, inputs)
    elif isinstance(kernel, PoolKernel):
        planned = _pool(device, name, kernel, inputs)
    elif isinstance(kernel, PhiloxKernel):
        planned = _philox(device, name, kernel, inputs)
    else:
        planned = launch.node_plan(device, name, kernel, inputs)
    planned.inputs = [*inputs, *planned.inputs]  # with the copies the launches read
    return planned


def _grid_stride(name: str, total: int, args: list[Any], threads: int | None = None
                 ) -> list[Launch]:
    """A grid-stride kernel's launch over `total` elements (its first argument),
    sized for `threads` threads (default: one per element); none for no thread."""
    threads = total if threads is None else threads
    if threads == 0:
        return []
    blocks = launch.grid_blocks(threads, ELEMWISE_BLOCK)
    return [Launch(name, (blocks, 1), (ELEMWISE_BLOCK, 1), (total, *args))]


def _c_order(device: Any, x: Any) -> Any:
    """`x` itself when it is C-contiguous, else a C-contiguous copy on the device."""
    return x if is_c_contiguous(tuple(x.shape), element_strides(x)) else device.contiguous(x)


def _matrix(device: Any, x: Any, rows: int, cols: int, transposed: bool = False) -> Any:
    """The C-ordered memory of `x` seen as a (rows, cols) matrix, or as the
    transpose of one (cols, rows): the same memory, the two strides swapped."""
    item = np.dtype(x.dtype).itemsize
    if transposed:
        return device.view(x, (cols, rows), (item, cols * item))
    return device.view(x, (rows, cols), (cols * item, item))


# -- conv2d ----------------------------------------------------------------------------
class _Conv:
    """One conv2d call being planned: its geometry, and the launches and arrays
    gathered so far: `scratch`, those a launch writes for a later one to read (the
    emulator compares them after each synchronizing launch), and `held`, those
    the launches only read (copies, views), kept alive as long as the plan."""

    def __init__(self, device: Any, name: str, k: ConvKernel, image_shape: tuple[int, ...],
                 filter_shape: tuple[int, ...]) -> None:
        self.device, self.name, self.k = device, name, k
        self.rows, self.cols = axes(k.border_mode, k.subsample, k.dilation,
                                    tuple(filter_shape[2:]))
        check_shapes(image_shape, filter_shape, self.rows, self.cols, f"conv2d ({k.pass_})")
        for declared, actual in ((k.imshp, image_shape), (k.kshp, filter_shape)):
            if declared is not None and any(d is not None and d != a
                                            for d, a in zip(declared, actual)):
                raise ValueError(f"conv2d: shape {actual}, but {declared} was declared")
        self.image_shape = image_shape
        self.n, self.k_out = image_shape[0], filter_shape[0]
        self.oh = self.rows.out_length(image_shape[2])
        self.ow = self.cols.out_length(image_shape[3])
        self.p = image_shape[1] * self.rows.taps * self.cols.taps  # rows of the patches
        self.q = self.n * self.oh * self.ow                         # their columns
        self.launches: list[Launch] = []
        self.scratch: list[Any] = []
        self.held: list[Any] = []

    def geometry(self) -> list[int]:
        """windows.GEOMETRY: N, C, H, W, KH, KW, OH, OW, PH, PW, SH, SW, DH, DW."""
        r, c = self.rows, self.cols
        return [int(v) for v in (*self.image_shape, r.taps, c.taps, self.oh, self.ow, r.pad,
                                 c.pad, r.stride, c.stride, r.dilation, c.dilation)]

    def patches(self, images: Any) -> Any:
        """im2col: the (p, q) matrix of the images' windows."""
        cols = self.device.empty((self.p, self.q), self.k.dtype)
        self.scratch.append(cols)
        self.held.append(images)  # perhaps a C-ordered copy: alive until it is read
        self.launches += _grid_stride(f"{self.name}_patches", self.p * self.q, [
            *self.geometry(), self.device.address(images), self.device.address(cols)])
        return cols

    def unpatches(self, columns: Any) -> Any:
        """col2im: an image batch, each pixel the sum of the columns' entries on it."""
        images = self.device.empty(self.image_shape, self.k.dtype)
        self.launches += _grid_stride(f"{self.name}_patches", int(np.prod(self.image_shape)), [
            *self.geometry(), self.device.address(columns), self.device.address(images)])
        return images

    def product(self, a: Any, b: Any) -> Any:
        """a . b by the tiled product's launch (launch.py), a fresh C-ordered matrix."""
        planned = launch.plan(self.device, f"{self.name}_product",
                              self.k.parts()["product"], [a, b])
        self.launches += planned.launches
        self.held += planned.inputs
        self.scratch += planned.outputs
        return planned.outputs[0]

    def swap01(self, x: Any) -> Any:
        """A C-ordered copy of the 4-d `x` with its first two axes swapped: the
        elementwise copy of `x` seen through swapped strides."""
        shape, strides = tuple(x.shape), tuple(x.strides)
        view = self.device.view(x, (shape[1], shape[0], *shape[2:]),
                                (strides[1], strides[0], *strides[2:]))
        planned = launch.plan(self.device, f"{self.name}_copy", self.k.parts()["copy"], [view])
        self.launches += planned.launches
        self.held += [*planned.inputs, *planned.outputs]
        return planned.outputs[0]

    def done(self, out: Any) -> Plan:
        return Plan(self.launches, [out], scratch=self.scratch, inputs=self.held)


def _conv(device: Any, name: str, k: ConvKernel, inputs: list[Any]) -> Plan:
    if k.pass_ == "forward":
        images, filters = (_c_order(device, x) for x in inputs)
        conv = _Conv(device, name, k, tuple(images.shape), tuple(filters.shape))
        patches = conv.patches(images)
        product = conv.product(_matrix(device, filters, conv.k_out, conv.p), patches)
        # (k, n, oh, ow) in memory; the output wants the images first.
        return conv.done(conv.swap01(_shaped(device, product,
                                             (conv.k_out, conv.n, conv.oh, conv.ow))))
    first, top, size = inputs
    size = tuple(int(s) for s in device.to_host(size))
    first = _c_order(device, first)
    if k.pass_ == "grad_weights":
        shapes = (tuple(first.shape), (top.shape[1], first.shape[1], *size))
    else:
        shapes = ((top.shape[0], first.shape[1], *size), tuple(first.shape))
    conv = _Conv(device, name, k, *shapes)
    check_top(f"conv2d ({k.pass_})", tuple(top.shape),
              (conv.n, conv.k_out, conv.oh, conv.ow))
    top_matrix = _matrix(device, conv.swap01(top), conv.k_out, conv.q)
    if k.pass_ == "grad_weights":
        patches = conv.patches(first)
        # (k, q) . (q, p): the transposed patches are the same memory read with swapped
        # strides (no kernel transposes them).
        # --8<-- [start:ex-ch08-gpu-transpose]
        transposed = _matrix(device, patches, conv.p, conv.q, transposed=True)
        # --8<-- [end:ex-ch08-gpu-transpose]
        d_filters = conv.product(top_matrix, transposed)
        return conv.done(_shaped(device, d_filters, shapes[1]))
    # grad_inputs: (p, k) . (k, q), each column then added back onto its patch.
    columns = conv.product(_matrix(device, first, conv.k_out, conv.p, transposed=True),
                           top_matrix)
    return conv.done(conv.unpatches(columns))


def _shaped(device: Any, x: Any, shape: tuple[int, ...]) -> Any:
    """A C-ordered `x` seen with another shape of the same size."""
    item = np.dtype(x.dtype).itemsize
    return device.view(x, shape, tuple(int(np.prod(shape[d + 1:])) * item
                                       for d in range(len(shape))))


# -- pool_2d ---------------------------------------------------------------------------
def _pool(device: Any, name: str, k: PoolKernel, inputs: list[Any]) -> Plan:
    """Pooling: a thread per window; its gradient: a thread per pixel.  The
    geometry is a convolution's with one channel, every leading axis counted as
    the batch, and dilation 1."""
    inputs = [_c_order(device, x) for x in inputs]
    x = inputs[0]
    lead, (h, w) = tuple(x.shape[:-2]), x.shape[-2:]
    rows, cols = (Window(k.ws[d], k.stride[d], k.pad[d], int(x.shape[-2 + d]),
                         k.ignore_border) for d in range(2))
    pooled = (*lead, rows.count, cols.count)
    for y in inputs[1:]:
        if tuple(y.shape) != pooled:
            raise ValueError(f"pool_2d gradient: got an array of shape {tuple(y.shape)}, "
                             f"pooling {tuple(x.shape)} gives {pooled}")
    geometry = [int(np.prod(lead)), 1, h, w, k.ws[0], k.ws[1], rows.count, cols.count,
                k.pad[0], k.pad[1], k.stride[0], k.stride[1], 1, 1]
    out = device.empty(tuple(x.shape) if k.grad else pooled, k.dtype)
    # Average gradients read the output gradient only: x gives nothing but its shape.
    read = inputs if not k.grad or k.mode == "max" else inputs[-1:]
    total = int(np.prod(out.shape))
    args = [*map(int, geometry), *[device.address(v) for v in read], device.address(out)]
    return Plan(_grid_stride(name, total, args), [out], inputs=inputs)


# -- the Philox draws ------------------------------------------------------------------
def _philox(device: Any, name: str, k: PhiloxKernel, inputs: list[Any]) -> Plan:
    """A thread per block of four words; one at least, to move the state on."""
    state, size = inputs
    shape = tuple(int(s) for s in device.to_host(size))
    if len(shape) != k.ndim or min(shape, default=0) < 0:
        raise ValueError(f"size {list(shape)} is not a shape of {k.ndim} dimensions")
    state = _c_order(device, state)
    next_state, out = device.empty((2,), "uint64"), device.empty(shape, k.dtype)
    n = int(np.prod(shape))
    threads = max(-(-n // VALUES_PER_BLOCK[k.dtype]), 1)
    args = [device.address(state), device.address(next_state), device.address(out)]
    return Plan(_grid_stride(name, n, args, threads), [next_state, out], inputs=[state])

