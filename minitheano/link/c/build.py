"""Compiling C modules with the system compiler, and caching them on disk (chapter 5).

`library_path(source)` returns the path of a shared library built from
`source`, compiling it only if no valid copy is in the cache:

* the cache is the directory `config.compiledir` (MINITHEANO_FLAGS=compiledir=...);
* a library's file name is its *key*: a hash of everything that decides what
  the compiler produces (the source, the compiler's version, the flags, and
  for -march=native the processor; the C library's version for its headers).
  Same key, same library: a second compile of the same function, in this
  process or any later one, costs a hash and a file check;
* several processes may compile the same key at once: each builds in a
  private temporary directory and moves its result into place with an atomic
  `os.replace`, so a reader sees either no library or a complete one (no lock
  to leave behind when a process dies);
* next to each library, a small sidecar file holds its size and checksum: a
  truncated or damaged library is detected and rebuilt.

A compile error shows the generated source with line numbers and the
compiler's message.  With `config.cxx = ''`, or a compiler that does not
exist, `compiler_problem()` says why, and everything runs in Python.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from minitheano.config import config

# -O3 and a shared library, plus what keeps numpy's results exact:
#   -fwrapv            signed integers wrap around on overflow, as numpy's do;
#   -ffp-contract=off  no fused multiply-add: x*y + z rounds x*y first, as numpy;
#   -fno-math-errno    sqrt and friends need not set errno (we never read it);
#   -fno-trapping-math no floating-point traps (numpy only records warnings);
#   -fopenmp-simd      honour `#pragma omp simd` (and nothing else of OpenMP).
FLAGS = ("-O3", "-shared", "-fPIC", "-fwrapv", "-ffp-contract=off", "-fno-math-errno",
         "-fno-trapping-math", "-fopenmp-simd", "-march=native")
PREFIX = "mt_"


class CompileError(RuntimeError):
    """The C compiler refused a generated module."""


def compiler_problem() -> str | None:
    """Why C code cannot be compiled here, or None when it can."""
    cxx = config.cxx
    if not cxx:
        return "config.cxx is empty (MINITHEANO_FLAGS=cxx=)"
    if shutil.which(cxx) is None:
        return f"the C compiler {cxx!r} (config.cxx) was not found"
    return None


def flags() -> list[str]:
    """The compiler flags: FLAGS, and glibc's vector math library where it exists."""
    result = list(FLAGS)
    if platform.machine() == "x86_64" and platform.libc_ver()[0] == "glibc":
        result += ["-DMT_LIBMVEC", "-lmvec"]
    return result + ["-lm"]


@functools.cache
def _compiler_identity(cxx: str) -> str:
    path = shutil.which(cxx) or cxx
    out = subprocess.run([path, "--version"], capture_output=True, text=True)
    return f"{os.path.realpath(path)}\n{out.stdout}"


@functools.cache
def _machine_identity() -> str:
    """What -march=native depends on: the processor model and its features."""
    try:
        text = Path("/proc/cpuinfo").read_text()
        first = text.split("\n\n")[0]
        return "\n".join(line for line in first.splitlines()
                         if line.startswith(("model name", "flags", "vendor_id", "cpu family")))
    except OSError:
        return f"{platform.machine()} {platform.processor()}"


def cache_key(source: str, cxx: str, flag_list: list[str]) -> str:
    """The hash naming a library: everything that changes what the compiler makes."""
    # --8<-- [start:ex-ch05-cache-key]
    parts = [source, _compiler_identity(cxx), " ".join(flag_list),
             " ".join(platform.libc_ver())]  # the C library: its headers are compiled in
    if "-march=native" in flag_list:  # code for this processor only
        parts.append(_machine_identity())
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]
    # --8<-- [end:ex-ch05-cache-key]


def _sidecar(so: Path) -> Path:
    return so.with_suffix(".ok")


def _fingerprint(data: bytes) -> str:
    return f"{len(data)} {hashlib.sha256(data).hexdigest()}"


def is_valid(so: Path) -> bool:
    """Is `so` a complete library, as its sidecar says it was written?"""
    try:
        expected = _sidecar(so).read_text()
        data = so.read_bytes()
    except OSError:
        return False
    return _fingerprint(data) == expected


