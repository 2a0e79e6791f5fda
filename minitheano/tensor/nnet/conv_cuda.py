"""conv2d with device=cuda: im2col, a tiled matrix product and col2im as CUDA kernels
(chapter 8, on chapter 6's machinery).

The GPU runs the same plan as FAST_RUN's C (conv_c.py): copy every patch of
the images into a column (im2col), and the layer is one matrix product;
the gradient with respect to the images is a product and the reverse copy
(col2im).  Four kernels, written once with the element type `real` and
printed for float and double:

    im2col_real   one thread per element of the patch matrix
    col2im_real   one thread per *pixel*: it gathers the columns entries that
                  land on it, so no two threads write one place (no atomics,
                  and the same sum whatever order threads run in)
    gemm_real     c = a . b, TILE x TILE tiles through shared memory (chapter
                  6's tiled product), any strides for a and b: the gradients'
                  transposed operands are only other strides
    swap01_real   (p, q, s) -> (q, p, s): the product's rows are output channels,
                  the output wants images first

A flipped filter (a true convolution, `filter_flip`) is taken care of by
im2col: with `flip`, row (c, a, b) of the patch matrix holds the pixel under
tap (kh-1-a, kw-1-b), so the filters are used as stored, and the weights'
gradient comes out unflipped.  The ops call these through `cuda_thunk`
(link/cuda/op_kernels.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from minitheano.tensor.nnet.conv_c import GEOMETRY, geometry
from minitheano.tensor.nnet.conv_geometry import Axis, check_top

TILE = 16  # the product's tiles are TILE x TILE, and so are its blocks

_PARAMS = ", ".join(f"long {name}" for name in GEOMETRY)

_TEMPLATE = """
/* cols[(c, a, b), (n, i, j)] = x[n, c, i*SH + a'*DH - PH, j*SW + b'*DW - PW], 0 outside x,
   with (a', b') = (a, b), or (KH-1-a, KW-1-b) when `flip`. */
extern "C" __global__ void im2col_real(long total, GEO_PARAMS, long flip, const real *x, real *cols)
{
    const long n_cols = N * OH * OW;
    for (long e = blockIdx.x * (long)blockDim.x + threadIdx.x; e < total;
         e += (long)blockDim.x * gridDim.x) {
        const long p = e / n_cols, q = e % n_cols;
        const long j = q % OW, i = q / OW % OH, n = q / (OW * OH);
        long b = p % KW, a = p / KW % KH;
        const long c = p / (KW * KH);
        if (flip) { a = KH - 1 - a; b = KW - 1 - b; }
        const long y = i * SH + a * DH - PH, z = j * SW + b * DW - PW;
        cols[e] = y >= 0 && y < H && z >= 0 && z < W ? x[((n * C + c) * H + y) * W + z] : (real)0;
    }
}

/* x[n, c, y, z] = the sum of the entries of `cols` that im2col would have
   copied from there: for each tap (a, b), the window (i, j) with
   i*SH + a*DH - PH == y (if any) and likewise for z. */
extern "C" __global__ void col2im_real(long total, GEO_PARAMS, long flip, const real *cols, real *x)
{
    const long n_cols = N * OH * OW;
    for (long e = blockIdx.x * (long)blockDim.x + threadIdx.x; e < total;
         e += (long)blockDim.x * gridDim.x) {
        const long z = e % W, y = e / W % H, c = e / (W * H) % C, n = e / (W * H * C);
        real sum = 0;
        for (long a = 0; a < KH; a++) {
            const long top = y + PH - a * DH;  /* = i * SH for the window i that meets y */
            if (top < 0 || top % SH || top / SH >= OH) continue;
            const long row_a = flip ? KH - 1 - a : a;
            for (long b = 0; b < KW; b++) {
                const long left = z + PW - b * DW;
                if (left < 0 || left % SW || left / SW >= OW) continue;
                const long row_b = flip ? KW - 1 - b : b;
                sum += cols[((c * KH + row_a) * KW + row_b) * n_cols
                            + (n * OH + top / SH) * OW + left / SW];
            }
        }
        x[e] = sum;
    }
}

