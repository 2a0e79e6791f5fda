"""The first seed tutorial's gradient examples, run as written, against numpy."""

import numpy as np

SEED_GRADIENT = '''
import numpy
import theano
from theano import tensor
from theano import pp
# declare variable
x = tensor.dmatrix('x')
#create a simple expression for logistic function
s = tensor.sum(1 / (1 + tensor.exp(-x)))
# create expression to compute gradient of s with respect to x
gs = tensor.grad(s, x)
# create callable object
dlogistic = theano.function([x], gs)
# call the function and print the results
print(dlogistic([[0, 1], [-1, -2]]))
'''

SEED_TRAINING = '''
import theano
import numpy
# declare variables
x = theano.tensor.fvector('x')
target = theano.tensor.fscalar('target')
W = theano.shared(numpy.asarray([0.2, 0.7]), 'W')
# create expressions
y = (x * W).sum()
cost = theano.tensor.sqr(target - y)
gradients = theano.tensor.grad(cost, [W])
W_updated = W - (0.1 * gradients[0])
updates = [(W, W_updated)]
# create a callable object from expression
f = theano.function([x, target], y, updates=updates)
# call the function and print results
for i in range(10):
    result = f([1.0, 1.0], 20.0)
    print(result)
'''


def run_as_theano(source, monkeypatch):
    """Run tutorial code whose `import theano` gets minitheano; return the namespace."""
    import sys

    import minitheano
    monkeypatch.setitem(sys.modules, "theano", minitheano)
    monkeypatch.setitem(sys.modules, "theano.tensor", minitheano.tensor)
    if not hasattr(minitheano, "pp"):  # printing is another chapter's; not used below
        monkeypatch.setattr(minitheano, "pp", str, raising=False)
    namespace = {}
    exec(compile(source, "<seed>", "exec"), namespace)
    return namespace


def test_gradient_of_the_logistic_is_s_times_one_minus_s(monkeypatch, capsys):
    ns = run_as_theano(SEED_GRADIENT, monkeypatch)
    x = np.array([[0, 1], [-1, -2]], dtype=float)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(ns["dlogistic"](x), s * (1 - s), rtol=1e-14)
    printed = capsys.readouterr().out
    assert printed.strip() == str(s * (1 - s)).strip()


def test_the_training_loop_with_grad_moves_w_toward_the_target(monkeypatch, capsys):
    run_as_theano(SEED_TRAINING, monkeypatch)
    printed = [float(line) for line in capsys.readouterr().out.split()]
    # The same loop in numpy: d(target - w.x)**2 / dw = -2 (target - w.x) x.
    w, expected = np.array([0.2, 0.7]), []
    for _ in range(10):
        out = w.sum()
        expected.append(out)
        w = w - 0.1 * (-2 * (20.0 - out) * np.ones(2))
    np.testing.assert_allclose(printed, expected, rtol=1e-12)
    np.testing.assert_allclose(printed[:3], [0.9, 8.54, 13.124], rtol=1e-12)
    assert 19.8 < printed[-1] < 20
