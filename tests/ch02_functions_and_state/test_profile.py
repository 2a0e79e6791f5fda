"""profile=True and config.profile: per-node call counts and times (chapter 2)."""

import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

import minitheano as theano
import minitheano.tensor as T
from minitheano.compile.profiling import ProfileStats

ROOT = Path(__file__).resolve().parents[2]


def make(mode="FAST_RUN", profile=True):
    x, W = T.dmatrix("x"), T.dmatrix("W")
    return theano.function([x, W], T.tanh(T.dot(x, W)).sum() + T.exp(x).mean(), mode=mode,
                           profile=profile)


def test_every_node_is_counted_once_per_call():
    a, w = np.ones((3, 4)), np.ones((4, 2))
    for mode in ("FAST_RUN", "FAST_COMPILE"):
        f = make(mode)
        for _ in range(7):
            f(a, w)
        stats = f.profile
        assert isinstance(stats, ProfileStats)
        assert stats.calls == 7
        nodes = f.maker.fgraph.toposort()
        assert set(stats.nodes) == set(nodes)
        assert all(stats.nodes[n].calls == 7 for n in nodes)


def test_times_add_up():
    f = make()
    for _ in range(5):
        f(np.ones((30, 40)), np.ones((40, 20)))
    stats = f.profile
    times = [t.seconds for t in stats.nodes.values()]
    assert all(t > 0 for t in times)
    # The nodes run inside the calls, which run inside nothing else we time.
    assert 0 < sum(times) == stats.node_seconds <= stats.call_seconds
    assert stats.compile_seconds > 0


def test_summary_prints_the_class_op_and_apply_tables():
    f = make()
    f(np.ones((3, 4)), np.ones((4, 2)))
    out = io.StringIO()
    f.profile.summary(file=out)
    text = out.getvalue()
    for section in ("Function profiling", "\nClass\n", "\nOps\n", "\nApply\n",
                    "Time in 1 calls to the compiled graph"):
        assert section in text
    apply_lines = text.split("\nApply\n")[1].strip().splitlines()[2:]
    assert len(apply_lines) == len(f.maker.fgraph.toposort())
    percents = [float(line.split()[0].rstrip("%")) for line in apply_lines]
    assert abs(sum(percents) - 100) < 0.5 and percents == sorted(percents, reverse=True)
    assert "Dot" in text and "Elemwise" in text


def test_unprofiled_functions_carry_no_profile_and_a_shared_profile_adds_up():
    assert make(profile=False).profile is None
    stats = ProfileStats("two functions")
    f, g = make(profile=stats), make(profile=stats)
    f(np.ones((3, 4)), np.ones((4, 2)))
    g(np.ones((3, 4)), np.ones((4, 2)))
    g(np.ones((3, 4)), np.ones((4, 2)))
    assert f.profile is g.profile is stats and stats.calls == 3
    assert len(stats.nodes) == len(f.maker.fgraph.toposort()) + len(g.maker.fgraph.toposort())


def test_config_profile_prints_every_profile_at_exit():
    code = ("import numpy as np, minitheano as theano, minitheano.tensor as T\n"
            "x = T.dvector('x')\n"
            "f = theano.function([x], T.exp(x) * 2, name='twice_exp')\n"
            "assert f.profile is not None\n"
            "for _ in range(3): f(np.zeros(2))\n"
            "g = theano.function([x], x + 1, profile=False)\n"
            "assert g.profile is None\n")
    env = dict(os.environ, MINITHEANO_FLAGS="profile=True", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Message: twice_exp" in result.stderr
    assert "Time in 3 calls to the compiled graph" in result.stderr
