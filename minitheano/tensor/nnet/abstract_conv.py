"""conv2d: the 2-d convolution of a batch of images with a bank of filters (chapter 8).

    out = T.nnet.conv2d(images, filters, border_mode='half', subsample=(2, 2))

images  (batch, channels, rows, columns)
filters (output channels, channels, filter rows, filter columns)
out     (batch, output channels, out rows, out columns)

    out[n, k, i, j] = sum over c, a, b of
        x_padded[n, c, i*stride + a*dilation, j*stride + b*dilation] * w[k, c, a, b]

with w the filters flipped in both spatial axes when `filter_flip` (a true
convolution, Theano's default) and taken as they are otherwise (the
cross-correlation that most libraries call convolution).

Three ops, as in Theano: `AbstractConv2d` (the forward pass), and its two
gradients, `AbstractConv2d_gradWeights` (with respect to the filters) and
`AbstractConv2d_gradInputs` (with respect to the images).  Each gradient is
an op of its own because each is one matrix product around im2col (im2col.py)
and its gradients are the other two ops: the three are closed under
differentiation, so second derivatives come for free.

In FAST_RUN the three run with C im2col/col2im (conv_c.py) around numpy's
BLAS matrix product.  Measured by bench/conv_strategies.py on LeNet's first
layer (a batch of 128 28x28 images, 20 5x5 filters, float32; CPU time per
call with BLAS on one thread, on the 2-core machine the book is built on):

    direct C loops (6 nested, -O3, no BLAS)    ~17.5 ms
    numpy im2col + BLAS (perform)               ~5.9 ms
    C im2col + BLAS, scratch kept (FAST_RUN)    ~2.2 ms

Direct loops do the same multiply-adds as the product, but BLAS blocks them
for the caches and the vector units: the product itself takes ~1.3 ms, the C
im2col ~0.5 ms.  Most of what perform spends beyond that is page faults on
its fresh multi-megabyte scratch arrays, which the C thunk keeps between
calls (conv_c.Workspace).  So: im2col + BLAS, with the copy in C.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.null import grad_undefined
from minitheano.graph.op import Op
from minitheano.scalar.basic import upcast
from minitheano.tensor.basic import as_tensor_variable, cast
from minitheano.tensor.kernel import ConvKernel
from minitheano.tensor.nnet import conv_c
from minitheano.tensor.nnet.conv_geometry import (
    Axis,
    axes,
    check_border_mode,
    check_positive_pair,
    check_shapes,
    check_top,
    out_length,
    pad,
)
from minitheano.tensor.nnet.im2col import Kit, col2im, fresh, im2col, pad_image, unpad
from minitheano.tensor.type import TensorType, TensorVariable


def numpy_patches(x: np.ndarray, rows: Axis, cols: Axis, oh: int, ow: int,
                  out: np.ndarray) -> np.ndarray:
    """im2col of `x` padded into `out`: the (channels*kh*kw, batch*oh*ow) matrix of its patches."""
    return im2col(pad_image(x, rows, cols), rows, cols, oh, ow, out)


def numpy_unpatches(columns: np.ndarray, shape: tuple[int, ...], rows: Axis, cols: Axis,
                    oh: int, ow: int) -> np.ndarray:
    """col2im onto an image of `shape` (unpadded): each column added back onto its patch."""
    padded = (*shape[:2], shape[2] + 2 * rows.pad, shape[3] + 2 * cols.pad)
    return np.ascontiguousarray(unpad(col2im(columns, padded, rows, cols, oh, ow), rows, cols))


NUMPY_KIT = Kit(numpy_patches, numpy_unpatches, fresh)


def top_matrix(top: np.ndarray, kit: Kit) -> np.ndarray:
    """The output gradient (batch, k, oh, ow) as the (k, batch*oh*ow) matrix the products use."""
    n, k, oh, ow = top.shape
    matrix = kit.scratch("top", (k, n * oh * ow), top.dtype)
    np.copyto(matrix.reshape(k, n, oh, ow), top.transpose(1, 0, 2, 3))
    return matrix


class BaseAbstractConv(Op):
    """What the three conv ops share: their parameters, checked once, and the
    geometry of a call."""

    __props__ = ("imshp", "kshp", "border_mode", "subsample", "filter_flip", "filter_dilation")

    def __init__(self, imshp: Any = None, kshp: Any = None, border_mode: Any = "valid",
                 subsample: Any = (1, 1), filter_flip: bool = True,
                 filter_dilation: Any = (1, 1)) -> None:
        self.imshp = _static_shape(imshp, "input_shape")
        self.kshp = _static_shape(kshp, "filter_shape")
        self.border_mode = check_border_mode(border_mode)
        self.subsample = check_positive_pair(subsample, "subsample")
        self.filter_flip = bool(filter_flip)
        self.filter_dilation = check_positive_pair(filter_dilation, "filter_dilation")

    def params(self) -> tuple:
        """The constructor's arguments: the three ops of one convolution share them."""
        return (self.imshp, self.kshp, self.border_mode, self.subsample, self.filter_flip,
                self.filter_dilation)

    def axes(self, filter_size: tuple[int, int]) -> tuple[Axis, Axis]:
        return axes(self.border_mode, self.subsample, self.filter_dilation, filter_size)

    def check(self, image_shape: tuple, filter_shape: tuple) -> tuple[Axis, Axis]:
        """The axes for these (numeric) shapes, after checking that they fit
        and that they are those declared (imshp, kshp)."""
        for declared, actual, what in ((self.imshp, image_shape, "input"),
                                       (self.kshp, filter_shape, "filters")):
            if declared is not None and any(
                    d is not None and d != a for d, a in zip(declared, actual)):
                raise ValueError(f"{self}: the {what} has shape {tuple(actual)}, but "
                                 f"{'input_shape' if what == 'input' else 'filter_shape'}="
                                 f"{declared} was declared")
        rows, cols = self.axes(tuple(filter_shape[2:]))
        check_shapes(tuple(image_shape), tuple(filter_shape), rows, cols, str(self))
        return rows, cols

    def oriented(self, kern: np.ndarray) -> np.ndarray:
        """The filters as the product uses them: flipped for a true convolution."""
        return kern[:, :, ::-1, ::-1] if self.filter_flip else kern

    def out_shape(self, ishape: tuple, kshape: tuple) -> tuple:
        """The output's shape, from shapes that may be symbolic."""
        spatial = [out_length(ishape[2 + d], kshape[2 + d],
                              pad(self.border_mode, kshape[2 + d], self.filter_dilation[d], d),
                              self.subsample[d], self.filter_dilation[d]) for d in range(2)]
        return (ishape[0], kshape[0], *spatial)

    def __str__(self) -> str:
        return f"{type(self).__name__}{{{self.border_mode}, {self.subsample}}}"

    # FAST_RUN: the C im2col/col2im around numpy's BLAS product (link/c/op_thunks.py).
    def c_source(self, node: Apply) -> str | None:
        return conv_c.SOURCE if node.outputs[0].dtype in ("float32", "float64") else None

    def c_thunk(self, node: Apply, lib: Any, input_cells: list, output_cells: list) -> Any:
        kit = conv_c.kit(lib)

        def thunk() -> None:
            output_cells[0][0] = self.compute([cell[0] for cell in input_cells], kit)
        return thunk

    # device=cuda: im2col (or col2im), chapter 6's tiled product and an elementwise copy,
    # printed by chapter 6's printer (link/cuda/windows.py) and launched by
    # link/cuda/layer_launch.py.
    def kernel(self, node: Apply) -> ConvKernel | None:
        dtype = node.outputs[0].dtype
        if dtype not in ("float32", "float64"):
            return None
        return ConvKernel(self.pass_, dtype, self.border_mode, self.subsample,
                          self.filter_dilation, self.filter_flip, self.imshp, self.kshp)

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = self.compute(inputs, NUMPY_KIT)


