"""`T.nnet`: the functions neural networks are built from (chapter 1).

Activations (`sigmoid`, `softplus`, `relu`), `softmax` and `logsoftmax`, and
the cross-entropy losses.  Each must stay finite where a naive formula
overflows: `sigmoid(-1000)` is 0, `softplus(1000)` is 1000, and the softmax of
`[1000, 0]` is `[1, 0]`, because exp is only ever taken of numbers <= 0.

Chapter 3 rewrites `-log(softmax(x))[y]` into one stable op; here each
function is the plain composition.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.null import grad_not_implemented, grad_undefined
from minitheano.graph.op import Op
from minitheano.scalar import math as smath
from minitheano.scalar.basic import INT_DTYPES, UINT_DTYPES
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.elemwise import Elemwise
from minitheano.tensor.type import TensorType, TensorVariable

# Theano printed these two by their bare names: `sigmoid`, not `Elemwise{sigmoid,...}`.
sigmoid = Elemwise(smath.sigmoid, name="sigmoid")
softplus = Elemwise(smath.softplus, name="softplus")


def hard_sigmoid(x: Any) -> TensorVariable:
    """A piecewise linear sigmoid: clip(0.2 x + 0.5, 0, 1)."""
    return _T.clip(0.2 * as_tensor_variable(x) + 0.5, 0, 1)


def relu(x: Any, alpha: Any = 0) -> TensorVariable:
    """max(x, 0), or with `alpha` the leaky max(x, alpha * x), written as Theano
    did: without a comparison, so that its gradient is a smooth graph."""
    x = as_tensor_variable(x)
    if not isinstance(alpha, (int, float)):
        alpha = as_tensor_variable(alpha)
    elif alpha == 0:
        return 0.5 * (x + abs(x))
    # Python numbers stay weak here, so a float32 x gives a float32 result.
    return 0.5 * (1 + alpha) * x + 0.5 * (1 - alpha) * abs(x)


def softsign(x: Any) -> TensorVariable:
    """x / (1 + |x|): a sigmoid-shaped curve from -1 to 1."""
    x = as_tensor_variable(x)
    return x / (1 + abs(x))


def elu(x: Any, alpha: float = 1.0) -> TensorVariable:
    """x for x > 0, alpha (exp(x) - 1) below.  exp is taken of min(x, 0) only, so
    the branch switch discards never overflows."""
    x = as_tensor_variable(x)
    return _T.switch(x > 0, x, alpha * _T.expm1(_T.minimum(x, 0)))


def selu(x: Any) -> TensorVariable:
    """The self-normalizing elu: scale * elu(x, alpha) with Klambauer et al.'s constants."""
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    return scale * elu(x, alpha)


def _float_input(op: Op, x: Any) -> TensorVariable:
    x = as_tensor_variable(x)
    if x.ndim < 1:
        raise TypeError(f"{op} needs at least one dimension (it works along the last), "
                        f"got {x.type}")
    if not x.dtype.startswith("float"):
        raise TypeError(f"{op} needs floats, got {x.type}; cast the input first")
    return x


