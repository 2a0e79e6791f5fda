"""f.copy(): swap shared variables, drop updates, share state (chapter 2)."""

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano import In


def test_tutorial_copying_functions():
    # Theano tutorial, "Copying functions", verbatim.  Theano 1.0 printed the
    # copies' results as one-element lists ([array(0)]): its copy() forgot
    # that the original returned a single output.  Ours keeps the original's form.
    state = theano.shared(0)
    inc = T.iscalar('inc')
    accumulator = theano.function([inc], state, updates=[(state, state+inc)])
    assert accumulator(10) == 0
    assert state.get_value() == 10
    new_state = theano.shared(0)
    new_accumulator = accumulator.copy(swap={state: new_state})
    assert new_accumulator(100) == 0
    assert new_state.get_value() == 100
    assert state.get_value() == 10
    null_accumulator = accumulator.copy(delete_updates=True)
    assert null_accumulator(9000) == 10
    assert state.get_value() == 10
    # The copies keep working independently.
    assert accumulator(1) == 10 and state.get_value() == 11
    assert new_accumulator(1) == 100 and new_state.get_value() == 101


def test_copy_reuses_the_compiled_graph_unless_updates_are_deleted():
    s = theano.shared(0.0)
    x = T.dscalar('x')
    f = theano.function([x], s + x, updates=[(s, s + x)])
    assert f.copy().maker is f.maker
    assert f.copy(swap={s: theano.shared(1.0)}).maker is f.maker
    assert f.copy(delete_updates=True).maker is not f.maker


def test_swap_checks_its_arguments():
    s = theano.shared(0.0, name="s")
    x = T.dscalar('x')
    f = theano.function([x], s + x, name="f")
    with pytest.raises(TypeError, match="differ in type"):
        f.copy(swap={s: theano.shared(np.zeros(2))})
    with pytest.raises(TypeError, match="shared variable"):
        f.copy(swap={s: x})
    with pytest.raises(ValueError, match="not used by function f"):
        f.copy(swap={theano.shared(1.0): theano.shared(2.0)})


def test_copy_name():
    x = T.dscalar('x')
    f = theano.function([x], x * 2, name="double")
    assert f.copy().name == "double copy"
    assert f.copy(name="twice").name == "twice"
    assert theano.function([x], x * 2).copy().name is None


def test_copy_state_is_separate_unless_share_memory():
    x = T.dscalar('x')
    acc = T.dscalar('acc')
    f = theano.function([x, In(acc, value=0.0, update=acc + x)], acc)
    f(5.0)
    separate = f.copy()
    shared_state = f.copy(share_memory=True)
    assert separate(1.0) == 0.0  # starts from the compile-time value
    assert shared_state(1.0) == 5.0  # continues from f's state ...
    assert f(0.0) == 6.0  # ... and f sees what the copy did
    assert separate(0.0) == 1.0


def test_copy_keeps_defaults_and_keywords():
    x, y = T.dscalars('x', 'y')
    f = theano.function([x, In(y, value=1.0, name='yy')], x * y)
    for g in (f.copy(), f.copy(share_memory=True), f.copy(delete_updates=True)):
        assert g(3.0) == 3.0
        assert g(3.0, yy=2.0) == 6.0
        assert g(3.0) == 3.0
