"""Chapter 8's update rules against a numpy implementation of each formula, over a few
steps, with hypothesis choosing the hyperparameters; weight decay; early stopping.

(Named test_update_rules.py: chapter 2 already has a test_updates.py.)"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minitheano as theano
import minitheano.tensor as T
from minitheano.examples import updates as U
from minitheano.examples.train import EarlyStopping

STEPS = 4


def numpy_sgd(p, g, state, lr):
    return p - lr * g


def numpy_momentum(p, g, state, lr, momentum):
    state["v"] = momentum * state.get("v", 0) - lr * g
    return p + state["v"]


def numpy_nesterov(p, g, state, lr, momentum):
    state["v"] = momentum * state.get("v", 0) - lr * g
    return p + momentum * state["v"] - lr * g


def numpy_rmsprop(p, g, state, lr, rho, epsilon):
    state["a"] = rho * state.get("a", 0) + (1 - rho) * g * g
    return p - lr * g / np.sqrt(state["a"] + epsilon)


def numpy_adam(p, g, state, lr, beta1, beta2, epsilon):
    """Kingma & Ba's algorithm 1 as printed: bias-corrected moments."""
    t = state["t"] = state.get("t", 0) + 1
    state["m"] = beta1 * state.get("m", 0) + (1 - beta1) * g
    state["v"] = beta2 * state.get("v", 0) + (1 - beta2) * g * g
    m_hat, v_hat = state["m"] / (1 - beta1 ** t), state["v"] / (1 - beta2 ** t)
    # Lasagne folds the correction into the step, so epsilon is scaled by sqrt(1 - b2^t):
    return p - lr * m_hat / (np.sqrt(v_hat) + epsilon / np.sqrt(1 - beta2 ** t))


def grad_numpy(p, target):
    """The gradient of sum(p^4 / 4 - target p): p^3 - target (a rule's state matters)."""
    return p ** 3 - target


class CompiledRule:
    """One rule compiled once with its hyperparameters as symbolic inputs, so hypothesis's
    examples only call it (a compile per example would cost the suite seconds)."""

    def __init__(self, rule, names):
        rng = np.random.default_rng(0)
        self.start = [rng.normal(size=(3, 2)), rng.normal(size=4)]
        self.targets = [rng.normal(size=(3, 2)), rng.normal(size=4)]
        self.params = [theano.shared(v.copy(), name=f"p{i}") for i, v in enumerate(self.start)]
        cost = sum(T.sum(p ** 4 / 4 - p * t) for p, t in zip(self.params, self.targets))
        self.names = names
        hyper = {name: T.dscalar(name) for name in names}
        updates = rule(cost, self.params, **hyper)
        self.state = [v for v, _ in updates if v not in self.params]
        self.step = theano.function([hyper[n] for n in names], cost, updates=updates)

    def run(self, numpy_rule, **values):
        for param, start in zip(self.params, self.start):
            param.set_value(start.copy())
        for variable in self.state:  # a fresh start: zero velocities, averages, step count
            variable.set_value(np.zeros_like(variable.get_value()))
        expected, states = [v.copy() for v in self.start], [{} for _ in self.start]
        numpy_values = {NUMPY_NAMES.get(n, n): v for n, v in values.items()}
        for _ in range(STEPS):
            self.step(*[values[n] for n in self.names])
            expected = [numpy_rule(v, grad_numpy(v, t), s, **numpy_values)
                        for v, t, s in zip(expected, self.targets, states)]
            for param, value in zip(self.params, expected):
                np.testing.assert_allclose(param.get_value(), value, rtol=1e-10, atol=1e-12)


NUMPY_NAMES = {"learning_rate": "lr"}
COMPILED = {}


def compiled(rule, *names):
    if rule not in COMPILED:
        COMPILED[rule] = CompiledRule(rule, ("learning_rate",) + names)
    return COMPILED[rule]


rates = st.floats(1e-3, 0.2)
decays = st.floats(0.0, 0.99)


@settings(max_examples=10)
@given(lr=rates)
def test_sgd(lr):
    compiled(U.sgd).run(numpy_sgd, learning_rate=lr)


@settings(max_examples=10)
@given(lr=rates, mu=decays)
def test_momentum(lr, mu):
    compiled(U.momentum, "momentum").run(numpy_momentum, learning_rate=lr, momentum=mu)


@settings(max_examples=10)
@given(lr=rates, mu=decays)
def test_nesterov_momentum(lr, mu):
    compiled(U.nesterov_momentum, "momentum").run(numpy_nesterov, learning_rate=lr,
                                                   momentum=mu)


@settings(max_examples=10)
@given(lr=rates, rho=decays, eps=st.floats(1e-8, 1e-2))
def test_rmsprop(lr, rho, eps):
    compiled(U.rmsprop, "rho", "epsilon").run(numpy_rmsprop, learning_rate=lr, rho=rho,
                                              epsilon=eps)


@settings(max_examples=10)
@given(lr=rates, beta1=decays, beta2=st.floats(0.5, 0.9999), eps=st.floats(1e-8, 1e-3))
def test_adam(lr, beta1, beta2, eps):
    compiled(U.adam, "beta1", "beta2", "epsilon").run(
        numpy_adam, learning_rate=lr, beta1=beta1, beta2=beta2, epsilon=eps)


