"""Make `import theano` import minitheano, for libraries written for Theano.

    import minitheano.theano_alias  # noqa: F401  (once, before the library)
    import keras                    # its `import theano` now finds minitheano

`import minitheano as theano` is enough for one's own code; a library that
says `import theano` and `from theano.tensor.signal import pool` needs the
name `theano` itself to lead to minitheano.  Putting minitheano into
`sys.modules['theano']` is not enough: `import theano.tensor` would then load
minitheano/tensor/ a second time, as a new module whose classes are not
minitheano's.  So this module installs an import hook that answers every
`theano` or `theano.X` by importing `minitheano` or `minitheano.X` and handing
back that same module object.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType

ALIAS, REAL = "theano", "minitheano"


class TheanoAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """An import hook: `theano[.X]` is `minitheano[.X]`, the same module object."""

    def find_spec(self, fullname: str, path: object = None,
                  target: object = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != ALIAS and not fullname.startswith(ALIAS + "."):
            return None
        real_name = REAL + fullname[len(ALIAS):]
        real = importlib.util.find_spec(real_name)
        if real is None:
            return None  # an ordinary ModuleNotFoundError for theano.X
        is_package = real.submodule_search_locations is not None
        return importlib.machinery.ModuleSpec(fullname, self, is_package=is_package)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(REAL + spec.name[len(ALIAS):])
        # The import system now stamps the alias's spec on the module: keep
        # minitheano's own in it, for exec_module to put back.
        spec.loader_state = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = module.__spec__.loader_state


def install() -> None:
    """Install the hook (once); importing this module does it."""
    if not any(isinstance(finder, TheanoAlias) for finder in sys.meta_path):
        sys.meta_path.insert(0, TheanoAlias())


install()
