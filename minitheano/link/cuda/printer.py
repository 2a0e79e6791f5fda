"""Rendering kernel descriptions as CUDA kernels (chapter 6).

The descriptions are chapter 5's (tensor/kernel.py), and so is the way they
are looped: `CudaPrinter` is a `LoopRenderer` (link/loop.py) like the C
printer, so the values read once, the constants, the body of an elementwise
kernel and the fold of one reduction element come out of the very same code.
What this module adds are the CUDA values of the fields in link/loop.py's
table -- the function head (`extern "C" __global__ void`), the element index
(a grid-stride loop), the strided element (coordinates from the flat index),
the helper qualifier (`__device__`), how a reduction combines (each thread
its share, then a shared-memory tree with `__syncthreads`, then warp
shuffles) -- and the kernels only a GPU needs written its own way (the
tiled matrix product).  Chapter 8's layers are printed by the same printer
with the same pieces: conv2d is im2col (windows.py), this tiled product and
an elementwise copy; pooling a window fold (windows.py); the Philox draws
rounds printed from the generator's numbers (counter_rng.py).

Every kernel takes plain scalars and pointers (no structs), so the same
argument list serves `cuLaunchKernel` (PyCUDA) and the CPU emulator.  The
host side that chooses the grid and merges dimensions is link/cuda/launch.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from minitheano.link.cuda import counter_rng, windows
from minitheano.link.loop import ElemwiseLoop, LoopArray, LoopBody, LoopRenderer, block
from minitheano.tensor.kernel import (
    ConvKernel,
    CrossentropyGradKernel,
    CrossentropyKernel,
    CrossentropySoftmaxDxKernel,
    CrossentropySoftmaxKernel,
    DotKernel,
    ElemwiseKernel,
    GemmKernel,
    Kernel,
    PatchesKernel,
    PhiloxKernel,
    PoolKernel,
    ReduceKernel,
    ShapeKernel,
    SoftmaxKernel,
    ViewKernel,
)

WARP = 32          # threads that run in lockstep on NVIDIA hardware
MAX_BLOCK = 256    # threads of a reduction block (its shared buffer's length)
TILE = 16          # the tiled matmul's tile is TILE x TILE; its block too

PRELUDE = f"""\
#include <stdint.h>
#define MT_WARP {WARP}
#define MT_MAX_BLOCK {MAX_BLOCK}
#define MT_TILE {TILE}
#define MT_FULL_MASK 0xffffffffu"""

# __shfl_down_sync moves 4- and 8-byte values (and halves): not bool or int8/16.
SHUFFLE_DTYPES = ("int32", "int64", "uint32", "uint64", "float32", "float64")


@dataclass(frozen=True)
class CudaFunction:
    """One printed kernel: its name, its parameters (C type, name) in order,
    its text, and whether it synchronizes threads (barriers, warp shuffles)."""
    name: str
    params: tuple[tuple[str, str], ...]
    text: str
    barriers: bool


# One block per row: its threads walk the row's m elements together.
EACH_OF_ROW = "for (long j = threadIdx.x; j < m; j += blockDim.x)"


