"""The study page's plots: which apply (the report's plan) and each figure as plotly JSON.

The dashboard shows what ``podbor plot`` shows: the plan comes from
:func:`podbor.visualization._report.plan_report` and every figure from the same
``podbor.visualization.plot_*`` function. A figure leaves the server with every user string
(parameter names and values, categories, objective and study names, attribute keys) escaped
for plotly.js, which reads a subset of HTML in its texts: ``&``, ``<`` and ``>`` become entities,
which plotly.js shows as the characters themselves. Hover texts come escaped from the plots'
data layer (``_data._common.hovertext``); the hover templates are escaped where they quote a user
string. Scatter traces of more than 2,000 points are drawn with WebGL (``scattergl``).

A figure is built once per (kind, target, params, cursor) and kept encoded (see
:class:`~podbor.dashboard._json.Encoded`), so that polls between two changes of the study cost
nothing; while a study changes, a figure is rebuilt at most once every :data:`REBUILD_FACTOR`
times its build time.
"""

from __future__ import annotations

import base64
import copy
import dataclasses
import html
import re
import threading
import time
from collections.abc import Container, Sequence
from typing import Any, Protocol, cast

import numpy as np

from podbor.dashboard._json import Encoded
from podbor.distributions import BaseDistribution, CategoricalDistribution
from podbor.study import Study, StudyDirection
from podbor.trial import FrozenTrial, TrialState
from podbor.visualization._report import (
    KINDS,
    ReportItem,
    draw,
    objective_names,
    plan_report,
    resolve_kind,
)


class StudyMonitor(Protocol):
    """What the plots read of a :class:`~podbor.dashboard._monitor.StudyMonitor` (which builds
    its study page with :func:`plot_entries`: this module does not import it)."""

    name: str
    directions: list[StudyDirection]
    cache: dict[Any, Any]

    @property
    def cursor(self) -> int: ...

    @property
    def param_names(self) -> list[str]: ...

    @property
    def user_attr_keys(self) -> list[str]: ...

    @property
    def distributions(self) -> dict[str, BaseDistribution]: ...

    def refresh(self) -> None: ...

    def study(self) -> Study: ...


__all__ = [
    "GL_THRESHOLD",
    "HOVER_BUDGET",
    "LINE_BUDGET",
    "REBUILD_FACTOR",
    "PlotQueryError",
    "escape",
    "plot_entries",
    "plot_figure",
]

GL_THRESHOLD = 2000
"""Scatter traces with more points than this are drawn as ``scattergl``."""

REBUILD_FACTOR = 4.0
"""A figure is rebuilt for a newer cursor only once this many times its last build time has
passed since that build, so that a live study spends at most about a fifth of the server's time
on any one figure (at 10⁵ trials a parallel-coordinate plot takes seconds)."""

LINE_BUDGET = {"intermediate": 1000, "parallel": 2000}
"""The most trials drawn as lines, per plot kind: past it the page draws the best half of the
budget and, for the rest, the latest trials (intermediate values: what is running now) or trials
spread evenly over the study (parallel coordinates), and the note says so. Tens of thousands of
lines keep a browser's drawing busy for many seconds after the figure is shown (minutes with
software WebGL), and no one reads them apart."""

_ALIASES = {"decisions": "sampler", "sampler_decisions": "sampler"}
_TEMPLATE_KEYS = frozenset({"hovertemplate", "texttemplate"})
_ESCAPED_TRACE_KEYS = frozenset({"text", "hovertext"})  # built escaped by the data layer
_HOVER_KEYS = ("hovertext", "text")
_SPECIAL = re.compile(r"[&<>]")
_MAX_CACHED_FIGURES = 16
HOVER_BUDGET = 8_000_000
"""Characters of per-point hover texts a figure may carry; past it they are left out (a rank plot
of 10^4 trials repeats each trial's parameters in every panel: tens of MB) and the note says so."""


class PlotQueryError(ValueError):
    """A plot that cannot be asked for: unknown kind, target or parameter; the message says which."""


def escape(text: str) -> str:
    """``&``, ``<`` and ``>`` as HTML entities (what plotly.js shows literally).

    Example:
        >>> escape("<b>a & b</b>")
        '&lt;b&gt;a &amp; b&lt;/b&gt;'
    """
    return html.escape(text, quote=False) if _SPECIAL.search(text) else text


