"""The C linker: one compiled module per function, and thunks that call it (chapter 5).

`c_thunks` describes every node it can (each op's `kernel(node)`, tensor/kernel.py),
prints the kernels
not yet in the cache into ONE C module (one compiler run per function, cached
on disk), loads it with ctypes, and gives each node a thunk of the same shape
as the Python VM's: a function of no arguments that reads its input cells and
fills its output cells.  The cache also records, for each kernel, the library
it was compiled in, so a kernel is compiled once for every function that
needs it (hundreds of tests add two float64 vectors).  Nodes without a
kernel keep their Python thunk, so C and Python nodes run side by side in
the same VM loop.

A call must cost little, so everything is prepared once:

* kernels take the numpy arrays themselves (ctypes `py_object`) and read
  data pointers, shapes and strides from the array structs in C: no per-call
  marshalling in Python;
* output arrays are allocated once and reused by later calls, as long as
  nothing outside holds them (their reference count says so): the function
  never overwrites an array it returned to its caller.
"""

from __future__ import annotations

import ctypes
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from minitheano.config import config
from minitheano.graph.basic import Apply, Variable
from minitheano.link.c import build, cache
from minitheano.link.c.loops import CPrinter
from minitheano.link.c.op_thunks import op_thunks
from minitheano.link.kernel import (
    CrossentropyKernel,
    ElemwiseKernel,
    Kernel,
    ReduceKernel,
    describe,
)
from minitheano.scalar.basic import ALL_DTYPES

Thunk = Callable[[], None]

MT_BAD_ARRAY, MT_BAD_SHAPE, MT_REFUSED, MT_OVERLAP, MT_VALUE_ERROR = 1, 2, 3, 4, 5


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
_warned: set[str] = set()


def c_unavailable() -> str | None:
    """Why C kernels cannot run here (warned about once), or None."""
    problem = build.compiler_problem() or _LAYOUT_PROBLEM
    if problem is not None:
        _warn_once(problem)
    return problem


def _warn_once(problem: str) -> None:
    if problem not in _warned:
        _warned.add(problem)
        warnings.warn(f"{problem}: minitheano runs every operation in Python (no C kernels).",
                      stacklevel=3)


_LAYOUT_PROBLEM = numpy_layout_problem()


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
    missing = [p for p in kernels if where[p] is None]
    if missing:
        path = build.library_path(print_module(missing))
        build.record_kernels([p.key for p in missing], path)
        where.update({p: path for p in missing})
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
    source = print_module(kernels)
    return source, build.library_path(source)


def compile_nodes(order: Sequence[Apply]) -> list[tuple[Kernel, Callable] | None] | None:
    """(kernel, compiled function) for each node of `order` that has a kernel,
    None for the others.  None when there is no C here."""
    if c_unavailable() is not None:
        return None
    try:
        kernels, node_kernels = print_kernels(order)
        functions = kernel_functions(kernels)
    except NotImplementedError as e:  # a piece of the machinery is an exercise left blank
        _warn_once(f"C code is disabled ({e})")
        return None
    except cache.CacheError as e:  # the compile directory or the compiler misbehaves
        _warn_once(str(e))
        return None
    return [None if k is None else (k, functions[k]) for k in node_kernels]


def c_thunks(order: Sequence[Apply], storage: dict[Variable, list],
             reuse: Callable[[Apply], bool]) -> list[Thunk | None] | None:
    """A C thunk for each node of `order` that has a kernel (None for the others),
    or None when there is no C at all here.  `reuse(node)`: may the node keep
    its output arrays for the next call?"""
    compiled = compile_nodes(order)
    if compiled is None:
        return None
    own = op_thunks(order, storage)  # ops that bring their own C (chapter 8's conv, pool)
    return [own[k] if own[k] is not None else None if c is None else
            make_thunk(node, c[0], c[1], [storage[v] for v in node.inputs],
                       [storage[v] for v in node.outputs], reuse(node))
            for k, (node, c) in enumerate(zip(order, compiled))]


def describe_node(node: Apply) -> str:
    types = ", ".join(f"{v.type}" for v in node.inputs)
    return f"{node.op} ({types}) -> {', '.join(str(v.type) for v in node.outputs)}"


