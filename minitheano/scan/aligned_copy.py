"""A matrix copied to a cache-line boundary for the compiled loop's gemv (chapter 9).

A vector-matrix product per step (an RNN's h[t-1] . W_h) streams the whole matrix
from the cache at every step, and OpenBLAS's gemv does that fastest when the matrix
starts on a 64-byte boundary.  numpy's allocator does not promise one: a fresh
128 x 128 float64 array often starts 16 or 32 bytes after it.  On this project's
machine (AMD EPYC, AVX-512) the same product took 1.17-1.31 us from an aligned
start and 1.45-1.54 us from 8 or 16 bytes after one: a fifth of a step.  So the
program (scan/step_program.py) multiplies by a copy that starts on a cache line,
made again at every call (between calls the matrix may change in place: an SGD
step), which costs one pass over the matrix, about one step's worth of reading.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minitheano.tensor.blas import address

CACHE_LINE = 64  # bytes
# Larger matrices come from main memory, where they start matters less than
# the pass a copy costs.
MAX_BYTES = 1 << 20


def needs_copy(matrix: np.ndarray) -> bool:
    """Is `matrix` off a cache line and small enough that a copy pays?"""
    return address(matrix) % CACHE_LINE != 0 and matrix.nbytes <= MAX_BYTES


def aligned_empty(shape: tuple, dtype: Any) -> np.ndarray:
    """An uninitialised C-contiguous array whose data starts on a cache line."""
    dtype = np.dtype(dtype)
    size = int(np.prod(shape)) * dtype.itemsize
    raw = np.empty(size + CACHE_LINE, dtype=np.uint8)
    start = -address(raw) % CACHE_LINE
    return raw[start:start + size].view(dtype).reshape(shape)


class AlignedCopy:
    """Where a program finds array number `of`'s aligned copy at a call (a `Source`
    of scan/step_program.py): copied into the same buffer at every call."""

    def __init__(self, of: int, example: np.ndarray) -> None:
        self.of = of
        self.buffer = aligned_empty(example.shape, example.dtype)

    def __call__(self, call: Any, values: list) -> Any:
        value = values[self.of]
        if (not isinstance(value, np.ndarray) or value.shape != self.buffer.shape
                or value.dtype != self.buffer.dtype):
            return value  # laid out otherwise: the program's layout check refuses it
        np.copyto(self.buffer, value)
        return self.buffer