def library_path(source: str) -> Path:
    """The path of a valid library built from `source`: from the cache, or compiled now."""
    cxx = config.cxx
    flag_list = flags()
    key = cache_key(source, cxx, flag_list)
    directory = Path(config.compiledir)
    so = directory / f"{PREFIX}{key}.so"
    if is_valid(so):
        return so
    directory.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(directory)
    tmp = Path(tempfile.mkdtemp(prefix="tmp-", dir=directory))
    try:
        (tmp / "mod.c").write_text(source)
        cmd = [shutil.which(cxx) or cxx, "mod.c", "-o", "mod.so", *flag_list]
        result = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True,
                                env={**os.environ, "LC_ALL": "C"})
        if result.returncode != 0:
            raise CompileError(compile_error_message(source, cmd, result.stderr))
        (tmp / "mod.ok").write_text(_fingerprint((tmp / "mod.so").read_bytes()))
        # The library first, its sidecar last: until the sidecar is there, a
        # reader takes the library for missing and builds its own copy.
        os.replace(tmp / "mod.c", so.with_suffix(".c"))
        os.replace(tmp / "mod.so", so)
        os.replace(tmp / "mod.ok", _sidecar(so))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return so


# -- kernels shared between functions ---------------------------------------------------
# A function's kernels not yet in the cache are compiled in one module (one compiler run);
# a small index file per kernel, named by the kernel's own key, then says which library
# holds it, so the next function that needs that kernel loads it instead of compiling it.
def _kernel_index(key: str) -> Path:
    return Path(config.compiledir) / f"{PREFIX}{key}.kernel"


def kernel_library(key: str) -> Path | None:
    """The valid library that holds the kernel `key`, or None if it was never compiled."""
    try:
        name = _kernel_index(key).read_text().strip()
    except OSError:
        return None
    so = Path(config.compiledir) / name
    return so if name.startswith(PREFIX) and is_valid(so) else None


def record_kernels(keys: list[str], so: Path) -> None:
    """Note that library `so` holds the kernels `keys` (each index written atomically)."""
    for key in keys:
        index = _kernel_index(key)
        tmp = index.with_name(f"tmp-{os.getpid()}-{index.name}")
        tmp.write_text(so.name)
        os.replace(tmp, index)


def discard(so: Path) -> None:
    """Remove a library that would not load, so that it is rebuilt."""
    for path in (_sidecar(so), so):
        try:
            path.unlink()
        except OSError:
            pass


def compile_error_message(source: str, cmd: list[str], stderr: str) -> str:
    numbered = "\n".join(f"{n:5d}  {line}" for n, line in enumerate(source.splitlines(), 1))
    return (f"the C compiler failed on a generated module.\n"
            f"Command: {' '.join(cmd)}\n"
            f"Compiler output:\n{stderr.rstrip()}\n"
            f"Generated source (mod.c):\n{numbered}")


def _remove_stale_temporaries(directory: Path, age: float = 3600.0) -> None:
    """Build directories left by processes that died (an hour old)."""
    now = time.time()
    for tmp in directory.glob("tmp-*"):
        try:
            if now - tmp.stat().st_mtime > age:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            pass


# -- `python -m minitheano cache list|clear` ----------------------------------------------
def cache_entries() -> list[tuple[Path, int, float, str]]:
    """(library, size, modification time, first line of its source) for each cached library."""
    entries = []
    for so in sorted(Path(config.compiledir).glob(f"{PREFIX}*.so")):
        try:
            stat = so.stat()
            with open(so.with_suffix(".c")) as f:
                title = f.readline().strip()
        except OSError:
            title = ""
            stat = so.stat() if so.exists() else None
        if stat is not None:
            entries.append((so, stat.st_size, stat.st_mtime, title))
    return entries


def clear_cache() -> int:
    """Remove every cached library; the number removed."""
    directory = Path(config.compiledir)
    count = 0
    for path in directory.glob(f"{PREFIX}*"):
        if path.suffix == ".so":
            count += 1
        path.unlink(missing_ok=True)
    for tmp in directory.glob("tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)
    return count
