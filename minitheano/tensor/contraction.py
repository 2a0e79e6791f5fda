"""batched_tensordot: one tensordot per element of a batch (chapter 1).

Where `tensordot` reshapes its inputs into matrices for one `Dot`, the
batched form lines the two inputs up by broadcasting: the batch axis first,
then x's free axes, then y's free axes, then the summed axes, which a `sum`
removes.  It costs memory for the full product, but is a plain graph whose
gradient and shape the elementwise ops already give.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.type import TensorVariable


def _batched_axes(x: TensorVariable, y: TensorVariable, axes: Any) -> tuple[list, list]:
    """Theano's `axes`: an int n (the last n axes of x with axes 1..n of y), or two
    lists of axes of x and of y (never axis 0, the batch)."""
    if isinstance(axes, (int, np.integer)):
        if not 0 <= axes < min(x.ndim, y.ndim):
            raise ValueError(f"batched_tensordot: axes={axes} but the inputs have {x.ndim} "
                             f"and {y.ndim} dimensions, one of them the batch")
        return list(range(x.ndim - axes, x.ndim)), list(range(1, axes + 1))
    x_axes, y_axes = ([a] if isinstance(a, (int, np.integer)) else list(a) for a in axes)
    if len(x_axes) != len(y_axes):
        raise ValueError(f"batched_tensordot: axes {x_axes} and {y_axes} differ in length")
    for v, ax in ((x, x_axes), (y, y_axes)):
        for d in ax:
            if not 1 <= d % v.ndim < v.ndim:
                raise ValueError(f"batched_tensordot: axis {d} of {v.type} is out of range "
                                 f"or is the batch axis 0")
    return [d % x.ndim for d in x_axes], [d % y.ndim for d in y_axes]


def batched_tensordot(x: Any, y: Any, axes: Any = 2) -> TensorVariable:
    """For each b, numpy.tensordot(x[b], y[b], axes) (axes counted with the batch)."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim < 2 or y.ndim < 2:
        raise TypeError(f"batched_tensordot: both inputs need a batch axis and another, "
                        f"got {x.type} and {y.type}")
    x_axes, y_axes = _batched_axes(x, y, axes)
    x_free = [d for d in range(1, x.ndim) if d not in x_axes]
    y_free = [d for d in range(1, y.ndim) if d not in y_axes]
    x_lined = x.dimshuffle([0, *x_free, *["x"] * len(y_free), *x_axes])
    y_lined = y.dimshuffle([0, *["x"] * len(x_free), *y_free, *y_axes])
    n_summed = len(x_axes)
    product = x_lined * y_lined
    if n_summed == 0:
        return product
    return product.sum(axis=list(range(product.ndim - n_summed, product.ndim)))
