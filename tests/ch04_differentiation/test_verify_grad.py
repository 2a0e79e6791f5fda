"""verify_grad itself: it must catch wrong gradients, and say where and by how much."""

import numpy as np
import pytest

from minitheano import tensor as T
from minitheano.gradient import GradientError, numeric_grad, verify_grad
from minitheano.graph.basic import Apply
from minitheano.graph.op import Op


class Cube(Op):
    """x ** 3, with a gradient we can make wrong on purpose."""

    __props__ = ("mistake",)

    def __init__(self, mistake: str = "") -> None:
        self.mistake = mistake

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, node, inputs, output_storage):
        output_storage[0][0] = inputs[0] ** 3

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        if self.mistake == "sign":
            return [-3 * gz * x ** 2]
        if self.mistake == "transpose":
            return [3 * gz.T * x.T ** 2]
        if self.mistake == "slightly":
            return [3 * gz * x ** 2 * 1.001]
        return [3 * gz * x ** 2]


def test_a_right_gradient_passes():
    verify_grad(Cube(), [np.random.default_rng(0).normal(size=(3, 4))])


@pytest.mark.parametrize("mistake", ["sign", "slightly"])
def test_a_wrong_gradient_is_caught_with_both_values(mistake):
    x = np.random.default_rng(1).normal(size=(3, 4)) + 2.0
    with pytest.raises(GradientError) as info:
        verify_grad(Cube(mistake), [x])
    err = info.value
    assert err.arg == 0 and err.shape == (3, 4)
    assert err.abs_err > err.abs_tol and err.rel_err > err.rel_tol
    assert abs(err.analytic - err.numeric) == pytest.approx(err.abs_err)
    text = str(err)
    assert "symbolic" in text and "finite differences" in text and str(err.err_pos) in text


def test_a_transposed_gradient_is_caught():
    x = np.random.default_rng(2).normal(size=(3, 3)) + 1.0
    with pytest.raises(GradientError):
        verify_grad(lambda v: Cube("transpose")(v) * np.arange(9.0).reshape(3, 3), [x])


def test_tolerances_decide():
    x = np.random.default_rng(3).normal(size=(4,)) + 2.0
    verify_grad(Cube("slightly"), [x], abs_tol=1.0, rel_tol=1.0)


def test_numeric_grad_is_a_central_difference():
    # f(x) = sum(x**3): central differences are exact up to eps**2 * f''' / 6 = eps**2.
    x = np.array([0.5, -1.0, 2.0])
    (g,) = numeric_grad(lambda v: np.sum(v ** 3), [x], eps=1e-3)
    np.testing.assert_allclose(g, 3 * x ** 2 + 1e-6, rtol=0, atol=1e-9)


def test_the_point_is_not_modified_and_int_points_are_refused():
    x = np.array([1.0, 2.0])
    verify_grad(lambda v: v ** 2, [x])
    np.testing.assert_array_equal(x, [1.0, 2.0])
    with pytest.raises(TypeError, match="float"):
        verify_grad(lambda v: v * 2, [np.array([1, 2])])
