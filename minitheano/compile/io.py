"""In and Out: how a function treats each input and output (chapter 2).

`In(x, value=1.0)` gives input x a default; `In(x, name='rate')` lets callers
write `f(rate=0.1)`; `In(s, value=0, update=s + 1)` keeps a value inside the
function that changes at every call.  `Out(y, borrow=True)` lets the function
return an internal buffer without copying it.
"""

from __future__ import annotations

from typing import Any

from minitheano.graph.basic import Variable


class In:
    """A function input with its options."""

    def __init__(self, variable: Variable, name: str | None = None, value: Any = None,
                 update: Variable | None = None, mutable: bool | None = None,
                 strict: bool = False, allow_downcast: bool | None = None,
                 borrow: bool | None = None, implicit: bool = False) -> None:
        if not isinstance(variable, Variable):
            raise TypeError(f"In() needs a symbolic Variable, got {variable!r}")
        self.variable = variable
        self.name = name if name is not None else variable.name
        self.value = value
        self.update = update
        # An input that is updated is internal state: the function may overwrite it.
        self.mutable = bool(mutable) if mutable is not None else update is not None
        self.strict = strict
        self.allow_downcast = allow_downcast
        self.borrow = bool(borrow)
        self.implicit = implicit  # shared variables: given by the function, not the caller

    def __repr__(self) -> str:
        return f"In({self.variable})"


class Out:
    """A function output; `borrow=True` returns it without a defensive copy."""

    def __init__(self, variable: Variable, borrow: bool = False) -> None:
        if not isinstance(variable, Variable):
            raise TypeError(f"Out() needs a symbolic Variable, got {variable!r}")
        self.variable = variable
        self.borrow = borrow

    def __repr__(self) -> str:
        return f"Out({self.variable})"


class Container:
    """One input's storage, seen from outside a function: `f.container[x]`.

    `storage` is the one-element list the function reads; `value` reads it
    and writes it, checking the value against the input's type as a call does.
    Passing a container as the value of another function's input,
    `In(s, value=f.container[s])`, makes both functions read the same cell.
    """

    def __init__(self, variable: Variable, storage: list, name: str | None = None,
                 strict: bool = False, allow_downcast: bool | None = None) -> None:
        self.variable = variable
        self.type = variable.type
        self.storage = storage
        self.name = name
        self.strict = strict
        self.allow_downcast = allow_downcast

    @property
    def value(self) -> Any:
        return self.storage[0]

    @value.setter
    def value(self, value: Any) -> None:
        try:
            self.storage[0] = self.type.filter(value, strict=self.strict,
                                               allow_downcast=self.allow_downcast)
        except (TypeError, ValueError) as e:
            raise TypeError(f"the value of input {self.name or self.variable}: {e}") from None

    def __repr__(self) -> str:
        return f"<{self.value!r}>"
