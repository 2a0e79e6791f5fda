"""A character-level language model, and text sampled from it inside a scan (chapter 9).

The text is public domain and ships with the package (`data/gettysburg.txt`: Lincoln's
Gettysburg Address, Bliss copy, and the Preamble of the US Constitution), lower-cased:
1,800 characters, 30-odd distinct ones. The model reads a character at a time (one-hot),
a GRU carries the state, and a softmax over the characters predicts the next one; the
cost is the mean negative log likelihood per character, in nats. A model that learned
nothing but the characters' frequencies scores the text's *unigram entropy*; what the
GRU learns about spelling shows as a validation loss below it.

Sampling is a loop too: each step feeds the character just drawn back in, so the whole
sample is one `scan`, drawing with `MRG_RandomStreams.multinomial` (its generator's
state is a shared variable the loop updates; pass scan's `updates` to `function`).

    python -m minitheano.examples.char_lm       # train a little, print samples
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import minitheano as theano
import minitheano.tensor as T
from minitheano.examples.data import DATA_DIR
from minitheano.examples.mlp import glorot_uniform
from minitheano.examples.recurrent import GRU
from minitheano.examples.train import EarlyStopping
from minitheano.examples.updates import adam, clip_by_norm
from minitheano.graph.basic import Variable
from minitheano.sandbox.rng_mrg import MRG_RandomStreams

TEXT_FILE = DATA_DIR / "gettysburg.txt"
VALID_FRACTION = 0.1  # the end of the text, held out
CLIP_NORM = 5.0  # the gradients' largest total norm


@dataclass(frozen=True)
class CharData:
    """The text as character indices, split in two, and the alphabet."""

    chars: str  # the alphabet: index i is chars[i]
    train: np.ndarray  # int32 indices
    valid: np.ndarray

    def encode(self, text: str) -> np.ndarray:
        return np.array([self.chars.index(c) for c in text], dtype="int32")

    def decode(self, indices: np.ndarray) -> str:
        return "".join(self.chars[i] for i in indices)


def load_text(path: str | Path = TEXT_FILE) -> CharData:
    """The text, lower-cased, with its lines joined: training part, then validation."""
    text = " ".join(Path(path).read_text(encoding="utf-8").lower().split())
    chars = "".join(sorted(set(text)))
    indices = np.array([chars.index(c) for c in text], dtype="int32")
    cut = int(len(indices) * (1 - VALID_FRACTION))
    return CharData(chars, indices[:cut], indices[cut:])


def unigram_entropy(data: CharData) -> float:
    """The cross-entropy (nats per character) of the validation text under the training
    text's character frequencies (add-one smoothed): the bar a model must beat."""
    counts = np.bincount(data.train, minlength=len(data.chars)) + 1.0
    p = counts / counts.sum()
    return float(-np.mean(np.log(p[data.valid])))


def windows(indices: np.ndarray, length: int, rng: np.random.Generator,
            batch: int) -> np.ndarray:
    """`batch` random windows of `length + 1` characters, time first: (length + 1, batch)."""
    starts = rng.integers(0, len(indices) - length - 1, size=batch)
    return np.stack([indices[s:s + length + 1] for s in starts], axis=1)


