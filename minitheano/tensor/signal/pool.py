"""pool_2d: each window of an image reduced to one number (chapter 8).

    out = pool_2d(images, ws=(2, 2), ignore_border=True, mode='max')

The last two dimensions of the input are pooled, whatever comes before
(batch, channels).  Windows of `ws` rows and columns start every `stride`
(default: `ws`, windows side by side) in the image padded by `pad` zeros,
and each gives one output:

    max              the largest pixel
    sum              the sum
    average_inc_pad  the sum divided by the window's size, padding included
    average_exc_pad  the average of the window's pixels inside the image

Padding never wins a max.  With `ignore_border=False` (Theano's default,
kept for compatibility) the windows that run off the bottom or right edge
are kept, cut short; with True they are dropped.

The forward pass and both gradients compute window by *tap*: for a fixed
offset (a, b) inside the window, the pixels it meets in all windows are one
strided slice of the image, so a 2x2 pool is 4 vectorized numpy operations
whatever the image's size.  In FAST_RUN the ops run the C loops of
pool_c.py instead, also tap by tap.  Measured by bench/pool_strategies.py
(2x2 pooling of 128 x 20 channels of 24x24, float32, CPU time per call):

    max pooling              numpy ~1.2 ms   C ~1.2 ms
    its gradient             numpy ~9-11 ms  C ~2.5 ms
    average pooling          numpy ~1.5 ms   C ~1.0 ms
    its gradient             numpy ~2.2 ms   C ~1.2 ms

numpy's forward pass is already a few vectorized passes; the C gains most
where numpy needs temporaries (the max's gradient builds several masks).

Max pooling's gradient goes to the *first* largest pixel of each window
(row by row): a valid subgradient, and the same in C and Python.  (Theano's
went to every pixel tied for the max, which counts a tie twice.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.null import grad_undefined
from minitheano.graph.op import Op
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.kernel import PoolKernel
from minitheano.tensor.signal import pool_c
from minitheano.tensor.type import TensorType, TensorVariable

MODES = ("max", "sum", "average_inc_pad", "average_exc_pad")


@dataclass(frozen=True)
class Window:
    """Pooling along one axis of `length` pixels: windows of `size`, `stride` apart,
    in the image padded by `pad` on both sides."""
    size: int
    stride: int
    pad: int
    length: int
    ignore_border: bool

    @property
    def count(self) -> int:
        """How many windows (Theano's rule for the ones cut short by the edge)."""
        padded = self.length + 2 * self.pad
        # --8<-- [start:ex-ch08-pool-count]
        if self.ignore_border:
            return max((padded - self.size) // self.stride + 1, 0)
        if self.stride >= self.size:
            return (padded - 1) // self.stride + 1
        return max(0, (padded - 1 - self.size + self.stride) // self.stride) + 1
        # --8<-- [end:ex-ch08-pool-count]

    @property
    def extent(self) -> int:
        """Rows an array needs for every window to fit in full (cut-short ones included)."""
        return max(self.length + 2 * self.pad, (self.count - 1) * self.stride + self.size)

    def tap(self, a: int) -> slice:
        """The pixels (of an array `extent` long) that offset `a` meets in every window."""
        if self.count == 0:  # no window at all (its stop would count from the end)
            return slice(a, a)
        return slice(a, a + self.stride * (self.count - 1) + 1, self.stride)

    def divisors(self, mode: str) -> np.ndarray:
        """For each window, how many of its pixels an average divides by."""
        start = np.arange(self.count) * self.stride
        end = np.minimum(start + self.size, self.length + 2 * self.pad)
        if mode == "average_exc_pad":  # only the pixels inside the image
            start = np.maximum(start, self.pad)
            end = np.minimum(end, self.pad + self.length)
        return end - start


def symbolic_count(length: Any, size: int, stride: int, pad: int, ignore_border: bool) -> Any:
    """Window.count on a symbolic length (for infer_shape)."""
    padded = length + 2 * pad
    if ignore_border:
        return _T.maximum((padded - size) // stride + 1, 0)
    if stride >= size:
        return (padded - 1) // stride + 1
    return _T.maximum(0, (padded - 1 - size + stride) // stride) + 1


class PoolBase(Op):
    """The parameters the pooling ops share, their windows, and their C."""

    __props__ = ("ws", "ignore_border", "stride", "pad", "mode")

    def __init__(self, ws: Any, ignore_border: bool = False, stride: Any = None,
                 pad: Any = (0, 0), mode: str = "max") -> None:
        self.ws = _pair(ws, "ws", minimum=1)
        self.stride = self.ws if stride is None else _pair(stride, "stride", minimum=1)
        self.pad = _pair(pad, "pad", minimum=0)
        self.ignore_border = bool(ignore_border)
        if mode == "average":  # Theano's alias
            mode = "average_inc_pad"
        if mode not in MODES:
            raise ValueError(f"pool_2d: mode must be one of {MODES}, got {mode!r}")
        self.mode = mode
        if self.pad != (0, 0) and not self.ignore_border:
            raise ValueError(f"pool_2d: padding (pad={self.pad}) needs ignore_border=True")
        if self.pad[0] >= self.ws[0] or self.pad[1] >= self.ws[1]:
            raise ValueError(f"pool_2d: pad={self.pad} must be smaller than the window "
                             f"ws={self.ws} (a window of padding only has no value)")

    def params(self) -> tuple:
        """The constructor's arguments: the pooling ops of one layer share them."""
        return (self.ws, self.ignore_border, self.stride, self.pad, self.mode)

    def windows(self, shape: tuple[int, ...]) -> tuple[Window, Window]:
        return tuple(Window(self.ws[d], self.stride[d], self.pad[d], shape[-2 + d],
                            self.ignore_border) for d in range(2))

    def out_shape(self, shape: tuple) -> tuple:
        """The pooled shape, from a shape that may be symbolic."""
        return (*shape[:-2], *(symbolic_count(shape[-2 + d], self.ws[d], self.stride[d],
                                              self.pad[d], self.ignore_border)
                               for d in range(2)))

    def extended(self, x: np.ndarray, rows: Window, cols: Window, fill: float) -> np.ndarray:
        """`x` inside an array big enough for every window, `fill` around it."""
        ext = np.full((*x.shape[:-2], rows.extent, cols.extent), fill, dtype=x.dtype)
        ext[..., rows.pad:rows.pad + rows.length, cols.pad:cols.pad + cols.length] = x
        return ext

    def inside(self, ext: np.ndarray, rows: Window, cols: Window) -> np.ndarray:
        """The image itself in an extended array (padding and overhang cut off)."""
        return ext[..., rows.pad:rows.pad + rows.length, cols.pad:cols.pad + cols.length]

    def __str__(self) -> str:
        return f"{type(self).__name__}{{{self.mode}, ws={self.ws}, stride={self.stride}}}"

    def c_source(self, node: Apply) -> str | None:
        return pool_c.SOURCE if node.outputs[0].dtype in ("float32", "float64") else None

    def c_thunk(self, node: Apply, lib: Any, input_cells: list, output_cells: list) -> Any:
        run = pool_c.function(lib, type(self).__name__)

        def thunk() -> None:
            inputs = [cell[0] for cell in input_cells]
            self.check(inputs)
            output_cells[0][0] = run(self, inputs)
        return thunk

    # device=cuda: a thread per window, or per pixel for the gradients, printed by
    # chapter 6's printer (link/cuda/windows.py), launched by link/cuda/layer_launch.py.
    def kernel(self, node: Apply) -> PoolKernel | None:
        if self.c_source(node) is None:  # where there is no C (MaxPoolGradGrad), no CUDA
            return None
        return PoolKernel(self.mode, node.outputs[0].dtype, self.ws, self.stride, self.pad,
                          self.ignore_border, grad=not isinstance(self, Pool))

    def check(self, inputs: list) -> None:
        """Refuse what the kernel would misread (the op's own rules at run time)."""

    def perform(self, node, inputs, output_storage):
        self.check(inputs)
        output_storage[0][0] = self.compute(*inputs)


class Pool(PoolBase):
    """The pooling itself: input -> pooled."""

    def make_node(self, x: Any) -> Apply:
        x = _float_input(self, x)
        out = TensorType(x.dtype, (*x.broadcastable[:-2], False, False))
        return Apply(self, [x], [out()])

    def compute(self, x: np.ndarray) -> np.ndarray:
        rows, cols = self.windows(x.shape)
        if self.mode == "max":
            ext = self.extended(x, rows, cols, -np.inf)
            out = np.full((*x.shape[:-2], rows.count, cols.count), -np.inf, dtype=x.dtype)
        else:
            ext = self.extended(x, rows, cols, 0)
            out = np.zeros((*x.shape[:-2], rows.count, cols.count), dtype=x.dtype)
        for a in range(self.ws[0]):
            for b in range(self.ws[1]):
                values = ext[..., rows.tap(a), cols.tap(b)]
                if self.mode == "max":
                    np.maximum(out, values, out=out)
                else:
                    out += values
        if self.mode.startswith("average"):
            out /= np.outer(rows.divisors(self.mode), cols.divisors(self.mode))
        return out

    def infer_shape(self, fgraph, node, input_shapes):
        return [self.out_shape(input_shapes[0])]

    def L_op(self, inputs, outputs, output_grads):
        (x,), (out,), (gz,) = inputs, outputs, output_grads
        params = self.params()
        if self.mode == "max":
            return [MaxPoolGrad(*params)(x, out, gz)]
        return [AveragePoolGrad(*params)(x, gz)]

    def R_op(self, inputs, eval_points):
        (x,), (ev,) = inputs, eval_points
        if ev is None:
            return [None]
        if self.mode == "max":  # each window moves as its largest pixel moves
            return [MaxPoolGradGrad(*self.params())(x, self(x), ev)]
        return [self(ev)]  # linear


class MaxPoolGrad(PoolBase):
    """The gradient of max pooling: (input, pooled, output gradient) -> each
    window's gradient added at its first largest pixel."""

    def make_node(self, x: Any, out: Any, gz: Any) -> Apply:
        x, out, gz = (_float_input(self, v) for v in (x, out, gz))
        return Apply(self, [x, out, gz], [x.type()])

    def check(self, inputs: list) -> None:
        _check_pooled(self, inputs[0], inputs[1], "pooled output")
        _check_pooled(self, inputs[0], inputs[2], "output gradient")

    def compute(self, x: np.ndarray, out: np.ndarray, gz: np.ndarray) -> np.ndarray:
        rows, cols = self.windows(x.shape)
        ext = self.extended(x, rows, cols, -np.inf)
        real = self.extended(np.ones(x.shape, dtype=bool), rows, cols, False)
        grad = np.zeros(ext.shape, dtype=x.dtype)
        taken = np.zeros(out.shape, dtype=bool)  # windows whose max was found already
        # --8<-- [start:ex-ch08-maxpool-grad]
        for a in range(self.ws[0]):
            for b in range(self.ws[1]):
                r, c = rows.tap(a), cols.tap(b)
                hit = (ext[..., r, c] == out) & real[..., r, c] & ~taken
                grad[..., r, c] += np.where(hit, gz, 0)
                taken |= hit
        # --8<-- [end:ex-ch08-maxpool-grad]
        return np.ascontiguousarray(self.inside(grad, rows, cols))

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, output_grads):
        x, out, gz = inputs
        (ggx,) = output_grads
        params = self.params()
        # Moving x a little moves no max to another pixel: the routing is constant.
        return [_T.zeros_like(x), _T.zeros_like(out), MaxPoolGradGrad(*params)(x, out, ggx)]


class MaxPoolGradGrad(PoolBase):
    """MaxPoolGrad's gradient with respect to the output gradient: (input,
    pooled, g) -> g read at each window's first largest pixel.  Python only."""

    def make_node(self, x: Any, out: Any, ggx: Any) -> Apply:
        x, out, ggx = (_float_input(self, v) for v in (x, out, ggx))
        return Apply(self, [x, out, ggx], [out.type()])

    def c_source(self, node: Apply) -> None:
        return None

    def check(self, inputs: list) -> None:
        x, out, ggx = inputs
        _check_pooled(self, x, out, "pooled output")
        if ggx.shape != x.shape:
            raise ValueError(f"{self}: the gradient has shape {ggx.shape}, but the input "
                             f"has shape {x.shape}")

    def compute(self, x: np.ndarray, out: np.ndarray, ggx: np.ndarray) -> np.ndarray:
        rows, cols = self.windows(x.shape)
        ext = self.extended(x, rows, cols, -np.inf)
        real = self.extended(np.ones(x.shape, dtype=bool), rows, cols, False)
        gg = self.extended(ggx, rows, cols, 0)
        result = np.zeros(out.shape, dtype=x.dtype)
        taken = np.zeros(out.shape, dtype=bool)
        for a in range(self.ws[0]):
            for b in range(self.ws[1]):
                r, c = rows.tap(a), cols.tap(b)
                hit = (ext[..., r, c] == out) & real[..., r, c] & ~taken
                result += np.where(hit, gg[..., r, c], 0)
                taken |= hit
        return result

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[1]]

    def grad(self, inputs, output_grads):
        return [grad_undefined(self, k, v, "third derivatives of max pooling")
                for k, v in enumerate(inputs)]


class AveragePoolGrad(PoolBase):
    """The gradient of sum and average pooling: (input, output gradient) -> each
    window's gradient (divided as the pooling divided) added on its pixels."""

    def make_node(self, x: Any, gz: Any) -> Apply:
        x, gz = _float_input(self, x), _float_input(self, gz)
        return Apply(self, [x, gz], [x.type()])

    def check(self, inputs: list) -> None:
        _check_pooled(self, inputs[0], inputs[1], "output gradient")

    def compute(self, x: np.ndarray, gz: np.ndarray) -> np.ndarray:
        rows, cols = self.windows(x.shape)
        if self.mode.startswith("average"):
            gz = gz / np.outer(rows.divisors(self.mode), cols.divisors(self.mode))
        grad = np.zeros((*x.shape[:-2], rows.extent, cols.extent), dtype=x.dtype)
        for a in range(self.ws[0]):
            for b in range(self.ws[1]):
                grad[..., rows.tap(a), cols.tap(b)] += gz
        return np.ascontiguousarray(self.inside(grad, rows, cols))

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def grad(self, inputs, output_grads):
        x, gz = inputs
        (ggx,) = output_grads
        params = self.params()
        # Linear in gz, and its transpose is the pooling itself.
        return [_T.zeros_like(x), Pool(*params)(ggx)]


DownsampleFactorMaxGradGrad = MaxPoolGradGrad  # Theano's name


def pool_2d(input: Any, ws: Any = None, ignore_border: bool | None = None, stride: Any = None,
            pad: Any = (0, 0), mode: str = "max", ds: Any = None, st: Any = None,
            padding: Any = None) -> TensorVariable:
    """Pool the last two dimensions of `input` (Theano 1.0's signature; `ds`, `st`
    and `padding` are the older names of `ws`, `stride` and `pad`)."""
    ws = _renamed(ws, ds, "ws", "ds")
    stride = _renamed(stride, st, "stride", "st")
    if padding is not None:
        if tuple(pad) != (0, 0):
            raise ValueError("pool_2d: give pad or its old name padding, not both")
        pad = padding
    if ws is None:
        raise ValueError("pool_2d: the window size ws is required")
    if ignore_border is None:
        ignore_border = False  # Theano 1.0's default (it warned that it would change)
    return Pool(ws, ignore_border, stride, pad, mode)(input)


# -- helpers --------------------------------------------------------------------------------
def _pair(value: Any, what: str, minimum: int) -> tuple[int, int]:
    try:
        pair = tuple(int(v) for v in value)
    except TypeError:
        pair = ()
    if len(pair) != 2 or min(pair) < minimum:
        raise ValueError(f"pool_2d: {what} must be a pair of ints >= {minimum}, got {value!r}")
    return pair


def _renamed(new: Any, old: Any, new_name: str, old_name: str) -> Any:
    if old is None:
        return new
    if new is not None:
        raise ValueError(f"pool_2d: give {new_name} or its old name {old_name}, not both")
    return old


def _float_input(op: Op, x: Any) -> TensorVariable:
    x = as_tensor_variable(x)
    if x.ndim < 2:
        raise ValueError(f"{op}: pools the last two dimensions, so the input needs at least "
                         f"2, got {x.type} (ndim {x.ndim})")
    if not x.dtype.startswith("float"):
        raise TypeError(f"{op}: needs floats, got {x.type}; cast it first")
    return x


def _check_pooled(op: PoolBase, x: np.ndarray, pooled: np.ndarray, what: str) -> None:
    """`pooled` (the pooling's output, or its gradient) must have the pooled shape of x."""
    rows, cols = op.windows(x.shape)
    expected = (*x.shape[:-2], rows.count, cols.count)
    if pooled.shape != expected:
        raise ValueError(f"{op}: the {what} has shape {pooled.shape}, but pooling an "
                         f"input of shape {x.shape} gives {expected}")


# The graph functions used above need the whole tensor package, which is
# complete by the time anything here runs.
import minitheano.tensor as _T  # noqa: E402
