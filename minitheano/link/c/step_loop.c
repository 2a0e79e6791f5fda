/* The compiled step loop: a scan's steps run in C, no Python per step (chapter 9).
 *
 * This file is not generated.  It is one small machine, compiled once, that
 * runs a *program*: a list of instructions, each a struct mt_step that the
 * Python side (scan/step_program.py) fills in.  The instructions name the
 * arrays they work on by number: arrays[k] is a numpy array object (a weight,
 * a buffer the body's kernels write into) or one of the machine's own array
 * headers, whose data pointer is moved at every step (x[t], h[t-1]).
 *
 * A step is the body's nodes in order, each one instruction:
 *
 *     FEED    arrays[a] now points at row (start + step*t) mod size of a buffer
 *     VIEW    arrays[a] = arrays[b] + a constant offset (a transpose, a slice)
 *     KERNEL  call a compiled kernel of chapter 5 on arrays[args...]
 *     DOT     out = a . b with BLAS's gemm (numpy's own OpenBLAS)
 *     GEMV    out = A . v with BLAS's gemv (a vector times a matrix, or the reverse)
 *     GEMM    out = b*Z + a*(X . Y), the Gemm op
 *     COPY    copy arrays[a] into arrays[b] (storing h[t] into its buffer)
 *     ADD     arrays[b] += arrays[a] (IncSubtensor's increment of a slice)
 *     STOP    end the loop after this step if arrays[a] is true (until)
 *
 * The kernels are the very functions the C linker compiled for the body; the
 * machine only calls them, through their addresses.  When a kernel refuses
 * its inputs (an error code), the machine stops *before* that step stores
 * anything and says so: the Python loop then runs that step itself, and
 * raises the error with its full message, or computes what C would not.
 */
#include <string.h>

enum { MT_FEED, MT_VIEW, MT_KERNEL, MT_DOT, MT_GEMM, MT_COPY, MT_ADD, MT_STOP, MT_GEMV };

/* How a run ended: every step done, stopped by until, or a step refused. */
enum { MT_RAN_ALL, MT_STOPPED, MT_REFUSED_STEP };

#define MT_STEP_MAXARGS 16

typedef struct {
    int64_t kind;
    int64_t nargs;
    int64_t args[MT_STEP_MAXARGS];  /* array numbers */
    void *fn;                       /* a kernel's or gemm's address */
    /* FEED: row (start + step * t), modulo size when size > 0, of base */
    char *base;
    int64_t stride, start, step, size;
    int64_t offset;                 /* VIEW: bytes after arrays[args[1]]->data */
    int64_t blas[8];                /* DOT, GEMM: transA, transB, M, N, K, lda, ldb, ldc;
                                       GEMV: trans, M, N, lda, incv */
    int64_t float32;                /* DOT, GEMM, ADD: float32 (1) or float64 (0) */
    int64_t itemsize;               /* COPY */
} mt_step;

/* An array header of the machine's own: a numpy header's fields, with room
 * for the lengths and strides it points to. */
typedef struct {
    mt_array a;
    intptr_t dims[MT_MAXDIMS];
    intptr_t strides[MT_MAXDIMS];
} mt_own_array;

int64_t mt_own_array_size(void) { return (int64_t)sizeof(mt_own_array); }
int64_t mt_step_size(void) { return (int64_t)sizeof(mt_step); }

/* Make `own` a copy of the header of numpy array `src` (the moving arrays'
 * shapes and strides are those of the first step, done in Python). */
void mt_own_copy(mt_own_array *own, const mt_array *src)
{
    own->a = *src;
    for (int d = 0; d < src->nd; d++) {
        own->dims[d] = src->dimensions[d];
        own->strides[d] = src->strides[d];
    }
    own->a.dimensions = own->dims;
    own->a.strides = own->strides;
}

/* A kernel takes as many mt_array * as it has inputs and outputs. */
#define P mt_array *
typedef int (*mt_k1)(P);
typedef int (*mt_k2)(P, P);
typedef int (*mt_k3)(P, P, P);
typedef int (*mt_k4)(P, P, P, P);
typedef int (*mt_k5)(P, P, P, P, P);
typedef int (*mt_k6)(P, P, P, P, P, P);
typedef int (*mt_k7)(P, P, P, P, P, P, P);
typedef int (*mt_k8)(P, P, P, P, P, P, P, P);
#undef P

