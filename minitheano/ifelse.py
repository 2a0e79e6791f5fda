"""`ifelse`: a condition that computes only the branch it takes (chapter 7).

    from minitheano.ifelse import ifelse
    z = ifelse(T.lt(a, b), T.mean(x), T.mean(y))

`T.switch(cond, a, b)` is an elementwise op: like any node, it runs after
*both* `a` and `b` have been computed, then picks elementwise.  `ifelse`
takes one scalar condition and is *lazy*: the VM asks it which inputs it
needs (first the condition, then only the branch it chose), so the work of
the other branch is never done.  The machinery is in link/py/lazy.py; this
module is the op, its gradient (an ifelse of the branch gradients, so the
backward pass is lazy too) and its shapes.

Several outputs can share one condition: `ifelse(c, [a1, a2], [b1, b2])`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minitheano.config import config
from minitheano.graph.basic import Apply, Variable
from minitheano.graph.null import disconnected_type, is_disconnected
from minitheano.graph.op import Op
from minitheano.graph.test_value import compute_test_values
from minitheano.tensor.basic import as_tensor_variable, zeros_like
from minitheano.tensor.shape import patternbroadcast
from minitheano.tensor.type import TensorType, TensorVariable


class IfElse(Op):
    """`if cond: then_1..then_n else: else_1..else_n`, computing one side only.

    Inputs: [cond, then_1, ..., then_n, else_1, ..., else_n]; n outputs.
    """

    __props__ = ("n_outs", "name")
    lazy = True  # the lazy VM calls make_lazy_thunk instead of running perform

    def __init__(self, n_outs: int, name: str | None = None) -> None:
        self.n_outs = n_outs
        self.name = name
        # Output i is the then-branch's value itself, not a copy: a view, declared
        # so that in-place rewrites and the protection of outputs know.  An op
        # can declare only one input an output views, so the else-branch's value
        # is copied.
        self.view_map = {i: [1 + i] for i in range(n_outs)}

    def make_node(self, cond: Any, *branches: Any) -> Apply:
        n = self.n_outs
        if len(branches) != 2 * n:
            raise TypeError(f"{self} takes a condition and {n} + {n} branch values, "
                            f"got {len(branches)} branch values")
        cond = as_tensor_variable(cond)
        if cond.ndim != 0:
            raise TypeError(f"ifelse: the condition must be a scalar, got {cond} ({cond.type}); "
                            f"for an elementwise choice use T.switch")
        then, other = list(branches[:n]), list(branches[n:])
        outputs = []
        for i, (a, b) in enumerate(zip(then, other)):
            a, b = _same_dtype(a, b, i, self.name)
            if a.ndim != b.ndim:
                raise TypeError(f"ifelse{_called(self.name)}: the branches of output {i} have "
                                f"different numbers of dimensions: {a} is {a.type} but {b} is "
                                f"{b.type}")
            then[i], other[i] = a, b
            # The output must accept either value: a dimension is broadcastable
            # only if it is in both branches.
            bcast = [x and y for x, y in zip(a.broadcastable, b.broadcastable)]
            outputs.append(TensorType(a.dtype, bcast)())
        return Apply(self, [cond, *then, *other], outputs)

    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:
        node = self.make_node(*inputs)
        if config.compute_test_value != "off":
            compute_test_values(node, config.compute_test_value)
        return node.outputs[0] if self.n_outs == 1 else node.outputs

    # -- running --------------------------------------------------------------
    def perform(self, node: Apply, inputs: Sequence[Any], output_storage: list[list]) -> None:
        """The eager fallback (both branches already computed): pick one."""
        n = self.n_outs
        if inputs[0]:
            for cell, value in zip(output_storage, inputs[1:1 + n]):
                cell[0] = value
        else:
            for cell, value in zip(output_storage, inputs[1 + n:]):
                cell[0] = _copy(value)

    def make_lazy_thunk(self, node: Apply, input_cells: list[list], output_cells: list[list],
                        input_computed: list[list]) -> Callable[[], list[int]]:
        n = self.n_outs
        then_positions = list(range(1, 1 + n))
        else_positions = list(range(1 + n, 1 + 2 * n))

        # --8<-- [start:ex-ch07-ifelse-lazy]
        def thunk() -> list[int]:
            if not input_computed[0][0]:
                return [0]  # first the condition, and nothing else
            chosen = then_positions if input_cells[0][0] else else_positions
            missing = [i for i in chosen if not input_computed[i][0]]
            if missing:
                return missing  # only the branch we take
            for cell, i in zip(output_cells, chosen):
                value = input_cells[i][0]
                cell[0] = value if chosen is then_positions else _copy(value)
            return []
        # --8<-- [end:ex-ch07-ifelse-lazy]
        return thunk

    # -- shapes and gradients ---------------------------------------------------
    def infer_shape(self, fgraph: Any, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        n = self.n_outs
        cond = node.inputs[0]
        shapes = []
        for then_shape, else_shape in zip(input_shapes[1:1 + n], input_shapes[1 + n:]):
            # Each length is the chosen branch's: another (scalar) ifelse,
            # unless both branches agree.
            shapes.append(tuple(a if a is b or _same_int(a, b) else ifelse(cond, a, b)
                                for a, b in zip(then_shape, else_shape)))
        return shapes

    def grad(self, inputs: list[Variable], output_grads: list[Variable]) -> list[Variable]:
        n = self.n_outs
        cond, then, other = inputs[0], inputs[1:1 + n], inputs[1 + n:]
        then_grads, else_grads = [], []
        for a, b, g in zip(then, other, output_grads):
            if is_disconnected(g):
                then_grads.append(disconnected_type())
                else_grads.append(disconnected_type())
                continue
            zero = zeros_like(g)
            # The gradient reaches the branch that was taken; the other gets zeros.
            then_grads.append(_match(ifelse(cond, g, zero), a))
            else_grads.append(_match(ifelse(cond, zero, g), b))
        return [disconnected_type()] + then_grads + else_grads

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        n = self.n_outs
        pattern = [[False] * n]  # the condition decides, but no value flows from it
        for i in range(2 * n):
            pattern.append([j == i % n for j in range(n)])
        return pattern

    def __str__(self) -> str:
        return f"if{{{self.name or ''}}}"


def ifelse(condition: Any, then_branch: Any, else_branch: Any,
           name: str | None = None) -> TensorVariable | list[TensorVariable]:
    """`then_branch` if `condition` (a scalar) is true, else `else_branch`.

    Only the branch taken is computed.  The branches may be lists of the same
    length (the result is then a list); each pair must have the same dtype
    and number of dimensions.
    """
    as_list = isinstance(then_branch, (list, tuple))
    if as_list != isinstance(else_branch, (list, tuple)):
        raise TypeError("ifelse: then_branch and else_branch must both be lists or both be "
                        "single values")
    then = list(then_branch) if as_list else [then_branch]
    other = list(else_branch) if as_list else [else_branch]
    if len(then) != len(other):
        raise ValueError(f"ifelse{_called(name)}: then_branch has {len(then)} values but "
                         f"else_branch has {len(other)}")
    if not then:
        raise ValueError("ifelse: the branches are empty")
    outs = IfElse(len(then), name).make_node(condition, *then, *other).outputs
    return list(outs) if as_list else outs[0]


# ---------------------------------------------------------------------------

def _called(name: str | None) -> str:
    return f" {name!r}" if name else ""


def _same_dtype(a: Any, b: Any, i: int, name: str | None) -> tuple[TensorVariable, ...]:
    """Both branches as tensors; a Python number takes the other branch's dtype."""
    if not isinstance(a, Variable) and isinstance(b, Variable):
        b = as_tensor_variable(b)
        a = as_tensor_variable(a, dtype=b.dtype)
    elif not isinstance(b, Variable):
        a = as_tensor_variable(a)
        b = as_tensor_variable(b, dtype=a.dtype)
    else:
        a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.dtype != b.dtype:
        raise TypeError(f"ifelse{_called(name)}: the branches of output {i} have different "
                        f"dtypes: {a} is {a.dtype} but {b} is {b.dtype}; cast one of them "
                        f"with T.cast")
    return a, b


def _copy(value: Any) -> Any:
    # The else-branch's value, as a new value: an in-place op may modify the
    # output without touching the branch it came from.
    return value.copy() if isinstance(value, np.ndarray) else copy.deepcopy(value)


def _same_int(a: Any, b: Any) -> bool:
    return isinstance(a, (int, np.integer)) and isinstance(b, (int, np.integer)) and a == b


def _match(g: TensorVariable, x: TensorVariable) -> TensorVariable:
    """`g` with the broadcastable pattern of `x` (the output may be less broadcastable)."""
    if g.broadcastable == x.broadcastable:
        return g
    return patternbroadcast(g, x.broadcastable)
