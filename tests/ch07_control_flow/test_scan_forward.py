"""scan's argument forms, each against a plain numpy loop (chapter 7)."""

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T

rng = np.random.default_rng(7)


def test_map_over_rows_with_captured_variables():
    # Theano's loop page: tanh(x(t).dot(W) + b); W and b are not passed to scan.
    X, W, b = T.matrix("X"), T.matrix("W"), T.vector("b")
    results, updates = theano.scan(lambda v: T.tanh(T.dot(v, W) + b), sequences=X)
    assert len(updates) == 0
    f = theano.function([X, W, b], results)
    x, w, bv = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4)
    expected = np.array([np.tanh(row @ w + bv) for row in x])
    np.testing.assert_allclose(f(x, w, bv), expected, rtol=1e-12)


def test_recurrence_with_two_sequences_and_an_initial_state():
    X0, W, U, V = T.vector("x0"), T.matrix("W"), T.matrix("U"), T.matrix("V")
    Y, P = T.matrix("Y"), T.matrix("P")
    results, _ = theano.scan(
        lambda y, p, x_tm1: T.tanh(T.dot(x_tm1, W) + T.dot(y, U) + T.dot(p, V)),
        sequences=[Y, P], outputs_info=[X0])
    f = theano.function([X0, W, Y, U, P, V], results)
    x0, w, u, v = rng.normal(size=2), *rng.normal(size=(3, 2, 2))
    y, p = rng.normal(size=(5, 2)), rng.normal(size=(6, 2))  # P is longer: 5 steps
    expected, prev = [], x0
    for t in range(5):
        prev = np.tanh(prev @ w + y[t] @ u + p[t] @ v)
        expected.append(prev)
    np.testing.assert_allclose(f(x0, w, y, u, p, v), expected, rtol=1e-12)


def test_output_taps_minus_two_and_minus_one():
    # Theano's loop page: x(t) = x(t-2).U + x(t-1).V + tanh(x(t-1).W + b).
    X, U, V, W, b = T.matrix("X"), T.matrix("U"), T.matrix("V"), T.matrix("W"), T.vector("b")
    n = T.iscalar("n")
    results, _ = theano.scan(
        lambda x_tm2, x_tm1: T.dot(x_tm2, U) + T.dot(x_tm1, V) + T.tanh(T.dot(x_tm1, W) + b),
        n_steps=n, outputs_info=[dict(initial=X, taps=[-2, -1])])
    f = theano.function([X, U, V, W, b, n], results)
    x = np.zeros((2, 2))
    x[1, 1] = 1
    w, v = 0.5 * np.ones((2, 2)), 0.5 * np.ones((2, 2))
    u = 0.5 * (np.ones((2, 2)) - np.eye(2))
    bv = np.ones(2)
    hist = [x[0], x[1]]
    for _ in range(10):
        hist.append(hist[-2] @ u + hist[-1] @ v + np.tanh(hist[-1] @ w + bv))
    np.testing.assert_allclose(f(x, u, v, w, bv, 10), hist[2:], rtol=1e-12)


def test_fibonacci_with_integer_taps():
    init = T.lvector("init")
    fib, _ = theano.scan(lambda a, b: a + b, outputs_info=dict(initial=init, taps=[-2, -1]),
                         n_steps=12)
    f = theano.function([init], fib)
    expected, a, b = [], 0, 1
    for _ in range(12):
        a, b = b, a + b
        expected.append(b)
    out = f(np.array([0, 1]))
    assert out.dtype == np.int64
    np.testing.assert_array_equal(out, expected)


def test_taps_are_passed_in_the_order_given():
    # taps [-3, -1]: the step sees x[t-3] then x[t-1]; the initial value has 3 rows.
    init = T.dvector("init")
    out, _ = theano.scan(lambda a, c: a - 2 * c, outputs_info=dict(initial=init, taps=[-3, -1]),
                         n_steps=6)
    f = theano.function([init], out)
    hist = [1.0, 5.0, -2.0]
    for _ in range(6):
        hist.append(hist[-3] - 2 * hist[-1])
    np.testing.assert_allclose(f(np.array([1.0, 5.0, -2.0])), hist[3:])


