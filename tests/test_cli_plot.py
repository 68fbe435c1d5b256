"""``podbor plot``: one self-contained HTML page (plotly) or a folder of PNGs (matplotlib).

Real studies are written to SQLite and journal files in ``tmp_path`` and the report is made
through the CLI entry point (in-process, and once as ``python -m podbor``). The page must hold
each expected plot's heading and figure data, read back from plotly's JSON and compared with the
study, and load no script from the network.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.visualization.studies import (
    conditional,
    empty_study,
    multi_objective,
    single_objective,
    with_pruned_and_failed,
)

import podbor
from podbor.cli import main
from podbor.samplers import AutoSampler
from podbor.storages.journal import JournalFileBackend, JournalStorage
from podbor.visualization import _report
from podbor.visualization._report import default_reference_point, plan_report, resolve_kind

pytest.importorskip("plotly")
pytest.importorskip("matplotlib")

SINGLE_HEADINGS = [
    "Optimization history",
    "Intermediate values",
    "Parallel coordinate",
    "Slice",
    "Contour",
    "Rank",
    "Parameter importances",
    "Empirical distribution function",
    "Timeline",
]


# -- helpers --------------------------------------------------------------------------------------
def save(study: podbor.Study, storage: Any, name: str = "s", *, decisions: bool = False) -> None:
    """Copy an in-memory study's trials into ``storage`` under ``name``; with ``decisions``,
    each trial records a choice of the default sampler (start-up, then TPE)."""
    saved = podbor.create_study(storage=storage, study_name=name, directions=study.directions)
    trials = study.get_trials()
    if decisions:
        for trial in trials:
            choice = "qmc: start-up" if trial.number < 3 else "tpe: 4 parameters"
            trial.system_attrs = {**trial.system_attrs, AutoSampler.SYSTEM_ATTR: choice}
    saved.add_trials(trials)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def sections(page: str) -> dict[str, str]:
    """Each ``<section>`` of the page by its heading."""
    found = re.findall(r'<section id="plot-\d+">\n<h2>(.*?)</h2>(.*?)</section>', page, re.S)
    return dict(found)


def figure(section: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The traces and layout of the plotly figure drawn in a section."""
    start = section.index("Plotly.newPlot(")
    decoder = json.JSONDecoder()
    index = section.index(",", start) + 1
    data, index = decoder.raw_decode(section, section.index("[", index))
    layout, _ = decoder.raw_decode(section, section.index("{", index))
    return data, layout


