"""The compiled loop: a scan whose body is all C runs its steps in C (chapter 9).

Chapter 7's loop (scan/loop.py) is Python around the body's compiled kernels: per
step it puts views into cells, runs the VM's thunks one by one, copies the new
state into its buffer -- a few microseconds of Python per step, often more than
the body's arithmetic.  When every node of the body has C, `CompiledScanLoop`
hands the steps to one C loop (link/c/step_loop.c) instead:

1. step 0 runs in Python, as in chapter 7: it checks the shapes, and leaves in
   every cell of the body an array of the right shape -- the buffers the kernels
   write into at every later step;
2. a *program* is written from what step 0 left: for each step, point x[t] and
   h[t-1] at their rows (pointer arithmetic on the sequences and the state
   buffers), call the body's kernels in order (the very functions the C linker
   compiled), copy the new states into their rows;
3. the C machine runs steps 1 .. n-1 of it, and hands back where it stopped.

A later call whose arrays are laid out as those of a program kept from an
earlier call (`ScanProgram.bind`; the loop keeps its last few, a while loop one
per size of its growing buffers) runs step 0 in C too, with that program: the
cells still hold the buffers step 0 left, and when every node's output shape
follows from its inputs' shapes alone (no length given as a value), the same
layouts give the same shapes.

Anything the program cannot do makes the loop go on in Python from the step
where C stopped: a node without C (the loop is then Python from the start, and
its name says why: `for{cpu,scan_fn,python loop: ...}`), an input that is not
what step 0 saw, a kernel refusing its inputs (the Python step then raises the
error, with its message).  (A while loop whose buffers are full grows them and
goes on in C, with a program for the bigger buffers.)  So the two
loops always compute the same thing; the Python one stays the readable one.
"""

from __future__ import annotations

from minitheano.graph.basic import Apply
from minitheano.link.c import step_loop
from minitheano.scan.loop import ScanLoop, StateFeeds
from minitheano.scan.op import Scan
from minitheano.scan.step_program import Call, ProgramWriter, ScanProgram, plan_nodes
from minitheano.tensor.elemwise import Elemwise
from minitheano.tensor.reduction import CAReduce

# Kernels whose output shapes follow from their inputs' shapes alone (an axis is a
# property of the op, never a value).
SHAPES_FROM_SHAPES = (Elemwise, CAReduce)
# Programs a loop keeps for later calls, the last used first: a while loop's buffers
# start with room for 64 steps and double, each size with its program (8 sizes: up to
# 16,384 steps without writing a program again).
KEPT_PROGRAMS = 8


def make_loop(op: Scan, node: Apply) -> ScanLoop:
    """The loop of a Scan node: compiled when its body allows, and named so."""
    loop = CompiledScanLoop(op, node)
    if op.inner_ready:  # linked in a function: debugprint and the profile show which loop
        op.loop_kind = ("compiled loop" if loop.why_python is None
                        else f"python loop: {loop.why_python}")
        op.loop = loop  # for tests and profiles: loop.steps_in_c, loop.fallback
    return loop


class CompiledScanLoop(ScanLoop):
    """Chapter 7's loop, whose steps after the first run in C when they can."""

    def __init__(self, op: Scan, node: Apply) -> None:
        super().__init__(op, node)
        linker = (op.link_mode if op.inner_ready else op.compiled_for(None).link_mode).linker
        self.plans, self.why_python = plan_nodes(self.vm, linker)
        self.var_of_cell = {id(cell): v for v, cell in self.vm.storage.items()}
        self.fallback: str | None = None  # why the last call went on in Python, if it did
        self.steps_in_c = 0  # steps after the first run by the C machine, all calls together
        self.first_steps_in_c = 0  # calls whose step 0 the C machine ran too
        self.program: ScanProgram | None = None  # the last one run
        # The last few programs written (a while loop has one per size of its buffers):
        # the next call reuses one whose arrays are laid out as its own.
        self.programs: list[ScanProgram] = []
        # Step 0 may run in C when no node's output shape depends on values (a length
        # given as a number, an index array...): see `_step_zero_in_c`.
        self.shapes_from_shapes = self.plans is not None and all(
            plan.kind != "kernel" or isinstance(plan.node.op, SHAPES_FROM_SHAPES)
            for plan in self.plans)

    def _steps(self, n: int, rows: int, seq_feeds: list, states: StateFeeds,
               shared_moves: list, first: int = 0, last: int | None = None) -> int:
        if self.plans is None or n < 2 or first or last is not None:
            return super()._steps(n, rows, seq_feeds, states, shared_moves, first, last)
        program, made = self._bound_for_step_zero(rows, Call(seq_feeds, states, shared_moves))
        t = 0
        if program is None:
            # Step 0 in Python: every cell of the body now holds an array of its shape.
            super()._steps(n, rows, seq_feeds, states, shared_moves, 0, 1)
            if self.stop_cell[0]:
                return 1
            t = 1
        self.fallback = None
        how = step_loop.RAN_ALL
        while True:
            program = program or self._program(Call(seq_feeds, states, shared_moves))
            if program is None:
                break
            first, (t, how) = t, program.run(t, min(n, rows))
            program.finish()
            if first == 0 and t > 0:
                self.first_steps_in_c, first = self.first_steps_in_c + 1, 1
            self.steps_in_c += max(0, t - first)
            if how != step_loop.RAN_ALL or t == n:
                break
            # A while loop filled its buffers: twice as many rows, a program for them.
            rows, program = self._grow(states.stores, states.taps, rows, n), None
        if how == step_loop.STOPPED or t == n:
            return t
        if how == step_loop.REFUSED_STEP:
            self.fallback = f"a kernel refused the inputs of step {t}"
        if t == 0:  # Python's step 0 makes these buffers again
            del states.stores[len(states.stores) - made:]
        return super()._steps(n, rows, seq_feeds, states, shared_moves, first=t)

    def _bound_for_step_zero(self, rows: int, call: Call) -> tuple[ScanProgram | None, int]:
        """The last call's program, bound to this call's arrays to run from step 0
        (the outputs not fed back get their buffers here: how many is the second
        number); (None, 0) if this call's arrays are not laid out as that call's."""
        stores = call.states.stores
        if not self.programs or not self.shapes_from_shapes:
            return None, 0
        # Buffers shaped as the last call's step values, which the body's cells still hold.
        new_stores = self._nit_sot_stores(rows)
        stores += new_stores
        program = self._bound(call)
        if program is None:
            del stores[len(stores) - len(new_stores):]
            return None, 0
        return program, len(new_stores)

    def _bound(self, call: Call) -> ScanProgram | None:
        """A program of this loop, pointed at this call's arrays; None if none fits."""
        for k, program in enumerate(self.programs):
            if program.bind(call):
                if k:  # the next call tries it first; the others hold no arrays
                    self._use_first(self.programs.pop(k))
                self.program = program
                return program
        return None

    def _use_first(self, program: ScanProgram) -> None:
        for other in self.programs:
            other.release()
        self.programs = [program, *self.programs[:KEPT_PROGRAMS - 1]]

    def _program(self, call: Call) -> ScanProgram | None:
        """The last program, pointed at this call's arrays if they are laid out as
        its own were; else a new one; None if there can be none (`fallback`: why)."""
        program = self._bound(call)
        if program is not None:
            return program
        try:
            self.program = ProgramWriter(self, call).write()
        except NotImplementedError as e:  # a piece of it is an exercise left blank
            self.program, self.fallback = None, str(e)
        if self.program is not None:
            self._use_first(self.program)
        return self.program
