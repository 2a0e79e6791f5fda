"""Philox4x32-10: random numbers as a pure function of a counter (chapter 8).

A counter-based generator (Salmon et al., "Parallel random numbers: as easy
as 1, 2, 3", SC 2011) has no state to step through: the n-th block of
random bits is a fixed, scrambling function of (key, n),

    bits = philox(counter=n, key)

ten rounds of multiplications and xors on four 32-bit words.  So any block
can be computed without computing the blocks before it, in any order, by
any number of threads: a GPU kernel in which thread n computes block n
gives exactly the bits a CPU loop gives.  That is what makes
MRG_RandomStreams reproducible from its seed on every backend.

Here the function is numpy, applied to many counters at once (one column
each); its known answers are checked against Random123's published test
vectors.
"""

from __future__ import annotations

import numpy as np

# The round multipliers and the key increments (Weyl constants: the golden
# ratio and sqrt(3) - 1, as 32-bit fractions), from the paper.
MULTIPLIERS = (0xD2511F53, 0xCD9E8D57)
KEY_STEPS = (0x9E3779B9, 0xBB67AE85)
ROUNDS = 10
MASK32 = 0xFFFFFFFF


def _mulhilo(a: int, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The high and low 32-bit halves of the 64-bit product a * b."""
    product = np.uint64(a) * b.astype(np.uint64)
    return product >> np.uint64(32), product & np.uint64(MASK32)


def philox4x32(counters: np.ndarray, key: tuple[int, int]) -> np.ndarray:
    """The four 32-bit words of random bits for each counter.

    counters: shape (4, n), uint32 (one 128-bit counter per column)
    key:      two 32-bit ints
    returns:  shape (4, n), uint32
    """
    c = [np.asarray(counters[i], dtype=np.uint64) for i in range(4)]
    k0, k1 = key[0] & MASK32, key[1] & MASK32
    for r in range(ROUNDS):
        if r:  # the key moves on between rounds
            k0, k1 = (k0 + KEY_STEPS[0]) & MASK32, (k1 + KEY_STEPS[1]) & MASK32
        # --8<-- [start:ex-ch08-philox-round]
        hi0, lo0 = _mulhilo(MULTIPLIERS[0], c[0])
        hi1, lo1 = _mulhilo(MULTIPLIERS[1], c[2])
        c = [hi1 ^ c[1] ^ np.uint64(k0), lo1, hi0 ^ c[3] ^ np.uint64(k1), lo0]
        # --8<-- [end:ex-ch08-philox-round]
    return np.stack(c).astype(np.uint32)


def random_words(key: tuple[int, int], call: int, n_words: int) -> np.ndarray:
    """`n_words` 32-bit words: the draw number `call` of a stream with `key`.

    Block b of the draw has the counter (b, 0, call low word, call high word),
    so draws and blocks never share a counter.
    """
    blocks = -(-n_words // 4)
    counters = np.zeros((4, blocks), dtype=np.uint32)
    counters[0] = np.arange(blocks, dtype=np.uint64) & MASK32
    counters[1] = np.arange(blocks, dtype=np.uint64) >> 32
    counters[2], counters[3] = call & MASK32, (call >> 32) & MASK32
    # Block b gives words 4b .. 4b + 3.
    return philox4x32(counters, key).T.reshape(-1)[:n_words]


# Turning words into floats strictly inside (0, 1): the top bits of each word,
# plus half a step, so that neither 0 nor 1 is ever drawn and log(u) is always
# finite.  One bit fewer than the float's mantissa holds, so that the half
# step is exact: with 24 bits, (2**24 - 0.5) / 2**24 would round to 1 in float32.
FLOAT32_BITS, FLOAT64_HIGH_BITS, FLOAT64_LOW_BITS = 23, 26, 26


def uniform_from_words(words: np.ndarray, dtype: str) -> np.ndarray:
    """One float per word (float32) or per pair of words (float64), in (0, 1)."""
    words = words.astype(np.uint64)
    if dtype == "float32":
        top = words >> np.uint64(32 - FLOAT32_BITS)
        return ((top + 0.5) * 2.0 ** -FLOAT32_BITS).astype(np.float32)
    high = words[0::2] >> np.uint64(32 - FLOAT64_HIGH_BITS)
    low = words[1::2] >> np.uint64(32 - FLOAT64_LOW_BITS)
    bits = (high << np.uint64(FLOAT64_LOW_BITS)) | low  # 52 bits
    return (bits + 0.5) * 2.0 ** -(FLOAT64_HIGH_BITS + FLOAT64_LOW_BITS)
