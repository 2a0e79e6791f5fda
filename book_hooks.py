"""mkdocs hooks for the book (listed under `hooks:` in mkdocs.yml).

Two jobs. Under every piece of library code a page includes (a `--8<-- "minitheano/..."`
line in a code block that is shown, not run), a link to that source file; the files are
published with the book under `source/` (`on_files`), so the link works offline and a
renamed file fails the strict build.

`mkdocs serve` runs every page's examples inside its own long-lived process. Without this hook
a rebuild after editing minitheano/ would show the output of the code as it was when the
server started: Python caches imported modules, and markdown-exec keeps each session's
globals between builds. Before every build we forget both, so each build is a fresh run.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
SOURCE = "source"  # where the library's files are published in the site
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
LIBRARY_SNIPPET = re.compile(
    r'^\s*-+8<-+\s+"(?P<file>minitheano/[^":]+\.(?:py|h))(?::[\w-]+)?"\s*$')


def on_pre_build(config: object) -> None:
    for name in [name for name in sys.modules if name.split(".")[0] == "minitheano"]:
        del sys.modules[name]
    try:  # markdown-exec keeps session globals in a private module-level dict
        from markdown_exec._internal.formatters.python import _sessions_globals
    except ImportError:  # a newer markdown-exec moved it: builds still work, serve may be stale
        return
    _sessions_globals.clear()


def on_files(files, config):  # noqa: ANN001, ANN201 - mkdocs' own types
    """Publish the library's source files under source/, for the links below snippets."""
    from mkdocs.structure.files import File, InclusionLevel

    for path in sorted([*(ROOT / "minitheano").rglob("*.py"),
                        *(ROOT / "minitheano").rglob("*.h")]):
        uri = f"{SOURCE}/{path.relative_to(ROOT).as_posix()}"
        files.append(File.generated(config, uri, abs_src_path=str(path),
                                    inclusion=InclusionLevel.NOT_IN_NAV))
    return files


def source_links(markdown: str, page_uri: str) -> str:
    """After each shown code block that includes library code, a link to its file."""
    up = "../" * page_uri.count("/")
    out, fence, files = [], None, []
    for line in markdown.splitlines():
        out.append(line)
        match = FENCE.match(line)
        if fence is None:
            if match:
                fence, files = match, []
            continue
        snippet = LIBRARY_SNIPPET.match(line)
        if snippet:
            files.append(snippet["file"])
        closing = match and match["fence"].startswith(fence["fence"]) and not match["info"].strip()
        if closing:
            if files and "exec=" not in fence["info"]:
                links = " · ".join(f"[{f}]({up}{SOURCE}/{f})" for f in dict.fromkeys(files))
                out += ["", f"{fence['indent']}{links}{{ .source-link }}", ""]
            fence = None
    return "\n".join(out) + "\n"


def on_page_markdown(markdown: str, page, config, files) -> str:  # noqa: ANN001
    return source_links(markdown, page.file.src_uri)
