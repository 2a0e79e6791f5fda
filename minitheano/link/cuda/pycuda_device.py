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

from typing import Any

import numpy as np

from minitheano.link.cuda.launch import Plan
from minitheano.link.cuda.printer import CudaFunction


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
    """Device arrays are PyCUDA GPUArrays; one context, made on first use."""

    name = "pycuda"

    def __init__(self) -> None:
        import pycuda.autoinit  # noqa: F401  (creates the context)
        import pycuda.gpuarray as gpuarray

        self.gpuarray = gpuarray

    def empty(self, shape: tuple[int, ...], dtype: str) -> Any:
        return self.gpuarray.empty(shape, dtype=dtype)

    def zeros(self, shape: tuple[int, ...], dtype: str) -> Any:
        return self.gpuarray.zeros(shape, dtype=dtype)

    def address(self, x: Any) -> int:
        return int(x.gpudata)

    def contiguous(self, x: Any) -> Any:
        return self.gpuarray.to_gpu(np.ascontiguousarray(x.get()))

    def to_device(self, x: Any, dtype: str | None = None) -> Any:
        if isinstance(x, self.gpuarray.GPUArray):
            return x
        return self.gpuarray.to_gpu(np.ascontiguousarray(x, dtype=dtype))

    def view(self, x: Any, shape: tuple[int, ...], strides: tuple[int, ...]) -> Any:
        """The memory of `x` with another shape and strides (bytes): no copy."""
        return self.gpuarray.GPUArray(shape, x.dtype, gpudata=x.gpudata, strides=strides,
                                      base=x)

    def place(self, x: np.ndarray) -> Any:
        return self.to_device(x)

    def to_host(self, x: Any) -> np.ndarray:
        return x.get()

    def module(self, source: str, functions: list[CudaFunction]) -> PyCudaModule:
        return PyCudaModule(source, functions)

    def run(self, module: PyCudaModule, plan: Plan, check: bool = True) -> None:
        for launch in plan.launches:
            fn = module.functions[launch.function]
            fn.prepared_call((*launch.grid, 1), (*launch.block, 1), *launch.args)
