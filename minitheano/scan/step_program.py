"""The program of a Scan body, for the compiled loop's C machine (chapter 9).

scan/compiled_loop.py runs a loop's steps in C; this module writes what they run.
`plan_nodes` decides, once, how each node of the body runs in C (its compiled kernel,
BLAS, a view...) or why the loop must stay in Python.  `ProgramWriter` then turns the
arrays that step 0 left in the body's cells into a `ScanProgram`: instructions for
link/c/step_loop.c (point x_t and h_t-1 at their rows, call the kernels, store the new
state), and, for each array it names, where a later call finds its own (`bind`), so a
program is written once and re-pointed at every call's arrays.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

from minitheano.config import config
from minitheano.graph.basic import Apply, Constant, Variable
from minitheano.link.c import step_loop
from minitheano.link.c.step_loop import MAX_KERNEL_ARGS, Program, Step
from minitheano.scan.aligned_copy import AlignedCopy, needs_copy
from minitheano.scan.loop import StateFeeds
from minitheano.tensor.blas import GEMMS, NO_TRANS, TRANS, Gemm, address
from minitheano.tensor.blas import _blas_layout as blas_layout
from minitheano.tensor.math import Dot
from minitheano.tensor.subtensor import IncSubtensor

# The kinds of node whose instruction may refuse a step (an error code, or a Gemm
# whose scalar is 0): the machine then stops, and Python runs that step again.
REFUSING = ("kernel", "gemm")


class NodePlan:
    """How one node of the body runs in the compiled loop."""

    def __init__(self, node: Apply, kind: str, fn: int | None = None) -> None:
        self.node = node
        self.kind = kind  # "kernel", "dot", "gemm", "view", "inc"
        self.fn = fn      # the kernel's address


def plan_nodes(vm: Any, linker: str) -> tuple[list[NodePlan] | None, str | None]:
    """How each node of the body's VM runs in C: (plans, None), or (None, why not)."""
    from minitheano.link.c.thunk import compile_nodes
    from minitheano.link.py.vm import VM
    from minitheano.printing.print_op import Print

    if not config.scan.compiled_loop:
        return None, "config.scan.compiled_loop is off"
    if linker != "c":
        return None, f"the body is linked with {linker!r}"
    if type(vm) is not VM:
        return None, "the body has a lazy op (ifelse)"
    if step_loop.machine() is None:
        return None, "no C compiler"
    compiled = compile_nodes(vm.nodes) or [None] * len(vm.nodes)
    plans = []
    for node, c in zip(vm.nodes, compiled):
        op = node.op
        others_constant = all(isinstance(v, Constant) for v in node.inputs[1:])
        if c is not None and getattr(op, "c_source", None) is None:
            if len(node.inputs) + len(node.outputs) > MAX_KERNEL_ARGS:
                return None, f"{op} has too many operands"
            plans.append(NodePlan(node, "kernel", ctypes.cast(c[1], ctypes.c_void_p).value))
        elif isinstance(op, (Dot, Gemm)) and _blas_dtype(node):
            plans.append(NodePlan(node, "dot" if isinstance(op, Dot) else "gemm"))
        elif (isinstance(op, IncSubtensor) and len(node.inputs) == 2
              and node.inputs[1].dtype == node.inputs[0].dtype
              and node.inputs[0].dtype in ("float32", "float64")):
            plans.append(NodePlan(node, "inc"))
        elif (getattr(op, "view_map", None) == {0: [0]} and not isinstance(op, Print)
              and len(node.outputs) == 1 and others_constant):
            plans.append(NodePlan(node, "view"))
        else:
            return None, f"{op} has no C"
    return plans, None


def _blas_dtype(node: Apply) -> bool:
    dtypes = {v.dtype for v in node.inputs if v.ndim} | {node.outputs[0].dtype}
    return len(dtypes) == 1 and dtypes <= set(GEMMS)

