"""Theano 1.0's public names, checked against minitheano (the book's appendix).

`theano_api.py` lists Theano 1.0's public names by module, each marked
provided, provided with a difference (saying which) or not provided (saying
why).  This module checks every entry against the package itself: a name
marked provided must resolve (`minitheano.tensor.nnet.relu` for Theano's
`theano.tensor.nnet.relu`), and a name marked not provided must not.  The
appendix prints `markdown_table()` when the book is built, and a test fails
on any `mismatches()`, so the list cannot drift from the code.

Modules that Theano had and minitheano deliberately leaves out (`theano.sparse`)
exist only to raise an ImportError that says why: `refuse(__name__)`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

from minitheano.theano_api import DIFFERENT, MISSING, PROVIDED, THEANO_1_0


@dataclass(frozen=True)
class Entry:
    """One public name of Theano 1.0 and what minitheano makes of it."""

    module: str   # Theano's module: "theano.tensor.nnet"
    name: str     # the name in it: "relu"
    status: str   # PROVIDED, DIFFERENT or MISSING
    note: str     # the difference, or why it is missing ("" when provided)

    @property
    def theano_path(self) -> str:
        return f"{self.module}.{self.name}"


def entries() -> list[Entry]:
    """Every entry of the list, module by module, names in the list's order."""
    out = []
    for module, names in THEANO_1_0.items():
        out += [Entry(module, name, PROVIDED, "") for name in names.provided.split()]
        out += [Entry(module, name, DIFFERENT, note) for name, note in names.different.items()]
        out += [Entry(module, name, MISSING, note) for name, note in names.missing.items()]
    return out


def minitheano_path(theano_path: str) -> str:
    """`theano.tensor.nnet` -> `minitheano.tensor.nnet`."""
    return "mini" + theano_path


def _module(path: str) -> ModuleType | None:
    """The module at `path`, or None where it is absent or refuses to import."""
    try:
        return importlib.import_module(path)
    except ImportError:
        return None


def resolves(entry: Entry) -> bool:
    """Whether minitheano has the entry: an attribute of the module, or a
    submodule that imports."""
    module = _module(minitheano_path(entry.module))
    if module is None:
        return False
    if hasattr(module, entry.name):
        return True
    return _module(f"{module.__name__}.{entry.name}") is not None


def mismatches() -> list[str]:
    """Entries the code contradicts, one sentence each (none when all is well)."""
    problems = []
    for entry in entries():
        found = resolves(entry)
        if entry.status != MISSING and not found:
            problems.append(f"{entry.theano_path} is marked {entry.status} but "
                            f"{minitheano_path(entry.theano_path)} does not resolve")
        if entry.status == MISSING and found:
            problems.append(f"{entry.theano_path} is marked not provided but "
                            f"{minitheano_path(entry.theano_path)} exists")
    return problems


def refuse(module_name: str) -> None:
    """Raise the ImportError of a module Theano had and minitheano does not."""
    theano_path = module_name.removeprefix("mini")
    parent, _, name = theano_path.rpartition(".")
    why = THEANO_1_0[parent].missing.get(name, "it is not part of minitheano")
    raise ImportError(f"{theano_path} is not provided by minitheano: {why}")


def missing_name(module_name: str, name: str) -> AttributeError:
    """The AttributeError for `module.name`, saying why when Theano had the name:
    modules raise it from their `__getattr__`."""
    theano_module = module_name.removeprefix("mini")
    names = THEANO_1_0.get(theano_module)
    if names is not None and name in names.missing:
        return AttributeError(f"{theano_module}.{name} is not provided by minitheano: "
                              f"{names.missing[name]}")
    return AttributeError(f"module {module_name!r} has no attribute {name!r}")


def summary() -> str:
    """One line: how many names of each kind, and that they were checked."""
    all_entries = entries()
    counts = {status: sum(e.status == status for e in all_entries)
              for status in (PROVIDED, DIFFERENT, MISSING)}
    return (f"{len(all_entries)} names of Theano 1.0 in {len(THEANO_1_0)} modules: "
            f"{counts[PROVIDED]} provided, {counts[DIFFERENT]} provided with a difference, "
            f"{counts[MISSING]} not provided.")


def markdown_section(module: str) -> str:
    """One of Theano's modules in Markdown: the names provided as they were, in
    a paragraph, then a table of those that differ or are missing, with the
    notes.  Every entry is checked against the code first: a contradiction
    raises, which fails the book's build."""
    problems = [p for p in mismatches() if p.startswith(f"{module}.")]
    if problems:
        raise AssertionError("the API list contradicts the code:\n" + "\n".join(problems))
    mine = [entry for entry in entries() if entry.module == module]
    same = [f"`{entry.name}`" for entry in mine if entry.status == PROVIDED]
    lines = [f"Provided as in Theano ({len(same)}): {', '.join(same)}." if same else
             "Nothing here is provided as it was in Theano.", ""]
    others = [entry for entry in mine if entry.status != PROVIDED]
    if others:
        lines += ["| name | in minitheano | notes |", "| --- | --- | --- |"]
        for entry in others:
            mark = "provided, differs" if entry.status == DIFFERENT else "**not provided**"
            lines.append(f"| `{entry.name}` | {mark} | {entry.note.replace('|', '&#124;')} |")
    return "\n".join(lines)
