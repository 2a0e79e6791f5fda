/* Matrix products of an ordinary compiled function, handed to BLAS from C (chapter 5).
 *
 * This file is not generated: link/c/blas_thunks.py compiles it once (after
 * runtime.h) and gives every Dot and Gemm node of a FAST_RUN function a thunk
 * that calls one of the two functions below with the numpy arrays themselves.
 * Everything numpy.dot's wrapper would check per call is checked here, in a few
 * comparisons: the dtypes, the shapes, and how each matrix lies in memory
 * (rows contiguous: BLAS's "no transpose"; columns contiguous: "transpose";
 * anything else, an empty product, or a or b equal to 0: MT_REFUSED, and the
 * thunk runs the op's Python code, which numpy handles).  The result goes into
 * `out`, a C-contiguous matrix the thunk owns, or for an in-place Gemm into Z
 * itself; no other array is written.
 *
 *     mt_dot(x, y, out)             out = x . y
 *     mt_gemm(z, a, x, y, b, out)   out = b*z + a*(x . y)   (out is z or a fresh matrix)
 *     mt_dot_bias_act(x, w, b, out, act, k)   out = act(x . w, b)   (DotBiasAct)
 */

#include <string.h>

/* CBLAS's gemm with 64-bit integers, as numpy's OpenBLAS exports it. */
typedef void (*mt_dgemm_fn)(int, int, int, int64_t, int64_t, int64_t, double, const void *,
                            int64_t, const void *, int64_t, double, void *, int64_t);
typedef void (*mt_sgemm_fn)(int, int, int, int64_t, int64_t, int64_t, float, const void *,
                            int64_t, const void *, int64_t, float, void *, int64_t);
enum { MT_CBLAS_ROW_MAJOR = 101, MT_CBLAS_NO_TRANS = 111, MT_CBLAS_TRANS = 112 };

static mt_dgemm_fn mt_dgemm_ptr;
static mt_sgemm_fn mt_sgemm_ptr;

/* Called once by the loader with the addresses of numpy's dgemm and sgemm. */
void mt_blas_set(void *dgemm, void *sgemm)
{
    mt_dgemm_ptr = (mt_dgemm_fn)dgemm;
    mt_sgemm_ptr = (mt_sgemm_fn)sgemm;
}

/* How BLAS should read matrix m: its transpose flag and leading dimension.
 * A dimension of length 1 has no stride that matters (numpy may give it any).
 * 0: BLAS cannot read it (a step between elements, a negative stride). */
static int mt_blas_layout(const mt_array *m, intptr_t item, int *trans, int64_t *ld)
{
    const intptr_t r = m->dimensions[0], c = m->dimensions[1];
    const intptr_t s0 = m->strides[0], s1 = m->strides[1];
    if ((s1 == item || c == 1) && (r == 1 || (s0 % item == 0 && s0 >= c * item))) {
        *trans = MT_CBLAS_NO_TRANS;                 /* rows are contiguous */
        *ld = r == 1 ? c : s0 / item;
        return 1;
    }
    if ((s0 == item || r == 1) && (c == 1 || (s1 % item == 0 && s1 >= r * item))) {
        *trans = MT_CBLAS_TRANS;                    /* the transpose of a row-major matrix */
        *ld = c == 1 ? r : s1 / item;
        return 1;
    }
    return 0;
}

/* Do the bytes of two matrices (strides not negative) overlap? */
static int mt_matrices_overlap(const mt_array *a, const mt_array *b, intptr_t item)
{
    const char *a_end = a->data + (a->dimensions[0] - 1) * a->strides[0]
                        + (a->dimensions[1] - 1) * a->strides[1] + item;
    const char *b_end = b->data + (b->dimensions[0] - 1) * b->strides[0]
                        + (b->dimensions[1] - 1) * b->strides[1] + item;
    return a->data < b_end && b->data < a_end;
}

/* The dtype of x (float32 or float64, the same for x, y and out), or -1. */
static int mt_float_dtype(const mt_array *x, const mt_array *y, const mt_array *out)
{
    for (int dtype = MT_float32; dtype <= MT_float64; dtype++) {
        if (mt_is_array(x, dtype, 2) && mt_is_array(y, dtype, 2) && mt_is_array(out, dtype, 2)
                && (out->flags & MT_WRITEABLE))
            return dtype;
    }
    return -1;
}

/* out (C-contiguous, or row-major with leading dimension ldc) = alpha x.y + beta out */
static void mt_call_gemm(int dtype, double alpha, const mt_array *x, int tx, int64_t ldx,
                         const mt_array *y, int ty, int64_t ldy, double beta, mt_array *out,
                         int64_t ldc)
{
    const int64_t m = out->dimensions[0], n = out->dimensions[1], k = x->dimensions[1];
    if (dtype == MT_float32)
        mt_sgemm_ptr(MT_CBLAS_ROW_MAJOR, tx, ty, m, n, k, (float)alpha, x->data, ldx, y->data,
                     ldy, (float)beta, out->data, ldc);
    else
        mt_dgemm_ptr(MT_CBLAS_ROW_MAJOR, tx, ty, m, n, k, alpha, x->data, ldx, y->data, ldy,
                     beta, out->data, ldc);
}

