"""What the timeline shows: one bar per trial, from its start to its end, coloured by its state.

Backend-free (numpy only). A finished trial's bar ends when it completed; a running one's ends
now; a WAITING (queued) one is a short bar that starts now. A trial of another state without a
start time has no bar, and the log says so. A COMPLETE trial
that violates a constraint is drawn as its own kind, "INFEASIBLE", so that a user sees at a glance
which finished trials cannot be used.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from podbor._records.base_trial import constraints_from_system_attrs
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_core import WORKER_KEY
from podbor._study_view import StudyView
from podbor.logging import get_logger
from podbor.visualization._data._common import escape_html

__all__ = [
    "INFEASIBLE",
    "STATE_COLORS",
    "UNKNOWN_WORKER",
    "TimelineData",
    "TimelineGroup",
    "check_n_recent_trials",
    "timeline_data",
]

_logger = get_logger(__name__)

INFEASIBLE = "INFEASIBLE"
"""The legend entry of COMPLETE trials that violate a constraint."""

UNKNOWN_WORKER = "(unknown worker)"
"""The lane of trials that record no worker (added by hand, asked outside ``optimize``, or
written by Optuna)."""

_QUEUED = datetime.timedelta(seconds=1)
"""The length of a WAITING trial's bar, drawn from now: queued, not started."""

STATE_COLORS: dict[str, str] = {
    TrialState.COMPLETE.name: "#1f77b4",
    TrialState.FAIL.name: "#d62728",
    TrialState.PRUNED.name: "#ff7f0e",
    TrialState.RUNNING.name: "#2ca02c",
    TrialState.WAITING.name: "#7f7f7f",
    INFEASIBLE: "#c7c7c7",
}
"""The colour of each legend entry, in the order the legend lists them."""


@dataclass(frozen=True)
class TimelineGroup:
    """The bars of one legend entry: a trial state (or ``"INFEASIBLE"``) and its colour.

    Attributes:
        name: ``"COMPLETE"``, ``"FAIL"``, ``"PRUNED"``, ``"RUNNING"``, ``"WAITING"`` or
            ``"INFEASIBLE"``.
        color: The bars' colour (``"#rrggbb"``).
        index: Shape ``k``, positions in :class:`TimelineData`'s arrays of the group's bars.
    """

    name: str
    color: str
    index: npt.NDArray[np.int64]


@dataclass(frozen=True)
class TimelineData:
    """The bars of a timeline, in trial order.

    Attributes:
        numbers: Shape ``n``, the trial numbers (the y axis).
        start: Shape ``n``, when each trial started (``datetime64[us]``).
        complete: Shape ``n``, when it finished, or now for a running trial.
        states: The legend entry of each bar (a state name, or ``"INFEASIBLE"`` for a COMPLETE
            trial that violates a constraint).
        infeasible: Shape ``n``, whether each trial violates a constraint (any state).
        hovertexts: What hovering each bar shows (HTML line breaks).
        groups: One entry per legend item present, in :data:`STATE_COLORS`' order.
        workers: The worker that ran each trial (``trial.system_attrs["worker"]``, recorded by
            ``optimize``), or :data:`UNKNOWN_WORKER`.
        title, xlabel, ylabel: The figure's texts.
    """

    numbers: npt.NDArray[np.int64]
    start: npt.NDArray[np.datetime64]
    complete: npt.NDArray[np.datetime64]
    states: tuple[str, ...]
    infeasible: npt.NDArray[np.bool_]
    hovertexts: tuple[str, ...]
    groups: tuple[TimelineGroup, ...]
    workers: tuple[str, ...] = ()
    title: str = "Timeline Plot"
    xlabel: str = "Datetime"
    ylabel: str = "Trial"

    @property
    def duration_ms(self) -> npt.NDArray[np.float64]:
        """Shape ``n``: each bar's length in milliseconds (negative if the clock went back)."""
        out: npt.NDArray[np.float64] = (self.complete - self.start) / np.timedelta64(1, "ms")
        return out

    def worker_lanes(self) -> tuple[npt.NDArray[np.int64], tuple[str, ...]]:
        """One lane per worker, in the order the workers started their first trial.

        Returns:
            The lane of each bar (shape ``n``) and the lanes' labels (the workers' names).
        """
        labels = tuple(dict.fromkeys(self.workers))
        position = {label: i for i, label in enumerate(labels)}
        lanes = np.array([position[w] for w in self.workers], dtype=np.int64)
        return lanes.reshape(len(self.workers)), labels