class CudaPrinter(LoopRenderer):
    """Prints kernel descriptions as CUDA C; every name starts with the given prefix."""

    qualifier = "__device__ static inline"
    head = 'extern "C" __global__ void'
    # The first element a thread takes, and how far it jumps to its next one.
    first_index = "blockIdx.x * (long)blockDim.x + threadIdx.x"
    index_step = "(long)blockDim.x * gridDim.x"

    def functions(self, name: str, kernel: Kernel) -> list[CudaFunction]:
        """The kernels for one description; NotImplementedError if it has no CUDA."""
        if isinstance(kernel, ElemwiseKernel):
            return self.elemwise(name, kernel)
        if isinstance(kernel, ReduceKernel):
            return [self.reduce(name, kernel)]
        if isinstance(kernel, SoftmaxKernel):
            return [self.softmax(name, kernel)]
        if isinstance(kernel, CrossentropyKernel):
            return [self.crossentropy(name, kernel)]
        if isinstance(kernel, CrossentropyGradKernel):
            return [self.crossentropy_grad(name, kernel)]
        if isinstance(kernel, CrossentropySoftmaxKernel):
            return [self.crossentropy_softmax(name, kernel)]
        if isinstance(kernel, CrossentropySoftmaxDxKernel):
            return [self.crossentropy_softmax_dx(name, kernel)]
        if isinstance(kernel, (DotKernel, GemmKernel)):
            return [self.dot(name, kernel)]
        if isinstance(kernel, ShapeKernel):
            return [self.shape(name, kernel)]
        if isinstance(kernel, ViewKernel):
            return []  # a view is made by the host: new shape and strides, no kernel
        # Chapter 8's layers: windows over images (windows.py), the generator (counter_rng.py).
        if isinstance(kernel, PatchesKernel):
            return [windows.patches(self, name, kernel)]
        if isinstance(kernel, PoolKernel):
            return [windows.pool(self, name, kernel)]
        if isinstance(kernel, ConvKernel):  # im2col or col2im, a product, a copy
            return [f for part, k in kernel.parts().items()
                    for f in self.functions(f"{name}_{part}", k)]
        if isinstance(kernel, PhiloxKernel):
            return [counter_rng.philox(self, name, kernel)]
        raise NotImplementedError(f"no CUDA printer for {type(kernel).__name__}")

    def module(self, functions: list[CudaFunction]) -> str:
        """The whole .cu text: the prelude, the helpers the kernels asked for, the kernels."""
        parts = [PRELUDE, *self.helpers.values(), *(f.text for f in functions)]
        return "\n\n".join(p.rstrip("\n") for p in parts) + "\n"

    def _function(self, name: str, params: list[tuple[str, str]], body: list[str],
                  barriers: bool = False) -> CudaFunction:
        head = f"{self.head} {name}({', '.join(f'{t} {p}' for t, p in params)})"
        text = "\n".join([head, "{"] + ["    " + line for line in body] + ["}"])
        return CudaFunction(name, tuple(params), text, barriers)

    def _grid_stride(self, count: str, body: list[str], index: str = "i") -> list[str]:
        """`body` for every index below `count`: each thread starts at its place in
        the whole grid and jumps by the grid's size, so any grid covers any count."""
        # --8<-- [start:ex-ch06-grid-stride]
        return block(f"for (long {index} = {self.first_index}; {index} < {count}; "
                      f"{index} += {self.index_step})", body)
        # --8<-- [end:ex-ch06-grid-stride]

    # -- elementwise: the fields of link/loop.py's table -----------------------------------
    def read_once(self, array: LoopArray) -> str:
        return f"{array.name}[0]"

    def strided_element(self, array: LoopArray) -> str:
        return f"{array.name}[o{array.name}]"

    # --8<-- [start:elemwise]
    def element_loops(self, name: str, loop: ElemwiseLoop,
                      body: LoopBody) -> list[CudaFunction]:
        """Two kernels: `<name>_c` when every array is contiguous with the output
        (one flat index for all), `<name>_s` for any strides and broadcasting
        (the flat index is split into coordinates, each array has its strides)."""
        pointers = [(f"{'' if a.is_output else 'const '}{self.ctype(a.operand.dtype)} *", a.name)
                    for a in loop.inputs + loop.outputs]
        report = []  # a value a scalar op refuses (2 ** -1 in integers): tell the host
        checks = self.checks(loop.kernel.program)
        if checks:
            pointers.append(("int *", "bad"))
            report = [f"if ({' || '.join(f'err{c}' for c in range(len(checks)))})",
                      "    bad[0] = 1;"]
        functions = [self._function(f"{name}_c", [("long", "n"), *pointers],
                                    body.setup + self._grid_stride("n", body.contiguous)
                                    + report)]
        if loop.ndim == 0:
            return functions
        # The strided kernel: shape d0..d{nd-1}, and array a's stride along d in
        # elements, s<a>_<d> (0 where it is broadcast).
        nd, arrays = loop.ndim, [a.name for a in loop.moving]
        params = [("long", "n")] + [("long", f"d{d}") for d in range(nd)]
        params += [("long", f"s{a}_{d}") for a in arrays for d in range(nd)]
        split = [f"long rest = i, {', '.join(f'o{a} = 0' for a in arrays)}, c;"]
        for d in reversed(range(nd)):  # the last dimension varies fastest
            split.append(f"c = rest % d{d}; rest /= d{d};" if d else "c = rest;")
            split.append(" ".join(f"o{a} += c * s{a}_{d};" for a in arrays))
        functions.append(self._function(f"{name}_s", params + pointers,
                                        body.setup + self._grid_stride("n", split + body.strided)
                                        + report))
        return functions
    # --8<-- [end:elemwise]

    # -- folds of a whole block --------------------------------------------------------
    def _fold(self, name: str, op: str, dtype: str) -> str:
        """A device function combining two values as reduction `op` does."""
        t = self.ctype(dtype)
        code = self.fold(op, "a", "b", dtype)
        helper = f"{name}_{op}"
        self.helpers[(helper, dtype)] = (f"{self.qualifier} {t} {helper}({t} a, {t} b) "
                                         f"{{ return {code}; }}")
        return helper

    # --8<-- [start:block-fold]
    def _block_fold(self, fold: str, dtype: str) -> str:
        """A device function folding one value per thread of the block into one
        value, which every thread gets back.  blockDim.x is a power of two
        between MT_WARP and MT_MAX_BLOCK; `buf` is MT_MAX_BLOCK long."""
        t, helper = self.ctype(dtype), f"{fold}_block"
        # The tree: each step folds the upper half of buf onto the lower half, until
        # one warp's worth is left.
        # --8<-- [start:ex-ch06-tree-step]
        tree = ["for (unsigned half = blockDim.x / 2; half >= MT_WARP; half /= 2) {",
                "    if (t < half)",
                f"        buf[t] = {fold}(buf[t], buf[t + half]);",
                "    __syncthreads();",
                "}"]
        # --8<-- [end:ex-ch06-tree-step]
        self.helpers[(helper, dtype)] = "\n".join(
            [f"__device__ static {t} {helper}({t} v, {t} *buf)", "{",
             "    const unsigned t = threadIdx.x;",
             "    buf[t] = v;",
             "    __syncthreads();",
             "    /* the tree: each step folds the upper half onto the lower half */",
             *["    " + line for line in tree],
             "    /* the first warp finishes with shuffles: no shared memory, no barrier */",
             "    if (t < MT_WARP) {",
             "        v = buf[t];",
             "        for (int offset = MT_WARP / 2; offset > 0; offset /= 2)",
             f"            v = {fold}(v, __shfl_down_sync(MT_FULL_MASK, v, offset));",
             "        if (t == 0)",
             "            buf[0] = v;",
             "    }",
             "    __syncthreads();",
             "    v = buf[0];",
             "    __syncthreads();  /* everyone has read buf[0] before it is used again */",
             "    return v;", "}"])
        return helper
    # --8<-- [end:block-fold]

    # -- reductions ---------------------------------------------------------------------
    def _reduce_walk(self, k: ReduceKernel) -> tuple[list[tuple[str, str]], list[str], list[str]]:
        """What a reduction kernel and an argmax kernel share: their parameters
        (the kept and the reduced shapes and strides, in elements), the
        statements finding output o's first input element (`base`), and those
        finding reduced element r of it (`at`, r counted in C order)."""
        nk, nr = len(k.kept), len(k.axes)
        params = [("long", "n_out"), ("long", "n_red")]
        params += [("long", f"kd{d}") for d in range(nk)] + [("long", f"ks{d}") for d in range(nk)]
        params += [("long", f"rd{d}") for d in range(nr)] + [("long", f"rs{d}") for d in range(nr)]
        params += [(f"const {self.ctype(k.input.dtype)} *", "x"),
                   (f"{self.ctype(k.out_dtype)} *", "y")]
        base = ["long rest = o, base = 0, c;"]
        for d in reversed(range(nk)):
            base += [f"c = rest % kd{d}; rest /= kd{d};" if d else "c = rest;",
                     f"base += c * ks{d};"]
        offset = ["long rest = r, at = base, c;"]
        for d in reversed(range(nr)):
            offset += [f"c = rest % rd{d}; rest /= rd{d};" if d else "c = rest;",
                       f"at += c * rs{d};"]
        return params, base, offset

    def reduce(self, name: str, k: ReduceKernel) -> CudaFunction:
        """One block per output element (grid-stride over them): each thread folds
        a strided share of the reduced elements, then the block folds the threads'."""
        if k.op.startswith("arg"):
            return self.argreduce(name, k)
        if k.op not in ("add", "mul", "maximum", "minimum", "and_", "or_", "xor") \
                or k.out_dtype not in SHUFFLE_DTYPES:
            raise NotImplementedError(f"no CUDA reduction {k.op} in {k.out_dtype}")
        t = self.ctype(k.out_dtype)
        block_fold = self._block_fold(self._fold(name, k.op, k.out_dtype), k.out_dtype)
        params, base, offset = self._reduce_walk(k)
        per_thread = block("for (long r = threadIdx.x; r < n_red; r += blockDim.x)",
                            offset + self.fold_element(k, "acc", "x[at]"))
        one_output = base + [f"{t} acc = {self.start_value(k.op, k.out_dtype)};"] + per_thread
        one_output += [f"acc = {block_fold}(acc, buf);", "if (threadIdx.x == 0)",
                       "    y[o] = acc;"]
        body = [f"__shared__ {t} buf[MT_MAX_BLOCK];"]
        body += block("for (long o = blockIdx.x; o < n_out; o += gridDim.x)", one_output)
        return self._function(name, params, body, barriers=True)

    def argreduce(self, name: str, k: ReduceKernel) -> CudaFunction:
        """argmax/argmin: one block per output position.  Each thread scans a
        strided share of the reduced elements, keeping its first best (the
        comparison is the C printer's, `better`); then the block keeps the best
        of its threads' (a tie goes to the smaller position, so the answer is
        numpy's first best), a tree in shared memory down to one thread: a
        (value, position) pair does not fit one warp shuffle."""
        t = self.ctype(k.input.dtype)
        pick = f"{name}_pick"
        # Slot (v, at) takes (w, wat) when that is a real element (wat >= 0) and beats
        # it, or ties with it at a smaller position, or the slot is still empty (at < 0).
        self.helpers[(pick, k.input.dtype)] = "\n".join([
            f"__device__ static void {pick}({t} *v, long *at, {t} w, long wat)", "{",
            f"    if (wat >= 0 && (*at < 0 || {self.better(k, 'w', '*v')}",
            f"                     || (!({self.better(k, '*v', 'w')}) && wat < *at))) {{",
            "        *v = w;", "        *at = wat;", "    }", "}"])
        params, base, offset = self._reduce_walk(k)
        scan = offset + [f"{pick}(&best, &best_at, x[at], r);"]
        # --8<-- [start:argmax-tree]
        one_output = base + [f"{t} best = 0;", "long best_at = -1;  /* nothing seen yet */"]
        one_output += block("for (long r = threadIdx.x; r < n_red; r += blockDim.x)", scan)
        one_output += ["vals[threadIdx.x] = best;", "ats[threadIdx.x] = best_at;",
                       "__syncthreads();"]
        one_output += block("for (unsigned half = blockDim.x / 2; half > 0; half /= 2)", [
            "if (threadIdx.x < half)",
            f"    {pick}(&vals[threadIdx.x], &ats[threadIdx.x], vals[threadIdx.x + half],"
            " ats[threadIdx.x + half]);",
            "__syncthreads();"])
        one_output += ["if (threadIdx.x == 0)", f"    y[o] = ({self.ctype(k.out_dtype)})ats[0];",
                       "__syncthreads();  /* ats[0] is read before the next output's scan */"]
        # --8<-- [end:argmax-tree]
        body = [f"__shared__ {t} vals[MT_MAX_BLOCK];", "__shared__ long ats[MT_MAX_BLOCK];"]
        body += block("for (long o = blockIdx.x; o < n_out; o += gridDim.x)", one_output)
        return self._function(name, params, body, barriers=True)

    # -- softmax ------------------------------------------------------------------------
    def softmax(self, name: str, k: SoftmaxKernel) -> CudaFunction:
        """One block per row: the row's max, the sum of exp(x - max), then each
        element (three passes over the row, two block folds)."""
        d = k.input.dtype
        t, exp, log = self.ctype(d), self.math("exp", d), self.math("log", d)
        params = [("long", "rows"), ("long", "m"), ("long", "xr"), ("long", "xc"),
                  (f"const {t} *", "x"), (f"{t} *", "y")]
        row = ["const " + t + " *xrow = x + r * xr;", f"{t} *yrow = y + r * m;"]
        row += self._row_max_and_sum(name, d)
        if k.kind == "softmax":
            row += block(EACH_OF_ROW, [f"yrow[j] = {exp}(xrow[j * xc] - high) / sum;"])
        else:
            row += [f"const {t} lse = {log}(sum);"]
            row += block(EACH_OF_ROW, ["yrow[j] = xrow[j * xc] - high - lse;"])
        body = [f"__shared__ {t} buf[MT_MAX_BLOCK];"]
        body += block("for (long r = blockIdx.x; r < rows; r += gridDim.x)", row)
        return self._function(name, params, body, barriers=True)

    def _row_max_and_sum(self, name: str, d: str) -> list[str]:
        """The first two passes over the row `xrow` (one block per row), shared by
        softmax and its fused cross-entropy: `high`, the row's max, and `sum`, the
        sum of exp(x - high), each folded across the block through `buf`."""
        t, exp = self.ctype(d), self.math("exp", d)
        larger = self._fold(name, "maximum", d)
        top, total = self._block_fold(larger, d), self._block_fold(self._fold(name, "add", d), d)
        row = [f"{t} v = -{self.infinity};"]
        row += block(EACH_OF_ROW, [f"v = {larger}(v, xrow[j * xc]);"])
        row += [f"const {t} high = {top}(v, buf);", "v = 0;"]
        row += block(EACH_OF_ROW, [f"v += {exp}(xrow[j * xc] - high);"])
        row += [f"const {t} sum = {total}(v, buf);"]
        return row

    # -- cross-entropy against class indices ---------------------------------------------
    def crossentropy(self, name: str, k: CrossentropyKernel) -> CudaFunction:
        """A thread per row: -log(coding[r, y[r]]); a class index out of range sets *bad."""
        d = k.coding.dtype
        t, ti = self.ctype(d), self.ctype(k.index_dtype)
        params = [("long", "rows"), ("long", "classes"), ("long", "cr"), ("long", "cc"),
                  ("long", "ys"), (f"const {t} *", "coding"), (f"const {ti} *", "yidx"),
                  (f"{t} *", "out"), ("int *", "bad")]
        row = ["const long c = (long)yidx[r * ys];",
               "if (c < 0 || c >= classes) {", "    *bad = 1;", "    continue;", "}",
               f"out[r] = -{self.math('log', d)}(coding[r * cr + c * cc]);"]
        return self._function(name, params, self._grid_stride("rows", row, "r"))

    def crossentropy_grad(self, name: str, k: CrossentropyGradKernel) -> CudaFunction:
        """A thread per element of dx: -g[r] / coding[r, c] where c == y[r], else 0."""
        d = k.coding.dtype
        t, ti = self.ctype(d), self.ctype(k.index_dtype)
        params = [("long", "rows"), ("long", "classes"), ("long", "gs"), ("long", "cr"),
                  ("long", "cc"), ("long", "ys"), (f"const {t} *", "g"),
                  (f"const {t} *", "coding"), (f"const {ti} *", "yidx"), (f"{t} *", "dx"),
                  ("int *", "bad")]
        element = ["const long r = i / classes, c = i % classes;",
                   "const long want = (long)yidx[r * ys];",
                   "if (want < 0 || want >= classes)", "    *bad = 1;",
                   f"dx[i] = c == want ? -g[r * gs] / coding[r * cr + c * cc] : ({t})0;"]
        return self._function(name, params, self._grid_stride("rows * classes", element))

    def crossentropy_softmax(self, name: str, k: CrossentropySoftmaxKernel) -> CudaFunction:
        """Softmax's three passes over a row (one block per row), and thread 0
        also writes the row's loss, -(x[y] - max - log(sum)): log_softmax's value,
        finite where log(softmax) would be log(0)."""
        d = k.logits.dtype
        t, ti, exp, log = (self.ctype(d), self.ctype(k.index_dtype), self.math("exp", d),
                           self.math("log", d))
        params = [("long", "rows"), ("long", "m"), ("long", "xr"), ("long", "xc"),
                  ("long", "ys"), (f"const {t} *", "x"), (f"const {ti} *", "yidx"),
                  (f"{t} *", "loss"), (f"{t} *", "sm"), ("int *", "bad")]
        row = [f"const {t} *xrow = x + r * xr;"] + self._row_max_and_sum(name, d)
        row += block(EACH_OF_ROW, [f"sm[r * m + j] = {exp}(xrow[j * xc] - high) / sum;"])
        row += block("if (threadIdx.x == 0)", [
            "const long c = (long)yidx[r * ys];",
            "if (c < 0 || c >= m)", "    *bad = 1;",
            f"loss[r] = c < 0 || c >= m ? ({t})0 : -(xrow[c * xc] - high - {log}(sum));"])
        body = [f"__shared__ {t} buf[MT_MAX_BLOCK];"]
        body += block("for (long r = blockIdx.x; r < rows; r += gridDim.x)", row)
        return self._function(name, params, body, barriers=True)

    def crossentropy_softmax_dx(self, name: str, k: CrossentropySoftmaxDxKernel) -> CudaFunction:
        """A thread per element of dx: g[r] * sm[r, c], less g[r] where c == y[r]."""
        d = k.sm.dtype
        t, ti = self.ctype(d), self.ctype(k.index_dtype)
        params = [("long", "rows"), ("long", "classes"), ("long", "gs"), ("long", "sr"),
                  ("long", "sc"), ("long", "ys"), (f"const {t} *", "g"), (f"const {t} *", "sm"),
                  (f"const {ti} *", "yidx"), (f"{t} *", "dx"), ("int *", "bad")]
        element = ["const long r = i / classes, c = i % classes;",
                   "const long want = (long)yidx[r * ys];",
                   "if (want < 0 || want >= classes)", "    *bad = 1;",
                   f"const {t} gr = g[r * gs], p = gr * sm[r * sr + c * sc];",
                   "dx[i] = c == want ? p - gr : p;"]
        return self._function(name, params, self._grid_stride("rows * classes", element))

    # -- what only looks at an array's shape ---------------------------------------------
    def shape(self, name: str, k: ShapeKernel) -> CudaFunction:
        """One thread stores a length the host read from the array's shape: the
        number travels as a launch argument, no copy of any data."""
        body = ["if (blockIdx.x == 0 && threadIdx.x == 0)", "    y[0] = n;"]
        return self._function(name, [("long", "n"), ("int64_t *", "y")], body)

    # -- matrix product ------------------------------------------------------------------
    # --8<-- [start:dot]
    def dot(self, name: str, k: DotKernel | GemmKernel) -> CudaFunction:
        """c = a . b with TILE x TILE blocks, one thread per element of c.  The
        block walks along k one tile at a time: its threads copy a tile of a and
        one of b into shared memory (each thread one element of each), wait,
        then each multiplies a row of the one by a column of the other.  Gemm
        is the same walk, with beta * z + alpha * (a . b) stored at the end."""
        t = self.ctype(k.dtype)
        params = [("long", "rows"), ("long", "cols"), ("long", "inner"),
                  ("long", "ar"), ("long", "ac"), ("long", "br"), ("long", "bc"),
                  (f"const {t} *", "a"), (f"const {t} *", "b"), (f"{t} *", "c")]
        store = "acc"
        if isinstance(k, GemmKernel):
            params[-1:-1] = [("long", "zr"), ("long", "zc"), (f"const {t} *", "z"),
                             (f"const {self.ctype(k.a_dtype)} *", "alpha"),
                             (f"const {self.ctype(k.b_dtype)} *", "beta")]
            store = (f"{self.cast('beta[0]', k.b_dtype, k.dtype)} * z[row * zr + col * zc]"
                     f" + {self.cast('alpha[0]', k.a_dtype, k.dtype)} * acc")
        body = [f"__shared__ {t} ta[MT_TILE][MT_TILE];",
                f"__shared__ {t} tb[MT_TILE][MT_TILE];",
                "const int tx = threadIdx.x, ty = threadIdx.y;",
                "const long row = blockIdx.y * (long)MT_TILE + ty;",
                "const long col = blockIdx.x * (long)MT_TILE + tx;",
                f"{t} acc = 0;"]
        # Thread (tx, ty) copies one element of each tile: a[row, k0 + tx] and
        # b[k0 + ty, col]; outside the matrices a tile holds zeros (they add nothing).
        # --8<-- [start:ex-ch06-tile-loads]
        loads = [f"ta[ty][tx] = row < rows && k0 + tx < inner ? "
                 f"a[row * ar + (k0 + tx) * ac] : ({t})0;",
                 f"tb[ty][tx] = k0 + ty < inner && col < cols ? "
                 f"b[(k0 + ty) * br + col * bc] : ({t})0;"]
        # --8<-- [end:ex-ch06-tile-loads]
        body += block("for (long k0 = 0; k0 < inner; k0 += MT_TILE)", [
            "/* outside the matrices, a tile holds zeros: they add nothing */", *loads,
            "__syncthreads();  /* the tiles are complete */",
            "for (int j = 0; j < MT_TILE; j++)",
            "    acc += ta[ty][j] * tb[j][tx];",
            "__syncthreads();  /* everyone is done with them before the next are loaded */"])
        body += ["if (row < rows && col < cols)", f"    c[row * cols + col] = {store};"]
        return self._function(name, params, body, barriers=True)
    # --8<-- [end:dot]
