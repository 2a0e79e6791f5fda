"""`theano.scan`: from a Python step function to one Scan node (chapter 7).

    h, updates = theano.scan(step, sequences=X, outputs_info=[h0], non_sequences=[W])

`scan` calls `step` ONCE, with symbolic placeholders: `x_t` (a row of X, one
dimension less), `h_tm1` (a value of h0's type), and the non-sequences.  What
the step returns is the loop's body, a graph from the placeholders to the new
values; `scan` wraps it in a Scan op (scan/op.py) and returns the node's outputs:
h[0..n-1] for every step.  Like `T.grad`, scan only builds graph.

The argument forms, as in Theano:

* sequences: `X` (the step sees X[t]) or `dict(input=X, taps=[-1, 0, 1])`
  (the step sees X[t-1], X[t], X[t+1]; the loop runs len(X) - 2 times);
* outputs_info: per output, `None` (not fed back), an initial value `h0`
  (the step sees h[t-1]), or `dict(initial=x0, taps=[-2, -1])` (x0 holds
  x[-2], x[-1]; the step sees x[t-2], x[t-1]);
* non_sequences: passed to every step unchanged;
* the step's arguments come in that order: sequences (each tap in the order
  given), fed-back outputs (each tap), non-sequences;
* the step returns its outputs (one, or a list), and/or a dict of updates of
  shared variables ({k: k + 1}), as `outputs`, `updates` or `(outputs, updates)`;
  and, to stop early, `until(condition)` last: `return h, until(h > 100)`
  (a while loop: n_steps, or the sequences, bound the number of steps).

Variables the step uses without being given them (W captured by a closure,
shared weights) are found in its graph and passed to the loop automatically;
shared variables it updates become loop states whose final values are in the
returned `updates` (give them to `function(..., updates=updates)`).
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from minitheano.config import config
from minitheano.graph.basic import Constant, TestValueError, Variable, clone_replace, graph_inputs
from minitheano.graph.shared import SharedVariable
from minitheano.graph.test_value import compute_test_values
from minitheano.scan.op import Scan
from minitheano.scan.shape_check import check_step_shapes
from minitheano.scan.spec import (
    OutputSpec,
    SequenceSpec,
    describe_step,
    normalize_outputs_info,
    normalize_sequences,
    split_step_result,
)
from minitheano.tensor.basic import as_tensor_variable, as_variable_like, cast
from minitheano.tensor.shape import patternbroadcast
from minitheano.tensor.type import TensorType
from minitheano.updates import OrderedUpdates


@dataclass
class StepBody:
    """What calling the step once, on placeholders, gave: the loop's body.

    `outputs` are in the user's order, one per entry of `states` (the
    outputs_info); `recurrent` and `not_fed_back` are their positions, fed-back
    ones first, the order of the Scan node's outputs."""

    placeholders: list[Variable]  # x[t + k] per sequence tap, then h[t + k] per state tap
    outputs: list[Variable]
    states: list[OutputSpec]
    updates: list[tuple[SharedVariable, Variable]]  # (shared variable, its new value)
    stop: Variable | None  # the until(...) condition

    @property
    def recurrent(self) -> list[int]:
        return [i for i, st in enumerate(self.states) if st.initial is not None]

    @property
    def not_fed_back(self) -> list[int]:
        return [i for i, st in enumerate(self.states) if st.initial is None]

    def ordered_outputs(self) -> list[Variable]:
        """The body's outputs in the Scan node's order: fed-back states first."""
        return [self.outputs[i] for i in self.recurrent + self.not_fed_back]


