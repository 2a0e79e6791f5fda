"""MonitorMode: a mode that calls your functions around every node it runs (chapter 2).

    def detect_nan(i, node, fn):
        for cell in fn.outputs:
            if np.isnan(cell[0]).any():
                print("NaN from", node)

    f = theano.function([x], y, mode=MonitorMode(post_func=detect_nan))

`pre_func(i, node, fn)` runs before node number `i` of the schedule, and
`post_func(i, node, fn)` after it; `fn.inputs` and `fn.outputs` are the node's
storage cells (one-element lists holding the values), as in Theano.  The linker
builds its thunks as for any mode; `monitor` then wraps each one, the way
`profile=True` wraps them in timers (compile/profiling.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from minitheano.compile.mode import Mode
from minitheano.config import config
from minitheano.graph.basic import Apply, Variable

NodeHook = Callable[[int, Apply, Any], None]


class MonitoredThunk:
    """A node's thunk with its cells, as the hooks see it (Theano's `fn`)."""

    def __init__(self, thunk: Callable[[], None], inputs: list[list], outputs: list[list]):
        self.thunk = thunk
        self.inputs = inputs
        self.outputs = outputs

    def __call__(self) -> None:
        self.thunk()


class MonitorMode(Mode):
    """A Mode whose functions call `pre_func` and `post_func` around each node."""

    def __init__(self, pre_func: NodeHook | None = None, post_func: NodeHook | None = None,
                 optimizer: str | None = "default", linker: str | None = None,
                 excluded: frozenset[str] = frozenset(),
                 included: frozenset[str] = frozenset()) -> None:
        optimizer = config.optimizer if optimizer == "default" else optimizer
        super().__init__(linker or "c", optimizer, excluded, included)
        self.pre_func = pre_func
        self.post_func = post_func

    def excluding(self, *names: str) -> MonitorMode:
        return MonitorMode(self.pre_func, self.post_func, self.optimizer, self.linker,
                           self.excluded | set(names), self.included)

    def including(self, *names: str) -> MonitorMode:
        return MonitorMode(self.pre_func, self.post_func, self.optimizer, self.linker,
                           self.excluded, self.included | set(names))

    # Two monitors are the same mode only if they are one object: their hooks differ.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def monitor(self, order: Sequence[Apply], thunks: Sequence[Callable[[], None]],
                storage: dict[Variable, list]) -> list[Callable[[], None]]:
        """The thunks, each calling the hooks before and after it runs."""
        return [self._wrapped(i, node, MonitoredThunk(thunk, [storage[v] for v in node.inputs],
                                                      [storage[v] for v in node.outputs]))
                for i, (node, thunk) in enumerate(zip(order, thunks))]

    def _wrapped(self, i: int, node: Apply, fn: MonitoredThunk) -> Callable[[], None]:
        pre, post = self.pre_func, self.post_func

        def run() -> None:
            if pre is not None:
                pre(i, node, fn)
            fn()
            if post is not None:
                post(i, node, fn)
        return run

    def __repr__(self) -> str:
        return f"MonitorMode(pre_func={self.pre_func!r}, post_func={self.post_func!r}, " \
               f"optimizer={self.optimizer!r}, linker={self.linker!r})"
