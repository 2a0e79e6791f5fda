"""Running the CUDA kernels on a real GPU through PyCUDA (chapter 6).

The same four questions as the emulator (allocate, address, copy, launch),
answered by PyCUDA: `gpuarray` for device arrays, `SourceModule` to compile
the module's text with nvcc, `prepare`/`prepared_call` to launch with the
grid launch.py chose.  PyCUDA is imported only when a GPU is asked for, and
`pycuda_problem()` says in words why it cannot be used (not installed, no
driver, no device).

NOTE: this module has not yet been run on a machine with a GPU; the tests
marked `gpu` (tests/ch06_gpu_kernels/test_gpu.py) and bench/gpu_check.sh are
what will check it there.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from minitheano.link.cuda.launch import ContextError, Plan, context_message
from minitheano.link.cuda.printer import CudaFunction

_CONTEXTS = itertools.count(1)  # the number of each PyCudaDevice's context


def pycuda_problem() -> str | None:
    """Why PyCUDA cannot run kernels here, or None when it can."""
    try:
        import pycuda.driver as drv
    except ImportError as e:
        return f"PyCUDA is not installed or does not load ({e}); pip install pycuda"
    try:
        drv.init()
        if drv.Device.count() == 0:
            return "the CUDA driver found no GPU"
    except Exception as e:  # pycuda raises its own error classes, one per driver error
        return f"the CUDA driver cannot start ({e})"
    return None


class PyCudaModule:
    def __init__(self, source: str, functions: list[CudaFunction]) -> None:
        from pycuda.compiler import SourceModule

        self.module = SourceModule(source, no_extern_c=True)
        self.functions = {}
        for f in functions:
            fn = self.module.get_function(f.name)
            # 'P' a pointer, 'q' a 64-bit integer (CUDA's long on 64-bit Linux).
            fn.prepare("".join("P" if t.endswith("*") else "q" for t, _ in f.params))
            self.functions[f.name] = fn


class PyCudaDevice:
    """Device arrays are PyCUDA GPUArrays, tagged with this device's context number."""

    name = "pycuda"

    def __init__(self) -> None:
        import pycuda.autoinit  # noqa: F401  (creates the driver's context)
        import pycuda.gpuarray as gpuarray

        self.gpuarray = gpuarray
        # Each device object is a context of its own: its arrays carry this number
        # (a GPUArray does not say which context allocated it) and another refuses them.
        self.context = next(_CONTEXTS)
        self._flag: np.ndarray | None = None

    def flag(self) -> np.ndarray:
        """The word a kernel sets on bad input, zeroed: page-locked host memory
        mapped into the device's address space, so the kernel writes it directly
        and reading it is no copy (one per device, read right after each launch)."""
        if self._flag is None:
            import pycuda.driver as drv

            self._flag = drv.pagelocked_zeros((1,), np.int32,
                                              mem_flags=drv.host_alloc_flags.DEVICEMAP)
        self._flag[0] = 0
        return self._flag

    def flag_address(self, flag: np.ndarray) -> int:
        return int(flag.base.get_device_pointer())

    def flag_is_set(self, flag: np.ndarray) -> bool:
        import pycuda.driver as drv

        drv.Context.synchronize()  # the kernel has finished writing it
        return bool(flag[0])

    def _mine(self, x: Any) -> Any:
        """Tag a GPUArray this context allocated with the context's number."""
        x.mt_context = self.context
        return x

    def own(self, x: Any) -> Any:
        """`x`, which must be a GPUArray of this context."""
        if not isinstance(x, self.gpuarray.GPUArray):
            raise TypeError(f"a kernel was given a host value ({type(x).__name__}): it "
                            "must be moved to the device first (GpuFromHost)")
        have = getattr(x, "mt_context", None)
        if have != self.context:
            raise ContextError(context_message(x, have, self.context))
        return x

    def empty(self, shape: tuple[int, ...], dtype: str) -> Any:
        return self._mine(self.gpuarray.empty(shape, dtype=dtype))

    def zeros(self, shape: tuple[int, ...], dtype: str) -> Any:
        return self._mine(self.gpuarray.zeros(shape, dtype=dtype))

    def address(self, x: Any) -> int:
        return int(self.own(x).gpudata)

    def contiguous(self, x: Any) -> Any:
        return self._mine(self.gpuarray.to_gpu(np.ascontiguousarray(self.own(x).get())))

    def to_device(self, x: Any, dtype: str | None = None) -> Any:
        if isinstance(x, self.gpuarray.GPUArray):
            return self.own(x)
        return self._mine(self.gpuarray.to_gpu(np.ascontiguousarray(x, dtype=dtype)))

    def view(self, x: Any, shape: tuple[int, ...], strides: tuple[int, ...]) -> Any:
        """The memory of `x` with another shape and strides (bytes): no copy."""
        return self._mine(self.gpuarray.GPUArray(shape, x.dtype, gpudata=self.own(x).gpudata,
                                                 strides=strides, base=x))

    def place(self, x: np.ndarray) -> Any:
        return self.to_device(x)

    def to_host(self, x: Any) -> np.ndarray:
        return self.own(x).get()

    def module(self, source: str, functions: list[CudaFunction]) -> PyCudaModule:
        return PyCudaModule(source, functions)

    def run(self, module: PyCudaModule, plan: Plan, check: bool = True) -> None:
        for launch in plan.launches:
            fn = module.functions[launch.function]
            fn.prepared_call((*launch.grid, 1), (*launch.block, 1), *launch.args)