def test_sequence_taps_minus_one_zero_plus_one():
    x = T.dvector("x")
    out, _ = theano.scan(lambda a, b, c: a + 2 * b + 10 * c,
                         sequences=dict(input=x, taps=[-1, 0, 1]))
    f = theano.function([x], out)
    v = rng.normal(size=8)
    expected = [v[t - 1] + 2 * v[t] + 10 * v[t + 1] for t in range(1, 7)]
    np.testing.assert_allclose(f(v), expected, rtol=1e-12)


def test_sequence_with_only_future_taps_and_a_plain_sequence():
    # The number of steps is the smallest any sequence allows.
    x, y = T.dvector("x"), T.dvector("y")
    out, _ = theano.scan(lambda a2, yt: a2 * yt, sequences=[dict(input=x, taps=[2]), y])
    f = theano.function([x, y], out)
    xv, yv = rng.normal(size=9), rng.normal(size=5)
    # x[t + 2]: as in Theano, tap 0 always counts, so x[0] is time 0.
    np.testing.assert_allclose(f(xv, yv), xv[2:7] * yv)
    assert f(xv, np.ones(20)).shape == (7,)


def test_outputs_info_none_with_non_sequences_polynomial():
    # Theano's loop page: the terms of a polynomial, summed outside the loop.
    coefficients, powers, x = T.dvector("coefficients"), T.dvector("powers"), T.dscalar("x")
    components, _ = theano.scan(lambda c, p, free_x: c * free_x ** p, outputs_info=None,
                                sequences=[coefficients, powers], non_sequences=x)
    f = theano.function([coefficients, powers, x], components.sum())
    assert f(np.array([1.0, 0.0, 2.0]), np.arange(10.0), 3.0) == pytest.approx(19.0)


def test_power_with_non_sequence_and_n_steps():
    # Theano's loop page: A**1 .. A**k elementwise.
    k, A = T.iscalar("k"), T.dvector("A")
    result, updates = theano.scan(lambda prior, B: prior * B, outputs_info=T.ones_like(A),
                                  non_sequences=A, n_steps=k)
    f = theano.function([A, k], result, updates=updates)
    a = np.arange(5.0)
    np.testing.assert_allclose(f(a, 3), [a, a ** 2, a ** 3])


def test_n_steps_zero():
    k, A = T.iscalar("k"), T.dvector("A")
    result, _ = theano.scan(lambda prior: prior * 2, outputs_info=A, n_steps=k)
    f = theano.function([A, k], result)
    out = f(np.ones(4), 0)
    assert out.shape == (0, 4) and out.dtype == np.float64
    # An output that is not fed back: the shape a step would have had, from the
    # body's shape inference (here it depends on a non-sequence's value).
    X, W, m = T.dmatrix("X"), T.dmatrix("W"), T.lscalar("m")
    (mapped, filled), _ = theano.scan(lambda x: [T.dot(x, W), T.zeros((m,), "float64") + x[0]],
                                      sequences=X, n_steps=k)
    g = theano.function([X, W, k, m], [mapped, filled], mode=theano.Mode("py", None))
    a, b = g(np.ones((3, 2)), np.ones((2, 5)), 0, 7)
    assert a.shape == (0, 5) and b.shape == (0, 7)


def test_n_steps_with_sequences_uses_the_first_steps():
    x, n = T.dvector("x"), T.iscalar("n")
    out, _ = theano.scan(lambda a, s: s + a, sequences=x, outputs_info=T.constant(0.0), n_steps=n)
    f = theano.function([x, n], out)
    v = rng.normal(size=6)
    np.testing.assert_allclose(f(v, 4), np.cumsum(v[:4]))
    with pytest.raises(ValueError, match="n_steps is 7, but sequence 0 .* only 6 elements"):
        f(v, 7)


