"""Reading scan's arguments: sequences, outputs_info and what the step returns (chapter 7).

Theano's `scan` accepts each argument in several spellings (a Variable, a
list, a dict with taps); this module turns them into one plain form so that
scan/build.py can be read without the special cases.  It also holds `until`,
the marker a step returns to end the loop early.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from minitheano.graph.basic import Variable
from minitheano.graph.shared import SharedVariable
from minitheano.tensor.basic import as_tensor_variable


@dataclass
class SequenceSpec:
    """A sequence and the taps the step reads: x[t + k] for k in taps."""

    input: Variable
    taps: list[int]


@dataclass
class OutputSpec:
    """An output: fed back from `initial` through `taps` (all < 0), or, if
    `initial` is None, not fed back at all."""

    initial: Variable | None
    taps: list[int]


def describe_step(fn: Callable) -> str:
    """'the step function step (defined at rnn.py:12)', for error messages."""
    name = getattr(fn, "__name__", None) or repr(fn)
    code = getattr(fn, "__code__", None)
    where = f" (defined at {code.co_filename}:{code.co_firstlineno})" if code else ""
    return f"the step function {name}{where}"


def _as_list(x: Any) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _taps(taps: Any, what: str) -> list[int]:
    taps = _as_list(taps)
    if not taps or not all(isinstance(k, int) for k in taps):
        raise TypeError(f"scan: the taps of {what} must be a non-empty list of ints, "
                        f"got {taps!r}")
    if len(set(taps)) != len(taps):
        raise ValueError(f"scan: the taps of {what} repeat a value: {taps}")
    return taps


def normalize_sequences(sequences: Any) -> list[SequenceSpec]:
    result = []
    for s, seq in enumerate(_as_list(sequences)):
        if isinstance(seq, dict):
            unknown = set(seq) - {"input", "taps"}
            if unknown or "input" not in seq:
                raise TypeError(f"scan: sequence {s} is a dict, which must have the key "
                                f"'input' (and may have 'taps'); got keys {sorted(seq)}")
            x, taps = seq["input"], _taps(seq.get("taps", [0]), f"sequence {s}")
        else:
            x, taps = seq, [0]
        x = as_tensor_variable(x)
        if x.ndim == 0:
            raise TypeError(f"scan: sequence {s} ({x}) is a scalar; a sequence needs a "
                            f"first dimension to loop over")
        result.append(SequenceSpec(x, taps))
    return result


def normalize_outputs_info(outputs_info: Any) -> list[OutputSpec]:
    result = []
    for i, info in enumerate(_as_list(outputs_info)):
        if isinstance(info, dict):
            unknown = set(info) - {"initial", "taps", "return_steps"}
            if unknown:
                raise TypeError(f"scan: outputs_info[{i}] has unknown keys {sorted(unknown)}; "
                                f"it may have 'initial' and 'taps'")
            initial = info.get("initial")
            if initial is None:
                if info.get("taps"):
                    raise ValueError(f"scan: outputs_info[{i}] has taps but no initial value")
                result.append(OutputSpec(None, []))
                continue
            taps = _taps(info.get("taps", [-1]), f"outputs_info[{i}]")
        elif info is None:
            result.append(OutputSpec(None, []))
            continue
        else:
            initial, taps = info, [-1]
        if any(k >= 0 for k in taps):
            raise ValueError(f"scan: the taps of outputs_info[{i}] must be negative (a step "
                             f"can only see earlier values of its outputs), got {taps}")
        initial = as_tensor_variable(initial)
        if taps != [-1] and initial.ndim == 0:
            raise TypeError(f"scan: outputs_info[{i}] has taps {taps}, so its initial value "
                            f"must hold {-min(taps)} rows; got the scalar {initial}")
        result.append(OutputSpec(initial, taps))
    return result


def _is_updates(x: Any) -> bool:
    if isinstance(x, dict):
        return True
    return (isinstance(x, (list, tuple)) and len(x) > 0
            and all(isinstance(p, (list, tuple)) and len(p) == 2
                    and isinstance(p[0], SharedVariable) for p in x))


class until:  # noqa: N801 - Theano's name
    """`return h, until(h > limit)`: stop the loop after the step where the
    condition (a scalar) is true.  n_steps (or the sequences) give the most
    steps; the outputs have one row per step taken."""

    def __init__(self, condition: Any) -> None:
        condition = as_tensor_variable(condition)
        if condition.ndim != 0:
            raise TypeError(f"until: the condition must be a scalar, got {condition} "
                            f"({condition.type})")
        self.condition = condition


def split_step_result(result: Any, step: str) -> tuple[list, list, Variable | None]:
    """(outputs, [(shared, new value)], the until condition or None) from what the
    step returned: outputs, updates, or a pair of them in either order, and
    optionally `until(condition)` last."""
    condition = None
    if isinstance(result, until):
        return [], [], result.condition
    if isinstance(result, (list, tuple)) and any(isinstance(r, until) for r in result):
        if sum(isinstance(r, until) for r in result) > 1 or not isinstance(result[-1], until):
            raise TypeError(f"scan: {step} returned until(...) in the wrong place: it must "
                            f"be the last thing returned, once (return h, until(cond))")
        condition = result[-1].condition
        rest = result[:-1]
        result = rest[0] if len(rest) == 1 else tuple(rest)
    if _is_updates(result):
        outputs, updates = [], result
    elif isinstance(result, tuple) and len(result) == 2 and _is_updates(result[1]):
        outputs, updates = result
    elif isinstance(result, tuple) and len(result) == 2 and _is_updates(result[0]):
        updates, outputs = result
    else:
        outputs, updates = result, {}
    pairs = list(updates.items()) if isinstance(updates, dict) else [tuple(p) for p in updates]
    for sv, _ in pairs:
        if not isinstance(sv, SharedVariable):
            raise TypeError(f"scan: {step} returned an update of {sv}, which is not a shared "
                            f"variable")
    if outputs is None:
        outputs = []
    elif not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return list(outputs), pairs, condition
