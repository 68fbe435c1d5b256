"""What the default sampler decided, trial by trial: which strategy, why, and when it switched.

:class:`~podbor.samplers.AutoSampler` records each trial's decision in the trial's system
attribute ``"auto_sampler"`` as ``"<strategy>: <reason>"`` (``"gp: 6 parameters, 24 complete
trials"``). This module reads those records back, with each trial's objective value and the best
so far, so a plot can show the strategy per trial next to the progress of the study: when the
sampler switched (start-up → GP → TPE …), why (the reason of the first trial of each run), and
what the study gained meanwhile. Backend-free (numpy only).
"""

from __future__ import annotations

import html
import itertools
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor.samplers._auto import STRATEGY_ATTR
from podbor.visualization._data._common import DEFAULT_TARGET_NAME, Target, check_target

__all__ = [
    "DECISION_ATTR",
    "MAX_BANDS",
    "STRATEGY_COLORS",
    "DecisionRun",
    "SamplerDecisionsData",
    "Switch",
    "sampler_decisions_data",
]

DECISION_ATTR = STRATEGY_ATTR
"""The trial system attribute holding ``"<strategy>: <reason>"`` (``"auto_sampler"``)."""

STRATEGY_COLORS: dict[str, str] = {
    "qmc": "#7f7f7f",
    "gp": "#1f77b4",
    "gp-branches": "#9467bd",
    "tpe": "#ff7f0e",
}
"""The colour of each known strategy, in the order the strategy axis lists them."""

MAX_BANDS = 200
"""Renderers shade runs of one strategy (and mark switches) up to this many; beyond, points only."""

