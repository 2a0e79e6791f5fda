"""Building and loading a small CPython extension of chapter 5 (the C call path).

The kernels of chapter 5 are plain C functions loaded with ctypes.  Two pieces of
the call path are CPython extensions instead, C that makes and reads Python
objects itself: `compile/fastcall.c` (a function's call) and `link/c/schedule.c`
(a function's schedule).  Each is compiled once per machine and interpreter by
chapter 5's build step and cache (`link/c/build.py`: the key covers the source,
which names this interpreter's `Python.h`) and imported from the cache's file.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sysconfig
from pathlib import Path
from types import ModuleType

from minitheano.link.c import build


class ExtensionProblem(Exception):
    """The extension did not build or load (the message says why)."""


def load_extension(name: str, source_file: Path) -> ModuleType:
    """The extension module `name` compiled from `source_file`, imported.

    The source is told where Python.h is (PYTHON_H), its module's name
    (MODULE_NAME_STR) and its init function's (MODULE_INIT)."""
    include = Path(sysconfig.get_paths()["include"]) / "Python.h"
    source = (f'#define PYTHON_H "{include}"\n#define MODULE_NAME_STR "{name}"\n'
              f"#define MODULE_INIT PyInit_{name}\n" + source_file.read_text())
    try:
        path = build.library_path(source)
        loader = importlib.machinery.ExtensionFileLoader(name, str(path))
        spec = importlib.util.spec_from_file_location(name, path, loader=loader)
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
    except NotImplementedError as e:  # a piece of chapter 5 is an exercise left blank
        raise ExtensionProblem(f"C code is disabled ({e})") from None
    except (build.CompileError, ImportError, OSError, RuntimeError) as e:  # RuntimeError:
        # the cache's CacheError (its directory or the compiler misbehaves)
        raise ExtensionProblem(f"the {name} extension did not build or load: {e}") from None
    return module