def _kind_name(kind: str) -> str:
    name = _ALIASES.get(kind.strip().lower().replace("-", "_")) or resolve_kind(kind)
    if name is None:
        raise PlotQueryError(
            f"The plot kind {kind!r} is unknown; the kinds are {[k.name for k in KINDS]}."
        )
    return name


def _plan(
    monitor: StudyMonitor, kinds: Sequence[str] | None, params: Sequence[str] | None
) -> list[ReportItem]:
    try:
        return plan_report(monitor.study(), kinds, params=params)
    except ValueError as error:
        raise PlotQueryError(str(error)) from None


# -- the plan ---------------------------------------------------------------------------------------
def plot_entries(monitor: StudyMonitor) -> list[dict[str, Any]]:
    """The plots of the study page, in order: ``{"kind", "title", "target", "target_name",
    "available", "note"}``, plus ``"params"`` (every parameter) for the contour, whose two
    parameters the page picks. Cached per cursor.

    Example:
        >>> import podbor
        >>> from podbor.dashboard._monitor import Monitors
        >>> study = podbor.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> entries = plot_entries(Monitors(study._storage).get(study._study_id))
        >>> [(e["kind"], e["available"]) for e in entries][:3]
        [('history', True), ('intermediate', False), ('parallel', True)]
    """
    monitor.refresh()
    key = ("plot-entries", monitor.cursor)
    cached = monitor.cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    names = objective_names(monitor.study())
    multi = len(monitor.directions) > 1
    entries = []
    for item in _plan(monitor, None, None):
        entry: dict[str, Any] = {
            "kind": item.kind,
            "title": item.heading,
            "target": item.objective,
            "target_name": None if item.objective is None else names[item.objective],
            "available": not item.skipped,
            "note": item.note,
        }
        if item.kind == "contour":
            entry["params"] = monitor.param_names
        if not multi and item.objective is None and _per_objective(item.kind):
            entry["target"], entry["target_name"] = 0, names[0]
        entries.append(entry)
    _drop_stale(monitor, "plot-entries")
    monitor.cache[key] = entries
    return entries


def _per_objective(kind: str) -> bool:
    return any(k.name == kind and k.per_objective for k in KINDS)


# -- one figure -------------------------------------------------------------------------------------
def plot_figure(
    monitor: StudyMonitor,
    kind: str,
    *,
    target: int | None = None,
    params: Sequence[str] | None = None,
) -> dict[str, Any]:
    """One plot of the study: ``{"figure": {"data", "layout"}, "cursor", "note"}``, or
    ``{"figure": None, "note": why, "cursor"}`` when it does not apply.

    Args:
        monitor: The study's monitor.
        kind: The plot's short name (``history``, ``contour``, ...; any name ``podbor plot``
            takes, and ``decisions`` for the sampler's decisions).
        target: The objective a per-objective plot shows (0 by default); ignored by the others.
        params: The parameters of a parameter plot (all by default); the contour takes exactly
            two (by default the first two, by name).

    Raises:
        PlotQueryError: An unknown kind, objective or parameter; a contour not given two.
    """
    name = _kind_name(kind)
    plot = next(k for k in KINDS if k.name == name)
    monitor.refresh()
    n_objectives = len(monitor.directions)
    if plot.per_objective:
        target = 0 if target is None else target
        if (
            isinstance(target, bool)
            or not isinstance(target, int)
            or not 0 <= target < n_objectives
        ):
            raise PlotQueryError(
                f"The target {target!r} is not an objective of the study; it must be an "
                f"integer in [0, {n_objectives - 1}]."
            )
    else:
        target = None
    chosen = _check_params(monitor, name, params) if plot.takes_params else None
    key = ("plot", name, target, None if chosen is None else tuple(chosen))
    latest: _Built | None = monitor.cache.get(key)
    if latest is not None and latest.current(monitor.cursor):
        return latest.body
    # one build per figure however many pages ask for it at once (a big one takes seconds)
    with monitor.cache.setdefault(("plot-lock", *key[1:]), threading.Lock()):
        latest = monitor.cache.get(key)
        if latest is None or not latest.current(monitor.cursor):
            start = time.monotonic()
            body = _build(monitor, name, target, chosen)
            latest = _Built(body, monitor.cursor, time.monotonic(), time.monotonic() - start)
            monitor.cache[key] = latest
            _keep_newest_figures(monitor)
    return latest.body


