"""theano.compile's Mode, DebugMode and ProfileMode as Theano 1.0 programs name them
(chapter 2)."""

import numpy as np
import pytest

import minitheano as theano
from minitheano import tensor as T
from minitheano.compile import DebugMode, Mode, ProfileMode


@pytest.mark.parametrize("linker, optimizer", [("py", "fast_compile"), ("c", "fast_run"),
                                               ("cvm", None), ("vm", "fast_run")])
def test_mode_with_theano_linker_and_optimizer_names(linker, optimizer):
    x = T.dvector("x")
    f = theano.function([x], T.exp(x) + 1, mode=Mode(linker=linker, optimizer=optimizer))
    np.testing.assert_allclose(f(np.array([0.0, 1.0])), np.exp([0.0, 1.0]) + 1)


def test_debugmode_class_runs_the_checking_linker():
    x = T.dvector("x")
    mode = DebugMode(check_isfinite=False)
    assert mode == theano.compile.get_mode("DebugMode")
    f = theano.function([x], x * 2, mode=mode)
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [2.0, 4.0])


def test_profilemode_points_to_profile_true():
    with pytest.raises(TypeError, match="profile=True"):
        ProfileMode(linker="c")
    x = T.dvector("x")
    with pytest.raises(ValueError, match="profile=True"):
        theano.function([x], x, mode="ProfileMode")
