"""The dashboard in a real browser, against studies that another process writes.

A separate process (``dashboard_writer.py``) writes the studies into a SQLite file; ``podbor
dashboard`` serves it from a subprocess; headless Chromium (Selenium) opens the page. Each test
asks the browser what it shows and compares it with the study read from the same file: the
studies and their counts, every plot drawn with the right number of points, a trial finished
by the other process appearing without a reload, server-side sorting and filtering, HTML in
names shown as text, the token, and the write actions (absent without ``--allow-write``).
Skipped without Chromium/chromedriver or selenium, except under ``CI=true``.
"""

from __future__ import annotations

import functools
import json
import math
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.dashboard.dashboard_support import BIG, DashboardServer, Writer, wait_until
from tests.dashboard.dashboard_writer import (
    HOSTILE,
    HOSTILE_CHOICE,
    HOSTILE_NOTE,
    HOSTILE_PARAM,
    NOTE_KEY,
)

import podbor
from podbor.storages import BaseStorage, get_storage
from podbor.trial import FrozenTrial, TrialState
from podbor.visualization._report import plan_report

pytest.importorskip("plotly")
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

_PLOTS = """
return Array.from(document.querySelectorAll('#plots .plot[data-kind]')).map(function (s) {
  var graph = s.querySelector('.js-plotly-plot');
  var data = graph && graph.data;
  var note = s.querySelector('.note');
  return {
    kind: s.dataset.kind,
    target: s.dataset.target === undefined ? null : Number(s.dataset.target),
    state: s.dataset.state,
    note: note ? note.textContent : '',
    traces: graph && graph._fullData ? graph._fullData.length : -1,
    points: graph && graph._fullData ? graph._fullData.map(function (t) {
      return (t.x ? t.x.length : 0) + (t.dimensions ? t.dimensions.length : 0);
    }) : null,
    names: data ? data.map(function (t) { return t.name === undefined ? null : String(t.name); }) : null,
    svg: s.querySelectorAll('svg.main-svg').length,
    pickers: Array.from(s.querySelectorAll('select.contour-param')).map(function (p) { return p.value; }),
  };
});
"""


# -- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server(written_storage: str) -> Iterator[DashboardServer]:
    """A read-only dashboard over the written studies."""
    running = DashboardServer(written_storage)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def write_server(
    writer: Writer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DashboardServer]:
    """A dashboard with ``--allow-write`` over its own copy of the studies."""
    url = writer.write_studies(tmp_path_factory.mktemp("dashboard_write") / "studies.db")
    running = DashboardServer(url, ["--allow-write"])
    running.storage = url  # type: ignore[attr-defined]
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Callable[[str], None]]:
    """Open a URL, then check that the browser logged nothing SEVERE while the test ran."""
    browser.get_log("browser")  # drop what earlier tests left

    def open_page(url: str) -> None:
        browser.get("about:blank")  # a fresh page, even when only the hash differs
        browser.get(url)

    yield open_page
    severe = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert severe == [], severe


@functools.cache
def _storage(url: str) -> BaseStorage:
    # one storage per file for the whole module: see dashboard_writer.storage_of
    return get_storage(url)


def _study_id(url: str, name: str) -> int:
    return _storage(url).get_study_id_from_name(name)


def _trials(url: str, name: str) -> list[FrozenTrial]:
    return _storage(url).get_all_trials(_study_id(url, name), deepcopy=False)


_WATCH_ROWS = """
window.__shown = {};
function note() {
  const now = Date.now() / 1000;
  for (const r of document.querySelectorAll('#trials-table tbody tr[data-number]')) {
    const key = r.dataset.number + ':' + r.dataset.state;
    if (!(key in window.__shown)) window.__shown[key] = now;
  }
}
note();
new MutationObserver(note).observe(document.body, {
  childList: true, subtree: true, attributes: true, attributeFilter: ['data-state'],
});
"""
"""Records in ``window.__shown["number:STATE"]`` when a trials-table row first showed that state
(seconds since the epoch, by the page's clock)."""


def _rows(browser: Any) -> list[int]:
    script = "return Array.from(document.querySelectorAll('#trials-table tbody tr[data-number]'))"
    script += ".map(function (r) { return Number(r.dataset.number); });"
    rows: list[int] = browser.execute_script(script)
    return rows


