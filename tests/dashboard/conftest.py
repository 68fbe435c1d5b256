"""Fixtures of the dashboard tests: a browser per module, studies written by another process."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.dashboard.dashboard_support import BIG, Writer, driver_or_skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium for the whole module (skipped without one, except under CI=true)."""
    driver = driver_or_skip()
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def writer() -> Iterator[Writer]:
    """The other process, which writes the studies (one per module)."""
    process = Writer()
    try:
        yield process
    finally:
        process.close()


@pytest.fixture(scope="module")
def written_storage(writer: Writer, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of a SQLite file holding the test studies, written by another process, and a
    study ``big`` of :data:`BIG` trials."""
    url = writer.write_studies(tmp_path_factory.mktemp("dashboard") / "studies.db")
    writer("big", url, str(BIG))
    return url
