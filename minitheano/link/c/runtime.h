/* The runtime every generated module starts with (chapter 5).
 *
 * How a numpy array looks from C, and how a loop over arrays of any number
 * of dimensions is set up: a stretched (broadcast) dimension gets stride 0,
 * dimensions of length 1 are dropped, and neighbouring dimensions that are
 * contiguous for every array are merged, so that most loops become one long
 * inner loop over adjacent elements, which the compiler vectorizes.
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>  /* memcpy: reading the bits of a float (vecmath.py) */

/* glibc's vector math library, libmvec: a function declared "simd" is
 * called on 4 or 8 values at once in a vectorized loop.  glibc's math.h
 * declares them so only under -ffast-math, which would also give up NaN and
 * inf; the build (link/c/build.py) defines MT_LIBMVEC where libmvec exists,
 * and we declare them here, keeping IEEE semantics. */
#ifdef MT_LIBMVEC
#define MT_SIMD(name) __attribute__((__simd__("notinbranch"))) double name(double); \
                      __attribute__((__simd__("notinbranch"))) float name##f(float);
MT_SIMD(exp) MT_SIMD(exp2) MT_SIMD(expm1) MT_SIMD(log) MT_SIMD(log2) MT_SIMD(log10)
MT_SIMD(log1p) MT_SIMD(sin) MT_SIMD(cos) MT_SIMD(tan) MT_SIMD(asin) MT_SIMD(acos)
MT_SIMD(atan) MT_SIMD(sinh) MT_SIMD(cosh) MT_SIMD(tanh)
__attribute__((__simd__("notinbranch"))) double pow(double, double);
__attribute__((__simd__("notinbranch"))) float powf(float, float);
#endif

/* The first fields of a numpy array object (numpy's PyArrayObject_fields).
 * Kernels receive the array objects themselves and read them here; the
 * loader (link/c/thunk.py) checks once that numpy lays them out this way. */
typedef struct {
    intptr_t ob_refcnt;
    void *ob_type;
    char *data;
    int nd;
    intptr_t *dimensions;
    intptr_t *strides;
    void *base;
    void *descr;
    int flags;
} mt_array;

#define MT_ALIGNED 0x0100   /* numpy's NPY_ARRAY_ALIGNED */
#define MT_WRITEABLE 0x0400 /* numpy's NPY_ARRAY_WRITEABLE */
#define MT_MAXDIMS 64       /* numpy's limit */
#define MT_MAXOPS 32

/* What a kernel returns; the Python side turns it into an exception.
 * MT_REFUSED: inputs the op does not accept (a max over an empty axis, a class
 * index out of range): the op's own Python code is run to say why. */
enum { MT_OK, MT_BAD_ARRAY, MT_BAD_SHAPE, MT_REFUSED, MT_OVERLAP, MT_VALUE_ERROR };

/* The dtypes, numbered as the loader passes their numpy dtype objects. */
enum { MT_bool, MT_int8, MT_int16, MT_int32, MT_int64, MT_uint8, MT_uint16, MT_uint32,
       MT_uint64, MT_float32, MT_float64, MT_NDTYPES };

/* The loop machinery below is compiled once per module and called by every
 * kernel (inlined into each, it would multiply the compile time). */
#define MT_SHARED static __attribute__((noinline))

static void *mt_ndarray_type;
static void *mt_descr[MT_NDTYPES];

/* Called once by the loader with numpy.ndarray and the dtype objects. */
int mt_init(void *ndarray_type, void **descrs)
{
    mt_ndarray_type = ndarray_type;
    for (int k = 0; k < MT_NDTYPES; k++) mt_descr[k] = descrs[k];
    return (int)sizeof(mt_array);
}

/* Is `a` an aligned numpy array of `dtype` with `nd` dimensions?  (If not,
 * the Python side converts it and calls again.) */
static inline bool mt_is_array(const mt_array *a, int dtype, int nd)
{
    return a->ob_type == mt_ndarray_type && a->descr == mt_descr[dtype] && a->nd == nd
           && (a->flags & MT_ALIGNED);
}

/* Has `a` the lengths `shape`, except 1 in the dimensions whose bit is set in `bcast`? */
MT_SHARED bool mt_has_shape(const mt_array *a, const intptr_t *shape, uint64_t bcast)
{
    for (int d = 0; d < a->nd; d++) {
        if (a->dimensions[d] != ((bcast >> d & 1) ? 1 : shape[d])) return false;
    }
    return true;
}

/* A loop over `nd` dimensions for `nop` arrays: each array's stride (in
 * bytes) in every dimension, and where it is now. */
typedef struct {
    int nd, nop;
    intptr_t shape[MT_MAXDIMS];
    intptr_t index[MT_MAXDIMS];
    intptr_t strides[MT_MAXOPS][MT_MAXDIMS];
    char *ptr[MT_MAXOPS];
} mt_loop;

static inline void mt_loop_init(mt_loop *L, int nd, const intptr_t *shape)
{
    L->nd = nd;
    L->nop = 0;
    for (int d = 0; d < nd; d++) L->shape[d] = shape[d];
}

