"""What ``import podbor`` gives, and what it leaves unimported."""

from __future__ import annotations

import subprocess
import sys

import pytest

import podbor


def _imported_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return set(out.split())


def test_import_podbor_stays_light() -> None:
    modules = _imported_after("import podbor")
    for heavy in ("sqlalchemy", "matplotlib", "pandas", "torch", "podbor.visualization"):
        assert heavy not in modules
    # scipy costs ~0.3 s at import (special, sparse, stats): every worker process of a study
    # pays it before its first trial, so it is imported where it is first used
    assert "scipy" not in modules


@pytest.mark.parametrize("name", ["visualization", "integration"])
def test_lazy_subpackages_are_attributes(name: str) -> None:
    module = getattr(podbor, name)
    assert module.__name__ == f"podbor.{name}"
    assert f"podbor.{name}" in _imported_after(f"import podbor\npodbor.{name}")


def test_an_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        podbor.nonexistent  # noqa: B018
