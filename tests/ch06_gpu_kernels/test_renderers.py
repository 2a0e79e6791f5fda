"""One loop description, two renderers (link/loop.py): the C and the CUDA text of a
kernel share everything but the fields of the table in link/loop.py's docstring."""

from __future__ import annotations

import re

import pytest

from minitheano import tensor as T
from minitheano.link.c.loops import CPrinter
from minitheano.link.cuda.printer import CudaPrinter
from minitheano.link.kernel import describe
from minitheano.link.loop import ElemwiseLoop

# The cases by name: the graphs are built in the test, never at collection (a reader
# who blanks chapter 1's broadcasting must still be able to collect these tests).
CASES = ["logistic", "two", "broadcast row", "scalar", "float32 exp", "float32 tanh"]


def _nodes():
    x, y, row = T.dmatrix("x"), T.dmatrix("y"), T.drow("r")
    s, f = T.dscalar("s"), T.fmatrix("f")
    return {"logistic": T.nnet.sigmoid(x).owner, "two": (x * y).owner,
            "broadcast row": (x - row).owner, "scalar": (x * s).owner,
            "float32 exp": T.exp(f).owner, "float32 tanh": T.tanh(f).owner}


def _generic(target, lines: list[str]) -> list[str]:
    """`lines` with each math function the target names written as its plain name."""
    names = {target.math(n, d): n for n in ("exp", "log", "tanh")
             for d in ("float32", "float64")}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    return [pattern.sub(lambda m: names[m.group(1)], line) for line in lines]


@pytest.mark.parametrize("what", CASES)
def test_the_contiguous_body_is_one_text_for_both_targets(what):
    assert set(CASES) == set(_nodes())
    kernel = describe(_nodes()[what])
    loop = ElemwiseLoop.of(kernel)
    c, cuda = CPrinter(), CudaPrinter()
    c_body, cuda_body = c.loop_body(loop), cuda.loop_body(loop)
    c_text = c.kernel("k0", kernel)
    cuda_text = "\n".join(f.text for f in cuda.functions("k0", kernel))
    # The same statements for an element of a contiguous run, but for the math
    # names (a field: C may call vecmath.py's vectorizable versions)...
    assert _generic(c, c_body.contiguous) == _generic(cuda, cuda_body.contiguous)
    # ...and each target's text holds them, and its own setup and strided body.
    assert all(line in c_text for line in c_body.contiguous)
    assert all(line in cuda_text for line in cuda_body.contiguous)
    assert all(line in c_text for line in c_body.setup + c_body.strided)
    assert all(line in cuda_text for line in cuda_body.setup + cuda_body.strided)
    # The strided bodies differ only where an element is read or written.
    for target, body in [(c, c_body), (cuda, cuda_body)]:
        rebuilt = "\n".join(body.strided)
        for a in loop.moving:
            rebuilt = rebuilt.replace(target.strided_element(a), f"{a.name}[i]")
        assert rebuilt == "\n".join(body.contiguous)


def test_the_fields_that_differ():
    kernel = describe(T.exp(T.dmatrix()).owner)
    c_text = CPrinter().kernel("k0", kernel)
    c_head = c_text.splitlines()[0]
    cuda_heads = [f.text.splitlines()[0] for f in CudaPrinter().functions("k0", kernel)]
    assert c_head == "int k0(mt_array *in0, mt_array *out0)"
    assert cuda_heads[0] == ('extern "C" __global__ void '
                             'k0_c(long n, const double * x0, double * y0)')
    assert cuda_heads[1].startswith('extern "C" __global__ void k0_s(long n, long d0, long d1,')
    loop = ElemwiseLoop.of(kernel)
    x0 = loop.inputs[0]
    assert CPrinter().strided_element(x0) == "*(const double *)(L.ptr[0] + i * s0)"
    assert CudaPrinter().strided_element(x0) == "x0[ox0]"


def test_a_value_read_once_differs_only_in_how_it_is_read():
    loop = ElemwiseLoop.of(describe((T.dmatrix() * T.dscalar()).owner))
    assert CPrinter().loop_body(loop).setup == ["const double v1 = *(const double *)in1->data;"]
    assert CudaPrinter().loop_body(loop).setup == ["const double v1 = x1[0];"]


def test_one_reduction_element_is_folded_by_the_same_code():
    kernel = describe(T.max(T.fmatrix(), axis=1).owner)
    fold = CPrinter().fold_element(kernel, "acc", "x[at]")
    assert fold == CudaPrinter().fold_element(kernel, "acc", "x[at]")
    assert fold == ["const float v = x[at];", "acc = isnan(acc) || acc > v ? acc : v;"]
    assert all(line in "\n".join(f.text for f in CudaPrinter().functions("k0", kernel))
               for line in fold)