def _keep_newest_figures(monitor: StudyMonitor) -> None:
    """Forget all but the :data:`_MAX_CACHED_FIGURES` most recently built figures."""
    built = [(v.at, k) for k, v in list(monitor.cache.items()) if isinstance(v, _Built)]
    for _, key in sorted(built, key=lambda pair: pair[0], reverse=True)[_MAX_CACHED_FIGURES:]:
        monitor.cache.pop(key, None)


@dataclasses.dataclass(frozen=True)
class _Built:
    """A figure as last built: its body, the cursor it shows, when and in how many seconds."""

    body: dict[str, Any]
    cursor: int
    at: float
    seconds: float

    def current(self, cursor: int) -> bool:
        """Whether to serve it for ``cursor``: it shows that cursor, or it was built less than
        :data:`REBUILD_FACTOR` times its build time ago (a figure of a large study that takes
        seconds to build is not rebuilt on every change of a running study; its body says
        which cursor it shows)."""
        return self.cursor == cursor or time.monotonic() - self.at < REBUILD_FACTOR * self.seconds


def _check_params(
    monitor: StudyMonitor, kind: str, params: Sequence[str] | None
) -> list[str] | None:
    if isinstance(params, str):
        params = [p for p in params.split(",") if p]
    known = monitor.param_names
    if params is not None:
        unknown = [p for p in params if p not in known]
        if unknown:
            raise PlotQueryError(
                f"The parameter {unknown[0]!r} is not in the study; its parameters are {known}."
            )
        params = list(dict.fromkeys(params))
    if kind == "contour":
        if params is None:
            params = known[:2]
        if len(params) != 2:
            raise PlotQueryError(
                f"The contour takes exactly two parameters (params=a,b); got {list(params)!r}."
            )
    return None if params is None else list(params)


def _build(
    monitor: StudyMonitor, kind: str, target: int | None, params: list[str] | None
) -> dict[str, Any]:
    items = _plan(monitor, [kind], params)
    item = next((i for i in items if i.objective in (target, None)), items[0])
    if item.skipped:
        return {"figure": None, "note": item.note, "cursor": monitor.cursor}
    study, thinned = _thinned(monitor.study(), kind, target)
    figure = draw(item, study).to_plotly_json()
    note = "; ".join(text for text in (item.note, thinned) if text)
    traces, note = _within_budget(list(figure.get("data", [])), note)
    escaper = _Escaper(_user_strings(monitor))
    data = [escaper.trace(_gl(_without_flat_runs(trace))) for trace in traces]
    layout = escaper.value(figure.get("layout", {}), "")
    return {
        "figure": Encoded({"data": data, "layout": layout}),
        "note": note,
        "cursor": monitor.cursor,
    }


_REPORTING = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)
"""The trials whose reports the intermediate-values plot draws."""


