"""Running CUDA kernels on the CPU, from the very text nvcc compiles (chapter 6).

`EmulatedModule(source, functions)` compiles the CUDA text of a module with
the system C++ compiler, after emulator.h (the CUDA built-ins: threadIdx,
__syncthreads, __shfl_down_sync, __shared__ ...), and adds for each kernel a
small launcher taking its arguments the way the CUDA driver's
`cuLaunchKernel` does: an array of pointers, one to each argument.  The
library is cached like chapter 5's modules (link/c/build.py).

`EmulatedDevice.run(plan)` runs a node's launches.  A kernel that
synchronizes threads is run three times, the threads of each barrier
interval in a different order (forward, reverse, shuffled) and shared memory
poisoned with a different pattern; the three results must be identical to
the bit.  When they are not, the kernel is wrong (a barrier is missing, or
it reads shared memory no thread wrote), and an `EmulatorError` says which.
"""

from __future__ import annotations

import ctypes
import itertools
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from minitheano.link.c import build
from minitheano.link.cuda.launch import ContextError, Launch, Plan, context_message
from minitheano.link.cuda.printer import CudaFunction

HEADER = (Path(__file__).parent / "emulator.h").read_text()

# The emulator is C++ (a template per shuffle type); g++ compiles it.
CXX = "g++"
# -O1, not chapter 5's -O3: no flag that changes a result differs (no fast-math, no
# contraction), and the emulator is for checking kernels, not for speed; at -O3 g++
# took about twice as long on a module (tests/README.md, fourth pass).
OPTIMIZATION = "-O1"
FORWARD, REVERSE, SHUFFLED = 0, 1, 2
NAN_BYTES = 0xFF      # every float made of these bytes is a NaN
OTHER_POISON = 0x55   # a second poison: a result that changes with it read garbage


class EmulatorError(RuntimeError):
    """A kernel did something a GPU would not forgive (or would, by luck)."""


def _launcher(f: CudaFunction) -> str:
    """`mt_launch_<name>(grid, block, order, poison, args)`: the kernel run on the CPU,
    each thread through `mt_call_<name>(args)`, which unpacks the arguments."""
    unpacked = ", ".join(f"*({t} *)args[{i}]" if not t.endswith("*") else f"*({t}*)args[{i}]"
                         for i, (t, _) in enumerate(f.params))
    return "\n".join([
        f"static void mt_call_{f.name}(void **args) {{ {f.name}({unpacked}); }}",
        f'extern "C" int mt_launch_{f.name}(unsigned gx, unsigned gy, unsigned bx, '
        "unsigned by, int order, int poison, void **args)", "{",
        f"    return mt_launch(gx, gy, bx, by, {int(f.barriers)}, order, poison, "
        f"mt_call_{f.name}, args);", "}"])


def _ctype(t: str) -> Any:
    return ctypes.c_void_p if t.endswith("*") else ctypes.c_long


class EmulatedModule:
    """A module of CUDA kernels compiled for the CPU."""

    def __init__(self, source: str, functions: list[CudaFunction]) -> None:
        self.source = source
        self.functions = {f.name: f for f in functions}
        text = "\n\n".join([HEADER, "/* ---- the CUDA module, unchanged ---- */", source,
                            "/* ---- launchers ---- */", *map(_launcher, functions)])
        self.path = build.library_path(text, cxx=CXX, optimization=OPTIMIZATION)
        self.dll = ctypes.CDLL(str(self.path))
        self.dll.mt_emulator_error.restype = ctypes.c_char_p

    def launch(self, launch: Launch, order: int = FORWARD, poison: int = NAN_BYTES) -> None:
        f = self.functions[launch.function]
        values = [_ctype(t)(v) for (t, _), v in zip(f.params, launch.args)]
        args = (ctypes.c_void_p * len(values))(*[ctypes.addressof(v) for v in values])
        fn = self.dll[f"mt_launch_{f.name}"]
        code = fn(ctypes.c_uint(launch.grid[0]), ctypes.c_uint(launch.grid[1]),
                  ctypes.c_uint(launch.block[0]), ctypes.c_uint(launch.block[1]),
                  ctypes.c_int(order), ctypes.c_int(poison), args)
        if code:
            raise EmulatorError(f"kernel {f.name}: {self.dll.mt_emulator_error().decode()}")

    def synchronizes(self, launch: Launch) -> bool:
        return self.functions[launch.function].barriers


_warned = False
_CONTEXTS = itertools.count(1)  # the number of each emulated device's context


def warn_emulated() -> None:
    """Say once per process that 'the GPU' is this CPU."""
    global _warned
    if not _warned:
        _warned = True
        warnings.warn("device=cuda: no usable GPU here, so the CUDA kernels run emulated on the "
                      "CPU (slowly; see `python -m minitheano doctor`)", stacklevel=3)


