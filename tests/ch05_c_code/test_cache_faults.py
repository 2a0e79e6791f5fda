"""Every fault of the compile cache ends in a right result (rebuilt, or run in Python
after one warning naming the directory and the cause) or a clear error: never a raw OS
exception from the linker, never a wrong result (issue 16).

Some faults need a second user (a read-only directory means nothing to root) or a
tmpfs (a full disk): those tests skip, saying why, where the machine cannot do it."""

from __future__ import annotations

import errno
import itertools
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

import minitheano as th
from minitheano import tensor as T
from minitheano.config import config
from minitheano.link.c import build, cache, library, thunk

REPO = Path(__file__).parents[2]
NOBODY = 65534  # the user id of `nobody` on Debian and most Linux systems
_counter = itertools.count()


@pytest.fixture
def compiledir(tmp_path, monkeypatch):
    monkeypatch.setattr(thunk, "_warned", set())
    where = tmp_path / "cache"
    with config.change_flags(compiledir=str(where)):
        yield where


def fresh_constant() -> float:
    """A constant never compiled before: it is in the C source, so the key is new."""
    return 1.0 + (os.getpid() % 1000) / 1e3 + next(_counter) / 1e7 + time.time() % 1 / 1e12


def run_function() -> tuple[np.ndarray, list[str]]:
    """Compile and run a function never compiled before; its result (checked against
    numpy) and the warnings raised."""
    c = fresh_constant()
    x = T.dvector("x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = th.function([x], T.exp(x) * c + 1)
    a = np.array([0.0, 1.0, -2.5, np.inf, np.nan])
    out = f(a)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(out, np.exp(a) * c + 1, rtol=1e-14)  # C's exp: 1 ulp
    return out, [str(w.message) for w in caught]


def assert_one_warning(messages: list[str], *words: str) -> None:
    assert len(messages) == 1, messages
    for word in words:
        assert word in messages[0], messages[0]
    assert "Python" in messages[0]


def no_leftovers(where: Path) -> None:
    assert not list(where.glob("tmp-*")), "a build directory was left behind"
    for so in where.glob("mt_*.so"):
        assert cache.is_valid(so), f"{so.name}: a half-written entry"


def fake_compiler(tmp_path: Path, body: str) -> str:
    """A `cxx` script (set through config.cxx) that answers --version and then runs `body`."""
    script = tmp_path / f"fake-cxx-{next(_counter)}"
    script.write_text(f'#!/bin/sh\nif [ "$1" = --version ]; then echo fake 1.0; exit 0; fi\n'
                      f"{body}\n")
    script.chmod(0o755)
    return str(script)


def fresh_source(body: str = "exp") -> str:
    """A module of one kernel, never compiled or loaded in this process."""
    from minitheano.link.c.loops import CPrinter
    from minitheano.link.kernel import describe

    x = T.dvector("x")
    node = getattr(T, body)(x).owner
    title = f"test {os.getpid()} {next(_counter)} {time.time()}"
    return CPrinter().module([("k0", describe(node), title)])


def run_kernel(source: str, fn) -> None:
    lib = library.load(source, {"k0": 2})
    a = np.array([0.0, 0.5, -1.0])
    out = np.empty(3)
    assert lib.kernels["k0"](a, out) == 0
    np.testing.assert_allclose(out, fn(a), rtol=1e-14)


# -- the directory ----------------------------------------------------------------------------
def test_compile_directory_is_created_private(compiledir):
    deeper = compiledir / "a" / "b"
    with config.change_flags(compiledir=str(deeper)):
        run_function()
    assert stat.S_IMODE(deeper.stat().st_mode) == cache.PRIVATE
    assert list(deeper.glob("mt_*.so"))


def test_compiledir_that_is_a_file(compiledir):
    compiledir.parent.mkdir(exist_ok=True)
    compiledir.write_text("not a directory")
    _, messages = run_function()
    assert_one_warning(messages, str(compiledir), "is a file")
    assert compiledir.read_text() == "not a directory"


def test_compiledir_inside_a_file(compiledir):
    compiledir.write_text("not a directory")
    with config.change_flags(compiledir=str(compiledir / "sub")):
        _, messages = run_function()
    assert_one_warning(messages, str(compiledir / "sub"), "cannot be created")


def test_directory_writable_by_others_is_refused(compiledir):
    compiledir.mkdir(mode=0o777)
    compiledir.chmod(0o777)
    _, messages = run_function()
    assert_one_warning(messages, str(compiledir), "others may write", "chmod 700")
    assert not list(compiledir.iterdir())  # nothing compiled, nothing loaded from there


@pytest.mark.skipif(os.getuid() != 0, reason="giving a directory to another user needs root")
def test_directory_owned_by_another_user_is_refused(compiledir):
    compiledir.mkdir(mode=0o700)
    os.chown(compiledir, NOBODY, NOBODY)
    _, messages = run_function()
    assert_one_warning(messages, str(compiledir), f"user id {NOBODY}", "not to you")
    assert not list(compiledir.iterdir())


@pytest.mark.skipif(os.getuid() != 0, reason="giving a file to another user needs root")
def test_library_owned_by_another_user_is_rebuilt(compiledir):
    source = fresh_source("sin")
    so = build.library_path(source)
    os.chown(so, NOBODY, NOBODY)
    assert not cache.is_valid(so)
    run_kernel(source, np.sin)
    assert so.stat().st_uid == os.getuid() and cache.is_valid(so)


def run_as_unprivileged(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run Python `code` in a process without privileges.  Root may write anywhere
    (CAP_DAC_OVERRIDE): as root, the child is root without any capability, for
    which a directory's mode means what it means to any user (`setpriv`)."""
    prefix = []
    if os.getuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: cannot drop privileges")
        prefix = ["setpriv", "--bounding-set=-all", "--inh-caps=-all"]
    return subprocess.run([*prefix, sys.executable, "-c", textwrap.dedent(code)],
                          env={**os.environ, "PYTHONPATH": str(REPO), **env},
                          capture_output=True, text=True, timeout=120)


def test_read_only_directory_as_an_unprivileged_user():
    where = Path(tempfile.mkdtemp(prefix="mt-readonly-"))
    try:
        where.chmod(0o500)
        probe = run_as_unprivileged(f"open({str(where / 'probe')!r}, 'w')")
        if "PermissionError" not in probe.stderr:
            pytest.skip(f"this process cannot be made unprivileged: {probe.stderr[-300:]}")
        child = run_as_unprivileged("""
            import warnings
            import numpy as np
            import minitheano as th
            from minitheano import tensor as T
            x = T.dvector("x")
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                f = th.function([x], T.exp(x) * 2.5)
                g = th.function([x], T.exp(x) * 3.5)
            assert np.allclose(f(np.arange(3.0)), np.exp(np.arange(3.0)) * 2.5)
            assert np.allclose(g(np.arange(3.0)), np.exp(np.arange(3.0)) * 3.5)
            for w in caught:
                if issubclass(w.category, UserWarning):
                    print("WARNING", w.message)
        """, MINITHEANO_FLAGS=f"compiledir={where}")
        assert child.returncode == 0, child.stderr
        messages = [line for line in child.stdout.splitlines() if line.startswith("WARNING")]
        assert len(messages) == 1, child.stdout  # one warning for both functions
        assert str(where) in messages[0] and "PermissionError" in messages[0]
        assert "Python" in messages[0] and "Traceback" not in child.stderr
        assert not list(where.iterdir())
    finally:
        where.chmod(0o700)
        shutil.rmtree(where, ignore_errors=True)


def test_full_disk_leaves_no_half_written_entry(compiledir, monkeypatch):
    """The disk fills while the sidecar is written: no entry, one warning, Python."""
    real = Path.write_text

    def full(self, text, *args, **kwargs):
        if self.suffix == ".ok":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    _, messages = run_function()
    assert_one_warning(messages, str(compiledir), "No space left on device")
    assert not list(compiledir.glob("mt_*")) and not list(compiledir.glob("tmp-*"))
    monkeypatch.undo()
    run_function()  # space again: compiled as usual
    assert len(list(compiledir.glob("mt_*.so"))) == 1


@pytest.mark.skipif(os.getuid() != 0, reason="mounting a small tmpfs needs root")
def test_full_disk_on_a_real_filesystem(compiledir):
    compiledir.mkdir(mode=0o700)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=700", "tmpfs",
                              str(compiledir)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        run_function()  # room for one entry
        filler = compiledir / "filler"
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * 4096)
            except OSError:
                pass
        _, messages = run_function()
        assert_one_warning(messages, str(compiledir), "space")
        no_leftovers(compiledir)
        assert len(list(compiledir.glob("mt_*.so"))) == 1
        filler.unlink()
        run_function()
        assert len(list(compiledir.glob("mt_*.so"))) == 2
    finally:
        # lazily: the libraries loaded from it stay mapped in this process
        subprocess.run(["umount", "--lazy", str(compiledir)], check=False)


# -- the compiler -----------------------------------------------------------------------------
def test_compiler_that_writes_nothing(compiledir, tmp_path):
    with config.change_flags(cxx=fake_compiler(tmp_path, "exit 0")):
        _, messages = run_function()
    assert_one_warning(messages, str(compiledir), "wrote no library")
    no_leftovers(compiledir)


def test_compiler_that_writes_garbage(compiledir, tmp_path):
    with config.change_flags(cxx=fake_compiler(tmp_path, 'echo garbage > mod.so')):
        _, messages = run_function()
    assert_one_warning(messages, str(compiledir), "does not load")
    assert not list(compiledir.glob("mt_*.so"))  # the garbage is not kept
    no_leftovers(compiledir)


@pytest.mark.parametrize("body, words", [("kill -SEGV $$", "killed by signal 11"),
                                         ("echo 'internal compiler error' >&2; exit 4",
                                          "exit status 4")])
def test_compiler_that_crashes_is_a_clear_error(compiledir, tmp_path, body, words):
    x = T.dvector("x")
    with config.change_flags(cxx=fake_compiler(tmp_path, body)):
        with pytest.raises(build.CompileError, match=words) as info:
            th.function([x], T.exp(x) * fresh_constant())
    assert "Generated source" in str(info.value)
    no_leftovers(compiledir)


def test_library_path_replaced_by_a_directory(compiledir):
    source = fresh_source("cos")
    key = build.cache_key(source, config.cxx, build.flags())
    so = compiledir / f"{cache.PREFIX}{key}.so"
    (so / "inside").mkdir(parents=True, mode=0o700)
    compiledir.chmod(0o700)
    run_kernel(source, np.cos)
    assert so.is_file() and cache.is_valid(so)


def small_library(tmp_path: Path, c_source: str) -> bytes:
    """A valid shared library of a few lines (quick to compile)."""
    (tmp_path / "small.c").write_text(c_source)
    subprocess.run([config.cxx, "small.c", "-o", "small.so", "-shared", "-fPIC"], cwd=tmp_path,
                   check=True)
    return (tmp_path / "small.so").read_bytes()


@pytest.mark.parametrize("stamp", ['return "0123456789abcdef0123456789abcdef";', None],
                         ids=["another key", "no key"])
def test_foreign_library_under_a_key_is_rebuilt(compiledir, tmp_path, stamp):
    """A valid library that was not built for this key (another key compiled in, or
    none: built some other way), with a matching sidecar, is not trusted."""
    source = fresh_source("sin")
    so = build.library_path(source)
    body = f"const char *{cache.KEY_FUNCTION}(void) {{ {stamp} }}" if stamp else "int k0;"
    foreign = small_library(tmp_path, body)
    so.write_bytes(foreign)
    cache.sidecar(so).write_text(cache.fingerprint(foreign))
    assert cache.is_valid(so)  # intact: only its key can tell
    run_kernel(source, np.sin)
    assert cache.is_valid(so) and so.read_bytes() != foreign


def test_stale_build_directories_are_removed(compiledir):
    compiledir.mkdir(mode=0o700)
    stale, recent = compiledir / "tmp-dead", compiledir / "tmp-alive"
    for d in (stale, recent):
        (d / "mod.c").parent.mkdir()
        (d / "mod.c").write_text("/* half */")
    old = time.time() - 2 * cache.STALE_AFTER
    os.utime(stale, (old, old))
    run_function()
    assert not stale.exists() and recent.exists()  # another process may still use it


def test_interrupted_compile_leaves_nothing_and_the_next_compile_succeeds(compiledir, tmp_path):
    compiledir.mkdir(mode=0o700)
    started = tmp_path / "compiler-started"  # the compiler runs: interrupt it now
    slow = fake_compiler(tmp_path, f'touch {started}; exec sleep 60')
    # Ctrl-C must reach the child as a KeyboardInterrupt even when pytest itself was
    # started in the background by a script (`pytest &`), which ignores SIGINT for
    # everything it starts: the child puts Python's own handler back first.
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent("""
            import signal
            signal.signal(signal.SIGINT, signal.default_int_handler)
            import minitheano as th
            from minitheano import tensor as T
            x = T.dvector("x")
            th.function([x], T.exp(x) * 4.25)
        """)],
        env={**os.environ, "PYTHONPATH": str(REPO),
             "MINITHEANO_FLAGS": f"compiledir={compiledir},cxx={slow}"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline = time.time() + 60
        while not started.exists() and time.time() < deadline:
            time.sleep(0.05)
        assert list(compiledir.glob("tmp-*")), "the compile never started"
        os.killpg(child.pid, signal.SIGINT)  # Ctrl-C: the whole process group
        _, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode != 0 and "KeyboardInterrupt" in err, err
    assert not list(compiledir.iterdir())  # no build directory, no entry
    run_function()  # the next compile (the real compiler) succeeds
    no_leftovers(compiledir)


# -- python -m minitheano cache check -----------------------------------------------------------
def test_cache_check_removes_bad_entries(compiledir):
    good = build.library_path(fresh_source("exp"))
    truncated, foreign = (compiledir / f"{cache.PREFIX}{k * 32}.so" for k in "12")
    truncated.write_bytes(good.read_bytes()[:100])
    cache.sidecar(truncated).write_text(cache.sidecar(good).read_text())
    foreign.write_bytes(good.read_bytes())  # intact, but built for another key
    cache.sidecar(foreign).write_text(cache.sidecar(good).read_text())
    orphan = compiledir / f"{cache.PREFIX}{'0' * 32}.c"
    orphan.write_text("/* its library is gone */")
    env = {**os.environ, "MINITHEANO_FLAGS": f"compiledir={compiledir}",
           "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-m", "minitheano", "cache", "check"], env=env,
                         capture_output=True, text=True, check=True).stdout
    assert "checked 3 compiled module(s)" in out and "3 bad entry(ies) removed" in out
    assert f"{truncated.name}: the library does not match its sidecar" in out
    assert f"{foreign.name}: the library does not load" in out
    assert sorted(p.name for p in compiledir.iterdir()) == sorted(
        [good.name, good.with_suffix(".c").name, good.with_suffix(".ok").name])
    again = subprocess.run([sys.executable, "-m", "minitheano", "cache", "check"], env=env,
                           capture_output=True, text=True, check=True).stdout
    assert "checked 1 compiled module(s)" in again and "0 bad" in again
