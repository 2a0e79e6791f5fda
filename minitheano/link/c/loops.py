"""Printing kernels as C loops for the CPU, and whole modules (chapter 5).

`CPrinter.module(kernels)` prints one C file holding every kernel of a
compiled function: the runtime (runtime.h: numpy arrays as C structs, the
strided loop), the helpers the scalar ops asked for, then one C function per
kernel.  Every kernel receives numpy arrays and returns an error code (0: no
error).  An elementwise kernel

1. checks that it got what it was compiled for (dtypes, dimensions, shapes),
2. sets up an `mt_loop`: the output's shape and each array's strides, 0 along
   the dimensions it is broadcast in, then merges what can be merged,
3. runs the inner dimension as a plain `for` loop: when every array is
   contiguous there, one that the compiler vectorizes (`#pragma omp simd`),
   otherwise one that steps by the strides.

A reduction is the same loop over its input with the output's strides set to
0 along the reduced axes: each element is folded into the output position
it belongs to.

The elementwise loop is described once for C and CUDA (link/loop.py):
`CPrinter` is a `LoopRenderer` that fills in the C fields (the function
head, the element read once, the strided element, the mt_loop walk); the
scalar body, the constants and the fold of one reduction element are
printed by the code chapter 6's CUDA printer uses too.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from minitheano.config import config
from minitheano.link.c import build, crossentropy_loops, vecmath
from minitheano.link.kernel import (
    CrossentropyKernel,
    ElemwiseKernel,
    Kernel,
    Operand,
    ReduceKernel,
    SoftmaxKernel,
)
from minitheano.link.loop import ElemwiseLoop, LoopArray, LoopBody, LoopRenderer, block
from minitheano.tensor.kernel import CrossentropySoftmaxDxKernel, CrossentropySoftmaxKernel

# runtime.h, without the lines that mark regions for the book.
RUNTIME = "".join(line for line in
                  (Path(__file__).parent / "runtime.h").read_text().splitlines(keepends=True)
                  if "--8<--" not in line)

# With config.openmp, an elementwise run of at least this many elements is split
# across threads (Theano's default openmp_elemwise_minsize); shorter ones are not
# worth waking the threads for.
OPENMP_MIN_SIZE = 200_000

# OpenMP's names for the folds it can vectorize with a reduction clause.
OMP_REDUCTION = {"add": "+", "mul": "*", "and_": "&", "or_": "|", "xor": "^"}


def _mask(bits: tuple[bool, ...]) -> str:
    """A broadcastable pattern as a bit mask (bit d: dimension d), for mt_has_shape."""
    return hex(sum(1 << d for d, b in enumerate(bits) if b))


def _either(conditions: list[str]) -> str:
    """`a || b || ...`, two conditions to a line."""
    pairs = [" || ".join(conditions[i:i + 2]) for i in range(0, len(conditions), 2)]
    return "\n        || ".join(pairs)


def _function(head: str, body: list[str]) -> list[str]:
    return [head, "{"] + ["    " + line for line in body] + ["}"]


class CPrinter(LoopRenderer):
    """Renders kernel descriptions as C functions, and modules of them: the C
    fields of link/loop.py's table, and the kernels only the CPU has."""

    head = "int"  # every C kernel returns an error code (0: no error)

    def math(self, name: str, dtype: str) -> str:
        """exp, log and tanh of floats: vecmath.py's versions, which the compiler
        vectorizes, or the C library's, as config.vector_math says; the others: the
        C library's (which glibc's libmvec vectorizes where it exists)."""
        choice = config.vector_math
        if choice == "auto":
            faster = not build.has_libmvec() or name in vecmath.FASTER_THAN_LIBMVEC
            choice = "polynomial" if faster else "libm"
        if choice == "polynomial" and name in vecmath.FUNCTIONS and dtype in vecmath.FORMATS:
            for part, text in vecmath.definitions(name, dtype, self.qualifier):
                self.helpers.setdefault((f"vecmath_{part}", dtype), text)
            return vecmath.c_name(name, dtype)
        return super().math(name, dtype)

    def module(self, kernels: list[tuple[str, Kernel, str]]) -> str:
        """The C source of a module: (C name, kernel, what it computes) for each kernel."""
        return self.assemble([(name, title, self.kernel(name, kernel))
                              for name, kernel, title in kernels])

    def assemble(self, functions: list[tuple[str, str, str]]) -> str:
        """A module from printed kernels (name, title, text): a summary, the
        runtime, the helpers the kernels asked for, then the kernels."""
        ops = ", ".join(dict.fromkeys(title.split(" (")[0] for _, title, _ in functions))
        summary = "\n".join(f" *   {name}: {title}" for name, title, _ in functions)
        parts = [f"/* minitheano module: {ops}\n{summary}\n */", RUNTIME]
        parts += list(self.helpers.values())
        parts += [f"/* {name}: {title} */\n{text}" for name, title, text in functions]
        return "\n\n".join(p.rstrip("\n") for p in parts) + "\n"

    def kernel(self, name: str, kernel: Kernel) -> str:
        """One kernel as a C function; NotImplementedError if some part has no C."""
        if isinstance(kernel, ElemwiseKernel):
            lines = self.elemwise(name, kernel)
        elif isinstance(kernel, ReduceKernel):
            lines = self.argreduce(name, kernel) if kernel.op.startswith("arg") \
                else self.reduce(name, kernel)
        elif isinstance(kernel, SoftmaxKernel):
            lines = self.softmax(name, kernel)
        elif isinstance(kernel, CrossentropyKernel):
            lines = self.crossentropy(name, kernel)
        elif isinstance(kernel, CrossentropySoftmaxKernel):
            lines = crossentropy_loops.crossentropy_softmax(self, name, kernel)
        elif isinstance(kernel, CrossentropySoftmaxDxKernel):
            lines = crossentropy_loops.crossentropy_softmax_dx(self, name, kernel)
        else:
            raise NotImplementedError(f"no C printer for {type(kernel).__name__}")
        return "\n".join(lines)

    # -- common pieces -------------------------------------------------------------
    def _check_arrays(self, arrays: list[tuple[str, Operand]], outputs: list[str]) -> list[str]:
        conds = [f"!mt_is_array({n}, MT_{op.dtype}, {op.ndim})" for n, op in arrays]
        conds += [f"!({n}->flags & MT_WRITEABLE)" for n in outputs]
        return [f"if ({_either(conds)})", "    return MT_BAD_ARRAY;"]

    def _typed_run(self, operands: list[tuple[str, str, bool]], body: list[str],
                   pragma: str, skip: tuple[int, ...] = ()) -> list[str]:
        """The inner run with typed pointers (all but `skip`) and `pragma`."""
        lines = [f"{'const ' if const else ''}{self.ctype(d)} *{p} = "
                 f"({'const ' if const else ''}{self.ctype(d)} *)L.ptr[{k}];"
                 for k, (p, d, const) in enumerate(operands) if k not in skip]
        return lines + [pragma] + block("for (intptr_t i = 0; i < n; i++)", body)

    def _inner(self, operands: list[tuple[str, str, bool]], body_fast: list[str],
               body_strided: list[str], pragma: str = "#pragma omp simd",
               middle: tuple[str, list[str]] | None = None) -> list[str]:
        """The run over the innermost dimension of loop L, in its two versions:
        contiguous (typed pointers, vectorized) and strided (byte offsets);
        `middle`: (condition, lines), a third version tried in between."""
        contiguous = " && ".join(f"s{k} == sizeof({self.ctype(d)})"
                                 for k, (_, d, _) in enumerate(operands))
        lines = block(f"if ({contiguous})", self._typed_run(operands, body_fast, pragma),
                       "} else {")
        if middle is not None:
            lines[-1] = f"}} else if ({middle[0]}) {{"
            lines += ["    " + line for line in middle[1]] + ["} else {"]
        return (lines + ["    " + line for line in
                         block("for (intptr_t i = 0; i < n; i++)", body_strided)] + ["}"])

    def _run_setup(self, n_ops: int) -> list[str]:
        strides = ", ".join(f"s{k} = L.strides[{k}][L.nd - 1]" for k in range(n_ops))
        return ["if (!mt_loop_simplify(&L))", "    return MT_OK;  /* no elements */",
                "const intptr_t n = L.shape[L.nd - 1];",
                f"const intptr_t {strides};"]

    # -- elementwise: the fields of link/loop.py's table -----------------------------------
    def read_once(self, array: LoopArray) -> str:
        t = self.ctype(array.operand.dtype)
        return f"*(const {t} *)in{array.position}->data"

    def strided_element(self, array: LoopArray) -> str:
        const = "" if array.is_output else "const "
        t = self.ctype(array.operand.dtype)
        return f"*({const}{t} *)(L.ptr[{array.slot}] + i * s{array.slot})"

    def element_loops(self, name: str, loop: ElemwiseLoop, loop_body: LoopBody) -> list[str]:
        """One C function: check the arrays, then walk them with an mt_loop whose
        inner runs are contiguous (typed pointers, vectorized) or strided."""
        k = loop.kernel
        ins = [f"in{a.position}" for a in loop.inputs]
        outs = [f"out{a.position}" for a in loop.outputs]
        params = ", ".join(f"mt_array *{a}" for a in ins + outs)
        body = self._check_arrays(list(zip(ins + outs, k.inputs + k.outputs)), outs)
        shape_checks = [f"!mt_has_shape({a}, shape, {_mask(op.broadcastable)})"
                        for a, op in list(zip(ins, k.inputs)) + list(zip(outs[1:], k.outputs[1:]))]
        body.append("const intptr_t *shape = out0->dimensions;")
        if shape_checks:
            body += [f"if ({_either(shape_checks)})", "    return MT_BAD_SHAPE;"]
        for o, i in k.inplace:  # the output is input i's buffer: the others must not overlap it
            others = [f"mt_overlap({a}, out{o}, {np.dtype(k.outputs[o].dtype).itemsize})"
                      for j, a in enumerate(ins) if j != i and not k.inputs[j].is_scalar]
            if others:
                body += [f"if ({' || '.join(others)})", "    return MT_OVERLAP;"]
        body += loop_body.setup
        moving = loop.moving
        body += ["mt_loop L;", f"mt_loop_init(&L, {k.ndim}, shape);"]
        body += [f"mt_loop_add(&L, in{a.position}, {_mask(a.operand.broadcastable)});"
                 for a in moving if not a.is_output]
        body += [f"mt_loop_add(&L, {o}, 0x0);" for o in outs]
        body += self._run_setup(len(moving))
        operands = [(a.name, a.operand.dtype, not a.is_output) for a in moving]
        checks = self.checks(k.program)
        pragma = "#pragma omp simd"
        if config.openmp:
            pragma = f"#pragma omp parallel for simd if(n >= {OPENMP_MIN_SIZE})"
        if checks:
            pragma += f" reduction(|:{', '.join(f'err{c}' for c in range(len(checks)))})"
        stretched = [a for a in loop.inputs if a.slot is not None and a.operand.broadcastable[-1]]
        middle = self._stretched_run(loop, operands, stretched, pragma) if stretched else None
        run = self._inner(operands, loop_body.contiguous, loop_body.strided, pragma, middle)
        body += block("do", run, "} while (mt_loop_next(&L));")
        for c, (_, message) in enumerate(checks):
            body += [f"if (err{c})", f"    return MT_VALUE_ERROR + {c};  /* {message} */"]
        body.append("return MT_OK;")
        return _function(f"{self.head} {name}({params})", body)

    def _stretched_run(self, loop: ElemwiseLoop, operands: list[tuple[str, str, bool]],
                       stretched: list[LoopArray], pragma: str) -> tuple[str, list[str]]:
        """Inputs stretched along their last dimension (a column bias, x + b[:, None])
        reach the inner run with stride 0: a third version of the run reads each of
        them once and keeps the loop contiguous, and vectorized, for the others."""
        slots = {a.slot for a in stretched}
        cond = " && ".join(f"s{s} == 0" if s in slots else f"s{s} == sizeof({self.ctype(d)})"
                           for s, (_, d, _) in enumerate(operands))
        read_once = [f"const {self.ctype(a.operand.dtype)} v{a.position} = "
                     f"*(const {self.ctype(a.operand.dtype)} *)L.ptr[{a.slot}];"
                     for a in stretched]
        loads = [None if a.slot is None or a.slot in slots else f"{a.name}[i]"
                 for a in loop.inputs]
        body = self.body(loop.kernel.program, loads, [f"{a.name}[i]" for a in loop.outputs])
        return cond, read_once + self._typed_run(operands, body, pragma, tuple(sorted(slots)))

    # -- reductions ------------------------------------------------------------------
    def _refuse_empty(self, k: ReduceKernel) -> list[str]:
        """max, min and argmax over an axis of length 0 are undefined: an error."""
        if not k.axes:
            return []
        empty = " || ".join(f"in0->dimensions[{d}] == 0" for d in k.axes)
        return [f"if ({empty})", "    return MT_REFUSED;"]

    def reduce(self, name: str, k: ReduceKernel) -> list[str]:
        x, t_in, t = k.input, self.ctype(k.input.dtype), self.ctype(k.out_dtype)
        out = Operand(k.out_dtype, tuple(x.broadcastable[d] for d in k.kept))
        body = self._check_arrays([("in0", x), ("out0", out)], ["out0"])
        same = [f"out0->dimensions[{j}] != in0->dimensions[{d}]" for j, d in enumerate(k.kept)]
        if same:
            body += [f"if ({' || '.join(same)})", "    return MT_BAD_SHAPE;"]
        if k.op in ("maximum", "minimum"):
            body += self._refuse_empty(k)
        # Every output element starts at the fold's start value...
        body += [f"const {t} start = {self.start_value(k.op, k.out_dtype)};",
                 "mt_loop L;", f"mt_loop_init(&L, {out.ndim}, out0->dimensions);",
                 "mt_loop_add(&L, out0, 0x0);"]
        body += block("if (mt_loop_simplify(&L))", [
            "const intptr_t n = L.shape[L.nd - 1], s0 = L.strides[0][L.nd - 1];"] + block(
            "do", ["for (intptr_t i = 0; i < n; i++)",
                   f"    *({t} *)(L.ptr[0] + i * s0) = start;"],
            "} while (mt_loop_next(&L));"))
        # ...then the input is read in memory order, each element folded into its
        # output position: the output does not move along the reduced axes.
        # --8<-- [start:ex-ch05-strides]
        ostrides, j = [], 0  # out0's stride along each dimension of in0, as C text
        for d in range(x.ndim):
            if d in k.axes:
                ostrides.append("0")  # a reduced axis: every element lands in the same place
            else:
                ostrides.append(f"out0->strides[{j}]")
                j += 1
        # --8<-- [end:ex-ch05-strides]
        body += [f"mt_loop_init(&L, {x.ndim}, in0->dimensions);", "mt_loop_add(&L, in0, 0x0);"]
        if x.ndim:
            body += [f"const intptr_t out_strides[{x.ndim}] = {{{', '.join(ostrides)}}};",
                     "mt_loop_add_strided(&L, out0->data, out_strides);"]
        else:
            body += ["mt_loop_add_strided(&L, out0->data, NULL);"]
        body += ["mt_loop_sort(&L, 0);"] + self._run_setup(2)
        # The element at i, in a contiguous run and with any stride.
        element, element_strided = "x0[i]", f"*(const {t_in} *)(L.ptr[0] + i * s0)"
        clause = OMP_REDUCTION.get(k.op) if k.out_dtype != "bool" else None
        pragma = f"#pragma omp simd reduction({clause}:acc)" if clause else "/* sequential */"
        # --8<-- [start:ex-ch05-reduce-loop]
        # Innermost dimension reduced (out0 does not move): fold into a local
        # variable, in a loop the compiler can vectorize.  Otherwise each
        # element is folded into its own output position.
        into_register = [f"{t} acc = *({t} *)L.ptr[1];"] + self._inner(
            [("x0", x.dtype, True)],
            self.fold_element(k, "acc", element),
            self.fold_element(k, "acc", element_strided), pragma) + [
            f"*({t} *)L.ptr[1] = acc;"]
        into_memory = self._inner(
            [("x0", x.dtype, True), ("y0", k.out_dtype, False)],
            self.fold_element(k, "y0[i]", element),
            [f"{t} *o = ({t} *)(L.ptr[1] + i * s1);",
             *self.fold_element(k, "*o", element_strided)])
        run = (["/* the inner dimension reduced (out0 does not move): fold in a register */"]
               + block("if (s1 == 0)", into_register, "} else {")
               + ["    " + line for line in into_memory] + ["}"])
        # --8<-- [end:ex-ch05-reduce-loop]
        body += block("do", run, "} while (mt_loop_next(&L));")
        body.append("return MT_OK;")
        return _function(f"int {name}(mt_array *in0, mt_array *out0)", body)

    def argreduce(self, name: str, k: ReduceKernel) -> list[str]:
        """argmax/argmin: for each output position, scan the reduced elements in C
        order, keeping the first best (a NaN beats everything, as in numpy)."""
        x, t = k.input, self.ctype(k.input.dtype)
        out = Operand(k.out_dtype, tuple(x.broadcastable[d] for d in k.kept))
        better = self.better(k, "v", "best")
        body = self._check_arrays([("in0", x), ("out0", out)], ["out0"])
        same = [f"out0->dimensions[{j}] != in0->dimensions[{d}]" for j, d in enumerate(k.kept)]
        if same:
            body += [f"if ({' || '.join(same)})", "    return MT_BAD_SHAPE;"]
        body += self._refuse_empty(k)
        kept, red = k.kept, k.axes

        def dims(what: str, axes: tuple[int, ...]) -> str:
            return "{" + ", ".join(f"in0->{what}[{d}]" for d in axes) + "}" if axes else "{0}"

        body += [f"const intptr_t kept_shape[] = {dims('dimensions', kept)};",
                 f"const intptr_t kept_strides[] = {dims('strides', kept)};",
                 f"const intptr_t red_shape[] = {dims('dimensions', red)};",
                 f"const intptr_t red_strides[] = {dims('strides', red)};",
                 "mt_loop L, R;",
                 f"mt_loop_init(&L, {len(kept)}, kept_shape);",
                 "mt_loop_add_strided(&L, in0->data, kept_strides);",
                 "mt_loop_add(&L, out0, 0x0);",
                 f"mt_loop_init(&R, {len(red)}, red_shape);",
                 "mt_loop_add_strided(&R, in0->data, red_strides);",
                 "if (!mt_loop_simplify(&L) || !mt_loop_simplify(&R))", "    return MT_OK;",
                 "const intptr_t n = L.shape[L.nd - 1], s0 = L.strides[0][L.nd - 1],"
                 " s1 = L.strides[1][L.nd - 1];",
                 "const intptr_t rn = R.shape[R.nd - 1], rs = R.strides[0][R.nd - 1];"]
        scan = [f"const {t} v = *(const {t} *)(R.ptr[0] + j * rs);",
                f"if ({better}) {{", "    best = v;", "    best_at = at;", "}"]
        position = ["char *first = L.ptr[0] + i * s0;",
                    f"{t} best = *(const {t} *)first;",
                    "int64_t best_at = 0, at = 0;",
                    "mt_loop_restart(&R, 0, first);"]
        position += block("do", block("for (intptr_t j = 0; j < rn; j++, at++)", scan),
                           "} while (mt_loop_next(&R));")
        position.append(f"*({self.ctype(k.out_dtype)} *)(L.ptr[1] + i * s1) = best_at;")
        body += block("do", block("for (intptr_t i = 0; i < n; i++)", position),
                       "} while (mt_loop_next(&L));")
        body.append("return MT_OK;")
        return _function(f"int {name}(mt_array *in0, mt_array *out0)", body)

    # -- softmax -----------------------------------------------------------------------
    def softmax(self, name: str, k: SoftmaxKernel) -> list[str]:
        """Each run along the last axis: its max, the sum of exp(x - max), then
        exp(x - max) / sum (softmax) or x - max - log(sum) (log-softmax)."""
        x, d = k.input, k.input.dtype
        t, exp, log = self.ctype(d), self.math("exp", d), self.math("log", d)
        last = x.ndim - 1
        body = self._check_arrays([("in0", x), ("out0", x)], ["out0"])
        body += ["if (!mt_has_shape(in0, out0->dimensions, 0x0))", "    return MT_BAD_SHAPE;",
                 f"const intptr_t m = in0->dimensions[{last}];",
                 f"const intptr_t xs = in0->strides[{last}], ys = out0->strides[{last}];",
                 "mt_loop L;", f"mt_loop_init(&L, {last}, in0->dimensions);",
                 "mt_loop_add(&L, in0, 0x0);", "mt_loop_add(&L, out0, 0x0);",
                 "if (!mt_loop_simplify(&L))", "    return MT_OK;",
                 "if (m == 0)", "    return MT_REFUSED;  /* the max of an empty row */",
                 "const intptr_t n = L.shape[L.nd - 1], s0 = L.strides[0][L.nd - 1],"
                 " s1 = L.strides[1][L.nd - 1];"]
        X = f"*(const {t} *)(x + j * xs)"
        Y = f"*({t} *)(y + j * ys)"
        row = ["const char *x = L.ptr[0] + i * s0;", "char *y = L.ptr[1] + i * s1;",
               f"{t} max = -{self.infinity}, sum = 0;"]
        row += ["#pragma omp simd reduction(max:max)"] + block(
            "for (intptr_t j = 0; j < m; j++)", [f"const {t} v = {X};",
                                                 "max = v > max ? v : max;"])
        if k.kind == "softmax":
            row += ["#pragma omp simd reduction(+:sum)"] + block(
                "for (intptr_t j = 0; j < m; j++)",
                [f"const {t} e = {exp}({X} - max);", f"{Y} = e;", "sum += e;"])
            row += ["#pragma omp simd"] + block("for (intptr_t j = 0; j < m; j++)",
                                                 [f"{Y} = {Y} / sum;"])
        else:
            row += ["#pragma omp simd reduction(+:sum)"] + block(
                "for (intptr_t j = 0; j < m; j++)", [f"sum += {exp}({X} - max);"])
            row += [f"const {t} lse = {log}(sum);", "#pragma omp simd"] + block(
                "for (intptr_t j = 0; j < m; j++)", [f"{Y} = {X} - max - lse;"])
        body += block("do", block("for (intptr_t i = 0; i < n; i++)", row),
                       "} while (mt_loop_next(&L));")
        body.append("return MT_OK;")
        return _function(f"int {name}(mt_array *in0, mt_array *out0)", body)

    def crossentropy(self, name: str, k: CrossentropyKernel) -> list[str]:
        """One row at a time: pick the probability of the right class, -log of it."""
        d = k.coding.dtype
        t, ti = self.ctype(d), self.ctype(k.index_dtype)
        body = self._check_arrays([("in0", k.coding), ("in1", Operand(k.index_dtype, (False,))),
                                   ("out0", Operand(d, k.coding.broadcastable[:1]))], ["out0"])
        body += ["const intptr_t rows = in0->dimensions[0], classes = in0->dimensions[1];",
                 "if (in1->dimensions[0] != rows || out0->dimensions[0] != rows)",
                 "    return MT_BAD_SHAPE;"]
        row = [f"const {ti} y = *(const {ti} *)(in1->data + i * in1->strides[0]);",
               "if (y < 0 || (intptr_t)y >= classes)", "    return MT_REFUSED;",
               f"const {t} p = *(const {t} *)(in0->data + i * in0->strides[0]"
               " + (intptr_t)y * in0->strides[1]);",
               f"*({t} *)(out0->data + i * out0->strides[0]) = -{self.math('log', d)}(p);"]
        body += block("for (intptr_t i = 0; i < rows; i++)", row)
        body.append("return MT_OK;")
        return _function(f"int {name}(mt_array *in0, mt_array *in1, mt_array *out0)", body)
