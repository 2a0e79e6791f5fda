"""Gradients of the Theano 1.0 names added for issue 11 against finite differences
(chapter 4): arctan2, gamma, gammaln, psi, choose, view_op, expm.  Their values are
tested in chapter 1 (test_more_api.py)."""

import numpy as np
import pytest
from gradcheck import check, point, rng_for
from hypothesis import given, settings
from hypothesis import strategies as st

import minitheano as theano
from minitheano import tensor as T
from minitheano.gradient import NullTypeGradError


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_arctan2_gradient_in_every_quadrant(seed):
    rng = np.random.default_rng(seed)
    # Away from the origin, where atan2 is smooth (its cut is x < 0, y = 0: keep |y| > 0.1).
    y = rng.uniform(0.1, 3, size=(2, 3)) * rng.choice([-1, 1], size=(2, 3))
    x = rng.uniform(-3, 3, size=(2, 3))
    check(T.arctan2, y, x, rng=rng)


def test_arctan2_of_integers_has_no_gradient_on_them():
    x, n = T.dvector("x"), T.lvector("n")
    gx, gn = theano.grad(T.sum(T.arctan2(n, x)), [x, n])
    f = theano.function([x, n], [gx, gn], mode="FAST_COMPILE", on_unused_input="ignore")
    a, b = np.array([1.0, -2.0]), np.array([3, 1])
    got_x, got_n = f(a, b)
    np.testing.assert_allclose(got_x, -b / (a * a + b * b))
    assert np.all(got_n == 0)


@pytest.mark.parametrize("fun", [T.gamma, T.gammaln, T.psi])
def test_gamma_family_gradients(fun):
    rng = rng_for(fun.__name__)
    check(fun, point(rng, (3, 4), 0.2, 6.0), rng=rng)  # right of the poles
    check(fun, point(rng, (5,), -2.9, -2.1), rng=rng)  # between two poles


def test_tri_gamma_has_no_gradient():
    x = T.dvector("x")
    with pytest.raises(NullTypeGradError, match="tri_gamma"):
        theano.grad(T.sum(T.tri_gamma(x)), x)


@pytest.mark.parametrize("mode", ["raise", "wrap", "clip"])
def test_choose_gradient_goes_to_the_chosen(mode):
    rng = rng_for("choose" + mode)
    a = rng.integers(0, 3, size=(4, 1)) if mode == "raise" else rng.integers(-4, 7, size=(4, 1))
    # choices broadcast along the rows of a (their second axis has length 1)
    check(lambda c: T.choose(a, c, mode=mode), point(rng, (3, 1, 5)), rng=rng)
    check(lambda c: T.choose(a, c, mode=mode) ** 2, point(rng, (3, 4, 5)), rng=rng)


def test_view_op_passes_the_gradient_through():
    from minitheano.compile import view_op
    rng = rng_for("view_op")
    check(lambda x: T.sum(T.sin(view_op(x)) * view_op(x)), point(rng, (2, 3)), rng=rng)



@pytest.mark.parametrize("scale", [0.3, 4.0])  # 4.0: the 1-norm exceeds THETA_13 (squaring)
def test_expm_gradient(scale):
    from minitheano.tensor import slinalg
    rng = rng_for(f"expm{scale}")
    check(slinalg.expm, point(rng, (3, 3)) * scale, rng=rng)
    check(lambda a: T.sum(slinalg.expm(a) ** 2), point(rng, (3, 3)), rng=rng)


@pytest.mark.parametrize(("step", "mode"), [(None, "valid"), ((1, 2), "ignore_borders"),
                                            ((2, 1), "half"), ((1, 1), "full")])
def test_images2neibs_gradient(step, mode):
    from minitheano.tensor.nnet import images2neibs
    rng = rng_for(f"neibs{step}{mode}")
    # overlapping patches (step < shape) add up several gradients in one pixel
    check(lambda x: images2neibs(x, (2, 2), step, mode=mode) ** 2, point(rng, (1, 2, 4, 4)),
          rng=rng)


def test_neibs2images_gradient():
    from minitheano.tensor.nnet import neibs2images
    rng = rng_for("neibs2images")
    check(lambda m: neibs2images(m, (2, 2), [1, 2, 4, 4]) ** 2, point(rng, (8, 4)), rng=rng)
