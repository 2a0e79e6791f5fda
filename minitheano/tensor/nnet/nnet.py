"""`T.nnet.nnet`: the functions neural networks are built from (chapter 1).

Activations (`sigmoid`, `softplus`, `relu`), `softmax` and `logsoftmax`, and
the cross-entropy losses.  Each must stay finite where a naive formula
overflows: `sigmoid(-1000)` is 0, `softplus(1000)` is 1000, and the softmax of
`[1000, 0]` is `[1, 0]`, because exp is only ever taken of numbers <= 0.

Here each function is the plain composition.  Chapter 3's stabilization
rewrites (rewrite/softmax.py) turn `log(softmax(x))` into `logsoftmax(x)` and
the cross-entropy of a softmax into one op computed from the logits,
`CrossentropySoftmax`, whose gradient `CrossentropySoftmaxDx` is one node too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.graph.basic import Apply
from minitheano.graph.null import grad_not_implemented, grad_undefined
from minitheano.graph.op import Op
from minitheano.scalar import math as smath
from minitheano.scalar.basic import INT_DTYPES, UINT_DTYPES
from minitheano.tensor import kernel as K
from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.elemwise import Elemwise
from minitheano.tensor.type import TensorType, TensorVariable

# Theano printed these two by their bare names: `sigmoid`, not `Elemwise{sigmoid,...}`.
sigmoid = Elemwise(smath.sigmoid, name="sigmoid")
softplus = Elemwise(smath.softplus, name="softplus")


def hard_sigmoid(x: Any) -> TensorVariable:
    """A piecewise linear sigmoid: clip(0.2 x + 0.5, 0, 1)."""
    return _T.clip(0.2 * as_tensor_variable(x) + 0.5, 0, 1)


# Theano's ultra_fast_sigmoid: for h = |x| / 2, z(h) is 1.5 h / (1 + h) below
# h = 1.7, a line up to h = 3, then a constant; the sigmoid is (1 + sign(x) z) / 2.
ULTRA_FAST_KNEES = (1.7, 3.0)
ULTRA_FAST_LINE = (0.935409070603099, 0.0458812946797165)  # value at 1.7, slope
ULTRA_FAST_TOP = 0.99505475368673


def ultra_fast_sigmoid(x: Any) -> TensorVariable:
    """Theano's piecewise approximation of the sigmoid (error below 0.03), as a
    graph: its gradient is that of the approximation (Theano used y (1 - y))."""
    x = as_tensor_variable(x)
    h = 0.5 * abs(x)
    (knee, end), (start, slope) = ULTRA_FAST_KNEES, ULTRA_FAST_LINE
    z = _T.switch(_T.lt(h, knee), 1.5 * h / (1 + h),
                  _T.switch(_T.lt(h, end), start + slope * (h - knee), ULTRA_FAST_TOP))
    return 0.5 + 0.5 * _T.sgn(x) * z


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

    Any number of dimensions (Theano took vectors and matrices); `softmax()`
    makes a vector a 1 x n row first, as Theano did.
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

    def kernel(self, node: Apply) -> K.SoftmaxKernel:
        return K.SoftmaxKernel("softmax", K.operand(node.inputs[0]))

    def L_op(self, inputs, outputs, output_grads):
        (y,), (g,) = outputs, output_grads
        return [softmax_grad(g, y)]  # y is given: no need to compute the softmax again

    def R_op(self, inputs, eval_points):
        (x,), (ev,) = inputs, eval_points
        if ev is None:
            return [None]
        y = self(x)
        return [(ev - _T.sum(ev * y, axis=-1, keepdims=True)) * y]


class SoftmaxGrad(Op):
    """The gradient of Softmax: (g - sum(g * y)) * y along the last axis, where y is
    the softmax's output and g the gradient with respect to it.

    One node rather than five, and the node chapter 3's rewrites recognize.
    """

    def make_node(self, g: Any, y: Any) -> Apply:
        g, y = as_tensor_variable(g), _float_input(self, y)
        if g.ndim != y.ndim:
            raise TypeError(f"{self}: the gradient {g.type} must have the dimensions of "
                            f"the softmax {y.type}")
        return Apply(self, [g, y], [y.type()])

    def perform(self, node, inputs, output_storage):
        g, y = inputs
        # --8<-- [start:ex-ch04-softmax-grad]
        # d y_i / d x_j = y_i (delta_ij - y_j), contracted with g over i.
        dx = (g - np.sum(g * y, axis=-1, keepdims=True)) * y
        # --8<-- [end:ex-ch04-softmax-grad]
        output_storage[0][0] = dx.astype(y.dtype, copy=False)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[1]]

    def L_op(self, inputs, outputs, output_grads):
        (g, y), (gz,) = inputs, output_grads
        # The output is linear in g: its gradient is the same map applied to gz.
        # In y: d out_i / d y_k = delta_ik (g_i - sum(g y)) - y_i g_k.
        gy = (gz * (g - _T.sum(g * y, axis=-1, keepdims=True))
              - g * _T.sum(gz * y, axis=-1, keepdims=True))
        return [softmax_grad(gz, y), gy]


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

    def kernel(self, node: Apply) -> K.SoftmaxKernel:
        return K.SoftmaxKernel("log_softmax", K.operand(node.inputs[0]))

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
softmax_grad = SoftmaxGrad()
logsoftmax_op = LogSoftmax()


def softmax(x: Any) -> TensorVariable:
    """The softmax of x along its last axis.  A vector gives a 1 x n row, as in
    Theano 1.0 (code of the time indexes it as a matrix: `s[0]`, `s[:, k]`)."""
    return softmax_op(_row_if_vector(x))


def logsoftmax(x: Any) -> TensorVariable:
    """log(softmax(x)) along the last axis, computed stably (a vector gives a row)."""
    return logsoftmax_op(_row_if_vector(x))


def _row_if_vector(x: Any) -> Any:
    x = as_tensor_variable(x)
    return x.dimshuffle("x", 0) if x.ndim == 1 else x


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

    def kernel(self, node: Apply) -> K.CrossentropyKernel:
        return K.CrossentropyKernel(K.operand(node.inputs[0]), node.inputs[1].type.dtype)

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

    def kernel(self, node: Apply) -> K.CrossentropyGradKernel | None:
        g, coding, y_idx = node.inputs
        if g.ndim != 1 or g.dtype != coding.dtype or coding.ndim != 2:
            return None
        return K.CrossentropyGradKernel(K.operand(coding), y_idx.type.dtype)

    def grad(self, inputs, output_grads):
        g, coding, y_idx = inputs
        why = "second derivatives of the 1-hot cross-entropy"
        return [grad_not_implemented(self, 0, g, why), grad_not_implemented(self, 1, coding, why),
                grad_undefined(self, 2, y_idx, "class indices are discrete")]


crossentropy_categorical_1hot = CrossentropyCategorical1Hot()
crossentropy_categorical_1hot_grad = CrossentropyCategorical1HotGrad()


def _targets(op: Op, x: Any, t: Any) -> tuple[TensorVariable, TensorVariable]:
    """(x, t) checked: t is class indices (one per row of the matrix x) or
    distributions with the type of x."""
    x, t = _float_input(op, x), as_tensor_variable(t)
    if t.dtype in _INDEX_DTYPES:
        if x.ndim != 2 or t.ndim != 1:
            raise TypeError(f"{op}: class indices must be a vector {t.type} with a matrix "
                            f"of logits, got {x.type}")
    elif not t.dtype.startswith("float") or t.ndim != x.ndim:
        raise TypeError(f"{op}: the targets {t.type} must be class indices (an integer "
                        f"vector) or distributions like the logits {x.type}")
    return x, t


class CrossentropySoftmax(Op):
    """The cross-entropy of softmax(x) against targets t, computed from the logits x,
    with softmax(x) as a second output (the gradient needs it):

        loss = -sum(t * log_softmax(x), axis=-1)     (t distributions)
        loss[i] = -log_softmax(x)[i, t[i]]           (t class indices)

    log_softmax(x) = x - max - log(sum(exp(x - max))) is finite where
    log(softmax(x)) is log(0) = -inf.  Chapter 3's rewrites put this op in place of
    `categorical_crossentropy(softmax(x), t)`; the user rarely writes it.
    """

    def make_node(self, x: Any, t: Any) -> Apply:
        x, t = _targets(self, x, t)
        loss = TensorType(x.dtype, x.broadcastable[:-1])()
        return Apply(self, [x, t], [loss, x.type()])

    def perform(self, node, inputs, output_storage):
        x, t = inputs
        shifted = x - np.max(x, axis=-1, keepdims=True)
        log_sm = shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))
        if t.ndim == x.ndim:
            loss = -np.sum(t * log_sm, axis=-1)
        else:
            _check_indices(self, x, t)
            loss = -log_sm[np.arange(len(t)), t]
        output_storage[0][0] = np.asarray(loss, dtype=x.dtype)
        output_storage[1][0] = np.exp(log_sm).astype(x.dtype, copy=False)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0][:-1], input_shapes[0]]

    def kernel(self, node: Apply) -> K.CrossentropySoftmaxKernel | None:
        """Against class indices: chapter 6's kernel (one block per row)."""
        x, t = node.inputs
        if t.ndim == x.ndim:
            return None
        return K.CrossentropySoftmaxKernel(K.operand(x), t.type.dtype)

    def L_op(self, inputs, outputs, output_grads):
        (x, t), (_, sm), (g_loss, g_sm) = inputs, outputs, output_grads
        gx = crossentropy_softmax_dx(g_loss, sm, t) + softmax_grad(g_sm, sm)
        if t.ndim != x.ndim:
            return [gx, grad_undefined(self, 1, t, "class indices are discrete")]
        return [gx, -_T.shape_padright(g_loss) * logsoftmax(x)]


