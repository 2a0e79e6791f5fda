"""`theano.function`: outputs, signature, modes, unused inputs, eval (chapter 2)."""

import warnings

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano.compile import Mode, UnusedInputError


def test_single_output_is_an_array_and_a_list_gives_a_list():
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], x + y)
    out = f(1.5, 2.5)
    assert type(out) is np.ndarray and out.dtype == np.float64 and out.shape == ()
    assert out == 4.0
    g = theano.function([x, y], [x + y])
    res = g(1.5, 2.5)
    assert type(res) is list and len(res) == 1 and res[0] == 4.0


def test_tuple_of_outputs_gives_a_list():
    x = T.dscalar("x")
    res = theano.function([x], (x + 1, x * 2))(3.0)
    assert type(res) is list and [float(r) for r in res] == [4.0, 6.0]


@pytest.mark.parametrize("outputs", [None, []])
def test_no_outputs_returns_an_empty_list(outputs):
    s = theano.shared(0.0)
    x = T.dscalar("x")
    f = theano.function([x], outputs, updates=[(s, s + x)])
    assert f(2.0) == []
    assert f(3.0) == []
    assert s.get_value() == 5.0


def test_multiple_outputs_seed_differences():
    a, b = T.dmatrices("a", "b")
    diff = a - b
    abs_diff = abs(diff)
    diff_squared = diff ** 2
    f = theano.function([a, b], [diff, abs_diff, diff_squared])
    av, bv = np.array([[1, 1], [1, 1]]), np.array([[0, 1], [2, 3]])
    d, ad, d2 = f(av, bv)
    np.testing.assert_array_equal(d, av - bv)
    np.testing.assert_array_equal(ad, np.abs(av - bv))
    np.testing.assert_array_equal(d2, (av - bv) ** 2)
    np.testing.assert_array_equal(d, [[1.0, 0.0], [-1.0, -2.0]])


def test_the_same_output_twice_gives_two_arrays():
    x = T.dvector("x")
    y = x * 2
    f = theano.function([x], [y, y])
    a, b = f(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(a, [2.0, 4.0])
    np.testing.assert_array_equal(b, [2.0, 4.0])
    assert not np.shares_memory(a, b)
    a[0] = 100.0
    assert b[0] == 2.0


def test_an_output_that_is_an_input_is_a_copy():
    x = T.dvector("x")
    f = theano.function([x], x)
    arg = np.array([1.0, 2.0])
    out = f(arg)
    np.testing.assert_array_equal(out, arg)
    assert not np.shares_memory(out, arg)
    out[0] = 99.0  # mutating the result changes neither the argument ...
    np.testing.assert_array_equal(arg, [1.0, 2.0])
    np.testing.assert_array_equal(f(arg), [1.0, 2.0])  # ... nor a later result
    assert "DeepCopyOp" in [str(n.op) for n in f.maker.fgraph.toposort()]


def test_an_input_given_twice_as_output_gives_two_copies():
    x = T.dvector("x")
    arg = np.array([1.0, 2.0])
    a, b = theano.function([x], [x, x])(arg)
    assert not np.shares_memory(a, b)
    assert not np.shares_memory(a, arg) and not np.shares_memory(b, arg)


def test_a_constant_output_is_a_fresh_writeable_array():
    x = T.dscalar("x")
    c = T.constant(np.array([1.0, 2.0]))
    f = theano.function([x], [x, c])
    _, out = f(0.0)
    out[0] = 5.0  # the constant's own data is read-only; the result is not
    np.testing.assert_array_equal(f(0.0)[1], [1.0, 2.0])
    np.testing.assert_array_equal(c.data, [1.0, 2.0])


def test_name_is_kept_and_used_in_messages():
    x = T.dscalar("x")
    f = theano.function([x], x * 2, name="double")
    assert f.name == "double"
    assert theano.function([x], x * 2).name is None
    with pytest.raises(TypeError, match="double"):
        f(1.0, 2.0)


def test_maker_fgraph_shows_the_nodes_that_run():
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], x * y + x, mode=theano.Mode("py", None))  # as written
    fg = f.maker.fgraph
    nodes = fg.toposort()
    assert [str(n.op) for n in nodes] == ["Elemwise{mul,no_inplace}", "Elemwise{add,no_inplace}"]
    assert [v.name for v in fg.inputs] == ["x", "y"]
    assert len(fg.outputs) == 1 and fg.outputs[0] is nodes[-1].outputs[0]
    assert nodes[0].inputs == fg.inputs
    # The function's graph is a copy: the user's variables are not in it.
    assert fg.inputs[0] is not x


def test_positional_signature_is_theanos():
    # function(inputs, outputs, mode, updates, givens, no_default_updates,
    #          accept_inplace, name, rebuild_strict, allow_input_downcast, profile,
    #          on_unused_input)
    s = theano.shared(0.0, name="s")
    x, z = T.dscalars("x", "z")
    f = theano.function([x], x + z, "FAST_COMPILE", [(s, s + x)], [(z, s)], False, False,
                        "positional", True, None, None, "raise")
    assert f.name == "positional"
    assert f(2.0) == 2.0  # x + s with s = 0
    assert s.get_value() == 2.0
    assert f(1.0) == 3.0


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE", "DebugMode", Mode("py", None),
                                  Mode("py", "fast_run"), None])
def test_modes_by_name_and_object_give_the_same_values(mode):
    x = T.dmatrix("x")
    f = theano.function([x], 1 / (1 + T.exp(-x)), mode=mode)
    v = np.array([[0, 1], [-1, -2]], dtype=float)
    np.testing.assert_allclose(f(v), 1 / (1 + np.exp(-v)), rtol=1e-15)


def test_unknown_mode_is_an_error_listing_the_known_ones():
    x = T.dscalar("x")
    with pytest.raises(ValueError, match="FAST_RUN.*FAST_COMPILE"):
        theano.function([x], x, mode="FAST")
    with pytest.raises(ValueError, match="unknown linker 'gpu'"):
        Mode(linker="gpu")


def test_allow_input_downcast():
    x = T.fvector("x")
    f = theano.function([x], x * 2)
    with pytest.raises(TypeError, match="allow_input_downcast"):
        f(np.array([0.1, 0.2]))
    g = theano.function([x], x * 2, allow_input_downcast=True)
    out = g(np.array([0.1, 0.2]))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.array([0.1, 0.2], dtype=np.float32) * 2)


def test_on_unused_input_raise_warn_ignore():
    x, y = T.dscalars("x", "y")
    with pytest.raises(UnusedInputError) as info:
        theano.function([x, y], x * 2)
    msg = str(info.value)
    assert "input 1 (y)" in msg and "on_unused_input='warn'" in msg
    with pytest.warns(UserWarning, match=r"input 1 \(y\)"):
        f = theano.function([x, y], x * 2, on_unused_input="warn")
    assert f(3.0, 100.0) == 6.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = theano.function([x, y], x * 2, on_unused_input="ignore")
    assert g(3.0, 100.0) == 6.0
    with pytest.raises(ValueError, match="on_unused_input"):
        theano.function([x], x, on_unused_input="maybe")


def test_eval_of_a_variable():
    x, y = T.dscalars("x", "y")
    z = x * y + 1
    assert z.eval({x: 2.0, y: 3.0}) == 7.0
    assert z.eval({x: 4.0, y: 0.5}) == 3.0
    c = T.constant(np.array([1.0, 2.0])) * 3
    np.testing.assert_array_equal(c.eval(), [3.0, 6.0])
    s = theano.shared(np.array([1.0, 2.0]))
    np.testing.assert_array_equal((s + 1).eval(), [2.0, 3.0])
