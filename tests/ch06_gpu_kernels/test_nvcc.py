"""The printed CUDA is valid CUDA: nvcc compiles it for sm_80 and sm_90 (no GPU needed).

One module holds every kind of kernel, in float32 and float64, so the whole check is
one nvcc run per architecture.  ptxas's report is checked where it is the point:
elementwise kernels use no barrier; a reduction does; the tiled matmul keeps two
16 x 16 tiles in shared memory (2048 bytes in float32, 4096 in float64), and so does
the gemm; argmax keeps a value and a position per thread.
"""

from __future__ import annotations

import numpy as np
import pytest

from minitheano import tensor as T
from minitheano.link.cuda import nvcc
from minitheano.link.cuda.printer import MAX_BLOCK, CudaPrinter
from minitheano.link.kernel import describe
from minitheano.tensor import nnet
from minitheano.tensor.blas import gemm_no_inplace
from minitheano.tensor.nnet.nnet import crossentropy_softmax, crossentropy_softmax_dx
from minitheano.tensor.shape import Shape_i

pytestmark = pytest.mark.skipif(nvcc.nvcc_problem() is not None,
                                reason=str(nvcc.nvcc_problem()))


def nodes(dtype):
    x, y = T.matrix(dtype=dtype), T.matrix(dtype=dtype)
    return {"elemwise": (T.tanh(x) * 2 + y).owner,
            "sigmoid": nnet.sigmoid(x).owner,
            "reduce": T.sum(x, axis=0).owner, "max": T.max(x, axis=[0, 1]).owner,
            "softmax": nnet.softmax(x).owner, "logsoftmax": nnet.logsoftmax(x).owner,
            "xent": nnet.crossentropy_categorical_1hot(x, T.ivector()).owner,
            "xent_grad": nnet.crossentropy_categorical_1hot_grad(
                T.vector(dtype=dtype), x, T.ivector()).owner,
            "dot": T.dot(x, y).owner,
            "argmax": T.argmax(x, axis=1).owner,
            "xent_sm": crossentropy_softmax(x, T.ivector())[0].owner,
            "xent_sm_dx": crossentropy_softmax_dx(T.vector(dtype=dtype), x, T.ivector()).owner,
            "shape": Shape_i(1)(x).owner,
            "gemm": gemm_no_inplace(x, T.scalar(dtype=dtype), x, y, T.dscalar()).owner}


@pytest.fixture(scope="module")
def facts():
    printer, functions, names = CudaPrinter(), [], {}
    for dtype in ("float32", "float64"):
        for what, node in nodes(dtype).items():
            name = f"{what}_{dtype}"
            names[name] = [f.name for f in printer.functions(name, describe(node))]
            functions += printer.functions(name, describe(node))
    return names, nvcc.compile_check(printer.module(functions))


@pytest.mark.parametrize("arch", nvcc.ARCHS)
def test_every_kernel_compiles(facts, arch):
    names, found = facts
    for kernels in names.values():
        for k in kernels:
            assert (k, arch) in found, f"{k} missing from ptxas's report for {arch}"


@pytest.mark.parametrize("arch", nvcc.ARCHS)
def test_ptxas_facts(facts, arch):
    names, found = facts
    for dtype, tile_bytes in (("float32", 2048), ("float64", 4096)):
        for k in names[f"elemwise_{dtype}"] + names[f"sigmoid_{dtype}"]:
            assert found[k, arch].barriers == 0 and found[k, arch].shared_bytes == 0
        (dot,) = names[f"dot_{dtype}"]
        assert found[dot, arch].shared_bytes == tile_bytes
        assert found[dot, arch].barriers >= 1
        (reduce,) = names[f"reduce_{dtype}"]
        assert found[reduce, arch].barriers >= 1
        (gemm,) = names[f"gemm_{dtype}"]
        assert found[gemm, arch].shared_bytes == tile_bytes
        (argmax,) = names[f"argmax_{dtype}"]  # a value and an 8-byte position per thread
        assert found[argmax, arch].shared_bytes == MAX_BLOCK * (np.dtype(dtype).itemsize + 8)
        assert found[argmax, arch].barriers >= 1


def test_a_refused_module_shows_numbered_source_and_message():
    with pytest.raises(nvcc.CudaCompileError) as info:
        nvcc.compile_check('extern "C" __global__ void k(float *y)\n{\n    y[0] = undefined;\n}\n',
                           archs=("sm_80",))
    message = str(info.value)
    assert "undefined" in message and "module.cu(3)" in message
    assert "    3      y[0] = undefined;" in message
