"""`theano.compile.debugmode`: the module path of Theano's DebugMode (chapter 5).

`DebugMode(...)` is the mode `mode='DebugMode'` names: every node run in
Python and in C and checked (minitheano/link/debug.py).  Theano's options
that choose which checks to run are accepted and ignored: every check runs.
"""

from __future__ import annotations

from typing import Any

from minitheano.compile.mode import Mode
from minitheano.link.debug import DebugModeError


class DebugMode(Mode):
    """The debugging linker with the given rewrites ('fast_run' by default)."""

    def __init__(self, optimizer: str | None = "fast_run", **theano_options: Any) -> None:
        # Theano's check_c_code, check_py_code, check_isfinite, stability_patience,
        # check_preallocated_output, require_matching_strides: all checks always run.
        super().__init__("debug", optimizer)


__all__ = ["DebugMode", "DebugModeError"]
