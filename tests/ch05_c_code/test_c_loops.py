"""The strided loop: any number of dimensions, broadcasting, any memory layout.

One fused kernel per broadcast pattern, fed C-contiguous, Fortran-ordered,
reversed (negative strides), every-other-element, stretched (stride 0),
zero-size and 0-d arrays; the results must be the Python op's, exactly.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from ch05_kernels import Compiled, assert_same, run_python

from minitheano.scalar.basic import ScalarType
from minitheano.scalar.composite import Composite
from minitheano.tensor.elemwise import Elemwise
from minitheano.tensor.type import TensorType


def chain() -> Composite:
    """x * y + (x - z) / 2 - |y|, all exact operations."""
    x, y, z = (ScalarType("float64")() for _ in range(3))
    return Composite([x, y, z], [x * y + (x - z) / 2 - abs(y)])


PATTERNS = {
    0: [((), (), ())],
    1: [((False,), (False,), (False,)), ((False,), (True,), (False,)),
        ((True,), (True,), (False,))],
    2: [((False, False),) * 3, ((False, False), (True, False), (False, True)),
        ((True, False), (False, True), (True, True)),
        ((False, True), (False, False), (True, True))],
    3: [((False,) * 3,) * 3, ((False, True, False), (True, False, False), (False, False, True)),
        ((True, True, False), (False, False, False), (True, False, True))],
}
SHAPES = {0: [()], 1: [(5,), (0,), (1,)], 2: [(3, 4), (0, 4), (1, 1), (4, 1)],
          3: [(2, 3, 4), (2, 0, 3), (3, 1, 2)]}


def layouts(shape: tuple[int, ...], rng: np.random.Generator) -> list[np.ndarray]:
    """Arrays of `shape` laid out in memory in different ways."""
    base = np.asarray(rng.normal(size=shape))
    big = np.asarray(rng.normal(size=tuple(2 * n for n in shape)))
    every_other = big[(..., *(slice(None, None, 2) for _ in shape))]
    every_other[...] = base
    flip = (..., *(slice(None, None, -1) for _ in shape))
    reversed_ = base[flip].copy()[flip]
    fortran = base.copy(order="F")
    result = [base, fortran, reversed_, every_other]
    if shape and all(n > 0 for n in shape):  # stretched: every element read from one row
        row = rng.normal(size=shape[-1:])
        result.append(np.broadcast_to(row, shape))
    return result


def actual_shape(shape: tuple[int, ...], pattern: tuple[bool, ...]) -> tuple[int, ...]:
    return tuple(1 if b else n for n, b in zip(shape, pattern))


@pytest.fixture(scope="module")
def compiled() -> tuple[Compiled, list]:
    op = Elemwise(chain())
    nodes, cases = [], []
    for ndim, patterns in PATTERNS.items():
        for pattern in patterns:
            inputs = [TensorType("float64", p)() for p in pattern]
            nodes.append(op.make_node(*inputs))
            cases.append((ndim, pattern))
    return Compiled(nodes), cases


def test_every_layout_and_broadcast_pattern(compiled):
    comp, cases = compiled
    rng = np.random.default_rng(42)
    checked = 0
    for i, (ndim, pattern) in enumerate(cases):
        for shape in SHAPES[ndim]:
            per_input = [layouts(actual_shape(shape, p), rng) for p in pattern]
            for choice in itertools.product(range(5), repeat=3):
                values = [v[c % len(v)] for v, c in zip(per_input, choice)]
                expected = run_python(comp.nodes[i], *values)[0]
                got = comp.run(i, *values)[0]
                assert_same(got, expected, "float64", what=f"{pattern} {shape} {choice}")
                assert got.flags.c_contiguous and got.flags.writeable
                checked += 1
    assert checked > 500


def test_inputs_are_not_modified(compiled):
    comp, cases = compiled
    i = cases.index((2, PATTERNS[2][1]))
    values = [np.arange(12.0).reshape(3, 4), np.arange(4.0).reshape(1, 4),
              np.arange(3.0).reshape(3, 1)]
    copies = [v.copy() for v in values]
    comp.run(i, *values)
    for v, c in zip(values, copies):
        np.testing.assert_array_equal(v, c)


def test_declared_broadcastable_dimension_must_have_length_one(compiled):
    comp, cases = compiled
    i = cases.index((2, PATTERNS[2][1]))  # input 1 is a row: (True, False)
    good = [np.ones((3, 4)), np.ones((1, 4)), np.ones((3, 1))]
    comp.run(i, *good)
    with pytest.raises(ValueError, match="declares broadcastable"):
        comp.run(i, good[0], np.ones((3, 4)), good[2])
    with pytest.raises(ValueError, match="Input dimension mismatch"):
        comp.run(i, good[0], good[1], np.ones((2, 1)))


def test_inputs_that_are_not_plain_arrays_are_converted(compiled):
    """Unaligned data, a numpy scalar where an array was expected, a subclass,
    a non-native byte order: the kernel refuses them, the thunk converts."""
    comp, cases = compiled
    i = cases.index((1, PATTERNS[1][0]))
    x = np.arange(5.0)
    raw = np.zeros(5 * 8 + 1, dtype=np.uint8)
    unaligned = np.frombuffer(raw.data, dtype=np.float64, count=5, offset=1)
    big_endian = x.astype(">f8").view(">f8")
    matrix_like = x.view(type("Sub", (np.ndarray,), {}))
    expected = run_python(comp.nodes[i], x, x, x)[0]
    for odd in (big_endian, matrix_like, np.frombuffer(x.tobytes())):
        got = comp.run(i, odd, x, x)[0]
        assert_same(got, expected, "float64")
    assert_same(comp.run(i, unaligned, unaligned, unaligned)[0],
                run_python(comp.nodes[i], *(np.zeros(5),) * 3)[0], "float64")
    j = cases.index((0, PATTERNS[0][0]))
    got = comp.run(j, np.float64(2.0), np.array(3.0), np.array(1.0))[0]
    assert got.shape == () and got == 2.0 * 3.0 + (2.0 - 1.0) / 2 - 3.0


def test_output_buffer_reused_only_when_free(compiled):
    """With reuse, the same output array comes back call after call, unless the
    caller still holds the previous one."""
    from minitheano.link.c.thunk import make_thunk

    comp, cases = compiled
    i = cases.index((1, PATTERNS[1][0]))
    node, kernel, fn = comp.nodes[i], comp.kernels[i], comp.where[i]
    ins, out = [[np.arange(3.0)] for _ in range(3)], [None]
    thunk = make_thunk(node, kernel, fn, ins, [out], reuse=True)
    thunk()
    first_id = id(out[0])
    out[0] = None
    thunk()
    assert id(out[0]) == first_id  # nobody held it: reused
    held = out[0]
    thunk()
    assert out[0] is not held  # the caller holds the last one: a new array
    before = held.copy()
    ins[0][0] = np.arange(3.0) + 100
    thunk()
    np.testing.assert_array_equal(held, before)  # never overwritten while held
