"""Update rules as Theano code wrote them: functions returning an `updates` list (chapter 8).

Each rule takes the cost (or the list of its gradients) and the parameters, and returns
`[(shared_variable, new_value), ...]` for `theano.function(..., updates=...)`. A rule that
needs memory (a velocity, running averages, a step count) keeps it in shared variables of
its own, updated in the same list, so one call of the compiled function is one step:

    updates = adam(cost, params, learning_rate=1e-3)
    train = theano.function([x, y], cost, updates=updates)

The formulas are Lasagne's (`lasagne.updates`), the library most Theano models used.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import minitheano as theano
import minitheano.tensor as T
from minitheano.compile import SharedVariable
from minitheano.graph.basic import Variable

Updates = list[tuple[SharedVariable, Variable]]


def gradients(cost_or_grads: Any, params: Sequence[SharedVariable]) -> list[Variable]:
    """The gradients of `cost_or_grads` with respect to `params`, or the list itself if
    it already is one (so a rule can take gradients written by hand)."""
    if isinstance(cost_or_grads, (list, tuple)):
        if len(cost_or_grads) != len(params):
            raise ValueError(f"{len(cost_or_grads)} gradients for {len(params)} parameters")
        return list(cost_or_grads)
    return T.grad(cost_or_grads, list(params))


def _zeros_like(param: SharedVariable, name: str) -> SharedVariable:
    """A new shared variable of zeros with `param`'s shape, dtype and broadcast pattern."""
    value = param.get_value(borrow=True)
    return theano.shared(np.zeros(value.shape, dtype=value.dtype), name=f"{name}[{param}]",
                         broadcastable=param.broadcastable)


def sgd(cost_or_grads: Any, params: Sequence[SharedVariable],
        learning_rate: float = 0.1) -> Updates:
    """p <- p - lr * g."""
    grads = gradients(cost_or_grads, params)
    return [(p, p - learning_rate * g) for p, g in zip(params, grads)]


# --8<-- [start:momentum]
def momentum(cost_or_grads: Any, params: Sequence[SharedVariable], learning_rate: float = 0.1,
             momentum: float = 0.9) -> Updates:
    """Heavy-ball momentum: v <- mu v - lr g; p <- p + v."""
    updates = []
    for p, g in zip(params, gradients(cost_or_grads, params)):
        velocity = _zeros_like(p, "velocity")
        new_velocity = momentum * velocity - learning_rate * g
        updates += [(velocity, new_velocity), (p, p + new_velocity)]
    return updates
# --8<-- [end:momentum]


def nesterov_momentum(cost_or_grads: Any, params: Sequence[SharedVariable],
                      learning_rate: float = 0.1, momentum: float = 0.9) -> Updates:
    """Nesterov's momentum, in the form that needs the gradient at p only:
    v <- mu v - lr g; p <- p + mu v - lr g (the step looks one velocity ahead)."""
    updates = []
    for p, g in zip(params, gradients(cost_or_grads, params)):
        velocity = _zeros_like(p, "velocity")
        new_velocity = momentum * velocity - learning_rate * g
        updates += [(velocity, new_velocity),
                    (p, p + momentum * new_velocity - learning_rate * g)]
    return updates


def rmsprop(cost_or_grads: Any, params: Sequence[SharedVariable], learning_rate: float = 1e-3,
            rho: float = 0.9, epsilon: float = 1e-6) -> Updates:
    """Divide each step by a running root mean square of the gradient:
    a <- rho a + (1 - rho) g^2; p <- p - lr g / sqrt(a + eps)."""
    updates = []
    for p, g in zip(params, gradients(cost_or_grads, params)):
        average = _zeros_like(p, "mean_square")
        new_average = rho * average + (1 - rho) * g ** 2
        updates += [(average, new_average),
                    (p, p - learning_rate * g / T.sqrt(new_average + epsilon))]
    return updates


def adam(cost_or_grads: Any, params: Sequence[SharedVariable], learning_rate: float = 1e-3,
         beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8) -> Updates:
    """Adam (Kingma & Ba, 2015): running means of g and g^2, their zero start corrected
    by 1 - beta^t, folded into the step size as Lasagne does."""
    grads = gradients(cost_or_grads, params)
    dtype = params[0].get_value(borrow=True).dtype
    t = theano.shared(np.zeros((), dtype=dtype), name="adam_t")
    # --8<-- [start:ex-ch08-adam]
    t_next = t + 1
    step = learning_rate * T.sqrt(1 - beta2 ** t_next) / (1 - beta1 ** t_next)
    updates = [(t, t_next)]
    for p, g in zip(params, grads):
        m, v = _zeros_like(p, "adam_m"), _zeros_like(p, "adam_v")
        m_next = beta1 * m + (1 - beta1) * g
        v_next = beta2 * v + (1 - beta2) * g ** 2
        updates += [(m, m_next), (v, v_next),
                    (p, p - step * m_next / (T.sqrt(v_next) + epsilon))]
    # --8<-- [end:ex-ch08-adam]
    return updates


def l2_penalty(params: Sequence[Variable], weight_decay: float) -> Variable:
    """Weight decay as a term of the cost: (wd / 2) sum of every squared weight, whose
    gradient wd * p pulls each weight toward 0 (with SGD: p <- (1 - lr wd) p - lr g)."""
    return weight_decay / 2 * sum(T.sum(T.sqr(p)) for p in params)