class CharModel:
    """One-hot characters -> GRU -> softmax over the next character."""

    def __init__(self, rng: np.random.Generator, n_chars: int, n_hidden: int):
        dtype = theano.config.floatX
        self.n_chars = n_chars
        self.gru = GRU(rng, n_chars, n_hidden)
        self.V = theano.shared(glorot_uniform(rng, n_hidden, n_chars, (n_hidden, n_chars),
                                              dtype), name="V")
        self.c = theano.shared(np.zeros(n_chars, dtype=dtype), name="c")
        self.params = [*self.gru.params, self.V, self.c]
        self.one_hot = T.constant(np.eye(n_chars, dtype=dtype))

    def cost(self, text: Variable) -> Variable:
        """Mean -log P(next character) over a (length + 1, batch) matrix of indices."""
        inputs, targets = text[:-1], text[1:]
        h = self.gru(self.one_hot[inputs])  # (length, batch, n_hidden)
        logits = T.dot(h, self.V) + self.c
        flat = logits.reshape((-1, self.n_chars))
        p = T.nnet.softmax(flat)
        return -T.mean(T.log(p)[T.arange(flat.shape[0]), targets.flatten()])

    def sampler(self, srng: MRG_RandomStreams, first: Variable, n_steps: Variable,
                temperature: float = 1.0) -> tuple[Variable, object]:
        """`n_steps` characters drawn one by one after the index `first`; (indices,
        scan's updates: the random generator's new state)."""
        h0 = T.unbroadcast(T.zeros((1, self.gru.n_hidden), dtype=self.V.dtype), 0)

        def step(x_prev, h_prev):
            xw = T.dot(x_prev, self.gru.W) + self.gru.b
            h = self.gru.step(xw, h_prev)
            p = T.nnet.softmax((T.dot(h, self.V) + self.c) / temperature)
            return [srng.multinomial(pvals=p, dtype=self.V.dtype), h]

        start = T.unbroadcast(self.one_hot[first].dimshuffle("x", 0), 0)  # (1, n_chars)
        (drawn, _), updates = theano.scan(step, outputs_info=[start, h0], n_steps=n_steps)
        return T.argmax(drawn[:, 0, :], axis=1), updates


@dataclass
class CharRun:
    data: CharData
    model: CharModel
    train_loss: list[float]
    valid_loss: list[float]  # one per evaluation; the model keeps the best one's weights
    steps_per_evaluation: int

    def sample(self, prefix_char: str, n: int, seed: int = 1,
               temperature: float = 0.7) -> str:
        srng = MRG_RandomStreams(seed)
        first, n_steps = T.iscalar("first"), T.iscalar("n_steps")
        drawn, updates = self.model.sampler(srng, first, n_steps, temperature)
        f = theano.function([first, n_steps], drawn, updates=updates)
        return prefix_char + self.data.decode(f(self.data.chars.index(prefix_char), n))


def train_char_model(n_hidden: int = 64, max_steps: int = 200, length: int = 32,
                     batch: int = 16, learning_rate: float = 0.01, evaluate_every: int = 10,
                     patience: int = 3, seed: int = 0) -> CharRun:
    """Adam on random windows of the training text, gradients clipped by norm; every
    `evaluate_every` steps the validation loss, with chapter 8's early stopping (the text
    is tiny: the model soon starts to learn it by heart)."""
    data = load_text()
    rng = np.random.default_rng(seed)
    model = CharModel(rng, len(data.chars), n_hidden)
    text = T.imatrix("text")
    cost = model.cost(text)
    grads = clip_by_norm(T.grad(cost, model.params), CLIP_NORM)
    train = theano.function([text], cost, updates=adam(grads, model.params, learning_rate))
    evaluate = theano.function([text], cost)
    valid = data.valid[:, None]  # the held-out text as one sequence
    stopper = EarlyStopping(model.params, patience)
    train_loss, valid_loss = [], []
    for i in range(max_steps):
        train_loss.append(float(train(windows(data.train, length, rng, batch))))
        if (i + 1) % evaluate_every == 0:
            valid_loss.append(float(evaluate(valid)))
            if stopper.should_stop(len(valid_loss) - 1, valid_loss[-1]):
                break
    stopper.restore()
    return CharRun(data, model, train_loss, valid_loss, evaluate_every)


def main() -> None:
    run = train_char_model()
    print(f"unigram entropy of the validation text: {unigram_entropy(run.data):.3f} nats")
    print(f"validation loss: {min(run.valid_loss):.3f} nats per character")
    for seed in range(3):
        print(repr(run.sample("t", 120, seed=seed)))


if __name__ == "__main__":
    main()