static int call_kernel(const mt_step *s, mt_array **arrays)
{
    mt_array *a[MT_STEP_MAXARGS];
    for (int k = 0; k < s->nargs; k++) a[k] = arrays[s->args[k]];
    switch (s->nargs) {
    case 1: return ((mt_k1)s->fn)(a[0]);
    case 2: return ((mt_k2)s->fn)(a[0], a[1]);
    case 3: return ((mt_k3)s->fn)(a[0], a[1], a[2]);
    case 4: return ((mt_k4)s->fn)(a[0], a[1], a[2], a[3]);
    case 5: return ((mt_k5)s->fn)(a[0], a[1], a[2], a[3], a[4]);
    case 6: return ((mt_k6)s->fn)(a[0], a[1], a[2], a[3], a[4], a[5]);
    case 7: return ((mt_k7)s->fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
    case 8: return ((mt_k8)s->fn)(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);
    default: return MT_REFUSED;  /* the Python side never plans more (MAX_KERNEL_ARGS) */
    }
}

/* CBLAS's gemm with 64-bit integers, as numpy's OpenBLAS exports it. */
typedef void (*mt_dgemm)(int, int, int, int64_t, int64_t, int64_t, double, const void *,
                         int64_t, const void *, int64_t, double, void *, int64_t);
typedef void (*mt_sgemm)(int, int, int, int64_t, int64_t, int64_t, float, const void *,
                         int64_t, const void *, int64_t, float, void *, int64_t);
#define MT_ROW_MAJOR 101

static void gemm(const mt_step *s, double alpha, const mt_array *x, const mt_array *y,
                 double beta, mt_array *z)
{
    const int64_t *b = s->blas;
    if (s->float32) {
        ((mt_sgemm)s->fn)(MT_ROW_MAJOR, (int)b[0], (int)b[1], b[2], b[3], b[4], (float)alpha,
                          x->data, b[5], y->data, b[6], (float)beta, z->data, b[7]);
    } else {
        ((mt_dgemm)s->fn)(MT_ROW_MAJOR, (int)b[0], (int)b[1], b[2], b[3], b[4], alpha,
                          x->data, b[5], y->data, b[6], beta, z->data, b[7]);
    }
}

/* CBLAS's gemv: out = A . v, one pass over A (gemm with one row is much slower). */
typedef void (*mt_dgemv)(int, int, int64_t, int64_t, double, const void *, int64_t,
                         const void *, int64_t, double, void *, int64_t);
typedef void (*mt_sgemv)(int, int, int64_t, int64_t, float, const void *, int64_t,
                         const void *, int64_t, float, void *, int64_t);

static void gemv(const mt_step *s, const mt_array *m, const mt_array *v, mt_array *out)
{
    const int64_t *b = s->blas;
    if (s->float32) {
        ((mt_sgemv)s->fn)(MT_ROW_MAJOR, (int)b[0], b[1], b[2], 1.0f, m->data, b[3], v->data,
                          b[4], 0.0f, out->data, 1);
    } else {
        ((mt_dgemv)s->fn)(MT_ROW_MAJOR, (int)b[0], b[1], b[2], 1.0, m->data, b[3], v->data,
                          b[4], 0.0, out->data, 1);
    }
}

static double read_scalar(const mt_array *a, int float32)
{
    return float32 ? (double)*(const float *)a->data : *(const double *)a->data;
}

/* dst (op) src over dst's shape, src stretched where it has length 1:
 * a copy of `itemsize` bytes per element, or an addition of floats. */
static void elementwise(const mt_array *src, mt_array *dst, int add, int float32,
                        int64_t itemsize)
{
    intptr_t strides[MT_MAXDIMS];
    for (int d = 0; d < dst->nd; d++) {
        strides[d] = src->dimensions[d] == dst->dimensions[d] ? src->strides[d] : 0;
    }
    mt_loop L;
    mt_loop_init(&L, dst->nd, dst->dimensions);
    mt_loop_add_strided(&L, src->data, strides);
    mt_loop_add(&L, dst, 0x0);
    if (!mt_loop_simplify(&L)) return;
    const intptr_t n = L.shape[L.nd - 1], s0 = L.strides[0][L.nd - 1],
                   s1 = L.strides[1][L.nd - 1];
    do {
        const char *from = L.ptr[0];
        char *to = L.ptr[1];
        if (!add && s0 == itemsize && s1 == itemsize) {  /* a contiguous run */
            memcpy(to, from, (size_t)(n * itemsize));
        } else if (!add) {
            for (intptr_t i = 0; i < n; i++)
                memcpy(to + i * s1, from + i * s0, (size_t)itemsize);
        } else if (float32) {
            for (intptr_t i = 0; i < n; i++)
                *(float *)(to + i * s1) += *(const float *)(from + i * s0);
        } else {
            for (intptr_t i = 0; i < n; i++)
                *(double *)(to + i * s1) += *(const double *)(from + i * s0);
        }
    } while (mt_loop_next(&L));
}

/* Run steps t0 .. t1-1 of `program` (n instructions per step).  Returns the
 * first step not done; *how says why it ended (MT_RAN_ALL, MT_STOPPED: the
 * until condition was true after the step before, MT_REFUSED_STEP: a kernel
 * refused its inputs at the returned step, which stored nothing). */
int64_t mt_run_steps(mt_array **arrays, const mt_step *program, int64_t n, int64_t t0,
                     int64_t t1, int64_t *how)
{
    /* --8<-- [start:run-steps] */
    for (int64_t t = t0; t < t1; t++) {
        int stop = 0;
        for (int64_t k = 0; k < n; k++) {
            const mt_step *s = &program[k];
            const int64_t *a = s->args;
            switch (s->kind) {
            case MT_FEED: {
                int64_t row = s->start + s->step * t;
                if (s->size > 0) row = ((row % s->size) + s->size) % s->size;
                arrays[a[0]]->data = s->base + row * s->stride;
                break;
            }
            case MT_VIEW:
                arrays[a[0]]->data = arrays[a[1]]->data + s->offset;
                break;
            case MT_KERNEL:
                if (call_kernel(s, arrays) != MT_OK) {
                    *how = MT_REFUSED_STEP;
                    return t;
                }
                break;
            case MT_DOT:  /* args: x, y, out */
                gemm(s, 1.0, arrays[a[0]], arrays[a[1]], 0.0, arrays[a[2]]);
                break;
            case MT_GEMV:  /* args: matrix, vector, out */
                gemv(s, arrays[a[0]], arrays[a[1]], arrays[a[2]]);
                break;
            case MT_GEMM: {  /* args: z, a, x, y, b, out */
                double alpha = read_scalar(arrays[a[1]], (int)s->float32);
                double beta = read_scalar(arrays[a[4]], (int)s->float32);
                /* BLAS skips what a 0 multiplies, so a NaN there would vanish. */
                if (alpha == 0 || beta == 0) {
                    *how = MT_REFUSED_STEP;
                    return t;
                }
                if (arrays[a[5]] != arrays[a[0]]) {
                    elementwise(arrays[a[0]], arrays[a[5]], 0, 0, s->itemsize);
                }
                gemm(s, alpha, arrays[a[2]], arrays[a[3]], beta, arrays[a[5]]);
                break;
            }
            case MT_COPY:  /* args: from, to */
                elementwise(arrays[a[0]], arrays[a[1]], 0, 0, s->itemsize);
                break;
            case MT_ADD:  /* args: what, into */
                elementwise(arrays[a[0]], arrays[a[1]], 1, (int)s->float32, s->itemsize);
                break;
            case MT_STOP:
                stop = *(const bool *)arrays[a[0]]->data;
                break;
            }
        }
        if (stop) {
            *how = MT_STOPPED;
            return t + 1;
        }
    }
    /* --8<-- [end:run-steps] */
    *how = MT_RAN_ALL;
    return t1;
}