/* Add an array that starts at `data` and moves `strides[d]` bytes along dimension d. */
static inline void mt_loop_add_strided(mt_loop *L, char *data, const intptr_t *strides)
{
    for (int d = 0; d < L->nd; d++) L->strides[L->nop][d] = strides[d];
    L->ptr[L->nop++] = data;
}

/* --8<-- [start:loop-add] */
/* Add array `a`, stretched along the dimensions whose bit is set in `bcast`:
 * there it does not move (stride 0), so every position reads its one element. */
MT_SHARED void mt_loop_add(mt_loop *L, const mt_array *a, uint64_t bcast)
{
    intptr_t strides[MT_MAXDIMS];
    for (int d = 0; d < L->nd; d++) strides[d] = (bcast >> d & 1) ? 0 : a->strides[d];
    mt_loop_add_strided(L, a->data, strides);
}
/* --8<-- [end:loop-add] */

/* Reorder the dimensions so that array k moves least in the innermost ones
 * (a reduction reads its input in memory order). */
MT_SHARED void mt_loop_sort(mt_loop *L, int k)
{
    for (int d = 1; d < L->nd; d++) {
        for (int e = d; e > 0; e--) {
            intptr_t outer = L->strides[k][e - 1], inner = L->strides[k][e];
            if ((outer < 0 ? -outer : outer) >= (inner < 0 ? -inner : inner)) break;
            intptr_t t = L->shape[e]; L->shape[e] = L->shape[e - 1]; L->shape[e - 1] = t;
            for (int j = 0; j < L->nop; j++) {
                t = L->strides[j][e]; L->strides[j][e] = L->strides[j][e - 1];
                L->strides[j][e - 1] = t;
            }
        }
    }
}

/* --8<-- [start:loop-simplify] */
/* Drop dimensions of length 1 and merge each dimension into the one before
 * it when that is possible for every array (outer stride == inner stride *
 * inner length).  A C-contiguous (1000, 1000) loop becomes one loop of 10^6.
 * Returns false when there is nothing to do (some length is 0). */
MT_SHARED bool mt_loop_simplify(mt_loop *L)
{
    int nd = 0;
    for (int d = 0; d < L->nd; d++) {
        if (L->shape[d] == 0) return false;
        if (L->shape[d] == 1) continue;
        bool merge = nd > 0;
        for (int k = 0; k < L->nop && merge; k++) {
            merge = L->strides[k][nd - 1] == L->strides[k][d] * L->shape[d];
        }
        if (merge) {
            L->shape[nd - 1] *= L->shape[d];
        } else {
            L->shape[nd] = L->shape[d];
            nd++;
        }
        for (int k = 0; k < L->nop; k++) L->strides[k][nd - 1] = L->strides[k][d];
    }
    if (nd == 0) {  /* a single element */
        L->shape[0] = 1;
        for (int k = 0; k < L->nop; k++) L->strides[k][0] = 0;
        nd = 1;
    }
    L->nd = nd;
    for (int d = 0; d < nd; d++) L->index[d] = 0;
    return true;
}
/* --8<-- [end:loop-simplify] */

/* --8<-- [start:loop-next] */
/* Move every pointer to the start of the next run of the innermost
 * dimension, counting like an odometer; false when all runs are done. */
MT_SHARED bool mt_loop_next(mt_loop *L)
{
    for (int d = L->nd - 2; d >= 0; d--) {
        if (++L->index[d] < L->shape[d]) {
            for (int k = 0; k < L->nop; k++) L->ptr[k] += L->strides[k][d];
            return true;
        }
        L->index[d] = 0;
        for (int k = 0; k < L->nop; k++) L->ptr[k] -= L->strides[k][d] * (L->shape[d] - 1);
    }
    return false;
}
/* --8<-- [end:loop-next] */

/* Restart the loop with array k at `data` (the inner scan of an argmax). */
static inline void mt_loop_restart(mt_loop *L, int k, char *data)
{
    for (int d = 0; d < L->nd; d++) L->index[d] = 0;
    L->ptr[k] = data;
}

/* The number of elements of `a`. */
static inline intptr_t mt_size(const mt_array *a)
{
    intptr_t n = 1;
    for (int d = 0; d < a->nd; d++) n *= a->dimensions[d];
    return n;
}

/* May writing `out` in place change what `a` still has to read?  Only when
 * their bytes overlap without being the very same elements. */
MT_SHARED bool mt_overlap(const mt_array *a, const mt_array *out, int itemsize)
{
    if (a->data == out->data && a->nd == out->nd) {
        bool same = true;
        for (int d = 0; d < a->nd && same; d++) {
            same = a->dimensions[d] == out->dimensions[d]
                   && (a->strides[d] == out->strides[d] || a->dimensions[d] == 1);
        }
        if (same) return false;
    }
    char *lo[2], *hi[2];
    const mt_array *arrays[2] = {a, out};
    for (int k = 0; k < 2; k++) {
        lo[k] = hi[k] = arrays[k]->data;
        for (int d = 0; d < arrays[k]->nd; d++) {
            intptr_t span = arrays[k]->strides[d] * (arrays[k]->dimensions[d] - 1);
            if (arrays[k]->dimensions[d] == 0) return false;
            if (span < 0) lo[k] += span; else hi[k] += span;
        }
        hi[k] += itemsize;
    }
    return lo[0] < hi[1] && lo[1] < hi[0];
}
