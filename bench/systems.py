"""The systems a workload runs on, and how to reach them from the bench's own venv.

minitheano is imported from this repository (the bench venv does not install
it); PyTensor is optional: when it cannot be imported, `pytensor_skip_reason()`
says why and the runner leaves its column empty.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SYSTEMS = ("numpy", "pytensor", "torch", "minitheano")

_pytensor_error: str | None = None
try:
    import pytensor
    import pytensor.tensor
    from pytensor.compile.mode import Mode as _PytensorMode
except Exception as e:  # noqa: BLE001 - any import failure means "skip it"
    pytensor = None
    _pytensor_error = f"PyTensor is not importable here ({type(e).__name__}: {e})"


_torch_error: str | None = None
try:  # a peer for chapter 8's networks only (bench/workloads/nets.py); optional
    import torch
except Exception as e:  # noqa: BLE001
    torch = None
    _torch_error = f"torch is not importable here ({type(e).__name__}: {e})"


def torch_skip_reason() -> str | None:
    """None when torch can be used, else why not."""
    return _torch_error


def pytensor_skip_reason() -> str | None:
    """None when PyTensor can be used, else why not."""
    return _pytensor_error


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
    if pytensor is not None:
        found["pytensor"] = pytensor.__version__
    if torch is not None:
        found["torch"] = torch.__version__
    return found