def array(value: Any) -> np.ndarray:
    """A plotly JSON array: a list, or plotly's typed array ``{"dtype", "bdata"}``."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


def report(
    storage_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    *extra: str,
    name: str = "s",
) -> tuple[str, str]:
    path = tmp_path / "report.html"
    code, _out, err = run(
        ["plot", "--storage", storage_url, "--study-name", name, "-o", str(path), *extra], capsys
    )
    assert code == 0, err
    return path.read_text(encoding="utf-8"), err


# -- the HTML page --------------------------------------------------------------------------------
def test_single_objective_sqlite_page_has_every_plot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = with_pruned_and_failed()
    save(study, f"sqlite:///{tmp_path}/a.db", decisions=True)
    page, err = report(f"sqlite:///{tmp_path}/a.db", tmp_path, capsys)
    found = sections(page)
    assert list(found) == [*SINGLE_HEADINGS, "Sampler decisions"]
    for heading in [*SINGLE_HEADINGS, "Sampler decisions"]:
        assert "Plotly.newPlot(" in found[heading], (heading, found[heading][:300])
    data, _ = figure(found["Sampler decisions"])
    assert "qmc" in json.dumps(data) and "tpe" in json.dumps(data)
    assert "failed" not in err
    # self-contained: plotly.js once, in the head, and no script from anywhere
    assert page.count("<script") - page.count("Plotly.newPlot(") == 1
    assert not re.search(r"<script[^>]*\bsrc=", page)
    assert page.index("Plotly.newPlot(") > page.index("</head>")
    # the summary
    assert "<h1>Study s</h1>" in page
    assert "9 (6 complete, 1 pruned, 1 fail, 1 running)" in page
    best = study.best_trial
    assert "<h2>Best trial</h2>\n<table><tr><th>Trial</th><th>Objective Value</th>" in page
    assert f"<tr><td>{best.number}</td><td>{best.value:.6g}</td>" in page


def test_history_figure_data_is_the_study(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = single_objective(n=12)
    save(study, f"sqlite:///{tmp_path}/a.db")
    page, _ = report(f"sqlite:///{tmp_path}/a.db", tmp_path, capsys, "--kind", "history")
    found = sections(page)
    assert list(found) == ["Optimization history"]
    data, layout = figure(found["Optimization history"])
    values = [t.value for t in study.trials]
    objective = next(trace for trace in data if trace.get("name") == "Objective Value")
    np.testing.assert_allclose(array(objective["y"]), values)
    np.testing.assert_array_equal(array(objective["x"]), [t.number for t in study.trials])
    best = next(trace for trace in data if trace.get("name") == "Best Value")
    np.testing.assert_allclose(array(best["y"]), np.minimum.accumulate(values))
    assert "Optimization History" in json.dumps(layout)


def test_multi_objective_journal_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study = multi_objective(2, n=10)
    log = tmp_path / "study.log"
    save(study, JournalStorage(JournalFileBackend(str(log))))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    page, err = report(f"journal:{log}", tmp_path, capsys)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name != "report.html"}
    assert after == before  # only read: no lock file, no line appended
    found = sections(page)
    headings = list(found)
    assert headings[:2] == ["Pareto front", "Hypervolume history"]
    for kind in ("Optimization history", "Slice", "Empirical distribution function"):
        assert f"{kind}: Objective 0" in headings and f"{kind}: Objective 1" in headings
    assert "Parameter importances" in headings  # one figure for every objective
    assert "Skipped: a contour plot needs at least two parameters" in found["Contour"]
    point = default_reference_point(study)
    assert point == pytest.approx([9.9, -1.35])  # worst values pushed out by 10% of range
    assert "reference point (9.9, -1.35)" in found["Hypervolume history"]
    data, _ = figure(found["Pareto front"])
    xs = np.concatenate([array(trace["x"]) for trace in data if trace.get("x") is not None])
    assert sorted(xs) == [t.values[0] for t in study.trials]  # dominated trials too
    assert "Pareto-optimal trials (5)" in page
    assert "failed" not in err


def test_kind_selects_plots_and_accepts_function_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save(conditional(), f"sqlite:///{tmp_path}/a.db")
    page, _ = report(
        f"sqlite:///{tmp_path}/a.db",
        tmp_path,
        capsys,
        "--kind",
        "plot_contour",
        "slice",
        "pareto-front",
    )
    found = sections(page)
    assert list(found) == ["Pareto front", "Slice", "Contour"]
    assert "Skipped: the study has a single objective" in found["Pareto front"]
    data, _ = figure(found["Slice"])
    n_points = sorted(len(array(trace["x"])) for trace in data if trace.get("x") is not None)
    assert n_points == [5, 5, 10]  # C and depth only where a trial has them; kind everywhere


def test_params_limits_the_parameter_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save(single_objective(), f"sqlite:///{tmp_path}/a.db")
    page, _ = report(
        f"sqlite:///{tmp_path}/a.db", tmp_path, capsys, "--kind", "slice", "--params", "x", "lr"
    )
    data, layout = figure(sections(page)["Slice"])
    titles = {v.get("title", {}).get("text") for k, v in layout.items() if k.startswith("xaxis")}
    assert titles == {"x", "lr"}
    assert len(data) == 2


def test_empty_study_skips_every_plot_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save(empty_study(), f"sqlite:///{tmp_path}/a.db")
    page, _ = report(f"sqlite:///{tmp_path}/a.db", tmp_path, capsys)
    found = sections(page)
    assert found and all("Skipped: the study has no trials" in body for body in found.values())
    assert "No complete trial yet" in page
    assert "Plotly.newPlot(" not in page


def test_a_failing_plot_is_reported_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    save(single_objective(), f"sqlite:///{tmp_path}/a.db")
    real = _report.draw

    def draw(item: _report.ReportItem, study: podbor.Study, *, backend: str = "plotly") -> Any:
        if item.kind == "edf":
            raise RuntimeError("boom\nsecond line")
        return real(item, study, backend=backend)

    monkeypatch.setattr("podbor.visualization._report_html.draw", draw)
    page, err = report(f"sqlite:///{tmp_path}/a.db", tmp_path, capsys, "--kind", "edf", "history")
    found = sections(page)
    assert (
        "This plot failed: RuntimeError: boom second line"
        in found["Empirical distribution function"]
    )
    assert "Plotly.newPlot(" in found["Optimization history"]
    assert "podbor: warning: Empirical distribution function: RuntimeError: boom" in err


def test_python_dash_m_writes_the_page(tmp_path: Path) -> None:
    save(single_objective(n=6), f"sqlite:///{tmp_path}/a.db")
    path = tmp_path / "r.html"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "podbor",
            "plot",
            "--storage",
            f"sqlite:///{tmp_path}/a.db",
            "--study-name",
            "s",
            "--kind",
            "history",
            "timeline",
            "-o",
            str(path),
            "-f",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"plot": "Optimization history", "status": "drawn", "detail": ""},
        {"plot": "Timeline", "status": "drawn", "detail": ""},
    ]
    assert list(sections(path.read_text(encoding="utf-8"))) == ["Optimization history", "Timeline"]


OPTUNA_FIXTURES = Path(__file__).parent / "storages" / "optuna_fixtures"


@pytest.mark.parametrize("fixture", ["optuna-5.0.sqlite3", "optuna-5.0.journal"])
def test_optuna_files_are_read_and_left_unchanged(
    fixture: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = OPTUNA_FIXTURES / fixture
    before = source.read_bytes()
    url = f"sqlite:///{source}" if fixture.endswith("sqlite3") else f"journal:{source}"
    page, _ = report(url, tmp_path, capsys, "--kind", "history", "pareto", name="multi")
    found = sections(page)
    assert list(found)[:3] == [
        "Pareto front",
        "Optimization history: Objective 0",
        "Optimization history: Objective 1",
    ]
    assert source.read_bytes() == before
    assert sorted(p.name for p in OPTUNA_FIXTURES.glob(f"{fixture}*")) == sorted(
        [fixture, f"{fixture}.json"]
    )


# -- PNGs -----------------------------------------------------------------------------------------
def test_folder_gets_one_valid_png_per_plot_and_an_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    save(multi_objective(2, n=8), f"sqlite:///{tmp_path}/a.db", decisions=True)
    folder = tmp_path / "pngs"
    code, out, err = run(
        [
            "plot",
            "--storage",
            f"sqlite:///{tmp_path}/a.db",
            "--study-name",
            "s",
            "--kind",
            "history",
            "pareto",
            "timeline",
            "sampler",  # its matplotlib plot returns a tuple of Axes
            "-o",
            f"{folder}/",
            "-f",
            "json",
        ],
        capsys,
    )
    assert code == 0, err
    records = json.loads(out)
    assert [r["plot"] for r in records] == [
        "Pareto front",
        "Optimization history: Objective 0",
        "Optimization history: Objective 1",
        "Timeline",
        "Sampler decisions: Objective 0",
        "Sampler decisions: Objective 1",
    ]
    assert all(r["status"] == "drawn" for r in records), records
    index = (folder / "index.html").read_text(encoding="utf-8")
    for record in records:
        png = folder / record["detail"]
        assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
        assert png.stat().st_size > 1000
        assert f'<img src="{record["detail"]}"' in index
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["index.html", *(r["detail"] for r in records)]
    )


# -- errors ---------------------------------------------------------------------------------------
def test_unknown_study(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save(single_objective(n=3), f"sqlite:///{tmp_path}/a.db")
    code, _, err = run(
        [
            "plot",
            "--storage",
            f"sqlite:///{tmp_path}/a.db",
            "--study-name",
            "nope",
            "-o",
            str(tmp_path / "r.html"),
        ],
        capsys,
    )
    assert code == 1
    assert err.startswith("podbor: error: No study named 'nope'") and err.count("\n") == 1
    assert not (tmp_path / "r.html").exists()


def test_unknown_kind_lists_the_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save(single_objective(n=3), f"sqlite:///{tmp_path}/a.db")
    code, _, err = run(
        [
            "plot",
            "--storage",
            f"sqlite:///{tmp_path}/a.db",
            "--study-name",
            "s",
            "--kind",
            "history",
            "pie",
            "-o",
            str(tmp_path / "r.html"),
        ],
        capsys,
    )
    assert code == 1
    assert err.count("\n") == 1 and "--kind must be 'all' or plot names among" in err
    assert "history, intermediate, parallel" in err and "Got 'pie' instead" in err


def test_unknown_param(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save(single_objective(n=3), f"sqlite:///{tmp_path}/a.db")
    code, _, err = run(
        [
            "plot",
            "--storage",
            f"sqlite:///{tmp_path}/a.db",
            "--study-name",
            "s",
            "--params",
            "zz",
            "-o",
            str(tmp_path / "r.html"),
        ],
        capsys,
    )
    assert code == 1 and "Parameter 'zz' does not exist" in err and err.count("\n") == 1


@pytest.mark.parametrize("url", ["sqlite:///{}/missing.db", "journal:{}/missing.log"])
def test_missing_storage_file_is_refused_and_not_created(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        [
            "plot",
            "--storage",
            url.format(tmp_path),
            "--study-name",
            "s",
            "-o",
            str(tmp_path / "r.html"),
        ],
        capsys,
    )
    assert code == 1
    assert err.startswith("podbor: error: --storage must be the URL of an existing storage")
    assert list(tmp_path.iterdir()) == []


def test_missing_output_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    save(single_objective(n=3), f"sqlite:///{tmp_path}/a.db")
    code, _, err = run(
        [
            "plot",
            "--storage",
            f"sqlite:///{tmp_path}/a.db",
            "--study-name",
            "s",
            "-o",
            str(tmp_path / "no" / "r.html"),
        ],
        capsys,
    )
    assert code == 1 and "-o/--output must be an HTML file in an existing folder" in err


@pytest.mark.parametrize(
    ("module", "output"), [("plotly.graph_objects", "r.html"), ("matplotlib.pyplot", "pngs/")]
)
def test_missing_plotting_library_names_the_extra(
    module: str,
    output: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    save(single_objective(n=3), f"sqlite:///{tmp_path}/a.db")
    monkeypatch.setitem(sys.modules, module, None)  # importing it now fails
    argv = ["plot", "--storage", f"sqlite:///{tmp_path}/a.db", "--study-name", "s"]
    code, _, err = run([*argv, "-o", f"{tmp_path}/{output}"], capsys)
    assert code == 1 and "pip install 'podbor[plot]'" in err and err.count("\n") == 1
    assert not (tmp_path / output.rstrip("/")).exists()  # nothing written


# -- the plan -------------------------------------------------------------------------------------
def test_resolve_kind_names() -> None:
    assert resolve_kind("HISTORY") == "history"
    assert resolve_kind("param_importances") == "importances"
    assert resolve_kind("plot_hypervolume_history") == "hypervolume"
    assert resolve_kind("nope") is None


def test_plan_limits_grid_plots_and_says_so() -> None:
    study = podbor.create_study()
    names = [f"p{i:02d}" for i in range(_report.MAX_GRID_PARAMS + 2)]
    for i in range(4):
        study.add_trial(
            podbor.trial.create_trial(
                value=float(i),
                params={n: float(i) for n in names},
                distributions={n: podbor.distributions.FloatDistribution(0, 10) for n in names},
            )
        )
    plan = {item.kind: item for item in plan_report(study)}
    assert plan["contour"].kwargs["params"] == names[: _report.MAX_GRID_PARAMS]
    assert "first 8 of 10 parameters" in plan["contour"].note
    assert "params" not in plan["slice"].kwargs
    assert "pareto" not in plan and "hypervolume" not in plan


@pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning")
def test_plan_per_objective_targets() -> None:
    study = multi_objective(3, n=6)
    study.set_metric_names(["a", "b", "c"])
    items = [item for item in plan_report(study, ["rank"])]
    assert [item.heading for item in items] == ["Rank: a", "Rank: b", "Rank: c"]
    trial = study.trials[3]
    assert [item.kwargs["target"](trial) for item in items] == trial.values
    assert [item.kwargs["target_name"] for item in items] == ["a", "b", "c"]


def test_reference_point_with_equal_values() -> None:
    study = podbor.create_study(directions=["minimize", "maximize"])
    study.add_trial(podbor.trial.create_trial(values=[2.0, 0.0]))
    assert default_reference_point(study) == pytest.approx([2.2, -1.0])
    assert default_reference_point(empty_study(["minimize", "minimize"])) is None


def test_plan_includes_the_sampler_decisions_when_recorded() -> None:
    study = podbor.create_study()
    assert plan_report(study, ["sampler"])[0].skipped
    attrs = {AutoSampler.SYSTEM_ATTR: "qmc: start-up"}
    study.add_trial(podbor.trial.create_trial(value=1.0, system_attrs=attrs))
    [item] = plan_report(study, ["sampler"])
    assert (item.kind, item.skipped, item.kwargs) == ("sampler", False, {})
    assert not plan_report(study, ["sampler"])[0].note


def test_names_from_the_study_are_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    study = podbor.create_study()
    study.add_trial(
        podbor.trial.create_trial(
            value=1.0,
            params={"<i>p</i>": "<script>alert(1)</script>"},
            distributions={
                "<i>p</i>": podbor.distributions.CategoricalDistribution(
                    ["<script>alert(1)</script>"]
                )
            },
        )
    )
    save(study, f"sqlite:///{tmp_path}/a.db", name="<b>s</b>")
    page, _ = report(
        f"sqlite:///{tmp_path}/a.db", tmp_path, capsys, "--kind", "timeline", name="<b>s</b>"
    )
    assert "<h1>Study &lt;b&gt;s&lt;/b&gt;</h1>" in page
    assert "<script>alert(1)</script>" not in page and "<b>s</b>" not in page
    assert "&#x27;&lt;script&gt;alert(1)&lt;/script&gt;&#x27;" in page


def test_a_huge_figure_loses_its_hover_texts_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    save(single_objective(), f"sqlite:///{tmp_path}/a.db")
    monkeypatch.setattr("podbor.visualization._report_html.FIGURE_BUDGET", 1000)
    page, _ = report(f"sqlite:///{tmp_path}/a.db", tmp_path, capsys, "--kind", "rank", "slice")
    rank, small = sections(page)["Rank"], sections(page)["Slice"]
    assert "hover texts of" in rank and "to keep the page small" in rank
    data, _ = figure(rank)
    assert not [trace for trace in data if len(trace.get("hovertext") or []) > 1]
    points = [len(array(trace["x"])) for trace in data if trace.get("x") is not None]
    assert sum(points) >= 12 * 6  # every trial in each of the 6 panels of 4 parameters
    assert "hover texts" not in small  # its hover data is compact (customdata): nothing to drop


def test_timeline_has_one_lane_per_worker_when_several_workers_ran_the_study() -> None:
    study = podbor.create_study(sampler=podbor.samplers.RandomSampler(seed=1))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)  # one worker: rows
    (item,) = plan_report(study, ["timeline"])
    assert "by_worker" not in item.kwargs
    study = podbor.create_study()
    for worker in ["a:1", "b:2", "a:1"]:
        study.add_trial(
            podbor.trial.create_trial(
                params={}, distributions={}, value=0.0, system_attrs={"worker": worker}
            )
        )
    (item,) = plan_report(study, ["timeline"])
    assert item.kwargs["by_worker"] is True and "2 workers" in item.note
    fig = _report.draw(item, study)
    assert list(fig.layout.yaxis.categoryarray) == ["a:1", "b:2"]
