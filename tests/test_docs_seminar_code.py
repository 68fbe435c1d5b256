"""The code on the seminar pages of the documentation runs, so that the pages never go stale.

Every fenced ```` ```python ```` block of ``docs/guide/seminar_ru.md`` and
``docs/guide/seminar_en.md`` runs on its own, as a reader would paste it, in a fresh Python
process whose working directory is a temporary folder (a block may write a file there). The
blocks are kept small (a few seconds each). Files the pages include with ``literalinclude`` (the
seminar examples) are run by ``tests/test_examples.py``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sklearn", reason="the seminar pages' code uses scikit-learn")
pytest.importorskip("matplotlib", reason="the seminar pages draw the GP with matplotlib")

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "guide"
PAGES = ("seminar_ru.md", "seminar_en.md")
# A fence of three or more backticks whose info string is exactly "python", up to the closing fence.
PYTHON_BLOCK = re.compile(r"^(`{3,})python[ \t]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)


def python_blocks(page: str) -> list[str]:
    """The ```python blocks of one page, in order."""
    return [match.group(2) for match in PYTHON_BLOCK.finditer((GUIDE / page).read_text("utf-8"))]


BLOCKS = [
    pytest.param(page, index, code, id=f"{page}-{index}")
    for page in PAGES
    for index, code in enumerate(python_blocks(page))
]


@pytest.mark.parametrize("page", PAGES)
def test_page_has_code(page: str) -> None:
    """Both pages exist and show code (the walkthrough has six blocks)."""
    assert len(python_blocks(page)) >= 6


def test_pages_show_the_same_code() -> None:
    """The English page is the Russian one's counterpart: same number of blocks, same calls."""
    ru, en = (python_blocks(page) for page in PAGES)
    assert len(ru) == len(en)
    for ru_code, en_code in zip(ru, en, strict=True):
        strip = re.compile(r"#.*$|\"[^\"\n]*\"|'[^'\n]*'", re.MULTILINE)  # comments and strings
        assert strip.sub("", ru_code).split() == strip.sub("", en_code).split()


@pytest.mark.parametrize(("page", "index", "code"), BLOCKS)
def test_block_runs(page: str, index: int, code: str, tmp_path: Path) -> None:
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (
        f"block {index} of {page} failed:\n{code}\n--- stdout\n{result.stdout}"
        f"\n--- stderr\n{result.stderr}"
    )