class CrossentropySoftmaxDx(Op):
    """The gradient of CrossentropySoftmax's loss with respect to the logits x, given
    the loss's gradient g and sm = softmax(x):

        g * (sm * sum(t) - t)           (t distributions; g a column)
        g * (sm - onehot(t))            (t class indices)
    """

    def make_node(self, g: Any, sm: Any, t: Any) -> Apply:
        sm, t = _targets(self, sm, t)
        g = as_tensor_variable(g)
        if g.ndim != sm.ndim - 1:
            raise TypeError(f"{self}: the loss's gradient {g.type} must have one dimension "
                            f"less than the softmax {sm.type}")
        return Apply(self, [g, sm, t], [sm.type()])

    def perform(self, node, inputs, output_storage):
        g, sm, t = inputs
        g = g[..., np.newaxis]
        if t.ndim == sm.ndim:
            dx = g * (sm * np.sum(t, axis=-1, keepdims=True) - t)
        else:
            _check_indices(self, sm, t)
            dx = g * sm
            dx[np.arange(len(t)), t] -= g[:, 0]
        output_storage[0][0] = dx.astype(sm.dtype, copy=False)

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[1]]

    def kernel(self, node: Apply) -> K.CrossentropySoftmaxDxKernel | None:
        """Against class indices: chapter 6's kernel (a thread per element)."""
        g, sm, t = node.inputs
        if t.ndim == sm.ndim or g.dtype != sm.dtype:
            return None
        return K.CrossentropySoftmaxDxKernel(K.operand(sm), t.type.dtype)

    def grad(self, inputs, output_grads):
        g, sm, t = inputs
        why = "second derivatives of the softmax cross-entropy"
        return [grad_not_implemented(self, 0, g, why), grad_not_implemented(self, 1, sm, why),
                grad_not_implemented(self, 2, t, why)]


crossentropy_softmax = CrossentropySoftmax()
crossentropy_softmax_dx = CrossentropySoftmaxDx()


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
from minitheano.tensor import batchnorm as bn  # noqa: E402, F401 (Theano's T.nnet.bn)
from minitheano.tensor.batchnorm import batch_normalization  # noqa: E402, F401
from minitheano.tensor.nnet_extra import (  # noqa: E402, F401 (Theano's names here)
    confusion_matrix,
    prepend_0_to_each_row,
    prepend_1_to_each_row,
    prepend_scalar_to_each_row,
)