def test_cumulative_sum():
    v = T.dvector("v")
    out, _ = theano.scan(lambda x, acc: acc + x, sequences=v,
                         outputs_info=T.as_tensor_variable(np.float64(0)))
    f = theano.function([v], out)
    data = rng.normal(size=10)
    np.testing.assert_allclose(f(data), np.cumsum(data), rtol=1e-12)


def test_go_backwards():
    v = T.dvector("v")
    out, _ = theano.scan(lambda x, acc: acc + x, sequences=v, outputs_info=T.constant(0.0),
                         go_backwards=True)
    taps, _ = theano.scan(lambda a, b: a - b, sequences=dict(input=v, taps=[-1, 0]),
                          go_backwards=True)
    f = theano.function([v], [out, taps])
    data = rng.normal(size=7)
    cum, diff = f(data)
    np.testing.assert_allclose(cum, np.cumsum(data[::-1]), rtol=1e-12)
    # As in Theano, taps keep their meaning in the original order (x[t-1] is
    # the earlier element); only the time runs from the end.
    np.testing.assert_allclose(diff, [data[t - 1] - data[t] for t in range(6, 0, -1)])


def test_go_backwards_with_fewer_steps_starts_from_the_end():
    v, n = T.dvector("v"), T.iscalar("n")
    out, _ = theano.scan(lambda x: x * 1, sequences=v, n_steps=n, go_backwards=True)
    f = theano.function([v, n], out)
    np.testing.assert_array_equal(f(np.arange(6.0), 3), [5.0, 4.0, 3.0])


def test_several_outputs_fed_back_and_not():
    x = T.dvector("x")
    s0 = T.dscalar("s0")
    (total, doubled, both), _ = theano.scan(
        lambda xt, s, p: [s + xt, 2 * xt, p * xt], sequences=x,
        outputs_info=[s0, None, T.constant(1.0)])
    f = theano.function([x, s0], [total, doubled, both])
    data = rng.normal(size=6)
    t, d, b = f(data, 0.5)
    np.testing.assert_allclose(t, 0.5 + np.cumsum(data))
    np.testing.assert_allclose(d, 2 * data)
    np.testing.assert_allclose(b, np.cumprod(data))


def test_step_returning_a_python_number_or_a_constant():
    x = T.dvector("x")
    ones, _ = theano.scan(lambda xt: 1.0, sequences=x)
    sevens, _ = theano.scan(lambda xt: T.constant(np.array([7, 7])), sequences=x)
    h0 = T.fscalar("h0")
    halves, _ = theano.scan(lambda h: 0.5, outputs_info=h0, n_steps=3)  # keeps float32
    f = theano.function([x, h0], [ones, sevens, halves])
    a, b, c = f(np.zeros(4), np.float32(1))
    np.testing.assert_array_equal(a, np.ones(4))
    np.testing.assert_array_equal(b, np.full((4, 2), 7))
    assert c.dtype == np.float32
    np.testing.assert_array_equal(c, [0.5, 0.5, 0.5])


def test_shared_variables_read_inside_are_found():
    W = theano.shared(np.eye(3), name="W")
    X = T.dmatrix("X")
    out, updates = theano.scan(lambda x: T.dot(x, W), sequences=X)
    assert len(updates) == 0
    f = theano.function([X], out)
    x = rng.normal(size=(4, 3))
    np.testing.assert_allclose(f(x), x)
    w = rng.normal(size=(3, 3))
    W.set_value(w)  # the function reads the current value
    np.testing.assert_allclose(f(x), x @ w, rtol=1e-12)


def test_shared_counter_updated_by_the_step():
    # Theano's loop page: accumulate the number of loops.
    k = theano.shared(0, name="k")
    n = T.iscalar("n")
    results, updates = theano.scan(lambda: {k: k + 1}, n_steps=n)
    assert results is None and list(updates) == [k]
    acc = theano.function([n], [], updates=updates, allow_input_downcast=True)
    acc(5)
    assert k.get_value() == 5
    acc(3)
    assert k.get_value() == 8


