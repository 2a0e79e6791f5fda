"""Which device runs the CUDA kernels, and the doctor that says why (chapter 6).

`get_device()` answers once per process: a real GPU through PyCUDA when
PyCUDA loads and the driver finds a device; otherwise the CPU emulator, with
a one-time warning (the kernels are the same text, run slowly and checked).
`doctor()` is what `python -m minitheano doctor` prints: each piece, and in
plain words why it is missing.
"""

from __future__ import annotations

import functools
import shutil
from typing import Any

from minitheano.link.cuda.nvcc import nvcc_problem
from minitheano.link.cuda.pycuda_device import pycuda_problem


def emulator_problem() -> str | None:
    if shutil.which("g++") is None:
        return "g++ (the C++ compiler the emulator needs) is not on the PATH"
    return None


@functools.cache
def get_device() -> Any:
    """The device of this process: PyCUDA's GPU, or the emulator (with a warning)."""
    if pycuda_problem() is None:
        from minitheano.link.cuda.pycuda_device import PyCudaDevice

        return PyCudaDevice()
    problem = emulator_problem()
    if problem is not None:
        raise RuntimeError(f"device=cuda: no GPU ({pycuda_problem()}) and no emulator "
                           f"({problem}); install g++ or run with device=cpu")
    from minitheano.link.cuda.emulator import EmulatedDevice, warn_emulated

    warn_emulated()
    return EmulatedDevice()


def driver_problem() -> str | None:
    """Whether the CUDA driver library is here (PyCUDA needs it)."""
    import ctypes.util

    if ctypes.util.find_library("cuda") is None:
        return "libcuda.so (the NVIDIA driver) is not installed: there is no GPU driver here"
    return None


def doctor() -> str:
    """What can run CUDA kernels here, line by line, and why not."""
    lines = ["minitheano doctor: CUDA (chapter 6)"]

    def line(what: str, problem: str | None, ok: str) -> None:
        lines.append(f"  {what:<10} {'yes' if problem is None else 'no '}  "
                     f"{ok if problem is None else problem}")

    line("nvcc", nvcc_problem(), f"{shutil.which('nvcc')}: compile checks for sm_80, sm_90")
    line("driver", driver_problem(), "libcuda found")
    pycuda = pycuda_problem()
    line("PyCUDA", pycuda, "imports, and the driver sees a GPU")
    line("emulator", emulator_problem(), "g++ runs the CUDA text on the CPU")
    if pycuda is None:
        verdict = "device=cuda runs kernels on the GPU."
    elif emulator_problem() is None:
        verdict = "device=cuda runs the kernels emulated on the CPU (correct, slow)."
    else:
        verdict = "device=cuda cannot run here."
    lines.append(verdict)
    return "\n".join(lines)
