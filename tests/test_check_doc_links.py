"""scripts/check_doc_links.py on a tiny hand-made site: good links pass, broken files and anchors fail."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "check_doc_links.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_doc_links", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_doc_links = _load()


def _page(body: str) -> str:
    return f"<!DOCTYPE html><html><head><title>t</title></head><body>{body}</body></html>\n"


def _good_site(root: Path) -> None:
    (root / "api").mkdir(parents=True)
    (root / "_static").mkdir()
    (root / "_static" / "style.css").write_text("body {}\n")
    (root / "_static" / "plot.png").write_bytes(b"\x89PNG")
    (root / "index.html").write_text(
        _page(
            '<link rel="stylesheet" href="_static/style.css?v=1">'
            '<h1 id="top-title">podbor</h1>'
            '<a href="api/samplers.html#podbor.samplers.TPESampler">TPE</a>'
            '<a href="api/">the reference</a>'
            '<a href="#top-title">this page</a> <a href="#">top</a>'
            '<a href="https://example.org/missing.html#nowhere">external</a>'
            '<a href="mailto:someone@example.org">mail</a>'
            '<a href="javascript:void(0)">script</a>'
            '<img src="data:image/png;base64,AAAA">'
            '<img src="_static/plot.png">'
        )
    )
    (root / "api" / "index.html").write_text(
        _page('<a href="../index.html#top-title">home</a><a name="old-anchor"></a>')
    )
    (root / "api" / "samplers.html").write_text(
        _page(
            '<dt id="podbor.samplers.TPESampler">TPESampler</dt>'
            '<a href="index.html#old-anchor">named anchor</a>'
            '<a href="../api/samplers.html#podbor.samplers.TPESampler">self, the long way</a>'
        )
    )


def test_a_good_site_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _good_site(tmp_path)
    assert check_doc_links.main([str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "3 pages" in out
    assert "0 broken" in out


def test_a_missing_file_fails_and_names_the_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _good_site(tmp_path)
    (tmp_path / "api" / "pruners.html").write_text(_page('<a href="storages.html">storages</a>'))
    assert check_doc_links.main([str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "api/pruners.html:1: storages.html: no such file: api/storages.html" in captured.out
    assert "1 broken" in captured.err


def test_a_missing_anchor_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _good_site(tmp_path)
    (tmp_path / "api" / "pruners.html").write_text(
        _page('<a href="samplers.html#podbor.samplers.NoSuchSampler">x</a><a href="#nowhere">y</a>')
    )
    assert check_doc_links.main([str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "no id 'podbor.samplers.NoSuchSampler' in api/samplers.html" in captured.out
    assert "#nowhere: no id 'nowhere' in api/pruners.html" in captured.out
    assert "2 broken" in captured.err


def test_a_missing_image_and_a_link_out_of_the_site_fail(tmp_path: Path) -> None:
    _good_site(tmp_path)
    (tmp_path / "api" / "pruners.html").write_text(
        _page('<img src="../_static/missing.png"><a href="../../outside.html">out</a>')
    )
    checker = check_doc_links.LinkChecker(tmp_path)
    broken = checker.run()
    assert len(broken) == 2
    assert "no such file: _static/missing.png" in broken[0]
    assert "points outside the site" in broken[1]


def test_a_missing_directory_is_reported(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path / "no_build")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "is not a directory" in result.stderr
    assert "make docs" in result.stderr
