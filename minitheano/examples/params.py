"""Saving and loading a model's parameters as a numpy .npz file (chapter 8).

The Theano way to keep a trained model: its parameters' values, read with `get_value()`
and written with `numpy.savez`; to load, build the same model again (same code, same
layer sizes) and `set_value()` each parameter. The file holds arrays only, so it opens
in any numpy and any later version of the model's code, unlike a pickle of the graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from minitheano.compile import SharedVariable


def _key(index: int, param: SharedVariable) -> str:
    # Several layers call their weights "W": the position makes each key unique.
    return f"{index:03d}_{param.name or 'param'}"


def save_params(path: str | Path, params: Sequence[SharedVariable]) -> None:
    """Write the values of `params`, in order, to the .npz file `path`."""
    np.savez(path, **{_key(i, p): p.get_value() for i, p in enumerate(params)})


def load_params(path: str | Path, params: Sequence[SharedVariable]) -> None:
    """Set `params` (the same model, built again) to the values saved in `path`.

    Nothing is set unless every saved array fits: same number of parameters, same names,
    same shapes and dtypes.
    """
    with np.load(path) as saved:
        keys = sorted(saved.files)
        expected = [_key(i, p) for i, p in enumerate(params)]
        if keys != expected:
            raise ValueError(f"{path}: holds the parameters {keys}, the model has {expected}")
        values = [saved[key] for key in expected]
    for key, param, value in zip(expected, params, values):
        current = param.get_value(borrow=True)
        if value.shape != current.shape or value.dtype != current.dtype:
            raise ValueError(f"{path}: {key} is {value.dtype}{list(value.shape)}, the model's "
                             f"{param} is {current.dtype}{list(current.shape)}")
    for param, value in zip(params, values):
        param.set_value(value)
