"""The study page's plots: the report's plan, every kind drawn, user strings escaped, caching."""

from __future__ import annotations

import json
import random
from typing import Any

import numpy as np
import pytest

import podbor
from podbor.dashboard import _plots
from podbor.dashboard._json import dumps
from podbor.dashboard._monitor import Monitors, StudyMonitor
from podbor.dashboard._plots import PlotQueryError, plot_entries, plot_figure
from podbor.distributions import CategoricalDistribution, FloatDistribution
from podbor.samplers import AutoSampler
from podbor.trial import TrialState, create_trial
from podbor.visualization._report import plan_report

pytestmark = [
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::podbor.exceptions.ExperimentalWarning"),
]

NASTY = ["<b>x&", "c<a>", "<u>one", "&two", "<m0>", "<m1>", "<i>study", "<ua>", "<why>"]
"""User strings of the study below; none may reach a figure unescaped."""


@pytest.fixture(autouse=True)
def _quiet() -> Any:
    verbosity = podbor.logging.get_verbosity()
    podbor.logging.set_verbosity(podbor.logging.ERROR)
    yield
    podbor.logging.set_verbosity(verbosity)


def _study(n_objectives: int, n_trials: int = 25) -> tuple[podbor.Study, StudyMonitor]:
    rng = random.Random(n_objectives)
    study = podbor.create_study(
        study_name="<i>study</i>", directions=["minimize", "maximize"][:n_objectives]
    )
    if n_objectives > 1:
        study.set_metric_names(["<m0>", "<m1>"])
    dists = {
        "<b>x&": FloatDistribution(0, 1),
        "c<a>": CategoricalDistribution(["<u>one", "&two"]),
        "y": FloatDistribution(0, 1),
    }
    for i in range(n_trials):
        params = {"<b>x&": rng.random(), "c<a>": rng.choice(["<u>one", "&two"]), "y": rng.random()}
        values = [rng.random() for _ in range(n_objectives)]
        odd = i % 7 == 3  # a pruned trial (single objective) or a failed one
        state = TrialState.COMPLETE
        if odd:
            state = TrialState.PRUNED if n_objectives == 1 else TrialState.FAIL
        study.add_trial(
            create_trial(
                state=state,
                values=None if odd else values,
                value=values[0] if odd and n_objectives == 1 else None,
                params=params,
                distributions=dists,
                intermediate_values={0: values[0] + 1, 1: values[0]},
                user_attrs={"<ua>": "<v>"},
                system_attrs={AutoSampler.SYSTEM_ATTR: "tpe: <why>"},
            )
        )
    return study, Monitors(study._storage, min_interval=0.0).get(study._study_id)


def _fetch(monitor: StudyMonitor, entry: dict[str, Any]) -> dict[str, Any]:
    params = entry["params"][:2] if entry["kind"] == "contour" else None
    body = plot_figure(monitor, entry["kind"], target=entry["target"], params=params)
    return json.loads(dumps(body))  # type: ignore[no-any-return]


@pytest.mark.parametrize("n_objectives", [1, 2])
def test_every_planned_plot_is_drawn_and_escaped(n_objectives: int) -> None:
    study, monitor = _study(n_objectives)
    entries = plot_entries(monitor)
    plan = plan_report(study)
    assert [(e["kind"], e["title"]) for e in entries] == [(i.kind, i.heading) for i in plan]
    kinds = {e["kind"] for e in entries}
    expected = {"history", "intermediate", "parallel", "slice", "contour", "rank"}
    expected |= {"importances", "edf", "timeline", "sampler"}
    assert kinds == expected | ({"pareto", "hypervolume"} if n_objectives > 1 else set())
    for entry in entries:
        assert entry["available"], entry
        body = _fetch(monitor, entry)
        text = json.dumps(body, ensure_ascii=False)
        figure = body["figure"]
        assert figure["data"], entry
        assert body["cursor"] == monitor.cursor
        leaked = [s for s in NASTY if s in text]
        assert not leaked, (entry["kind"], leaked)
        if entry["kind"] == "contour":
            assert set(entry["params"]) == {"<b>x&", "c<a>", "y"}
    if n_objectives > 1:
        targets = [
            (e["kind"], e["target"], e["target_name"]) for e in entries if e["kind"] == "slice"
        ]
        assert targets == [("slice", 0, "<m0>"), ("slice", 1, "<m1>")]


