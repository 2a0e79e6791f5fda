"""Claims the prose makes about an example's output, checked against that output.

Each check runs a page's executed blocks (as tests/book/test_pages.py does) up to the block
the prose talks about, captures what that block prints, and compares it with the sentence
under it. These are the claims a reader once found contradicted by the output shown.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import pytest
from test_pages import CHAPTERS, ROOT, compile_block, exec_blocks

pytestmark = pytest.mark.book


def printed_by(page: Path, marker: str) -> str:
    """What the first executed block containing `marker` prints (earlier blocks run first)."""
    scopes: dict[str | None, dict] = {}
    for _, session, code in exec_blocks(page):
        scope = scopes.setdefault(session, {"__name__": f"page_{session}"})
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile_block(page, code), scope)
        if any(marker in line for _, line in code):
            return out.getvalue()
    raise LookupError(f"{page}: no executed block contains {marker!r}")


def prose(page: Path) -> str:
    """The page's text outside code blocks, with lines joined (a claim may wrap)."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return " ".join(text.split())


def test_chapter_3_says_what_x_times_x_becomes() -> None:
    page = CHAPTERS / "03-rewriting" / "index.md"
    out = printed_by(page, "for expr in [-(-x)")
    line = next(line for line in out.splitlines() if line.startswith("x * x"))
    assert line.split("->")[1].strip() == "sqr(x)"
    assert "`x * x` becomes `x ** 2`, which the specialize phase then writes as `sqr(x)`" in (
        prose(page))


def test_chapter_4_describes_the_rewritten_gradient_as_shown() -> None:
    page = CHAPTERS / "04-differentiation" / "index.md"
    out = printed_by(page, "for node in dlogistic.maker.fgraph.toposort()").splitlines()
    assert len(out) == 2 and out[0].startswith("Elemwise{sigmoid")
    assert out[1].startswith("Composite{i0 * (1 - i0)}")
    text = prose(page)
    assert "Two nodes:" in text and "`Composite{i0 * (1 - i0)}`" in text
    assert "still wrapped" not in text


def test_chapter_5_says_where_its_table_comes_from() -> None:
    page = CHAPTERS / "05-c-code" / "index.md"
    run = json.loads((ROOT / "bench" / "results" / "ch05.json").read_text())
    out = printed_by(page, 'run = json.loads((results / "ch05.json").read_text())')
    assert out.startswith(f"Measured {run['machine']['date']} on ")
    text = prose(page)
    assert "measured on the machine that built this book" not in text
    assert "not measured while the book is built" in text


def test_no_page_ships_a_todo() -> None:
    for page in sorted(CHAPTERS.glob("[0-9][0-9]-*/*.md")):
        assert not re.search(r"TODO|FIXME|XXX", page.read_text()), f"{page}: a TODO"