/* c (rows x cols, contiguous) = a . b, a[r, k] at a[r*ar + k*ac], b[k, s] at b[k*br + s*bc].
   A TILE x TILE block computes a TILE x TILE tile of c, walking along k a tile
   at a time: each thread copies one element of a's tile and one of b's into
   shared memory; all wait; each multiplies a row by a column; all wait again. */
extern "C" __global__ void gemm_real(long rows, long cols, long inner, long ar, long ac,
                                      long br, long bc, const real *a, const real *b, real *c)
{
    __shared__ real ta[MT_CONV_TILE][MT_CONV_TILE];
    __shared__ real tb[MT_CONV_TILE][MT_CONV_TILE];
    const int tx = threadIdx.x, ty = threadIdx.y;
    const long row = blockIdx.y * (long)MT_CONV_TILE + ty;
    const long col = blockIdx.x * (long)MT_CONV_TILE + tx;
    real acc = 0;
    for (long k0 = 0; k0 < inner; k0 += MT_CONV_TILE) {
        /* outside the matrices a tile holds zeros: they add nothing */
        ta[ty][tx] = row < rows && k0 + tx < inner ? a[row * ar + (k0 + tx) * ac] : (real)0;
        tb[ty][tx] = k0 + ty < inner && col < cols ? b[(k0 + ty) * br + col * bc] : (real)0;
        __syncthreads();  /* the tiles are complete */
        for (int k = 0; k < MT_CONV_TILE; k++)
            acc += ta[ty][k] * tb[k][tx];
        __syncthreads();  /* everyone is done with them before the next are loaded */
    }
    if (row < rows && col < cols)
        c[row * cols + col] = acc;
}