def test_escaped_strings_keep_their_meaning() -> None:
    _, monitor = _study(1)
    slice_ = _fetch(monitor, {"kind": "slice", "target": 0})["figure"]
    titles = [v["title"]["text"] for k, v in slice_["layout"].items() if k.startswith("xaxis")]
    assert "&lt;b&gt;x&amp;" in titles and "c&lt;a&gt;" in titles
    rank = _fetch(monitor, {"kind": "rank", "target": 0})["figure"]
    hover = next(t["hovertext"][0] for t in rank["data"] if t.get("hovertext"))
    assert '"&lt;ua&gt;": "&lt;v&gt;"' in hover and "<br>" in hover  # line breaks stay markup
    contour = _fetch(monitor, {"kind": "contour", "target": 0, "params": ["<b>x&", "c<a>"]})
    template = next(t["hovertemplate"] for t in contour["figure"]["data"] if t.get("hovertemplate"))
    assert "&lt;b&gt;x&amp;" in template and "<br>" in template
    timeline = _fetch(monitor, {"kind": "timeline", "target": None})["figure"]
    text = timeline["data"][0]["text"][0]
    assert "<br>" in text and ("&lt;u&gt;one" in text or "&amp;two" in text)


def test_unavailable_plots_say_why() -> None:
    study = podbor.create_study()
    study.add_trial(create_trial(value=1.0))
    monitor = Monitors(study._storage, min_interval=0.0).get(study._study_id)
    entries = {e["kind"]: e for e in plot_entries(monitor)}
    assert entries["history"]["available"]
    assert not entries["contour"]["available"] and entries["contour"]["note"]
    body = plot_figure(monitor, "intermediate")
    assert body["figure"] is None and "intermediate" in body["note"]
    assert plot_figure(monitor, "history")["figure"]["data"]


def test_big_scatter_traces_use_webgl() -> None:
    study = podbor.create_study()
    study.add_trials(create_trial(value=float(i % 97)) for i in range(2100))
    monitor = Monitors(study._storage, min_interval=0.0).get(study._study_id)
    figure = plot_figure(monitor, "history")["figure"]
    sizes = [(t["type"], _plots._n_points(t.get("x"))) for t in figure["data"]]
    assert ("scattergl", 2100) in sizes
    assert all(kind == "scatter" for kind, n in sizes if n <= 2000)


def test_long_best_value_lines_keep_only_their_steps() -> None:
    """The history's best-value line of 2,100 trials is a staircase of a few steps: the points
    inside its flat runs are left out and the line through the rest is the same line."""
    values = [float((i * 7919) % 1009) for i in range(2100)]
    study = podbor.create_study()
    study.add_trials(create_trial(value=v) for v in values)
    monitor = Monitors(study._storage, min_interval=0.0).get(study._study_id)
    figure = json.loads(dumps(plot_figure(monitor, "history")))["figure"]
    (line,) = [t for t in figure["data"] if t.get("mode") == "lines"]
    x, y = _plots._numbers(line["x"]), _plots._numbers(line["y"])
    assert x is not None and y is not None
    best = np.minimum.accumulate(values)
    assert len(x) < 40 and x[0] == 0 and x[-1] == 2099
    np.testing.assert_array_equal(np.interp(np.arange(2100), x, y), best)
    assert line["type"] == "scatter"  # a few points: SVG, not WebGL
    # still plotly's typed arrays, of dtypes plotly.js decodes (no 64-bit integers)
    assert {line["x"]["dtype"], line["y"]["dtype"]} <= {
        "i1",
        "i2",
        "i4",
        "u1",
        "u2",
        "u4",
        "f4",
        "f8",
    }
    markers = [t for t in figure["data"] if t.get("name") == "Objective Value"]
    assert _plots._n_points(markers[0]["x"]) == 2100  # every trial's point is still drawn


@pytest.mark.parametrize(
    "trace",
    [
        {"type": "scatter", "mode": "markers", "x": list(range(3000)), "y": [1.0] * 3000},
        {"type": "scatter", "mode": "lines", "x": list(range(100)), "y": [1.0] * 100},
        {"type": "scatter", "mode": "lines", "x": list(range(3000))[::-1], "y": [1.0] * 3000},
        {
            "type": "scatter",
            "mode": "lines",
            "line": {"shape": "hv"},
            "x": list(range(3000)),
            "y": [1.0] * 3000,
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": list(range(3000)),
            "y": [1.0] * 3000,
            "text": ["t"] * 3000,
        },
        {"type": "scatter", "mode": "lines", "x": ["a"] * 3000, "y": [1.0] * 3000},
    ],
    ids=["markers", "short", "x-decreasing", "step-shape", "per-point-text", "categories"],
)
def test_other_traces_keep_every_point(trace: dict[str, Any]) -> None:
    assert _plots._without_flat_runs(trace) is trace


def test_flat_runs_keep_gaps_and_ends() -> None:
    y = np.array([3.0, 3.0, 3.0, np.nan, 2.0, 2.0, 2.0, 2.0, 1.0] + [1.0] * 2500)
    x = np.arange(y.size)
    out = _plots._without_flat_runs({"type": "scatter", "mode": "lines", "x": x, "y": y})
    assert out["x"] == [0, 2, 3, 4, 7, 8, y.size - 1]  # given as arrays, sent as lists
    np.testing.assert_array_equal(out["y"], [3.0, 3.0, np.nan, 2.0, 2.0, 1.0, 1.0])


