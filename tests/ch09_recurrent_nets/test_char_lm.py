"""Chapter 9's character-level language model: the data, the bar it must beat, sampling
inside a scan with MRG multinomial, and a short seeded training run."""

import numpy as np

import minitheano as theano
import minitheano.tensor as T
from minitheano.examples.char_lm import (
    CharModel,
    CharRun,
    load_text,
    train_char_model,
    unigram_entropy,
    windows,
)


def test_text_ships_with_the_package_and_round_trips():
    data = load_text()
    assert len(data.train) > 1500 and len(data.valid) > 150
    text = data.decode(np.concatenate([data.train, data.valid]))
    assert text.startswith("four score and seven years ago")
    assert np.array_equal(data.encode(text[:50]), data.train[:50])


def test_unigram_entropy_against_a_direct_count():
    data = load_text()
    freq = {c: 1 + list(data.train).count(i) for i, c in enumerate(data.chars)}
    total = sum(freq.values())
    want = -np.mean([np.log(freq[data.chars[i]] / total) for i in data.valid])
    assert abs(unigram_entropy(data) - want) < 1e-12


def test_windows_are_next_character_pairs():
    data = load_text()
    w = windows(data.train, 10, np.random.default_rng(0), 4)
    assert w.shape == (11, 4)
    for column in w.T:
        start = next(i for i in range(len(data.train)) if
                     np.array_equal(data.train[i:i + 11], column))
        assert start >= 0


def test_sampling_in_a_scan_follows_the_softmax():
    data = load_text()
    model = CharModel(np.random.default_rng(0), len(data.chars), 8)
    p = np.random.default_rng(3).dirichlet(np.ones(len(data.chars)))
    model.V.set_value(np.zeros_like(model.V.get_value()))  # the state is ignored:
    model.c.set_value(np.log(p))  # every step draws from p
    run = CharRun(data, model, [], [], 1)
    n = 4000
    drawn = run.sample("t", n, seed=5, temperature=1.0)[1:]
    assert len(drawn) == n and set(drawn) <= set(data.chars)
    freq = np.bincount(data.encode(drawn), minlength=len(p)) / n
    assert np.all(np.abs(freq - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-3)
    # Seeded: the same seed draws the same text, another seed another.
    assert run.sample("t", 50, seed=5) == run.sample("t", 50, seed=5)
    assert run.sample("t", 50, seed=5) != run.sample("t", 50, seed=6)


def test_the_cost_is_the_mean_negative_log_likelihood():
    data = load_text()
    model = CharModel(np.random.default_rng(0), len(data.chars), 5)
    text = T.imatrix("text")
    f = theano.function([text], model.cost(text))
    model.V.set_value(np.zeros_like(model.V.get_value()))
    model.c.set_value(np.zeros(len(data.chars)))  # uniform predictions
    assert abs(f(data.train[:21, None]) - np.log(len(data.chars))) < 1e-12


def test_short_seeded_run_beats_the_unigram_entropy():
    run = train_char_model(n_hidden=32, max_steps=60, evaluate_every=10, patience=2)
    assert min(run.valid_loss) < unigram_entropy(run.data) - 0.2
    assert run.train_loss[-1] < run.train_loss[0]
