"""minitheano.theano_alias: `import theano` gives minitheano, the same module objects
(run in a fresh interpreter, so the hook never leaks into other tests)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """
import minitheano.theano_alias
import minitheano, theano, theano.tensor as T
from theano.tensor.nnet import sigmoid
from theano.tensor import nlinalg
import theano.tensor.shared_randomstreams as srs
assert theano is minitheano and T is minitheano.tensor
assert nlinalg is minitheano.tensor.nlinalg and sigmoid is minitheano.tensor.nnet.sigmoid
assert srs.RandomStreams is minitheano.tensor.shared_randomstreams.RandomStreams
assert T.__spec__.name == "minitheano.tensor"  # the module's own spec is kept
x = T.dvector("x")
print(theano.function([x], sigmoid(x))([0.0])[0])
try:
    import theano.sparse
except ImportError as e:
    print(e)
try:
    import theano.no_such_module
except ModuleNotFoundError as e:
    print(e)
"""


def test_import_theano_gives_minitheano():
    run = subprocess.run([sys.executable, "-c", PROGRAM], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "0.5"
    assert lines[1].startswith("theano.sparse is not provided by minitheano: ")
    assert lines[2] == "No module named 'theano.no_such_module'"
