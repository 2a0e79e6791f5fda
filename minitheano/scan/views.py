"""map, reduce, foldl, foldr, jacobian, hessian: common loops, each one call to scan
(chapter 7).

    squares, _ = theano.map(lambda x: x ** 2, sequences=v)
    total, _ = theano.reduce(lambda x, acc: acc + x, sequences=v, outputs_info=0.0)

`map` feeds nothing back; `reduce` (and `foldl`, its name in functional
languages) feeds its outputs back and keeps only the last step; `foldr` does
the same from the end of the sequences.  A rewrite notices that only the last
step is used, so a reduction runs in constant memory.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from minitheano.scan.build import scan


def map(fn: Callable, sequences: Any, non_sequences: Any = None,  # noqa: A001
        truncate_gradient: int = -1, go_backwards: bool = False, mode: Any = None,
        name: str | None = None) -> tuple[Any, Any]:
    """`fn` applied to each step of `sequences`: scan with no fed-back output."""
    return scan(fn, sequences=sequences, outputs_info=None, non_sequences=non_sequences,
                truncate_gradient=truncate_gradient, go_backwards=go_backwards, mode=mode,
                name=name)


def reduce(fn: Callable, sequences: Any, outputs_info: Any, non_sequences: Any = None,  # noqa: A001
           go_backwards: bool = False, mode: Any = None, name: str | None = None
           ) -> tuple[Any, Any]:
    """The last step of scan(fn, ...): fn(x_t, acc_{t-1}) folded over the sequences."""
    outputs, updates = scan(fn, sequences=sequences, outputs_info=outputs_info,
                            non_sequences=non_sequences, go_backwards=go_backwards, mode=mode,
                            name=name)
    if isinstance(outputs, list):
        return [out[-1] for out in outputs], updates
    return (None if outputs is None else outputs[-1]), updates


def foldl(fn: Callable, sequences: Any, outputs_info: Any, non_sequences: Any = None,
          mode: Any = None, name: str | None = None) -> tuple[Any, Any]:
    """reduce, from the first step to the last."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=False, mode=mode,
                  name=name)


def foldr(fn: Callable, sequences: Any, outputs_info: Any, non_sequences: Any = None,
          mode: Any = None, name: str | None = None) -> tuple[Any, Any]:
    """reduce, from the last step to the first."""
    return reduce(fn, sequences, outputs_info, non_sequences, go_backwards=True, mode=mode,
                  name=name)


def jacobian(expression: Any, wrt: Any, consider_constant: Any = None,
             disconnected_inputs: str = "raise") -> Any:
    """d expression / d wrt as a scan over the elements of `expression`: row i is
    grad(expression[i], wrt).  The shape is (expression.size,) + wrt.shape.

    The loop's body holds the whole graph of `expression`; the rewrites hoist
    what does not depend on i out of it, so the forward values are computed
    once and only the backward pass runs per row.
    """
    from minitheano.gradient.jacobian import jacobian as jacobian_with

    return jacobian_with(expression, wrt, consider_constant=consider_constant,
                         disconnected_inputs=disconnected_inputs, rows=_scan_rows)


def _scan_rows(y: Any, wrts: list, consider_constant: Any, disconnected_inputs: str) -> list:
    """The jacobians of the vector `y` with respect to `wrts`: one scan, row i being
    grad(y[i], wrts)."""
    import minitheano.tensor as T
    from minitheano.gradient import grad

    def row(i: Any, *ignored: Any) -> list:
        return grad(y[i], wrts, consider_constant=consider_constant,
                    disconnected_inputs=disconnected_inputs)
    rows, _ = scan(row, sequences=T.arange(y.shape[0]), non_sequences=[y, *wrts],
                   name="jacobian")
    return rows if isinstance(rows, list) else [rows]


def hessian(cost: Any, wrt: Any, consider_constant: Any = None,
            disconnected_inputs: str = "raise") -> Any:
    """The matrix of second derivatives of the scalar `cost` w.r.t. each vector in
    `wrt`: chapter 4's hessian, with the jacobian of the gradient as a scan."""
    from minitheano.gradient.jacobian import hessian as hessian_with

    return hessian_with(cost, wrt, consider_constant=consider_constant,
                        disconnected_inputs=disconnected_inputs, jacobian=jacobian)
