"""Ops that pass their input through unchanged but bend its gradient (chapter 4).

    zero_grad(x)          the value of x; its gradient is zero
    consider_constant(x)  the same, under Theano's older name
    disconnected_grad(x)  the value of x; the cost does not depend on x through it
    undefined_grad(x)     the value of x; asking for its gradient is an error
    grad_clip(x, lo, hi)  the value of x; its gradient is clipped to [lo, hi]
    grad_scale(x, k)      the value of x; its gradient is multiplied by k

They cost nothing when the function runs (the output is a view of the input);
they only change what `grad` builds.  `zero_grad` is how a target is kept
fixed while a network is trained towards it.
"""

from __future__ import annotations

from typing import Any

from minitheano import tensor as T
from minitheano.graph.basic import Apply, Variable
from minitheano.graph.null import disconnected_type, grad_undefined
from minitheano.graph.op import Op


class GradientView(Op):
    """The identity, as a view; subclasses say what happens to the gradient."""

    view_map = {0: [0]}

    def make_node(self, x: Any) -> Apply:
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0]

    def infer_shape(self, fgraph, node, input_shapes):
        return [input_shapes[0]]

    def R_op(self, inputs, eval_points):
        return [eval_points[0]]


class ZeroGrad(GradientView):
    def grad(self, inputs, output_grads):
        return [T.zeros_like(output_grads[0])]

    def R_op(self, inputs, eval_points):
        return [None if eval_points[0] is None else T.zeros_like(eval_points[0])]


class ConsiderConstant(ZeroGrad):
    """Theano's ConsiderConstant: zero_grad under its older name."""


class DisconnectedGrad(GradientView):
    def grad(self, inputs, output_grads):
        return [disconnected_type()]

    def connection_pattern(self, node):
        return [[False]]

    def R_op(self, inputs, eval_points):
        return [None]


class UndefinedGrad(GradientView):
    def grad(self, inputs, output_grads):
        return [grad_undefined(self, 0, inputs[0], "undefined_grad() marks it so")]

    def R_op(self, inputs, eval_points):
        return [None if eval_points[0] is None else
                grad_undefined(self, 0, inputs[0], "undefined_grad() marks it so")]


class GradClip(GradientView):
    __props__ = ("lower_bound", "upper_bound")

    def __init__(self, lower_bound: float, upper_bound: float) -> None:
        if not lower_bound <= upper_bound:
            raise ValueError(f"grad_clip: lower bound {lower_bound} > upper bound {upper_bound}")
        self.lower_bound, self.upper_bound = lower_bound, upper_bound

    def grad(self, inputs, output_grads):
        return [T.clip(output_grads[0], self.lower_bound, self.upper_bound)]


class GradScale(GradientView):
    __props__ = ("multiplier",)

    def __init__(self, multiplier: float) -> None:
        self.multiplier = multiplier

    def grad(self, inputs, output_grads):
        return [output_grads[0] * self.multiplier]


def zero_grad(x: Any) -> Variable:
    """x, through which no gradient flows (it is zero)."""
    return ZeroGrad()(x)


def consider_constant(x: Any) -> Variable:
    """x, treated as a constant by `grad` (its gradient through here is zero)."""
    return ConsiderConstant()(x)


def disconnected_grad(x: Any) -> Variable:
    """x, through which the cost does not depend on x as far as `grad` is concerned."""
    return DisconnectedGrad()(x)


def undefined_grad(x: Any) -> Variable:
    """x, whose gradient through here is undefined (an error if asked for)."""
    return UndefinedGrad()(x)


def grad_clip(x: Any, lower_bound: float, upper_bound: float) -> Variable:
    """x, whose gradient through here is clipped to [lower_bound, upper_bound]."""
    return GradClip(lower_bound, upper_bound)(x)


def grad_scale(x: Any, multiplier: float) -> Variable:
    """x, whose gradient through here is multiplied by `multiplier`."""
    return GradScale(multiplier)(x)
