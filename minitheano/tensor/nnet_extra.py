"""Theano's smaller `theano.tensor.nnet` helpers: confusion_matrix and the
prepend_*_to_each_row family (chapter 1).  Graphs of other ops; T.nnet exports them."""

from __future__ import annotations

from typing import Any

from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.indexing_ops import unique
from minitheano.tensor.type import TensorVariable


def confusion_matrix(actual: Any, pred: Any) -> list[TensorVariable]:
    """[conf_mat, order]: conf_mat[i, j] counts the examples of class order[i]
    predicted as order[j]; order is every label seen, sorted."""
    actual, pred = as_tensor_variable(actual), as_tensor_variable(pred)
    if actual.ndim != 1 or pred.ndim != 1:
        raise TypeError(f"confusion_matrix: expected two vectors of labels, got "
                        f"{actual.type} and {pred.type}")
    order = unique(_T.concatenate([actual, pred]))
    one_hot_actual = _T.cast(_T.eq(actual.dimshuffle(0, "x"), order.dimshuffle("x", 0)), "int64")
    one_hot_pred = _T.cast(_T.eq(pred.dimshuffle(0, "x"), order.dimshuffle("x", 0)), "int64")
    return [_T.dot(one_hot_actual.T, one_hot_pred), order]


def prepend_scalar_to_each_row(val: Any, x: Any) -> TensorVariable:
    """The matrix x with a first column of `val`s."""
    x = as_tensor_variable(x)
    if x.ndim != 2:
        raise TypeError(f"prepend_scalar_to_each_row: expected a matrix, got {x.type}")
    column = _T.alloc(_T.cast(val, x.dtype), x.shape[0], 1)
    return _T.concatenate([column, x], axis=1)


def prepend_0_to_each_row(x: Any) -> TensorVariable:
    return prepend_scalar_to_each_row(0, x)


def prepend_1_to_each_row(x: Any) -> TensorVariable:
    return prepend_scalar_to_each_row(1, x)


# The functions here build graph with the whole tensor package, which itself
# needs this module: importing it last breaks the cycle.
import minitheano.tensor as _T  # noqa: E402