class Softmax(Op):
    """exp(x) / sum(exp(x)) along the last axis.

    Any number of dimensions (Theano took vectors and matrices and returned a
    matrix for a vector; here the shape is kept).
    """

    def make_node(self, x: Any) -> Apply:
        x = _float_input(self, x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        # --8<-- [start:ex-ch01-softmax-perform]
        # exp overflows above ~709; shifting by the row's max changes nothing
        # mathematically (it cancels in the division) and keeps every exp <= 1.
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        y = e / np.sum(e, axis=-1, keepdims=True)
        # --8<-- [end:ex-ch01-softmax-perform]
        output_storage[0][0] = y.astype(x.dtype, copy=False)

    def infer_shape(self, fgraph, node, input_shapes):
        return list(input_shapes)

    def L_op(self, inputs, outputs, output_grads):
        # --8<-- [start:ex-ch04-softmax-grad]
        (y,), (g,) = outputs, output_grads
        # d y_i / d x_j = y_i (delta_ij - y_j), contracted with g over i.
        return [(g - _T.sum(g * y, axis=-1, keepdims=True)) * y]
        # --8<-- [end:ex-ch04-softmax-grad]

    def R_op(self, inputs, eval_points):
        (x,), (ev,) = inputs, eval_points
        if ev is None:
            return [None]
        y = self(x)
        return [(ev - _T.sum(ev * y, axis=-1, keepdims=True)) * y]


class LogSoftmax(Op):
    """log(softmax(x)) along the last axis, computed as x - max - log(sum(exp(x - max))):
    finite where log of a softmax that underflowed to 0 would be -inf."""

    def make_node(self, x: Any) -> Apply:
        x = _float_input(self, x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        (x,) = inputs
        shifted = x - np.max(x, axis=-1, keepdims=True)
        y = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
        output_storage[0][0] = y.astype(x.dtype, copy=False)

    def infer_shape(self, fgraph, node, input_shapes):
        return list(input_shapes)

    def L_op(self, inputs, outputs, output_grads):
        (y,), (g,) = outputs, output_grads
        # d y_i / d x_j = delta_ij - softmax_j, and softmax = exp(y).
        return [g - _T.exp(y) * _T.sum(g, axis=-1, keepdims=True)]

    def R_op(self, inputs, eval_points):
        (x,), (ev,) = inputs, eval_points
        if ev is None:
            return [None]
        return [ev - _T.sum(_T.exp(self(x)) * ev, axis=-1, keepdims=True)]


softmax_op = Softmax()
logsoftmax_op = LogSoftmax()


def softmax(x: Any) -> TensorVariable:
    """The softmax of x along its last axis."""
    return softmax_op(x)


def logsoftmax(x: Any) -> TensorVariable:
    """log(softmax(x)) along the last axis, computed stably."""
    return logsoftmax_op(x)


log_softmax = logsoftmax


def softmax_with_bias(x: Any, b: Any) -> TensorVariable:
    """softmax(x + b), b a vector added to every row."""
    return softmax(as_tensor_variable(x) + b)


def binary_crossentropy(output: Any, target: Any) -> TensorVariable:
    """-(t log(o) + (1 - t) log(1 - o)), elementwise (o a probability)."""
    output, target = as_tensor_variable(output), as_tensor_variable(target)
    return -(target * _T.log(output) + (1.0 - target) * _T.log(1.0 - output))


def sigmoid_binary_crossentropy(output: Any, target: Any) -> TensorVariable:
    """binary_crossentropy(sigmoid(output), target), computed from the logits
    `output` without ever taking log(0): softplus(-o) t + softplus(o) (1 - t)."""
    output, target = as_tensor_variable(output), as_tensor_variable(target)
    return softplus(-output) * target + softplus(output) * (1.0 - target)


def categorical_crossentropy(coding_dist: Any, true_dist: Any) -> TensorVariable:
    """-sum(true * log(coding)) along the last axis, one value per row.

    `true_dist` is either a distribution of the same shape as `coding_dist`
    (one-hot rows, say) or an integer vector of class indices, one per row.
    """
    coding_dist, true_dist = as_tensor_variable(coding_dist), as_tensor_variable(true_dist)
    if true_dist.ndim == coding_dist.ndim:
        return -_T.sum(true_dist * _T.log(coding_dist), axis=-1)
    if true_dist.ndim == coding_dist.ndim - 1 and true_dist.dtype in _INDEX_DTYPES:
        return crossentropy_categorical_1hot(coding_dist, true_dist)
    raise TypeError(f"categorical_crossentropy: true_dist must have the shape of coding_dist "
                    f"({coding_dist.type}) or be an integer vector of class indices, "
                    f"got {true_dist.type}")


_INDEX_DTYPES = INT_DTYPES + UINT_DTYPES


def _check_indices(op: Op, coding: np.ndarray, y: np.ndarray) -> None:
    if y.shape[0] != coding.shape[0]:
        raise ValueError(f"{op}: {coding.shape[0]} rows of probabilities (shape "
                         f"{coding.shape}) but {y.shape[0]} class indices")
    bad = (y < 0) | (y >= coding.shape[1])
    if bad.any():
        i = int(np.argmax(bad))
        raise IndexError(f"{op}: class index {y[i]} (row {i}) is out of range for "
                         f"{coding.shape[1]} classes (shape {coding.shape})")


class CrossentropyCategorical1Hot(Op):
    """-log(coding[i, y[i]]) for each row i: the cross-entropy against one-hot
    rows, given as the class indices y."""

    def make_node(self, coding: Any, y_idx: Any) -> Apply:
        coding, y_idx = as_tensor_variable(coding), as_tensor_variable(y_idx)
        if coding.ndim != 2 or not coding.dtype.startswith("float"):
            raise TypeError(f"{self}: coding_dist must be a float matrix, got {coding.type}")
        if y_idx.ndim != 1 or y_idx.dtype not in _INDEX_DTYPES:
            raise TypeError(f"{self}: the class indices must be an integer vector, "
                            f"got {y_idx.type}")
        out = TensorType(coding.dtype, coding.broadcastable[:1])()
        return Apply(self, [coding, y_idx], [out])

    def perform(self, node, inputs, output_storage):
        coding, y = inputs
        _check_indices(self, coding, y)
        picked = coding[np.arange(len(y)), y]
        output_storage[0][0] = np.asarray(-np.log(picked), dtype=coding.dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0][:1]]

    def grad(self, inputs, output_grads):
        coding, y_idx = inputs
        (g,) = output_grads
        return [crossentropy_categorical_1hot_grad(g, coding, y_idx),
                grad_undefined(self, 1, y_idx, "class indices are discrete")]


class CrossentropyCategorical1HotGrad(Op):
    """The gradient of CrossentropyCategorical1Hot with respect to coding_dist:
    -g[i] / coding[i, y[i]] at (i, y[i]), zero elsewhere."""

    def make_node(self, g: Any, coding: Any, y_idx: Any) -> Apply:
        g, coding, y_idx = (as_tensor_variable(v) for v in (g, coding, y_idx))
        return Apply(self, [g, coding, y_idx], [coding.type()])

    def perform(self, node, inputs, output_storage):
        g, coding, y = inputs
        _check_indices(self, coding, y)
        rows = np.arange(len(y))
        out = np.zeros_like(coding)
        out[rows, y] = -g / coding[rows, y]
        output_storage[0][0] = out

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[1]]

    def grad(self, inputs, output_grads):
        g, coding, y_idx = inputs
        why = "second derivatives of the 1-hot cross-entropy"
        return [grad_not_implemented(self, 0, g, why), grad_not_implemented(self, 1, coding, why),
                grad_undefined(self, 2, y_idx, "class indices are discrete")]


crossentropy_categorical_1hot = CrossentropyCategorical1Hot()
crossentropy_categorical_1hot_grad = CrossentropyCategorical1HotGrad()


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
