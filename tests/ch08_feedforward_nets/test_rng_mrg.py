"""MRG_RandomStreams (sandbox/rng_mrg.py, sandbox/philox.py): Philox's known
answers; streams reproducible from the seed, equal to an independent scalar
Philox, the same in every mode; moments within statistical bounds; dropout."""

from __future__ import annotations

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T
from minitheano.sandbox import philox
from minitheano.sandbox.rng_mrg import MRG_RandomStreams
from minitheano.tensor.nnet import dropout

M32 = 0xFFFFFFFF

# Random123's kat_vectors for philox4x32-10: counter, key, expected words.
KNOWN_ANSWERS = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((M32, M32, M32, M32), (M32, M32), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


def scalar_philox(counter, key):
    """Philox4x32-10 on Python ints, one counter: the published algorithm again,
    written independently of the library's vectorized numpy."""
    c0, c1, c2, c3 = counter
    k0, k1 = key
    for _ in range(10):
        p0, p1 = 0xD2511F53 * c0, 0xCD9E8D57 * c2
        c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & M32, (p0 >> 32) ^ c3 ^ k1, p0 & M32
        k0, k1 = (k0 + 0x9E3779B9) & M32, (k1 + 0xBB67AE85) & M32
    return (c0, c1, c2, c3)


@pytest.mark.parametrize("counter, key, expected", KNOWN_ANSWERS)
def test_philox_known_answers(counter, key, expected):
    got = philox.philox4x32(np.array(counter, dtype=np.uint32).reshape(4, 1), key)[:, 0]
    assert tuple(int(v) for v in got) == expected
    assert scalar_philox(counter, key) == expected


def test_a_draw_is_philox_of_its_counter():
    """The numbers depend only on (key, call, block): any backend computing block b
    of call c (a GPU thread each) gets the same bits."""
    srng = MRG_RandomStreams(seed=42)
    u = srng.uniform((5,), dtype="float32")
    f = theano.function([], u)
    key = int(u.rng.get_value()[0])
    for call in range(3):
        words = [w for block in range(2) for w in
                 scalar_philox((block, 0, call, 0), (key & M32, key >> 32))][:5]
        expected = [((w >> 9) + 0.5) / 2 ** 23 for w in words]
        np.testing.assert_array_equal(f(), np.array(expected, dtype="float32"))


def test_the_c_generator_gives_the_numpy_bits():
    """Two implementations of the same counter-based function: the C one (what
    a GPU thread per block would run) and numpy's must agree bit for bit."""
    from minitheano.link.c.op_thunks import load
    from minitheano.sandbox import philox_c

    c_words = philox_c.words_function(load(philox_c.SOURCE))
    for key, call, n in [((0, 0), 0, 1), ((123, 456), 7, 13), ((M32, M32), 2 ** 40 + 3, 64),
                         ((5, 0), 1, 0)]:
        np.testing.assert_array_equal(c_words(key, call, n), philox.random_words(key, call, n))


def test_fast_run_draws_with_the_c_generator(monkeypatch):
    from minitheano.sandbox import philox_c

    calls = []
    real = philox_c.words_function

    def recording(lib):
        words = real(lib)

        def counted(*args):
            calls.append(args[2])
            return words(*args)
        return counted

    monkeypatch.setattr(philox_c, "words_function", recording)
    f = theano.function([], MRG_RandomStreams(1).uniform((3,), dtype="float64"),
                        mode="FAST_RUN")
    f()
    assert calls == [6]  # two words per float64


def test_uniforms_never_reach_0_or_1():
    extremes = np.array([0, M32, 0, M32], dtype=np.uint32)
    for dtype in ("float32", "float64"):
        u = philox.uniform_from_words(extremes, dtype)
        assert u.dtype == dtype and (u > 0).all() and (u < 1).all()


def _draws(seed, mode="FAST_RUN"):
    srng = MRG_RandomStreams(seed)
    outs = [srng.uniform((3, 4)), srng.normal((7,)), srng.binomial((6,), p=0.4),
            srng.multinomial(pvals=[[0.2, 0.8], [0.5, 0.5]], n=3),
            srng.choice(size=2, p=[[0.1, 0.2, 0.7]])]
    return srng, theano.function([], outs, mode=mode)


NORMAL = 1  # the position of the normal draw in _draws


def _same(a, b, k):
    """Bit for bit, except normals: Box-Muller's log and cos come from each
    backend's math library (numpy's, or the C vector library), equal to rounding."""
    if k == NORMAL:
        np.testing.assert_allclose(a, b, rtol=1e-14, atol=1e-15)
    else:
        np.testing.assert_array_equal(a, b)


def test_reproducible_from_the_seed_in_every_mode():
    _, f = _draws(7)
    _, g = _draws(7, mode="FAST_COMPILE")
    first, second = f(), f()
    for k, (a, b) in enumerate(zip(first, g())):
        _same(a, b, k)
    for k, (a, b) in enumerate(zip(second, g())):
        _same(a, b, k)
    assert not np.array_equal(first[0], second[0])       # each call draws anew
    assert not np.array_equal(first[0], _draws(8)[1]()[0])  # another seed, other numbers


def test_seed_restarts_every_variable():
    srng, f = _draws(7)
    first = f()
    f()
    srng.seed(7)
    for k, (a, b) in enumerate(zip(first, f())):
        _same(a, b, k)
    srng.seed(9)
    assert not np.array_equal(first[0], f()[0])


def test_variables_of_one_stream_differ_and_updates_are_listed():
    srng = MRG_RandomStreams(3)
    a, b = srng.uniform((50,)), srng.uniform((50,))
    va, vb = theano.function([], [a, b])()
    assert not np.allclose(va, vb)
    assert [s for s, _ in srng.updates()] == [a.rng, b.rng]
    f = theano.function([], a, no_default_updates=True)
    np.testing.assert_array_equal(f(), f())


N = 20000
Z = 5  # bounds of 5 standard errors: fails with probability < 1e-6 per check


def test_uniform_moments_and_range():
    srng = MRG_RandomStreams(11)
    for dtype in ("float32", "float64"):
        u = theano.function([], srng.uniform((N,), low=-1.0, high=3.0, dtype=dtype))()
        assert u.dtype == dtype and u.min() > -1 and u.max() < 3
        assert abs(u.mean() - 1.0) < Z * np.sqrt(16 / 12 / N)
        assert abs(u.var() - 16 / 12) < Z * 16 * np.sqrt(1 / 180 / N)
        # every tenth of the interval gets its share
        counts = np.histogram(u, bins=10, range=(-1, 3))[0]
        assert np.all(np.abs(counts - N / 10) < Z * np.sqrt(N * 0.1 * 0.9))


def test_normal_moments():
    srng = MRG_RandomStreams(12)
    z = theano.function([], srng.normal((N,), avg=2.0, std=3.0))()
    assert abs(z.mean() - 2.0) < Z * 3 / np.sqrt(N)
    assert abs(z.std() - 3.0) < Z * 3 / np.sqrt(2 * N)
    standard = (z - 2.0) / 3.0
    assert abs(np.mean(standard ** 3)) < Z * np.sqrt(15 / N)       # no skew
    assert abs(np.mean(standard ** 4) - 3) < Z * np.sqrt(96 / N)    # Gaussian tails


def test_binomial_moments_and_symbolic_size():
    srng = MRG_RandomStreams(13)
    x = T.matrix("x")
    b = srng.binomial(size=x.shape, n=4, p=0.3, dtype="float32")
    sample = theano.function([x], b)(np.zeros((100, 200), dtype=x.dtype))
    assert sample.shape == (100, 200) and sample.dtype == "float32"
    assert set(np.unique(sample)) <= {0, 1, 2, 3, 4}
    assert abs(sample.mean() - 1.2) < Z * np.sqrt(4 * 0.3 * 0.7 / N)
    assert abs(sample.var() - 0.84) < 0.05


def test_multinomial_frequencies():
    srng = MRG_RandomStreams(14)
    pvals = np.array([[0.1, 0.6, 0.3], [1.0, 0.0, 0.0]])
    counts = theano.function([], srng.multinomial(pvals=pvals, n=N))()
    assert counts.shape == pvals.shape and counts.dtype == "int64"
    np.testing.assert_array_equal(counts.sum(axis=1), [N, N])
    np.testing.assert_array_equal(counts[1], [N, 0, 0])
    assert np.all(np.abs(counts[0] - N * pvals[0]) < Z * np.sqrt(N * pvals[0] * (1 - pvals[0])))


def test_choice_without_replacement():
    srng = MRG_RandomStreams(15)
    p = np.array([[0.5, 0.3, 0.1, 0.1]] * 2000)
    picks = theano.function([], srng.choice(size=3, p=p))()
    assert picks.shape == (2000, 3)
    assert all(len(set(row)) == 3 for row in picks)              # no class twice
    first = np.bincount(picks[:, 0], minlength=4) / 2000
    assert np.all(np.abs(first - p[0]) < Z * np.sqrt(p[0] * (1 - p[0]) / 2000))
    # the second pick, given the first was class 0, follows the renormalized rest
    second = np.bincount(picks[picks[:, 0] == 0, 1], minlength=4)
    expected = np.array([0, 0.6, 0.2, 0.2]) * second.sum()
    assert np.all(np.abs(second - expected) < Z * np.sqrt(second.sum() * 0.25) + 1)


def test_dropout():
    srng = MRG_RandomStreams(16)
    x = T.matrix("x")
    y = dropout(x, 0.25, srng)
    f = theano.function([x], [y, T.grad(y.sum(), x)])
    ones = np.ones((200, 100), dtype=x.dtype)
    out, grad = f(ones)
    dropped = np.mean(out == 0)
    assert abs(dropped - 0.25) < Z * np.sqrt(0.25 * 0.75 / ones.size)
    np.testing.assert_allclose(out[out != 0], 1 / 0.75)                 # survivors rescaled
    np.testing.assert_allclose(grad, out)                               # d y / d x = mask / keep
    assert dropout(x, 0, srng) is x
    with pytest.raises(ValueError, match="in \\[0, 1\\)"):
        dropout(x, 1.0, srng)


@pytest.mark.parametrize("build, message", [
    (lambda s: MRG_RandomStreams(-1), "non-negative int"),
    (lambda s: s.choice(size=2, p=[[0.5, 0.5]], replace=True), "only replace=False"),
    (lambda s: s.multinomial(pvals=None), "probabilities .* are required"),
    (lambda s: s.binomial((3,), n=0), "n must be an int >= 1"),
    (lambda s: s.uniform(T.lvector()), "give ndim"),
])
def test_bad_arguments(build, message):
    with pytest.raises((ValueError, NotImplementedError), match=message):
        build(MRG_RandomStreams(1))


def test_bad_probabilities_at_call_time():
    srng = MRG_RandomStreams(1)
    p = T.matrix("p")
    f = theano.function([p], srng.multinomial(pvals=p))
    with pytest.raises(ValueError, match="summing to 1"):
        f(np.array([[0.5, 0.6]], dtype=p.dtype))
    g = theano.function([p], srng.choice(size=3, p=p))
    with pytest.raises(ValueError, match="cannot choose 3 of 2 classes"):
        g(np.array([[0.5, 0.5]], dtype=p.dtype))
