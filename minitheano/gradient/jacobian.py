"""`jacobian` and `hessian`: a loop of gradients (chapter 4).

`grad` needs a scalar cost.  The Jacobian of a vector y with respect to x has
one row per element of y, and row i is `grad(y[i], x)`; the Hessian of a
scalar cost is the Jacobian of its gradient.

How long is the loop?  `y.shape[0]` is only known when the function runs, so
the loop cannot be unrolled while the graph is built.  `JacobianLoop` builds
the graph of ONE row, with i as an input, and the function runs it for
i = 0 .. n-1.  Chapter 7 meets the general form of this idea, `scan`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minitheano import tensor as T
from minitheano.gradient.reverse import grad
from minitheano.graph.basic import Apply, Constant, Variable, clone_get_equiv, graph_inputs
from minitheano.graph.null import disconnected_type, grad_not_implemented
from minitheano.graph.op import Op
from minitheano.tensor.type import TensorType


class JacobianLoop(Op):
    """The rows `grad(y[i], wrt)` for i in range(n), stacked: shape (n,) + wrt.shape.

    Node inputs: n, wrt, then every other variable the row's graph needs
    (the inputs and shared variables `y` is computed from).
    """

    def __init__(self, y: Variable, wrt: Variable, consider_constant: Sequence[Variable] = (),
                 disconnected_inputs: str = "raise") -> None:
        i = T.lscalar("i")
        row = grad(y[i], wrt, consider_constant=consider_constant,
                   disconnected_inputs=disconnected_inputs)
        others = [v for v in graph_inputs([row], stop_at=[wrt])
                  if v is not i and v is not wrt and not isinstance(v, Constant)]
        self.outer_inputs = [wrt, *others]
        # The op keeps its own copy of the row's graph, on fresh input variables.
        memo = {v: v.type(name=v.name) for v in [i, wrt, *others]}
        equiv = clone_get_equiv(list(memo), [row], copy_inputs=False, memo=memo)
        self.index = equiv[i]
        self.inner_inputs = [equiv[v] for v in self.outer_inputs]
        self.row = equiv[row]
        self._fn = None

    # Each loop is its own computation: compare by identity.
    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def make_node(self, n: Any, *args: Any) -> Apply:
        n = T.as_tensor_variable(n)
        args = [T.as_tensor_variable(a) for a in args]
        for given, mine in zip(args, self.inner_inputs):
            if given.type != mine.type:
                raise TypeError(f"{self}: expected an input of type {mine.type}, "
                                f"got {given} ({given.type})")
        out = TensorType(self.row.type.dtype, (False, *self.row.type.broadcastable))()
        return Apply(self, [n, *args], [out])

    def perform(self, node, inputs, output_storage):
        n, *args = inputs
        if self._fn is None:
            # Running the row's graph is what `function` is for (chapter 2).
            from minitheano.compile.function import function
            self._fn = function([self.index, *self.inner_inputs], self.row,
                                on_unused_input="ignore")
        rows = [self._fn(np.int64(i), *args) for i in range(int(n))]
        dtype = node.outputs[0].type.numpy_dtype
        wrt_value = args[0]
        out = np.stack(rows) if rows else np.zeros((0, *np.shape(wrt_value)))
        output_storage[0][0] = np.asarray(out, dtype=dtype)

    def infer_shape(self, fgraph, node, input_shapes):
        return [(node.inputs[0], *input_shapes[1])]

    def grad(self, inputs, output_grads):
        why = "differentiating a jacobian again needs scan (chapter 7)"
        return [disconnected_type()] + [grad_not_implemented(self, k, x, why)
                                        for k, x in enumerate(inputs) if k > 0]

    def connection_pattern(self, node):
        return [[False]] + [[True] for _ in node.inputs[1:]]

    def __str__(self) -> str:
        return "JacobianLoop"


def loop_rows(y: Variable, wrts: Sequence[Variable], consider_constant: Sequence[Variable],
              disconnected_inputs: str) -> list[Variable]:
    """The jacobian of the vector `y` with respect to each of `wrts`, a JacobianLoop each."""
    results = []
    for x in wrts:
        loop = JacobianLoop(y, x, consider_constant, disconnected_inputs)
        results.append(loop(y.shape[0], *loop.outer_inputs))
    return results


def jacobian(expression: Variable, wrt: Variable | Sequence[Variable],
             consider_constant: Sequence[Variable] | None = None,
             disconnected_inputs: str = "raise", rows: Callable[..., list] = loop_rows) -> Any:
    """d expression / d wrt, one row per element of `expression` (flattened).

    The result for each `wrt` has shape (expression.size,) + wrt.shape; a
    scalar expression gives its gradient.  `rows(y, wrts, consider_constant,
    disconnected_inputs)` computes the jacobians of the flattened expression
    (this module's loop by default; chapter 7 passes a scan).
    """
    expression = T.as_tensor_variable(expression)
    wrts = list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
    if expression.ndim == 0:
        results = grad(expression, wrts, consider_constant=consider_constant,
                       disconnected_inputs=disconnected_inputs)
    else:
        y = expression if expression.ndim == 1 else expression.flatten()
        results = rows(y, wrts, consider_constant or (), disconnected_inputs)
    if isinstance(wrt, tuple):
        return tuple(results)
    return results if isinstance(wrt, list) else results[0]


def hessian(cost: Variable, wrt: Variable | Sequence[Variable],
            consider_constant: Sequence[Variable] | None = None,
            disconnected_inputs: str = "raise", jacobian: Callable[..., Any] = jacobian) -> Any:
    """The matrix of second derivatives of a scalar `cost` with respect to each vector
    `wrt`: the jacobian of its gradient.  `jacobian` computes that jacobian (this
    module's loop by default; chapter 7 passes its scan)."""
    cost = T.as_tensor_variable(cost)
    if cost.ndim != 0:
        raise TypeError(f"hessian: the cost must be a scalar, got {cost.type}")
    wrts = list(wrt) if isinstance(wrt, (list, tuple)) else [wrt]
    results = []
    for x in wrts:
        if getattr(x, "ndim", None) != 1:
            raise TypeError(f"hessian: wrt must be vectors, got {x} ({x.type})")
        g = grad(cost, x, consider_constant=consider_constant,
                 disconnected_inputs=disconnected_inputs)
        results.append(jacobian(g, x, consider_constant=consider_constant,
                                disconnected_inputs=disconnected_inputs))
    if isinstance(wrt, tuple):
        return tuple(results)
    return results if isinstance(wrt, list) else results[0]
