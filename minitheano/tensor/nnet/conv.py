"""`theano.tensor.nnet.conv.conv2d`: the convolution's older spelling (chapter 8).

Code written before Theano 0.9 called `conv.conv2d(input, filters,
image_shape=..., filter_shape=..., border_mode='valid'|'full', subsample=...)`.
It is the same convolution (filters flipped), so it builds the same node as
`T.nnet.conv2d` (abstract_conv.py).
"""

from __future__ import annotations

from typing import Any

from minitheano.tensor.nnet.abstract_conv import conv2d as _conv2d
from minitheano.tensor.type import TensorVariable


def conv2d(input: Any, filters: Any, image_shape: Any = None, filter_shape: Any = None,
           border_mode: str = "valid", subsample: Any = (1, 1), **kargs: Any) -> TensorVariable:
    """The old API: border_mode 'valid' or 'full' only; other keywords are ignored
    (they tuned the old implementation, not the result)."""
    if border_mode not in ("valid", "full"):
        raise ValueError(f"conv.conv2d: border_mode must be 'valid' or 'full', got "
                         f"{border_mode!r} (T.nnet.conv2d takes the others)")
    return _conv2d(input, filters, input_shape=image_shape, filter_shape=filter_shape,
                   border_mode=border_mode, subsample=subsample)
