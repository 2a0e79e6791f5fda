"""A kernel is compiled once for every function that needs it (the kernel index of build.py).

A function's kernels not in the cache are compiled together, in one module; a small index
file per kernel then names that library, so a later function with the same kernel loads it
instead of compiling it. Checked: what compiles and what does not, that the shared kernel
computes the right values, and that a missing or damaged library behind an index entry is
rebuilt.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import minitheano as th
from minitheano import tensor as T
from minitheano.compile import fastcall
from minitheano.config import config
from minitheano.link.c import build, cache, library, schedule
from minitheano.link.c.loops import CPrinter
from minitheano.scalar.math import add
from minitheano.tensor.kernel import ElemwiseKernel, Operand, scalar_program


@pytest.fixture
def compiledir(tmp_path, monkeypatch):
    monkeypatch.setattr(library, "_BY_PATH", {})  # no library loaded from another folder
    fastcall.extension()  # the call path's extensions, once per process: not counted here
    schedule.extension()
    with config.change_flags(compiledir=str(tmp_path)):
        yield tmp_path


@pytest.fixture
def compiles(monkeypatch) -> list[str]:
    """The sources the compiler is run on from now on (a library not in the cache yet)."""
    seen: list[str] = []
    real = build.library_path

    def counting(source: str) -> Path:
        key = build.cache_key(source, config.cxx, build.flags())
        if not cache.is_valid(Path(config.compiledir) / f"{cache.PREFIX}{key}.so"):
            seen.append(source)
        return real(source)

    monkeypatch.setattr(build, "library_path", counting)
    return seen


def libraries(folder) -> list:
    """The kernel libraries in `folder` (not the call path's extensions, which a
    process compiling its first function there also builds: compile/fastcall.py,
    link/c/schedule.py)."""
    return sorted(so for so in folder.glob(f"{cache.PREFIX}*.so")
                  if b"PyInit_minitheano_" not in so.read_bytes())


def test_a_kernel_is_compiled_once_for_every_function_that_needs_it(compiledir, compiles):
    x, y = T.dvectors("x", "y")
    a, b = np.arange(3.0), np.ones(3)
    first = th.function([x, y], T.exp(x) * y + 1)  # one fused kernel
    assert len(compiles) == 1 and len(libraries(compiledir)) == 1
    u, v = T.dvectors("u", "v")
    second = th.function([u, v], T.exp(u) * v + 1)  # the same kernel, other variables
    assert len(compiles) == 1, "the shared kernel was compiled again"
    np.testing.assert_allclose(second(a, b), np.exp(a) * b + 1)
    # A function with the shared kernel and a new one compiles only the new one.
    both = th.function([x, y], [T.exp(x) * y + 1, T.tanh(x).sum()])
    assert len(compiles) == 2
    summary = compiles[-1].split("*/")[0]  # the module's first comment lists its kernels
    assert "tanh" in summary and "exp" not in summary
    out, total = both(a, b)
    np.testing.assert_allclose(out, np.exp(a) * b + 1)
    np.testing.assert_allclose(total, np.tanh(a).sum())
    np.testing.assert_allclose(first(a, b), np.exp(a) * b + 1)
    assert len(libraries(compiledir)) == 2  # the tanh (and sum) kernels in one library


def test_a_missing_library_behind_an_index_entry_is_compiled_again(compiledir, compiles):
    x = T.dvector("x")
    th.function([x], T.exp(x) * 2)
    (so,) = libraries(compiledir)
    build.discard(so)
    library._BY_PATH.clear()
    f = th.function([x], T.exp(x) * 2)
    assert len(compiles) == 2
    np.testing.assert_allclose(f(np.arange(3.0)), np.exp(np.arange(3.0)) * 2)


def test_a_damaged_library_behind_an_index_entry_is_rebuilt(compiledir):
    # Compiled by another process: a library this one has loaded must not change under it.
    subprocess.run([sys.executable, "-c", COMPILE_EXP_TIMES_2], check=True,
                   env={**os.environ, "MINITHEANO_FLAGS": f"compiledir={compiledir}"})
    (so,) = libraries(compiledir)
    so.write_bytes(b"\x7fELF garbage" * 10)  # checksum updated: only dlopen can tell
    cache.sidecar(so).write_text(cache.fingerprint(so.read_bytes()))
    x = T.dvector("x")
    f = th.function([x], T.exp(x) * 2)
    np.testing.assert_allclose(f(np.arange(3.0)), np.exp(np.arange(3.0)) * 2)


COMPILE_EXP_TIMES_2 = """
import minitheano as th
from minitheano import tensor as T
x = T.dvector("x")
th.function([x], T.exp(x) * 2)
"""


def test_an_index_entry_naming_something_else_is_ignored(compiledir, compiles):
    x = T.dvector("x")
    th.function([x], T.exp(x) * 2)
    (so,) = libraries(compiledir)
    (index,) = compiledir.glob(f"{cache.PREFIX}*.kernel")
    index.write_text("../../etc/passwd")
    library._BY_PATH.clear()
    f = th.function([x], T.exp(x) * 2)
    np.testing.assert_allclose(f(np.arange(3.0)), np.exp(np.arange(3.0)) * 2)
    # Printed again, the module has the key of the library already there: no compile.
    assert len(compiles) == 1 and index.read_text() == so.name


def test_two_kernels_that_print_the_same_c_are_compiled_once(compiledir, compiles):
    """Kernels that differ as descriptions may print the same C: an in-place add of two
    length-1 vectors into its first or its second input. On an empty cache the module
    holds that C function once (twice was a compile error: a redefinition)."""
    one = Operand("float64", (True,))
    program = scalar_program(add, ("float64", "float64"))
    into_first = ElemwiseKernel((one, one), (one,), program, inplace=((0, 0),))
    into_second = ElemwiseKernel((one, one), (one,), program, inplace=((0, 1),))
    assert into_first != into_second
    printed = [library.Printed(k, "add", build.cache_key(  # as library.print_kernels does
        CPrinter().module([("k", k, "add")]), config.cxx, build.flags()))
        for k in (into_first, into_second)]
    assert printed[0].key == printed[1].key  # the same C
    functions = library.kernel_functions(printed)
    assert len(compiles) == 1
    a, b = np.array([2.0]), np.array([3.0])
    assert functions[into_first](a, b, a) == 0 and a[0] == 5.0
    assert functions[into_second](a, b, b) == 0 and b[0] == 8.0