def test_outputs_and_updates_together():
    total = theano.shared(0.0, name="total")
    x = T.dvector("x")
    out, updates = theano.scan(lambda xt: (xt * 2, {total: total + xt}), sequences=x)
    f = theano.function([x], out, updates=updates)
    data = rng.normal(size=5)
    np.testing.assert_allclose(f(data), 2 * data)
    assert total.get_value() == pytest.approx(data.sum())
    # Outputs read the state before the update: a second call starts from the total.
    f(data)
    assert total.get_value() == pytest.approx(2 * data.sum())


def test_non_sequence_expression_is_computed_outside():
    A = T.dvector("A")
    out, _ = theano.scan(lambda prior, B: prior * B, outputs_info=T.ones_like(A),
                         non_sequences=[A * 2], n_steps=3)
    f = theano.function([A], out)
    a = np.array([1.0, 2.0])
    np.testing.assert_allclose(f(a), [2 * a, (2 * a) ** 2, (2 * a) ** 3])


def test_nested_scan():
    # For each row of M, the cumulative sum of the row: a scan inside a scan.
    M = T.dmatrix("M")

    def row_cumsum(row):
        out, _ = theano.scan(lambda x, acc: acc + x, sequences=row,
                             outputs_info=T.constant(0.0))
        return out

    out, _ = theano.scan(row_cumsum, sequences=M)
    f = theano.function([M], out)
    m = rng.normal(size=(3, 4))
    np.testing.assert_allclose(f(m), np.cumsum(m, axis=1), rtol=1e-12)


def test_float32_state_stays_float32():
    x = T.fvector("x")
    out, _ = theano.scan(lambda xt, acc: acc * 0.5 + xt, sequences=x,
                         outputs_info=T.constant(np.float32(0)))
    f = theano.function([x], out)
    data = rng.normal(size=4).astype(np.float32)
    res = f(data)
    assert res.dtype == np.float32
    acc, expected = np.float32(0), []
    for v in data:
        acc = acc * np.float32(0.5) + v
        expected.append(acc)
    np.testing.assert_allclose(res, expected, rtol=1e-6)


def test_the_inner_graph_is_compiled_once(monkeypatch):
    from minitheano.scan import loop

    compiled = []
    original = loop.ScanLoop.__init__

    def counting(self, op, node):
        compiled.append(op)
        original(self, op, node)

    monkeypatch.setattr(loop.ScanLoop, "__init__", counting)
    x = T.dvector("x")
    out, _ = theano.scan(lambda xt, acc: acc + xt, sequences=x, outputs_info=T.constant(0.0))
    f = theano.function([x], out)
    for _ in range(3):
        f(np.arange(50.0))
    assert len(compiled) == 1


def test_infer_shape_matches_the_computed_shapes():
    X, W, h0, init = T.dmatrix("X"), T.dmatrix("W"), T.dvector("h0"), T.dmatrix("init")
    (h, y, z), _ = theano.scan(
        lambda x, a, b, hp: [T.tanh(T.dot(x, W) + hp), T.dot(x, W).sum() + a + b, x[:2] * 2],
        sequences=X, outputs_info=[h0, dict(initial=init, taps=[-2, -1]), None])
    node = h.owner
    shapes = [tuple(v.shape[i] for i in range(v.ndim)) for v in node.inputs]
    inferred = node.op.infer_shape(None, node, shapes)
    f = theano.function([X, W, h0, init], [T.stack(list(s)) for s in inferred] + node.outputs)
    values = [rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=4),
              rng.normal(size=(2, 4))]
    *computed, ha, ya, za = f(*values)
    for shape, out in zip(computed, (ha, ya, za)):
        assert tuple(shape) == out.shape
    assert (ha.shape, ya.shape, za.shape) == ((5, 4), (5, 4), (5, 2))
