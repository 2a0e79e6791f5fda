"""Configuration flags: `theano.config.floatX` and friends (chapter 2).

Each flag has a default, a check and a one-line meaning.  Flags are read from
the environment variable MINITHEANO_FLAGS once, at import
(`MINITHEANO_FLAGS="floatX=float32,mode=FAST_COMPILE"`, like THEANO_FLAGS), and
may be set in code afterwards (`theano.config.floatX = 'float32'`) or for a
block of code (`with theano.config.change_flags(floatX='float32'): ...`).
A flag name that does not exist is an error that lists the ones that do.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any


def _one_of(*choices: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}; got {value!r}")
        return value
    return check


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"must be a boolean (True/False, 1/0); got {value!r}")


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a string; got {value!r}")
    return value


def _default_compiledir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    tag = f"py{sys.version_info.major}{sys.version_info.minor}-{sys.platform}"
    return os.path.join(base, "minitheano", f"compiledir-{tag}")


def _default_cxx() -> str:
    # The C compiler of chapter 5; '' means "none": everything runs in Python.
    for name in ("gcc", "cc", "clang"):
        if shutil.which(name):
            return name
    return ""


@dataclass(frozen=True)
class Flag:
    name: str
    default: Callable[[], Any]
    check: Callable[[Any], Any]
    doc: str


FLAGS = [
    Flag("floatX", lambda: "float64", _one_of("float64", "float32"),
         "dtype of `T.matrix()` and friends, and of Python float constants"),
    Flag("mode", lambda: "FAST_RUN", _one_of("FAST_RUN", "FAST_COMPILE", "DebugMode"),
         "default mode of `theano.function`"),
    Flag("device", lambda: "cpu", _one_of("cpu", "cuda"),
         "where compiled functions run (chapter 6)"),
    Flag("cxx", _default_cxx, _string,
         "the C compiler of chapter 5; '' runs everything in Python"),
    Flag("compiledir", _default_compiledir, _string,
         "where compiled C modules are cached"),
    Flag("allow_gc", lambda: True, _boolean,
         "free intermediate results as soon as they are no longer needed"),
    Flag("optimizer_verbose", lambda: False, _boolean,
         "print every rewrite as it is applied"),
]


class Config:
    """The set of flags; attribute access reads and writes them."""

    def __init__(self, flags: list[Flag]) -> None:
        object.__setattr__(self, "_flags", {f.name: f for f in flags})
        # The values live in the instance's __dict__, so reading a flag is an
        # ordinary (fast) attribute read; __getattr__ only runs for unknown names.
        for f in flags:
            object.__setattr__(self, f.name, f.check(f.default()))

    def _flag(self, name: str) -> Flag:
        try:
            return self._flags[name]
        except KeyError:
            known = ", ".join(sorted(self._flags))
            raise AttributeError(f"unknown config flag {name!r}; known flags: {known}") from None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        self._flag(name)  # raises, listing the known flags

    def __setattr__(self, name: str, value: Any) -> None:
        flag = self._flag(name)
        try:
            object.__setattr__(self, name, flag.check(value))
        except ValueError as e:
            raise ValueError(f"config flag {name}: {e}") from None

    def parse(self, text: str, source: str = "MINITHEANO_FLAGS") -> None:
        """Set flags from `name=value,name=value`."""
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"{source}: expected name=value, got {item!r}")
            try:
                setattr(self, name.strip(), value.strip())
            except (AttributeError, ValueError) as e:
                raise ValueError(f"{source}: {e}") from None

    @contextlib.contextmanager
    def change_flags(self, **changes: Any) -> Iterator[None]:
        """Set some flags for the duration of a `with` block."""
        old = {name: getattr(self, name) for name in changes}
        try:
            for name, value in changes.items():
                setattr(self, name, value)
            yield
        finally:
            for name, value in old.items():
                setattr(self, name, value)

    def __str__(self) -> str:
        return "\n".join(f"{name} = {getattr(self, name)!r}  # {flag.doc}"
                         for name, flag in self._flags.items())


config = Config(FLAGS)
config.parse(os.environ.get("MINITHEANO_FLAGS", ""))