def make_thunk(node: Apply, kernel: Kernel, fn: Callable, in_cells: list[list],
               out_cells: list[list], reuse: bool) -> Thunk:
    """A thunk calling kernel function `fn` on the node's cells.

    The common cases (one output, one or two inputs, not in place) get a
    thunk of their own, with as little Python per call as possible; anything
    unusual (an input that is not an aligned array of the right dtype, a
    shape error, an error code) goes through `call_carefully`.
    """
    shape_of = _output_shape_function(node, kernel)
    dtypes = [v.type.numpy_dtype for v in node.outputs]
    inplace = dict(kernel.inplace) if isinstance(kernel, ElemwiseKernel) else {}
    bufs: list[Any] = [None] * len(out_cells)
    free, getrefcount, empty = _FREE_REFCOUNT, sys.getrefcount, np.empty

    def slow(args: Sequence[Any]) -> list[Any]:
        return call_carefully(node, kernel, fn, list(args), shape_of, dtypes, inplace)

    source = _shape_source(kernel)  # which input gives the output's shape (-1: 0-d)
    if (len(out_cells) == 1 and not inplace and len(in_cells) == 2 and source < 0
            and isinstance(kernel, ElemwiseKernel)):
        # Scalars: the output's shape is always (); only its holders matter.
        (cell,), (dtype,), (a_cell, b_cell) = out_cells, dtypes, in_cells

        def thunk() -> None:
            out = bufs[0]
            if out is None or getrefcount(out) != free + (cell[0] is out):
                out = empty((), dtype)
                if reuse:
                    bufs[0] = out
            a, b = a_cell[0], b_cell[0]
            if fn(a, b, out):
                out = slow((a, b))[0]
            cell[0] = out
        return thunk

    if len(out_cells) == 1 and not inplace and len(in_cells) == 2:
        (cell,), (dtype,), (a_cell, b_cell) = out_cells, dtypes, in_cells

        def thunk() -> None:
            a, b = a_cell[0], b_cell[0]
            try:
                shape = (a.shape if source == 0 else b.shape if source == 1 else
                         () if source < 0 else shape_of((a, b)))
            except AttributeError:  # not an array: the careful way
                shape = None
            out = bufs[0]
            # Reuse the last output array unless someone else holds it.
            if out is None or out.shape != shape or getrefcount(out) != free + (cell[0] is out):
                out = empty(shape, dtype) if shape is not None else None
                if reuse:
                    bufs[0] = out
            if out is None or fn(a, b, out):
                out = slow((a, b))[0]
            cell[0] = out
        return thunk

    if len(out_cells) == 1 and inplace and len(in_cells) == 2:
        # In place: the output is the destroyed input itself (the kernel checks
        # that the other input's shape fits it), so there is nothing to allocate.
        (cell,), (a_cell, b_cell), dest = out_cells, in_cells, inplace[0]

        def thunk() -> None:
            a, b = a_cell[0], b_cell[0]
            out = b if dest else a
            if fn(a, b, out):
                out = slow((a, b))[0]
            cell[0] = out
        return thunk

    if len(out_cells) == 1 and not inplace and len(in_cells) == 1:
        (cell,), (dtype,), (a_cell,) = out_cells, dtypes, in_cells

        def thunk() -> None:
            a = a_cell[0]
            try:
                shape = a.shape if source == 0 else () if source < 0 else shape_of((a,))
            except AttributeError:
                shape = None
            out = bufs[0]
            if out is None or out.shape != shape or getrefcount(out) != free + (cell[0] is out):
                out = empty(shape, dtype) if shape is not None else None
                if reuse:
                    bufs[0] = out
            if out is None or fn(a, out):
                out = slow((a,))[0]
            cell[0] = out
        return thunk

    def thunk() -> None:
        args = [c[0] for c in in_cells]
        try:
            shape = shape_of(args)
        except Exception:
            outs = slow(args)
        else:
            outs = []
            for k, (cell, dtype) in enumerate(zip(out_cells, dtypes)):
                if k in inplace:
                    outs.append(args[inplace[k]])
                    continue
                out = bufs[k]
                if (out is None or out.shape != shape
                        or getrefcount(out) != free + (cell[0] is out)):
                    out = empty(shape, dtype)
                    if reuse:
                        bufs[k] = out
                outs.append(out)
            if fn(*args, *outs):
                outs = slow(args)
        for cell, out in zip(out_cells, outs):
            cell[0] = out
    return thunk


def _free_refcount() -> int:
    """sys.getrefcount of an array held only as a thunk holds its buffers (a list
    entry and a local variable): anything more means someone else holds it."""
    bufs = [np.empty(0)]
    out = bufs[0]
    return sys.getrefcount(out)


_FREE_REFCOUNT = _free_refcount()


