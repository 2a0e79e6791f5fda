"""The systems a workload runs on, and how to reach them from the bench's own venv.

minitheano is imported from this repository (the bench venv does not install
it); PyTensor, JAX and torch are optional peers: when one cannot be imported,
`skip_reasons()` says why and the runner leaves its column empty.

JAX and torch are set up as the issue's anchors were measured: on the CPU, one
thread, float64 enabled in JAX (it defaults to float32), and every JAX call
waits for its result (`block_until_ready`), since JAX dispatches asynchronously.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SYSTEMS = ("numpy", "jax", "torch", "pytensor", "minitheano")

# XLA reads its flags when JAX is first imported: one CPU thread, no accelerator.
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false "
                      "intra_op_parallelism_threads=1")
os.environ.setdefault("JAX_PLATFORMS", "cpu")

_pytensor_error: str | None = None
try:
    import pytensor
    import pytensor.tensor
    from pytensor.compile.mode import Mode as _PytensorMode
except Exception as e:  # noqa: BLE001 - any import failure means "skip it"
    pytensor = None
    _pytensor_error = f"PyTensor is not importable here ({type(e).__name__}: {e})"


_jax_error: str | None = None
try:
    import jax

    jax.config.update("jax_enable_x64", True)
except Exception as e:  # noqa: BLE001
    jax = None
    _jax_error = f"JAX is not importable here ({type(e).__name__}: {e})"

_torch_error: str | None = None
try:
    import torch

    torch.set_num_threads(1)
except Exception as e:  # noqa: BLE001
    torch = None
    _torch_error = f"torch is not importable here ({type(e).__name__}: {e})"


def torch_skip_reason() -> str | None:
    """None when torch can be used, else why not."""
    return _torch_error


def pytensor_skip_reason() -> str | None:
    """None when PyTensor can be used, else why not."""
    return _pytensor_error


def skip_reasons() -> dict[str, str]:
    """For each optional peer that cannot be used here, why not."""
    reasons = {"pytensor": _pytensor_error, "jax": _jax_error, "torch": _torch_error}
    return {system: why for system, why in reasons.items() if why}


def pytensor_function(inputs: list, outputs: Any, **kwargs: Any) -> Any:
    """`pytensor.function` with the C backend: the Theano design.  (PyTensor's
    default linker is Numba, a different design, so it is not what we compare with.)"""
    mode = _PytensorMode(linker="cvm", optimizer="fast_run")
    return pytensor.function(inputs, outputs, mode=mode, **kwargs)


def versions() -> dict[str, str]:
    import numpy

    import minitheano

    found = {"python": sys.version.split()[0], "numpy": numpy.__version__,
             "minitheano": minitheano.__version__}
    for peer in (pytensor, jax, torch):
        if peer is not None:
            found[peer.__name__] = peer.__version__
    return found
