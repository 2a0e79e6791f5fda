"""Modes: which rewrites to apply and which linker runs the result (chapters 2, 3, 5).

    FAST_COMPILE   few rewrites (canonicalize + merge), Python VM
    FAST_RUN       every rewrite, C code where an op has it (chapter 5), else Python
    DebugMode      every rewrite; runs each node both ways and checks everything
    GPU            every rewrite, CUDA kernels where an op has one (chapter 6), else C

With `config.device == 'cuda'` (MINITHEANO_FLAGS=device=cuda), the C linker's
modes take the CUDA linker instead.

`mode=` of `function` takes one of these names or a Mode.  `excluding` and
`including` take rewrite names or phase names (chapter 3):
`Mode('py', 'fast_run').excluding('fusion')`.
"""

from __future__ import annotations

from typing import Any

from minitheano.config import config

LINKERS = ("py", "c", "debug", "cuda")
# Theano's names for its linkers: its VMs ('vm', 'cvm') are the ones that can
# run lazy ops (ifelse), which every linker here can (chapter 7).
LINKER_ALIASES = {"vm": "py", "vm_nogc": "py", "cvm": "c", "cvm_nogc": "c", "c|py": "c",
                  "c|py_nogc": "c"}
OPTIMIZERS = ("fast_run", "fast_compile", "none")


class Mode:
    """A rewrite set (by name, with inclusions and exclusions) and a linker."""

    def __init__(self, linker: str = "c", optimizer: str | None = "fast_run",
                 excluded: frozenset[str] = frozenset(),
                 included: frozenset[str] = frozenset()) -> None:
        optimizer = "none" if optimizer is None else optimizer.lower()
        linker = LINKER_ALIASES.get(linker, linker)
        if linker not in LINKERS:
            raise ValueError(f"unknown linker {linker!r}; known: {', '.join(LINKERS)}")
        if optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {optimizer!r}; known: {', '.join(OPTIMIZERS)}")
        self.linker = linker
        self.optimizer = optimizer
        self.excluded = frozenset(excluded)
        self.included = frozenset(included)

    def excluding(self, *names: str) -> Mode:
        return Mode(self.linker, self.optimizer, self.excluded | set(names), self.included)

    def including(self, *names: str) -> Mode:
        return Mode(self.linker, self.optimizer, self.excluded, self.included | set(names))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mode) and (self.linker, self.optimizer, self.excluded,
                                            self.included) == (other.linker, other.optimizer,
                                                               other.excluded, other.included)

    def __hash__(self) -> int:
        return hash((self.linker, self.optimizer, self.excluded, self.included))

    def __repr__(self) -> str:
        extra = "".join(f".excluding({n!r})" for n in sorted(self.excluded))
        extra += "".join(f".including({n!r})" for n in sorted(self.included))
        return f"Mode(linker={self.linker!r}, optimizer={self.optimizer!r}){extra}"


class DebugMode(Mode):
    """Theano's `DebugMode` class: every rewrite and the checking linker of
    chapter 5 (`mode=DebugMode()` is `mode='DebugMode'`).

    Theano's tuning arguments are accepted for its signature; the linker
    always makes all of its checks, so they change nothing.
    """

    def __init__(self, optimizer: str | None = "fast_run", stability_patience: Any = None,
                 check_c_code: Any = None, check_py_code: Any = None,
                 check_isfinite: Any = None, check_preallocated_output: Any = None,
                 require_matching_strides: Any = None, linker: Any = None) -> None:
        super().__init__("debug", optimizer)


class ProfileMode(Mode):
    """Removed in Theano 1.0, which replaced it with `profile=True`: so is it here."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise TypeError(PROFILE_MODE_GONE)


PROFILE_MODE_GONE = ("ProfileMode is gone (Theano 1.0 removed it too): pass profile=True to "
                     "theano.function, or set theano.config.profile = True, and read "
                     "f.profile.summary()")


PREDEFINED = {
    "FAST_RUN": Mode("c", "fast_run"),
    "FAST_COMPILE": Mode("py", "fast_compile"),
    "DebugMode": Mode("debug", "fast_run"),
    "DEBUG_MODE": Mode("debug", "fast_run"),
    "GPU": Mode("cuda", "fast_run"),
}


def get_mode(mode: str | Mode | None) -> Mode:
    """`mode` as a Mode: None means `config.mode`, whose rewrites `config.optimizer`
    replaces when it is not the default (THEANO_FLAGS=optimizer=None, as in Theano);
    'Mode' is config.linker with config.optimizer (mode=Mode,linker=py: the Python VM)."""
    if mode is None:
        if config.mode == "Mode":
            mode = Mode(config.linker, config.optimizer)
        else:
            default = PREDEFINED[config.mode]
            mode = default if config.optimizer == "fast_run" else Mode(default.linker,
                                                                        config.optimizer)
    elif mode in ("ProfileMode", "PROFILE_MODE"):
        raise ValueError(PROFILE_MODE_GONE)
    elif mode == "Mode":
        mode = Mode(config.linker, config.optimizer)
    elif not isinstance(mode, Mode):
        try:
            mode = PREDEFINED[mode]
        except KeyError:
            raise ValueError(f"unknown mode {mode!r}; known: {', '.join(PREDEFINED)} "
                             f"or a Mode instance") from None
    # config.device = 'cuda' (also set by 'cuda0', 'gpu', ...) moves the C linker's work
    # to chapter 6's.
    if config.device == "cuda" and mode.linker == "c":
        return Mode("cuda", mode.optimizer, mode.excluded, mode.included)
    return mode
