"""A pytest plugin that writes each test's outcome to a JSON file, for `check` (introduction).

`check` runs pytest with `-p minitheano.exercises.outcomes` and the file's path in the
environment variable MINITHEANO_EXERCISE_REPORT; this plugin then records, for each test's
node id, "failed" if any phase (setup, call, teardown) failed, else "skipped" or "passed".
Under pytest-xdist the reports reach the controlling process, which alone writes the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

OUTCOMES: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed:
        OUTCOMES[report.nodeid] = "failed"
    elif report.skipped or report.when == "call":
        OUTCOMES.setdefault(report.nodeid, report.outcome)  # a failed phase stays failed


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get("MINITHEANO_EXERCISE_REPORT")
    if path and not hasattr(session.config, "workerinput"):  # not an xdist worker
        Path(path).write_text(json.dumps(OUTCOMES, indent=1))