def scan(fn: Callable, sequences: Any = None, outputs_info: Any = None,
         non_sequences: Any = None, n_steps: Any = None, truncate_gradient: int = -1,
         go_backwards: bool = False, mode: Any = None, name: str | None = None,
         strict: bool = False) -> tuple[Any, OrderedUpdates]:
    """Loop `fn` over `sequences`, feeding back `outputs_info`; returns (outputs, updates).

    outputs is one Variable if the step has one output, a list if several,
    None if none (a step that only updates shared variables).
    """
    step = describe_step(fn)
    seqs = normalize_sequences(sequences)
    states = normalize_outputs_info(outputs_info)
    non_seqs = [v if isinstance(v, Variable) else as_tensor_variable(v)
                for v in _as_list(non_sequences)]
    if n_steps is None and not seqs:
        raise ValueError(f"scan: {step} has no sequences, so the number of steps must be "
                         f"given with n_steps= (with until(...), the most steps)")
    n_steps_var = None if n_steps is None else _n_steps_variable(n_steps)

    # 1-2. Call the step once, on placeholders of what it sees at step t.
    body = _call_step(fn, step, seqs, states, non_seqs)
    # Chapter 9: lengths known now (shared values, constants) must fit.  The check
    # is an aid: a part of it not written yet (chapter 9's exercise) skips it.
    with contextlib.suppress(NotImplementedError):
        check_step_shapes(body, seqs, step, _parameter_names(fn))
    # 3. Shared variables updated in the loop become states of the loop.
    updated = _loop_updates(body, non_seqs)
    # 4. Everything else the body reads from outside becomes a non-sequence.
    implicit = _implicit_inputs(body, updated, non_seqs, step, strict)

    # 5. The Scan op: its body with the outer variables replaced by slots.
    outer_non_seqs = non_seqs + implicit
    shared_states = list(updated)
    inner_shared = [sv.type(name=sv.name) for sv in shared_states]
    inner_non_seqs = [v.type(name=v.name) for v in outer_non_seqs]
    replace = dict(zip(shared_states, inner_shared))
    replace.update(zip(outer_non_seqs, inner_non_seqs))
    ends = [] if body.stop is None else [body.stop]
    inner_outs = clone_replace(body.ordered_outputs() + list(updated.values()) + ends, replace)
    op = Scan(body.placeholders + inner_shared + inner_non_seqs, inner_outs,
              seq_taps=[seq.taps for seq in seqs],
              state_taps=[body.states[i].taps for i in body.recurrent],
              n_nit_sot=len(body.not_fed_back), n_shared=len(shared_states),
              n_non_seqs=len(outer_non_seqs), has_n_steps=n_steps_var is not None,
              go_backwards=go_backwards, truncate_gradient=truncate_gradient, name=name,
              mode=mode, step=step, until=body.stop is not None)
    inputs = ([n_steps_var] if n_steps_var is not None else []) + [s.input for s in seqs]
    inputs += [body.states[i].initial for i in body.recurrent] + shared_states + outer_non_seqs
    node = op.make_node(*inputs)
    if config.compute_test_value != "off":  # the whole loop, on the test values
        compute_test_values(node, config.compute_test_value)

    # 6. Back to the user's order.
    by_position = dict(zip(body.recurrent + body.not_fed_back, node.outputs))
    results = [by_position[i] for i in range(len(body.outputs))]
    final = OrderedUpdates(zip(shared_states, node.outputs[len(body.outputs):]))
    if not results:
        return None, final
    return (results[0] if len(results) == 1 else results), final


def _call_step(fn: Callable, step: str, seqs: list[SequenceSpec], states: list[OutputSpec],
               non_seqs: list[Variable]) -> StepBody:
    """Call the step once, symbolically, on what it sees at step t: x[t + k] for
    each sequence tap, h[t + k] for each fed-back output's tap, the non-sequences."""
    seq_args = [_placeholder(seq.input, drop_first=True, name=_tap_name(seq.input, k))
                for seq in seqs for k in seq.taps]
    state_args = [_placeholder(st.initial, drop_first=st.taps != [-1],
                               name=_tap_name(st.initial, k))
                  for st in states if st.initial is not None for k in st.taps]
    if config.compute_test_value != "off":
        _placeholder_test_values(seqs, states, seq_args, state_args)
    outputs, updates, stop = split_step_result(fn(*seq_args, *state_args, *non_seqs), step)
    if not states:
        states = normalize_outputs_info([None] * len(outputs))
    if len(outputs) != len(states):
        raise ValueError(f"scan: {step} returned {len(outputs)} output(s) but outputs_info "
                         f"describes {len(states)}; give one entry (None for an output "
                         f"that is not fed back) per output")
    outputs = [_check_output(out, st, i, step) for i, (out, st) in enumerate(zip(outputs, states))]
    updates = [(sv, as_variable_like(new, sv, f"scan: {step} updates the shared variable "
                                              f"{sv}")) for sv, new in updates]
    return StepBody(seq_args + state_args, outputs, states, updates, stop)


def _placeholder_test_values(seqs: list[SequenceSpec], states: list[OutputSpec],
                             seq_args: list[Variable], state_args: list[Variable]) -> None:
    """Chapter 9: the step's placeholders get the test values of what they stand
    for at the first step (x[k] for tap k of a sequence, the initial state for
    h[t-1]), so the step's nodes are computed, and checked, as it builds them."""
    rows = iter(seq_args)
    for seq in seqs:
        first = -min(min(seq.taps), 0)
        for k in seq.taps:
            _give_row(next(rows), seq.input, k + first)
    rows = iter(state_args)
    for st in (st for st in states if st.initial is not None):
        lag = -min(st.taps)
        for k in st.taps:
            _give_row(next(rows), st.initial, None if st.taps == [-1] else lag + k)


def _give_row(placeholder: Variable, outer: Variable, row: int | None) -> None:
    """placeholder's test value: outer's (row `row` of it, unless None), if it has one."""
    try:
        value = outer.get_test_value()
    except TestValueError:
        return  # the step's nodes will find it missing, as config says
    if row is not None:
        if row >= len(value):
            raise ValueError(f"scan: the test value of {outer} has {len(value)} rows, too "
                             f"few for the first step, which reads row {row}")
        value = value[row]
    placeholder.tag.test_value = value