class Call:
    """What one call of the loop feeds the program: its sequences, its buffers, and
    the arrays of the states handed back and of the shared values (made on demand)."""

    def __init__(self, seq_feeds: list, states: StateFeeds, shared_moves: list) -> None:
        self.seq_feeds, self.states = seq_feeds, states
        self.moves = [(h.in_cell, h.out_cell) for h in states.hand_backs] + list(shared_moves)
        self.rebound: list[tuple[list, np.ndarray]] = []

    def rebound_value(self, i: int) -> np.ndarray:
        """The array of move i: a copy of what step 0 left in its input cell, ours to
        write at every step, put back in the cell when the program has run."""
        in_cell = self.moves[i][0]
        value = np.array(in_cell[0])
        self.rebound.append((in_cell, value))
        return value


# A source gives the array of an array number (or of a FEED's base) for one call,
# from the call and the arrays of the lower numbers: a cell's value, a new copy...
Source = Any


class ScanProgram(Program):
    """A program; where each of its arrays comes from, to run it again on the arrays
    of another call; and the cells to give back their arrays once it has run."""

    sources: list[Source | None]  # per array number (None: the machine's own header)
    bases: list[tuple[int, Source]]  # per FEED step: its number, the buffer it reads
    notes: list[str]  # what each instruction does
    layout: tuple
    rebound: list[tuple[list, np.ndarray]]

    def bind(self, call: Call) -> bool:
        """Point the program at this call's arrays, if they are laid out as the ones
        it was written for (shapes, strides, dtypes); False if not."""
        call.rebound = []  # (what a bind that failed made is not ours)
        values: list[Any] = []
        for source in self.sources:
            values.append(None if source is None else source(call, values))
        bases = [source(call, values) for _, source in self.bases]
        if layout_of(values + bases) != self.layout:
            return False
        for k, value in enumerate(values):
            if value is not None:
                self.arrays[k] = id(value)
        for (k, _), base in zip(self.bases, bases):
            self.steps[k].base = address(base)
        self.keep[:] = [*values, *bases, self.keep[-1]]  # (the last: the own headers)
        self.rebound = call.rebound
        return True

    def release(self) -> None:
        """Let go of the last call's arrays (a program kept for later calls must not
        keep their buffers alive); `bind` points it at a call's arrays again."""
        self.keep[:] = self.keep[-1:]  # (the machine's own headers stay)
        self.rebound = []

    def listing(self) -> str:
        """The instructions of one step, in words."""
        return "\n".join(f"{k:2d}  {note}" for k, note in enumerate(self.notes))

    def finish(self) -> None:
        """The states handed back and the shared values live in arrays of the
        program's (see ProgramWriter.rebind): put them in their cells."""
        for cell, value in self.rebound:
            cell[0] = value


def layout_of(arrays: list) -> tuple | None:
    """What a program assumes of its arrays; None when one is not an array at all."""
    try:
        return tuple(None if a is None else (a.shape, a.strides, a.dtype, a.flags.aligned)
                     for a in arrays)
    except AttributeError:
        return None


