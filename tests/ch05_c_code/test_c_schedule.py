"""A function's schedule run in C (link/c/schedule.py): the same values, errors, updates
and kept arrays as the VM's Python loop (chapter 2) over the same thunks, which stays
the fallback for every node without a C kernel and for every unusual case.  The
generated graphs are derandomized, so that their kernels come from the cache after the
first run."""

from __future__ import annotations

import functools
import gc
import sys
import weakref

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import minitheano
import minitheano.tensor as T
from minitheano.compile.as_op import as_op
from minitheano.config import config
from minitheano.link.c import schedule
from minitheano.link.c.thunk import _output_shape_function, _output_shapes_function
from minitheano.link.kernel import describe
from minitheano.link.py.vm import VM, make_storage, py_thunk

needs_extension = pytest.mark.skipif(schedule.problem() is not None,
                                     reason=f"no schedule extension: {schedule.problem()}")
pytestmark = needs_extension


def compile_both(inputs, outputs, **kwargs):
    """(the C schedule's function, the VM's function) of the same graph."""
    with config.change_flags(c_schedule=True):
        c = minitheano.function(inputs, outputs, **kwargs)
    with config.change_flags(c_schedule=False):
        py = minitheano.function(inputs, outputs, **kwargs)
    assert is_schedule(c) and not is_schedule(py)
    return c, py


def is_schedule(f) -> bool:
    return type(f._run).__name__ == "Schedule"


def counted(call):
    """What `call()` returns, and how many runs, kernel and thunk calls it made."""
    before = schedule.counts()
    result = call()
    after = schedule.counts()
    return result, {k: after[k] - before[k] for k in after}


def test_a_scalar_add_is_one_kernel_call_from_c():
    x, y = T.dscalars("x", "y")
    f = minitheano.function([x, y], x + y)
    assert is_schedule(f)
    out, n = counted(lambda: f(np.array(1.5), np.array(2.5)))
    assert out == 4.0 and n == {"runs": 1, "kernel_calls": 1, "thunk_calls": 0}


def test_the_flag_keeps_the_vm():
    with config.change_flags(c_schedule=False):
        x = T.dvector("x")
        f = minitheano.function([x], x + 1)
    assert not is_schedule(f) and f._run == f._vm.run
    np.testing.assert_array_equal(f(np.arange(3.0)), np.arange(3.0) + 1)


# -- generated graphs: elementwise ops, reductions and products --------------------------
M, N, K = 3, 4, 2  # the matrices' shapes: x, y (M, N), r (1, N), v (N,), W (N, K)

UNARY = {"tanh": (T.tanh, np.tanh), "exp_neg_abs": (lambda a: T.exp(-abs(a)),
                                                    lambda a: np.exp(-abs(a))),
         "twice": (lambda a: 2 * a, lambda a: 2 * a), "sqr": (T.sqr, np.square)}
BINARY = {"add": (lambda a, b: a + b, np.add), "mul": (lambda a, b: a * b, np.multiply),
          "sub": (lambda a, b: a - b, np.subtract),
          "max": (T.maximum, np.maximum)}


@st.composite
def graphs(draw):
    """A random graph on (x, y, r, v, W) and the numpy function computing the same."""
    steps = draw(st.lists(st.tuples(st.sampled_from(["unary", "binary", "row", "vector",
                                                     "sum", "dot"]),
                                    st.integers(0, 99), st.integers(0, 99)),
                          min_size=1, max_size=7))
    n_outputs = draw(st.integers(1, 2))
    return steps, n_outputs


