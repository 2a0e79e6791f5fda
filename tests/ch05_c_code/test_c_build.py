"""Compiling and caching: keys, concurrent compiles, damaged libraries, no compiler,
compile errors, and `python -m minitheano cache`."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import minitheano as th
from minitheano import tensor as T
from minitheano.compile import fastcall
from minitheano.config import config
from minitheano.link.c import build, cache, library, schedule, thunk
from minitheano.scalar.basic import UnaryScalarOp
from minitheano.tensor.elemwise import Elemwise

SOURCE = """int answer(void) { return 42; }
int mt_init(void *t, void **d) { return 72; }
"""


@pytest.fixture
def compiledir(tmp_path):
    fastcall.extension()  # the call path's extensions, once per process: not in tmp_path
    schedule.extension()
    with config.change_flags(compiledir=str(tmp_path)):
        yield tmp_path


def test_cache_key_names_everything_that_changes_the_library():
    flags = build.flags()
    key = build.cache_key(SOURCE, config.cxx, flags)
    assert key == build.cache_key(SOURCE, config.cxx, flags)  # stable
    assert len(key) == 32 and int(key, 16) >= 0
    others = {build.cache_key(SOURCE + " ", config.cxx, flags),
              build.cache_key(SOURCE, config.cxx, flags + ["-DX"]),
              build.cache_key(SOURCE, config.cxx, [f for f in flags if f != "-march=native"])}
    assert key not in others and len(others) == 3
    if Path("/usr/bin/cc").exists() and config.cxx != "cc":  # another compiler, another key
        assert build.cache_key(SOURCE, "cc", flags) != key or os.path.realpath(
            "/usr/bin/cc") == os.path.realpath(build.shutil.which(config.cxx))


def test_second_compile_is_free(compiledir, monkeypatch):
    so = build.library_path(SOURCE)
    assert so.parent == compiledir and cache.is_valid(so)
    assert so.with_suffix(".c").read_text() == SOURCE  # the source, kept for reading

    def no_compiler(*args, **kwargs):
        raise AssertionError("the compiler was called again")

    monkeypatch.setattr(build.subprocess, "run", no_compiler)
    assert build.library_path(SOURCE) == so


def _compile_in_child(args: tuple[str, str]) -> str:
    directory, source = args
    config.compiledir = directory
    return str(build.library_path(source))


def test_four_processes_compiling_the_same_key(compiledir):
    source = SOURCE + "/* concurrent */\n"
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(4) as pool:
        paths = pool.map(_compile_in_child, [(str(compiledir), source)] * 4)
    assert len(set(paths)) == 1
    so = Path(paths[0])
    assert cache.is_valid(so)
    assert not list(compiledir.glob("tmp-*"))  # every build directory was cleaned up
    assert sorted(p.suffix for p in compiledir.iterdir()) == [".c", ".ok", ".so"]


def _fresh_module() -> tuple[str, dict[str, int]]:
    """The source of a module never loaded in this process (a loaded library
    cannot be damaged under a running process without crashing it)."""
    from minitheano.link.c.loops import CPrinter
    from minitheano.link.kernel import describe

    x = T.dvector("x")
    node = T.exp(x).owner
    source = CPrinter().module([("k0", describe(node), f"test {os.getpid()} {id(node)}")])
    return source, {"k0": 2}


def test_truncated_library_is_detected_and_rebuilt(compiledir):
    source, names = _fresh_module()
    so = build.library_path(source)
    data = so.read_bytes()
    so.write_bytes(data[: len(data) // 2])  # a crash while writing, a full disk...
    assert not cache.is_valid(so)
    lib = library.load(source, names)
    assert cache.is_valid(so) and so.read_bytes() == data
    out = np.empty(3)
    assert lib.kernels["k0"](np.arange(3.0), out) == 0
    np.testing.assert_allclose(out, np.exp(np.arange(3.0)))


def test_damaged_library_that_does_not_load_is_rebuilt(compiledir):
    source, names = _fresh_module()
    so = build.library_path(source)
    good = so.read_bytes()
    so.write_bytes(b"\x7fELF garbage" * 10)  # checksum updated: only dlopen can tell
    so.with_suffix(".ok").write_text(cache.fingerprint(so.read_bytes()))
    lib = library.load(source, names)
    assert so.read_bytes() == good
    out = np.empty(2)
    assert lib.kernels["k0"](np.zeros(2), out) == 0 and out.tolist() == [1.0, 1.0]


@pytest.mark.parametrize("cxx", ["", "no-such-compiler-here"])
def test_no_compiler_runs_everything_in_python_with_one_warning(compiledir, cxx, monkeypatch):
    monkeypatch.setattr(thunk, "_warned", set())
    x = T.dmatrix("x")
    with config.change_flags(cxx=cxx), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = th.function([x], T.exp(x).sum(axis=0))
        g = th.function([x], x * 2)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1, messages
    assert ("config.cxx is empty" if not cxx else cxx) in messages[0]
    assert "Python" in messages[0]
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(f(a), np.exp(a).sum(axis=0))
    np.testing.assert_allclose(g(a), a * 2)
    assert not list(compiledir.glob("*.so"))


class BadC(UnaryScalarOp):
    """An op whose C does not compile."""
    name = "bad_c"
    c_template = "{0} +* )"

    def output_dtype(self, dtype):
        return dtype

    def impl(self, x):
        return x


def test_compile_error_shows_numbered_source_and_compiler_message(compiledir):
    x = T.dvector("x")
    with pytest.raises(build.CompileError) as info:
        th.function([x], Elemwise(BadC())(x))
    message = str(info.value)
    assert "error" in message  # the compiler's own words
    line = next(n for n in message.splitlines() if "+* )" in n and n.strip()[0].isdigit())
    number = int(line.split()[0])
    assert f"mod.c:{number}:" in message  # the compiler points at a line we show


def test_cache_command_lists_and_clears(compiledir):
    x = T.dvector("x")
    th.function([x], T.sqrt(x) + 3)
    env = {**os.environ, "MINITHEANO_FLAGS": f"compiledir={compiledir}",
           "PYTHONPATH": str(Path(__file__).parents[2])}
    listed = subprocess.run([sys.executable, "-m", "minitheano", "cache", "list"], env=env,
                            capture_output=True, text=True, check=True).stdout
    assert "1 compiled module(s)" in listed and "sqrt" in listed
    cleared = subprocess.run([sys.executable, "-m", "minitheano", "cache", "clear"], env=env,
                             capture_output=True, text=True, check=True).stdout
    assert "removed 1" in cleared
    assert not list(compiledir.iterdir())
    bad = subprocess.run([sys.executable, "-m", "minitheano", "cache"], env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "usage" in bad.stderr


@pytest.mark.skipif(build.platform.machine() != "x86_64"
                    or build.platform.libc_ver()[0] != "glibc", reason="libmvec: x86-64 glibc")
@pytest.mark.parametrize("dtype, fn", [("float64", "tanh"), ("float32", "tanhf"),
                                       ("float32", "expf"), ("float64", "log1p")])
def test_math_functions_are_vectorized_with_libmvec(dtype, fn):
    """In the contiguous loop, gcc calls glibc's vector versions (_ZGV..._tanh
    computes 4 or 8 values at once), while NaN and inf keep their meaning.
    (With config.vector_math = "libm": "auto" takes vecmath.py's tanh, faster.)"""
    x = T.vector("x", dtype=dtype)
    op = {"tanh": T.tanh, "tanhf": T.tanh, "expf": T.exp, "log1p": T.log1p}[fn]
    with config.change_flags(vector_math="libm"):
        f = th.function([x], op(x))
        source, path = library.module_of(f.maker.fgraph)
    assert f"{fn}(v0)" in source
    assert f"v_{fn}".encode() in Path(path).read_bytes()  # e.g. _ZGVdN8v_tanhf
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, 30.0] * 3, dtype=dtype)
    with np.errstate(all="ignore"):
        expected = {"tanh": np.tanh, "tanhf": np.tanh, "expf": np.exp, "log1p": np.log1p}[fn](
            special)
    np.testing.assert_array_equal(np.isnan(f(special)), np.isnan(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(f(special)[finite], expected[finite], rtol=1e-6)
    np.testing.assert_array_equal(f(special)[~finite], expected[~finite])