class ProgramWriter:
    """Writes the program of a Scan body from the arrays its first step left."""

    def __init__(self, loop: Any, call: Call) -> None:  # a CompiledScanLoop
        self.loop, self.call, self.states = loop, call, call.states
        call.rebound = []  # (a failed `bind` may have made some)
        self.storage = loop.vm.storage
        self.numbers: dict[Variable, int] = {}  # each variable's array number
        self.arrays: list[Any] = []       # per number: an address, or ("own", k)
        self.values: list[Any] = []       # per number: its array (None: an own header)
        self.sources: list[Source | None] = []  # per number: where a call finds it
        self.bases: list[tuple[int, Source]] = []  # FEED steps' buffers: where from
        self.example: dict[Variable, np.ndarray] = {}  # the array standing for a variable
        self.moving: set[Variable] = set()  # variables whose data moves at every step
        self.own: list[np.ndarray] = []   # examples of the machine's own headers
        self.keep: list = []
        self.steps: list[Step] = []
        self.notes: list[str] = []  # what each step does, in words

    # -- arrays --------------------------------------------------------------------
    def refuse(self, why: str) -> None:
        self.loop.fallback = why

    def fixed(self, v: Variable | None, value: Any, source: Source) -> int | None:
        """`v` is the array `value` at every step; another call finds it by `source`."""
        if v is not None and not _usable(value, v):
            return self.refuse(f"{v} is not an aligned {v.type} array")
        self.keep.append(value)
        self.arrays.append(id(value))
        self.values.append(value)
        self.sources.append(source)
        number = len(self.arrays) - 1
        if v is not None:
            self.numbers[v], self.example[v] = number, value
        return number

    def own_header(self, v: Variable | None, example: Any) -> int | None:
        """An array of the machine's own, shaped like `example`, moved by the program."""
        if not isinstance(example, np.ndarray) or not example.flags.aligned:
            return self.refuse(f"{v} is not an aligned array")
        self.own.append(example)
        self.arrays.append(("own", len(self.own) - 1))
        self.values.append(None)
        self.sources.append(None)
        number = len(self.arrays) - 1
        if v is not None:
            self.numbers[v], self.example[v] = number, example
            self.moving.add(v)
        return number

    def var(self, v: Variable) -> int | None:
        if v in self.numbers:
            return self.numbers[v]
        if isinstance(v, Constant):
            return self.fixed(v, v.data, lambda call, values, data=v.data: data)
        cell = self.storage[v]
        return self.fixed(v, cell[0], lambda call, values, cell=cell: cell[0])

    def add(self, kind: int, args: list[int], note: str, **fields: Any) -> None:
        """Append an instruction; `note` says what it does, for `ScanProgram.listing`."""
        self.notes.append(f"{step_loop.NAMES[kind]:7s}{note}")
        step = Step(kind=kind, nargs=len(args), **fields)
        for k, a in enumerate(args):
            step.args[k] = a
        self.steps.append(step)

    # -- the program -----------------------------------------------------------------
    def feed(self, number: int, base: np.ndarray, source: Source, note: str,
             **fields: Any) -> None:
        """At every step, point array `number` at a row of `base` (the row: fields)."""
        self.bases.append((len(self.steps), source))
        self.add(step_loop.FEED, [number], note, base=address(base), stride=base.strides[0],
                 **fields)

    def write(self) -> ScanProgram | None:
        """The program of one step, or None (and the loop's `fallback` says why)."""
        if not (self.feeds(self.call.seq_feeds) and self.rebind()):
            return None
        for plan in self.loop.plans:
            if not getattr(self, f"node_{plan.kind}")(plan):
                return None
        if not self.stores():
            return None
        lib = step_loop.machine()
        own = step_loop.OwnArrays(lib, self.own)
        arrays = [own.addresses[a[1]] if isinstance(a, tuple) else a for a in self.arrays]
        program = ScanProgram(lib, self.steps, arrays, [*self.keep, own])
        program.sources, program.bases, program.notes = self.sources, self.bases, self.notes
        bases = [source(self.call, self.values) for _, source in self.bases]
        program.layout = layout_of(self.values + bases)
        program.rebound = self.call.rebound
        return program

    def feeds(self, seq_feeds: list) -> bool:
        """x[t + k] and h[t + k]: rows of the sequences and of the state buffers."""
        for i, feed in enumerate(seq_feeds):
            seq = feed.sequence
            if not isinstance(seq, np.ndarray):
                return bool(self.refuse("a sequence is not an array"))
            a = self.own_header(self.var_of(feed.cell), feed.cell[0])
            if a is None:
                return False
            self.feed(a, seq, lambda call, values, i=i: call.seq_feeds[i].sequence,
                      f"x_t: row {feed.start} {'+' if feed.direction > 0 else '-'} t "
                      f"of sequence {i}",
                      start=feed.start, step=feed.direction, size=0)
        for i, tap in enumerate(self.states.taps):
            a = self.own_header(self.var_of(tap.cell), tap.cell[0])
            if a is None:
                return False
            # --8<-- [start:ex-ch09-state-rows]
            self.feed(a, tap.buffer, lambda call, values, i=i: call.states.taps[i].buffer,
                      f"h_t-k: row ({tap.offset} + t) mod {tap.size} of a state's buffer",
                      start=tap.offset, step=1, size=tap.size)
            # --8<-- [end:ex-ch09-state-rows]
        return True

    def rebind(self) -> bool:
        """A state handed back (chapter 7) and a shared value the loop updates move
        from an output cell to an input cell in Python.  Here the input is an array
        of the program's, into which the output is copied after every step."""
        moves = self.call.moves
        for i, (in_cell, _) in enumerate(moves):
            source = lambda call, values, i=i: call.rebound_value(i)  # noqa: E731
            if self.fixed(self.var_of(in_cell), source(self.call, []), source) is None:
                return False
        self.copies = [(self.var_of(out_cell), self.var_of(in_cell))
                       for in_cell, out_cell in moves]
        if any(src in {dst for _, dst in self.copies} for src, _ in self.copies):
            return bool(self.refuse("a state is copied from another state"))
        return True

    def stores(self) -> bool:
        """After each step: each output into its row, the rebound values, until."""
        for i, store in enumerate(self.states.stores):
            src = self.var(self.var_of(store.cell))
            row = self.own_header(None, store.buffer[0, ...])
            if src is None or row is None:
                return False
            self.feed(row, store.buffer, lambda call, values, i=i: call.states.stores[i].buffer,
                      f"row t of output {store.j}'s buffer", start=store.lag, step=1,
                      size=store.size)
            self.add(step_loop.COPY, [src, row], f"output {store.j} into that row",
                     itemsize=store.buffer.itemsize)
        for src, dst in self.copies:
            a, b = self.var(src), self.numbers[dst]
            if a is None:
                return False
            if a == b:  # updated in place (see _accumulator)
                continue
            self.add(step_loop.COPY, [a, b], "a new state or shared value, for the next step",
                     itemsize=self.example[dst].itemsize)
        if self.loop.op.until:
            stop_var = self.var_of(self.loop.stop_cell)
            a = self.var(stop_var)
            if a is None or stop_var.dtype != "bool":
                return bool(self.refuse("the until condition is not a bool"))
            self.add(step_loop.STOP, [a], "if the until condition is true")
        return True

    def unchanging(self, v: Variable) -> bool:
        """Is `v` the same array with the same values at every step: a constant or a
        non-sequence (not a shared value the loop updates, nor a value it computes)?"""
        return isinstance(v, Constant) or any(self.var_of(cell) is v
                                              for cell in self.loop.non_seq_cells)

    def var_of(self, cell: list) -> Variable:
        return self.loop.var_of_cell[id(cell)]

    # -- the nodes -------------------------------------------------------------------
    def node_kernel(self, plan: NodePlan) -> bool:
        args = [self.var(v) for v in plan.node.inputs + plan.node.outputs]
        if None in args:
            return False
        self.add(step_loop.KERNEL, args, f"{plan.node.op}, its compiled kernel", fn=plan.fn)
        return True

    def node_view(self, plan: NodePlan) -> bool:
        """A view (a transpose, a slice): the op's own perform on the array standing
        for its input says where it starts, relative to the input."""
        node = plan.node
        x, (out,) = node.inputs[0], node.outputs
        if self.var(x) is None:
            return False
        view = view_of(node, self.example[x])
        if not isinstance(view, np.ndarray) or not np.may_share_memory(view, self.example[x]):
            return bool(self.refuse(f"{node.op} did not give a view"))
        if x not in self.moving:
            source = lambda call, values, n=self.numbers[x]: view_of(node, values[n])  # noqa: E731
            return self.fixed(out, view, source) is not None
        a = self.own_header(out, view)
        if a is None:
            return False
        self.add(step_loop.VIEW, [a, self.numbers[x]], f"{node.op}, a view of a moving array",
                 offset=address(view) - address(self.example[x]))
        return True

    def node_dot(self, plan: NodePlan) -> bool:
        x, y = plan.node.inputs
        (out,) = plan.node.outputs
        if x.ndim + y.ndim == 3:  # a vector and a matrix: gemv, one pass over the matrix
            return self._gemv(x, y, out)
        return self._gemm(step_loop.DOT, [x, y, out], x, y, out)

    def _gemv(self, x: Variable, y: Variable, out: Variable) -> bool:
        """v . M is M^T v: gemv, with M transposed (or not, if M is stored transposed)."""
        args = [self.var(v) for v in (x, y, out)]
        if None in args:
            return False
        flip = x.ndim == 1
        matrix, vector = (y, x) if flip else (x, y)
        ms, vs, zs = self.example[matrix], self.example[vector], self.example[out]
        if self.unchanging(matrix) and needs_copy(ms):  # see scan/aligned_copy.py
            m = 1 if flip else 0  # the matrix's array number, in args
            copy = AlignedCopy(args[m], ms)
            args[m] = self.fixed(None, copy(self.call, self.values), copy)
            ms = copy.buffer
        layout, item = blas_layout(ms), vs.itemsize
        fn = step_loop.GEMVS.get(zs.dtype.name)
        if (layout is None or fn is None or vs.strides[0] <= 0 or vs.strides[0] % item
                or not zs.flags.c_contiguous or 0 in ms.shape
                or np.may_share_memory(zs, ms) or np.may_share_memory(zs, vs)):
            return bool(self.refuse(f"{out.owner.op}'s arrays do not fit BLAS"))
        stored, ld = layout
        rows, cols = ms.shape if stored == NO_TRANS else ms.shape[::-1]  # as stored
        # v . M is M^T v: one transpose for that, one more if M is stored transposed.
        trans = TRANS if flip != (stored == TRANS) else NO_TRANS
        blas = (trans, rows, cols, ld, vs.strides[0] // item, 0, 0, 0)
        self.add(step_loop.GEMV, [args[1], args[0], args[2]] if flip else args,
                 f"{out.owner.op}, a vector and a matrix: BLAS gemv", fn=fn,
                 blas=(ctypes.c_int64 * 8)(*blas), float32=int(zs.dtype == np.float32))
        return True

    def node_gemm(self, plan: NodePlan) -> bool:
        z, a, x, y, b = plan.node.inputs
        (out,) = plan.node.outputs
        if any(self.var(v) is None for v in (z, a, x, y, b)):
            return False
        if (plan.node.op.inplace and z in self.moving) or any(
                self.example[v].dtype != self.example[z].dtype for v in (a, b)):
            return bool(self.refuse("Gemm's Z moves, or its scalars have another dtype"))
        if self._accumulator(plan, z, out):
            self.numbers[out], self.example[out] = self.numbers[z], self.example[z]
        return self._gemm(step_loop.GEMM, [z, a, x, y, b, out], x, y, out)

    def _accumulator(self, plan: NodePlan, z: Variable, out: Variable) -> bool:
        """Is Z a state that only this Gemm reads, whose next value is its output
        (dW += h^T dz, a gradient summed in the loop)?  Then the Gemm updates Z's
        array in place: no copy of Z into a new array before it, nor of the new
        value back into Z after the step.  Not when an instruction after it may
        refuse the step (a kernel, a Gemm): Python runs a refused step again from
        its states, and Z would already hold this step's sum."""
        readers = sum(v is z for p in self.loop.plans for v in p.node.inputs)
        later = self.loop.plans[self.loop.plans.index(plan) + 1:]
        return (readers == 1 and any(src is out and dst is z for src, dst in self.copies)
                and not any(p.kind in REFUSING for p in later))

    def _gemm(self, kind: int, variables: list[Variable], x: Variable, y: Variable,
              out: Variable) -> bool:
        args = [self.var(v) for v in variables]
        if None in args:
            return False
        xs, ys, zs = self.example[x], self.example[y], self.example[out]
        lx, ly = _as_matrix(xs, row=True), _as_matrix(ys, row=False)
        if lx is None or ly is None or not zs.flags.c_contiguous or 0 in xs.shape + ys.shape \
                or np.may_share_memory(zs, xs) or np.may_share_memory(zs, ys):
            return bool(self.refuse(f"{out.owner.op}'s arrays do not fit BLAS"))
        m = xs.shape[0] if xs.ndim == 2 else 1
        n = ys.shape[1] if ys.ndim == 2 else 1
        k = xs.shape[-1]
        blas = (lx[0], ly[0], m, n, k, lx[1], ly[1], n)
        in_place = " (in place: a sum the loop carries)" if args[-1] == args[0] else ""
        self.add(kind, args, f"{out.owner.op}: BLAS gemm{in_place}",
                 fn=ctypes.cast(GEMMS[zs.dtype.name], ctypes.c_void_p).value,
                 blas=(ctypes.c_int64 * 8)(*blas), float32=int(zs.dtype == np.float32),
                 itemsize=zs.itemsize)
        return True

    def node_inc(self, plan: NodePlan) -> bool:
        """x[index] += y (or = y) into a copy of x, or into x itself in place."""
        node = plan.node
        (x, y), (out,) = node.inputs, node.outputs
        a, b, c = self.var(x), self.var(y), self.var(out)
        if None in (a, b, c):
            return False
        index = node.op.numpy_index([]) + (Ellipsis,)
        part = self.example[out][index]
        if part.ndim != self.example[y].ndim or (node.op.inplace and x in self.moving):
            return bool(self.refuse(f"{node.op} stretches its value, or writes into a row"))
        p = self.fixed(None, part, lambda call, values: values[c][index])
        item = part.itemsize
        if not node.op.inplace:
            self.add(step_loop.COPY, [a, c], f"{node.op}: x into a new array", itemsize=item)
        kind = step_loop.COPY if node.op.set_instead_of_inc else step_loop.ADD
        self.add(kind, [b, p], f"{node.op}: y into its part", itemsize=item,
                 float32=int(part.dtype == np.float32))
        return True


def view_of(node: Apply, x: np.ndarray) -> Any:
    """What the view op of `node` gives for the input `x` (its other inputs: constants)."""
    cells = [[None]]
    node.op.perform(node, [x, *(v.data for v in node.inputs[1:])], cells)
    return cells[0][0]


def _usable(value: Any, v: Variable) -> bool:
    return (isinstance(value, np.ndarray) and value.dtype == v.type.numpy_dtype
            and value.ndim == v.type.ndim and value.flags.aligned)


def _as_matrix(a: np.ndarray, row: bool) -> tuple[int, int] | None:
    """(transpose flag, leading dimension) of `a` for a row-major gemm; a vector is
    a 1 x k row (the left operand) or a k x 1 column (the right one)."""
    if a.ndim == 2:
        return blas_layout(a)
    if a.ndim != 1:
        return None
    (s,), item, k = a.strides, a.itemsize, len(a)
    shape = (1, k) if row else (k, 1)
    candidates = [(k * s, s), (item, s)] if row else [(s, item), (item, k * item)]
    for strides in candidates:
        layout = blas_layout(np.lib.stride_tricks.as_strided(a, shape, strides))
        if layout is not None:
            return layout
    return None
