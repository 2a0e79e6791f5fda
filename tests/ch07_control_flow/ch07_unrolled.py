"""The independent references a scan is checked against (chapter 7's tests).

`unroll` writes the loop `scan(step, ...)` runs out step by step, as a plain
graph with no Scan node in it: step t is `step` called on the rows t + k of
the sequences and on the earlier results, exactly as chapter 7 describes the
loop.  `check_against_unrolled` compiles the scan and its unrolled twin in
FAST_COMPILE and FAST_RUN (so every loop rewrite runs), and compares their
values, their gradients (of a cost that weighs every row of every output
differently, and the values shared variables the loop updates end with), and
the gradients with central finite differences.  A loop that stops with
until(...) is compared with the unrolled loop's first steps, up to the first
whose condition is true: the gradient of a while loop is that of the steps it
took.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minitheano as theano
import minitheano.tensor as T
from minitheano.graph.basic import Variable, clone_replace
from minitheano.scan import until

MODES = ("FAST_COMPILE", "FAST_RUN")


@dataclass
class Tolerance:
    """How close two values must be: for float64, or for float32."""

    values: float
    grads: float
    fd_step: float
    fd: float


TOLERANCES = {"float64": Tolerance(values=1e-10, grads=1e-8, fd_step=1e-6, fd=1e-6),
              "float32": Tolerance(values=1e-5, grads=1e-4, fd_step=1e-2, fd=1e-3)}


def _as_list(x: Any) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _seq_spec(seq: Any) -> tuple[Any, list[int]]:
    if isinstance(seq, dict):
        return seq["input"], list(seq.get("taps", [0]))
    return seq, [0]


def _state_spec(info: Any) -> tuple[Any, list[int]]:
    if info is None:
        return None, []
    if isinstance(info, dict):
        return info.get("initial"), list(info.get("taps", [-1])) if "initial" in info else []
    return info, [-1]


@dataclass
class Unrolled:
    """The unrolled loop: each output stacked from its rows (one per step), the
    until(...) condition of every step (None if the step returns none), and the
    values each shared variable the step updates has after steps 0, 1, ..."""

    rows: list[Variable]
    conditions: Variable | None
    shared_after: dict[Any, list[Variable]]

    def shared_final(self, sv: Any, steps: int) -> Variable:
        """The shared variable's value after `steps` steps (before any: its own)."""
        return self.shared_after[sv][steps - 1] if steps else sv


def _split_result(result: Any) -> tuple[list, dict, Variable | None]:
    """(outputs, updates, condition) from what a step returned, in the forms the
    tests write: outputs, then optionally a dict of updates, then until(...)."""
    parts = _as_list(result)
    condition = None
    if parts and isinstance(parts[-1], until):
        condition = parts.pop().condition
    updates = parts.pop() if parts and isinstance(parts[-1], dict) else {}
    if len(parts) == 1 and isinstance(parts[0], (list, tuple)):  # (outputs, ...)
        parts = list(parts[0])
    return parts, updates, condition


def unroll(step: Callable, n_steps: int, sequences: Any = None, outputs_info: Any = None,
           non_sequences: Any = None, go_backwards: bool = False) -> Unrolled:
    """The loop `scan(step, ...)` runs over `n_steps` steps, built without a loop.

    A shared variable the step updates ({s: new}) is read, at step t, as the
    value step t - 1 gave it: its uses in the step's graph are replaced by that.
    """
    seqs = [_seq_spec(s) for s in _as_list(sequences)]
    states = [_state_spec(i) for i in _as_list(outputs_info)]
    non_seqs = _as_list(non_sequences)
    # Each fed-back output's history: its initial rows, then a row per step.
    histories: list[list] = []
    for initial, taps in states:
        if initial is None:
            histories.append([])
        elif taps == [-1]:
            histories.append([initial])
        else:
            histories.append([initial[i] for i in range(-min(taps))])
    rows: list[list] = [[] for _ in states]
    conditions: list = []
    shared_now: dict = {}  # shared variable -> its value before this step
    shared_after: dict[Any, list] = {}
    for t in range(n_steps):
        args = []
        for x, taps in seqs:
            if go_backwards:  # from the end: step 0 reads tap k at row -1 - last + k
                last = max(max(taps), 0)
                args += [x[-1 - last + k - t] for k in taps]
            else:
                first = -min(min(taps), 0)
                args += [x[t + k + first] for k in taps]
        for (initial, taps), history in zip(states, histories):
            if initial is not None:
                args += [history[len(history) + k] for k in taps]
        # The step is called on stand-ins, which are then replaced by this step's
        # arguments and shared values (replacing in the step's graph only).
        stand_ins = [a.type() for a in args]
        outs, updates, condition = _split_result(step(*stand_ins, *non_seqs))
        ends = [] if condition is None else [condition]
        news = list(updates.values())
        replaced = clone_replace(outs + news + ends, {**dict(zip(stand_ins, args)),
                                                      **shared_now})
        outs, news = replaced[:len(outs)], replaced[len(outs):len(outs) + len(news)]
        ends = replaced[len(outs) + len(news):]
        for sv, new in zip(updates, news):
            shared_now[sv] = new
            shared_after.setdefault(sv, []).append(new)
        conditions += ends
        if not states:
            states = [(None, [])] * len(outs)
            histories, rows = [[] for _ in outs], [[] for _ in outs]
        for j, out in enumerate(outs):
            rows[j].append(out)
            if states[j][0] is not None:
                histories[j].append(out)
    return Unrolled([T.stack(r) for r in rows], T.stack(conditions) if conditions else None,
                    shared_after)


