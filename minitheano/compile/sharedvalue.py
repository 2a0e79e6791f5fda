"""`theano.shared`: make a shared variable of the right kind for a value (chapter 2).

The variable classes live with the graph (graph/shared.py) and the tensors
(tensor/sharedvar.py); this module only chooses among them.  A program can add
its own kinds with `shared_constructor` (Theano's registry): each registered
constructor is asked first, newest first, and one that raises TypeError passes
the value on to the next.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minitheano.config import config
from minitheano.graph.basic import Variable
from minitheano.graph.shared import SharedVariable
from minitheano.tensor.random import random_state_type
from minitheano.tensor.sharedvar import TensorSharedVariable
from minitheano.tensor.type import TensorType

# The constructors registered with shared_constructor, oldest first.
constructors: list[Callable[..., SharedVariable]] = []


def shared_constructor(ctor: Callable[..., SharedVariable],
                       remove: bool = False) -> Callable[..., SharedVariable]:
    """Register `ctor(value, name=, strict=, allow_downcast=, **kwargs)` with `shared`
    (or take it off with `remove=True`).  Returns `ctor`, so it can decorate."""
    if remove:
        constructors.remove(ctor)
    else:
        constructors.append(ctor)
    return ctor


def shared(value: Any, name: str | None = None, strict: bool = False,
           allow_downcast: bool | None = None, borrow: bool = False,
           broadcastable: Any = None, **kwargs: Any) -> SharedVariable:
    """A shared variable holding `value` (a copy of it, unless `borrow`).

    Arrays and numbers become tensors of the value's own dtype (a Python float
    is float64, an int int64); no dimension is broadcastable unless
    `broadcastable` says so, since the value may later change shape.  The
    constructors registered with `shared_constructor` are tried first.
    """
    if isinstance(value, Variable):
        raise TypeError(f"shared() needs a value, not the symbolic variable {value}")
    extra = dict(kwargs, **({} if broadcastable is None else {"broadcastable": broadcastable}))
    for ctor in reversed(constructors):
        try:
            return ctor(value, name=name, strict=strict, allow_downcast=allow_downcast,
                        borrow=borrow, **extra)
        except TypeError:
            continue  # not a value this constructor holds (Theano's convention)
    if kwargs:
        raise TypeError(f"shared() got unexpected arguments {sorted(kwargs)}")
    if isinstance(value, np.random.RandomState):
        return SharedVariable(random_state_type, value, name=name, borrow=borrow)
    if isinstance(value, (np.ndarray, np.generic, int, float, bool)):
        data = np.asarray(value)
        if data.dtype == np.float16:
            raise TypeError("float16 is not supported; use float32")
        bcast = broadcastable if broadcastable is not None else (False,) * data.ndim
        stype = TensorType(data.dtype.name, bcast)
        if not isinstance(value, np.ndarray):
            value, borrow = data, True  # already a fresh array: no need to copy it again
        if config.device == "cuda" and data.dtype.kind == "f":  # kept on the GPU (chapter 6)
            from minitheano.link.cuda.device import get_device
            from minitheano.link.cuda.sharedvar import GpuSharedVariable

            return GpuSharedVariable(stype, value, get_device(), name=name, strict=strict,
                                     allow_downcast=allow_downcast)
        return TensorSharedVariable(stype, value, name=name, strict=strict,
                                    allow_downcast=allow_downcast, borrow=borrow)
    raise TypeError(f"shared() does not know how to hold a value of type {type(value).__name__}")
