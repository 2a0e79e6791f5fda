"""Generated loop bodies: random step functions, each scan checked against the same
loop unrolled into a plain graph and against finite differences (chapter 7).

A body is a small program over the values a step sees (sequence taps, state
taps, non-sequences, a shared variable read in the body, which the step may
also update: {s: value}): each instruction applies one operation to earlier
values, and the step returns some of them, possibly one twice, possibly one
that a later instruction also reads (the LSTM's c), and may stop early with
until(...).  Each body is run as a scan in FAST_COMPILE and FAST_RUN (so the
loop rewrites run on it) and compared, values, gradient, Lop and Rop, with
`unroll` (ch07_unrolled.py), up to the step where it stops; the cost also
reads the shared variable's final value.  A few dozen bodies by default,
always the same ones (their C modules come from the cache after the first
run); >= 1000 new ones with `pytest -m slow`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from ch07_unrolled import Loop, check_against_unrolled
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import minitheano as theano
import minitheano.tensor as T
from minitheano.scan import until

WIDTH = 2  # every value a step sees or makes is a vector of this length
DEFAULT_BODIES = 40
SLOW_BODIES = 1000

UNARY = {
    "tanh": T.tanh,
    "sin": T.sin,
    "sigmoid": T.nnet.sigmoid,
    "half": lambda a: a * 0.5,
    "dot": None,  # a . M, M a matrix the body captures (not passed as a non-sequence)
    "sum": lambda a: a + a.sum(),  # every element reads every other
}
BINARY = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b}


@dataclass
class Body:
    """A random step function and the loop around it."""

    dtype: str
    n_steps: int
    seq_taps: list  # per sequence, its taps
    state_taps: list  # per output, its taps, or None if it is not fed back
    n_non_seqs: int
    reads_shared: bool
    update_from: int | None  # the shared variable's new value: this value, or no update
    code: list  # (operation, argument positions) per instruction
    returns: list  # per output, the position of the value returned
    last_only: list  # per output: the cost reads only its last row
    stop_at: float | None  # until(sum(first output) > stop_at), or None
    go_backwards: bool
    explicit_n_steps: bool
    seed: int = field(default=0)

    def n_inputs(self) -> int:
        """How many values the step is given: sequence taps, state taps, non-sequences,
        and the shared variable."""
        return (sum(map(len, self.seq_taps)) + sum(len(t) for t in self.state_taps if t)
                + self.n_non_seqs + self.reads_shared)


@st.composite
def bodies(draw: st.DrawFn) -> Body:
    dtype = draw(st.sampled_from(["float64", "float32"]))
    seq_taps = draw(st.lists(st.sampled_from([[0], [-1, 0], [0, 1], [-2, 0], [1]]),
                             max_size=2))
    n_outputs = draw(st.integers(1, 3))
    state_taps = draw(st.lists(st.sampled_from([None, [-1], [-2], [-2, -1]]),
                               min_size=n_outputs, max_size=n_outputs))
    n_non_seqs = draw(st.integers(0, 2))
    updates_shared = draw(st.integers(0, 3)) == 0
    reads_shared = updates_shared or draw(st.booleans())
    n_given = (sum(map(len, seq_taps)) + sum(len(t) for t in state_taps if t)
               + n_non_seqs + reads_shared)
    code = []
    for i in range(draw(st.integers(1, 5))):
        available = n_given + i
        if available == 0 or draw(st.booleans()):
            op = draw(st.sampled_from(sorted(UNARY)))
            args = [draw(st.integers(0, available - 1))] if available else []
            if not args:  # nothing to read yet: start from the captured matrix's row
                op, args = "row", []
        else:
            op = draw(st.sampled_from(sorted(BINARY)))
            args = [draw(st.integers(0, available - 1)) for _ in range(2)]
        code.append((op, args))
    n_values = n_given + len(code)
    # Outputs are mostly instructions' results (late ones read earlier ones); one
    # may be returned twice; one may be a value the step was given.
    returns = [draw(st.integers(max(0, n_values - 3), n_values - 1)) if draw(st.booleans())
               else draw(st.integers(0, n_values - 1)) for _ in range(n_outputs)]
    if n_outputs > 1 and draw(st.booleans()):
        returns[-1] = returns[0]  # one variable returned twice
    update_from = draw(st.integers(0, n_values - 1)) if updates_shared else None
    stop_at = draw(st.floats(-1.0, 1.0)) if draw(st.integers(0, 2)) == 0 else None
    explicit = not seq_taps or draw(st.booleans())
    return Body(dtype=dtype, n_steps=draw(st.integers(1, 4)), seq_taps=seq_taps,
                state_taps=state_taps, n_non_seqs=n_non_seqs, reads_shared=reads_shared,
                update_from=update_from, code=code, returns=returns,
                last_only=[draw(st.booleans()) for _ in range(n_outputs)],
                stop_at=stop_at, go_backwards=draw(st.booleans()),
                explicit_n_steps=explicit, seed=draw(st.integers(0, 2 ** 16)))


def build_loop(body: Body, dtype: str | None = None) -> Loop:
    """The scan of `body` (in `dtype`, by default the body's), with random values."""
    dtype = dtype or body.dtype
    rng = np.random.default_rng(body.seed)
    vector = T.TensorType(dtype, (False,))
    matrix = T.TensorType(dtype, (False, False))
    M = theano.shared(rng.uniform(-1, 1, size=(WIDTH, WIDTH)).astype(dtype), name="M")
    shared = theano.shared(rng.uniform(-1, 1, size=WIDTH).astype(dtype), name="s")
    inputs, values, sequences, outputs_info = [], [], [], []
    extra_rows = 1 if body.explicit_n_steps else 0  # n_steps may stop before the end
    for i, taps in enumerate(body.seq_taps):
        x = matrix(f"x{i}")
        span = max(max(taps), 0) - min(min(taps), 0)
        inputs.append(x)
        values.append(rng.uniform(-1, 1, size=(body.n_steps + span + extra_rows, WIDTH)))
        sequences.append(dict(input=x, taps=taps))
    for j, taps in enumerate(body.state_taps):
        if taps is None:
            outputs_info.append(None)
            continue
        if taps == [-1]:
            h0 = vector(f"h{j}")
            values.append(rng.uniform(-1, 1, size=WIDTH))
        else:
            h0 = matrix(f"h{j}")
            values.append(rng.uniform(-1, 1, size=(-min(taps), WIDTH)))
        inputs.append(h0)
        outputs_info.append(dict(initial=h0, taps=taps))
    non_sequences = [vector(f"w{m}") for m in range(body.n_non_seqs)]
    inputs += non_sequences
    values += [rng.uniform(-1, 1, size=WIDTH) for _ in non_sequences]
    values = [np.asarray(v, dtype=dtype) for v in values]

    def step(*args):
        pool = list(args)
        if body.reads_shared:
            pool.append(shared)
        for op, positions in body.code:
            operands = [pool[p] for p in positions]
            if op == "row":
                pool.append(M[0])
            elif op == "dot":
                pool.append(T.dot(operands[0], M))
            elif op in UNARY:
                pool.append(UNARY[op](*operands))
            else:
                pool.append(BINARY[op](*operands))
        outs = [T.cast(pool[p], dtype) for p in body.returns]
        extra = []  # Theano's forms: outs; (outs, updates); (outs, [updates,] until(...))
        if body.update_from is not None:
            extra.append({shared: T.cast(pool[body.update_from], dtype)})
        if body.stop_at is not None:
            extra.append(until(outs[0].sum() > body.stop_at))
        return (outs, *extra) if extra else outs

    return Loop(step, body.n_steps, inputs, values, sequences=sequences,
                outputs_info=outputs_info, non_sequences=non_sequences,
                shared=[shared] if body.reads_shared else [], go_backwards=body.go_backwards,
                explicit_n_steps=body.explicit_n_steps, dtype=dtype,
                last_only=body.last_only, stops=body.stop_at is not None,
                updated=[shared] if body.update_from is not None else [])


def check_body(body: Body) -> None:
    loop = build_loop(body)
    twin = build_loop(body, "float64") if body.dtype == "float32" else None
    check_against_unrolled(loop, fd_twin=twin)


@settings(max_examples=DEFAULT_BODIES, derandomize=True, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow])
@given(bodies())
def test_generated_bodies(body):
    check_body(body)


@pytest.mark.slow
@settings(max_examples=SLOW_BODIES, suppress_health_check=[HealthCheck.too_slow])
@given(bodies())
def test_generated_bodies_many(body):
    check_body(body)