@dataclass
class Loop:
    """A scan to check: its arguments, the inputs to differentiate and their values."""

    step: Callable
    n_steps: int
    inputs: list  # the symbolic inputs (sequences, initial values, non-sequences)
    values: list  # numpy values for them
    sequences: Any = None
    outputs_info: Any = None
    non_sequences: Any = None
    shared: list = field(default_factory=list)  # shared variables the body reads
    go_backwards: bool = False
    explicit_n_steps: bool = False  # pass n_steps to scan (no sequences, or fewer steps)
    dtype: str = "float64"
    last_only: list = field(default_factory=list)  # per output: only out[-1] is used
    stops: bool = False  # the step returns until(...) last
    updated: list = field(default_factory=list)  # shared variables the step updates
    taken: int | None = None  # with until: the steps the loop takes on `values`

    def scan_outputs(self) -> list:
        """What the cost reads: the scan's outputs, then the updated shared
        variables' values after the loop."""
        outs, updates = theano.scan(self.step, sequences=self.sequences,
                                    outputs_info=self.outputs_info,
                                    non_sequences=self.non_sequences,
                                    n_steps=self.n_steps if self.explicit_n_steps else None,
                                    go_backwards=self.go_backwards)
        return self.used(_as_list(outs)) + [updates[sv] for sv in self.updated]

    def unroll(self) -> Unrolled:
        return unroll(self.step, self.n_steps, self.sequences, self.outputs_info,
                      self.non_sequences, self.go_backwards)

    def unrolled_outputs(self) -> list:
        """As `scan_outputs`, from the unrolled loop (with until, its first
        `taken` steps)."""
        unrolled = self.unroll()
        steps = self.n_steps
        rows = unrolled.rows
        if self.stops:
            if self.taken is None:
                raise ValueError("the steps a loop with until(...) takes are not known yet")
            steps = self.taken
            rows = [out[:steps] for out in rows]
        return self.used(rows) + [unrolled.shared_final(sv, steps) for sv in self.updated]

    def used(self, outputs: list) -> list:
        """What the cost reads of each output: all its rows, or the last."""
        return [out[-1] if last else out
                for out, last in zip(outputs, self.last_only + [False] * len(outputs))]

    def steps_taken(self) -> int:
        """With until: how many steps the unrolled loop runs on `values` before
        (and including) the first whose condition is true."""
        conditions = theano.function(self.inputs, self.unroll().conditions,
                                     mode="FAST_COMPILE",
                                     on_unused_input="ignore")(*self.values)
        conditions = np.asarray(conditions).astype(bool)
        return int(np.argmax(conditions)) + 1 if conditions.any() else self.n_steps


def weighted_cost(outputs: Sequence, weights: Sequence[np.ndarray]) -> Any:
    """sum_j sum(out_j * w_j): every row of every output counts, differently."""
    return sum((out * T.constant(w.astype(out.dtype))).sum()
               for out, w in zip(outputs, weights))


def _cost_weights(values: Sequence[np.ndarray], seed: int = 5) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.0, 1.0, size=np.shape(v)) for v in values]


def finite_differences(f: Callable[[], float], arrays: Sequence[np.ndarray],
                       eps: float) -> list[np.ndarray]:
    """d f / d each array, by central differences, changing the arrays in place
    (and putting them back)."""
    grads = []
    for a in arrays:
        g = np.zeros(a.shape, dtype="float64")
        for i in np.ndindex(a.shape):
            old = a[i]
            a[i] = old + eps
            up = f()
            a[i] = old - eps
            down = f()
            a[i] = old
            g[i] = (float(up) - float(down)) / (2 * eps)
        grads.append(g)
    return grads