/* Shapes, layouts and dtype for out = x . y; MT_OK when BLAS can do it. */
static int mt_check_product(const mt_array *x, const mt_array *y, const mt_array *out,
                            int *dtype, int *tx, int64_t *ldx, int *ty, int64_t *ldy)
{
    *dtype = mt_float_dtype(x, y, out);
    if (*dtype < 0 || (*dtype == MT_float32 ? !mt_sgemm_ptr : !mt_dgemm_ptr))
        return MT_BAD_ARRAY;
    if (x->dimensions[1] != y->dimensions[0] || out->dimensions[0] != x->dimensions[0]
            || out->dimensions[1] != y->dimensions[1])
        return MT_BAD_SHAPE;
    if (x->dimensions[0] == 0 || x->dimensions[1] == 0 || y->dimensions[1] == 0)
        return MT_REFUSED;  /* empty: numpy's few lines do it */
    const intptr_t item = *dtype == MT_float32 ? 4 : 8;
    if (!mt_blas_layout(x, item, tx, ldx) || !mt_blas_layout(y, item, ty, ldy))
        return MT_REFUSED;
    return MT_OK;
}

int mt_dot(mt_array *x, mt_array *y, mt_array *out)
{
    int dtype, tx, ty;
    int64_t ldx, ldy;
    const int code = mt_check_product(x, y, out, &dtype, &tx, &ldx, &ty, &ldy);
    if (code != MT_OK)
        return code;
    const intptr_t item = dtype == MT_float32 ? 4 : 8;
    if (out->strides[1] != item || out->strides[0] != out->dimensions[1] * item)
        return MT_REFUSED;  /* the thunk always hands a fresh C-contiguous matrix */
    mt_call_gemm(dtype, 1.0, x, tx, ldx, y, ty, ldy, 0.0, out, out->dimensions[1]);
    return MT_OK;
}

static int mt_read_scalar(const mt_array *s, double *value)
{
    if (mt_is_array(s, MT_float64, 0))
        *value = *(const double *)s->data;
    else if (mt_is_array(s, MT_float32, 0))
        *value = *(const float *)s->data;
    else
        return 0;
    return 1;
}

int mt_gemm(mt_array *z, mt_array *a, mt_array *x, mt_array *y, mt_array *b, mt_array *out)
{
    int dtype, tx, ty;
    int64_t ldx, ldy;
    double alpha, beta;
    const int code = mt_check_product(x, y, out, &dtype, &tx, &ldx, &ty, &ldy);
    if (code != MT_OK)
        return code;
    if (!mt_is_array(z, dtype, 2) || z->dimensions[0] != out->dimensions[0]
            || z->dimensions[1] != out->dimensions[1])
        return MT_BAD_SHAPE;
    /* BLAS skips what a 0 multiplies, so a NaN there would vanish; numpy keeps it. */
    if (!mt_read_scalar(a, &alpha) || !mt_read_scalar(b, &beta) || alpha == 0 || beta == 0)
        return MT_REFUSED;
    const intptr_t item = dtype == MT_float32 ? 4 : 8;
    const intptr_t m = out->dimensions[0], n = out->dimensions[1];
    if (out->strides[1] != item && n != 1)
        return MT_REFUSED;
    if (m > 1 && (out->strides[0] % item != 0 || out->strides[0] < n * item))
        return MT_REFUSED;
    const int64_t ldc = m == 1 ? n : out->strides[0] / item;
    if (out == z) {  /* in place: X and Y must not lie in Z's memory */
        if (mt_matrices_overlap(z, x, item) || mt_matrices_overlap(z, y, item))
            return MT_REFUSED;
    } else {
        for (intptr_t i = 0; i < m; i++) {  /* out starts as a copy of Z */
            char *to = out->data + i * ldc * item;
            const char *from = z->data + i * z->strides[0];
            if (z->strides[1] == item) {
                memcpy(to, from, (size_t)(n * item));
            } else {
                for (intptr_t j = 0; j < n; j++)
                    memcpy(to + j * item, from + j * z->strides[1], (size_t)item);
            }
        }
    }
    mt_call_gemm(dtype, alpha, x, tx, ldx, y, ty, ldy, beta, out, ldc);
    return MT_OK;
}

/* out = act(x . w, b) for DotBiasAct (tensor/dot_bias_act.py): `act` is the loop the C
 * printer made for the in-place Elemwise of the product and the bias row
 * (product_index: which of its two inputs is the product).  BLAS writes the product
 * into `out` in one call, and the loop applies the bias and the activation there.
 * (One BLAS call per block of rows, each block activated while in cache, was
 * measured slower: every call packs w again; bench/README.md.)  The bias row is a
 * view made here: an mt_array is only the first fields of a numpy array, which is
 * all a kernel reads. */
typedef int (*mt_elemwise2_fn)(mt_array *, mt_array *, mt_array *);

int mt_dot_bias_act(mt_array *x, mt_array *w, mt_array *b, mt_array *out, void *act,
                    int product_index)
{
    int dtype, tx, ty;
    int64_t ldx, ldy;
    const int code = mt_check_product(x, w, out, &dtype, &tx, &ldx, &ty, &ldy);
    if (code != MT_OK)
        return code;
    const intptr_t item = dtype == MT_float32 ? 4 : 8;
    const intptr_t n = out->dimensions[1];
    if (!mt_is_array(b, dtype, 1) || b->dimensions[0] != n)
        return MT_BAD_SHAPE;
    if (out->strides[1] != item || out->strides[0] != n * item)
        return MT_REFUSED;  /* the thunk always hands a fresh C-contiguous matrix */
    intptr_t bias_dims[2] = {1, n}, bias_strides[2] = {0, b->strides[0]};
    mt_array bias = *b;     /* b as the row (1, n) the Elemwise reads */
    bias.nd = 2;
    bias.dimensions = bias_dims;
    bias.strides = bias_strides;
    mt_call_gemm(dtype, 1.0, x, tx, ldx, w, ty, ldy, 0.0, out, n);
    mt_elemwise2_fn apply = (mt_elemwise2_fn)act;
    return product_index == 0 ? apply(out, &bias, out) : apply(&bias, out, out);
}