class EmulatedArray:
    """An array in the emulated device's memory: host memory, but not a numpy array
    to the rest of the library, so a value that skipped its transfer is an error
    here as it would be on a GPU.  It knows its device: arrays of two devices
    (two contexts) do not mix."""

    def __init__(self, array: np.ndarray, device: EmulatedDevice) -> None:
        self.array = array
        self.device = device
        self.context = device.context  # which context's memory this is

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    @property
    def strides(self) -> tuple[int, ...]:
        return self.array.strides

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    def __repr__(self) -> str:
        return (f"EmulatedArray({self.array.dtype}, shape={self.array.shape}, "
                f"context {self.context})")


class EmulatedDevice:
    """Device arrays are EmulatedArrays; kernels run in an EmulatedModule.  Each
    device is a context of its own, numbered: its arrays carry the number."""

    name = "emulator"

    def __init__(self) -> None:
        self.context = next(_CONTEXTS)
        self._flag = np.zeros(1, np.int32)

    def empty(self, shape: tuple[int, ...], dtype: str) -> EmulatedArray:
        # Fresh device memory holds garbage: poison it, as shared memory is.
        return EmulatedArray(np.full(shape, np.nan if np.dtype(dtype).kind == "f" else 0x5A,
                                     dtype=dtype), self)

    def zeros(self, shape: tuple[int, ...], dtype: str) -> EmulatedArray:
        return EmulatedArray(np.zeros(shape, dtype=dtype), self)

    def flag(self) -> np.ndarray:
        """The word a kernel sets on bad input, zeroed: host memory the kernel
        writes directly (a GPU's would be mapped, page-locked host memory), one
        per device, read right after each launch."""
        self._flag[0] = 0
        return self._flag

    def flag_address(self, flag: np.ndarray) -> int:
        return flag.ctypes.data

    def flag_is_set(self, flag: np.ndarray) -> bool:
        return bool(flag[0])

    def own(self, x: Any) -> np.ndarray:
        """The memory of `x`, which must be an array of this device."""
        if not isinstance(x, EmulatedArray):
            raise TypeError(f"a kernel was given a host value ({type(x).__name__}): it "
                            "must be moved to the device first (GpuFromHost)")
        if x.context != self.context:
            raise ContextError(context_message(x, x.context, self.context))
        return x.array

    def address(self, x: EmulatedArray) -> int:
        return self.own(x).ctypes.data

    def contiguous(self, x: EmulatedArray) -> EmulatedArray:
        return EmulatedArray(np.ascontiguousarray(self.own(x)), self)

    def view(self, x: EmulatedArray, shape: tuple[int, ...],
             strides: tuple[int, ...]) -> EmulatedArray:
        """The memory of `x` seen with another shape and strides (bytes): no copy."""
        return EmulatedArray(np.lib.stride_tricks.as_strided(self.own(x), shape, strides,
                                                             writeable=False), self)

    def place(self, x: np.ndarray) -> EmulatedArray:
        """`x` itself as a device array, strides and all (tests use this to hand
        kernels any layout; a transfer would copy it)."""
        return EmulatedArray(x, self)

    def to_device(self, x: Any, dtype: str | None = None) -> EmulatedArray:
        # A copy, as a real transfer is: what the host does to its array later
        # does not change the device's.
        if isinstance(x, EmulatedArray):
            x = self.own(x)
        return EmulatedArray(np.array(x, dtype=dtype, copy=True), self)

    def to_host(self, x: EmulatedArray) -> np.ndarray:
        return np.array(self.own(x), copy=True)

    def module(self, source: str, functions: list[CudaFunction]) -> EmulatedModule:
        return EmulatedModule(source, functions)

    def run(self, module: EmulatedModule, plan: Plan, check: bool = True) -> None:
        """Run the plan's launches; with `check`, each synchronizing kernel three
        ways, which must agree (see the module's docstring)."""
        for launch in plan.launches:
            module.launch(launch)
            if not (check and module.synchronizes(launch)):
                continue
            written = [self.own(w) for w in plan.outputs + plan.scratch]
            written += [plan.flag] if plan.flag is not None else []
            first = [w.copy() for w in written]
            for order, poison, suspect in (
                    (REVERSE, NAN_BYTES, "a missing __syncthreads: the result depends on "
                                         "the order threads run between barriers"),
                    (SHUFFLED, OTHER_POISON, "a read of shared memory no thread wrote (or "
                                             "a missing __syncthreads)")):
                module.launch(launch, order, poison)
                for before, now in zip(first, written):
                    if before.tobytes() != now.tobytes():
                        raise EmulatorError(f"kernel {launch.function}: {suspect}")
