"""One description of a loop, two renderers: C for the CPU, CUDA for the GPU (chapters 5 and 6).

An op describes *what* its node computes (tensor/kernel.py).  This module
says *how it is looped*, once for both targets.  `ElemwiseLoop` names the
arrays (x0, x1... read, y0... written), says which of them move with the
element index and which hold one value that is read once, and what the
element at index i is in a contiguous run (`x0[i]`, the same for both
targets).  For a reduction, what both targets share is how one element is
folded in (`fold_element`) and, for argmax, which element wins (`better`).

`LoopRenderer.loop_body` prints an elementwise loop's statements from its
description: the values read once, the constants, and the scalar body twice
(for a contiguous run and for any strides), by the same code whatever the
target.  `LoopRenderer.elemwise` hands them (a `LoopBody`) to the target's
`element_loops`, which adds only the fields that differ -- the way
tinygrad's renderers differ by a few class attributes:

    field             C (link/c/loops.py)           CUDA (link/cuda/printer.py)
    head              int k0(mt_array *in0, ...)    extern "C" __global__ void k0_c(long n, ...)
    read_once         *(const double *)in1->data    x1[0]
    element index     for (i = 0; i < n; i++)       i = blockIdx.x * blockDim.x + threadIdx.x,
                      over each run of an mt_loop   then i += blockDim.x * gridDim.x
    strided_element   *(double *)(L.ptr[0]          x0[ox0] (the flat index split into
                          + i * s0) (bytes)             coordinates, strides in elements)
    math names        exp, expf (ScalarPrinter.math: today the same names in both)
    helper qualifier  static inline                 __device__ static inline
    combine           a reduction: one accumulator  each thread folds its share, then the
                      walked in memory order        block folds the threads' (a tree, shuffles)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from minitheano.link.c.cprinter import ScalarPrinter
from minitheano.tensor.kernel import ElemwiseKernel, Operand, ReduceKernel


def block(head: str, body: list[str], tail: str = "}") -> list[str]:
    """A block of C (or CUDA) as lines: `head {`, the body indented, `tail`."""
    return [head + " {"] + ["    " + line for line in body] + [tail]


@dataclass(frozen=True)
class LoopArray:
    """One array of a loop: its name in the kernel's text, what it holds, its
    position among the kernel's inputs (or outputs), and its slot among the
    arrays that move with the element index (None: one value, read once)."""
    name: str
    operand: Operand
    position: int
    slot: int | None
    is_output: bool


@dataclass(frozen=True)
class ElemwiseLoop:
    """How an `ElemwiseKernel` is looped, whatever the target."""
    kernel: ElemwiseKernel
    inputs: tuple[LoopArray, ...]
    outputs: tuple[LoopArray, ...]

    @staticmethod
    def of(kernel: ElemwiseKernel) -> ElemwiseLoop:
        inputs, slot = [], 0
        for j, op in enumerate(kernel.inputs):
            # An input with one value for every position is read once, before the loop.
            inputs.append(LoopArray(f"x{j}", op, j, None if op.is_scalar else slot, False))
            slot += 0 if op.is_scalar else 1
        outputs = [LoopArray(f"y{o}", op, o, slot + o, True) for o, op in enumerate(kernel.outputs)]
        return ElemwiseLoop(kernel, tuple(inputs), tuple(outputs))

    @property
    def moving(self) -> list[LoopArray]:
        """The arrays that move with the element index: looped inputs, then the outputs."""
        return [a for a in self.inputs if a.slot is not None] + list(self.outputs)

    @property
    def read_once(self) -> list[LoopArray]:
        return [a for a in self.inputs if a.slot is None]

    @property
    def ndim(self) -> int:
        return self.kernel.ndim


@dataclass(frozen=True)
class LoopBody:
    """What `LoopRenderer` prints for both targets: the statements before the
    loop (values read once, constants, error flags) and those computing one
    element, for a contiguous run and for any strides."""
    setup: list[str]
    contiguous: list[str]
    strided: list[str]


class LoopRenderer(ScalarPrinter):
    """Prints loop descriptions; a target (C, CUDA) fills in the fields of the table above."""

    # -- the fields a target fills in ------------------------------------------------
    def read_once(self, array: LoopArray) -> str:
        """The one value of an input that is the same at every position."""
        raise NotImplementedError

    def strided_element(self, array: LoopArray) -> str:
        """The element at index i of an array walked with any strides."""
        raise NotImplementedError

    def element_loops(self, name: str, loop: ElemwiseLoop, body: LoopBody) -> Any:
        """The target's function(s): `body.setup` once, then `body.contiguous`
        (element i is x0[i]) or `body.strided` at every index, with the target's
        head and element index."""
        raise NotImplementedError

    # -- elementwise: printed here for both targets ----------------------------------------
    def elemwise(self, name: str, k: ElemwiseKernel) -> Any:
        loop = ElemwiseLoop.of(k)
        return self.element_loops(name, loop, self.loop_body(loop))

    def loop_body(self, loop: ElemwiseLoop) -> LoopBody:
        """The statements of an elementwise loop, whatever the target."""
        program = loop.kernel.program
        setup = [f"const {self.ctype(a.operand.dtype)} v{a.position} = {self.read_once(a)};"
                 for a in loop.read_once]
        setup += self.constants(program)
        setup += [f"int err{c} = 0;" for c in range(len(self.checks(program)))]
        contiguous = self.body(program, self._loads(loop, lambda a: f"{a.name}[i]"),
                               [f"{a.name}[i]" for a in loop.outputs])
        strided = self.body(program, self._loads(loop, self.strided_element),
                            [self.strided_element(a) for a in loop.outputs])
        return LoopBody(setup, contiguous, strided)

    @staticmethod
    def _loads(loop: ElemwiseLoop, element: Callable[[LoopArray], str]) -> list[str | None]:
        """Each input's element (None for one read once: it is already v<k>)."""
        return [None if a.slot is None else element(a) for a in loop.inputs]

    # -- reductions: one element folded in, the same for both targets ----------------------
    def fold_element(self, k: ReduceKernel, target: str, element: str) -> list[str]:
        """Fold `element` (of the input's dtype) into `target` (of the output's)."""
        t = self.ctype(k.out_dtype)
        return [f"const {t} v = {self.cast(element, k.input.dtype, k.out_dtype)};",
                f"{target} = {self.fold(k.op, target, 'v', k.out_dtype)};"]

    def better(self, k: ReduceKernel, v: str, best: str) -> str:
        """Does `v` beat `best` for argmax/argmin?  A NaN beats everything but a
        NaN, as in numpy (the first NaN is the answer)."""
        compare = f"{v} {'>' if k.op == 'argmax' else '<'} {best}"
        if k.input.dtype.startswith("float"):
            return f"{compare} || (isnan({v}) && !isnan({best}))"
        return compare