class AbstractConv2d(BaseAbstractConv):
    """The forward pass: (images, filters) -> the convolution."""

    pass_ = "forward"  # which of the three the device kernel computes (ConvKernel)

    def make_node(self, img: Any, kern: Any) -> Apply:
        img, kern = _float_inputs(self, img, kern)
        static = [_known(self.imshp, img), _known(self.kshp, kern)]
        rows_cols = (None, None)
        if all(s is not None for s in static[1][2:]):
            rows_cols = self.axes(static[1][2:])
        check_shapes(static[0], static[1], *rows_cols, where=str(self))
        out = TensorType(img.dtype, (img.broadcastable[0], kern.broadcastable[0], False, False))
        return Apply(self, [img, kern], [out()])

    def compute(self, inputs: list, kit: Kit) -> np.ndarray:
        img, kern = inputs
        rows, cols = self.check(img.shape, kern.shape)
        n, k = img.shape[0], kern.shape[0]
        oh, ow = rows.out_length(img.shape[2]), cols.out_length(img.shape[3])
        patch_size = _patch_size(kern.shape)
        columns = kit.patches(img, rows, cols, oh, ow,
                              kit.scratch("columns", (patch_size, n * oh * ow), img.dtype))
        weights = self.oriented(kern).reshape(k, patch_size)
        # (k, c*kh*kw) @ (c*kh*kw, n*oh*ow): every filter at every position at once.
        product = np.dot(weights, columns, out=kit.scratch("product", (k, n * oh * ow),
                                                            img.dtype))
        # Always a new array: `product` may be scratch kept for the next call (and
        # with one image or one filter it is already laid out as the output).
        out = np.empty((n, k, oh, ow), dtype=img.dtype)
        np.copyto(out, product.reshape(k, n, oh, ow).transpose(1, 0, 2, 3))
        return out


    def infer_shape(self, fgraph, node, input_shapes):
        return [self.out_shape(input_shapes[0], input_shapes[1])]

    def grad(self, inputs, output_grads):
        img, kern = inputs
        (top,) = output_grads
        d_img = AbstractConv2d_gradInputs(*self.params())(kern, top, img.shape[2:])
        d_kern = AbstractConv2d_gradWeights(*self.params())(img, top, kern.shape[2:])
        return [d_img, d_kern]

    def R_op(self, inputs, eval_points):
        # Bilinear: moving img by e_img and kern by e_kern moves the output by
        # conv(e_img, kern) + conv(img, e_kern).
        (img, kern), (e_img, e_kern) = inputs, eval_points
        terms = [self(e_img, kern) if e_img is not None else None,
                 self(img, e_kern) if e_kern is not None else None]
        terms = [t for t in terms if t is not None]
        return [None if not terms else terms[0] if len(terms) == 1 else terms[0] + terms[1]]