def _text(browser: Any, selector: str) -> str | None:
    script = "var n = document.querySelector(arguments[0]); return n ? n.textContent : null;"
    text: str | None = browser.execute_script(script, selector)
    return text


def _count(browser: Any, selector: str) -> int:
    n: int = browser.execute_script(
        "return document.querySelectorAll(arguments[0]).length;", selector
    )
    return n


def _no_alert(browser: Any) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        alert = browser.switch_to.alert
    except NoAlertPresentException:
        return
    text = alert.text
    alert.dismiss()
    raise AssertionError(f"the page opened an alert: {text!r}")


def _http(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> int:
    body = b"{}" if method != "GET" else None
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


def _points(figure: Any) -> list[int]:
    def size(values: Any) -> int:
        return 0 if values is None else len(values)

    return [
        size(getattr(trace, "x", None)) + size(getattr(trace, "dimensions", None))
        for trace in figure.data
    ]


_SCROLL_TO_PENDING = """
var pending = document.querySelector('#plots .plot[data-state=pending]');
if (pending) pending.scrollIntoView();
"""


def _wait_plots(browser: Any, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Every plot once settled; plots load when scrolled to, so scroll to each in turn."""

    def settled() -> list[dict[str, Any]] | None:
        browser.execute_script(_SCROLL_TO_PENDING)
        plots: list[dict[str, Any]] = browser.execute_script(_PLOTS)
        if plots and all(p["state"] in ("drawn", "note", "error") for p in plots):
            return plots
        return None

    result: list[dict[str, Any]] = wait_until(settled, timeout=timeout)
    return result


# -- the studies ----------------------------------------------------------------------------------
def test_studies_page_lists_every_study_with_its_counts(
    browser: Any, server: DashboardServer, written_storage: str, page: Any
) -> None:
    page(server.url("/"))
    selector = "#studies-table tbody tr[data-study-id]"
    wait_until(lambda: _count(browser, selector) == 4)
    script = f"""return Array.from(document.querySelectorAll('{selector}')).map(function (r) {{
      return [r.dataset.studyId, Array.from(r.cells).map(function (c) {{ return c.textContent; }})];
    }});"""
    shown = {cells[0]: (int(sid), cells) for sid, cells in browser.execute_script(script)}
    assert set(shown) == {"main", "multi", HOSTILE, "big"}
    main = _trials(written_storage, "main")
    sid, cells = shown["main"]
    assert sid == _study_id(written_storage, "main")
    assert cells[1] == "minimize" and cells[2] == str(len(main))
    assert cells[3:8] == [
        str(sum(t.state == state for t in main))
        for state in (
            TrialState.COMPLETE,
            TrialState.PRUNED,
            TrialState.FAIL,
            TrialState.RUNNING,
            TrialState.WAITING,
        )
    ]
    assert shown["multi"][1][1] == "minimize, maximize"
    _no_alert(browser)

    box = browser.find_element("css selector", "#study-filter")
    box.send_keys("mul")
    wait_until(lambda: _count(browser, selector) == 1)
    assert _text(browser, selector + " a") == "multi"


# -- a study: plots -------------------------------------------------------------------------------
def test_every_plot_of_the_study_is_drawn_with_the_right_points(
    browser: Any, server: DashboardServer, written_storage: str, page: Any
) -> None:
    study_id = _study_id(written_storage, "main")
    page(server.url(f"/#/studies/{study_id}"))
    plots = _wait_plots(browser)
    study = podbor.load_study(study_name="main", storage=_storage(written_storage))
    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    plan = {item.kind: item for item in plan_report(study)}
    assert plots[0]["kind"] == "history"
    assert {p["kind"] for p in plots} >= set(plan) - {"pareto", "hypervolume"}
    for plot in plots:
        item = plan[plot["kind"]]
        if item.skipped:
            assert plot["state"] == "note", plot
            continue
        assert plot["state"] == "drawn", plot
        assert plot["traces"] > 0 and plot["svg"] >= 1, plot
        kwargs = dict(item.kwargs)
        if plot["kind"] == "contour":
            assert len(plot["pickers"]) == 2, plot
            kwargs["params"] = plot["pickers"]
        expected = getattr(podbor.visualization, item.function)(study, **kwargs)
        assert plot["points"] == _points(expected), plot["kind"]
    drawn = {p["kind"]: p for p in plots}
    history = drawn["history"]
    assert history["points"][0] == len(complete)  # one marker per complete trial
    assert sum(drawn["timeline"]["points"]) == len(trials)  # one bar per trial
    assert drawn["sampler"]["state"] == "drawn"


def test_pareto_front_of_two_objectives(
    browser: Any, server: DashboardServer, written_storage: str, page: Any
) -> None:
    page(server.url(f"/#/studies/{_study_id(written_storage, 'multi')}"))
    plots = _wait_plots(browser)
    drawn = {(p["kind"], p["target"]): p for p in plots}
    assert drawn[("pareto", None)]["state"] == "drawn"
    assert sum(drawn[("pareto", None)]["points"]) == 10
    assert drawn[("hypervolume", None)]["state"] == "drawn"
    assert drawn[("history", 0)]["state"] == drawn[("history", 1)]["state"] == "drawn"
    assert [c for c in _headers(browser) if c.startswith("values.")] == ["values.0", "values.1"]


def _headers(browser: Any) -> list[str]:
    script = "return Array.from(document.querySelectorAll('#trials-table th[data-col]'))"
    script += ".map(function (h) { return h.dataset.col; });"
    cols: list[str] = browser.execute_script(script)
    return cols


# -- a study: the trials table --------------------------------------------------------------------
def _expected(
    trials: list[FrozenTrial], key: Callable[[FrozenTrial], Any], desc: bool
) -> list[int]:
    present = [t for t in trials if key(t) is not None]
    missing = [t for t in trials if key(t) is None]
    present.sort(key=lambda t: t.number)
    present.sort(key=key, reverse=desc)  # stable: ties stay by number
    return [t.number for t in present + sorted(missing, key=lambda t: t.number)]


_AREA_HEIGHTS = """
return Array.from(document.querySelectorAll('#plots .plot[data-kind]')).map(function (s) {
  return [s.dataset.kind, s.dataset.state, s.querySelector('.plot-area').getBoundingClientRect().height];
});
"""


def test_a_plot_not_drawn_yet_holds_the_room_of_a_drawn_one(
    browser: Any, server: DashboardServer, written_storage: str, page: Any
) -> None:
    """So the sections below it (the trials table) do not jump by ~360 px as it is drawn."""
    study_id = _study_id(written_storage, "main")
    page(server.url(f"/#/studies/{study_id}"))
    wait_until(lambda: _rows(browser))
    waiting = [a for a in browser.execute_script(_AREA_HEIGHTS) if a[1] == "pending"]
    assert waiting and all(height == 420 for _, _, height in waiting), waiting
    _wait_plots(browser)
    drawn = {kind: height for kind, state, height in browser.execute_script(_AREA_HEIGHTS)}
    assert drawn["history"] == drawn["edf"] == 420  # plotly's default height in the dashboard


def test_sorting_and_filtering_give_the_rows_of_the_study(
    browser: Any, server: DashboardServer, written_storage: str, page: Any
) -> None:
    study_id = _study_id(written_storage, "main")
    page(server.url(f"/#/studies/{study_id}"))
    trials = _trials(written_storage, "main")
    wait_until(lambda: _rows(browser) == [t.number for t in trials])
    assert _text(browser, "#trials-count") == f"{len(trials)} of {len(trials)}"
    _wait_plots(browser)  # no plot above the table is drawn (and moves it) under a click

    def value(t: FrozenTrial) -> float | None:
        return t.values[0] if t.values else None

    def x(t: FrozenTrial) -> Any:
        return t.params.get("x")

    for col, key in (("value", value), ("params.x", x)):
        ascending = _expected(trials, key, desc=False)
        descending = _expected(trials, key, desc=True)
        header = f'#trials-table th[data-col="{col}"]'
        browser.find_element("css selector", header).click()
        wait_until(lambda: _rows(browser) == ascending)  # noqa: B023 (waited for at once)
        browser.find_element("css selector", header).click()
        wait_until(lambda: _rows(browser) == descending)  # noqa: B023

    box = browser.find_element("css selector", "#trial-filter")
    box.send_keys("params.x > 0\n")
    positive = [t for t in trials if t.params.get("x") is not None and t.params["x"] > 0]
    wait_until(lambda: sorted(_rows(browser)) == sorted(t.number for t in positive))
    assert _rows(browser) == _expected(positive, x, desc=True)
    assert _text(browser, "#trials-count") == f"{len(positive)} of {len(trials)}"

    box.clear()
    box.send_keys("params.kind = tree\n")
    tree = [t.number for t in trials if t.params.get("kind") == "tree"]
    wait_until(lambda: sorted(_rows(browser)) == tree)

    box.clear()
    box.send_keys("\n")
    browser.find_element("css selector", 'input.state-filter[value="PRUNED"]').click()
    pruned = [t.number for t in trials if t.state == TrialState.PRUNED]
    wait_until(lambda: sorted(_rows(browser)) == pruned)
    assert _text(browser, "#trials-count") == f"{len(pruned)} of {len(trials)}"

    assert browser.execute_script("return document.getElementById('error').hidden;")
    box.send_keys("params.x ?? 1\n")  # a wrong expression: the server's 400 is shown
    wait_until(
        lambda: not browser.execute_script("return document.getElementById('error').hidden;")
    )
    assert "params.x ?? 1" in (_text(browser, "#error") or "")
    browser.get_log("browser")  # the 400 is logged; that is the point


def test_a_trial_finished_by_another_process_appears_without_reload(
    browser: Any, server: DashboardServer, written_storage: str, writer: Writer, page: Any
) -> None:
    study_id = _study_id(written_storage, "main")
    page(server.url(f"/#/studies/{study_id}"))
    before = _trials(written_storage, "main")
    wait_until(lambda: _rows(browser) == [t.number for t in before])
    running = [t.number for t in before if t.state == TrialState.RUNNING]
    assert running
    browser.execute_script("window.__notReloaded = true;")
    # When a row first shows a state, by the page's own clock (the machine's, as time.time()):
    # what a user sees, without the delay of this test's polling through WebDriver.
    browser.execute_script(_WATCH_ROWS)

    def shown_at(number: int, state: str) -> float | None:
        at = browser.execute_script("return window.__shown[arguments[0]];", f"{number}:{state}")
        return None if at is None else float(at)

    writer("finish", written_storage, "main", str(running[0]), "-3.5")
    finished_at = time.time()
    wait_until(lambda: shown_at(running[0], "COMPLETE") is not None, timeout=10.0)
    assert (shown_at(running[0], "COMPLETE") or math.inf) - finished_at <= 2.0

    writer("add", written_storage, "main", "7.25")
    added_at = time.time()
    new_number = len(before)
    wait_until(lambda: new_number in _rows(browser), timeout=10.0)
    shown = [shown_at(new_number, s.name) for s in TrialState]
    assert min(at for at in shown if at is not None) - added_at <= 2.0
    assert _text(browser, "#trials-count") == f"{len(before) + 1} of {len(before) + 1}"
    assert browser.execute_script("return window.__notReloaded === true;")
    live = _text(browser, "#live-status") or ""
    assert "live" in live, live

    # the plots follow, a few seconds later: one more marker per complete trial
    complete = sum(t.state == TrialState.COMPLETE for t in before) + 2

    def history_points() -> Any:
        plots = browser.execute_script(_PLOTS)
        history = next(p for p in plots if p["kind"] == "history")
        return history["points"] and history["points"][0] == complete

    wait_until(history_points, timeout=15)


def test_a_trial_page_shows_params_values_and_intermediate_values(
    browser: Any, server: DashboardServer, written_storage: str, page: Any
) -> None:
    study_id = _study_id(written_storage, "main")
    trial = _trials(written_storage, "main")[0]
    page(server.url(f"/#/studies/{study_id}/trials/{trial.number}"))
    wait_until(lambda: _count(browser, "#trial-detail") == 1)
    detail = _text(browser, "#trial-detail") or ""
    assert "COMPLETE" in detail and "qmc: start-up" in detail
    script = "return Array.from(document.querySelectorAll('#trial-params tbody tr'))"
    script += ".map(function (r) { return r.dataset.param; });"
    assert browser.execute_script(script) == sorted(trial.params)
    plot = "#intermediate-plot"
    wait_until(
        lambda: (
            browser.execute_script(
                "return document.querySelector(arguments[0]).dataset.state;", plot
            )
            == "drawn"
        )
    )
    points = browser.execute_script(
        "return document.querySelector(arguments[0] + ' .js-plotly-plot').data[0].x.length;", plot
    )
    assert points == len(trial.intermediate_values)


# -- user strings stay text -----------------------------------------------------------------------
def test_html_in_names_params_attributes_and_notes_is_shown_as_text(
    browser: Any, server: DashboardServer, written_storage: str, page: Any
) -> None:
    page(server.url("/"))
    wait_until(lambda: _count(browser, "#studies-table tbody tr[data-study-id]") == 4)
    names = browser.execute_script(
        "return Array.from(document.querySelectorAll('#studies-table a.study-name'))"
        ".map(function (a) { return a.textContent; });"
    )
    assert HOSTILE in names
    _no_alert(browser)

    page(server.url(f"/#/studies/{_study_id(written_storage, HOSTILE)}"))
    wait_until(lambda: _text(browser, "#study-title") == HOSTILE)
    _wait_plots(browser)
    _no_alert(browser)
    assert _text(browser, "#note-text") == HOSTILE_NOTE
    assert HOSTILE_PARAM in _headers(browser) or f"params.{HOSTILE_PARAM}" in _headers(browser)
    view = _text(browser, "#view") or ""
    for text in (HOSTILE_PARAM, HOSTILE_CHOICE, HOSTILE):
        assert text in view, text
    # nothing from the study became an element, in the page or in the plots' labels
    assert _count(browser, "#view script, #view img, #view b, #view i") == 0
    labels = browser.execute_script(
        "return Array.from(document.querySelectorAll('#plots svg text'))"
        ".map(function (t) { return t.textContent; });"
    )
    assert any(HOSTILE_CHOICE in label for label in labels), labels  # plotly.js kept the tags
    assert any(HOSTILE_PARAM in label for label in labels), labels


# -- security -------------------------------------------------------------------------------------
def test_the_token_is_required_and_the_printed_url_works(
    browser: Any, written_storage: str, page: Any
) -> None:
    token = "s3cret-token"
    secured = DashboardServer(written_storage, ["--token", token])
    try:
        assert _http(secured.url("/api/studies")) == 401
        assert _http(secured.url("/api/studies"), headers={"Authorization": "Bearer no"}) == 401
        bearer = {"Authorization": f"Bearer {token}"}
        assert _http(secured.url("/api/studies"), headers=bearer) == 200
        browser.get(secured.url("/"))
        assert _count(browser, "#studies-table") == 0  # refused: not the dashboard
        browser.get_log("browser")  # the 401 is logged; that is the point
        page(secured.url(f"/?token={token}"))
        wait_until(lambda: _count(browser, "#studies-table tbody tr[data-study-id]") == 4)
        assert "token" not in browser.current_url
    finally:
        browser.get("about:blank")  # stop the page's live polling before its server goes away
        browser.delete_all_cookies()
        secured.stop()


def test_write_controls_are_absent_without_allow_write(
    browser: Any, server: DashboardServer, written_storage: str, page: Any
) -> None:
    study_id = _study_id(written_storage, "main")
    page(server.url(f"/#/studies/{study_id}"))
    wait_until(lambda: len(_rows(browser)) > 0)
    for selector in (
        "#note-save",
        "#delete-study",
        "#enqueue-params",
        "#enqueue-submit",
        "button.tell",
    ):
        assert _count(browser, selector) == 0, selector
    assert browser.execute_script("return document.querySelector('#note-text').tagName;") == "PRE"
    api = server.url(f"/api/studies/{study_id}")
    assert _http(api + "/note", "PUT") in (404, 405)
    assert _http(api + "/enqueue", "POST") in (404, 405)
    assert _http(api, "DELETE") in (404, 405)


def test_write_actions_with_allow_write(
    browser: Any, write_server: DashboardServer, writer: Writer, page: Any
) -> None:
    storage_url: str = write_server.storage  # type: ignore[attr-defined]
    storage = _storage(storage_url)
    study_id = _study_id(storage_url, "main")
    page(write_server.url(f"/#/studies/{study_id}"))
    wait_until(lambda: len(_rows(browser)) > 0)

    note = "A note <b>with</b> HTML & ünïcode"
    area = browser.find_element("css selector", "#note-text")
    area.clear()
    area.send_keys(note)
    browser.find_element("css selector", "#note-save").click()
    wait_until(lambda: storage.get_study_system_attrs(study_id).get(NOTE_KEY) == note)

    before = _trials(storage_url, "main")
    running = [t.number for t in before if t.state == TrialState.RUNNING]
    browser.find_element("css selector", f'button.tell[data-number="{running[0]}"]').click()
    form = f'.tell-form[data-number="{running[0]}"]'
    field = wait_until(lambda: browser.find_elements("css selector", form + " .tell-values"))[0]
    field.send_keys("1.")
    # Another worker adds a trial: the table is redrawn live, and the half-typed form stays, with
    # its text and the focus.
    writer("add", storage_url, "main", "0.5")
    wait_until(lambda: len(before) in _rows(browser), timeout=3)
    value = "var f = document.querySelector(arguments[0]); return f && f.value;"
    assert browser.execute_script(value, form + " .tell-values") == "1."
    focused = "return document.activeElement === document.querySelector(arguments[0]);"
    assert browser.execute_script(focused, form + " .tell-values")
    browser.switch_to.active_element.send_keys("5")
    browser.find_element("css selector", form + " .tell-submit").click()

    def told() -> bool:
        trial = _trials(storage_url, "main")[running[0]]
        return trial.state == TrialState.COMPLETE and trial.values == [1.5]

    wait_until(told)

    params = browser.find_element("css selector", "#enqueue-params")
    params.send_keys(json.dumps({"x": 1.25, "kind": "knn"}))
    browser.find_element("css selector", "#enqueue-submit").click()

    def enqueued() -> list[int]:
        return [
            t.number
            for t in _trials(storage_url, "main")
            if t.state == TrialState.WAITING
            and t.system_attrs.get("fixed_params") == {"x": 1.25, "kind": "knn"}
        ]

    waiting = wait_until(enqueued)
    wait_until(lambda: _count(browser, f'button.tell[data-number="{waiting[0]}"]') == 1, timeout=3)

    multi = _study_id(storage_url, "multi")
    page(write_server.url(f"/#/studies/{multi}"))
    wait_until(lambda: _text(browser, "#study-title") == "multi")
    _wait_plots(browser)
    browser.find_element("css selector", "#delete-study").click()
    browser.switch_to.alert.accept()
    wait_until(lambda: browser.current_url.endswith("#/"))
    names = {s.study_name for s in podbor.get_all_study_summaries(storage)}
    assert names == {"main", HOSTILE}
    wait_until(lambda: _count(browser, "#studies-table tbody tr[data-study-id]") == 2)


# -- last, as the server keeps drawing the big study's other plots a while ---------------------
def test_a_big_history_is_drawn_with_webgl_traces_or_their_svg_fallback(
    browser: Any, server: DashboardServer, written_storage: str, page: Any
) -> None:
    study_id = _study_id(written_storage, "big")
    api = server.url(f"/api/studies/{study_id}/plots/history?target=0")
    with urllib.request.urlopen(api, timeout=30) as response:
        sent = json.load(response)["figure"]["data"]
    assert sent[0]["type"] == "scattergl"  # past 2,000 points
    page(server.url(f"/#/studies/{study_id}"))
    history = '#plots .plot[data-kind="history"]'
    wait_until(
        lambda: (
            browser.execute_script(
                "var s = document.querySelector(arguments[0]); return s && s.dataset.state;",
                history,
            )
            == "drawn"
        ),
        timeout=30,
    )
    drawn = next(p for p in browser.execute_script(_PLOTS) if p["kind"] == "history")
    assert drawn["points"][0] == BIG
    assert _count(browser, history + " .no-webgl") == 0  # plotly.js's "WebGL is not supported"
    browser.get("about:blank")  # stop loading the other plots of this study