_OTHER_COLORS = ("#2ca02c", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#d62728")


@dataclass(frozen=True)
class Switch:
    """A change of strategy: trial ``number`` is the first to use ``after``, and ``reason`` is
    why (its decision's reason)."""

    number: int
    before: str
    after: str
    reason: str


@dataclass(frozen=True)
class DecisionRun:
    """Consecutive decided trials with the same strategy: trials ``first`` to ``last``."""

    first: int
    last: int
    strategy: str


@dataclass(frozen=True)
class SamplerDecisionsData:
    """Each decided trial's strategy and reason, with its objective value and the best so far.

    Attributes:
        numbers: Shape ``n``, the numbers of the trials that record a decision, in order.
        strategies: The strategy of each (``"qmc"``, ``"gp"``, ``"gp-branches"``, ``"tpe"``).
        reasons: Why each strategy was chosen.
        states: Each trial's state name.
        strategy_order: The strategies present, in the order the strategy axis lists them.
        strategy_index: Shape ``n``, each trial's position in ``strategy_order``.
        colors: The colour of each strategy in ``strategy_order``.
        values: Shape ``n``, the objective (or ``target``) value of each COMPLETE trial with a
            finite one; NaN for the others, and for all when there is no value to show.
        best: Shape ``n``, the best value so far (NaN until the first); all NaN with ``target``
            or several objectives.
        switches: Every change of strategy, in trial order.
        runs: The runs of consecutive trials with one strategy (the switches' complement).
        hovertexts: What hovering each trial shows: number, strategy, reason, state, value.
        target_name: The label of the value axis ("" when no value is shown).
        message: Why the plot is empty (no trial records a decision), else None.
    """

    numbers: npt.NDArray[np.int64]
    strategies: tuple[str, ...]
    reasons: tuple[str, ...]
    states: tuple[str, ...]
    strategy_order: tuple[str, ...]
    strategy_index: npt.NDArray[np.int64]
    colors: tuple[str, ...]
    values: npt.NDArray[np.float64]
    best: npt.NDArray[np.float64]
    switches: tuple[Switch, ...]
    runs: tuple[DecisionRun, ...]
    hovertexts: tuple[str, ...]
    target_name: str
    message: str | None = None
    title: str = "Sampler Decisions"

    @property
    def has_values(self) -> bool:
        """Whether any trial has a value to draw."""
        return bool(np.isfinite(self.values).any())


def _split(label: object) -> tuple[str, str]:
    strategy, _, reason = str(label).partition(": ")
    return strategy.strip(), reason.strip()


def _values(
    study: StudyView, trials: list[FrozenTrial], target: Target | None
) -> tuple[npt.NDArray[np.float64], bool]:
    """Each trial's shown value (NaN if none) and whether a best-so-far line applies."""
    n_objectives = len(study.directions)
    if target is None and n_objectives > 1:
        return np.full(len(trials), np.nan), False
    complete = [t.state == TrialState.COMPLETE for t in trials]
    raw = [
        (t.value if target is None else target(t)) if ok else math.nan
        for t, ok in zip(trials, complete)
    ]
    values = np.array([math.nan if v is None else v for v in raw], dtype=float)
    values[~np.isfinite(values)] = np.nan
    return values, target is None


def _best_so_far(values: npt.NDArray[np.float64], maximize: bool) -> npt.NDArray[np.float64]:
    worst = -np.inf if maximize else np.inf
    filled = np.where(np.isnan(values), worst, values)
    best = np.maximum.accumulate(filled) if maximize else np.minimum.accumulate(filled)
    best[np.isinf(best)] = np.nan
    return best


def _order(strategies: tuple[str, ...]) -> tuple[str, ...]:
    seen = set(strategies)
    known = [s for s in STRATEGY_COLORS if s in seen]
    return tuple(known + sorted(seen - set(STRATEGY_COLORS)))


def _switches_and_runs(
    numbers: npt.NDArray[np.int64],
    index: npt.NDArray[np.int64],
    strategies: tuple[str, ...],
    reasons: tuple[str, ...],
) -> tuple[tuple[Switch, ...], tuple[DecisionRun, ...]]:
    """Where the strategy changes (from the strategy positions, without a loop over trials)."""
    starts = (np.flatnonzero(index[1:] != index[:-1]) + 1).tolist()
    switches = tuple(
        Switch(int(numbers[i]), strategies[i - 1], strategies[i], reasons[i]) for i in starts
    )
    bounds = [0, *starts, index.size]
    runs = tuple(
        DecisionRun(int(numbers[a]), int(numbers[b - 1]), strategies[a])
        for a, b in itertools.pairwise(bounds)
        if b > a
    )
    return switches, runs


def _hovertext(number: int, strategy: str, reason: str, state: str, value: float) -> str:
    text = f"Trial {number} ({state})<br><b>{html.escape(strategy, quote=False)}</b>"
    if reason:
        text += f": {html.escape(reason, quote=False)}"
    if not math.isnan(value):
        text += f"<br>value: {value:.6g}"
    return text


def _empty_message(study: StudyView) -> str:
    sampler = getattr(study, "sampler", None)
    used = f" (it used {type(sampler).__name__})" if sampler is not None else ""
    return (
        "No trial of this study records a decision of the default sampler, AutoSampler"
        f"{used}: there is nothing to show."
    )


def sampler_decisions_data(
    study: StudyView,
    *,
    target: Target | None = None,
    target_name: str = DEFAULT_TARGET_NAME,
) -> SamplerDecisionsData:
    """Read AutoSampler's decision of every trial of ``study``, with the values to show beside.

    Args:
        study: Any study; trials without a decision (another sampler's) are left out.
        target: The value to show for each COMPLETE trial; by default its objective value (none
            for a study of several objectives: the decisions are shown alone).
        target_name: The label of that value.

    Example:
        >>> import podbor
        >>> podbor.logging.set_verbosity(podbor.logging.WARNING)
        >>> study = podbor.create_study(sampler=podbor.samplers.AutoSampler(seed=0, max_overhead_fraction=None))
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=7)
        >>> data = sampler_decisions_data(study)
        >>> data.strategies[0], data.reasons[0]
        ('qmc', 'start-up, 0 of 5 trials finished')
        >>> [(s.number, s.before) for s in data.switches]
        [(5, 'qmc')]
        >>> podbor.logging.set_verbosity(podbor.logging.INFO)
    """
    if target is not None:
        check_target(study, target, target_name)
    all_trials = study.get_trials(deepcopy=False)
    trials = [t for t in all_trials if DECISION_ATTR in t.system_attrs]
    parsed = [_split(t.system_attrs[DECISION_ATTR]) for t in trials]
    strategies = tuple(p[0] for p in parsed)
    reasons = tuple(p[1] for p in parsed)
    values, with_best = _values(study, trials, target)
    maximize = study.directions[0] == StudyDirection.MAXIMIZE
    best = _best_so_far(values, maximize) if with_best else np.full(len(trials), np.nan)
    order = _order(strategies)
    position = {s: i for i, s in enumerate(order)}
    index = np.array([position[s] for s in strategies], dtype=np.int64)
    numbers = np.array([t.number for t in trials], dtype=np.int64)
    states = tuple(t.state.name for t in trials)
    switches, runs = _switches_and_runs(numbers, index, strategies, reasons)
    others = iter(_OTHER_COLORS * (1 + len(order) // len(_OTHER_COLORS)))
    colors = tuple(STRATEGY_COLORS.get(s) or next(others) for s in order)
    shown_name = target_name if np.isfinite(values).any() else ""
    return SamplerDecisionsData(
        numbers=numbers,
        strategies=strategies,
        reasons=reasons,
        states=states,
        strategy_order=order,
        strategy_index=index,
        colors=colors,
        values=values,
        best=best,
        switches=switches,
        runs=runs,
        hovertexts=tuple(
            _hovertext(n, s, r, st, v)
            for n, s, r, st, v in zip(
                numbers.tolist(), strategies, reasons, states, values.tolist()
            )
        ),
        target_name=shown_name,
        message=None if trials else _empty_message(study),
    )
