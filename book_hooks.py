"""mkdocs hooks for the book (listed under `hooks:` in mkdocs.yml).

`mkdocs serve` runs every page's examples inside its own long-lived process. Without this hook
a rebuild after editing minitheano/ would show the output of the code as it was when the
server started: Python caches imported modules, and markdown-exec keeps each session's
globals between builds. Before every build we forget both, so each build is a fresh run.
"""

from __future__ import annotations

import sys


def on_pre_build(config: object) -> None:
    for name in [name for name in sys.modules if name.split(".")[0] == "minitheano"]:
        del sys.modules[name]
    try:  # markdown-exec keeps session globals in a private module-level dict
        from markdown_exec._internal.formatters.python import _sessions_globals
    except ImportError:  # a newer markdown-exec moved it: builds still work, serve may be stale
        return
    _sessions_globals.clear()
