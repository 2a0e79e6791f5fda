"""dropout: zero each unit with probability p while training (chapter 8).

    srng = MRG_RandomStreams(seed=1)
    h = dropout(T.tanh(T.dot(x, W) + b), p=0.5, srng=srng)

Each call draws a fresh mask from `srng` (any stream with Theano's
`binomial(size, p, dtype)`: MRG_RandomStreams or RandomStreams).  The units
that survive are scaled by 1 / (1 - p) ("inverted" dropout), so the layer's
expected output is unchanged and the network is used as it is at test time,
without dropout and without rescaling.
"""

from __future__ import annotations

from typing import Any

from minitheano.tensor.basic import as_tensor_variable
from minitheano.tensor.type import TensorVariable


def dropout(x: Any, p: float, srng: Any, rescale: bool = True) -> TensorVariable:
    """`x` with each entry zeroed with probability `p` (and the others divided by
    1 - p, unless `rescale` is False)."""
    x = as_tensor_variable(x)
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p is the probability of dropping a unit, in [0, 1), "
                         f"got {p!r}")
    if p == 0:
        return x
    keep = 1.0 - p
    mask = srng.binomial(size=x.shape, p=keep, dtype=x.dtype)
    return x * mask / keep if rescale else x * mask
