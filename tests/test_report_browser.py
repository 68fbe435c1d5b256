"""The ``podbor plot`` page in a real browser: headless Chromium draws every figure offline.

The HTML tests (``tests/test_cli_plot.py``) read the page as text; this one opens it the way a
user does, from a ``file://`` URL with no network, and asks the browser what it drew: one plotly
graph per plotted section, each with its traces, and no error in the browser's console. Needs
Chromium and chromedriver (``scripts/chromium.sh ensure``, which ``make test`` runs) and
selenium; without them the test is skipped, except under ``CI=true``, where that fails the run.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.dashboard.dashboard_support import driver_or_skip
from tests.visualization.studies import multi_objective, with_pruned_and_failed

import podbor
from podbor.cli import main
from podbor.samplers import AutoSampler

pytest.importorskip("plotly")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    driver = driver_or_skip()
    try:
        yield driver
    finally:
        driver.quit()


def _report(tmp_path: Path, study: podbor.Study, *, decisions: bool = False) -> Path:
    url = f"sqlite:///{tmp_path}/s.db"
    saved = podbor.create_study(storage=url, study_name="s", directions=study.directions)
    trials = study.get_trials()
    if decisions:
        for trial in trials:
            choice = "qmc: start-up" if trial.number < 3 else "tpe: 4 parameters"
            trial.system_attrs = {**trial.system_attrs, AutoSampler.SYSTEM_ATTR: choice}
    saved.add_trials(trials)
    page = tmp_path / "report.html"
    assert main(["plot", "--storage", url, "--study-name", "s", "-o", str(page)]) == 0
    return page


_DRAWN = """
return Array.from(document.querySelectorAll('section')).map(function (section) {
  var graph = section.querySelector('.js-plotly-plot');
  return {
    heading: section.querySelector('h2').textContent,
    traces: graph && graph._fullData ? graph._fullData.length : -1,
    points: graph && graph._fullData ? graph._fullData.reduce(function (n, t) {
      return n + (t.x ? t.x.length : 0) + (t.dimensions ? t.dimensions.length : 0);
    }, 0) : -1,
    svg: section.querySelectorAll('svg.main-svg').length,
  };
});
"""


def _drawn(browser: Any, page: Path) -> list[dict[str, Any]]:
    browser.get(page.as_uri())
    browser.implicitly_wait(5)
    sections: list[dict[str, Any]] = browser.execute_script(_DRAWN)
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == [], severe
    return sections


def test_every_plot_of_a_single_objective_study_is_drawn(browser: Any, tmp_path: Path) -> None:
    page = _report(tmp_path, with_pruned_and_failed(), decisions=True)
    sections = _drawn(browser, page)
    assert [s["heading"] for s in sections] == [
        "Optimization history",
        "Intermediate values",
        "Parallel coordinate",
        "Slice",
        "Contour",
        "Rank",
        "Parameter importances",
        "Empirical distribution function",
        "Timeline",
        "Sampler decisions",
    ]
    for section in sections:
        assert section["traces"] > 0, section  # plotly rendered the figure in the page
        assert section["svg"] >= 1, section
        assert section["points"] > 0, section


def test_pareto_front_and_hypervolume_are_drawn(browser: Any, tmp_path: Path) -> None:
    sections = _drawn(browser, _report(tmp_path, multi_objective(2)))
    drawn = {s["heading"]: s for s in sections}
    assert drawn["Pareto front"]["traces"] > 0 and drawn["Pareto front"]["points"] == 10
    assert drawn["Hypervolume history"]["traces"] > 0
