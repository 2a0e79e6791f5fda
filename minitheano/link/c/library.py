"""Compiled modules of chapter 5, loaded, and each kernel's compiled function found.

A kernel is printed (link/c/loops.py), compiled once into a library of the cache
(link/c/build.py, link/c/cache.py) and looked up by its own key: `kernel_functions`
loads the libraries that already hold a function's kernels and compiles the others
in ONE module. `Library` is a loaded module; its kernels are ctypes functions that
take numpy arrays. The thunks that call them are in link/c/thunk.py.
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
from minitheano.link.c import build, cache
from minitheano.link.c.loops import CPrinter
from minitheano.link.kernel import CrossentropyKernel, ElemwiseKernel, Kernel, describe
from minitheano.scalar.basic import ALL_DTYPES
from minitheano.tensor.kernel import CrossentropySoftmaxDxKernel, CrossentropySoftmaxKernel


class Library:
    """A loaded module: its kernels as ctypes functions taking numpy arrays."""

    def __init__(self, path: Any, names: dict[str, int]) -> None:
        self.path = path
        self.dll = cache.open_library(path)  # OSError: it does not load, or not for its key
        init = self.dll.mt_init
        init.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
        descrs = (ctypes.c_void_p * len(ALL_DTYPES))(*_DESCR_IDS)
        if init(id(np.ndarray), descrs) != ctypes.sizeof(_ArrayStruct):
            raise RuntimeError(f"{path}: the module's idea of a numpy array differs from ours")
        self.kernels = {}
        for name, nargs in names.items():
            self.function(name, nargs)

    def function(self, name: str, nargs: int) -> Callable:
        """The kernel `name`, taking `nargs` numpy arrays, as a ctypes function."""
        if name not in self.kernels:
            fn = self.dll[name]
            fn.argtypes = [ctypes.py_object] * nargs
            fn.restype = ctypes.c_int
            self.kernels[name] = fn
        return self.kernels[name]


# The order of runtime.h's MT_bool, MT_int8, ... enum.
_ORDER = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float32", "float64")
_DESCR_IDS = [id(np.dtype(d)) for d in _ORDER]
assert sorted(_ORDER) == sorted(ALL_DTYPES)


class _ArrayStruct(ctypes.Structure):
    """runtime.h's mt_array: the first fields of numpy's array object."""
    _fields_ = [("ob_refcnt", ctypes.c_ssize_t), ("ob_type", ctypes.c_void_p),
                ("data", ctypes.c_void_p), ("nd", ctypes.c_int),
                ("dimensions", ctypes.POINTER(ctypes.c_ssize_t)),
                ("strides", ctypes.POINTER(ctypes.c_ssize_t)), ("base", ctypes.c_void_p),
                ("descr", ctypes.c_void_p), ("flags", ctypes.c_int)]


def numpy_layout_problem() -> str | None:
    """Does numpy lay out its arrays as runtime.h assumes?  None if it does."""
    a = np.arange(6.0).reshape(2, 3)[:, ::2]
    s = _ArrayStruct.from_address(id(a))
    seen = (s.ob_type, s.data, s.nd, tuple(s.dimensions[:2]), tuple(s.strides[:2]), s.descr)
    want = (id(np.ndarray), a.ctypes.data, 2, a.shape, a.strides, id(a.dtype))
    if seen != want or not s.flags & 0x0100:
        return "numpy's array layout is not the one the C kernels read"
    return None


_LIBRARIES: dict[str, Library] = {}


def load(source: str, names: dict[str, int]) -> Library:
    """The module compiled from `source` (from the cache if possible), loaded."""
    lib = _LIBRARIES.get(source)
    if lib is None:
        path = build.library_path(source)
        try:
            lib = Library(path, names)
        except OSError:  # damaged although its checksum matched, or foreign: build it again
            cache.discard(path)
            try:
                lib = Library(build.library_path(source), names)
            except OSError as e:
                cache.discard(path)
                raise cache.CacheError(
                    f"a library the C compiler {config.cxx!r} built in the compile directory "
                    f"{path.parent} does not load ({e}); check the compiler (config.cxx)"
                ) from None
        _LIBRARIES[source] = lib
    return lib


def load_library(path: Path) -> Library:
    """The library at `path` (a valid one from the cache), loaded once per process."""
    lib = _BY_PATH.get(path)
    if lib is None:
        lib = _BY_PATH[path] = Library(path, {})
    return lib


_BY_PATH: dict[Path, Library] = {}


def compile_kernels(kernels: Sequence[tuple[Kernel, str]]) -> tuple[str, Library]:
    """Print `kernels` ((kernel, title) pairs) as one module named k0, k1, ...;
    compile and load it.  Used by the linker and by tests that batch kernels."""
    printer = CPrinter()
    entries = [(f"k{i}", kernel, title) for i, (kernel, title) in enumerate(kernels)]
    source = printer.module(entries)
    names = {name: _n_arrays(kernel) for name, kernel, _ in entries}
    return source, load(source, names)


def _n_arrays(kernel: Kernel) -> int:
    if isinstance(kernel, ElemwiseKernel):
        return len(kernel.inputs) + len(kernel.outputs)
    if isinstance(kernel, (CrossentropySoftmaxKernel, CrossentropySoftmaxDxKernel)):
        return 4
    return 3 if isinstance(kernel, CrossentropyKernel) else 2


# -- thunks ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Printed:
    """A kernel of a function, ready to compile: its key names it in the cache.

    The key is the cache key of the module that would hold this kernel alone: it changes
    with anything that changes the kernel's code (its text, the runtime, the helpers it
    uses, the compiler), and never with the function around it. A kernel already compiled
    for another function (the many that add two float64 vectors) is found by its key.
    """

    kernel: Kernel
    title: str  # what it computes: the op and the types
    key: str

    @property
    def name(self) -> str:
        return f"k_{self.key[:24]}"  # the C function's name: unique in any module


def print_kernels(order: Sequence[Apply]) -> tuple[list[Printed], list[Kernel | None]]:
    """Each distinct kernel of `order`, and each node's kernel (None: it runs in Python)."""
    printed: dict[Kernel, Printed] = {}
    node_kernels: list[Kernel | None] = []
    for node in order:
        kernel = describe(node)
        if kernel is not None and kernel not in printed:
            title = describe_node(node)
            printer = CPrinter()  # a fresh one: only the helpers this kernel uses
            try:
                alone = printer.module([("k", kernel, title)])  # NotImplementedError: no C
            except NotImplementedError:
                kernel = None
            else:
                printed[kernel] = Printed(kernel, title, build.cache_key(
                    alone, config.cxx, build.flags()))
        node_kernels.append(kernel)
    return list(printed.values()), node_kernels


