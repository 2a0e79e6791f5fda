"""OrderedUpdates: the updates `scan` returns (chapter 7).

A dict from shared variable to its new value that keeps the order of
insertion (so compiled graphs are the same from run to run) and refuses to
give one variable two different new values.  Pass it to
`function(..., updates=updates)`; `a + b` joins two of them.
"""

from __future__ import annotations

from typing import Any


class OrderedUpdates(dict):
    """{shared variable: new value}, in insertion order, one value per variable."""

    def __setitem__(self, key: Any, value: Any) -> None:
        if key in self and self[key] is not value:
            raise KeyError(f"updates: {key} would be updated twice, to {self[key]} and to "
                           f"{value}")
        super().__setitem__(key, value)

    def update(self, other: Any = (), **kwargs: Any) -> None:
        pairs = other.items() if isinstance(other, dict) else other
        for key, value in pairs:
            self[key] = value
        for key, value in kwargs.items():
            self[key] = value

    def __add__(self, other: Any) -> OrderedUpdates:
        result = OrderedUpdates(self)
        result.update(other)
        return result

    def __repr__(self) -> str:
        return f"OrderedUpdates({list(self.items())})"
