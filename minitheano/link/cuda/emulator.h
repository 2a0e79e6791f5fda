/* The CUDA built-ins for running CUDA C on the CPU (chapter 6).

   A kernel's text is compiled unchanged by the system C++ compiler after
   this header.  One launch runs its blocks one after another; the threads of
   a block are user-space fibers (each with its own small stack) that run
   until they reach a barrier (__syncthreads) or a warp collective
   (__shfl_down_sync, __syncwarp), then hand over to the next.  Between two
   barriers the threads run in the order the launch asks for (forward,
   reverse, or shuffled), so a kernel whose result depends on that order is
   missing a barrier.  Before each block, shared memory is filled with a
   poison byte pattern (0xff: NaN in every float), so a read of shared memory
   no thread wrote shows up.  A barrier that some threads of the block never
   reach (they returned) is reported as an error, as is a warp collective
   reached by only part of a warp.

   What it cannot tell: speed, coalescing, bank conflicts, warps running in
   lockstep, memory-ordering bugs between blocks, the GPU's own rounding.
*/
#undef _FORTIFY_SOURCE  /* its longjmp check rejects jumps between fiber stacks */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <ucontext.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
/* Every __shared__ variable goes into one linker section: the linker then
   defines its start and end, which is how each block poisons all of them. */
#define __shared__ __attribute__((section("mt_shared"))) static
extern char __start_mt_shared[] __attribute__((weak));
extern char __stop_mt_shared[] __attribute__((weak));

struct dim3 {
    unsigned x, y, z;
};

enum { MT_WARP_SIZE = 32, MT_STACK_BYTES = 64 * 1024, MT_MAX_THREADS = 1024 };
enum mt_state { MT_RUNNABLE, MT_AT_BARRIER, MT_AT_WARP, MT_DONE };

struct mt_fiber {
    jmp_buf ctx;         /* where the fiber stopped */
    ucontext_t start;    /* how it begins (its own stack) */
    char *stack;
    int started;
    mt_state state;
    dim3 idx;
    unsigned warp_mask;  /* the mask its warp collective was called with */
    uint64_t slot;       /* the value it offers to a warp shuffle */
    uint64_t result;     /* the value the shuffle gives it back */
    int shuffle_from;    /* which lane it reads, or -1 (a __syncwarp) */
};

static mt_fiber mt_fibers[MT_MAX_THREADS];
static mt_fiber *mt_current;
static jmp_buf mt_scheduler;
/* The kernel a launch runs: its launcher's call of the kernel, and the launch's
   arguments.  A plain function pointer, not std::function: <functional> alone
   would be two thirds of the header's compile time, paid by every module. */
typedef void (*mt_kernel_call)(void **args);
static mt_kernel_call mt_body;
static void **mt_body_args;
static char mt_error[512];
static dim3 blockIdx, blockDim, gridDim;
#define threadIdx (mt_current->idx)

static void mt_fail(const char *message)
{
    if (!mt_error[0])
        snprintf(mt_error, sizeof mt_error, "%s (block %u,%u; thread %u,%u)", message,
                 blockIdx.x, blockIdx.y, mt_current ? mt_current->idx.x : 0,
                 mt_current ? mt_current->idx.y : 0);
}

/* Give the CPU back to the scheduler; return when it resumes this fiber. */
static void mt_yield(mt_state why)
{
    mt_current->state = why;
    if (!_setjmp(mt_current->ctx))
        _longjmp(mt_scheduler, 1);
}

static void __syncthreads()
{
    if (!mt_current->stack) {  /* a kernel the printer said had no barrier */
        mt_fail("__syncthreads in a kernel launched without fibers");
        return;
    }
    mt_yield(MT_AT_BARRIER);
}

static void mt_warp_collective(unsigned mask, int from)
{
    if (!mt_current->stack) {
        mt_fail("a warp collective in a kernel launched without fibers");
        return;
    }
    mt_current->warp_mask = mask;
    mt_current->shuffle_from = from;
    mt_yield(MT_AT_WARP);
}

static void __syncwarp(unsigned mask = 0xffffffffu)
{
    mt_warp_collective(mask, -1);
}

template <typename T>
static T __shfl_down_sync(unsigned mask, T value, unsigned delta)
{
    static_assert(sizeof(T) <= sizeof(uint64_t), "a shuffle moves at most 8 bytes");
    memcpy(&mt_current->slot, &value, sizeof(T));
    unsigned lane = (mt_current->idx.x + mt_current->idx.y * blockDim.x) % MT_WARP_SIZE;
    mt_warp_collective(mask, lane + delta < MT_WARP_SIZE ? (int)(lane + delta) : (int)lane);
    T got;
    memcpy(&got, &mt_current->result, sizeof(T));
    return got;
}

static float __int_as_float(int bits) { float f; memcpy(&f, &bits, 4); return f; }
static double __longlong_as_double(long long bits) { double d; memcpy(&d, &bits, 8); return d; }
template <typename T> static T min(T a, T b) { return a < b ? a : b; }
template <typename T> static T max(T a, T b) { return a > b ? a : b; }

static void mt_fiber_main()
{
    mt_body(mt_body_args);
    mt_current->state = MT_DONE;
    _longjmp(mt_scheduler, 1);
}

/* Run fiber f until it stops (barrier, warp collective, or end). */
static void mt_resume(mt_fiber *f)
{
    mt_current = f;
    f->state = MT_RUNNABLE;
    if (_setjmp(mt_scheduler))
        return;
    if (!f->started) {
        f->started = 1;
        ucontext_t here;
        getcontext(&f->start);
        f->start.uc_stack.ss_sp = f->stack;
        f->start.uc_stack.ss_size = MT_STACK_BYTES;
        f->start.uc_link = NULL;
        makecontext(&f->start, mt_fiber_main, 0);
        swapcontext(&here, &f->start);  /* never comes back here: the fiber longjmps */
    }
    _longjmp(f->ctx, 1);
}

