"""Shared fixtures: quiet logs, deterministic hypothesis runs, and a podbor log capture."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

import podbor

settings.register_profile(
    "podbor",
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("podbor")


@pytest.fixture(autouse=True)
def _quiet_podbor() -> Iterator[None]:
    """Hide podbor's per-trial INFO lines during tests and restore the level afterwards."""
    previous = logging.getLogger("podbor").level
    podbor.logging.set_verbosity(podbor.logging.WARNING)
    yield
    logging.getLogger("podbor").setLevel(previous)


@pytest.fixture
def podbor_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture podbor's INFO (and higher) records through propagation to ``caplog``."""
    podbor.logging.enable_propagation()
    caplog.set_level(logging.INFO, logger="podbor")
    try:
        yield caplog
    finally:
        podbor.logging.disable_propagation()


pytest_plugins = ["db_fixtures"]


@pytest.fixture
def block_import(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """``block_import("redis")``: from then on, ``importlib.import_module("redis")`` raises
    ``ImportError``, as where that optional library is not installed (podbor imports its
    extras through ``importlib``)."""
    import importlib

    real = importlib.import_module
    blocked: set[str] = set()

    def guarded(name: str, *args: Any) -> Any:
        if name in blocked:
            raise ImportError(f"No module named {name!r}")
        return real(name, *args)

    monkeypatch.setattr(importlib, "import_module", guarded)
    return blocked.add
