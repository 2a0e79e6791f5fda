"""Every page's examples, run under pytest: one test per page of the book.

mkdocs runs the fenced blocks marked `exec="on"` (markdown-exec) when it builds the book; this
test runs the same blocks, the same way: `--8<--` lines expanded as pymdownx.snippets does,
blocks of one `session` sharing their globals, in page order. Each block is compiled with the
page as its file name and its lines numbered as in the page, so a traceback points at the
`.md` line that failed. A page whose exec blocks are not found is a failure, not a pass.
"""

from __future__ import annotations

import ast
import re
import textwrap
import traceback
from pathlib import Path

import pytest

from minitheano.config import config
from minitheano.exercises import regions

# Flags a page may set for its examples (chapter 6 sets device='cuda'); each is put back
# after the page, so a later test in the same process sees the defaults.
PAGE_FLAGS = ("device", "floatX", "mode", "optimizer", "compute_test_value", "profile", "cxx")

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = ROOT / "chapters"
SNIPPET_BASES = [ROOT, CHAPTERS]  # mkdocs.yml: pymdownx.snippets base_path
NOT_PAGES = {"AUTHORS.md"}  # mkdocs.yml: exclude_docs
PAGES = sorted(p for p in CHAPTERS.rglob("*.md") if p.name not in NOT_PAGES)

FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")
EXEC_INFO = re.compile(r"^\{?\s*\.?(?P<lang>python|py|pycon)\b(?P<options>.*)$")
OPTION = re.compile(r'(\w+)="([^"]*)"')
SNIPPET = re.compile(r'^(?P<indent>\s*)-+8<-+\s+"(?P<file>[^":]+)(?::(?P<section>[\w-]+))?"\s*$')
SECTION_MARK = re.compile(r"-+8<-+\s+\[(start|end):[\w-]+\]")

pytestmark = pytest.mark.book


def snippet(file: str, section: str | None) -> list[str]:
    """The lines a `--8<-- "file:section"` line stands for (check_paths, dedent_subsections)."""
    path = next((base / file for base in SNIPPET_BASES if (base / file).is_file()), None)
    if path is None:
        raise FileNotFoundError(f"snippet {file!r} not found under {SNIPPET_BASES}")
    lines = path.read_text().splitlines()
    if section:
        found = [r for r in regions(path) if r.name == section]
        if not found:
            raise LookupError(f"snippet section {section!r} not found in {file}")
        lines = textwrap.dedent("\n".join(lines[found[0].start:found[0].stop])).splitlines()
    return [line for line in lines if not SECTION_MARK.search(line)]


