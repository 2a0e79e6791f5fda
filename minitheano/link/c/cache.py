"""The on-disk cache of compiled libraries, and what it does when the disk misbehaves (chapter 5).

build.py decides *what* to compile and names it by its key; this module
decides *where* the result lives and when it may be trusted:

* the cache is the directory `config.compiledir`.  It is created private to
  the user (mode 0700), and a directory owned by someone else or writable
  by others is refused: whoever can write there can run code in every
  process that loads a library from it;
* a library `mt_<key>.so` is trusted when its sidecar `mt_<key>.ok` holds its
  size and checksum (it is complete) and we own it.  build.py compiles the
  key into the library too, so that a loaded library proves it was built
  for its key (a valid library copied under another name is caught);
* a build happens in a private temporary directory, removed whatever ends
  the build (an error, a full disk, Ctrl-C).  Its results move into place
  with atomic `os.replace`, the sidecar last: a reader sees a complete
  entry or none, and no half-written entry is ever left behind;
* every fault of the directory itself becomes a `CacheError` that names the
  directory, the cause and what to do; the linker turns it into one warning
  and runs the function in Python.

`entries`, `clear` and `check` are `python -m minitheano cache list|clear|check`.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from minitheano.config import config

PREFIX = "mt_"
PRIVATE = 0o700  # the mode of a directory we create: read, write and enter by its owner only
OTHERS_MAY_WRITE = stat.S_IWGRP | stat.S_IWOTH
STALE_AFTER = 3600.0  # seconds: a build directory this old belongs to a process that died
WHAT_TO_DO = "set MINITHEANO_FLAGS=compiledir=<a directory of your own>"


class CacheError(RuntimeError):
    """The cache cannot give a library (a fault of the compile directory or of the
    compiler); the message names the directory, the cause and what to do."""


def directory() -> Path:
    """The compile directory, created private if missing, and checked safe to load code from."""
    path = Path(config.compiledir)
    try:
        path.mkdir(mode=PRIVATE, parents=True, exist_ok=True)
    except FileExistsError:
        raise CacheError(f"the compile directory {path} is a file, not a directory: remove it, "
                         f"or {WHAT_TO_DO}") from None
    except OSError as e:
        raise CacheError(f"the compile directory {path} cannot be created "
                         f"({_cause(e)}): {WHAT_TO_DO}") from None
    check_safe(path)
    return path


def check_safe(path: Path) -> None:
    """Refuse a directory that someone else could write a library into."""
    info = path.stat()
    if info.st_uid != os.getuid():
        raise CacheError(f"refusing to load code from the compile directory {path}: it belongs "
                         f"to user id {info.st_uid}, not to you (user id {os.getuid()}), so "
                         f"another user could put a library there; {WHAT_TO_DO}")
    if info.st_mode & OTHERS_MAY_WRITE:
        raise CacheError(f"refusing to load code from the compile directory {path}: others may "
                         f"write in it (mode {stat.S_IMODE(info.st_mode):o}), so they could put "
                         f"a library there; run `chmod 700 {path}`, or {WHAT_TO_DO}")


def _cause(e: OSError) -> str:
    return f"{type(e).__name__}: {e.strerror or e}"


# -- entries ----------------------------------------------------------------------------------
def library(key: str) -> Path:
    return Path(config.compiledir) / f"{PREFIX}{key}.so"


def key_of(so: Path) -> str:
    return so.stem.removeprefix(PREFIX)


def sidecar(so: Path) -> Path:
    return so.with_suffix(".ok")


def fingerprint(data: bytes) -> str:
    return f"{len(data)} {hashlib.sha256(data).hexdigest()}"


def is_valid(so: Path) -> bool:
    """Is `so` a complete library of ours, as its sidecar says it was written?"""
    try:
        if so.stat().st_uid != os.getuid():  # not built by us: never trusted
            return False
        expected = sidecar(so).read_text()
        data = so.read_bytes()
    except (OSError, UnicodeDecodeError):
        return False
    return fingerprint(data) == expected


def discard(so: Path) -> None:
    """Remove an entry that cannot be used (sidecar first: the library is then invalid)."""
    for path in (sidecar(so), so, so.with_suffix(".c")):
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        except OSError:
            pass


@contextlib.contextmanager
def build_directory(where: Path) -> Iterator[Path]:
    """A private temporary directory in `where` for one build, removed on any exit
    (an error, Ctrl-C); build directories left by dead processes are removed first."""
    _remove_stale_temporaries(where)
    try:
        tmp = Path(tempfile.mkdtemp(prefix="tmp-", dir=where))
    except OSError as e:
        raise CacheError(f"cannot write in the compile directory {where} ({_cause(e)}): "
                         f"make it writable (or free some space), or {WHAT_TO_DO}") from None
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write(path: Path, text: str) -> None:
    """Write a file into a build directory; a full disk becomes a CacheError naming
    the compile directory (the build directory's parent)."""
    try:
        path.write_text(text)
    except OSError as e:
        raise CacheError(f"cannot write in the compile directory {path.parent.parent} "
                         f"({_cause(e)}): free some space, or {WHAT_TO_DO}") from None


def install(built: Path, source: Path, so: Path) -> None:
    """Move a finished build (library `built`, its C `source`) into place as `so`."""
    try:
        data = built.read_bytes()
    except OSError as e:
        raise CacheError(f"the C compiler {config.cxx!r} reported success but wrote no library "
                         f"in the compile directory {so.parent} ({_cause(e)}); check the "
                         f"compiler (config.cxx)") from None
    ok = built.with_suffix(".ok")
    write(ok, fingerprint(data))
    for path in (so, sidecar(so), so.with_suffix(".c")):  # in the way of a file
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
    try:
        # The library first, its sidecar last: until the sidecar is there, a
        # reader takes the library for missing and builds its own copy.
        os.replace(source, so.with_suffix(".c"))
        os.replace(built, so)
        os.replace(ok, sidecar(so))
    except OSError as e:
        raise CacheError(f"cannot put a library into the compile directory {so.parent} "
                         f"({_cause(e)}): remove {so}, or {WHAT_TO_DO}") from None


def _remove_stale_temporaries(where: Path, age: float = STALE_AFTER) -> None:
    now = time.time()
    for tmp in where.glob("tmp-*"):
        try:
            if now - tmp.stat().st_mtime > age:
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError:
            pass


# -- proving that a library belongs to its key ---------------------------------------------------
KEY_FUNCTION = "mt_cache_key"


def key_stamp(key: str) -> str:
    """C compiled into every library: a function that returns the key it was built for."""
    # extern "C" under a C++ compiler (chapter 6's emulator), so the name is not mangled.
    return ('#ifdef __cplusplus\nextern "C"\n#endif\n'
            f'const char *{KEY_FUNCTION}(void) {{ return "{key}"; }}\n')


class ForeignLibrary(OSError):
    """A library that loads but was not built for the key it is stored under."""


def open_library(so: Path) -> ctypes.PyDLL:
    """Load `so` (PyDLL: its functions are called with the GIL held) and check that it
    was built for its key; OSError if it does not load, ForeignLibrary if it is not ours."""
    dll = ctypes.PyDLL(str(so))
    try:
        stamp = dll[KEY_FUNCTION]
    except AttributeError:
        stamp = None
    if stamp is not None:
        stamp.restype = ctypes.c_char_p
        stamp.argtypes = []
        if stamp() == key_of(so).encode():
            return dll
    _dlclose(dll)  # so that a rebuilt library at the same path is really loaded
    raise ForeignLibrary(f"{so} was not built for its key {key_of(so)}")


def _dlclose(dll: ctypes.CDLL) -> None:
    import _ctypes  # ctypes has no public way to unload a library

    _ctypes.dlclose(dll._handle)


# -- `python -m minitheano cache list|clear|check` ---------------------------------------------
@dataclass
class Entry:
    """A cached library, as `cache list` shows it."""
    path: Path
    size: int
    mtime: float
    title: str  # the first line of its C source


def entries() -> list[Entry]:
    """Every cached library, sorted by name."""
    found = []
    for so in sorted(Path(config.compiledir).glob(f"{PREFIX}*.so")):
        try:
            info = so.stat()
        except OSError:
            continue
        try:
            with open(so.with_suffix(".c")) as f:
                title = f.readline().strip()
        except (OSError, UnicodeDecodeError):
            title = ""
        found.append(Entry(so, info.st_size, info.st_mtime, title))
    return found


def clear() -> int:
    """Remove every cached library and build directory; the number of libraries removed."""
    where = Path(config.compiledir)
    count = 0
    for path in where.glob(f"{PREFIX}*"):
        count += path.suffix == ".so"
        discard(path)
    for tmp in where.glob("tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)
    return count


def check() -> list[tuple[Path, str]]:
    """Verify every entry; remove the bad ones.  (path, what was wrong) for each removed."""
    where = Path(config.compiledir)
    bad = []
    names = {p.with_suffix("") for p in where.glob(f"{PREFIX}*")}
    for stem in sorted(names):
        so = stem.with_suffix(".so")
        problem = entry_problem(so)
        if problem is not None:
            discard(so)
            bad.append((so, problem))
    return bad


def entry_problem(so: Path) -> str | None:
    """What is wrong with the entry of `so`, or None."""
    if not so.exists():
        return "a source or sidecar without its library"
    if not sidecar(so).exists():
        return "no sidecar: an unfinished build"
    if not is_valid(so):
        return "the library does not match its sidecar (damaged, or not ours)"
    try:
        dll = open_library(so)
    except OSError as e:
        return f"the library does not load ({e})"
    _dlclose(dll)
    return None


USAGE = "usage: python -m minitheano cache list|clear|check"


def command(argv: list[str]) -> int:
    """`python -m minitheano cache list|clear|check`; the exit status."""
    if len(argv) != 1 or argv[0] not in ("list", "clear", "check"):
        print(USAGE, file=sys.stderr)
        return 2
    where = config.compiledir
    if argv[0] == "clear":
        print(f"removed {clear()} compiled module(s) from {where}")
    elif argv[0] == "check":
        found = len(entries())
        bad = check()
        for path, problem in bad:
            print(f"removed {path.name}: {problem}")
        print(f"checked {found} compiled module(s) in {where}: {len(bad)} bad entry(ies) removed")
    else:
        listed = entries()
        print(f"{len(listed)} compiled module(s) in {where}")
        for entry in listed:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.mtime))
            title = entry.title.removeprefix("/* minitheano module: ")
            print(f"{entry.path.name}  {entry.size // 1024:5d} KiB  {when}  {title[:60]}")
    return 0
