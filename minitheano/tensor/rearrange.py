"""Moving elements around: roll, swapaxes and Theano's stacking helpers (chapter 1).

All of them are graphs of ops the book already has (slices, joins,
dimshuffles), so their shapes and gradients come for free.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.reduction import normalize_axis
from minitheano.tensor.type import TensorVariable


def roll(x: Any, shift: Any, axis: int | None = None) -> TensorVariable:
    """numpy.roll: the elements shifted by `shift` along `axis`, those pushed off
    one end coming back at the other (of the flattened `x` if axis is None).

    The result is the join of two slices, x[-s:] then x[:-s], with s = shift
    mod n; s = 0 gives x[0:] then x[:0], which is x, so a symbolic shift works.
    """
    x = as_tensor_variable(x)
    if axis is None:
        if x.ndim > 1:
            return roll(x.flatten(), shift, axis=0).reshape(x.shape, ndim=x.ndim)
        axis = 0
    (axis,) = normalize_axis(axis, x.ndim)
    s = _T.as_tensor_variable(shift) % x.shape[axis]
    before = (slice(None),) * axis
    return _T.join(axis, x[before + (slice(-s, None),)], x[before + (slice(None, -s),)])


def swapaxes(y: Any, axis1: int, axis2: int) -> TensorVariable:
    """numpy.swapaxes: a view with two dimensions exchanged."""
    y = as_tensor_variable(y)
    (axis1,), (axis2,) = normalize_axis(axis1, y.ndim), normalize_axis(axis2, y.ndim)
    order = list(range(y.ndim))
    order[axis1], order[axis2] = axis2, axis1
    return y.dimshuffle(order)


def horizontal_stack(*args: Any) -> TensorVariable:
    """Matrices side by side (numpy.hstack for matrices): joined along axis 1."""
    _check_matrices("horizontal_stack", args)
    return _T.concatenate(list(args), axis=1)


def vertical_stack(*args: Any) -> TensorVariable:
    """Matrices one above the other (numpy.vstack for matrices): joined along axis 0."""
    _check_matrices("vertical_stack", args)
    return _T.concatenate(list(args), axis=0)


def _check_matrices(who: str, args: Sequence[Any]) -> None:
    if len(args) < 2:
        raise ValueError(f"{who}: needs at least two matrices, got {len(args)}")
    for k, a in enumerate(args):
        if as_tensor_variable(a).ndim != 2:
            raise TypeError(f"{who}: argument {k} is not a matrix ({as_tensor_variable(a).type})")


def stacklists(arg: Any) -> TensorVariable:
    """A tensor from nested lists of variables (numpy.array of nested lists):
    `stacklists([[a, b], [c, d]])` for scalars a..d is a 2 x 2 matrix."""
    if isinstance(arg, (list, tuple)):
        return _T.stack([stacklists(item) for item in arg])
    return as_tensor_variable(arg)


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
