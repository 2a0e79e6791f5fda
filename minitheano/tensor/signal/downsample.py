"""`theano.tensor.signal.downsample.max_pool_2d`: pooling's older spelling (chapter 8).

Theano before 0.9 pooled with `max_pool_2d(input, ds, ignore_border=None,
st=None, padding=(0, 0), mode='max')`; it builds the same node as
`pool.pool_2d`.
"""

from __future__ import annotations

from typing import Any

from minitheano.tensor.signal.pool import pool_2d
from minitheano.tensor.type import TensorVariable


def max_pool_2d(input: Any, ds: Any, ignore_border: bool | None = None, st: Any = None,
                padding: Any = (0, 0), mode: str = "max") -> TensorVariable:
    """pool_2d under its old name and argument names."""
    return pool_2d(input, ws=ds, ignore_border=ignore_border, stride=st, pad=padding,
                   mode=mode)
