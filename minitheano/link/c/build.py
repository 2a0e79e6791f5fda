"""Compiling C modules with the system compiler (chapter 5).

`library_path(source)` returns the path of a shared library built from
`source`, compiling it only if no valid copy is in the cache (cache.py):

* a library's file name is its *key*: a hash of everything that decides what
  the compiler produces (the source, the compiler's version, the flags, and
  for -march=native the processor; the C library's version for its headers).
  Same key, same library: a second compile of the same function, in this
  process or any later one, costs a hash and a file check;
* the key is also compiled into the library (a function `mt_cache_key`), and
  the linker checks it on loading: a library proves it was built for its key;
* several processes may compile the same key at once: each builds in a
  private temporary directory and moves its result into place with an atomic
  `os.replace`, so a reader sees either no library or a complete one (no lock
  to leave behind when a process dies).

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
import signal
import subprocess
from pathlib import Path

from minitheano.config import config
from minitheano.link.c import cache

# -O3 (OPTIMIZATION) and a shared library, plus what keeps numpy's results exact:
#   -fwrapv            signed integers wrap around on overflow, as numpy's do;
#   -ffp-contract=off  no fused multiply-add: x*y + z rounds x*y first, as numpy;
#   -fno-math-errno    sqrt and friends need not set errno (we never read it);
#   -fno-trapping-math no floating-point traps (numpy only records warnings);
#   -fopenmp-simd      honour `#pragma omp simd` (and nothing else of OpenMP).
# config.gcc.cxxflags come last: a later -O1 there wins over -O3.
OPTIMIZATION = "-O3"
FLAGS = ("-shared", "-fPIC", "-fwrapv", "-ffp-contract=off", "-fno-math-errno",
         "-fno-trapping-math", "-fopenmp-simd", "-march=native")
NO_SPACE = "No space left on device"  # strerror(ENOSPC): the compiler could not write


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


def flags(optimization: str = OPTIMIZATION) -> list[str]:
    """The compiler flags: the optimization level, FLAGS, OpenMP if config.openmp,
    glibc's vector math library where it exists, then config.gcc.cxxflags."""
    result = [optimization, *FLAGS] + (["-fopenmp"] if config.openmp else [])
    if has_libmvec():
        result += ["-DMT_LIBMVEC", "-lmvec"]
    return result + ["-lm", *config.gcc.cxxflags.split()]


def has_libmvec() -> bool:
    """Does glibc's vector math library exist here (x86-64 with glibc)?"""
    return platform.machine() == "x86_64" and platform.libc_ver()[0] == "glibc"


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


def library_path(source: str, cxx: str | None = None,
                 optimization: str = OPTIMIZATION) -> Path:
    """The path of a valid library built from `source`: from the cache, or compiled now.
    `cxx`: another compiler than config.cxx (chapter 6's emulator needs C++);
    `optimization`: another level than -O3 (the emulator's)."""
    cxx = cxx or config.cxx
    flag_list = flags(optimization)
    key = cache_key(source, cxx, flag_list)
    so = cache.library(key)
    where = cache.directory()  # CacheError: unusable, with the reason and what to do
    if cache.is_valid(so):
        return so
    with cache.build_directory(where) as tmp:
        cache.write(tmp / "source.c", source)  # kept beside the library, for reading
        # The key stamp goes at the end of the one file compiled: a second file would
        # cost a second compiler pass, a fifth of a small module's compile time.
        cache.write(tmp / "mod.c", f"{source}\n{cache.key_stamp(key)}")
        cmd = [shutil.which(cxx) or cxx, "mod.c", "-o", "mod.so", *flag_list]
        result = _run_compiler(cmd, tmp)
        if result.returncode == -signal.SIGINT:  # Ctrl-C reached the compiler first
            raise KeyboardInterrupt
        if result.returncode != 0 and NO_SPACE in result.stderr:
            raise cache.CacheError(f"the disk of the compile directory {where} is full "
                                   f"({NO_SPACE}): free some space, or {cache.WHAT_TO_DO}")
        if result.returncode != 0:
            raise CompileError(compile_error_message(source, cmd, result))
        cache.install(tmp / "mod.so", tmp / "source.c", so)
    return so


def _run_compiler(cmd: list[str], tmp: Path) -> subprocess.CompletedProcess:
    try:  # LC_ALL=C: the compiler's messages in English (NO_SPACE is looked for)
        return subprocess.run(cmd, cwd=tmp, capture_output=True, text=True,
                              env={**os.environ, "LC_ALL": "C"})
    except OSError as e:  # not executable, not a program...
        raise cache.CacheError(f"cannot run the C compiler {cmd[0]!r} to build in the compile "
                               f"directory {tmp.parent} ({e}); check config.cxx") from None


# -- kernels shared between functions ---------------------------------------------------
# A function's kernels not yet in the cache are compiled in one module (one compiler run);
# a small index file per kernel, named by the kernel's own key, then says which library
# holds it, so the next function that needs that kernel loads it instead of compiling it.
def _kernel_index(key: str) -> Path:
    return cache.directory() / f"{cache.PREFIX}{key}.kernel"


def kernel_library(key: str) -> Path | None:
    """The valid library that holds the kernel `key`, or None if it was never compiled."""
    index = _kernel_index(key)
    try:
        name = index.read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    so = index.parent / name
    return so if name.startswith(cache.PREFIX) and cache.is_valid(so) else None


def record_kernels(keys: list[str], so: Path) -> None:
    """Note that library `so` holds the kernels `keys` (each index written atomically)."""
    for key in keys:
        index = _kernel_index(key)
        tmp = index.with_name(f"tmp-{os.getpid()}-{index.name}")
        cache.write(tmp, so.name)
        os.replace(tmp, index)


def discard(so: Path) -> None:
    """Remove a library that would not load, so that it is rebuilt."""
    cache.discard(so)


def compile_error_message(source: str, cmd: list[str],
                          result: subprocess.CompletedProcess) -> str:
    numbered = "\n".join(f"{n:5d}  {line}" for n, line in enumerate(source.splitlines(), 1))
    status = (f"was killed by signal {-result.returncode}" if result.returncode < 0
              else f"failed (exit status {result.returncode})")
    return (f"the C compiler {status} on a generated module.\n"
            f"Command: {' '.join(cmd)}\n"
            f"Compiler output:\n{(result.stderr + result.stdout).rstrip()}\n"
            f"Generated source (mod.c):\n{numbered}")