def test_rules_with_python_number_hyperparameters_match_too():
    """The usual call, constants folded into the graph: the default settings, one run each."""
    for rule, numpy_rule, options in [
            (U.momentum, numpy_momentum, dict(momentum=0.9)),
            (U.nesterov_momentum, numpy_nesterov, dict(momentum=0.9)),
            (U.rmsprop, numpy_rmsprop, dict(rho=0.9, epsilon=1e-6)),
            (U.adam, numpy_adam, dict(beta1=0.9, beta2=0.999, epsilon=1e-8))]:
        case = CompiledRule(lambda c, p, learning_rate, r=rule: r(c, p, learning_rate),
                            ("learning_rate",))
        case.run(lambda p, g, s, lr, f=numpy_rule, o=options: f(p, g, s, lr, **o),
                 learning_rate=0.01)


def test_adam_first_step_moves_each_weight_by_about_the_learning_rate():
    """The bias correction's point: the first step is lr * sign(g), whatever |g| is."""
    p = theano.shared(np.array([1e-3, 5.0, -200.0]))
    step = theano.function([], updates=U.adam(T.sum(p * np.array([0.1, 1.0, -1e3])), [p],
                                              learning_rate=0.01))
    step()
    np.testing.assert_allclose(p.get_value(), [1e-3 - 0.01, 5.0 - 0.01, -200.0 + 0.01],
                               rtol=1e-5)


def test_rules_take_gradients_written_by_hand():
    p = theano.shared(np.array([1.0, -2.0]))
    step = theano.function([], updates=U.sgd([2 * p], [p], learning_rate=0.25))
    step()
    np.testing.assert_allclose(p.get_value(), [0.5, -1.0])
    with pytest.raises(ValueError, match="1 gradients for 2 parameters"):
        U.sgd([2 * p], [p, p])


def test_rules_keep_float32_parameters_float32():
    p = theano.shared(np.ones(3, dtype=np.float32))
    for rule in (U.sgd, U.momentum, U.nesterov_momentum, U.rmsprop, U.adam):
        updates = rule(T.sum(p ** 2), [p])
        assert all(new.dtype == "float32" for _, new in updates)
        theano.function([], updates=updates)()  # and the function compiles
    assert p.get_value().dtype == np.float32


WEIGHT_DECAY = {}


def weight_decay_step():
    """SGD on a cost with an L2 penalty, lr and wd symbolic (compiled once)."""
    if not WEIGHT_DECAY:
        rng = np.random.default_rng(1)
        value, target = rng.normal(size=5), rng.normal(size=5)
        p, lr, wd = theano.shared(value.copy()), T.dscalar("lr"), T.dscalar("wd")
        cost = T.sum(p ** 4 / 4 - p * target) + U.l2_penalty([p], wd)
        WEIGHT_DECAY.update(p=p, value=value, target=target, step=theano.function(
            [lr, wd], U.l2_penalty([p], wd), updates=U.sgd(cost, [p], learning_rate=lr)))
    return WEIGHT_DECAY


@settings(max_examples=10)
@given(lr=rates, wd=st.floats(0.0, 0.1))
def test_weight_decay_shrinks_weights_toward_zero(lr, wd):
    """With SGD, the L2 penalty's gradient makes the step p <- (1 - lr wd) p - lr g."""
    case = weight_decay_step()
    value = case["value"].copy()
    case["p"].set_value(value.copy())
    for _ in range(STEPS):
        penalty = case["step"](lr, wd)  # the penalty before the step
        np.testing.assert_allclose(penalty, wd / 2 * np.sum(value ** 2), rtol=1e-12)
        value = (1 - lr * wd) * value - lr * grad_numpy(value, case["target"])
    np.testing.assert_allclose(case["p"].get_value(), value, rtol=1e-10)


# -- early stopping -----------------------------------------------------------------------

def test_early_stopping_stops_after_patience_epochs_and_restores_the_best():
    p = theano.shared(np.zeros(2))
    stopper = EarlyStopping([p], patience=3)
    errors = [0.5, 0.4, 0.45, 0.3, 0.31, 0.3, 0.35, 0.1]  # best at epoch 3; then 3 worse
    stopped_at = None
    for epoch, error in enumerate(errors):
        p.set_value(np.full(2, float(epoch)))
        if stopper.should_stop(epoch, error):
            stopped_at = epoch
            break
    assert stopped_at == 6  # epochs 4, 5, 6 did not beat 0.3 (an equal error is no progress)
    assert (stopper.best_epoch, stopper.best_error) == (3, 0.3)
    stopper.restore()
    np.testing.assert_array_equal(p.get_value(), [3.0, 3.0])


def test_early_stopping_keeps_copies_not_the_live_arrays():
    p = theano.shared(np.ones(2))
    stopper = EarlyStopping([p], patience=1)
    assert not stopper.should_stop(0, 0.2)
    p.get_value(borrow=True)[:] = 7.0  # training overwrites the weights in place
    assert stopper.should_stop(1, 0.9)
    stopper.restore()
    np.testing.assert_array_equal(p.get_value(), [1.0, 1.0])
