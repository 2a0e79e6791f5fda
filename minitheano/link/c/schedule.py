"""A function's schedule run in C: the kernels called without ctypes (chapter 5).

Chapter 2's VM runs a call as `for thunk in thunks: thunk()`, and each C thunk
(link/c/thunk.py) calls its kernel through ctypes: about 0.4 µs a node of
Python and foreign-call machinery around a kernel that may take 50 ns.
`c_run(vm)` gives the same loop in C (`schedule.c`, a CPython extension): for
each node with a C kernel it works out the output's shape, reuses the array
the node kept from the last call when nobody else holds it (buffers.py's rule),
and calls the kernel's C function directly; every other node is its thunk,
called from the loop as the VM calls it.  After each node it empties the cells
the VM would empty (allow_gc).

The VM stays the readable version, and the fallback: a node whose kernel
returns an error code, or whose inputs are not arrays, is handed to its own
thunk, which does it again the careful way (link/c/thunk.py's `call_carefully`),
so the values, the exceptions and their messages are the same either way.

What the loop needs of a kernel node is a `KernelStep`, which the C thunks
carry as their `c_step` attribute: made from the very objects the thunk
uses (its kept arrays, its keep rule), so that the two can take turns on one node.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from minitheano.config import config
from minitheano.graph.basic import Apply
from minitheano.link.c import build
from minitheano.link.c.buffers import Keep, always, never
from minitheano.link.c.extension import ExtensionProblem, load_extension
from minitheano.link.kernel import CrossentropyKernel, ElemwiseKernel, Kernel, ReduceKernel
from minitheano.link.py.vm import VM
from minitheano.tensor.kernel import CrossentropySoftmaxDxKernel, CrossentropySoftmaxKernel

MODULE = "minitheano_schedule"
_SOURCE = Path(__file__).with_name("schedule.c")

# How schedule.c keeps a new output array (its enum): buffers.py's `never`, `always`,
# or a call to the keep function (a BufferBudget's).
KEEP_NEVER, KEEP_ALWAYS, KEEP_CALL = 0, 1, 2

ONE = (-1, 0)  # a dimension of length 1 (no input gives it)


@dataclass(frozen=True)
class OutputPlan:
    """How the C loop gets one output's array.

    inplace: the input whose array the kernel writes into (-1: none);
    shape: per dimension, (input, dimension of that input) giving its length, or ONE;
    kept, index: the thunk's list of kept arrays and this output's place in it;
    keep: what the thunk calls after allocating (buffers.py)."""

    inplace: int
    dtype: np.dtype
    shape: tuple[tuple[int, int], ...]
    kept: list
    index: int
    keep: Keep


@dataclass(frozen=True)
class KernelStep:
    """A node the C loop runs itself: its kernel's C function and its cells."""

    function: Callable  # the ctypes function: its address is what C calls
    in_cells: list[list]
    out_cells: list[list]
    outputs: list[OutputPlan]


def shape_plan(node: Apply, kernel: Kernel) -> list[tuple[tuple[int, int], ...]]:
    """Each output's shape, as link/c/thunk.py's `_output_shapes_function` works it
    out, in the form the C loop reads (see OutputPlan.shape)."""
    def whole(k: int) -> tuple[tuple[int, int], ...]:
        return tuple((k, d) for d in range(node.inputs[k].type.ndim))

    n = len(node.outputs)
    if isinstance(kernel, ReduceKernel):
        return [tuple((0, d) for d in kernel.kept)] * n
    if isinstance(kernel, CrossentropySoftmaxKernel):
        return [((0, 0),), whole(0)]  # a loss per row, then softmax(x) of x's shape
    if isinstance(kernel, CrossentropyKernel):
        return [((0, 0),)] * n
    if isinstance(kernel, CrossentropySoftmaxDxKernel):
        return [whole(1)] * n
    if not isinstance(kernel, ElemwiseKernel):
        return [whole(0)] * n
    # For each dimension, the first input that is not broadcast along it.
    plan = []
    for d in range(kernel.ndim):
        k = next((k for k, op in enumerate(kernel.inputs) if not op.broadcastable[d]), None)
        plan.append(ONE if k is None else (k, d))
    return [tuple(plan)] * n


def output_plans(shapes: Sequence[tuple[tuple[int, int], ...]], dtypes: Sequence[np.dtype],
                 inplace: dict[int, int], kept: list, keep: Keep) -> list[OutputPlan]:
    """The plans of a node's outputs, sharing the thunk's kept arrays and keep rule."""
    return [OutputPlan(inplace.get(k, -1), dtype, shape, kept, k, keep)
            for k, (shape, dtype) in enumerate(zip(shapes, dtypes))]


_module: Any = None
_problem: str | None = None


def extension() -> Any:
    """The compiled extension module, or None (then `problem()` says why)."""
    global _module, _problem
    if build.compiler_problem() is not None:  # asked each time: config.cxx may change
        return None
    if _module is None and _problem is None:
        try:
            _module = load_extension(MODULE, _SOURCE)
        except ExtensionProblem as e:
            _problem = str(e)
    return _module


def problem() -> str | None:
    """Why schedules run in the VM's Python here, or None."""
    extension()
    return _problem or build.compiler_problem()


def counts() -> dict[str, int]:
    """How many runs, kernel calls and thunk calls C schedules made in this process."""
    module = extension()
    return module.counts() if module is not None else {"runs": 0, "kernel_calls": 0,
                                                       "thunk_calls": 0}


def _keep_rule(keep: Keep) -> tuple[int, Keep]:
    if keep is never:
        return KEEP_NEVER, keep
    return (KEEP_ALWAYS, keep) if keep is always else (KEEP_CALL, keep)


def _kernel_tuple(step: KernelStep) -> tuple:
    outputs = tuple((o.inplace, o.dtype, o.shape, o.kept, o.index, *_keep_rule(o.keep))
                    for o in step.outputs)
    address = ctypes.cast(step.function, ctypes.c_void_p).value
    return (address, tuple(step.in_cells), tuple(step.out_cells), outputs)


def c_run(vm: Any) -> Callable[[], None] | None:
    """`vm.run` as a C loop (a Schedule), or None where it does not apply: the
    flag `config.c_schedule` is off, no C here, a lazy VM (chapter 7), or no node
    with a C kernel (then the VM's loop is as good)."""
    if not config.c_schedule or type(vm) is not VM:
        return None
    kernels = [getattr(thunk, "c_step", None) for thunk in vm.thunks]
    if not any(kernels):
        return None
    module = extension()
    if module is None:
        return None
    clear = vm.clear_after or [[] for _ in vm.thunks]
    steps = tuple((thunk, tuple(cells), None if k is None else _kernel_tuple(k))
                  for thunk, cells, k in zip(vm.thunks, clear, kernels))
    thunks = vm.thunks

    def explain(exc: BaseException, k: int) -> None:
        if isinstance(exc, Exception):  # as the VM's `except Exception`
            vm._explain(exc, thunks[k])
    return module.Schedule(steps, explain, np.empty, np.ndarray)
