"""Ops that bring their own C: compiled, cached and handed back to the op (chapter 8).

Most C in minitheano is printed from kernel descriptions (link/kernel.py).
A few ops are not loops over elements but a short C routine around a
library call: conv2d copies patches in C (im2col) and leaves the matrix
product to BLAS; pooling walks its windows in C.  Such an op has two methods:

    c_source(node)  -> the C source of its functions (None: no C for this node)
    c_thunk(node, lib, input_cells, output_cells) -> the node's thunk, calling
                       the functions of `lib` (the loaded library) through ctypes

The source is compiled through the same on-disk cache as every C module
(link/c/build.py), once per distinct source; `c_thunks` (link/c/thunk.py)
puts these thunks in place of the nodes' Python ones.
"""

from __future__ import annotations

import ctypes
import warnings
from collections.abc import Callable, Sequence

from minitheano.graph.basic import Apply, Variable
from minitheano.link.c import build

_LOADED: dict[str, ctypes.CDLL] = {}


def load(source: str) -> ctypes.CDLL:
    """The library built from `source`, compiled (or found in the cache) and loaded once."""
    lib = _LOADED.get(source)
    if lib is None:
        lib = _LOADED[source] = ctypes.CDLL(str(build.library_path(source)))
    return lib


def op_thunks(order: Sequence[Apply], storage: dict[Variable, list]
              ) -> list[Callable[[], None] | None]:
    """A thunk for each node of `order` whose op brings its own C, None for the
    others.  The C linker (thunk.c_thunks) calls it once it knows that C works here."""
    thunks: list[Callable[[], None] | None] = [None] * len(order)
    for k, node in enumerate(order):
        source = getattr(node.op, "c_source", None)
        text = source(node) if source is not None else None
        if text is None:
            continue
        try:
            lib = load(text)
        except (build.CompileError, OSError) as e:  # the op still runs, in Python
            warnings.warn(f"{node.op}: its C did not build ({str(e).splitlines()[0]}); "
                          f"it runs in Python", stacklevel=2)
            continue
        thunks[k] = node.op.c_thunk(node, lib, [storage[v] for v in node.inputs],
                                    [storage[v] for v in node.outputs])
    return thunks
