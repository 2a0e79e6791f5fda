"""Shared variables: state that lives between calls (chapter 2).

A shared variable is a symbolic variable *with a value*.  Every function that
uses it reads the same storage cell (its `container`), and a function's
`updates` write new values into that cell after the call.  That is all a
training loop's parameters are.

Borrowing, as in Theano: `shared(v)` copies v, `get_value()` returns a copy,
`set_value(v)` stores a copy.  With `borrow=True` no copy is made, so the
caller and the shared variable may share one buffer: faster, and the caller
promises not to rely on what the buffer holds after the next call.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from minitheano.graph.basic import Variable
from minitheano.graph.type import Type
from minitheano.tensor.type import TensorType, TensorVariable


class SharedVariable(Variable):
    """A Variable with a value stored in `container`, a one-element list."""

    def __init__(self, type: Type, value: Any, name: str | None = None, strict: bool = False,
                 allow_downcast: bool | None = None, borrow: bool = False) -> None:
        super().__init__(type, name=name)
        self.strict = strict
        self.allow_downcast = allow_downcast
        value = type.filter(value, strict=strict, allow_downcast=allow_downcast)
        self.container: list = [value if borrow else copy.deepcopy(value)]
        # Applied by every function using this variable, unless told otherwise
        # (RandomStreams uses it to advance its generators).
        self.default_update: Variable | None = None

    def get_value(self, borrow: bool = False, return_internal_type: bool = False) -> Any:
        """The current value (a copy unless `borrow`)."""
        value = self.container[0]
        return value if borrow else copy.deepcopy(value)

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Store a new value (a copy unless `borrow`), checked against the type."""
        try:
            value = self.type.filter(value, strict=self.strict, allow_downcast=self.allow_downcast)
        except TypeError as e:
            raise TypeError(f"set_value of shared variable {self}: {e}") from None
        self.container[0] = value if borrow else copy.deepcopy(value)

    def clone(self) -> SharedVariable:
        # A clone must keep reading and writing the same container.
        cp = copy.copy(self)
        cp.owner, cp.index = None, None
        return cp

    @property
    def value(self) -> Any:
        return self.get_value()

    def __str__(self) -> str:
        return self.name if self.name is not None else f"<{self.type}>"


class TensorSharedVariable(SharedVariable, TensorVariable):
    """A shared numpy array, usable anywhere a tensor is."""


def shared(value: Any, name: str | None = None, strict: bool = False,
           allow_downcast: bool | None = None, borrow: bool = False,
           broadcastable: Any = None) -> SharedVariable:
    """A shared variable holding `value`.

    Arrays and numbers become tensors, of the value's own dtype (a Python float
    is float64, an int int64); no dimension is broadcastable unless
    `broadcastable` says so, since the value may later change shape.
    """
    if isinstance(value, SharedVariable):
        raise TypeError("shared() of a shared variable: use the variable itself")
    if isinstance(value, Variable):
        raise TypeError(f"shared() needs a value, not the symbolic variable {value}")
    if isinstance(value, np.random.RandomState):
        from minitheano.tensor.random import RandomStateType

        return SharedVariable(RandomStateType(), value, name=name, borrow=borrow)
    if isinstance(value, (np.ndarray, np.generic, int, float, bool)):
        data = np.asarray(value)
        if data.dtype == np.float16:
            raise TypeError("float16 is not supported; use float32")
        bcast = broadcastable if broadcastable is not None else (False,) * data.ndim
        stype = TensorType(data.dtype.name, bcast)
        if not isinstance(value, np.ndarray):
            value, borrow = data, True  # a fresh array already: no need to copy it again
        return TensorSharedVariable(stype, value, name=name, strict=strict,
                                    allow_downcast=allow_downcast, borrow=borrow)
    raise TypeError(f"shared() does not know how to hold a value of type {type(value).__name__}")