def _loop_updates(body: StepBody, non_seqs: list[Variable]) -> dict[SharedVariable, Variable]:
    """{shared variable: its new value at each step}: those the step updates, and
    those with a default update (random generators) that the body reads."""
    ends = [] if body.stop is None else [body.stop]
    updated = dict(body.updates)
    pending = body.ordered_outputs() + list(updated.values()) + ends
    while pending:  # a default update may itself read other shared variables
        added = []
        for v in graph_inputs(pending, stop_at=non_seqs):
            if isinstance(v, SharedVariable) and v.default_update is not None \
                    and v not in updated:
                updated[v] = v.default_update
                added.append(v.default_update)
        pending = added
    return updated


def _implicit_inputs(body: StepBody, updated: dict, non_seqs: list[Variable], step: str,
                     strict: bool) -> list[Variable]:
    """The variables the body reads without being given them (W captured by a
    closure, shared weights): passed to the loop as more non-sequences."""
    ends = [] if body.stop is None else [body.stop]
    reads = body.ordered_outputs() + [new for _, new in body.updates] + ends
    reads += list(updated.values())
    placeholders = set(body.placeholders)
    implicit = [v for v in graph_inputs(reads, stop_at=non_seqs)
                if v not in placeholders and v not in non_seqs and v not in updated
                and not isinstance(v, Constant)]
    if strict:
        free = [v for v in implicit if not isinstance(v, SharedVariable)] or implicit
        if free:
            names = ", ".join(map(str, free))
            raise ValueError(f"scan(strict=True): {step} uses {names} without receiving "
                             f"it; pass it in non_sequences")
    return implicit


# ---------------------------------------------------------------------------

def _as_list(x: Any) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _parameter_names(fn: Callable) -> list[str]:
    """The names of the step's positional parameters, for messages ([] if unknown)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _n_steps_variable(n_steps: Any) -> Variable:
    n = as_tensor_variable(n_steps)
    if n.ndim != 0 or not n.dtype.startswith(("int", "uint")):
        raise TypeError(f"scan: n_steps must be an integer scalar, got {n_steps!r} ({n.type})")
    if isinstance(n, Constant) and int(n.data) < 0:
        raise ValueError(f"scan: n_steps must not be negative, got {int(n.data)}")
    return cast(n, "int64")


def _placeholder(outer: Variable, drop_first: bool, name: str | None) -> Variable:
    """A fresh variable of `outer`'s type (without its first dimension if asked)."""
    if drop_first:
        if outer.ndim == 0:
            raise TypeError(f"scan: {outer} is a scalar, so it has no steps to loop over")
        return TensorType(outer.dtype, outer.broadcastable[1:])(name)
    return outer.type(name)


def _tap_name(outer: Variable, k: int) -> str | None:
    if outer.name is None:
        return None
    return f"{outer.name}[t]" if k == 0 else f"{outer.name}[t{k:+d}]"


def _check_output(out: Any, st: Any, i: int, step: str) -> Variable:
    """The step's output i as a tensor of the state's type, or a clear error."""
    target = None if st.initial is None else _state_type(st)
    if not isinstance(out, Variable):
        out = as_tensor_variable(out, dtype=None if target is None else target.dtype)
    elif not isinstance(out.type, TensorType):
        raise TypeError(f"scan: {step} returned {out} of type {out.type} as output {i}; "
                        f"outputs must be tensors")
    if target is None:
        return out
    where = f"scan: {step} returned, for output {i}, {out} of type {out.type}, but"
    if out.dtype != target.dtype:
        raise TypeError(f"{where} its initial state {st.initial} has dtype {target.dtype}. "
                        f"The step must keep the dtype of a fed-back output: cast the "
                        f"result (T.cast(result, {target.dtype!r})) or give an initial "
                        f"value of dtype {out.dtype}.")
    if out.ndim != target.ndim:
        raise TypeError(f"{where} its initial state {st.initial} has {target.ndim} "
                        f"dimension(s) for each step (type {target}).")
    if out.broadcastable != target.broadcastable:
        if any(t and not o for t, o in zip(target.broadcastable, out.broadcastable)):
            raise TypeError(f"{where} the initial state {st.initial} is broadcastable where "
                            f"the result is not ({target}). Make the initial state "
                            f"non-broadcastable with T.unbroadcast(initial, axis).")
        out = patternbroadcast(out, target.broadcastable)
    return out


def _state_type(st: Any) -> TensorType:
    init = st.initial
    if st.taps == [-1]:
        return init.type
    return TensorType(init.dtype, init.broadcastable[1:])