def _close(actual: Any, desired: Any, tol: float, what: str) -> None:
    actual, desired = np.asarray(actual, dtype="float64"), np.asarray(desired, dtype="float64")
    assert actual.shape == desired.shape, f"{what}: shape {actual.shape} != {desired.shape}"
    scale = max(1.0, float(np.abs(desired).max(initial=0.0)))
    np.testing.assert_allclose(actual, desired, rtol=tol, atol=tol * scale, err_msg=what)


def check_against_unrolled(loop: Loop, modes: Sequence[str] = MODES, rop: bool = True,
                           fd_twin: Loop | None = None) -> None:
    """The scan's values, gradients (and Lop / Rop) equal the unrolled loop's
    in every mode, and the gradients equal finite differences (of `fd_twin`,
    the same loop in float64, when the loop itself is float32)."""
    if loop.stops:  # the unrolled reference is its first `taken` steps
        loop.taken = loop.steps_taken()
        if fd_twin is not None:
            fd_twin.taken = loop.taken
    tol = TOLERANCES[loop.dtype]
    scanned, unrolled = loop.scan_outputs(), loop.unrolled_outputs()
    assert len(scanned) == len(unrolled)
    wrt = list(loop.inputs) + list(loop.shared)
    reference = theano.function(loop.inputs, unrolled, mode="FAST_COMPILE",
                                on_unused_input="ignore")
    weights = _cost_weights(reference(*loop.values))
    scan_cost, ref_cost = weighted_cost(scanned, weights), weighted_cost(unrolled, weights)
    scan_grads = T.grad(scan_cost, wrt, disconnected_inputs="ignore")
    ref_grads = T.grad(ref_cost, wrt, disconnected_inputs="ignore")
    extra_scan, extra_ref = [], []
    if rop:  # Lop with the weights is the gradient again; Rop along fixed directions
        points = [T.constant(w.astype(o.dtype)) for o, w in zip(scanned, weights)]
        extra_scan += theano.gradient.Lop(scanned, loop.inputs, points,
                                          disconnected_inputs="ignore")
        extra_ref += theano.gradient.Lop(unrolled, loop.inputs, points,
                                         disconnected_inputs="ignore")
        directions = [T.constant(d.astype(x.dtype)) for x, d in
                      zip(loop.inputs, _cost_weights(loop.values, seed=7))]
        extra_scan += theano.gradient.Rop(scanned, loop.inputs, directions,
                                          disconnected_outputs="ignore")
        extra_ref += theano.gradient.Rop(unrolled, loop.inputs, directions,
                                         disconnected_outputs="ignore")
    want = theano.function(loop.inputs, unrolled + ref_grads + extra_ref, mode="FAST_COMPILE",
                           on_unused_input="ignore")(*loop.values)
    n_out = len(unrolled)
    for mode in modes:
        got = theano.function(loop.inputs, scanned + scan_grads + extra_scan, mode=mode,
                              on_unused_input="ignore")(*loop.values)
        for j in range(n_out):
            _close(got[j], want[j], tol.values, f"{mode}: output {j}")
        # Alone, without the gradient's loops (whose rewrites change the forward loop).
        alone = theano.function(loop.inputs, scanned, mode=mode,
                                on_unused_input="ignore")(*loop.values)
        for j in range(n_out):
            _close(alone[j], want[j], tol.values, f"{mode}: output {j}, without gradients")
        for k in range(n_out, len(want)):
            _close(got[k], want[k], tol.grads, f"{mode}: gradient/Lop/Rop result {k - n_out}")
    twin = fd_twin or loop
    numeric = _numeric_gradient(twin, weights)
    for k, g in enumerate(numeric):
        _close(want[n_out + k], g, tol.fd, f"gradient {k} against finite differences")


def _numeric_gradient(loop: Loop, weights: list[np.ndarray]) -> list[np.ndarray]:
    """The gradient of the weighted cost of the unrolled `loop`, by finite differences
    in its inputs and the shared variables its body reads."""
    cost = weighted_cost(loop.unrolled_outputs(), weights)
    cost_fn = theano.function(loop.inputs, cost, mode="FAST_COMPILE", on_unused_input="ignore")
    arrays = [np.array(v, dtype=loop.dtype) for v in loop.values]
    shared_values = [sv.get_value(borrow=True) for sv in loop.shared]
    return finite_differences(lambda: cost_fn(*arrays), arrays + shared_values,
                              TOLERANCES[loop.dtype].fd_step)