def exec_blocks(page: Path) -> list[tuple[int, str | None, list[tuple[int, str]]]]:
    """(first line, session, [(page line, code line)]) of every executed block, in order."""
    blocks, lines, number = [], page.read_text().splitlines(), 0
    while number < len(lines):
        opening = FENCE.match(lines[number])
        number += 1
        if not opening:
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        body = []
        while number < len(lines) and not re.match(
                rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$", lines[number]):
            body.append((number + 1, lines[number][indent:]))
            number += 1
        number += 1  # the closing fence
        info = EXEC_INFO.match(opening["info"])
        options = dict(OPTION.findall(info["options"])) if info else {}
        if options.get("exec", "no").lower() in {"", "no", "off", "false", "0"}:
            continue
        code = []
        for line_number, line in body:
            include = SNIPPET.match(line)
            if include:
                code += [(line_number, include["indent"] + text)
                         for text in snippet(include["file"], include["section"])]
            else:
                code.append((line_number, line))
        if info["lang"] == "pycon":
            code = [(n, line[4:]) for n, line in code if line.startswith((">>> ", "... "))]
        blocks.append((body[0][0] if body else number, options.get("session"), code))
    return blocks


def compile_block(page: Path, code: list[tuple[int, str]]):
    """Compile a block so that every statement carries its line number in the page."""
    tree = ast.parse("\n".join(line for _, line in code), filename=str(page))
    page_line = {i + 1: n for i, (n, _) in enumerate(code)}
    for node in ast.walk(tree):
        if hasattr(node, "lineno"):
            node.lineno = page_line[node.lineno]
            node.end_lineno = page_line.get(node.end_lineno or 0, node.lineno)
    return compile(tree, str(page), "exec")


def page_id(page: Path) -> str:
    """`01-expressions/index.md` -> `ch01-expressions/index.md`, so `-k ch01` selects it."""
    return re.sub(r"^(\d\d)-", r"ch\1-", page.relative_to(CHAPTERS).as_posix())


# Pages whose examples take most of a minute of CPU: slow (`pytest -m slow -k ch08`).
# `mkdocs build --strict` (.ci/run) runs the same blocks, so they still run on every change.
SLOW_PAGES = {
    "08-feedforward-nets/index.md": "trains the seed net, an MLP five ways and three models: "
                                    "about 60 s of CPU, a quarter of a cold `pytest`",
}


def page_param(page: Path):
    reason = SLOW_PAGES.get(page.relative_to(CHAPTERS).as_posix())
    marks = [pytest.mark.slow] if reason else []
    return pytest.param(page, marks=marks, id=page_id(page))


@pytest.mark.parametrize("page", [page_param(p) for p in PAGES])
def test_page_examples_run(page: Path) -> None:
    blocks = exec_blocks(page)
    if 'exec="' in page.read_text() and not blocks:
        pytest.fail(f"{page}: the page has exec blocks but none was found (parser out of date?)")
    with config.change_flags(**{name: getattr(config, name) for name in PAGE_FLAGS}):
        _run_blocks(page, blocks)


def _run_blocks(page: Path, blocks: list) -> None:
    sessions: dict[str, dict] = {}
    for first_line, session, code in blocks:
        where = f"{page.relative_to(ROOT)}:{first_line}"
        if not code:
            pytest.fail(f"{where}: an exec block with no code to run")
        scope = sessions.setdefault(session, {"__name__": f"page_{session}"}) if session else {
            "__name__": "page_block"}
        error = None
        try:
            exec(compile_block(page, code), scope)
        except Exception:
            error = traceback.format_exc()
        if error:  # outside the except: no "during handling..." chain in the report
            pytest.fail(f"{where} (session {session}): the block raised\n{error}", pytrace=False)


def test_there_are_pages() -> None:
    assert PAGES, f"no page found under {CHAPTERS}"
    for name in SLOW_PAGES:  # a renamed page would silently lose its slow mark
        assert (CHAPTERS / name).is_file(), f"SLOW_PAGES names {name}, which is not a page"


def test_the_parser_finds_what_markdown_exec_runs(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        '```python exec="on" session="s"\n'          # 1: a block of session s
        "a = 1\n"
        "```\n"
        '````markdown\n```python exec="on"\nshown, not run\n```\n````\n'  # 4-8: an example
        '??? note "folded"\n'
        '    ```pycon exec="1" session="s"\n'       # 10: indented, console syntax
        "    >>> b = a + 1\n"
        "    the output\n"
        "    ```\n"
        '```python exec="on"\n'                     # 14: a snippet line
        '--8<-- "minitheano/exercises/regions.py:nothing-here"\n'
        "```\n"
        "```python\nnot = run\n```\n")
    with pytest.raises(LookupError, match="nothing-here"):
        exec_blocks(page)
    page.write_text(page.read_text().replace(":nothing-here", ""))
    blocks = exec_blocks(page)
    assert [(first, session) for first, session, _ in blocks] == [(2, "s"), (11, "s"), (15, None)]
    assert blocks[0][2] == [(2, "a = 1")] and blocks[1][2] == [(11, "b = a + 1")]
    included = blocks[2][2]
    assert len(included) > 100 and {n for n, _ in included} == {15}
    scope: dict = {}
    exec(compile_block(page, blocks[0][2] + blocks[1][2]), scope)
    assert scope["b"] == 2
    broken = [(7, "x = 1"), (9, "1 / 0")]
    with pytest.raises(ZeroDivisionError) as info:
        exec(compile_block(page, broken), {})
    assert info.traceback[-1].lineno + 1 == 9 and str(info.traceback[-1].path) == str(page)
