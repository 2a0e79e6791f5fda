"""Theano's `theano.tensor.raw_random`: the draws as pure functions of a generator
state, returning (new state, sample).  minitheano's code is in tensor/random.py
(chapter 2); this module gives it Theano's name."""

from minitheano.tensor.random import (
    RandomFunction,
    RandomStateType,
    binomial,
    choice,
    multinomial,
    normal,
    permutation,
    poisson,
    random_integers,
    random_state_type,
    uniform,
)

__all__ = ["RandomFunction", "RandomStateType", "binomial", "choice", "multinomial", "normal",
           "permutation", "poisson", "random_integers", "random_state_type", "uniform"]
