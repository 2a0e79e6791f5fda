"""Configuration flags: `theano.config.floatX` and friends (chapter 2).

Each flag has a default, a check and a one-line meaning.  Flags are read from
the environment variables THEANO_FLAGS, then MINITHEANO_FLAGS (which wins), once,
at import (`MINITHEANO_FLAGS="floatX=float32,mode=FAST_COMPILE"`), and may be
set in code afterwards (`theano.config.floatX = 'float32'`) or for a block of
code (`with theano.config.change_flags(floatX='float32'): ...`).

Unknown names are treated as Theano treated them: in the environment variables,
a warning (a script written for Theano may set flags this library has no use
for, such as `lib.cnmem`); in code (`theano.config.flotX = ...`), an
AttributeError that lists the known flags, since a typo there would otherwise
silently do nothing.  A bad value is an error in both places.

Dotted flags form namespaces, as in Theano: `theano.config.warn.round`.  The
`warn.*` flags of Theano silenced warnings about bugs of old Theano versions;
minitheano never had those bugs, so they are stored and change nothing.
Several flags are stored for scripts that set them and read by later chapters
(`compute_test_value`, `exception_verbosity`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import warnings
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


def _megabytes(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not number >= 0:  # (also refuses NaN)
        raise ValueError(f"must be a number of megabytes >= 0; got {value!r}")
    return number


def _device(value: Any) -> str:
    # Theano's names for a GPU ('cuda0', 'gpu1') all mean the one GPU of chapter 6,
    # so they are stored as 'cuda': code that asks `config.device == "cuda"` sees them.
    text = _string(value)
    if text == "cpu":
        return text
    if text.rstrip("0123456789") in ("cuda", "gpu"):
        return "cuda"
    raise ValueError(f"must be cpu, cuda or cudaN (gpu, gpuN: Theano's old names); got {value!r}")


def _optimizer(value: Any) -> str:
    # Theano wrote `optimizer=None` in THEANO_FLAGS, and None in code.
    if value is None or value in ("None", "none"):
        return "None"
    return _one_of("fast_run", "fast_compile")(value)


def _default_base_compiledir(cfg: Config) -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "minitheano")


def _default_compiledir(cfg: Config) -> str:
    tag = f"py{sys.version_info.major}{sys.version_info.minor}-{sys.platform}"
    return os.path.join(cfg.base_compiledir, f"compiledir-{tag}")


def _default_cxx(cfg: Config) -> str:
    # The C compiler of chapter 5; '' means "none": everything runs in Python.
    for name in ("gcc", "cc", "clang"):
        if shutil.which(name):
            return name
    return ""


def _constant(value: Any) -> Callable[[Config], Any]:
    return lambda cfg: value


@dataclass(frozen=True)
class Flag:
    name: str
    default: Callable[[Config], Any]  # may read flags defined before it
    check: Callable[[Any], Any]
    doc: str
    derived: bool = False  # the default follows other flags until it is set


# Theano 1.0's warnings about its own old bugs (all off or on by `ignore_bug_before`).
THEANO_BUG_WARNINGS = ("argmax_pushdown_bug", "gpusum_01_011_0111_bug", "sum_sum_bug",
                       "sum_div_dimshuffle_bug", "subtensor_merge_bug", "gpu_set_subtensor1",
                       "vm_gc_bug", "signal_conv2d_interface", "reduce_join",
                       "inc_set_subtensor1", "round")

FLAGS = [
    Flag("floatX", _constant("float64"), _one_of("float64", "float32"),
         "dtype of `T.matrix()` and friends, and of Python float constants"),
    Flag("mode", _constant("FAST_RUN"),
         _one_of("FAST_RUN", "FAST_COMPILE", "DebugMode", "DEBUG_MODE", "Mode"),
         "default mode of `theano.function` ('Mode': config.linker with config.optimizer)"),
    Flag("linker", _constant("c"),
         _one_of("c", "py", "cvm", "vm", "c|py", "cvm_nogc", "vm_nogc", "c|py_nogc"),
         "linker of mode 'Mode': 'c' (chapter 5) or 'py', the Python VM (Theano's names too)"),
    Flag("optimizer", _constant("fast_run"), _optimizer,
         "rewrites of the default mode: fast_run, fast_compile or None (chapter 3)"),
    Flag("device", _constant("cpu"), _device,
         "where compiled functions run (chapter 6)"),
    Flag("cxx", _default_cxx, _string,
         "the C compiler of chapter 5; '' runs everything in Python"),
    Flag("vector_math", _constant("auto"), _one_of("auto", "polynomial", "libm"),
         "exp, log, tanh in generated C: link/c/vecmath.py's vectorizable polynomials, the "
         "C library's (vectorized by glibc's libmvec where it exists), or 'auto': the "
         "polynomials where they are faster or libmvec is missing"),
    Flag("gcc.cxxflags", _constant(""), _string,
         "extra flags for the C compiler, after minitheano's own (Theano's flag): '-O1' "
         "compiles faster, and the code may run slower"),
    Flag("openmp", _constant(False), _boolean,
         "split large elementwise loops across threads with OpenMP (OMP_NUM_THREADS); "
         "off by default, as in Theano"),
    Flag("base_compiledir", _default_base_compiledir, _string,
         "the directory under which compiledir is made"),
    Flag("compiledir", _default_compiledir, _string,
         "where compiled C modules are cached (default: under base_compiledir)", derived=True),
    Flag("allow_gc", _constant(True), _boolean,
         "free intermediate results as soon as they are no longer needed"),
    Flag("reuse_buffers_mb", _constant(64.0), _megabytes,
         "with allow_gc, a function's C kernels still keep up to this many megabytes of "
         "the arrays they wrote, to write into again at the next call (link/c/buffers.py); "
         "0: fresh arrays every call, as Theano"),
    Flag("optimizer_verbose", _constant(False), _boolean,
         "print every rewrite as it is applied"),
    Flag("profile", _constant(False), _boolean,
         "profile every function and print where the time went at exit"),
    Flag("exception_verbosity", _constant("low"), _one_of("low", "high"),
         "how much of the graph an error message shows"),
    Flag("compute_test_value", _constant("off"), _one_of("off", "ignore", "warn", "raise", "pdb"),
         "compute `var.tag.test_value` as graphs are built (stored; chapter 9)"),
    Flag("c_schedule", _constant(True), _boolean,
         "run a compiled function's nodes from a loop in C, its kernels called without "
         "ctypes (link/c/schedule.py); False: the VM's Python loop (chapter 2)"),
    Flag("scan.compiled_loop", _constant(True), _boolean,
         "run a scan's steps in one C loop when every node of its body has C (chapter 9)"),
    Flag("warn.ignore_bug_before", _constant("0.9"), _string,
         "Theano's: warn only about bugs fixed after this version (no effect)"),
] + [Flag(f"warn.{name}", _constant(False), _boolean,
          "Theano's warning about one of its old bugs (no effect: minitheano never had it)")
     for name in THEANO_BUG_WARNINGS]


class Config:
    """The set of flags; attribute access reads and writes them.

    A dotted name `warn.round` is the flag `round` of the namespace `warn`,
    itself a Config.
    """

    def __init__(self, flags: list[Flag], prefix: str = "") -> None:
        mine = {f.name: f for f in flags if "." not in f.name}
        object.__setattr__(self, "_flags", mine)
        object.__setattr__(self, "_prefix", prefix)
        object.__setattr__(self, "_explicit", set())  # flags set by the user
        # The values live in the instance's __dict__, so reading a flag is an
        # ordinary (fast) attribute read; __getattr__ only runs for unknown names.
        for f in mine.values():
            object.__setattr__(self, f.name, f.check(f.default(self)))
        spaces: dict[str, list[Flag]] = {}
        for f in flags:
            space, dot, rest = f.name.partition(".")
            if dot:
                spaces.setdefault(space, []).append(Flag(rest, f.default, f.check, f.doc,
                                                         f.derived))
        object.__setattr__(self, "_spaces", {
            name: Config(sub, f"{prefix}{name}.") for name, sub in spaces.items()})
        for name, space in self._spaces.items():
            object.__setattr__(self, name, space)

    def _flag(self, name: str) -> Flag:
        try:
            return self._flags[name]
        except KeyError:
            known = ", ".join(self._names())
            raise AttributeError(f"unknown config flag {self._prefix + name!r}; known flags: "
                                 f"{known}") from None

    def _names(self) -> list[str]:
        names = [self._prefix + n for n in self._flags]
        for space in self._spaces.values():
            names += space._names()
        return sorted(names)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        self._flag(name)  # raises, listing the known flags

    def __setattr__(self, name: str, value: Any) -> None:
        if "." in name:
            space, _, rest = name.partition(".")
            if space in self._spaces:
                setattr(self._spaces[space], rest, value)
                return
        if name in self._spaces:
            raise AttributeError(f"{self._prefix + name} is a group of flags "
                                 f"({name}.<flag>), not a flag")
        flag = self._flag(name)
        try:
            object.__setattr__(self, name, flag.check(value))
        except ValueError as e:
            raise ValueError(f"config flag {self._prefix + name}: {e}") from None
        self._explicit.add(name)
        # Flags whose default follows this one (compiledir under base_compiledir).
        for f in self._flags.values():
            if f.derived and f.name not in self._explicit:
                object.__setattr__(self, f.name, f.check(f.default(self)))

    def parse(self, text: str, source: str = "MINITHEANO_FLAGS") -> None:
        """Set flags from `name=value,name=value`; warn about unknown names."""
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, sep, value = item.partition("=")
            if not sep:
                raise ValueError(f"{source}: expected name=value, got {item!r}")
            try:
                setattr(self, name.strip(), value.strip())
            except AttributeError as e:
                warnings.warn(f"{source}: {e}; the flag is ignored", stacklevel=2)
            except ValueError as e:
                raise ValueError(f"{source}: {e}") from None

    @contextlib.contextmanager
    def change_flags(self, args: dict | None = None, **kwargs: Any) -> Iterator[None]:
        """Set some flags for the duration of a `with` block: as keywords, or a dict
        for dotted names (`change_flags({'warn.round': True})`)."""
        changes = {**(args or {}), **kwargs}
        old = {name: self._get(name) for name in changes}
        explicit = set(self._explicit)
        try:
            for name, value in changes.items():
                setattr(self, name, value)
            yield
        finally:
            for name, value in old.items():
                setattr(self, name, value)
            self._explicit.intersection_update(explicit)

    def _get(self, name: str) -> Any:
        space, dot, rest = name.partition(".")
        if dot and space in self._spaces:
            return self._spaces[space]._get(rest)
        self._flag(name)
        return getattr(self, name)

    def __str__(self) -> str:
        lines = [f"{self._prefix}{name} = {getattr(self, name)!r}  # {flag.doc}"
                 for name, flag in self._flags.items()]
        lines += [str(space) for space in self._spaces.values()]
        return "\n".join(lines)


config = Config(FLAGS)
config.parse(os.environ.get("THEANO_FLAGS", ""), "THEANO_FLAGS")
config.parse(os.environ.get("MINITHEANO_FLAGS", ""))
