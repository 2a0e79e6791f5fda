"""subgraph_grad: the gradient of a graph computed a piece at a time (chapter 4).

Backpropagation can be cut at chosen variables (`end`): the gradients with
respect to the parameters of one piece (`wrt`) and to the cut variables come
out together, and the cut variables' gradients are then fed (`start`) to the
piece below as `known_grads`.  Theano's example trains a deep model layer by
layer this way; the pieces' gradients add up to the whole graph's.
"""

from __future__ import annotations

from collections.abc import Sequence

from minitheano.gradient.reverse import grad
from minitheano.graph.basic import Variable


def subgraph_grad(wrt: Sequence[Variable], end: Sequence[Variable],
                  start: dict[Variable, Variable] | None = None, cost: Variable | None = None,
                  details: bool = False) -> tuple:
    """(gradients with respect to `wrt`, gradients with respect to `end`) of the
    piece of graph between `end` and `start` (known gradients) and/or `cost`;
    with `details`, also the parts due to `start` and to `cost`."""
    if start is None and cost is None:
        raise ValueError("subgraph_grad: give start (known gradients), cost, or both")
    params = list(dict.fromkeys([*wrt, *end]))  # each once, in order
    parts = []
    start_grads = cost_grads = None
    if start is not None:
        start_grads = grad(None, params, known_grads=dict(start), consider_constant=list(end),
                           disconnected_inputs="ignore")
        parts.append(start_grads)
    if cost is not None:
        cost_grads = grad(cost, params, consider_constant=list(end),
                          disconnected_inputs="ignore")
        parts.append(cost_grads)
    total = parts[0] if len(parts) == 1 else [a + b for a, b in zip(*parts)]
    by_param = dict(zip(params, total))
    wrt_grads = [by_param[v] for v in wrt]
    end_grads = [by_param[v] for v in end]
    if details:
        return wrt_grads, end_grads, start_grads, cost_grads
    return wrt_grads, end_grads