class AbstractConv2d_gradWeights(BaseAbstractConv):  # noqa: N801 (Theano's name)
    """The gradient with respect to the filters: (images, output gradient,
    filter rows and columns) -> d cost / d filters."""

    pass_ = "grad_weights"  # which of the three the device kernel computes (ConvKernel)

    def make_node(self, img: Any, topgrad: Any, shape: Any) -> Apply:
        img, topgrad = _float_inputs(self, img, topgrad)
        shape = _shape_input(self, shape)
        out = TensorType(img.dtype, (topgrad.broadcastable[1], img.broadcastable[1],
                                     False, False))
        return Apply(self, [img, topgrad, shape], [out()])

    def compute(self, inputs: list, kit: Kit) -> np.ndarray:
        img, top, shape = inputs
        kshape = (top.shape[1], img.shape[1], int(shape[0]), int(shape[1]))
        rows, cols = self.check(img.shape, kshape)
        check_top(str(self), top.shape, self.out_shape(img.shape, kshape))
        n, _, oh, ow = top.shape
        patch_size = _patch_size(kshape)
        columns = kit.patches(img, rows, cols, oh, ow,
                              kit.scratch("columns", (patch_size, n * oh * ow), img.dtype))
        # d/dw of sum(top * (w @ columns)) = top @ columns.T
        d_kern = np.dot(top_matrix(top, kit), columns.T).reshape(kshape)
        return np.ascontiguousarray(self.oriented(d_kern), dtype=img.dtype)


    def infer_shape(self, fgraph, node, input_shapes):
        shape = node.inputs[2]
        return [(input_shapes[1][1], input_shapes[0][1], shape[0], shape[1])]

    def grad(self, inputs, output_grads):
        img, top, shape = inputs
        (d_kern,) = output_grads
        params = self.params()
        # d_kern is bilinear in (img, top): its gradients are the other two ops.
        d_img = AbstractConv2d_gradInputs(*params)(d_kern, top, img.shape[2:])
        d_top = AbstractConv2d(*params)(img, d_kern)
        return [d_img, d_top, _no_grad(self, shape)]


