"""For the whole session: every emulator records the REST requests it receives, and the
conformance test, which checks the bot's recorded requests with the server's own validators,
runs after the other tests (tests/test_conformance.py)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.emulator.server import RECORD_ENV

CONFORMANCE = "test_conformance.py"


@pytest.fixture(scope="session", autouse=True)
def rest_record(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The session's recording, a JSON Lines file (see `RestApi._record`)."""
    path = tmp_path_factory.mktemp("rest-record") / "requests.jsonl"
    path.touch()
    before = os.environ.get(RECORD_ENV)
    os.environ[RECORD_ENV] = str(path)
    yield path
    if before is None:
        del os.environ[RECORD_ENV]
    else:
        os.environ[RECORD_ENV] = before


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The conformance test last, so that it sees what the end-to-end tests sent."""
    items.sort(key=lambda item: item.path.name == CONFORMANCE)
