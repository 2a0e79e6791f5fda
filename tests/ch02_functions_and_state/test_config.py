"""theano.config: flags in code, in a block, and from MINITHEANO_FLAGS (chapter 2)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minitheano as theano
import minitheano.tensor as T
from minitheano.config import FLAGS

# These tests are about the default mode itself: not moved to the Python VM (conftest.py).
pytestmark = pytest.mark.default_mode

ROOT = Path(__file__).resolve().parents[2]
KNOWN = ", ".join(sorted(f.name for f in FLAGS))


def run_python(code: str, flags: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, MINITHEANO_FLAGS=flags, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_defaults():
    assert theano.config.floatX == "float64"
    assert theano.config.mode == "FAST_RUN"
    assert theano.config.device == "cpu"
    assert isinstance(theano.config.cxx, str)
    assert isinstance(theano.config.compiledir, str)


def test_floatx_sets_the_dtype_of_matrix_and_of_python_floats():
    with theano.config.change_flags(floatX="float32"):
        assert T.matrix().dtype == "float32"
        assert T.scalar().dtype == "float32"
        assert T.constant(0.5).dtype == "float32"
        x = T.fvector("x")
        assert (x * 0.1).dtype == "float32"
        f = theano.function([x], x * 0.1)
        out = f([1.0, 2.0])
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, np.array([1, 2], np.float32) * np.float32(0.1))
    assert T.matrix().dtype == "float64"
    assert T.constant(0.5).dtype == "float64"


def test_change_flags_restores_after_an_exception_and_works_as_a_decorator():
    with pytest.raises(RuntimeError):
        with theano.config.change_flags(floatX="float32", mode="FAST_COMPILE"):
            assert theano.config.mode == "FAST_COMPILE"
            raise RuntimeError
    assert theano.config.floatX == "float64" and theano.config.mode == "FAST_RUN"

    @theano.config.change_flags(floatX="float32")
    def make():
        return T.vector()
    assert make().dtype == "float32" and theano.config.floatX == "float64"


def test_setting_a_flag_in_code():
    old = theano.config.floatX
    try:
        theano.config.floatX = "float32"
        assert T.vector().dtype == "float32"
    finally:
        theano.config.floatX = old
    assert T.vector().dtype == "float64"


def test_unknown_flags_are_errors_listing_the_known_ones():
    with pytest.raises(AttributeError) as info:
        theano.config.floatx = "float32"
    assert "unknown config flag 'floatx'" in str(info.value) and KNOWN in str(info.value)
    with pytest.raises(AttributeError, match="known flags: " + KNOWN):
        getattr(theano.config, "not_a_flag")  # noqa: B009
    with pytest.raises(AttributeError, match="known flags"):
        with theano.config.change_flags(flotX="float32"):
            pass
    assert theano.config.floatX == "float64"


def test_bad_values_are_rejected():
    with pytest.raises(ValueError, match="floatX.*float64, float32.*'float16'"):
        theano.config.floatX = "float16"
    with pytest.raises(ValueError, match="mode"):
        theano.config.mode = "FAST"
    with pytest.raises(ValueError, match="device"):
        theano.config.device = "tpu"
    with pytest.raises(ValueError, match="allow_gc.*boolean"):
        theano.config.allow_gc = "sometimes"
    assert theano.config.floatX == "float64" and theano.config.mode == "FAST_RUN"


def test_parse():
    cfg = type(theano.config)(FLAGS)
    cfg.parse(" floatX = float32 , allow_gc=false,, ")
    assert cfg.floatX == "float32" and cfg.allow_gc is False
    with pytest.raises(ValueError, match="expected name=value, got 'floatX'"):
        cfg.parse("floatX")
    assert theano.config.floatX == "float64"  # a separate Config object


def test_str_lists_every_flag():
    text = str(theano.config)
    for f in FLAGS:
        assert f"{f.name} = " in text


def test_environment_variable_is_read_at_import():
    code = ("import minitheano as theano, minitheano.tensor as T\n"
            "print(theano.config.floatX, theano.config.mode, T.matrix().dtype)")
    result = run_python(code, "floatX=float32,mode=FAST_COMPILE")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["float32", "FAST_COMPILE", "float32"]


def test_environment_variable_errors():
    # An unknown flag is a warning (as in Theano: a script may set flags for another
    # library version); a bad value stays an error.
    result = run_python("import minitheano as theano; print(theano.config.floatX)",
                        "floatX=float32,bogus=1")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["float32"]
    assert "MINITHEANO_FLAGS" in result.stderr and "unknown config flag 'bogus'" in result.stderr
    assert KNOWN in result.stderr and "ignored" in result.stderr
    result = run_python("import minitheano", "floatX=float16")
    assert result.returncode != 0
    assert "MINITHEANO_FLAGS: config flag floatX: must be one of float64, float32; got " \
        "'float16'" in result.stderr


def test_theano_flags_are_read_and_minitheano_flags_win():
    code = "import minitheano as theano; print(theano.config.floatX, theano.config.mode)"
    env = dict(os.environ, THEANO_FLAGS="floatX=float32,mode=FAST_COMPILE,lib.cnmem=0.5",
               MINITHEANO_FLAGS="mode=FAST_RUN", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["float32", "FAST_RUN"]
    assert "THEANO_FLAGS: unknown config flag 'lib.cnmem'" in result.stderr


def test_warn_flags_are_a_namespace_of_theanos_bug_warnings():
    warn = theano.config.warn
    assert warn.subtensor_merge_bug is False and warn.ignore_bug_before == "0.9"
    with theano.config.change_flags({"warn.subtensor_merge_bug": True}):
        assert theano.config.warn.subtensor_merge_bug is True
    assert warn.subtensor_merge_bug is False
    theano.config.warn.subtensor_merge_bug = False  # the line Theano-era scripts have
    with pytest.raises(AttributeError, match="unknown config flag 'warn.no_such_bug'"):
        theano.config.warn.no_such_bug = True
    with pytest.raises(AttributeError, match="group of flags"):
        theano.config.warn = False
    cfg = type(theano.config)(FLAGS)
    cfg.parse("warn.round=True,warn.sum_sum_bug=0")
    assert cfg.warn.round is True and cfg.warn.sum_sum_bug is False


def test_compiledir_follows_base_compiledir_until_it_is_set():
    cfg = type(theano.config)(FLAGS)
    cfg.base_compiledir = "/tmp/somewhere"
    assert cfg.compiledir.startswith(os.path.join("/tmp/somewhere", "compiledir-"))
    cfg.compiledir = "/tmp/exactly-here"
    cfg.base_compiledir = "/tmp/elsewhere"
    assert cfg.compiledir == "/tmp/exactly-here"


def test_flags_users_set_are_checked_and_stored():
    cfg = type(theano.config)(FLAGS)
    cfg.parse("optimizer=None,exception_verbosity=high,compute_test_value=warn,"
              "profile=False,device=cuda0,cxx=,allow_gc=False")
    assert (cfg.optimizer, cfg.exception_verbosity, cfg.compute_test_value) == \
        ("None", "high", "warn")
    assert cfg.device == "cuda" and cfg.cxx == "" and cfg.allow_gc is False
    for name, bad in (("optimizer", "o9"), ("compute_test_value", "sometimes"),
                      ("exception_verbosity", "loud"), ("device", "tpu")):
        with pytest.raises(ValueError, match=name):
            setattr(cfg, name, bad)


@pytest.mark.ch03  # needs chapter 3 (the rewrites)
def test_optimizer_flag_changes_the_default_mode():
    x = T.dvector("x")
    expr = T.log(1 + T.exp(x))  # FAST_RUN rewrites it to softplus
    ops = lambda f: [str(n.op) for n in f.maker.fgraph.toposort()]  # noqa: E731
    assert len(ops(theano.function([x], expr))) == 1
    with theano.config.change_flags(optimizer=None):
        assert theano.function([x], expr).maker.mode.optimizer == "none"
        assert "Elemwise{log,no_inplace}" in ops(theano.function([x], expr))  # as written
        # An explicit mode is not changed.
        assert theano.function([x], expr, mode="FAST_RUN").maker.mode.optimizer == "fast_run"
    with theano.config.change_flags(mode="Mode", optimizer="fast_compile"):
        mode = theano.function([x], expr).maker.mode
        assert (mode.linker, mode.optimizer) == ("c", "fast_compile")
    # Theano's config.linker: the linker of mode 'Mode' (its names are understood).
    with theano.config.change_flags(mode="Mode", linker="py"):
        f = theano.function([x], expr)
        assert (f.maker.mode.linker, f.maker.mode.optimizer) == ("py", "fast_run")
        assert theano.function([x], expr, mode="FAST_RUN").maker.mode.linker == "c"
        np.testing.assert_allclose(f(np.array([0.0, 2.0])), np.log1p(np.exp([0.0, 2.0])))
    with theano.config.change_flags(mode="Mode", linker="cvm"):
        assert theano.function([x], expr).maker.mode.linker == "c"
    with pytest.raises(ValueError, match="linker"):
        theano.config.linker = "fortran"
