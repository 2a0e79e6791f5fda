"""Training a classifier the Theano way (chapter 8): minibatches, early stopping, progress.

Two ways to feed minibatches to a compiled step:

* **through `givens`** (deeplearning.net's pattern): the whole training set lives in
  shared variables, and the step takes only a minibatch *index*; `givens` replaces the
  model's input variables by slices of the shared data, so no array crosses the call
  (on a GPU, the data stays on the device);
* **as arrays**: the step takes `(x_batch, y_batch)` like any function; simpler, and the
  batches can be reshuffled every epoch.

A model is any object with `params` (shared variables), `negative_log_likelihood(y)` and
`errors(y)`, built on an input matrix `x` and a label vector `y` (see logistic.py).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import minitheano as theano
import minitheano.tensor as T
from minitheano.compile import Function, SharedVariable
from minitheano.examples import updates as update_rules
from minitheano.examples.data import DataSet, Split
from minitheano.graph.basic import Variable

RULES: dict[str, Callable[..., update_rules.Updates]] = {
    "sgd": update_rules.sgd, "momentum": update_rules.momentum,
    "nesterov": update_rules.nesterov_momentum, "rmsprop": update_rules.rmsprop,
    "adam": update_rules.adam,
}


@dataclass(frozen=True)
class SharedSplit:
    """A split's images and labels as shared variables (the data of a `givens` step)."""

    x: SharedVariable
    y: SharedVariable

    @classmethod
    def of(cls, split: Split, name: str = "train") -> SharedSplit:
        return cls(theano.shared(split.x, name=f"{name}_x", borrow=True),
                   theano.shared(split.y, name=f"{name}_y", borrow=True))


def compile_givens_step(x: Variable, y: Variable, cost: Variable, updates: Any,
                        data: SharedSplit, batch_size: int) -> Function:
    """A step `train(index)` on minibatch `index` of `data` (rows index*b to (index+1)*b)
    that returns `cost` and applies `updates`."""
    index = T.lscalar("index")
    # --8<-- [start:ex-ch08-givens-minibatch]
    rows = slice(index * batch_size, (index + 1) * batch_size)
    return theano.function([index], cost, updates=updates,
                           givens={x: data.x[rows], y: data.y[rows]})
    # --8<-- [end:ex-ch08-givens-minibatch]


def minibatches(split: Split, batch_size: int,
                rng: np.random.Generator | None = None) -> list[Split]:
    """`split` cut into minibatches of `batch_size` rows (the last, smaller one dropped),
    in a new random order if `rng` is given."""
    order = np.arange(len(split)) if rng is None else rng.permutation(len(split))
    n_batches = len(split) // batch_size
    return [Split(split.x[rows], split.y[rows])
            for rows in order[:n_batches * batch_size].reshape(n_batches, batch_size)]


class EarlyStopping:
    """Stop when the validation error has not improved for `patience` epochs; keep the
    parameters of the best epoch so far (`restore` puts them back)."""

    def __init__(self, params: Sequence[SharedVariable], patience: int):
        self.params, self.patience = list(params), patience
        self.best_error, self.best_epoch, self.epochs_without_progress = np.inf, -1, 0
        self.best_values: list[np.ndarray] = [p.get_value() for p in self.params]

    def should_stop(self, epoch: int, valid_error: float) -> bool:
        """Record epoch `epoch`'s validation error; True when training should end."""
        # --8<-- [start:ex-ch08-early-stopping]
        if valid_error < self.best_error:
            self.best_error, self.best_epoch = valid_error, epoch
            self.best_values = [p.get_value() for p in self.params]  # copies
            self.epochs_without_progress = 0
        else:
            self.epochs_without_progress += 1
        return self.epochs_without_progress >= self.patience
        # --8<-- [end:ex-ch08-early-stopping]

    def restore(self) -> None:
        for param, value in zip(self.params, self.best_values):
            param.set_value(value)


@dataclass(frozen=True)
class TrainConfig:
    """How to train: the update rule and its settings, minibatches, when to stop."""

    rule: str = "sgd"
    learning_rate: float = 0.1
    rule_options: dict = field(default_factory=dict)  # e.g. {"momentum": 0.9}
    weight_decay: float = 0.0
    batch_size: int = 32
    max_epochs: int = 50
    patience: int = 10  # epochs without a better validation error before stopping
    feed: str = "givens"  # or "arrays"
    seed: int = 0  # the order of minibatches when fed as arrays
    progress: bool = False  # a tqdm bar over the epochs

    def __str__(self) -> str:
        options = [f"learning rate {self.learning_rate}"]
        options += [f"{name} {value}" for name, value in self.rule_options.items()]
        if self.weight_decay:
            options.append(f"weight decay {self.weight_decay}")
        return (f"{self.rule} ({', '.join(options)}), minibatches of {self.batch_size} "
                f"through {self.feed}, at most {self.max_epochs} epochs, patience "
                f"{self.patience}")


