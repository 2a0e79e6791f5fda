"""Markers for gradients that are not ordinary values (chapter 4).

An Op's `grad` returns one Variable per input.  Two kinds of input have no
gradient to return, and the difference matters:

* *disconnected*: the output does not depend on the input at all (the shape
  arguments of `alloc`, the indices of `x[i]`).  The gradient is zero and may
  be dropped silently.
* *undefined*: the output depends on the input, but not differentiably
  (integer division, `argmax`).  Asking for this gradient is an error that
  says why.

Both are Variables of special Types so they can travel through the same
lists as ordinary gradients; `gradient.py` looks for them.
"""

from __future__ import annotations

from typing import Any

from minitheano.graph.basic import Variable
from minitheano.graph.type import Type


class DisconnectedType(Type):
    """The type of a gradient that does not exist: the output ignores the input."""

    def filter(self, data: Any, strict: bool = False, allow_downcast: bool | None = None) -> Any:
        raise TypeError("a disconnected gradient has no value")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(DisconnectedType)

    def __str__(self) -> str:
        return "DisconnectedType"


class NullType(Type):
    """The type of an undefined gradient; `why` says what was not differentiable."""

    def __init__(self, why: str) -> None:
        self.why = why

    def filter(self, data: Any, strict: bool = False, allow_downcast: bool | None = None) -> Any:
        raise TypeError(f"an undefined gradient has no value: {self.why}")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.why == self.why

    def __hash__(self) -> int:
        return hash((NullType, self.why))

    def __str__(self) -> str:
        return "NullType"


def disconnected_type() -> Variable:
    """The gradient of an input the output does not depend on."""
    return DisconnectedType()()


def grad_undefined(op: Any, index: int, x: Variable, comment: str = "") -> Variable:
    """The gradient of input `index` of `op` is mathematically undefined."""
    why = f"the gradient of {op} with respect to its input {index} ({x}) is undefined"
    return NullType(f"{why}: {comment}" if comment else why)()


def grad_not_implemented(op: Any, index: int, x: Variable, comment: str = "") -> Variable:
    """The gradient exists but this library does not compute it."""
    why = f"the gradient of {op} with respect to its input {index} ({x}) is not implemented"
    return NullType(f"{why}: {comment}" if comment else why)()


def is_disconnected(v: Any) -> bool:
    return isinstance(v, Variable) and isinstance(v.type, DisconnectedType)


def is_undefined(v: Any) -> bool:
    return isinstance(v, Variable) and isinstance(v.type, NullType)