def print_module(kernels: Sequence[Printed]) -> str:
    """The C source of one module holding `kernels`, each under its own name."""
    return CPrinter().module([(p.name, p.kernel, p.title) for p in kernels])


def kernel_functions(kernels: Sequence[Printed], retry: bool = True) -> dict[Kernel, Callable]:
    """The compiled function of each kernel: those in the cache are loaded from the library
    they were compiled in; the others are printed into ONE module (one compiler run)."""
    where = {p: build.kernel_library(p.key) for p in kernels}
    # Two kernels may differ and still print the same C (an in-place add whose inputs
    # are both single values): one key, one function in the module.
    missing = list({p.key: p for p in kernels if where[p] is None}.values())
    if missing:
        path = build.library_path(print_module(missing))
        build.record_kernels([p.key for p in missing], path)
        where.update({p: path for p in kernels if where[p] is None})
    functions = {}
    for p in kernels:
        try:
            library = load_library(where[p])
            functions[p.kernel] = library.function(p.name, _n_arrays(p.kernel))
        except (OSError, AttributeError):
            # damaged although its checksum matched, foreign, or an index naming a library
            # without this kernel: build its kernels again
            build.discard(where[p])
            if retry:
                return kernel_functions(kernels, retry=False)
            raise cache.CacheError(
                f"a library the C compiler {config.cxx!r} built in the compile directory "
                f"{where[p].parent} does not load; check the compiler (config.cxx)") from None
    return functions


def module_of(fgraph: Any) -> tuple[str, Any]:
    """(the C source, the path of the library) of the one module holding the kernels that
    FAST_RUN uses for `fgraph` (a compiled function's `f.maker.fgraph`)."""
    kernels, _ = print_kernels(fgraph.toposort())
    source = print_module(list({p.key: p for p in kernels}.values()))  # one per C text
    return source, build.library_path(source)


def describe_node(node: Apply) -> str:
    types = ", ".join(f"{v.type}" for v in node.inputs)
    return f"{node.op} ({types}) -> {', '.join(str(v.type) for v in node.outputs)}"
