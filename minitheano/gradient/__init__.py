"""Automatic differentiation: gradients are graphs too (chapter 4).

    reverse.py   grad (reverse mode, the chain rule node by node), Lop
    forward.py   Rop (forward mode: the Jacobian times a vector)
    jacobian.py  jacobian, hessian (a loop of grads)
    shaping.py   zero_grad, consider_constant, disconnected_grad, undefined_grad,
                 grad_clip, grad_scale
    subgraph.py  subgraph_grad: the gradient a piece of the graph at a time
    verify.py    verify_grad: every gradient checked against finite differences

`theano.grad`, `T.grad`, `T.jacobian`, ... are the functions of this package.
"""

from minitheano.gradient.forward import Rop
from minitheano.gradient.jacobian import JacobianLoop, hessian, jacobian
from minitheano.gradient.reverse import (
    DisconnectedInputError,
    Lop,
    NullTypeGradError,
    grad,
)
from minitheano.gradient.shaping import (
    consider_constant,
    disconnected_grad,
    grad_clip,
    grad_scale,
    undefined_grad,
    zero_grad,
)
from minitheano.gradient.subgraph import subgraph_grad
from minitheano.gradient.verify import GradientError, numeric_grad, verify_grad
from minitheano.graph.null import (
    DisconnectedType,
    NullType,
    disconnected_type,
    grad_not_implemented,
    grad_undefined,
)

__all__ = [
    "DisconnectedInputError", "DisconnectedType", "GradientError", "JacobianLoop", "Lop",
    "NullType", "NullTypeGradError", "Rop", "consider_constant", "disconnected_grad",
    "disconnected_type", "grad",
    "grad_clip", "grad_not_implemented", "grad_scale", "grad_undefined", "hessian", "jacobian",
    "numeric_grad", "subgraph_grad", "undefined_grad", "verify_grad", "zero_grad",
]
