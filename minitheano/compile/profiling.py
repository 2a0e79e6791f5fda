"""Where the time goes: `theano.function(..., profile=True)` (chapter 2).

    f = theano.function([x, W], T.tanh(T.dot(x, W)), profile=True)
    for _ in range(100):
        f(a, w)
    f.profile.summary()

A profiled function runs each node's thunk inside a timer, so the profile
knows, per node, how often it ran and for how long; it also times whole
calls and the compilation.  `summary()` prints three tables as Theano 1.0's
ProfileStats did: by class of op (all `Elemwise` together), by op, and by
node (Apply), each sorted by time.  With `config.profile = True` (or
`MINITHEANO_FLAGS=profile=True`) every function is profiled and the
summaries are printed when the program exits.

The timers are added only to a profiled function: an unprofiled call runs
the same thunks as before, with no check of a flag on the way.  (A lazy
node, `ifelse`, runs its own thunk: it is not timed, the branches it runs
are.)
"""

from __future__ import annotations

import atexit
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from minitheano.graph.basic import Apply

Thunk = Callable[[], Any]


@dataclass
class NodeTime:
    """How often one node ran, and for how long in all (seconds)."""

    calls: int = 0
    seconds: float = 0.0


@dataclass
class ProfileStats:
    """The counts and times of one function (or of several, if they share it)."""

    message: str = ""
    calls: int = 0              # calls of the compiled graph
    call_seconds: float = 0.0   # time spent running it, thunks and loop together
    compile_seconds: float = 0.0
    nodes: dict[Apply, NodeTime] = field(default_factory=dict)
    order: list[Apply] = field(default_factory=list)  # every node profiled, in order

    # -- collecting ---------------------------------------------------------------
    def instrument(self, order: Sequence[Apply], thunks: Sequence[Thunk]) -> list[Thunk]:
        """The thunks, each inside a timer that adds to its node's NodeTime."""
        timed = []
        for node, thunk in zip(order, thunks):
            record = self.nodes.setdefault(node, NodeTime())
            self.order.append(node)
            timed.append(_timed_thunk(thunk, record))
        return timed

    def timed_run(self, run: Callable[[], None]) -> Callable[[], None]:
        """`run` (a VM's), counting its calls and their time."""
        clock = time.perf_counter

        def timed() -> None:
            start = clock()
            try:
                run()
            finally:
                self.calls += 1
                self.call_seconds += clock() - start
        return timed

    # -- reading ------------------------------------------------------------------
    @property
    def node_seconds(self) -> float:
        """Time spent in the thunks themselves (the rest is the VM's loop)."""
        return sum(t.seconds for t in self.nodes.values())

    def summary(self, file: TextIO | None = None, n_apply_to_print: int = 20) -> None:
        """Print the three tables, as Theano's ProfileStats.summary() did."""
        file = file or sys.stdout
        print(self._header(), file=file)
        by_class: dict[str, list[NodeTime | int]] = {}
        by_op: dict[str, list[NodeTime | int]] = {}
        for node, t in self.nodes.items():
            for table, key in ((by_class, type(node.op).__name__), (by_op, str(node.op))):
                row = table.setdefault(key, [NodeTime(), 0])
                row[0].calls += t.calls
                row[0].seconds += t.seconds
                row[1] += 1
        for title, column, table in (("Class", "Class name", by_class),
                                     ("Ops", "Op name", by_op)):
            print(f"\n{title}\n---", file=file)
            print(f"<% time> <sum %> <apply time> <time per call> <#call> <#apply> <{column}>",
                  file=file)
            rows = [(t, f"{n:>7} {name}") for name, (t, n) in table.items()]
            self._print_rows(rows, file)
        print("\nApply\n------", file=file)
        print("<% time> <sum %> <apply time> <time per call> <#call> <id> <Apply name>",
              file=file)
        index = {node: k for k, node in enumerate(dict.fromkeys(self.order))}
        rows = [(t, f"{index[node]:>4} {_apply_name(node)}") for node, t in self.nodes.items()]
        self._print_rows(rows, file, n_apply_to_print)

    def _header(self) -> str:
        node_share = 100 * self.node_seconds / self.call_seconds if self.call_seconds else 0.0
        return "\n".join([
            "Function profiling",
            "==================",
            f"  Message: {self.message}",
            f"  Time in {self.calls} calls to the compiled graph: {self.call_seconds:.3e}s",
            f"  Time in thunks: {self.node_seconds:.3e}s ({node_share:.1f}%)",
            f"  Total compile time: {self.compile_seconds:.3e}s",
            f"  Nodes: {len(self.nodes)}",
        ])

    def _print_rows(self, rows: list[tuple[NodeTime, str]], file: TextIO,
                    limit: int | None = None) -> None:
        total = sum(t.seconds for t, _ in rows) or 1.0
        rows = sorted(rows, key=lambda r: -r[0].seconds)
        running = 0.0
        for t, label in rows[:limit]:
            running += t.seconds
            per_call = t.seconds / t.calls if t.calls else 0.0
            print(f"  {100 * t.seconds / total:5.1f}%  {100 * running / total:5.1f}%  "
                  f"{t.seconds:10.3e}s  {per_call:10.3e}s  {t.calls:>6} {label}", file=file)
        if limit is not None and len(rows) > limit:
            print(f"   ... ({len(rows) - limit} more, not shown)", file=file)


def _timed_thunk(thunk: Thunk, record: NodeTime) -> Thunk:
    clock = time.perf_counter

    def timed() -> Any:
        start = clock()
        try:
            return thunk()
        finally:
            record.calls += 1
            record.seconds += clock() - start
    return timed


def _apply_name(node: Apply) -> str:
    inputs = ", ".join(str(v) for v in node.inputs)
    return f"{node.op}({inputs})"


# -- config.profile: print every profile when the program exits -----------------
_TO_PRINT: list[ProfileStats] = []


def print_at_exit(stats: ProfileStats) -> None:
    """Print `stats` when the program exits (the first call registers the hook)."""
    if not _TO_PRINT:
        atexit.register(_print_all)
    _TO_PRINT.append(stats)


def _print_all() -> None:
    for stats in _TO_PRINT:
        if stats.calls:
            stats.summary(file=sys.stderr)
