"""A compiled function's call without Python frames: a CPython extension (chapter 5).

`Function._call_python` (chapter 2) is the readable path: check each argument,
store it in its cell, run the VM, hand back the output.  On a scalar `x + y`
that Python costs about as much as the arithmetic's whole C kernel.
Every Function without updates is called through `fast_call(f)` when it can be
built (a training step keeps chapter 2's Python path: its call is a small part of
its time); `fast_function(f)` makes one for any function.  `fast_call(f)` is a
`FastCall` object doing the same common case in C (`fastcall.c`), called by
the vectorcall protocol, which
checks that each argument is a numpy array of the exact dtype and number of
dimensions, stores them, calls the VM's `run`, stores the updates' new values
(a training step) and returns the outputs.  Any
other call (keywords, a list, another dtype, a wrong count) is passed to
`f._call_python`, so the errors and conversions are the Python path's.

The extension is compiled once per machine and interpreter by chapter 5's
build step and cache (`link/c/extension.py`).  Without a compiler, or for a function the
fast path does not cover (an input of a broadcastable or non-tensor type),
functions take the Python path, silently.

`run` is the VM's, or, where the function's nodes have C kernels, its schedule
run in C (`link/c/schedule.c`), which calls the kernels without ctypes.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from minitheano.link.c import build
from minitheano.link.c.extension import ExtensionProblem, load_extension

MODULE = "minitheano_fastcall"
_SOURCE = Path(__file__).with_name("fastcall.c")


class _ArrayHead(ctypes.Structure):
    """The start of numpy's array struct (PyArrayObject), up to descr."""
    _fields_ = [("ob_refcnt", ctypes.c_ssize_t), ("ob_type", ctypes.c_void_p),
                ("data", ctypes.c_void_p), ("nd", ctypes.c_int),
                ("dimensions", ctypes.c_void_p), ("strides", ctypes.c_void_p),
                ("base", ctypes.c_void_p), ("descr", ctypes.c_void_p)]


def _layout_matches() -> bool:
    """Does this numpy's array struct start as `_ArrayHead` says (checked on arrays)?"""
    for probe in (np.zeros((2, 3)), np.zeros(4, dtype="float32")):
        head = _ArrayHead.from_address(id(probe))
        if (head.data != probe.ctypes.data or head.nd != probe.ndim
                or head.descr != id(probe.dtype)):
            return False
    return True


_module: Any = None
_problem: str | None = None  # a lasting reason (numpy's layout, a failed build)


def extension() -> Any:
    """The compiled extension module, or None (then `problem()` says why)."""
    global _module, _problem
    if build.compiler_problem() is not None:  # asked first, each time: config.cxx may change
        return None
    if _module is not None or _problem is not None:
        return _module
    if not _layout_matches():
        _problem = "numpy's array struct does not have the layout fastcall.c reads"
        return None
    try:
        module = load_extension(MODULE, _SOURCE)
    except ExtensionProblem as e:
        _problem = str(e)
        return None
    module.set_descr_offset(_ArrayHead.descr.offset)
    _module = module
    return module


def problem() -> str | None:
    """Why functions are called through the Python path here, or None."""
    extension()
    return _problem or build.compiler_problem()


def fast_call(f: Any, fallback: Callable[..., Any] | None = None) -> Any:
    """A FastCall doing `f`'s common call in C, falling back to `fallback`
    (default `f._call_python`); None when the fast path does not apply here (see
    the module's doc).  What `Function.__init__` uses: every function's call, by
    default."""
    types = [i.variable.type for i in f.maker.inputs]
    if (not all(hasattr(t, "numpy_dtype") for t in types)
            or any(any(t.broadcastable) for t in types)):
        return None
    module = extension()
    if module is None:  # (cxx='' too: then every call is Python's)
        return None
    return module.FastCall(fallback or f._call_python, tuple(f._input_cells),
                           tuple(t.numpy_dtype for t in types), tuple(t.ndim for t in types),
                           np.ndarray, f._run, tuple(f._output_cells), f._n_out, f._single,
                           tuple(f._update_cells), tuple(f._owned_output_cells))


def fast_function(f: Any) -> Any:
    """`f` (a compiled Function) with its common call in C (a new FastCall), or
    `f` itself when the fast path does not apply here."""
    fast = fast_call(f)
    return f if fast is None else fast
