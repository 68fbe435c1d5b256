"""Every public name of podbor has an entry in the API reference (docs/api/*.rst).

For podbor and each public module under it (no path component starting with ``_``), every name in
``__all__`` must appear, as a whole word, in the text of some ``docs/api/*.rst`` page. A new public
name without a reference entry fails here. Modules that import a framework that is not installed
(an integration's library) are skipped.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import cache
from pathlib import Path

import pytest

import podbor

API_DIR = Path(__file__).resolve().parents[1] / "docs" / "api"


def _public_modules() -> list[str]:
    names = ["podbor"]
    for info in pkgutil.walk_packages(podbor.__path__, "podbor."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        names.append(info.name)
    return sorted(names)


@cache
def _reference_text() -> str:
    pages = sorted(API_DIR.glob("*.rst"))
    assert pages, f"no reference pages under {API_DIR}"
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


def _import(name: str) -> object:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as err:
        missing = err.name or ""
        if missing == "podbor" or missing.startswith("podbor."):
            raise
        pytest.skip(f"{name} needs {missing}, which is not installed")


def test_the_walk_finds_the_public_modules() -> None:
    modules = _public_modules()
    for expected in ("podbor.samplers", "podbor.samplers.nsgaii", "podbor.storages.journal"):
        assert expected in modules
    assert not [m for m in modules if "._" in m]


@pytest.mark.parametrize("module_name", _public_modules())
def test_every_public_name_is_in_the_reference(module_name: str) -> None:
    module = _import(module_name)
    public = getattr(module, "__all__", None)
    if public is None:
        pytest.skip(f"{module_name} has no __all__")
    text = _reference_text()
    missing = [
        name for name in public if not re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", text)
    ]
    assert not missing, f"{module_name}.__all__ names without an entry in docs/api/*.rst: {missing}"