def build(steps, n_outputs, sym, num):
    """Apply `steps` to the matrices of `sym` (symbolic) and `num` (numpy) alike."""
    pool_s, pool_n = [sym["x"], sym["y"]], [num["x"], num["y"]]  # all (M, N) matrices
    others_s, others_n = [], []  # results of other shapes (reductions, products)
    for kind, i, j in steps:
        a_s, a_n = pool_s[i % len(pool_s)], pool_n[i % len(pool_n)]
        b_s, b_n = pool_s[j % len(pool_s)], pool_n[j % len(pool_n)]
        if kind == "unary":
            f_s, f_n = list(UNARY.values())[j % len(UNARY)]
            pool_s.append(f_s(a_s))
            pool_n.append(f_n(a_n))
        elif kind == "binary":
            f_s, f_n = list(BINARY.values())[(i + j) % len(BINARY)]
            pool_s.append(f_s(a_s, b_s))
            pool_n.append(f_n(a_n, b_n))
        elif kind in ("row", "vector"):  # broadcast along the rows
            pool_s.append(a_s * sym["r"] if kind == "row" else a_s + sym["v"])
            pool_n.append(a_n * num["r"] if kind == "row" else a_n + num["v"])
        elif kind == "sum":
            axis = (None, 0, 1)[j % 3]
            others_s.append(a_s.sum(axis=axis))
            others_n.append(a_n.sum(axis=axis))
        else:
            others_s.append(T.tanh(T.dot(a_s, sym["W"])))
            others_n.append(np.tanh(a_n @ num["W"]))
    outs_s = (others_s + pool_s[2:] + pool_s)[:n_outputs]
    outs_n = (others_n + pool_n[2:] + pool_n)[:n_outputs]
    return outs_s, outs_n


def values(dtype, seed):
    rng = np.random.default_rng(seed)
    shapes = {"x": (M, N), "y": (M, N), "r": (1, N), "v": (N,), "W": (N, K)}
    return {k: rng.uniform(-1, 1, size=s).astype(dtype) for k, s in shapes.items()}


@settings(max_examples=25, deadline=None, derandomize=True, phases=[Phase.generate])
@given(graph=graphs(), dtype=st.sampled_from(["float64", "float32"]),
       budget=st.sampled_from([0.0, 64.0]), seed=st.integers(0, 2**16))
def test_generated_graphs_give_the_vms_values_and_numpys(graph, dtype, budget, seed):
    steps, n_outputs = graph
    sym = {"x": T.matrix("x", dtype=dtype), "y": T.matrix("y", dtype=dtype),
           "r": T.row("r", dtype=dtype), "v": T.vector("v", dtype=dtype),
           "W": T.matrix("W", dtype=dtype)}
    names = list(sym)
    with config.change_flags(reuse_buffers_mb=budget):
        outs, _ = build(steps, n_outputs, sym, values(dtype, seed))
        c, py = compile_both([sym[k] for k in names], outs, on_unused_input="ignore")
    tolerance = {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-10}
    for call in range(3):  # later calls reuse the arrays kept from the earlier ones
        num = values(dtype, seed + call)
        args = [num[k] for k in names]
        before = [a.copy() for a in args]
        _, want = build(steps, n_outputs, sym, num)
        got_c, n = counted(functools.partial(c, *args))
        got_py = py(*args)
        # Every kernel node ran from C (none handed to its thunk), the others as thunks.
        with_kernel = sum(hasattr(t, "c_step") for t in c._vm.thunks)
        assert n == {"runs": 1, "kernel_calls": with_kernel,
                     "thunk_calls": len(c._vm.thunks) - with_kernel}
        for a, b in zip(args, before):
            np.testing.assert_array_equal(a, b)  # no caller array changed
        for u, v, w in zip(got_c, got_py, want):
            assert u.dtype == v.dtype and u.shape == v.shape == np.shape(w)
            np.testing.assert_array_equal(u, v)  # the same kernels: the same bits
            np.testing.assert_allclose(u, w, **tolerance)


@settings(max_examples=25, deadline=None, derandomize=True, phases=[Phase.generate])
@given(graph=graphs(), seed=st.integers(0, 2**16))
def test_the_shape_plans_give_the_thunks_shapes(graph, seed):
    """schedule.shape_plan against link/c/thunk.py's own shape functions, on every
    kernel node of generated graphs."""
    steps, n_outputs = graph
    sym = {"x": T.dmatrix("x"), "y": T.dmatrix("y"), "r": T.drow("r"), "v": T.dvector("v"),
           "W": T.dmatrix("W")}
    num = values("float64", seed)
    outs, _ = build(steps, n_outputs, sym, num)
    f = minitheano.function(list(sym.values()), outs, on_unused_input="ignore")
    assert_plans_match(f, [num[k] for k in sym])


