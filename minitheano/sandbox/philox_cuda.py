"""Philox4x32-10 as a CUDA kernel, for MRG_RandomStreams with device=cuda (chapter 8).

The generator was chosen for this (philox.py): block b of a draw is a pure
function of (key, counter = (b, call)), so the kernel gives thread b block b
and every thread computes its four words without looking at any other.  The
words become floats in the kernel, by the very arithmetic of
philox.uniform_from_words (the top 23 bits of a word plus half a step for
float32; 26 + 26 bits of two words for float64): every step is exact in
floating point, so the GPU's uniforms are the CPU's, bit for bit, from the
same seed.

The stream's state (key, draws so far) stays on the device: the kernel reads
it there and its first thread writes the next state, so a training step
drawing dropout masks never copies the state back to the host.
"""

from __future__ import annotations

from typing import Any

from minitheano.sandbox.philox import FLOAT32_BITS, FLOAT64_HIGH_BITS, FLOAT64_LOW_BITS

SOURCE = f"""/* minitheano MRG_RandomStreams on the GPU: Philox4x32-10 (sandbox/philox_cuda.py) */
#include <stdint.h>

/* Ten rounds on one counter (c[0..3]) under the key (k0, k1), in place (philox_c.py). */
__device__ static void philox_block(uint32_t c[4], uint32_t k0, uint32_t k1)
{{
    for (int round = 0; round < 10; round++) {{
        if (round) {{ k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }}
        const uint64_t p0 = (uint64_t)0xD2511F53u * c[0], p1 = (uint64_t)0xCD9E8D57u * c[2];
        const uint32_t c1 = c[1], c3 = c[3];
        c[0] = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
        c[1] = (uint32_t)p1;
        c[2] = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
        c[3] = (uint32_t)p0;
    }}
}}

/* The counter of block b of draw number `call`: (b, 0, call's low word, call's high word). */
__device__ static void philox_counter(uint32_t c[4], uint64_t b, uint64_t call)
{{
    c[0] = (uint32_t)b; c[1] = (uint32_t)(b >> 32);
    c[2] = (uint32_t)call; c[3] = (uint32_t)(call >> 32);
}}

/* out[0 .. n): n float32 uniforms in (0, 1), one per word; a thread per block of 4 words.
   state = (key, call); next = (key, call + 1). */
extern "C" __global__ void philox_uniform_float(long n, const uint64_t *state, uint64_t *next,
                                                 float *out)
{{
    const long first = blockIdx.x * (long)blockDim.x + threadIdx.x;
    const uint64_t key = state[0], call = state[1];
    if (first == 0) {{ next[0] = key; next[1] = call + 1; }}
    for (long b = first; 4 * b < n; b += (long)blockDim.x * gridDim.x) {{
        uint32_t c[4];
        philox_counter(c, (uint64_t)b, call);
        philox_block(c, (uint32_t)key, (uint32_t)(key >> 32));
        for (int w = 0; w < 4 && 4 * b + w < n; w++)  /* exact: 24 significant bits */
            out[4 * b + w] = ((float)(c[w] >> {32 - FLOAT32_BITS}) + 0.5f)
                             * (1.0f / {2 ** FLOAT32_BITS}.0f);
    }}
}}

/* out[0 .. n): n float64 uniforms in (0, 1), one per pair of words; a thread per block. */
extern "C" __global__ void philox_uniform_double(long n, const uint64_t *state, uint64_t *next,
                                                  double *out)
{{
    const long first = blockIdx.x * (long)blockDim.x + threadIdx.x;
    const uint64_t key = state[0], call = state[1];
    if (first == 0) {{ next[0] = key; next[1] = call + 1; }}
    for (long b = first; 2 * b < n; b += (long)blockDim.x * gridDim.x) {{
        uint32_t c[4];
        philox_counter(c, (uint64_t)b, call);
        philox_block(c, (uint32_t)key, (uint32_t)(key >> 32));
        for (int h = 0; h < 2 && 2 * b + h < n; h++) {{  /* exact: 53 significant bits */
            const uint64_t high = c[2 * h] >> {32 - FLOAT64_HIGH_BITS};
            const uint64_t low = c[2 * h + 1] >> {32 - FLOAT64_LOW_BITS};
            const uint64_t bits = high << {FLOAT64_LOW_BITS} | low;
            out[2 * b + h] = ((double)bits + 0.5)
                             * (1.0 / {2 ** (FLOAT64_HIGH_BITS + FLOAT64_LOW_BITS)}.0);
        }}
    }}
}}
"""

# Values per thread: a block of four words makes 4 float32s or 2 float64s.
VALUES_PER_BLOCK = {"float32": 4, "float64": 2}
_KERNEL = {"float32": "philox_uniform_float", "float64": "philox_uniform_double"}


def draw(op: Any, gpu: Any, state: Any, size: Any) -> tuple[Any, Any]:
    """PhiloxUniform on the device: (next state, uniforms), both device arrays."""
    shape = op.sample_shape(gpu.to_host(size))
    n = 1
    for length in shape:
        n *= length
    state = gpu.c_order(state)
    next_state = gpu.empty((2,), "uint64")
    out = gpu.empty(shape, op.dtype)
    threads = max(-(-n // VALUES_PER_BLOCK[op.dtype]), 1)  # one at least: the next state
    gpu.each(_KERNEL[op.dtype], n, [gpu.address(state), gpu.address(next_state),
                                    gpu.address(out)], [next_state, out], threads)
    return next_state, out