/* out[q, p, s] = in[p, q, s]: the first two axes of a (P, Q, S) array swapped. */
extern "C" __global__ void swap01_real(long total, long P, long Q, long S, const real *in,
                                        real *out)
{
    for (long e = blockIdx.x * (long)blockDim.x + threadIdx.x; e < total;
         e += (long)blockDim.x * gridDim.x) {
        const long s = e % S, p = e / S % P, q = e / (S * P);
        out[e] = in[(p * Q + q) * S + s];
    }
}
""".replace("GEO_PARAMS", _PARAMS)

SOURCE = ("/* minitheano conv2d on the GPU: im2col, gemm, col2im (tensor/nnet/conv_cuda.py) */\n"
          f"#define MT_CONV_TILE {TILE}\n"
          + _TEMPLATE.replace("real", "double") + _TEMPLATE.replace("real", "float"))

_C_TYPE = {"float64": "double", "float32": "float"}


@dataclass(frozen=True)
class Strided:
    """A device array read as a matrix: element (r, c) at r * row + c * col (elements).
    A transposed matrix is the same array with the two strides swapped."""
    array: Any
    row: int
    col: int


class ConvKernels:
    """The four kernels on device arrays of one dtype, through an op's `gpu`
    (link/cuda/op_kernels.OpKernels)."""

    def __init__(self, gpu: Any, dtype: Any) -> None:
        self.gpu, self.dtype = gpu, str(dtype)
        self.suffix = _C_TYPE[self.dtype]

    def patches(self, x: Any, rows: Axis, cols: Axis, oh: int, ow: int, flip: bool) -> Any:
        """im2col: the (channels*kh*kw, batch*oh*ow) matrix of x's patches."""
        geo = [int(v) for v in geometry(tuple(x.shape), rows, cols, oh, ow)]
        out = self.gpu.empty((x.shape[1] * rows.taps * cols.taps, x.shape[0] * oh * ow),
                             self.dtype)
        self.gpu.each(f"im2col_{self.suffix}", out.shape[0] * out.shape[1],
                      [*geo, int(flip), self.gpu.address(x), self.gpu.address(out)], [out])
        return out

    def unpatches(self, columns: Any, shape: tuple[int, ...], rows: Axis, cols: Axis,
                  oh: int, ow: int, flip: bool) -> Any:
        """col2im: an image batch of `shape`, each pixel the sum of the columns' entries on it."""
        geo = [int(v) for v in geometry(shape, rows, cols, oh, ow)]
        image = self.gpu.empty(shape, self.dtype)
        total = shape[0] * shape[1] * shape[2] * shape[3]
        self.gpu.each(f"col2im_{self.suffix}", total,
                      [*geo, int(flip), self.gpu.address(columns), self.gpu.address(image)],
                      [image])
        return image

    def product(self, a: Strided, b: Strided, rows: int, cols: int, inner: int,
                out_shape: tuple[int, ...] | None = None) -> Any:
        """The (rows, cols) product of a (rows, inner) and b (inner, cols), C-ordered,
        of `out_shape` if given (the same size)."""
        c = self.gpu.empty(out_shape or (rows, cols), self.dtype)
        if rows * cols:
            grid = ((cols + TILE - 1) // TILE, (rows + TILE - 1) // TILE)
            self.gpu.launch(f"gemm_{self.suffix}", grid, (TILE, TILE),
                            [rows, cols, inner, a.row, a.col, b.row, b.col,
                             self.gpu.address(a.array), self.gpu.address(b.array),
                             self.gpu.address(c)], [c])
        return c

    def swap(self, x: Any, p: int, q: int, s: int, out_shape: tuple[int, ...]) -> Any:
        """x read as (p, q, s), returned as a new (q, p, s) array of `out_shape`."""
        out = self.gpu.empty(out_shape, self.dtype)
        self.gpu.each(f"swap01_{self.suffix}", p * q * s,
                      [p, q, s, self.gpu.address(x), self.gpu.address(out)], [out])
        return out


def forward(op: Any, gpu: Any, img: Any, kern: Any) -> Any:
    """AbstractConv2d on the device: out = filters . patches, images first."""
    img, kern = gpu.c_order(img), gpu.c_order(kern)
    rows, cols = op.check(img.shape, kern.shape)
    n, k = img.shape[0], kern.shape[0]
    oh, ow = rows.out_length(img.shape[2]), cols.out_length(img.shape[3])
    kernels = ConvKernels(gpu, img.dtype)
    patches = kernels.patches(img, rows, cols, oh, ow, op.filter_flip)
    p, q = patches.shape
    product = kernels.product(Strided(kern, p, 1), Strided(patches, q, 1), k, q, p)
    return kernels.swap(product, k, n, oh * ow, (n, k, oh, ow))


def grad_weights(op: Any, gpu: Any, img: Any, top: Any, shape: Any) -> Any:
    """AbstractConv2d_gradWeights on the device: d filters = top . patches^T."""
    img, top = gpu.c_order(img), gpu.c_order(top)
    shape = [int(s) for s in gpu.to_host(shape)]
    kshape = (top.shape[1], img.shape[1], shape[0], shape[1])
    rows, cols = op.check(img.shape, kshape)
    check_top(str(op), top.shape, op.out_shape(img.shape, kshape))
    n, k, oh, ow = top.shape
    kernels = ConvKernels(gpu, img.dtype)
    patches = kernels.patches(img, rows, cols, oh, ow, op.filter_flip)
    p, q = patches.shape
    top_matrix = kernels.swap(top, n, k, oh * ow, (k, q))
    # (k, q) . (q, p): the transposed patches are the same memory read with swapped strides.
    # --8<-- [start:ex-ch08-gpu-transpose]
    d_kern = kernels.product(Strided(top_matrix, q, 1), Strided(patches, 1, q), k, p, q,
                             kshape)
    # --8<-- [end:ex-ch08-gpu-transpose]
    return d_kern


def grad_inputs(op: Any, gpu: Any, kern: Any, top: Any, shape: Any) -> Any:
    """AbstractConv2d_gradInputs on the device: col2im(filters^T . top)."""
    kern, top = gpu.c_order(kern), gpu.c_order(top)
    shape = [int(s) for s in gpu.to_host(shape)]
    ishape = (top.shape[0], kern.shape[1], shape[0], shape[1])
    rows, cols = op.check(ishape, kern.shape)
    check_top(str(op), top.shape, op.out_shape(ishape, kern.shape))
    n, k, oh, ow = top.shape
    p, q = kern.shape[1] * rows.taps * cols.taps, n * oh * ow
    kernels = ConvKernels(gpu, kern.dtype)
    top_matrix = kernels.swap(top, n, k, oh * ow, (k, q))
    columns = kernels.product(Strided(kern, 1, p), Strided(top_matrix, q, 1), p, q, k)
    return kernels.unpatches(columns, ishape, rows, cols, oh, ow, op.filter_flip)