def assert_plans_match(f, args):
    """Every kernel node's shape plan gives its thunk's shapes, in a call of `f` on `args`."""
    fg = f.maker.fgraph
    shared = [sv.get_value() for sv in f.maker.shared]
    storage = make_storage(fg, {v: [a] for v, a in zip(fg.inputs, list(args) + shared)})
    order = fg.toposort()
    VM(order, [py_thunk(n, storage) for n in order], storage, None).run()
    for node in order:
        kernel = describe(node)
        if kernel is None:
            continue
        args = [storage[v][0] for v in node.inputs]
        shapes = _output_shapes_function(kernel, _output_shape_function(node, kernel),
                                         len(node.outputs))(args)
        plans = schedule.shape_plan(node, kernel)
        planned = [tuple(1 if k < 0 else args[k].shape[d] for k, d in plan) for plan in plans]
        assert planned == [tuple(s) for s in shapes], node


# -- errors, updates, aliases, Python nodes ---------------------------------------------
def raised(call):
    with pytest.raises(Exception) as info:
        call()
    return info.value


@pytest.mark.parametrize("make, args", [
    (lambda x, y: x + y, (np.ones(3), np.ones(4))),
    (lambda x, y: T.exp(x) * y + 1, (np.ones(2), np.ones(5))),
])
def test_a_kernels_error_is_the_same_exception(make, args):
    x, y = T.dvectors("x", "y")
    c, py = compile_both([x, y], make(x, y))
    got, n = counted(lambda: raised(lambda: c._call_python(*args)))
    want = raised(lambda: py._call_python(*args))
    assert type(got) is type(want) is ValueError
    assert str(got) == str(want)
    assert n["runs"] == 1 and n["thunk_calls"] >= 1  # the thunk said it, from the C loop
    # The function still works afterwards.
    np.testing.assert_array_equal(c(np.ones(3), np.ones(3)), py(np.ones(3), np.ones(3)))


def test_an_input_a_kernel_refuses_goes_to_the_thunk():
    """An unaligned array: the kernel refuses it, the thunk reads an aligned copy."""
    x, y = T.dvectors("x", "y")
    c, py = compile_both([x, y], T.exp(x) * y)
    raw = np.zeros(4 * 8 + 1, dtype=np.uint8)
    a = raw[1:].view(np.float64)  # one byte off: not aligned
    a[:] = [0.5, 1.0, -2.0, 3.0]
    assert not a.flags.aligned
    got, n = counted(lambda: c(a, np.ones(4)))
    np.testing.assert_array_equal(got, py(a, np.ones(4)))
    np.testing.assert_allclose(got, np.exp([0.5, 1.0, -2.0, 3.0]))
    assert n == {"runs": 1, "kernel_calls": 0, "thunk_calls": 1}


def test_a_products_error_is_the_same_exception():
    a, b = T.dmatrices("a", "b")
    c, py = compile_both([a, b], T.tanh(T.dot(a, b)))
    args = (np.ones((3, 4)), np.ones((3, 4)))
    got, want = raised(lambda: c(*args)), raised(lambda: py(*args))
    assert type(got) is type(want) and str(got) == str(want)


def _training_step():
    rng = np.random.default_rng(0)
    W = minitheano.shared(rng.normal(size=(4, 3)) / 2, name="W")
    b = minitheano.shared(np.zeros(3), name="b")
    x, y = T.dmatrix("x"), T.lvector("y")
    p = T.nnet.softmax(T.dot(x, W) + b)
    loss = T.mean(T.nnet.categorical_crossentropy(p, y))
    gW, gb = T.grad(loss, [W, b])
    return [x, y], [loss, p], [(W, W - 0.5 * gW), (b, b - 0.5 * gb)], (W, b)


def test_updates_are_the_vms():
    c_inputs, c_outputs, c_updates, c_params = _training_step()
    with config.change_flags(c_schedule=True):
        c = minitheano.function(c_inputs, c_outputs, updates=c_updates)
    py_inputs, py_outputs, py_updates, py_params = _training_step()
    with config.change_flags(c_schedule=False):
        py = minitheano.function(py_inputs, py_outputs, updates=py_updates)
    assert is_schedule(c) and not is_schedule(py)
    rng = np.random.default_rng(1)
    X, labels = rng.normal(size=(6, 4)), rng.integers(0, 3, size=6)
    assert_plans_match(c, [X, labels])
    with_kernel = sum(hasattr(t, "c_step") for t in c._vm.thunks)
    kept = []
    for _ in range(4):
        got, n = counted(lambda: c(X, labels))
        want = py(X, labels)
        assert n["kernel_calls"] == with_kernel  # none refused: every plan was right
        kept.append((got, [u.copy() for u in got]))
        for u, v in zip(got, want):
            np.testing.assert_array_equal(u, v)
        for q, r in zip(c_params, py_params):
            np.testing.assert_array_equal(q.get_value(), r.get_value())
    for arrays, copies in kept:  # results handed out were never written again
        for u, v in zip(arrays, copies):
            np.testing.assert_array_equal(u, v)


