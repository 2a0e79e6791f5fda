"""Stable softmax losses: log_softmax and the cross-entropy from logits (chapter 3).

`softmax([1000, 0])` is `[1, 0]` exactly: the second entry, e**-1000, is
below the smallest float.  Its log is then -inf, and so is the loss of a
network whose output is that confident and wrong; its gradient, which
divides by the softmax, is NaN.  Computed from the logits x instead, both
are finite: log(softmax(x)) = x - max(x) - log(sum(exp(x - max(x)))).

* `log_softmax`: log(softmax(x)) -> logsoftmax(x);
* `crossentropy_softmax_1hot` and `crossentropy_softmax`: the cross-entropy
  of softmax(x) against class indices, or against distributions (one-hot
  rows), -> `CrossentropySoftmax(x, t)`, which also gives softmax(x) to
  whatever else reads it (the gradient does);
* `softmax_grad_of_crossentropy` and `softmax_grad_of_log`: the gradient
  graph `T.grad` built through the unstable forms, rewritten to the stable
  ones: SoftmaxGrad(-g t / sm, sm) is g (t - sm sum(t)), with no division.

The gradient rewrites matter as much as the forward ones: `T.grad` runs
before any rewrite, on the graph as the user wrote it.
"""

from __future__ import annotations

from minitheano.graph.basic import Apply, Variable, toposort
from minitheano.graph.fg import FunctionGraph
from minitheano.rewrite.engine import is_elemwise, register
from minitheano.rewrite.patterns import pattern_table
from minitheano.scalar import math as smath
from minitheano.tensor import nnet
from minitheano.tensor.elemwise import DimShuffle, Elemwise
from minitheano.tensor.reduction import Sum

pattern_table("stabilize", [
    ("log_softmax", (smath.log, (nnet.softmax_op, "x")), (nnet.logsoftmax_op, "x"),
     "log(softmax(x)) -> logsoftmax(x): finite where a softmax entry underflows to 0"),
])


def softmax_input(sm: Variable) -> Variable | None:
    """x if `sm` is softmax(x), computed by Softmax or by CrossentropySoftmax."""
    node = sm.owner
    if node is not None and (isinstance(node.op, nnet.Softmax)
                             or (isinstance(node.op, nnet.CrossentropySoftmax) and sm.index == 1)):
        return node.inputs[0]
    return None


def _crossentropy(fgraph: FunctionGraph, loss: Variable, sm: Variable,
                  t: Variable) -> dict[Variable, Variable] | None:
    """Replace `loss`, a cross-entropy of sm = softmax(x) against t, by
    CrossentropySoftmax(x, t), whose second output then stands for sm too."""
    x = softmax_input(sm)
    if x is None or sm.owner in toposort([t]):  # t computed from sm: a cycle
        return None
    new_loss, new_sm = nnet.crossentropy_softmax(x, t)
    if new_loss.type != loss.type:
        return None
    if isinstance(sm.owner.op, nnet.Softmax):
        return {loss: new_loss, sm: new_sm}
    return {loss: new_loss}


@register("stabilize", nnet.CrossentropyCategorical1Hot)
def crossentropy_softmax_1hot(fgraph: FunctionGraph, node: Apply):
    """-log(softmax(x)[i, y[i]]) -> CrossentropySoftmax(x, y): log of an entry
    that underflowed to 0 is -inf; from the logits it is finite."""
    sm, y = node.inputs
    return _crossentropy(fgraph, node.outputs[0], sm, y)


@register("stabilize", smath.Neg)
def crossentropy_softmax(fgraph: FunctionGraph, node: Apply):
    """-sum(t * logsoftmax(x), axis=-1) -> CrossentropySoftmax(x, t): the same
    value in one node, which also gives softmax(x) to the gradient."""
    total = node.inputs[0].owner
    if total is None or not isinstance(total.op, Sum):
        return None
    product = total.inputs[0]
    if tuple(total.op.axis) != (product.type.ndim - 1,) or not is_elemwise(
            product.owner, smath.Mul) or len(product.owner.inputs) != 2:
        return None
    for t, log_sm in (product.owner.inputs, product.owner.inputs[::-1]):
        ls = log_sm.owner
        if ls is not None and isinstance(ls.op, nnet.LogSoftmax) and t.type == log_sm.type:
            x = ls.inputs[0]
            sm = [c.outputs[0] for c, _ in fgraph.clients.get(x, ())
                  if c != "output" and isinstance(c.op, nnet.Softmax)]
            if sm:  # share the softmax the gradient reads
                return _crossentropy(fgraph, node.outputs[0], sm[0], t)
            loss = nnet.crossentropy_softmax(x, t)[0]
            return [loss] if loss.type == node.outputs[0].type else None
    return None


@register("stabilize", nnet.SoftmaxGrad)
def softmax_grad_of_crossentropy(fgraph: FunctionGraph, node: Apply):
    """SoftmaxGrad(CrossentropyCategorical1HotGrad(g, sm, y), sm) ->
    CrossentropySoftmaxDx(g, sm, y) = g (sm - onehot(y)): no division by sm."""
    gsm, sm = node.inputs
    inner = gsm.owner
    if (inner is None or not isinstance(inner.op, nnet.CrossentropyCategorical1HotGrad)
            or inner.inputs[1] is not sm):
        return None
    g, _, y = inner.inputs
    return [nnet.crossentropy_softmax_dx(g, sm, y)]


def _column(c: Variable) -> Variable | None:
    """v (one dimension less) if `c` is the same along its last axis: a column
    (v.dimshuffle(0, 'x')) or such a column filled to a shape, fill(a, column)."""
    if is_elemwise(c.owner, smath.Second):
        c = c.owner.inputs[1]
    if not c.type.broadcastable[-1]:
        return None
    node = c.owner
    if (node is not None and isinstance(node.op, DimShuffle)
            and node.op.new_order == tuple(range(c.type.ndim - 1)) + ("x",)):
        return node.inputs[0]
    return c.dimshuffle(list(range(c.type.ndim - 1)))


@register("stabilize", nnet.SoftmaxGrad)
def softmax_grad_of_log(fgraph: FunctionGraph, node: Apply):
    """SoftmaxGrad(a / sm, sm) -> a - sum(a) sm: the gradient through log(softmax),
    without dividing by an entry of sm that may be 0 (exact where sm is not 0).
    For the cross-entropy, a = g t with g the same along the last axis, this is
    CrossentropySoftmaxDx(-g, sm, t) = -g (sm sum(t) - t), one node."""
    gsm, sm = node.inputs
    div = gsm.owner
    if not is_elemwise(div, smath.TrueDiv) or div.inputs[1] is not sm:
        return None
    a = div.inputs[0]
    if a.type.dtype != sm.type.dtype:
        return None
    if a.type != sm.type:  # a broadcast a: give it the shape of sm before summing
        a = Elemwise(smath.second)(sm, a)
    product = a.owner
    if is_elemwise(product, smath.Mul) and len(product.inputs) == 2:
        for c, t in (product.inputs, product.inputs[::-1]):
            g = _column(c)
            if g is not None and t.type == sm.type:
                return [nnet.crossentropy_softmax_dx(-g, sm, t)]
    return [a - a.sum(axis=-1, keepdims=True) * sm]