def test_figures_are_cached_per_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_plots, "REBUILD_FACTOR", 0.0)
    study, monitor = _study(1)
    first = plot_figure(monitor, "history")
    assert plot_figure(monitor, "history") is first
    assert plot_figure(monitor, "optimization_history") is first  # any name podbor plot takes
    assert plot_figure(monitor, "history", target=0) is first
    study.add_trial(create_trial(value=0.0))
    again = plot_figure(monitor, "history")
    assert again is not first and again["cursor"] != first["cursor"]


def test_hover_texts_over_budget_are_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    _, monitor = _study(1)
    monkeypatch.setattr(_plots, "HOVER_BUDGET", 100)
    body = plot_figure(monitor, "rank")
    assert "hover texts left out" in body["note"]
    assert all(len(t.get("hovertext", ())) <= 1 for t in body["figure"]["data"])


@pytest.mark.parametrize(
    ("kind", "kwargs", "message"),
    [
        ("pie", {}, "pie"),
        ("history", {"target": 1}, "target"),
        ("history", {"target": -1}, "target"),
        ("slice", {"params": ["nope"]}, "nope"),
        ("contour", {"params": ["y"]}, "exactly two"),
        ("contour", {"params": ["y", "<b>x&", "c<a>"]}, "exactly two"),
    ],
)
def test_wrong_plot_queries(kind: str, kwargs: dict[str, Any], message: str) -> None:
    _, monitor = _study(1, n_trials=8)
    with pytest.raises(PlotQueryError, match=message):
        plot_figure(monitor, kind, **kwargs)


def test_aliases_and_contour_default_params() -> None:
    _, monitor = _study(1, n_trials=8)
    assert plot_figure(monitor, "decisions")["figure"]["data"]
    contour = plot_figure(monitor, "contour")  # the first two parameters by name
    assert contour["figure"] is not None
    assert plot_figure(monitor, "contour", params=["<b>x&", "c<a>"]) is contour


def test_a_slow_figure_is_not_rebuilt_on_every_change(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_plots, "REBUILD_FACTOR", 1e6)  # as if each build took very long
    study, monitor = _study(1)
    first = plot_figure(monitor, "history")
    study.add_trial(create_trial(value=0.0))
    monitor.refresh()
    stale = plot_figure(monitor, "history")
    assert stale is first and stale["cursor"] != monitor.cursor  # it says what it shows
    monkeypatch.setattr(_plots, "REBUILD_FACTOR", 0.0)
    assert plot_figure(monitor, "history")["cursor"] == monitor.cursor


@pytest.mark.parametrize("n_objectives", [1, 2])
def test_line_plots_past_their_budget_draw_the_best_and_the_rest_thinned(
    monkeypatch: pytest.MonkeyPatch, n_objectives: int
) -> None:
    study, monitor = _study(n_objectives)
    monkeypatch.setattr(_plots, "LINE_BUDGET", {"intermediate": 6, "parallel": 8})
    target = n_objectives - 1  # the second objective is maximized
    sign = -1.0 if n_objectives == 2 else 1.0
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    ranked = sorted(complete, key=lambda t: sign * t.values[target])

    body = _fetch(monitor, {"kind": "intermediate", "target": None, "params": None})
    drawn = [t for t in body["figure"]["data"] if t.get("x")]
    assert len(drawn) == 6
    n_reporting = 25 if n_objectives == 1 else 21  # failed trials are not drawn
    assert f"6 of {n_reporting} trials drawn: the 3 best and 3 latest" in body["note"]
    names = {t["name"] for t in drawn}
    first = sorted(complete, key=lambda t: t.values[0])  # the plot's objective: the first
    assert {f"Trial{t.number}" for t in first[:3]} <= {n.replace(" ", "") for n in names}
    latest = max(t.number for t in study.trials if t.state != TrialState.FAIL)
    assert f"Trial{latest}" in {n.replace(" ", "") for n in names}

    body = _fetch(monitor, {"kind": "parallel", "target": target, "params": None})
    assert f"8 of {len(complete)} trials drawn: the 4 best" in body["note"]
    points = [
        p for t in body["figure"]["data"] if t.get("mode") == "lines" for p in t["customdata"]
    ]
    numbers = {number for label, _, number in points if label}  # lines are grouped by colour
    assert len(numbers) == 8
    assert {t.number for t in ranked[:4]} <= numbers
    assert {complete[0].number, complete[-1].number} <= numbers  # the ends of the spread

    # within the budget nothing is left out and nothing is said
    monkeypatch.setattr(_plots, "LINE_BUDGET", {"intermediate": 25, "parallel": 25})
    body = _fetch(_study(n_objectives)[1], {"kind": "intermediate", "target": None, "params": None})
    assert "drawn:" not in body["note"]
