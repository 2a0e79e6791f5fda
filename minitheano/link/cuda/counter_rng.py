"""Philox4x32 as a CUDA kernel, printed from its description (chapters 6 and 8).

MRG_RandomStreams draws from a counter-based generator (sandbox/philox.py):
block b of draw number `call` is a pure function of (key, counter = (b, call)),
so the kernel gives thread b block b and no thread looks at any other.  The
description (`PhiloxKernel`) carries the generator's numbers -- its round
multipliers, key steps, round count and how many bits of a word make a float
-- as philox.py defines them, and the printer writes the rounds from them:
one place holds the constants, the numpy version and this kernel both read it.

The words become floats in the kernel by philox.uniform_from_words's own
arithmetic (the top bits of a word plus half a step): every step is exact in
floating point, so the device's uniforms are the CPU's, bit for bit.  The
stream's state (key, draws so far) stays on the device: the kernel reads it
there and its first thread writes the next one.  The launch is in
link/cuda/layer_launch.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from minitheano.tensor.kernel import PhiloxKernel

if TYPE_CHECKING:
    from minitheano.link.cuda.printer import CudaFunction, CudaPrinter

# A block of four 32-bit words makes four float32s or two float64s.
VALUES_PER_BLOCK = {"float32": 4, "float64": 2}


def _rounds(printer: CudaPrinter, k: PhiloxKernel) -> str:
    """The device helper running the rounds on one counter c[0..3] under the key
    (k0, k1), in place: per round, two 32 x 32 -> 64-bit products whose halves are
    mixed with the other words and the key; the key moves on between rounds."""
    name = "mt_philox_rounds"
    (m0, m1), (s0, s1) = k.multipliers, k.key_steps
    round_ = [f"if (round) {{ k0 += {s0:#010x}u; k1 += {s1:#010x}u; }}",
              f"const uint64_t p0 = (uint64_t){m0:#010x}u * c[0], "
              f"p1 = (uint64_t){m1:#010x}u * c[2];",
              "const uint32_t c1 = c[1], c3 = c[3];",
              "c[0] = (uint32_t)(p1 >> 32) ^ c1 ^ k0;",
              "c[1] = (uint32_t)p1;",
              "c[2] = (uint32_t)(p0 >> 32) ^ c3 ^ k1;",
              "c[3] = (uint32_t)p0;"]
    lines = [f"{printer.qualifier} void {name}(uint32_t c[4], uint32_t k0, uint32_t k1)", "{",
             f"    for (int round = 0; round < {k.rounds}; round++) {{",
             *["        " + line for line in round_], "    }", "}"]
    printer.helpers[(name, str(k.multipliers + k.key_steps + (k.rounds,)))] = "\n".join(lines)
    return name


def _to_floats(k: PhiloxKernel) -> list[str]:
    """Block b's words as floats in (0, 1), written at out[values * b ...]; exact:
    fewer significant bits than the float holds."""
    if k.dtype == "float32":
        (bits,) = k.bits
        return ["for (int w = 0; w < 4 && 4 * b + w < n; w++)",
                f"    out[4 * b + w] = ((float)(c[w] >> {32 - bits}) + 0.5f)"
                f" * (1.0f / {2 ** bits}.0f);"]
    high, low = k.bits
    return ["for (int h = 0; h < 2 && 2 * b + h < n; h++) {",
            f"    const uint64_t bits = (uint64_t)(c[2 * h] >> {32 - high}) << {low}",
            f"                          | c[2 * h + 1] >> {32 - low};",
            f"    out[2 * b + h] = ((double)bits + 0.5) * (1.0 / {2 ** (high + low)}.0);",
            "}"]


def philox(printer: CudaPrinter, name: str, k: PhiloxKernel) -> CudaFunction:
    """out[0 .. n): n uniforms; thread b computes block b (grid-stride over the blocks).
    state = (key, call) on the device; next = (key, call + 1)."""
    if k.dtype not in VALUES_PER_BLOCK:
        raise NotImplementedError(f"no CUDA Philox draws of {k.dtype}")
    rounds = _rounds(printer, k)
    per_block = VALUES_PER_BLOCK[k.dtype]
    block = ["uint32_t c[4] = {(uint32_t)b, (uint32_t)((uint64_t)b >> 32),",
             "                 (uint32_t)call, (uint32_t)(call >> 32)};",
             f"{rounds}(c, (uint32_t)key, (uint32_t)(key >> 32));", *_to_floats(k)]
    body = ["const uint64_t key = state[0], call = state[1];",
            f"if ({printer.first_index} == 0) {{  /* one thread moves the stream on */",
            "    next[0] = key;", "    next[1] = call + 1;", "}",
            *printer._grid_stride(f"(n + {per_block - 1}) / {per_block}", block, "b")]
    params = [("long", "n"), ("const uint64_t *", "state"), ("uint64_t *", "next"),
              (f"{printer.ctype(k.dtype)} *", "out")]
    return printer._function(name, params, body)
