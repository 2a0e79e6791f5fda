"""Shared variables: symbolic variables that carry a value between calls (chapter 2).

A shared variable is a Variable *with a value*, kept in `container`, a
one-element list.  Every compiled function that uses it reads that same cell,
and a function's `updates` write new values into it after a call: that is all
a training loop's parameters are.  It lives in graph/ because it is part of
the graph model (like a Constant whose value may change); `theano.shared` in
compile/ picks the right kind for a value.

Borrowing, as in Theano: `get_value()` returns a copy and `set_value(v)`
stores a copy.  With `borrow=True` no copy is made, so the caller and the
shared variable may share one buffer: faster, and the caller promises not to
rely on what the buffer holds after the next call.
"""

from __future__ import annotations

import copy
from typing import Any

from minitheano.graph.basic import Variable
from minitheano.graph.type import Type


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

    def get_test_value(self) -> Any:
        """A shared variable's test value is its current value (chapter 9)."""
        return self.container[0]

    def clone(self) -> SharedVariable:
        # A clone must keep reading and writing the same container.
        cp = copy.copy(self)
        cp.owner, cp.index = None, None
        return cp

    def __str__(self) -> str:
        return self.name if self.name is not None else f"<{self.type}>"