def _shape_source(kernel: Kernel) -> int:
    """-1 when the output is 0-d; k when input k alone gives the output's shape
    (it is broadcast nowhere); otherwise 99: compute it."""
    if isinstance(kernel, ElemwiseKernel):
        if kernel.ndim == 0:
            return -1
        for k, op in enumerate(kernel.inputs):
            if not any(op.broadcastable):
                return k
        return 99
    if isinstance(kernel, ReduceKernel):
        return -1 if not kernel.kept else 99
    return 99 if isinstance(kernel, CrossentropyKernel) else 0


def _output_shape_function(node: Apply, kernel: Kernel) -> Callable[[Sequence[Any]], tuple]:
    """args -> the shape of the outputs, without any check (the kernel checks)."""
    if isinstance(kernel, ReduceKernel):
        kept = kernel.kept
        if not kept:
            return lambda args: ()
        return lambda args: tuple([args[0].shape[d] for d in kept])
    if isinstance(kernel, CrossentropyKernel):
        return lambda args: args[0].shape[:1]
    if not isinstance(kernel, ElemwiseKernel):
        return lambda args: args[0].shape
    ndim = kernel.ndim
    # For each dimension, the first input that is not broadcast along it.
    source = [next((k for k, op in enumerate(kernel.inputs) if not op.broadcastable[d]), None)
              for d in range(ndim)]
    if ndim and source.count(source[0]) == ndim and source[0] is not None:
        k = source[0]
        return lambda args: args[k].shape
    return lambda args: tuple([1 if k is None else args[k].shape[d]
                               for d, k in enumerate(source)])


def call_carefully(node: Apply, kernel: Kernel, fn: Callable, args: list[Any],
                   shape_of: Callable, dtypes: list[np.dtype], inplace: dict[int, int]
                   ) -> list[Any]:
    """Call the kernel after converting what needs converting, and turn its
    error codes into exceptions that say what was wrong."""
    for i, (a, var) in enumerate(zip(args, node.inputs)):
        want = var.type.numpy_dtype
        a = np.asarray(a)
        if a.dtype.newbyteorder("=") != want:  # (another byte order is only converted)
            raise TypeError(f"{node.op}: input {i} should be a {var.type}, got an array of "
                            f"dtype {a.dtype}")
        if a.ndim != var.type.ndim:
            raise TypeError(f"{node.op}: input {i} should have {var.type.ndim} dimensions, "
                            f"got shape {a.shape}")
        if a.dtype is not want and a.dtype == want:  # an equal dtype object (unpickled):
            a = a.view(want)  # the kernel recognises numpy's own; a view keeps the buffer
        if a.dtype is not want or not a.flags.aligned:
            a = np.array(a, dtype=want)  # numpy's own dtype object, aligned
        args[i] = a
    shape = shape_of(args)
    outs = [args[inplace[k]] if k in inplace else np.empty(shape, dtype)
            for k, dtype in enumerate(dtypes)]
    code = fn(*args, *outs)
    if code == MT_OVERLAP:  # an input overlaps an output written in place: read a copy
        others = {i for i in range(len(args)) if i not in inplace.values()}
        args = [np.array(a, copy=True) if i in others else a for i, a in enumerate(args)]
        code = fn(*args, *outs)
    if code == 0:
        return outs
    if code == MT_BAD_SHAPE and isinstance(kernel, ElemwiseKernel):
        raise ValueError(shape_mismatch_message(node, args, shape))
    if code in (MT_REFUSED, MT_BAD_SHAPE):  # the op's own Python code raises the right error
        cells = [[None] for _ in node.outputs]
        node.op.perform(node, args, cells)
        return [c[0] for c in cells]
    if code >= MT_VALUE_ERROR and isinstance(kernel, ElemwiseKernel):
        checks = CPrinter().checks(kernel.program)
        raise ValueError(checks[code - MT_VALUE_ERROR][1])
    raise RuntimeError(f"{node.op}: the C kernel failed with code {code}")


def shape_mismatch_message(node: Apply, args: Sequence[Any], shape: tuple) -> str:
    shapes = ", ".join(str(np.shape(a)) for a in args)
    for k, (a, var) in enumerate(zip(args, node.inputs)):
        for d, (length, bcast) in enumerate(zip(np.shape(a), var.type.broadcastable)):
            if bcast and length != 1:
                return (f"Input {k} has length {length} in dimension {d}, which its type "
                        f"{var.type} declares broadcastable (length 1) (input shapes: {shapes})")
            if not bcast and d < len(shape) and length != shape[d]:
                return (f"Input dimension mismatch: input {k} has length {length} in dimension "
                        f"{d}, the result {shape[d]} (input shapes: {shapes}). Only dimensions "
                        f"declared broadcastable are stretched.")
    return f"{node.op}: shapes do not match (input shapes: {shapes})"
