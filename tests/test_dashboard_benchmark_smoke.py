"""Smoke test of ``benchmarks/dashboard.py``: its main path runs on a tiny study (no timing asserted).

optuna-dashboard lives in the benchmark environment only, so here only podbor's dashboard is
opened; the browser part needs Chromium and chromedriver and is skipped without them.
"""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str) -> ModuleType:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))  # the scripts import their siblings by name
    return __import__(name)


def test_generated_study_mixes_states_and_intermediate_values() -> None:
    studies = _load("_dashboard_studies")
    trials = list(studies._trials(400, seed=1))
    states = Counter(t.state.name for t in trials)
    assert set(states) == {"COMPLETE", "PRUNED", "FAIL"} and states["COMPLETE"] > 250
    pruned = [t for t in trials if t.state.name == "PRUNED"]
    assert all(1 <= len(t.intermediate_values) < 5 for t in pruned)
    assert all(t.datetime_start < t.datetime_complete for t in trials)
    assert {type(v) for v in trials[0].params.values()} == {float, int, str}


def test_tables_report_ratio_and_targets() -> None:
    dashboard = _load("dashboard")
    cells = [
        dashboard.Cell("podbor", 10_000, "sqlite", 0.5, 0.9, [0.5], "history", {}, 100.0),
        dashboard.Cell("optuna-dashboard", 10_000, "sqlite", 2.0, 3.0, [2.0], "x", {}, 300.0),
        dashboard.Cell("podbor", 100_000, "sqlite", 2.5, 4.0, [2.5], "history", {}, 200.0),
    ]
    text = dashboard.format_tables(cells)
    assert "| 10,000 | sqlite | 500 ms (900 ms) | 2.00 s (3.00 s) | 0.25 |" in text
    assert "target 10,000 sqlite: first plot <= 1/2 of optuna-dashboard's: 0.25 -> met" in text
    assert "target 100,000 sqlite: first plot < 2 s: 2.50 s (cold 4.00 s) -> NOT met" in text


@pytest.mark.skipif(
    shutil.which("chromium") is None or shutil.which("chromedriver") is None,
    reason="Chromium and chromedriver are needed",
)
def test_dashboard_benchmark_opens_podbors_page(tmp_path: Path) -> None:
    pytest.importorskip("selenium")
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    dashboard = _load("dashboard")
    argv = ["--sizes", "30", "--backends", "sqlite", "--dashboards", "podbor", "--repeats", "1"]
    argv += ["--requests", "2", "--timeout", "60", "--cache", str(tmp_path)]
    (cell,) = dashboard.main(argv)
    assert cell.error == ""
    assert cell.first_plot_cold is not None and cell.first_plot_median is not None
    assert set(cell.api) == {"studies", "study", "plot", "trials", "poll"}
    assert cell.rss_mb is not None and cell.rss_mb > 0
    assert (tmp_path / "podbor-30.db").exists() and (tmp_path / "optuna-30.db").exists()