class AbstractConv2d_gradInputs(BaseAbstractConv):  # noqa: N801 (Theano's name)
    """The gradient with respect to the images: (filters, output gradient,
    image rows and columns) -> d cost / d images."""

    pass_ = "grad_inputs"  # which of the three the device kernel computes (ConvKernel)

    def make_node(self, kern: Any, topgrad: Any, shape: Any) -> Apply:
        kern, topgrad = _float_inputs(self, kern, topgrad)
        shape = _shape_input(self, shape)
        out = TensorType(kern.dtype, (topgrad.broadcastable[0], kern.broadcastable[1],
                                      False, False))
        return Apply(self, [kern, topgrad, shape], [out()])

    def compute(self, inputs: list, kit: Kit) -> np.ndarray:
        kern, top, shape = inputs
        ishape = (top.shape[0], kern.shape[1], int(shape[0]), int(shape[1]))
        rows, cols = self.check(ishape, kern.shape)
        check_top(str(self), top.shape, self.out_shape(ishape, kern.shape))
        n, k, oh, ow = top.shape
        patch_size = _patch_size(kern.shape)
        weights = self.oriented(kern).reshape(k, patch_size)
        # The gradient of each patch column, then each column added back onto its patch.
        columns = np.dot(weights.T, top_matrix(top, kit),
                         out=kit.scratch("columns", (patch_size, n * oh * ow), kern.dtype))
        return kit.unpatches(columns, ishape, rows, cols, oh, ow)


    def infer_shape(self, fgraph, node, input_shapes):
        shape = node.inputs[2]
        return [(input_shapes[1][0], input_shapes[0][1], shape[0], shape[1])]

    def grad(self, inputs, output_grads):
        kern, top, shape = inputs
        (d_img,) = output_grads
        params = self.params()
        d_kern = AbstractConv2d_gradWeights(*params)(d_img, top, kern.shape[2:])
        d_top = AbstractConv2d(*params)(d_img, kern)
        return [d_kern, d_top, _no_grad(self, shape)]


def conv2d(input: Any, filters: Any, input_shape: Any = None, filter_shape: Any = None,
           border_mode: Any = "valid", subsample: Any = (1, 1), filter_flip: bool = True,
           image_shape: Any = None, filter_dilation: Any = (1, 1), num_groups: int = 1,
           unshared: bool = False) -> TensorVariable:
    """The 2-d convolution of `input` (batch, channels, rows, cols) with `filters`
    (output channels, channels, rows, cols), Theano 1.0's `T.nnet.conv2d`.

    `input_shape` / `filter_shape` (`image_shape` is the old name) declare shapes
    known in advance (None for an unknown entry): shapes that cannot be
    convolved are then refused here, and calls are checked against them.
    Grouped (`num_groups`) and unshared convolutions are not implemented.
    """
    if num_groups != 1 or unshared:
        raise NotImplementedError("conv2d: grouped (num_groups > 1) and unshared "
                                  "convolutions are not implemented")
    if image_shape is not None:
        if input_shape is not None:
            raise ValueError("conv2d: give input_shape or its old name image_shape, not both")
        input_shape = image_shape
    op = AbstractConv2d(input_shape, filter_shape, border_mode, subsample, filter_flip,
                        filter_dilation)
    return op(input, filters)


