"""Every exercise has one box on its chapter's page, and every box is an exercise.

A box is `!!! question "Exercise N.M: title (`chNN-name`)"`; it shows the command that
checks the exercise and its solution folded (`??? success`), included from the region.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from minitheano import exercises as ex

ROOT = Path(__file__).resolve().parents[2]
BOX = re.compile(r'^!!! question "Exercise (?P<chapter>\d+)\.(?P<number>\d+): .*'
                 r'\(`(?P<name>ch\d\d-[\w-]+)`\)"$')

pytestmark = pytest.mark.book


def boxes() -> dict[str, tuple[Path, int, str]]:
    """Each box's exercise name -> (page, chapter number in its title, its indented body)."""
    found: dict[str, tuple[Path, int, str]] = {}
    for page in sorted((ROOT / "chapters").glob("[0-9][0-9]-*/*.md")):
        lines = page.read_text().splitlines()
        for i, line in enumerate(lines):
            match = BOX.match(line)
            if not match:
                continue
            body = []
            for following in lines[i + 1:]:
                if following and not following.startswith("    "):
                    break
                body.append(following)
            assert match["name"] not in found, f"{match['name']}: two boxes"
            found[match["name"]] = (page, int(match["chapter"]), "\n".join(body))
    return found


def test_every_exercise_has_a_box_on_its_chapters_page_and_every_box_an_exercise() -> None:
    regions = {r.short_name: r for r in ex.exercises()}
    found = boxes()
    assert sorted(set(regions) - set(found)) == [], "exercises without a box"
    assert sorted(set(found) - set(regions)) == [], "boxes without an exercise"
    for name, (page, chapter, body) in found.items():
        region = regions[name]
        assert page.parent.name.startswith(name[2:4] + "-"), f"{name}: box on {page}"
        assert chapter == int(name[2:4]), f"{name}: box numbered in chapter {chapter}"
        assert f"`python -m minitheano.exercises check {name}`" in body, (
            f"{name}: the box does not show its check command")
        assert '??? success "Solution"' in body, f"{name}: solution not folded"
        snippet = f'--8<-- "{region.path.relative_to(ROOT)}:{region.name}"'
        assert snippet in body, f"{name}: the solution is not included from its region"


def test_boxes_are_numbered_in_order() -> None:
    numbers: dict[int, list[int]] = {}
    for page in sorted((ROOT / "chapters").glob("[0-9][0-9]-*/*.md")):
        for line in page.read_text().splitlines():
            if match := BOX.match(line):
                numbers.setdefault(int(match["chapter"]), []).append(int(match["number"]))
    for chapter, seen in numbers.items():
        assert seen == list(range(1, len(seen) + 1)), f"chapter {chapter}: boxes {seen}"