def test_outputs_that_are_inputs_or_in_place_results():
    x, W = T.dvector("x"), T.dmatrix("W")
    h = T.exp(T.dot(W, x)) + 1  # in place in the product's array
    c, py = compile_both([x, W], [x, h, h * 2, x + 0])
    a, m = np.arange(3.0), np.ones((2, 3))
    for _ in range(3):
        got, want = c(a, m), py(a, m)
        for u, v in zip(got, want):
            np.testing.assert_array_equal(u, v)
        assert (got[0] is a) == (want[0] is a)
    np.testing.assert_array_equal(a, np.arange(3.0))


@as_op(itypes=[T.dvector], otypes=[T.dvector])
def python_reverse(v):
    return v[::-1].copy()


def test_a_python_node_is_called_as_its_thunk():
    """A node without a C kernel: its Python thunk, called from the C loop between the
    kernels; a graph with no kernel at all keeps the VM's loop."""
    x = T.dvector("x")
    c, py = compile_both([x], T.exp(python_reverse(x * 2)) + 1)
    a = np.arange(4.0)
    got, n = counted(lambda: c(a))
    np.testing.assert_array_equal(got, py(a))
    np.testing.assert_allclose(got, np.exp(2 * a[::-1]) + 1)
    assert n["runs"] == 1 and n["thunk_calls"] == 1 and n["kernel_calls"] >= 1
    only_python = minitheano.function([x], python_reverse(x))
    assert not is_schedule(only_python)
    np.testing.assert_array_equal(only_python(a), a[::-1])
    with config.change_flags(linker="py"):
        assert not is_schedule(minitheano.function([x], x + 1, mode="Mode"))


@as_op(itypes=[T.dvector], otypes=[T.dvector])
def python_checked_sqrt(v):
    if (v < 0).any():
        raise ValueError(f"python_checked_sqrt: {int((v < 0).sum())} negative value(s)")
    return np.sqrt(v)


def test_a_python_nodes_error_is_the_same_exception():
    x = T.dvector("x")
    c, py = compile_both([x], T.exp(python_checked_sqrt(x - 1)) * 2)
    args = (np.array([0.0, 2.0, -1.0]),)
    got, want = raised(lambda: c(*args)), raised(lambda: py(*args))
    assert type(got) is type(want) is ValueError and str(got) == str(want)
    assert "2 negative value(s)" in str(got) and "Apply node" in str(got)
    np.testing.assert_array_equal(c(np.array([5.0])), py(np.array([5.0])))


def test_intermediate_cells_are_emptied_and_arrays_kept():
    x = T.dvector("x")
    h = T.dot(x, x) * T.exp(x)
    f = minitheano.function([x], T.tanh(h) + h)
    assert is_schedule(f)
    a = np.arange(5.0)
    first = f(a)
    address = f(a).ctypes.data  # dropped at once: its array is written again
    assert f(a + 1).ctypes.data == address
    np.testing.assert_allclose(first, np.tanh(a @ a * np.exp(a)) + a @ a * np.exp(a))
    intermediate = [cell for v, cell in f._vm.storage.items()
                    if v.owner is not None and v not in f.maker.fgraph.outputs]
    assert intermediate and all(cell[0] is None for cell in intermediate)


def test_no_reference_is_leaked_and_the_function_is_freed():
    x, y = T.dvectors("x", "y")
    f = minitheano.function([x, y], T.exp(x) + y)
    a, b = np.ones(3), np.ones(3)
    f(a, b)
    before = sys.getrefcount(a), sys.getrefcount(b)
    for _ in range(500):
        f(a, b)
    assert (sys.getrefcount(a), sys.getrefcount(b)) == before
    gone = weakref.ref(f)
    gc.disable()
    try:
        del f
        assert gone() is None
    finally:
        gc.enable()


def test_checking_and_profiling_modes_keep_the_vm():
    """DebugMode's and the profiler's thunks check or time each node: no C loop."""
    x = T.dvector("x")
    assert not is_schedule(minitheano.function([x], T.exp(x) + 1, mode="DebugMode"))
    assert not is_schedule(minitheano.function([x], T.exp(x) + 1, profile=True))