def check_n_recent_trials(n_recent_trials: int | None) -> None:
    """Refuse a count of recent trials that is not a positive integer (or None).

    Raises:
        ValueError: ``n_recent_trials`` is 0, negative or not an integer.

    Example:
        >>> check_n_recent_trials(0)
        Traceback (most recent call last):
        ...
        ValueError: n_recent_trials must be a positive integer or None, got 0.
    """
    if n_recent_trials is None:
        return
    if (
        isinstance(n_recent_trials, bool)
        or not isinstance(n_recent_trials, (int, np.integer))
        or n_recent_trials <= 0
    ):
        raise ValueError(
            f"n_recent_trials must be a positive integer or None, got {n_recent_trials!r}."
        )


def _infeasible(trial: FrozenTrial) -> bool:
    """Whether a constraint value recorded on the trial is > 0 (whatever its state)."""
    constraints = constraints_from_system_attrs(trial.system_attrs)
    return any(v > 0.0 for v in constraints.values())


def _hovertext(trial: FrozenTrial, state: str, start: datetime.datetime) -> str:
    """Number, state, start, duration, values and parameters: built from strings, cheaply."""
    end = trial.datetime_complete
    if trial.datetime_start is None:
        lines = [f"Trial {trial.number} ({state}, not started)"]
    else:
        lines = [f"Trial {trial.number} ({state})", f"start: {start:%Y-%m-%d %H:%M:%S}"]
    if end is not None:
        lines.append(f"duration: {(end - start).total_seconds():.3f} s")
    if trial.values is not None:
        lines.append(f"values: {trial.values}")
    worker = trial.system_attrs.get(WORKER_KEY)
    if worker is not None:
        lines.append(f"worker: {escape_html(str(worker))}")
    lines.extend(
        f"{escape_html(str(name))}: {escape_html(str(value))}"
        for name, value in trial.params.items()
    )
    return "<br>".join(lines)


def _now_like(trials: Sequence[FrozenTrial]) -> datetime.datetime:
    """Now, as an aware datetime when the trials' times are aware."""
    for trial in trials:
        if trial.datetime_start is not None:
            return datetime.datetime.now(trial.datetime_start.tzinfo)
    return datetime.datetime.now()


def _to_datetime64(times: Sequence[datetime.datetime]) -> npt.NDArray[np.datetime64]:
    """Times as ``datetime64[us]``; aware ones in UTC (numpy keeps no zone)."""
    if times and times[0].tzinfo is not None:
        times = [t.astimezone(datetime.timezone.utc).replace(tzinfo=None) for t in times]
    return np.array(times, dtype="datetime64[us]").reshape(len(times))


def timeline_data(study: StudyView, n_recent_trials: int | None = None) -> TimelineData:
    """The bars of ``study``'s timeline (its last ``n_recent_trials`` trials, or all of them).

    Raises:
        ValueError: ``n_recent_trials`` is not a positive integer or None.

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> data = timeline_data(study, n_recent_trials=2)
        >>> data.numbers.tolist(), [g.name for g in data.groups]
        ([1, 2], ['COMPLETE'])
    """
    check_n_recent_trials(n_recent_trials)
    trials = study.get_trials(deepcopy=False)
    if n_recent_trials is not None:
        trials = trials[-n_recent_trials:]
    if not trials:
        _logger.warning("Your study does not have any trials; the timeline is empty.")
    started = [t for t in trials if t.datetime_start is not None or t.state == TrialState.WAITING]
    for trial in trials:
        if trial.datetime_start is None and trial.state != TrialState.WAITING:
            _logger.warning(
                f"Trial {trial.number} is omitted from the timeline: it is {trial.state.name} "
                "but has no datetime_start."
            )
    now = _now_like(started)
    starts = [now if t.datetime_start is None else t.datetime_start for t in started]
    ends = [
        (now + _QUEUED if t.datetime_start is None else now)
        if t.datetime_complete is None
        else t.datetime_complete
        for t in started
    ]
    infeasible = np.array([_infeasible(t) for t in started], dtype=bool)
    names = tuple(
        INFEASIBLE if bad and t.state == TrialState.COMPLETE else t.state.name
        for t, bad in zip(started, infeasible.tolist())
    )
    start64 = _to_datetime64(starts)
    end64 = _to_datetime64(ends)
    backwards = np.flatnonzero(end64 < start64)
    if backwards.size:
        _logger.warning(
            f"{backwards.size} trial(s) finished before they started (trial "
            f"{started[int(backwards[0])].number} first); the clock was probably changed."
        )
    name_array = np.array(names, dtype=object)
    groups = tuple(
        TimelineGroup(name, color, np.flatnonzero(name_array == name).astype(np.int64))
        for name, color in STATE_COLORS.items()
        if name in names
    )
    return TimelineData(
        numbers=np.array([t.number for t in started], dtype=np.int64),
        start=start64,
        complete=end64,
        states=names,
        infeasible=infeasible,
        hovertexts=tuple(_hovertext(t, n, s) for t, n, s in zip(started, names, starts)),
        groups=groups,
        workers=tuple(str(t.system_attrs.get(WORKER_KEY, UNKNOWN_WORKER)) for t in started),
    )