/* Release the warps whose every lane waits at a collective; 1 if any was. */
static int mt_release_warps(int n)
{
    int released = 0;
    for (int w = 0; w < n; w += MT_WARP_SIZE) {
        int end = w + MT_WARP_SIZE < n ? w + MT_WARP_SIZE : n, waiting = 0;
        for (int t = w; t < end; t++)
            waiting += mt_fibers[t].state == MT_AT_WARP;
        if (waiting == 0)
            continue;
        if (waiting != MT_WARP_SIZE || end - w != MT_WARP_SIZE) {
            mt_current = &mt_fibers[w];
            mt_fail(end - w != MT_WARP_SIZE
                        ? "a warp collective with a full mask in a partial warp"
                        : "a warp collective that not every lane of the warp reached");
            return 0;
        }
        for (int t = w; t < end; t++) {
            mt_fiber *f = &mt_fibers[t];
            if (f->warp_mask != 0xffffffffu) {
                mt_current = f;
                mt_fail("a warp collective with a partial mask (the emulator wants full warps)");
                return 0;
            }
            f->result = f->shuffle_from < 0 ? 0 : mt_fibers[w + f->shuffle_from].slot;
        }
        for (int t = w; t < end; t++)
            mt_fibers[t].state = MT_RUNNABLE;
        released = 1;
    }
    return released;
}

/* One block with fibers: each barrier interval runs the threads in `order`
   (0 forward, 1 reverse, 2 shuffled by `seed`). */
static void mt_run_block(int n, int order, unsigned *seed)
{
    static int sequence[MT_MAX_THREADS];
    for (int t = 0; t < n; t++) {
        mt_fiber *f = &mt_fibers[t];
        f->started = 0;
        f->state = MT_RUNNABLE;
        f->idx.x = t % blockDim.x;
        f->idx.y = t / blockDim.x;
        f->idx.z = 0;
    }
    for (;;) {
        int count = 0;
        for (int t = 0; t < n; t++)
            if (mt_fibers[t].state == MT_RUNNABLE)
                sequence[count++] = t;
        if (count == 0) {
            int done = 0, barrier = 0;
            for (int t = 0; t < n; t++) {
                done += mt_fibers[t].state == MT_DONE;
                barrier += mt_fibers[t].state == MT_AT_BARRIER;
            }
            if (done == n || mt_error[0])
                return;
            if (mt_release_warps(n))
                continue;
            if (mt_error[0])
                return;
            if (done > 0 || barrier != n) {
                mt_current = &mt_fibers[0];
                mt_fail("a divergent __syncthreads: some threads of the block returned "
                        "or wait elsewhere while others wait at the barrier");
                return;
            }
            for (int t = 0; t < n; t++)
                mt_fibers[t].state = MT_RUNNABLE;
            continue;
        }
        if (order == 1)
            for (int i = 0; i < count / 2; i++) {
                int tmp = sequence[i];
                sequence[i] = sequence[count - 1 - i];
                sequence[count - 1 - i] = tmp;
            }
        if (order == 2)
            for (int i = count - 1; i > 0; i--) {
                int j = rand_r(seed) % (i + 1), tmp = sequence[i];
                sequence[i] = sequence[j];
                sequence[j] = tmp;
            }
        for (int i = 0; i < count && !mt_error[0]; i++)
            mt_resume(&mt_fibers[sequence[i]]);
    }
}

/* One launch: every block of the grid, with fibers when the kernel has
   barriers or warp collectives, as plain calls otherwise.  0: no error. */
static int mt_launch(unsigned gx, unsigned gy, unsigned bx, unsigned by, int fibers, int order,
                     int poison, mt_kernel_call body, void **args)
{
    static char *stacks;
    unsigned n = bx * by;
    mt_error[0] = 0;
    if (n == 0 || n > MT_MAX_THREADS) {
        snprintf(mt_error, sizeof mt_error, "a block of %u threads (1 to %d)", n,
                 (int)MT_MAX_THREADS);
        return 1;
    }
    if (fibers && !stacks)
        stacks = (char *)malloc((size_t)MT_MAX_THREADS * MT_STACK_BYTES);
    mt_body = body;
    mt_body_args = args;
    gridDim = dim3{gx, gy, 1};
    blockDim = dim3{bx, by, 1};
    unsigned seed = 12345;
    static mt_fiber plain;  /* the one "thread" of a call without fibers */
    for (unsigned y = 0; y < gy; y++)
        for (unsigned x = 0; x < gx; x++) {
            blockIdx = dim3{x, y, 0};
            if (__start_mt_shared != __stop_mt_shared)
                memset(__start_mt_shared, poison, __stop_mt_shared - __start_mt_shared);
            if (fibers) {
                for (unsigned t = 0; t < n; t++)
                    mt_fibers[t].stack = stacks + (size_t)t * MT_STACK_BYTES;
                mt_run_block((int)n, order, &seed);
            } else {
                mt_current = &plain;
                for (unsigned i = 0; i < n; i++) {
                    unsigned t = order == 1 ? n - 1 - i : i;
                    plain.idx = dim3{t % bx, t / bx, 0};
                    body(args);
                }
            }
            if (mt_error[0])
                return 1;
        }
    return 0;
}

extern "C" const char *mt_emulator_error(void) { return mt_error; }
