"""The built documentation site, opened in headless Chromium (run by ``make docs`` after the build).

``make docs`` sets ``PODBOR_DOCS_HTML`` to the folder it built; without it (``make test``, which
runs before the site exists) these tests are skipped. The pages are opened from disk, as a user
opens ``docs/_build/html/index.html``: navigation, the formulas (MathJax, bundled with the site),
the tutorials' figures, the search and the Russian page must work without a network.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.dashboard.dashboard_support import driver_or_skip, wait_until

HTML = os.environ.get("PODBOR_DOCS_HTML")
if not HTML:
    pytest.skip("PODBOR_DOCS_HTML is not set (make docs runs these)", allow_module_level=True)
ROOT = Path(HTML).resolve()


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    driver = driver_or_skip()
    try:
        yield driver
    finally:
        driver.quit()


def _open(driver: Any, page: str) -> None:
    path = ROOT / page
    assert path.is_file(), f"{page} was not built"
    driver.get(path.as_uri())


def _severe_console_errors(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_front_page_links_to_tutorials_guides_and_reference(driver: Any) -> None:
    _open(driver, "index.html")
    assert "podbor" in driver.title
    links = {a.get_attribute("href") for a in driver.find_elements("css selector", "a")}
    for target in ("auto_tutorials/index.html", "api/index.html", "guide/seminar_ru.html"):
        assert any(link and link.endswith(target) for link in links), target
    assert _severe_console_errors(driver) == []


def test_formulas_are_typeset_and_figures_drawn_offline(driver: Any) -> None:
    _open(driver, "auto_tutorials/04_gp_explained.html")
    wait_until(lambda: driver.find_elements("css selector", "mjx-container"), timeout=20)
    images = driver.find_elements("css selector", "img.sphx-glr-single-img, img.sphx-glr-multi-img")
    assert images, "the tutorial shows no figure"
    widths = [driver.execute_script("return arguments[0].naturalWidth", img) for img in images]
    assert all(w > 0 for w in widths), widths
    assert _severe_console_errors(driver) == []


def test_search_finds_create_study(driver: Any) -> None:
    _open(driver, "search.html")
    driver.get(driver.current_url + "?q=create_study")
    found = wait_until(
        lambda: [
            a.get_attribute("href")
            for a in driver.find_elements("css selector", "#search-results a")
            if a.get_attribute("href")
        ],
        timeout=20,
    )
    assert any("api/podbor.html" in href for href in found), found


def test_the_seminar_page_reads_in_russian(driver: Any) -> None:
    _open(driver, "guide/seminar_ru.html")
    heading = driver.find_element("css selector", "h1").text
    assert "Семинар" in heading
    english = driver.find_element(
        "link text", "Seminar: hyperparameter tuning and Bayesian optimization"
    )
    assert english.get_attribute("href").endswith("guide/seminar_en.html")


def test_every_tutorial_the_issue_names_is_built_and_the_detector_one_ran(driver: Any) -> None:
    """The twelve tutorials are pages of the site; the detector tutorial (executed at build
    time, like every tutorial) shows its study's output and its four figures, and the YOLO guide
    page links to it."""
    tutorials = sorted(p.name for p in (ROOT / "auto_tutorials").glob("[0-9][0-9]_*.html"))
    assert len(tutorials) == 12, tutorials
    _open(driver, "auto_tutorials/12_tuning_a_detector.html")
    text = driver.find_element("css selector", "article").text
    assert "best mAP50-95" in text and "pruned" in text
    images = driver.find_elements("css selector", "img.sphx-glr-single-img")
    widths = [driver.execute_script("return arguments[0].naturalWidth", img) for img in images]
    assert len(widths) == 4 and all(w > 0 for w in widths), widths
    _open(driver, "guide/detector.html")
    links = [a.get_attribute("href") or "" for a in driver.find_elements("css selector", "a")]
    assert any(link.endswith("auto_tutorials/12_tuning_a_detector.html") for link in links)
