"""DebugMode: run every node in Python and in C, and check everything (chapter 5).

`theano.function(..., mode='DebugMode')` links the graph with thunks that,
for each node,

1. run the op's Python `perform` on copies of the inputs,
2. run its C kernel (if it has one) on other copies,
3. check both: outputs of the declared dtype and number of dimensions,
   length 1 where declared broadcastable, shapes as `infer_shape` predicts,
   no input changed unless `destroy_map` says so, and C equal to Python
   (exactly for integers and bools, within the dtype's tolerance for floats);
4. then run the node for real (C if it has a kernel) so that in-place
   updates happen where the function expects them.

Any failed check raises `DebugModeError`, naming the node and the line of
user code that built it.  Slow, by design: a tool to find a wrong kernel or
a wrong `infer_shape`, not a way to run.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from minitheano.graph.basic import Apply, Constant, Variable, graph_inputs
from minitheano.graph.fg import FunctionGraph
from minitheano.link.c.thunk import compile_nodes, make_thunk
from minitheano.link.errors import node_failure_message
from minitheano.link.py.vm import py_thunk, run_graph_in_python

Thunk = Callable[[], None]


class DebugModeError(AssertionError):
    """A check of DebugMode failed."""


def debug_thunks(fgraph: FunctionGraph, order: Sequence[Apply],
                 storage: dict[Variable, list]) -> list[Thunk]:
    compiled = compile_nodes(order) or [None] * len(order)
    thunks = []
    for node, c in zip(order, compiled):
        real = py_thunk(node, storage)
        c_run = None
        if c is not None:
            real = make_thunk(node, c[0], c[1], [storage[v] for v in node.inputs],
                              [storage[v] for v in node.outputs], False)
            c_run = _private_runner(node, functools.partial(_c_thunk, c))
        py_run = _private_runner(node, node.op.make_py_thunk)
        thunks.append(_checked(fgraph, node, storage, py_run, c_run, real))
    return thunks


def _c_thunk(compiled: tuple, node: Apply, ins: list, outs: list) -> Thunk:
    return make_thunk(node, compiled[0], compiled[1], ins, outs, False)


def _private_runner(node: Apply, make: Callable[[Apply, list, list], Thunk]
                    ) -> Callable[[list[Any]], tuple[list[Any], list[Any]]]:
    """inputs -> (outputs, the inputs afterwards): the node run on copies."""
    ins = [[None] for _ in node.inputs]
    outs = [[None] for _ in node.outputs]
    thunk = make(node, ins, outs)

    def run(values: list[Any]) -> tuple[list[Any], list[Any]]:
        for cell, v in zip(ins, values):
            cell[0] = copy.deepcopy(v)
        for cell in outs:
            cell[0] = None
        thunk()
        return [c[0] for c in outs], [c[0] for c in ins]
    return run


def _checked(fgraph: FunctionGraph, node: Apply, storage: dict[Variable, list],
             py_run: Callable, c_run: Callable | None, real: Thunk) -> Thunk:
    in_cells = [storage[v] for v in node.inputs]
    destroyed = {i for ins in node.op.destroy_map.values() for i in ins}

    def fail(what: str, values: list[Any]) -> None:
        err = DebugModeError(f"DebugMode: {what}\n{node_failure_message(node, values)}")
        err._minitheano_annotated = True
        raise err

    def thunk() -> None:
        values = [c[0] for c in in_cells]
        snapshot = [copy.deepcopy(v) for v in values]
        results = {}
        for backend, run in (("Python", py_run), ("C", c_run)):
            if run is None:
                continue
            outs, after = run(values)
            for i, (before, now) in enumerate(zip(snapshot, after)):
                if i not in destroyed and not _same(before, now):
                    fail(f"the {backend} code of {node.op} overwrote input {i} "
                         f"({node.inputs[i]}), which its destroy_map does not declare", values)
            _check_outputs(fgraph, node, outs, values, backend, fail)
            results[backend] = outs
        if "C" in results:
            for k, (var, p, c) in enumerate(zip(node.outputs, results["Python"], results["C"])):
                problem = _difference(var, p, c)
                if problem:
                    fail(f"output {k} of {node.op} differs between C and Python: {problem}",
                         values)
        real()
    return thunk


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and bool(
            np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    try:
        return bool(a == b)
    except Exception:
        return True  # values we cannot compare (random generators' states): trust them


def _check_outputs(fgraph: FunctionGraph, node: Apply, outs: list[Any], values: list[Any],
                   backend: str, fail: Callable) -> None:
    """Each output fits its type, and its shape is what infer_shape predicts."""
    for k, (var, out) in enumerate(zip(node.outputs, outs)):
        dtype, ndim = getattr(var.type, "dtype", None), getattr(var.type, "ndim", None)
        if dtype is None:
            continue
        arr = np.asarray(out)
        if arr.dtype != np.dtype(dtype) or arr.ndim != ndim:
            fail(f"the {backend} code of {node.op} returned output {k} as {arr.dtype} with "
                 f"{arr.ndim} dimensions; its type is {var.type}", values)
        for d, b in enumerate(var.type.broadcastable):
            if b and arr.shape[d] != 1:
                fail(f"the {backend} code of {node.op} returned output {k} of shape "
                     f"{arr.shape}; {var.type} declares dimension {d} broadcastable", values)
    predicted = _inferred_shapes(fgraph, node, values)
    for k, (shape, out) in enumerate(zip(predicted or [], outs)):
        if shape is not None and tuple(shape) != np.shape(out):
            fail(f"infer_shape of {node.op} says output {k} has shape {tuple(shape)}, but the "
                 f"{backend} code returned shape {np.shape(out)}", values)


def _inferred_shapes(fgraph: FunctionGraph, node: Apply, values: list[Any]) -> list | None:
    """infer_shape evaluated on the actual input shapes (None where it cannot be)."""
    if not all(hasattr(v.type, "ndim") for v in node.inputs):
        return None
    try:
        shapes = node.op.infer_shape(fgraph, node, [tuple(np.shape(v)) for v in values])
    except NotImplementedError:
        return None
    known = dict(zip(node.inputs, values))
    result = []
    for shape in shapes:
        try:
            result.append(tuple(_evaluate(s, known) for s in shape))
        except LookupError:
            result.append(None)
    return result


def _evaluate(entry: Any, known: dict[Variable, Any]) -> int:
    """A shape entry as an int: a number, or a small graph over the node's inputs."""
    if not isinstance(entry, Variable):
        return int(entry)
    if isinstance(entry, Constant):
        return int(entry.data)
    free = [v for v in graph_inputs([entry]) if not isinstance(v, Constant)]
    if any(v not in known for v in free):
        raise LookupError(entry)
    fg = FunctionGraph(free, [entry])
    return int(run_graph_in_python(fg, dict(zip(fg.inputs, [known[v] for v in free])))[0])


def _difference(var: Variable, p: Any, c: Any) -> str | None:
    """How C's value differs from Python's, or None when they agree."""
    p_arr, c_arr = np.asarray(p), np.asarray(c)
    if p_arr.dtype != c_arr.dtype:
        return f"dtype {c_arr.dtype} in C, {p_arr.dtype} in Python"
    if p_arr.shape != c_arr.shape:
        return f"shape {c_arr.shape} in C, {p_arr.shape} in Python"
    approx = getattr(var.type, "values_eq_approx", None)
    equal = approx(p_arr, c_arr) if approx else _same(p_arr, c_arr)
    if equal:
        return None
    bad = ~np.isclose(c_arr, p_arr, equal_nan=True) if c_arr.dtype.kind == "f" else c_arr != p_arr
    where = tuple(int(i) for i in np.argwhere(np.atleast_1d(bad))[0]) if np.any(bad) else (0,)
    return (f"at index {where}: {np.atleast_1d(c_arr)[where].item()!r} in C, "
            f"{np.atleast_1d(p_arr)[where].item()!r} in Python")
