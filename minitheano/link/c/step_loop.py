"""The compiled step loop's machine, from Python: programs of kernel calls run n times in C
(chapter 9).

step_loop.c is one small C machine, compiled once (through chapter 5's cache like any
module): it runs a *program*, a list of `Step`s, for steps t0 .. t1 - 1.  A Step says
what to do with arrays named by number: point a moving array at row t of a buffer
(FEED), follow another array at a fixed offset (VIEW), call a compiled kernel (KERNEL),
a matrix product through BLAS (DOT, GEMM), copy or add one array into another (COPY,
ADD), stop when a flag is set (STOP).  scan/step_program.py writes a Scan body's
program; this module only knows the machine: its Step layout, its own array headers,
and `run`.
"""

from __future__ import annotations

import ctypes
import functools
from pathlib import Path

import numpy as np

from minitheano.link.c import build, cache
from minitheano.link.c.loops import RUNTIME
from minitheano.tensor.blas import numpy_openblas

# The instructions (step_loop.c's enum) and how a run ends.
FEED, VIEW, KERNEL, DOT, GEMM, COPY, ADD, STOP, GEMV = range(9)
NAMES = ("FEED", "VIEW", "KERNEL", "DOT", "GEMM", "COPY", "ADD", "STOP", "GEMV")
RAN_ALL, STOPPED, REFUSED_STEP = range(3)
MAX_ARGS = 16          # MT_STEP_MAXARGS: array numbers an instruction can hold
MAX_KERNEL_ARGS = 8    # the kernel arities call_kernel has a case for


class Step(ctypes.Structure):
    """One instruction: step_loop.c's mt_step, field for field."""

    _fields_ = [("kind", ctypes.c_int64), ("nargs", ctypes.c_int64),
                ("args", ctypes.c_int64 * MAX_ARGS), ("fn", ctypes.c_void_p),
                ("base", ctypes.c_void_p), ("stride", ctypes.c_int64),
                ("start", ctypes.c_int64), ("step", ctypes.c_int64), ("size", ctypes.c_int64),
                ("offset", ctypes.c_int64), ("blas", ctypes.c_int64 * 8),
                ("float32", ctypes.c_int64), ("itemsize", ctypes.c_int64)]


SOURCE = RUNTIME + "\n" + (Path(__file__).parent / "step_loop.c").read_text()


@functools.cache
def machine() -> ctypes.CDLL | None:
    """The compiled machine, loaded; None when it cannot be built here (no C compiler,
    an unusable cache): then every loop runs in Python."""
    from minitheano.link.c.thunk import c_unavailable

    if c_unavailable() is not None:
        return None
    try:
        lib = ctypes.CDLL(str(build.library_path(SOURCE)))
    except (OSError, build.CompileError, cache.CacheError):
        return None
    for name in ("mt_own_array_size", "mt_step_size"):
        getattr(lib, name).restype = ctypes.c_int64
    if lib.mt_step_size() != ctypes.sizeof(Step):
        return None  # the two descriptions of a Step disagree: never run a wrong program
    lib.mt_own_copy.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.mt_own_copy.restype = None
    lib.mt_run_steps.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64,
                                 ctypes.c_int64, ctypes.c_int64,
                                 ctypes.POINTER(ctypes.c_int64)]
    lib.mt_run_steps.restype = ctypes.c_int64
    return lib


def _load_gemvs() -> dict[str, int]:
    """The addresses of numpy's OpenBLAS `dgemv` and `sgemv`, by dtype name; {} when
    not found."""
    lib = numpy_openblas()
    try:
        return {"float64": ctypes.cast(lib.scipy_cblas_dgemv64_, ctypes.c_void_p).value,
                "float32": ctypes.cast(lib.scipy_cblas_sgemv64_, ctypes.c_void_p).value}
    except AttributeError:  # no library (None), or not the symbols we know
        return {}


GEMVS = _load_gemvs()


class OwnArrays:
    """The machine's own array headers, for arrays whose data pointer moves at every
    step (x[t], h[t-1], a transpose of x[t]): each a copy of a numpy array's header
    (its dtype, shape and strides), which the kernels read like the array's own."""

    def __init__(self, lib: ctypes.CDLL, examples: list[np.ndarray]) -> None:
        size = lib.mt_own_array_size()
        self.memory = np.zeros(max(1, len(examples)) * size, dtype=np.uint8)
        start = self.memory.ctypes.data
        self.addresses = [start + k * size for k in range(len(examples))]
        for address, example in zip(self.addresses, examples):
            lib.mt_own_copy(address, id(example))


class Program:
    """Instructions and the arrays they name, ready to run."""

    def __init__(self, lib: ctypes.CDLL, steps: list[Step], arrays: list[int],
                 keep: list) -> None:
        self.lib = lib
        self.steps = (Step * len(steps))(*steps)
        self.arrays = (ctypes.c_void_p * max(1, len(arrays)))(*arrays)
        self.keep = keep  # the objects whose addresses `arrays` holds: alive while we run

    def run(self, t0: int, t1: int) -> tuple[int, int]:
        """Run steps t0 .. t1 - 1: (the first step not done, how the run ended)."""
        how = ctypes.c_int64(RAN_ALL)
        t = self.lib.mt_run_steps(self.arrays, self.steps, len(self.steps), t0, t1,
                                  ctypes.byref(how))
        return t, how.value
