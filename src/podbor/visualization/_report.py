"""Which plots apply to a study, and with what arguments: the plan of a one-page report.

``podbor plot`` (an HTML page or a folder of PNGs) and, later, the dashboard read this plan;
the module imports neither plotly nor matplotlib. A plan is a list of :class:`ReportItem`, one
per figure, in the order a reader wants them: for several objectives the Pareto front and the
hypervolume history first, then each per-objective plot once per objective (``target=``), then
the plots of the whole study (intermediate values, timeline, the sampler's decisions). A plot
that does not apply (no complete trial, no parameter, no intermediate value, ...) stays in the
plan with a one-line ``note`` saying why, so that the page can say it was skipped.

The hypervolume history needs a reference point; the report uses :func:`default_reference_point`:
for each objective, the worst finite value among the complete trials moved outwards by 10% of
that objective's range (by 10% of its magnitude, or by 1, when the range is zero), so that every
complete trial counts.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from podbor._study_core import WORKER_KEY
from podbor.samplers import AutoSampler
from podbor.study import Study, StudyDirection
from podbor.trial import FrozenTrial, TrialState

__all__ = [
    "KINDS",
    "MAX_GRID_PARAMS",
    "PlotKind",
    "ReportItem",
    "StudySummary",
    "default_reference_point",
    "draw",
    "objective_names",
    "plan_report",
    "resolve_kind",
    "summarize",
]

MAX_GRID_PARAMS = 8
"""The contour and rank plots draw one panel per pair of parameters; past this many parameters
the report draws the first ones (sorted by name) and says so."""

_STATE_ORDER = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")
_SAMPLER_ATTR = AutoSampler.SYSTEM_ATTR  # where the default sampler records its choice


@dataclasses.dataclass(frozen=True)
class PlotKind:
    """One plot of the report.

    Attributes:
        name: Its short name on the command line (``podbor plot --kind NAME``).
        function: The plot function's name in ``podbor.visualization`` and its ``matplotlib``.
        title: The heading of its figure.
        per_objective: Whether it takes ``target=`` / ``target_name=`` (drawn once per objective
            of a multi-objective study).
        takes_params: Whether it takes ``params=`` (restricted by the report's ``params``).
    """

    name: str
    function: str
    title: str
    per_objective: bool = False
    takes_params: bool = False


KINDS: tuple[PlotKind, ...] = (
    PlotKind("pareto", "plot_pareto_front", "Pareto front"),
    PlotKind("hypervolume", "plot_hypervolume_history", "Hypervolume history"),
    PlotKind("history", "plot_optimization_history", "Optimization history", per_objective=True),
    PlotKind("intermediate", "plot_intermediate_values", "Intermediate values"),
    PlotKind("parallel", "plot_parallel_coordinate", "Parallel coordinate", True, True),
    PlotKind("slice", "plot_slice", "Slice", True, True),
    PlotKind("contour", "plot_contour", "Contour", True, True),
    PlotKind("rank", "plot_rank", "Rank", True, True),
    PlotKind("importances", "plot_param_importances", "Parameter importances", True, True),
    PlotKind("edf", "plot_edf", "Empirical distribution function", per_objective=True),
    PlotKind("timeline", "plot_timeline", "Timeline"),
    PlotKind("sampler", "plot_sampler_decisions", "Sampler decisions", per_objective=True),
)
"""Every plot the report knows, in the order of the page."""

_BY_NAME: dict[str, PlotKind] = {kind.name: kind for kind in KINDS}


def resolve_kind(name: str) -> str | None:
    """The short name of a plot given by any of its names; None for an unknown one.

    A plot is named by its short name (``history``), its function's name
    (``plot_optimization_history``) or that name without ``plot_`` (``optimization_history``);
    ``-`` and ``_`` are the same and case is ignored.

    Example:
        >>> resolve_kind("plot_parallel_coordinate"), resolve_kind("Pareto-Front")
        ('parallel', 'pareto')
        >>> resolve_kind("pie") is None
        True
    """
    wanted = name.strip().lower().replace("-", "_")
    for kind in KINDS:
        if wanted in (kind.name, kind.function, kind.function.removeprefix("plot_")):
            return kind.name
    return None


@dataclasses.dataclass(frozen=True)
class ReportItem:
    """One figure of the report, or why it is not drawn.

    Attributes:
        kind: The plot's short name (see :data:`KINDS`).
        function: The plot function's name, the same for both backends.
        heading: The figure's heading, with the objective it shows.
        kwargs: The arguments after the study (``target=`` is a callable).
        objective: The objective a per-objective plot shows; None for the whole study.
        note: Why the plot is skipped (it is then not drawn), or a remark on what it shows.
        skipped: Whether the plot is left out.
    """

    kind: str
    function: str
    heading: str
    kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    objective: int | None = None
    note: str = ""
    skipped: bool = False


@dataclasses.dataclass(frozen=True)
class StudySummary:
    """What the top of the report says of the study.

    Attributes:
        name: The study's name.
        directions: ``"minimize"`` / ``"maximize"``, one per objective.
        objective_names: One name per objective (the metric names, or ``Objective i``).
        n_trials: How many trials the study holds.
        states: Number of trials per state name, nonzero ones, in the order ``COMPLETE``,
            ``PRUNED``, ``FAIL``, ``RUNNING``, ``WAITING``.
        best: The best trial (single objective) or the Pareto-optimal trials, as
            ``(number, values, params)``; at most ``max_best`` of them.
        n_best: How many best trials there are in all.
    """

    name: str
    directions: list[str]
    objective_names: list[str]
    n_trials: int
    states: dict[str, int]
    best: list[tuple[int, list[float], dict[str, Any]]]
    n_best: int


class _Objective:
    """``target=`` for one objective of a multi-objective study: ``trial.values[index]``."""

    def __init__(self, index: int) -> None:
        self.index = index

    def __call__(self, trial: FrozenTrial) -> float:
        values = trial.values
        return float("nan") if values is None else float(values[self.index])

    def __repr__(self) -> str:
        return f"values[{self.index}]"


def objective_names(study: Study) -> list[str]:
    """The metric names of the study's objectives, or ``Objective 0``, ``Objective 1``, ..."""
    names = study.metric_names
    if names is not None and len(names) == len(study.directions):
        return [str(n) for n in names]
    if len(study.directions) == 1:
        return ["Objective Value"]
    return [f"Objective {i}" for i in range(len(study.directions))]


def summarize(study: Study, *, max_best: int = 10) -> StudySummary:
    """The study's name, directions, trials by state and best trial(s).

    Args:
        study: The study.
        max_best: At most this many Pareto-optimal trials are listed.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(study_name="demo")
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> s = summarize(study)
        >>> s.name, s.directions, s.states, s.n_best
        ('demo', ['minimize'], {'COMPLETE': 3}, 1)
    """
    trials = study.get_trials(deepcopy=False)
    states = Counter(t.state.name for t in trials)
    has_complete = states.get(TrialState.COMPLETE.name, 0) > 0
    best: list[FrozenTrial] = []
    if has_complete:
        best = [study.best_trial] if len(study.directions) == 1 else list(study.best_trials)
    return StudySummary(
        name=study.study_name,
        directions=[d.name.lower() for d in study.directions],
        objective_names=objective_names(study),
        n_trials=len(trials),
        states={name: states[name] for name in _STATE_ORDER if states.get(name)},
        best=[(t.number, list(t.values or []), dict(t.params)) for t in best[:max_best]],
        n_best=len(best),
    )


def default_reference_point(study: Study) -> list[float] | None:
    """The hypervolume reference point of the report: each objective's worst value, pushed out.

    For each objective, the worst finite value among the complete trials (the largest when
    minimizing, the smallest when maximizing) moved away from the others by 10% of the
    objective's range, or by 10% of its magnitude (1 if that is zero) when all values are equal.

    Returns:
        One value per objective, or None when no complete trial has finite values.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(directions=["minimize", "maximize"])
        >>> study.add_trial(podbor.trial.create_trial(values=[0.0, 5.0]))
        >>> study.add_trial(podbor.trial.create_trial(values=[10.0, 15.0]))
        >>> default_reference_point(study)
        [11.0, 4.0]
    """
    rows = [
        t.values
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.values is not None and all(math.isfinite(v) for v in t.values)
    ]
    if not rows:
        return None
    values = np.asarray(rows, dtype=float)  # (n_complete, n_objectives)
    low, high = values.min(axis=0), values.max(axis=0)
    minimize = np.array([d == StudyDirection.MINIMIZE for d in study.directions])
    worst = np.where(minimize, high, low)
    margin = 0.1 * (high - low)
    margin = np.where(margin > 0, margin, 0.1 * np.abs(worst))
    margin = np.where(margin > 0, margin, 1.0)
    return [float(v) for v in np.where(minimize, worst + margin, worst - margin)]


def plan_report(
    study: Study, kinds: Sequence[str] | None = None, *, params: Sequence[str] | None = None
) -> list[ReportItem]:
    """The figures of a report on ``study``, each with its arguments or why it is skipped.

    Args:
        study: The study.
        kinds: The plots wanted, by short name (see :func:`resolve_kind`); None for all. A plot
            asked for by name that does not apply is kept with its note; with None, plots that
            cannot apply to this kind of study (the Pareto front of a single objective) are
            left out silently.
        params: The parameters the parameter plots show; None for all.

    Raises:
        ValueError: An unknown plot name or parameter (the message lists the allowed ones).

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> [(item.kind, item.skipped) for item in plan_report(study, ["history", "contour"])]
        [('history', False), ('contour', True)]
    """
    chosen = _chosen_kinds(kinds)
    facts = _Facts.of(study)
    shown = _shown_params(facts.params, params)
    items: list[ReportItem] = []
    for kind in chosen:
        if kind.name in ("pareto", "hypervolume") and not facts.multi and kinds is None:
            continue
        reason = _why_not(kind, facts, shown)
        items.extend([_skip(kind, reason)] if reason else _items_of(kind, study, facts, shown))
    return items


def draw(item: ReportItem, study: Study, *, backend: str = "plotly") -> Any:
    """Draw one planned figure with ``podbor.visualization`` or its ``matplotlib``.

    Args:
        item: A figure of the plan (not skipped).
        study: The study it was planned for.
        backend: ``"plotly"`` (returns a ``plotly`` figure) or ``"matplotlib"`` (the Axes).
    """
    module = "podbor.visualization" + (".matplotlib" if backend == "matplotlib" else "")
    function: Callable[..., Any] = getattr(importlib.import_module(module), item.function)
    return function(study, **item.kwargs)


# -- planning -----------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Facts:
    """What decides which plots apply, read from the trials once."""

    multi: bool
    n_objectives: int
    n_trials: int
    n_complete: int
    params: list[str]
    intermediate: bool
    sampler_decisions: bool
    n_workers: int = 0

    @classmethod
    def of(cls, study: Study) -> _Facts:
        trials = study.get_trials(deepcopy=False)
        complete = [t for t in trials if t.state == TrialState.COMPLETE]
        names: set[str] = set()
        for trial in complete:
            names.update(trial.distributions)
        return cls(
            multi=len(study.directions) > 1,
            n_objectives=len(study.directions),
            n_trials=len(trials),
            n_complete=len(complete),
            params=sorted(names),
            intermediate=any(t.intermediate_values for t in trials),
            sampler_decisions=any(_SAMPLER_ATTR in t.system_attrs for t in trials),
            n_workers=len({t.system_attrs.get(WORKER_KEY) for t in trials} - {None}),
        )


def _chosen_kinds(kinds: Sequence[str] | None) -> list[PlotKind]:
    if kinds is None:
        return list(KINDS)
    wanted = set()
    for name in kinds:
        resolved = resolve_kind(name)
        if resolved is None:
            raise ValueError(
                f"Unknown plot {name!r}; the plots are: {', '.join(k.name for k in KINDS)}."
            )
        wanted.add(resolved)
    return [kind for kind in KINDS if kind.name in wanted]


def _shown_params(existing: list[str], params: Sequence[str] | None) -> list[str]:
    if params is None:
        return existing
    unknown = [p for p in params if p not in existing]
    if unknown:
        raise ValueError(
            f"Parameter {unknown[0]!r} does not exist in the complete trials of the study; "
            f"its parameters are {existing}."
        )
    return list(dict.fromkeys(params))


def _why_not(kind: PlotKind, facts: _Facts, params: list[str]) -> str:
    """Why ``kind`` does not apply to the study; empty when it does."""
    if facts.n_trials == 0:
        return "the study has no trials"
    if kind.name == "timeline":
        return ""
    if kind.name == "intermediate":
        return "" if facts.intermediate else "no trial reported intermediate values"
    if kind.name == "sampler":
        return "" if facts.sampler_decisions else "no trial records the default sampler's choice"
    if facts.n_complete == 0:
        return "the study has no complete trials"
    if kind.name in ("pareto", "hypervolume"):
        if not facts.multi:
            return "the study has a single objective"
        if kind.name == "pareto" and facts.n_objectives > 3:
            return f"a Pareto front is drawn for 2 or 3 objectives, not {facts.n_objectives}"
        return ""
    if kind.takes_params and not params:
        return "the complete trials have no parameters"
    if kind.name == "contour" and len(params) < 2:
        return "a contour plot needs at least two parameters"
    if kind.name == "importances" and facts.n_complete < 2:
        return "importances need at least two complete trials"
    return ""


def _items_of(kind: PlotKind, study: Study, facts: _Facts, params: list[str]) -> list[ReportItem]:
    """The figures of an applicable plot: one, or one per objective."""
    kwargs: dict[str, Any] = {}
    note = ""
    if kind.takes_params:
        shown = params
        if kind.name in ("contour", "rank") and len(params) > MAX_GRID_PARAMS:
            shown = params[:MAX_GRID_PARAMS]
            note = (
                f"showing the first {MAX_GRID_PARAMS} of {len(params)} parameters; "
                "choose others with params (podbor plot --params)"
            )
        if shown != facts.params or note:
            kwargs["params"] = list(shown)
    if kind.name == "hypervolume":
        point = default_reference_point(study)
        if point is None:
            return [_skip(kind, "no complete trial has finite values")]
        kwargs["reference_point"] = point
        note = f"reference point {_fmt_point(point)}: the worst values pushed out by 10% of range"
    if kind.name == "timeline" and facts.n_workers > 1:
        kwargs["by_worker"] = True
        note = f"one lane per worker ({facts.n_workers} workers)"
    if not (kind.per_objective and facts.multi) or kind.name == "importances":
        return [ReportItem(kind.name, kind.function, kind.title, kwargs, note=note)]
    items = []
    for i, name in enumerate(objective_names(study)):
        per = {**kwargs, "target": _Objective(i), "target_name": name}
        heading = f"{kind.title}: {name}"
        items.append(ReportItem(kind.name, kind.function, heading, per, objective=i, note=note))
    return items


def _skip(kind: PlotKind, reason: str) -> ReportItem:
    return ReportItem(kind.name, kind.function, kind.title, note=reason, skipped=True)


def _fmt_point(point: Sequence[float]) -> str:
    return "(" + ", ".join(f"{v:.6g}" for v in point) + ")"
