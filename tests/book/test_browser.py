"""The built book, looked at in a headless browser: every chapter page renders as it should.

For each chapter page of a built site (`mkdocs build`; the folder in MINITHEANO_SITE, else
site/), headless Chromium opens the page from the file system and we check that

* the math rendered: every `arithmatex` span holds KaTeX's output, and no raw `\\(` is left;
* every picture loaded (an <img> with a width, an inline <svg> with a size);
* the search finds a word of the page (material's search, offline, in a web worker);
* the console shows no error and the page threw no exception.

Chromium is driven through its DevTools protocol on a pipe (`--remote-debugging-pipe`:
JSON messages ended by a NUL byte on file descriptors 3 and 4), so nothing beyond the
standard library and Debian's `chromium` is needed. Without a browser or a built site the
test skips and says why. Slow (a browser per run): `.ci/run` runs it after the build.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("MINITHEANO_SITE", ROOT / "site"))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--allow-file-access-from-files",
                  "--remote-debugging-pipe"]
PAGE_LOAD_SECONDS = 30.0

pytestmark = [pytest.mark.book, pytest.mark.slow]


def browser() -> str | None:
    return next((shutil.which(name) for name in ("chromium", "chromium-browser",
                                                 "google-chrome") if shutil.which(name)), None)


def chapter_pages() -> list[Path]:
    return sorted(SITE.glob("[0-9][0-9]-*/index.html"))


def _as_fds_3_and_4(read_end: int, write_end: int) -> None:
    """In the browser's process: the pipe's ends on 3 and 4, where Chromium expects them."""
    read_copy, write_copy = os.dup(read_end), os.dup(write_end)  # never clobbered below
    os.dup2(read_copy, 3)
    os.dup2(write_copy, 4)


class Browser:
    """Headless Chromium, spoken to with the DevTools protocol over a pipe."""

    def __init__(self, executable: str) -> None:
        self.profile = tempfile.mkdtemp(prefix="minitheano-chromium-")
        to_browser_read, self._to_browser = os.pipe()
        self._from_browser, from_browser_write = os.pipe()
        self.process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=False, preexec_fn=lambda: _as_fds_3_and_4(to_browser_read,
                                                                from_browser_write))
        os.close(to_browser_read)
        os.close(from_browser_write)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and wait for its answer (events meanwhile are kept)."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._read()
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def _read(self) -> dict:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed its DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self._to_browser)
        os.close(self._from_browser)
        shutil.rmtree(self.profile, ignore_errors=True)


class Tab:
    """One page open in the browser: navigate, then evaluate JavaScript in it."""

    def __init__(self, chromium: Browser, url: str) -> None:
        self.chromium = chromium
        target = chromium.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = chromium.send("Target.attachToTarget",
                                     {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            chromium.send(f"{domain}.enable", session=self.session)
        chromium.events.clear()
        chromium.send("Page.navigate", {"url": url}, session=self.session)
        self.wait_for("document.readyState === 'complete'")

    def evaluate(self, expression: str) -> object:
        result = self.chromium.send("Runtime.evaluate",
                                    {"expression": expression, "returnByValue": True,
                                     "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, condition: str, seconds: float = PAGE_LOAD_SECONDS) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.evaluate(f"Boolean({condition})"):
                return True
            time.sleep(0.2)
        return False

    def errors(self) -> list[str]:
        """Console errors and uncaught exceptions of this page so far."""
        found = []
        for event in self.chromium.events:
            if event.get("sessionId") != self.session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params["exceptionDetails"])[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(json.dumps(params.get("args"))[:500])
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(f"{params['entry'].get('text')} {params['entry'].get('url', '')}")
        return found


@pytest.fixture(scope="module")
def chromium() -> Browser:
    executable = browser()
    if executable is None:
        pytest.skip("no chromium installed (Debian: apt-get install chromium)")
    if not chapter_pages():
        pytest.skip(f"no built book in {SITE} (mkdocs build, or set MINITHEANO_SITE)")
    opened = Browser(executable)
    yield opened
    opened.close()


MATH_LEFT_RAW = r"""
[...document.querySelectorAll('.arithmatex')].filter(e => !e.querySelector('.katex'))
  .map(e => e.textContent.slice(0, 80))
"""
RAW_DELIMITERS = r"""
(() => { const t = document.querySelector('article').innerText;
         return ['\\(', '\\[', '$$'].filter(d => t.includes(d)); })()
"""
BROKEN_PICTURES = r"""
[...document.querySelectorAll('article img')]
  .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)
  .concat([...document.querySelectorAll('article svg')]
    .filter(s => s.getBoundingClientRect().width === 0 && s.closest('details') === null
                 && s.closest('.md-clipboard') === null && !s.closest('button'))
    .map(s => 'svg: ' + s.outerHTML.slice(0, 80)))
"""
A_WORD = r"""
(() => { const h = document.querySelector('article h1');
         return h.textContent.replace(/[^A-Za-z ]/g, ' ').split(' ')
                 .filter(w => w.length > 4)[0] || 'graph'; })()
"""
SEARCH = r"""
(() => { const input = document.querySelector('input.md-search__input');
         input.focus(); input.value = %s;
         input.dispatchEvent(new Event('input', {bubbles: true}));
         input.dispatchEvent(new KeyboardEvent('keyup', {bubbles: true})); return true; })()
"""


@pytest.mark.parametrize("page", [p.relative_to(SITE).as_posix() for p in chapter_pages()]
                         or ["(no built site)"])
def test_a_chapter_page_renders_math_pictures_and_search_without_errors(
        chromium: Browser, page: str) -> None:
    tab = Tab(chromium, (SITE / page).as_uri())
    assert tab.wait_for("document.querySelector('article')"), f"{page}: no article"
    math = tab.evaluate("document.querySelectorAll('.arithmatex').length")
    if math:
        tab.wait_for(f"!({MATH_LEFT_RAW}).length", seconds=10)
    assert tab.evaluate(MATH_LEFT_RAW) == [], f"{page}: math left as LaTeX"
    assert tab.evaluate(RAW_DELIMITERS) == [], f"{page}: raw math delimiters in the text"
    tab.wait_for(f"!({BROKEN_PICTURES}).length", seconds=10)
    assert tab.evaluate(BROKEN_PICTURES) == [], f"{page}: pictures that did not load"
    word = tab.evaluate(A_WORD)
    tab.evaluate(SEARCH % json.dumps(word))
    found = tab.wait_for("document.querySelectorAll('.md-search-result__item').length > 0")
    assert found, f"{page}: searching for {word!r} found nothing"
    assert tab.errors() == [], f"{page}: console errors"
