"""Which output arrays the C thunks keep for the next call (chapter 5).

A C thunk writes its node's result into an array it allocates (link/c/thunk.py,
link/c/blas_thunks.py).  Allocating is cheap for small arrays, but not for large
ones: glibc's malloc gives a block of more than 128 KB fresh pages from the kernel
and hands them back when it is freed, so every first write to each 4 KB page of it
is a page fault.  A training step that allocates two 512 KB intermediates per call
takes 224 page faults per call for them, which cost from nothing to nearly half of
its time, depending on what the process allocated and freed before (glibc raises its
threshold after freeing a large block; bench/README.md, "Issue 17, third round").

So a thunk may *keep* the array it wrote and write into it again at the next call,
when nobody else holds it (its reference count says so: the function never
overwrites an array it handed out).  Theano keeps every intermediate result when
`allow_gc=False` and none when `allow_gc=True`, its default, which saves memory
between calls.  minitheano takes a middle way: with `allow_gc` the VM still empties
every intermediate cell after its last reader (no value stays reachable), but the
thunks of one function keep their arrays up to a budget of
`config.reuse_buffers_mb` megabytes together; beyond it, arrays are allocated per
call as before.  The function's outputs, and every array when `allow_gc=False`,
are kept without limit, as before.

A thunk's kept arrays are a list `bufs`, one entry per output; after allocating
`out` for output k it calls `keep(bufs, k, out)`, one of the three below.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import numpy as np

from minitheano.config import config

Keep = Callable[[list, int, "np.ndarray | None"], None]

MEGABYTE = 2 ** 20


def _free_refcount() -> int:
    """sys.getrefcount of an array held only as a thunk holds its buffer (a list
    entry and a local variable): anything more means someone else holds it."""
    bufs = [np.empty(0)]
    out = bufs[0]
    return sys.getrefcount(out)


FREE_REFCOUNT = _free_refcount()


def always(bufs: list, k: int, out: np.ndarray | None) -> None:
    """Keep every array (function outputs; intermediates without allow_gc)."""
    bufs[k] = out


def never(bufs: list, k: int, out: np.ndarray | None) -> None:
    """Keep nothing: a fresh array every call."""


class BufferBudget:
    """The arrays one function's thunks keep, at most `limit` bytes together."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def keep(self, bufs: list, k: int, out: np.ndarray | None) -> None:
        old = bufs[k]
        # The array it replaces (of another shape, or held by someone) is let go.
        freed = 0 if old is None else old.nbytes
        taken = 0 if out is None else out.nbytes
        if taken - freed <= self.left:
            self.left -= taken - freed
            bufs[k] = out
        else:
            self.left += freed
            bufs[k] = None


def function_budget() -> BufferBudget:
    """A budget for the intermediate results of one function (config.reuse_buffers_mb)."""
    return BufferBudget(int(config.reuse_buffers_mb * MEGABYTE))


def keeper(reuse: bool | BufferBudget) -> Keep:
    """What a thunk calls after allocating: `reuse` says how much it may keep."""
    if isinstance(reuse, BufferBudget):
        return reuse.keep
    return always if reuse else never