def _thinned(study: Study, kind: str, target: int | None) -> tuple[Study, str]:
    """``study`` itself, or past the kind's :data:`LINE_BUDGET` the study seen through the
    trials it draws (the best half of the budget by the ``target`` objective, then the latest or an
    even spread), with a note saying which."""
    budget = LINE_BUDGET.get(kind)
    if budget is None:
        return study, ""
    trials = study.get_trials(deepcopy=False)
    if kind == "intermediate":
        pool = [t for t in trials if t.intermediate_values and t.state in _REPORTING]
    else:
        pool = [t for t in trials if t.state == TrialState.COMPLETE]
    if len(pool) <= budget:
        return study, ""
    objective = target or 0
    sign = -1.0 if study.directions[objective] == StudyDirection.MAXIMIZE else 1.0
    scored = [t for t in pool if t.state == TrialState.COMPLETE and t.values is not None]
    values = np.array([sign * t.values[objective] for t in scored])  # type: ignore[index]
    order = np.argsort(np.where(np.isnan(values), np.inf, values), kind="stable")
    best = {scored[i].number for i in order[: budget // 2]}
    others = [t for t in pool if t.number not in best]
    n_others = budget - len(best)
    if kind == "intermediate":
        chosen = others[len(others) - n_others :]
        which = "latest"
    else:
        spread = np.unique(np.linspace(0, len(others) - 1, n_others).round().astype(int))
        chosen = [others[i] for i in spread]
        which = "others spread over the study"
    keep = sorted([t for t in pool if t.number in best] + chosen, key=lambda t: t.number)
    note = (
        f"{len(keep):,} of {len(pool):,} trials drawn: the {len(best):,} best and "
        f"{len(chosen):,} {which}"
    )
    return cast(Study, _Subset(study, keep)), note


class _Subset:
    """A study seen through some of its trials (numbers kept): what a plot of it reads.

    Only what the plot-data module reads of a study is here: its name, directions, metric names
    and sampler, and the trials. A plot that reached for more would fail in the dashboard's
    tests rather than read the whole study behind the subset's back.
    """

    def __init__(self, study: Study, trials: list[FrozenTrial]) -> None:
        self.study_name = study.study_name
        self.directions = study.directions
        self.metric_names = study.metric_names
        self.sampler = study.sampler
        self._trials = trials

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        trials = [t for t in self._trials if states is None or t.state in states]
        return [copy.deepcopy(t) for t in trials] if deepcopy else trials

    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials()


def _within_budget(traces: list[dict[str, Any]], note: str) -> tuple[list[dict[str, Any]], str]:
    """The traces without their per-point hover texts when these exceed :data:`HOVER_BUDGET`."""
    size = sum(_text_size(trace.get(key)) for trace in traces for key in _HOVER_KEYS)
    if size <= HOVER_BUDGET:
        return traces, note
    stripped = []
    for trace in traces:
        if any(_text_size(trace.get(key)) for key in _HOVER_KEYS):
            trace = {k: v for k, v in trace.items() if k not in (*_HOVER_KEYS, "hovertemplate")}
            trace["hoverinfo"] = "x+y"
        stripped.append(trace)
    said = f"per-point hover texts left out ({size / 1e6:.0f} MB of them)"
    return stripped, f"{note}; {said}" if note else said


def _text_size(texts: Any) -> int:
    if texts is None or isinstance(texts, str) or len(texts) <= 1:
        return 0
    return sum(len(t) for t in texts if isinstance(t, str))


def _drop_stale(monitor: StudyMonitor, prefix: str) -> None:
    """Forget cached figures of older cursors (and keep at most a few of this one)."""
    keys = [k for k in monitor.cache if isinstance(k, tuple) and k and k[0] == prefix]
    for key in keys:
        if key[-1] != monitor.cursor or len(keys) > _MAX_CACHED_FIGURES:
            monitor.cache.pop(key, None)


def _gl(trace: dict[str, Any]) -> dict[str, Any]:
    """A scatter trace of more than :data:`GL_THRESHOLD` points becomes ``scattergl``."""
    if trace.get("type") == "scatter" and _n_points(trace.get("x")) > GL_THRESHOLD:
        trace = {**trace, "type": "scattergl"}
    return trace


_PER_POINT_KEYS = frozenset({"text", "hovertext", "customdata", "ids", "selectedpoints"})


def _without_flat_runs(trace: dict[str, Any]) -> dict[str, Any]:
    """A long line trace (``mode="lines"``, straight segments, ``x`` non-decreasing) without the
    points inside its flat runs: a point whose neighbours on both sides have its ``y`` lies on
    the segment between them, so the line drawn is the same. The best-value line of a study's
    history is such a staircase: at 10⁵ trials it had 10⁵ points (1.5 MB of the figure and a
    WebGL trace to draw) for a few dozen steps. Hovering it now shows the steps' ends only."""
    if trace.get("mode") != "lines" or trace.get("type") not in ("scatter", "scattergl"):
        return trace
    if (trace.get("line") or {}).get("shape", "linear") != "linear":
        return trace
    if _PER_POINT_KEYS.intersection(trace) or _n_points(trace.get("x")) <= GL_THRESHOLD:
        return trace
    x, y = _numbers(trace.get("x")), _numbers(trace.get("y"))
    if x is None or y is None or x.shape != y.shape or x.ndim != 1:
        return trace
    if not np.all(np.diff(x) >= 0):
        return trace
    inner = np.zeros(y.size, dtype=bool)
    inner[1:-1] = (y[1:-1] == y[:-2]) & (y[1:-1] == y[2:])  # NaN equals nothing: kept
    keep = ~inner
    return {**trace, "x": _like(trace["x"], x[keep]), "y": _like(trace["y"], y[keep])}


def _numbers(values: Any) -> np.ndarray | None:
    """A trace's coordinates as a numeric array (from a list, an array or plotly's typed
    array), or None when they are not numbers (dates, categories)."""
    if isinstance(values, dict):
        try:
            raw = base64.b64decode(str(values["bdata"]))
            array = np.frombuffer(raw, dtype=np.dtype(str(values.get("dtype", "f8"))))
        except (KeyError, ValueError, TypeError):
            return None
        if "shape" in values:
            return None  # a 2-D typed array is no line's coordinates
    else:
        try:
            array = np.asarray(values)
        except (ValueError, TypeError):
            return None
    return array if array.dtype.kind in "iuf" else None


def _like(original: Any, array: np.ndarray) -> Any:
    """``array`` in the form of ``original``: plotly's typed array (``{"dtype", "bdata"}``, the
    same dtype, which plotly.js decodes) when it was one, else a list."""
    if isinstance(original, dict):
        return {
            "dtype": original.get("dtype", "f8"),
            "bdata": base64.b64encode(array.tobytes()).decode(),
        }
    return array.tolist()


def _n_points(x: Any) -> int:
    """The length of a trace's ``x``: a list, an array, or plotly's typed array
    (``{"dtype", "bdata": base64, "shape"?}``, what ``to_plotly_json`` makes of numpy arrays)."""
    if x is None or isinstance(x, str):
        return 0
    if isinstance(x, dict):
        if "shape" in x:
            shape = [int(v) for v in str(x["shape"]).split(",") if v.strip()]
            return int(np.prod(shape)) if shape else 0
        data = str(x.get("bdata", ""))
        n_bytes = len(data) * 3 // 4 - data[-2:].count("=")
        return n_bytes // np.dtype(str(x.get("dtype", "f8"))).itemsize
    return len(x)


# -- escaping ---------------------------------------------------------------------------------------
def _user_strings(monitor: StudyMonitor) -> list[str]:
    """The study's strings that may appear in hover templates and need escaping, longest first."""
    strings = {monitor.name, *monitor.param_names, *objective_names(monitor.study())}
    strings.update(monitor.user_attr_keys)
    for dist in monitor.distributions.values():
        if isinstance(dist, CategoricalDistribution):
            strings.update(str(c) for c in dist.choices)
    return sorted((s for s in strings if _SPECIAL.search(s)), key=len, reverse=True)


class _Escaper:
    """Escapes every string of a figure, but the hover texts the data layer escaped already."""

    def __init__(self, user_strings: list[str]) -> None:
        self.pattern = re.compile("|".join(map(re.escape, user_strings))) if user_strings else None
        self.memo: dict[str, str] = {}

    def trace(self, trace: dict[str, Any]) -> dict[str, Any]:
        return {
            key: value if key in _ESCAPED_TRACE_KEYS else self.value(value, key)
            for key, value in trace.items()
        }

    def value(self, value: Any, key: str) -> Any:
        if isinstance(value, str):
            return self.text(value, key)
        if isinstance(value, dict):
            return {k: self.value(v, k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(v, key) for v in value]
        if isinstance(value, np.ndarray) and value.dtype.kind in "OUS":
            return [self.value(v, key) for v in value.tolist()]
        return value

    def text(self, text: str, key: str) -> str:
        if key in _TEMPLATE_KEYS:
            if self.pattern is None:
                return text
            return self.pattern.sub(lambda m: html.escape(m.group(0), quote=False), text)
        memo = self.memo.get(text)
        if memo is None:
            memo = self.memo[text] = escape(text)
        return memo
