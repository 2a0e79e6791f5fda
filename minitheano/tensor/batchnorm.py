"""Batch normalization, Theano's `theano.tensor.nnet.bn` (chapter 1; gradients, chapter 4).

    out = (x - mean) * gamma / sqrt(var + epsilon) + beta

with the mean and variance taken over the batch (`batch_normalization_train`)
or given (`batch_normalization_test`, with the running averages kept during
training).  Theano had fused ops for it, for cuDNN; here it is the graph of
the formula, so the gradient is the chain rule through mean and var.
`axes` says what is averaged over: 'per-activation' (the batch axis 0),
'spatial' (0 and every axis after 1: one mean per channel of an image) or a
tuple of axes.  gamma, beta and the running statistics have either every
dimension of x (length 1 on the averaged axes) or only the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.type import TensorVariable

DEFAULT_EPSILON = 1e-4
DEFAULT_RUNNING_AVERAGE_FACTOR = 0.1


def batch_normalization(inputs: Any, gamma: Any, beta: Any, mean: Any, std: Any,
                        mode: str = "low_mem") -> TensorVariable:
    """(inputs - mean) * (gamma / std) + beta, everything broadcast as numpy does."""
    if mode not in ("low_mem", "high_mem"):
        raise ValueError(f"batch_normalization: mode must be 'low_mem' or 'high_mem', "
                         f"got {mode!r}")
    inputs, gamma, beta, mean, std = (as_tensor_variable(v)
                                      for v in (inputs, gamma, beta, mean, std))
    return (inputs - mean) * (gamma / std) + beta


def _axes(axes: Any, ndim: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(averaged axes, kept axes) for Theano's `axes` argument."""
    if axes == "per-activation":
        averaged: Sequence[int] = (0,)
    elif axes == "spatial":
        averaged = (0, *range(2, ndim))
    elif isinstance(axes, (tuple, list)):
        averaged = tuple(int(a) for a in axes)
    else:
        raise ValueError(f"batch normalization: axes must be 'per-activation', 'spatial' or "
                         f"a tuple of axes, got {axes!r}")
    averaged = tuple(sorted(averaged))
    if not averaged or averaged[0] < 0 or averaged[-1] >= ndim:
        raise ValueError(f"batch normalization: axes {averaged} do not fit an input of "
                         f"{ndim} dimensions")
    return averaged, tuple(d for d in range(ndim) if d not in averaged)


def _spread(param: TensorVariable, ndim: int, kept: tuple[int, ...]) -> TensorVariable:
    """A parameter with only the kept axes, given every axis of the input."""
    if param.ndim == ndim:
        return param
    pattern: list[Any] = ["x"] * ndim
    for i, axis in enumerate(kept):
        pattern[axis] = i
    return param.dimshuffle(pattern)


def _shrink(stat: TensorVariable, like: TensorVariable,
            averaged: tuple[int, ...]) -> TensorVariable:
    """A statistic computed with keepdims, in the shape of the parameter `like`."""
    return stat if like.ndim == stat.ndim else stat.dimshuffle(
        [d for d in range(stat.ndim) if d not in averaged])


def batch_normalization_train(inputs: Any, gamma: Any, beta: Any,
                              axes: Any = "per-activation", epsilon: float = DEFAULT_EPSILON,
                              running_average_factor: float = DEFAULT_RUNNING_AVERAGE_FACTOR,
                              running_mean: Any = None, running_var: Any = None) -> list:
    """[out, mean, invstd], plus [new running mean, new running var] when both
    running statistics are given (the variance's running average is unbiased:
    the batch variance times m / (m - 1), m the number of values averaged)."""
    inputs, gamma, beta = (as_tensor_variable(v) for v in (inputs, gamma, beta))
    if (running_mean is None) != (running_var is None):
        raise ValueError("batch_normalization_train: give both running_mean and running_var, "
                         "or neither")
    averaged, kept = _axes(axes, inputs.ndim)
    mean = inputs.mean(axis=averaged, keepdims=True)
    var = inputs.var(axis=averaged, keepdims=True)
    invstd = 1.0 / _T.sqrt(var + epsilon)
    out = (inputs - mean) * _spread(gamma, inputs.ndim, kept) * invstd + \
        _spread(beta, inputs.ndim, kept)
    results = [out, _shrink(mean, gamma, averaged), _shrink(invstd, gamma, averaged)]
    if running_mean is not None:
        running_mean, running_var = as_tensor_variable(running_mean), \
            as_tensor_variable(running_var)
        count = _T.cast(_T.prod(_T.stack([inputs.shape[d] for d in averaged])), inputs.dtype)
        factor = running_average_factor
        results.append(running_mean * (1 - factor) + _shrink(mean, running_mean, averaged)
                       * factor)
        results.append(running_var * (1 - factor) + count / (count - 1)
                       * _shrink(var, running_var, averaged) * factor)
    return results


def batch_normalization_test(inputs: Any, gamma: Any, beta: Any, mean: Any, var: Any,
                             axes: Any = "per-activation",
                             epsilon: float = DEFAULT_EPSILON) -> TensorVariable:
    """(inputs - mean) * gamma / sqrt(var + epsilon) + beta with given statistics."""
    inputs = as_tensor_variable(inputs)
    _, kept = _axes(axes, inputs.ndim)
    gamma, beta, mean, var = (_spread(as_tensor_variable(v), inputs.ndim, kept)
                              for v in (gamma, beta, mean, var))
    return (inputs - mean) * gamma / _T.sqrt(var + epsilon) + beta


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
