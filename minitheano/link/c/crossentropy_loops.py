"""The softmax cross-entropy and its gradient as C loops for the CPU (chapters 5 and 8).

A classifier's training step ends in two nodes (chapter 3's rewrites make them):
`CrossentropySoftmax(x, y)`, the loss and softmax(x) from the logits x and the
class index y[i] of each row, and `CrossentropySoftmaxDx(g, sm, y)`, the
gradient with respect to x.  Their numpy `perform`s take about ten numpy calls
each, which on a minibatch of 32 rows costs more than the arithmetic; here each
is one pass per row in C, with the same arithmetic as the perform, step for step:

    max = max_j x[i, j]
    sum = sum_j exp(x[i, j] - max)                  lse = log(sum)
    sm[i, j] = exp(x[i, j] - max - lse)              (perform: exp(log_softmax))
    loss[i]  = -(x[i, y[i]] - max - lse)
    dx[i, j] = g[i] * sm[i, j],  less g[i] where j == y[i]

A class index out of range, rows that do not match, or no classes at all make
the kernel return MT_REFUSED or MT_BAD_SHAPE before it writes anything the
caller sees; the linker then runs the op's perform, which raises the error that
names what was wrong.  `CPrinter.kernel` (loops.py) calls the two functions here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from minitheano.link.loop import block
from minitheano.tensor.kernel import (
    CrossentropySoftmaxDxKernel,
    CrossentropySoftmaxKernel,
    Operand,
)

if TYPE_CHECKING:
    from minitheano.link.c.loops import CPrinter


def _function(head: str, body: list[str]) -> list[str]:
    return [head, "{"] + ["    " + line for line in body] + ["}"]


def _check_labels(ti: str, labels: str) -> list[str]:
    """Every class index in range, checked before anything is written."""
    return block("for (intptr_t i = 0; i < rows; i++)", [
        f"const {ti} y = *(const {ti} *)({labels}->data + i * {labels}->strides[0]);",
        "if (y < 0 || (intptr_t)y >= classes)",
        "    return MT_REFUSED;  /* the perform raises IndexError naming the row */"])


def crossentropy_softmax(printer: CPrinter, name: str, k: CrossentropySoftmaxKernel
                         ) -> list[str]:
    """in0 = x (rows, classes), in1 = y (rows,) -> out0 = loss (rows,), out1 = softmax(x)."""
    d = k.logits.dtype
    t, ti = printer.ctype(d), printer.ctype(k.index_dtype)
    exp, log = printer.math("exp", d), printer.math("log", d)
    body = printer._check_arrays([("in0", k.logits), ("in1", Operand(k.index_dtype, (False,))),
                                  ("out0", Operand(d, k.logits.broadcastable[:1])),
                                  ("out1", k.logits)], ["out0", "out1"])
    body += ["const intptr_t rows = in0->dimensions[0], classes = in0->dimensions[1];",
             "if (in1->dimensions[0] != rows || out0->dimensions[0] != rows",
             "        || out1->dimensions[0] != rows || out1->dimensions[1] != classes)",
             "    return MT_BAD_SHAPE;",
             "if (classes == 0)",
             "    return MT_REFUSED;  /* the max of an empty row: the perform's error */"]
    body += _check_labels(ti, "in1")
    body += ["const intptr_t xs = in0->strides[1], ss = out1->strides[1];"]
    X, S = f"*(const {t} *)(x + j * xs)", f"*({t} *)(s + j * ss)"
    row = ["const char *x = in0->data + i * in0->strides[0];",
           "char *s = out1->data + i * out1->strides[0];",
           f"const {ti} y = *(const {ti} *)(in1->data + i * in1->strides[0]);",
           f"{t} max = -{printer.infinity}, sum = 0;"]
    row += ["#pragma omp simd reduction(max:max)"] + block(
        "for (intptr_t j = 0; j < classes; j++)", [f"const {t} v = {X};",
                                                   "max = v > max ? v : max;"])
    row += ["#pragma omp simd reduction(+:sum)"] + block(
        "for (intptr_t j = 0; j < classes; j++)", [f"sum += {exp}({X} - max);"])
    row += [f"const {t} lse = {log}(sum);", "#pragma omp simd"] + block(
        "for (intptr_t j = 0; j < classes; j++)", [f"{S} = {exp}({X} - max - lse);"])
    row += [f"const {t} picked = *(const {t} *)(x + (intptr_t)y * xs);",
            f"*({t} *)(out0->data + i * out0->strides[0]) = -(picked - max - lse);"]
    body += block("for (intptr_t i = 0; i < rows; i++)", row)
    body.append("return MT_OK;")
    return _function(f"int {name}(mt_array *in0, mt_array *in1, mt_array *out0, "
                     "mt_array *out1)", body)


def crossentropy_softmax_dx(printer: CPrinter, name: str, k: CrossentropySoftmaxDxKernel
                            ) -> list[str]:
    """in0 = g (rows,), in1 = sm (rows, classes), in2 = y (rows,) -> out0 = dx."""
    d = k.sm.dtype
    t, ti = printer.ctype(d), printer.ctype(k.index_dtype)
    body = printer._check_arrays([("in0", Operand(d, (False,))), ("in1", k.sm),
                                  ("in2", Operand(k.index_dtype, (False,))), ("out0", k.sm)],
                                 ["out0"])
    body += ["const intptr_t rows = in1->dimensions[0], classes = in1->dimensions[1];",
             "if (in0->dimensions[0] != rows || in2->dimensions[0] != rows",
             "        || out0->dimensions[0] != rows || out0->dimensions[1] != classes)",
             "    return MT_BAD_SHAPE;"]
    body += _check_labels(ti, "in2")
    body += ["const intptr_t ss = in1->strides[1], ds = out0->strides[1];"]
    row = ["const char *s = in1->data + i * in1->strides[0];",
           "char *dx = out0->data + i * out0->strides[0];",
           f"const {ti} y = *(const {ti} *)(in2->data + i * in2->strides[0]);",
           f"const {t} g = *(const {t} *)(in0->data + i * in0->strides[0]);",
           "#pragma omp simd"]
    row += block("for (intptr_t j = 0; j < classes; j++)",
                  [f"*({t} *)(dx + j * ds) = g * *(const {t} *)(s + j * ss);"])
    row += [f"*({t} *)(dx + (intptr_t)y * ds) -= g;"]
    body += block("for (intptr_t i = 0; i < rows; i++)", row)
    body.append("return MT_OK;")
    return _function(f"int {name}(mt_array *in0, mt_array *in1, mt_array *in2, "
                     "mt_array *out0)", body)
