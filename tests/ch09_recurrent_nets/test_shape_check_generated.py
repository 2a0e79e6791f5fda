"""Generated step functions for scan's build-time shape check (chapter 9).

A body is a small program of elementwise sums and products, tanh and dot products
over the state h and shared vectors and matrices of random shapes (lengths 2 or 3),
and, sometimes, a matrix given as a non-sequence whose shape is known only when the
function runs.  The reference is numpy running the same program on arrays (two
steps, the state fed back): the check must raise when the graph is built exactly
when numpy fails and every length is known, and must never raise on a program
numpy runs.  Where the loop builds, it gives numpy's values.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import minitheano as theano
import minitheano.tensor as T
from minitheano.scan.shape_check import ShapeMismatch

LENGTHS = (2, 3)
N_STEPS = 2
AS_WRITTEN = theano.Mode("py", None)


@dataclass
class Program:
    state_length: int
    shared_shapes: list  # a shape per shared variable (1 or 2 dimensions)
    unknown_matrix: tuple | None  # the shape of a matrix input, or None
    code: list  # (operation, argument positions)
    result: int  # position of the value returned as the new state


@st.composite
def programs(draw: st.DrawFn) -> Program:
    shapes = draw(st.lists(st.one_of(st.tuples(st.sampled_from(LENGTHS)),
                                     st.tuples(st.sampled_from(LENGTHS),
                                               st.sampled_from(LENGTHS))),
                           min_size=1, max_size=3))
    unknown = draw(st.one_of(st.none(), st.tuples(st.sampled_from(LENGTHS),
                                                  st.sampled_from(LENGTHS))))
    ndims = [1] + [len(s) for s in shapes] + ([2] if unknown else [])
    code = []
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["add", "mul", "tanh", "dot"]))
        if op == "tanh":
            args = [draw(st.integers(0, len(ndims) - 1))]
            ndim = ndims[args[0]]
        elif op == "dot":
            a = draw(st.integers(0, len(ndims) - 1))
            matrices = [i for i, n in enumerate(ndims) if n == 2]
            if not matrices:
                continue
            b = draw(st.sampled_from(matrices))
            args, ndim = [a, b], ndims[a]  # v . M is a vector, M . M a matrix
        else:
            a = draw(st.integers(0, len(ndims) - 1))
            same = [i for i, n in enumerate(ndims) if n == ndims[a]]
            args, ndim = [a, draw(st.sampled_from(same))], ndims[a]
        code.append((op, args))
        ndims.append(ndim)
    vectors = [i for i, n in enumerate(ndims) if n == 1]
    return Program(draw(st.sampled_from(LENGTHS)), shapes, unknown, code,
                   draw(st.sampled_from(vectors)))


def run_numpy(program: Program, h: np.ndarray, shared: list, unknown: np.ndarray | None):
    """The program's new state, by numpy, or None if an operation it needs fails
    (elementwise operands must have equal shapes: no dimension is declared
    broadcastable).  Instructions the result does not read are not run: the
    loop's body holds only the graph of what the step returns."""
    pool = [h, *shared] + ([unknown] if unknown is not None else [])
    first = len(pool)
    needed, pending = set(), [program.result]
    while pending:
        i = pending.pop()
        if i not in needed:
            needed.add(i)
            pending += program.code[i - first][1] if i >= first else []
    for k, (op, args) in enumerate(program.code):
        if first + k not in needed:
            pool.append(None)
            continue
        operands = [pool[a] for a in args]
        if op == "tanh":
            pool.append(np.tanh(operands[0]))
        elif op == "dot":
            if operands[0].shape[-1] != operands[1].shape[0]:
                return None
            pool.append(operands[0] @ operands[1])
        else:
            if operands[0].shape != operands[1].shape:
                return None
            pool.append(operands[0] + operands[1] if op == "add" else operands[0] * operands[1])
    return pool[program.result]


def check_program(program: Program) -> None:
    rng = np.random.default_rng(len(program.code))
    h0 = rng.uniform(-1, 1, size=program.state_length)
    shared_values = [rng.uniform(-1, 1, size=s) * 0.5 for s in program.shared_shapes]
    shared = [theano.shared(v, name=f"s{i}") for i, v in enumerate(shared_values)]
    unknown_value = (rng.uniform(-1, 1, size=program.unknown_matrix) * 0.5
                     if program.unknown_matrix else None)
    M = T.dmatrix("M")

    def step(h, *given):
        pool = [h, *shared, *given]
        for op, args in program.code:
            operands = [pool[a] for a in args]
            if op == "tanh":
                pool.append(T.tanh(operands[0]))
            elif op == "dot":
                pool.append(T.dot(operands[0], operands[1]))
            else:
                pool.append(operands[0] + operands[1] if op == "add"
                            else operands[0] * operands[1])
        return pool[program.result]

    # The reference: numpy's steps, each fed back (a state of the wrong shape fails).
    states, h = [], h0
    for _ in range(N_STEPS):
        h = run_numpy(program, h, shared_values, unknown_value)
        if h is None or h.shape != h0.shape:
            break
        states.append(h)
    runs = len(states) == N_STEPS
    non_seqs = [M] if program.unknown_matrix else []
    try:
        out, _ = theano.scan(step, outputs_info=theano.shared(h0), non_sequences=non_seqs,
                             n_steps=N_STEPS)
    except ShapeMismatch:
        assert not runs, "the check refused a loop numpy runs"
        return
    assert runs or program.unknown_matrix, "a mismatch of known lengths was not caught"
    f = theano.function(non_seqs, out, mode=AS_WRITTEN)
    if not runs:  # a length known only at the call: the call refuses it instead
        with pytest.raises(ValueError):
            f(unknown_value)
        return
    got = f(unknown_value) if program.unknown_matrix else f()
    np.testing.assert_allclose(got, states, rtol=1e-12)


@settings(max_examples=60, derandomize=True, phases=[Phase.generate], deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_generated_programs(program):
    check_program(program)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_generated_programs_many(program):
    check_program(program)