@dataclass
class History:
    """One entry per epoch."""

    train_loss: list[float] = field(default_factory=list)  # mean NLL of the epoch's steps
    valid_error: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # training time, cumulative


@dataclass
class TrainResult:
    history: History
    best_epoch: int
    valid_error: float  # at the best epoch, whose parameters the model keeps
    test_error: float
    seconds: float  # training only, compile time excluded
    steps: int

    @property
    def test_accuracy(self) -> float:
        return 1.0 - self.test_error

    def summary(self, name: str) -> str:
        return (f"{name}: test accuracy {100 * self.test_accuracy:.2f}% "
                f"(validation {100 * (1 - self.valid_error):.2f}% at epoch "
                f"{self.best_epoch + 1}), {self.steps} steps in {self.seconds:.1f} s")


def compile_steps(model: Any, x: Variable, y: Variable, train: Split,
                  config: TrainConfig) -> Callable[[np.random.Generator], list[float]]:
    """A function running one epoch of training steps, returning each step's negative
    log likelihood (the cost the updates follow adds the weight decay's penalty)."""
    nll = model.negative_log_likelihood(y)
    cost = nll
    if config.weight_decay:
        weights = [p for p in model.params if p.ndim > 1]  # biases are not decayed
        cost = nll + update_rules.l2_penalty(weights, config.weight_decay)
    if config.rule not in RULES:
        raise ValueError(f"unknown update rule {config.rule!r}; one of {sorted(RULES)}")
    updates = RULES[config.rule](cost, model.params, learning_rate=config.learning_rate,
                                 **config.rule_options)
    if config.feed == "givens":
        step = compile_givens_step(x, y, nll, updates, SharedSplit.of(train),
                                   config.batch_size)
        n_batches = len(train) // config.batch_size
        return lambda rng: [float(step(i)) for i in range(n_batches)]
    if config.feed == "arrays":
        step = theano.function([x, y], nll, updates=updates)
        return lambda rng: [float(step(b.x, b.y))
                            for b in minibatches(train, config.batch_size, rng)]
    raise ValueError(f"feed must be 'givens' or 'arrays', not {config.feed!r}")


def _progress_bar(config: TrainConfig) -> Any:
    """A tqdm bar over the epochs, or None (not asked for, or tqdm not installed)."""
    if not config.progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        warnings.warn("no progress bar: tqdm is not installed (pip install "
                      "'minitheano[examples]')", stacklevel=3)
        return None
    return tqdm(total=config.max_epochs, desc="epochs", unit="epoch")


def train_classifier(model: Any, x: Variable, y: Variable, data: DataSet,
                     config: TrainConfig = TrainConfig()) -> TrainResult:
    """Train `model` on `data.train` with early stopping on `data.valid`; the model keeps
    its best parameters, whose error on `data.test` is reported."""
    run_epoch = compile_steps(model, x, y, data.train, config)
    error = theano.function([x, y], model.errors(y))
    stopper = EarlyStopping(model.params, config.patience)
    history, rng, seconds = History(), np.random.default_rng(config.seed), 0.0
    bar = _progress_bar(config)
    for epoch in range(config.max_epochs):
        start = time.perf_counter()
        losses = run_epoch(rng)
        seconds += time.perf_counter() - start
        valid_error = float(error(data.valid.x, data.valid.y))
        history.train_loss.append(float(np.mean(losses)))
        history.valid_error.append(valid_error)
        history.seconds.append(seconds)
        if bar is not None:
            bar.update()
            bar.set_postfix(loss=f"{history.train_loss[-1]:.4f}",
                            valid=f"{100 * (1 - valid_error):.1f}%")
        if stopper.should_stop(epoch, valid_error):
            break
    if bar is not None:
        bar.close()
    stopper.restore()
    steps = len(history.train_loss) * (len(data.train) // config.batch_size)
    return TrainResult(history, stopper.best_epoch, stopper.best_error,
                       float(error(data.test.x, data.test.y)), seconds, steps)