def conv2d_grad_wrt_inputs(output_grad: Any, filters: Any, input_shape: Any,
                           filter_shape: Any = None, border_mode: Any = "valid",
                           subsample: Any = (1, 1), filter_flip: bool = True,
                           filter_dilation: Any = (1, 1)) -> TensorVariable:
    """The gradient of conv2d with respect to its input, given the output's
    gradient (Theano's name; also the "transposed convolution" that upsamples).
    `input_shape` is the input's full shape: its last two entries are needed."""
    op = AbstractConv2d_gradInputs(_declared(input_shape), _declared(filter_shape),
                                   border_mode, subsample, filter_flip, filter_dilation)
    return op(filters, output_grad, _spatial(input_shape, "input_shape"))


def conv2d_grad_wrt_weights(input: Any, output_grad: Any, filter_shape: Any,
                            input_shape: Any = None, border_mode: Any = "valid",
                            subsample: Any = (1, 1), filter_flip: bool = True,
                            filter_dilation: Any = (1, 1)) -> TensorVariable:
    """The gradient of conv2d with respect to its filters, given the output's
    gradient (Theano's name).  `filter_shape`'s last two entries are needed."""
    op = AbstractConv2d_gradWeights(_declared(input_shape), _declared(filter_shape),
                                    border_mode, subsample, filter_flip, filter_dilation)
    return op(input, output_grad, _spatial(filter_shape, "filter_shape"))


# -- helpers --------------------------------------------------------------------------------
def _declared(shape: Any) -> tuple | None:
    """A shape worth declaring to the op: a tuple of ints and Nones (symbolic: None)."""
    if isinstance(shape, (tuple, list)) and len(shape) == 4 and all(
            s is None or isinstance(s, (int, np.integer)) for s in shape):
        return tuple(shape)
    return None


def _spatial(shape: Any, what: str) -> Any:
    """The last two entries of a shape given as a tuple (ints or scalars) or a vector."""
    if isinstance(shape, (tuple, list)):
        if len(shape) < 2 or any(s is None for s in shape[-2:]):
            raise ValueError(f"conv2d: {what} must end with the rows and columns, got {shape!r}")
        return _T.stack([as_tensor_variable(s) for s in shape[-2:]])
    return as_tensor_variable(shape)[-2:]


def _patch_size(filter_shape: tuple) -> int:
    """The length of one patch: channels * filter rows * filter columns."""
    return int(filter_shape[1] * filter_shape[2] * filter_shape[3])


def _static_shape(shape: Any, what: str) -> tuple | None:
    if shape is None:
        return None
    try:
        result = tuple(None if s is None else int(s) for s in shape)
    except TypeError:
        raise ValueError(f"conv2d: {what} must be a tuple of ints or None, got {shape!r}") from None
    if len(result) != 4:
        raise ValueError(f"conv2d: {what} must have 4 entries, got {shape!r}")
    return result


def _known(declared: tuple | None, var: TensorVariable) -> tuple:
    """What is known of `var`'s shape before any call: its declared shape, its
    broadcastable dimensions (length 1), or None; `var.ndim` entries."""
    if declared is None or var.ndim != 4:
        return tuple(1 if b else None for b in var.broadcastable)
    return declared


def _float_inputs(op: Op, *values: Any) -> list[TensorVariable]:
    variables = [as_tensor_variable(v) for v in values]
    for v in variables:
        if not v.dtype.startswith("float"):
            raise TypeError(f"{op}: needs float tensors, got {v.type}; cast it first")
    dtype = upcast(*(v.dtype for v in variables))
    return [v if v.dtype == dtype else cast(v, dtype) for v in variables]


def _shape_input(op: Op, shape: Any) -> TensorVariable:
    shape = as_tensor_variable(shape)
    if shape.ndim != 1 or not shape.dtype.startswith(("int", "uint")):
        raise TypeError(f"{op}: the shape must be an integer vector, got {shape.type}")
    return shape


def _no_grad(op: Op, shape: TensorVariable) -> Any:
    return grad_undefined(op, 2, shape, "a shape is discrete")


import minitheano.tensor as _T  # noqa: E402  (T.stack, for shapes given as tuples)
from minitheano.tensor.nnet.upsampling import bilinear_upsampling  # noqa: E402, F401
