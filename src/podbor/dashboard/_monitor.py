"""What the dashboard knows of each study: a snapshot of its trials and a log of their changes.

A :class:`StudyMonitor` refreshes its study at most every ``min_interval`` seconds however many
pages poll it: one ``get_all_trials(study_id, deepcopy=False)`` (incremental on a database: only
new and unfinished trials are read), then only the trials new since the last refresh and those
unfinished at the last refresh are compared (a finished trial never changes). Each changed trial
gets the next sequence number; a page that holds a *cursor* asks for the trials changed after it.

A cursor is ``epoch * 2**32 + sequence``: the epoch is unique to the monitor within the process
and random across processes, so a cursor from another server (or from a monitor dropped since)
is recognized and answered with ``reset`` (the page reloads the study). Cursor ``0`` always means
"from the beginning". Cursors stay below ``2**53``, the integers JavaScript holds exactly.

The study's counts by state, first start, last activity, parameter names and distributions, user
attribute keys and best trial(s) are updated from the changed trials alone.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections.abc import Iterable
from typing import Any

import numpy as np
import numpy.typing as npt

import podbor
from podbor._records.base_trial import is_feasible
from podbor._study_core import METRIC_NAMES_KEY
from podbor.dashboard._json import distribution_json, iso, jsonable, trial_row
from podbor.dashboard._plots import plot_entries
from podbor.distributions import BaseDistribution
from podbor.storages import BaseStorage
from podbor.study import Study, StudyDirection
from podbor.trial import FrozenTrial, TrialState

__all__ = ["NOTE_KEY", "Monitors", "StudyMonitor"]

_logger = podbor.logging.get_logger(__name__)

NOTE_KEY = "dashboard:note"
"""The study system attribute holding the dashboard's note on the study."""

_STATES = ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")
_EPOCH_BITS = 20  # epoch * 2**32 + seq stays below 2**53
_SEQ_SPAN = 2**32
_MAX_BEST_ROWS = 100
_process_epoch = secrets.randbelow(2**_EPOCH_BITS)
_epochs = itertools.count()
_epoch_lock = threading.Lock()


def _next_epoch() -> int:
    """An epoch unique within the process (for 2**20 monitors), random across processes; >= 1."""
    with _epoch_lock:
        return int((_process_epoch + next(_epochs)) % (2**_EPOCH_BITS - 1) + 1)


class _Best:
    """The best feasible COMPLETE trial(s): the best value (one objective) or the Pareto front."""

    def __init__(self, directions: list[StudyDirection]) -> None:
        self.signs = np.array([-1.0 if d == StudyDirection.MAXIMIZE else 1.0 for d in directions])
        self.trials: list[FrozenTrial] = []
        self.front = np.empty((0, len(directions)))  # (n_front, n_objectives), minimized

    def add(self, trial: FrozenTrial) -> None:
        """Take a newly COMPLETE trial into account (trials come in any number order)."""
        if trial.values is None or len(trial.values) != len(self.signs) or not is_feasible(trial):
            return
        point = np.asarray(trial.values, dtype=float) * self.signs
        if np.isnan(point).any():
            return
        if len(self.signs) == 1:
            if not self.trials or _better(point[0], trial, self.front[0, 0], self.trials[0]):
                self.trials, self.front = [trial], point[None, :]
            return
        front = self.front
        if ((front <= point).all(axis=1) & (front < point).any(axis=1)).any():
            return
        kept = ~((point <= front).all(axis=1) & (point < front).any(axis=1))
        self.trials = [t for t, k in zip(self.trials, kept) if k] + [trial]
        self.front = np.vstack([front[kept], point[None, :]])
        order = np.argsort([t.number for t in self.trials], kind="stable")
        self.trials = [self.trials[i] for i in order]
        self.front = self.front[order]


def _better(value: float, trial: FrozenTrial, best_value: float, best: FrozenTrial) -> bool:
    return bool(value < best_value or (value == best_value and trial.number < best.number))


class StudyMonitor:
    """One study's snapshot of trials, the change log over it and what the pages show of it.

    Every reader (:meth:`trials`, :meth:`changes`, :meth:`summary`, ...) refreshes first, which
    costs nothing within ``min_interval`` of the last refresh. Thread-safe.

    Example:
        >>> import podbor
        >>> study = podbor.create_study(study_name="demo")
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> monitor = Monitors(study._storage).get(study._study_id)
        >>> cursor, reset, changed = monitor.changes(0)
        >>> reset, [t.number for t in changed], monitor.summary()["states"]["COMPLETE"]
        (False, [0, 1, 2], 3)
    """

    def __init__(
        self, storage: BaseStorage, study_id: int, name: str, *, min_interval: float = 0.5
    ) -> None:
        self.storage = storage
        self.study_id = study_id
        self.name = name
        self.directions: list[StudyDirection] = storage.get_study_directions(study_id)
        self.min_interval = min_interval
        self.cache: dict[Any, Any] = {}  # the table's and the plots' caches, keyed by cursor
        self._lock: Any = threading.RLock()
        self._last_refresh = -float("inf")
        self._study: Study | None = None
        self._start_over()

    def _start_over(self) -> None:
        self._epoch = _next_epoch()
        self._seq = 0
        self._trials: list[FrozenTrial] = []
        self._changed_at: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._unfinished: set[int] = set()
        self._states: dict[str, int] = dict.fromkeys(_STATES, 0)
        self._start: Any = None
        self._last_activity: Any = None
        self._distributions: dict[str, BaseDistribution] = {}
        self._user_attr_keys: set[str] = set()
        self._best = _Best(self.directions)
        self._user_attrs: dict[str, Any] = {}
        self._system_attrs: dict[str, Any] = {}
        self.cache.clear()

    # -- refreshing ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the study's new and unfinished trials, unless done within ``min_interval``."""
        with self._lock:
            if time.monotonic() - self._last_refresh < self.min_interval:
                return
            trials = self.storage.get_all_trials(self.study_id, deepcopy=False)
            self._user_attrs = self.storage.get_study_user_attrs(self.study_id)
            self._system_attrs = self.storage.get_study_system_attrs(self.study_id)
            old = self._trials
            if len(trials) < len(old):  # trials vanished: not the study we watched
                self._start_over()
                old = self._trials
            changed = [
                i
                for i in sorted(self._unfinished)
                if trials[i] is not old[i] and trials[i] != old[i]
            ]
            changed.extend(range(len(old), len(trials)))
            self._apply(trials, changed)
            self._last_refresh = time.monotonic()

    def _apply(self, trials: list[FrozenTrial], changed: list[int]) -> None:
        old, n_old = self._trials, len(self._trials)
        if len(trials) > len(self._changed_at):
            grown = np.zeros(max(len(trials), 2 * len(self._changed_at)), dtype=np.int64)
            grown[: len(self._changed_at)] = self._changed_at
            self._changed_at = grown
        for i in changed:
            self._seq += 1
            self._changed_at[i] = self._seq
            if i < n_old:
                self._states[old[i].state.name] -= 1
            self._note(trials[i])
        self._unfinished = {
            i
            for i in itertools.chain(self._unfinished, changed)
            if not trials[i].state.is_finished()
        }
        self._trials = trials

    def _note(self, trial: FrozenTrial) -> None:
        """Count a new or changed trial in the study's derived facts."""
        self._states[trial.state.name] += 1
        for stamp in (trial.datetime_start, trial.datetime_complete):
            if stamp is not None and (self._last_activity is None or stamp > self._last_activity):
                self._last_activity = stamp
        start = trial.datetime_start
        if start is not None and (self._start is None or start < self._start):
            self._start = start
        for name, dist in trial.distributions.items():
            self._distributions.setdefault(name, dist)
        self._user_attr_keys.update(trial.user_attrs)
        if trial.state == TrialState.COMPLETE:
            self._best.add(trial)

    # -- the snapshot ---------------------------------------------------------------------------
    def trials(self) -> list[FrozenTrial]:
        """Every trial of the study, index == number (shared snapshots: never mutate them)."""
        self.refresh()
        return self._trials

    @property
    def lock(self) -> Any:
        """Held while refreshing; hold it to read several things of one snapshot."""
        return self._lock

    def snapshot(self) -> list[FrozenTrial]:
        """The trials as of the last refresh (no refresh: one query reads one snapshot)."""
        return self._trials

    @property
    def cursor(self) -> int:
        """The cursor after the last refresh."""
        return self._epoch * _SEQ_SPAN + self._seq

    def changed_since(self, cursor: int) -> npt.NDArray[np.intp] | None:
        """Numbers of the trials changed after ``cursor`` (sorted); None for an unknown cursor."""
        with self._lock:
            epoch, seq = divmod(int(cursor), _SEQ_SPAN)
            if cursor != 0 and (epoch != self._epoch or seq > self._seq or cursor < 0):
                return None
            if cursor == 0:
                return np.arange(len(self._trials))
            return np.flatnonzero(self._changed_at[: len(self._trials)] > seq)

    def changes(self, cursor: int) -> tuple[int, bool, list[FrozenTrial]]:
        """``(new cursor, reset, trials changed or added after cursor)``; reset: unknown cursor."""
        self.refresh()
        with self._lock:
            numbers = self.changed_since(cursor)
            if numbers is None:
                return self.cursor, True, []
            return self.cursor, False, [self._trials[i] for i in numbers]

    def trial(self, number: int) -> FrozenTrial:
        """The trial of that number. Raises KeyError when there is none."""
        trials = self.trials()
        if isinstance(number, bool) or not 0 <= number < len(trials):
            raise KeyError(f"No trial with number {number} exists in study {self.name!r}.")
        trial = trials[number]
        if trial.number != number:  # pragma: no cover - storages number trials 0, 1, ...
            found = [t for t in trials if t.number == number]
            if not found:
                raise KeyError(f"No trial with number {number} exists in study {self.name!r}.")
            trial = found[0]
        return trial

    def study(self) -> Study:
        """A podbor Study handle on the same storage (for plots and writes)."""
        with self._lock:
            if self._study is None:
                self._study = podbor.load_study(study_name=self.name, storage=self.storage)
            return self._study

    # -- what the pages show ------------------------------------------------------------------
    @property
    def param_names(self) -> list[str]:
        """The sorted union of the trials' parameter names."""
        return sorted(self._distributions)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        """Each parameter's distribution (as the first trial that has it drew it)."""
        return dict(self._distributions)

    @property
    def user_attr_keys(self) -> list[str]:
        """The sorted union of the trials' user attribute keys."""
        return sorted(self._user_attr_keys)

    def best_trials(self) -> list[FrozenTrial]:
        """The best feasible COMPLETE trial, or the Pareto front of several objectives."""
        self.refresh()
        return list(self._best.trials)

    def objective_names(self) -> list[str] | None:
        """The study's metric names, or None when none were set."""
        names = self._system_attrs.get(METRIC_NAMES_KEY)
        if isinstance(names, list) and len(names) == len(self.directions):
            return [str(n) for n in names]
        return None

    def summary(self) -> dict[str, Any]:
        """The study as the list of studies shows it (the "Study summary" of the API)."""
        self.refresh()
        with self._lock:
            best = self._best.trials
            single = len(self.directions) == 1
            return {
                "study_id": self.study_id,
                "name": self.name,
                "directions": [d.name.lower() for d in self.directions],
                "n_trials": len(self._trials),
                "states": dict(self._states),
                "best_values": jsonable(best[0].values) if single and best else None,
                "n_best": len(best),
                "datetime_start": iso(self._start),
                "last_activity": iso(self._last_activity),
                "user_attrs": jsonable(self._user_attrs),
            }

    def details(self) -> dict[str, Any]:
        """The study page's data: summary, note, names, distributions, best trials, plots."""
        summary = self.summary()
        with self._lock:
            note = self._system_attrs.get(NOTE_KEY)
            body = {
                **summary,
                "note": note if isinstance(note, str) else "",
                "objective_names": self.objective_names(),
                "param_names": self.param_names,
                "distributions": {k: distribution_json(d) for k, d in self._distributions.items()},
                "user_attr_keys": self.user_attr_keys,
                "best_trials": [trial_row(t) for t in self._best.trials[:_MAX_BEST_ROWS]],
                "cursor": self.cursor,
            }
        body["plots"] = plot_entries(self)
        return body


class Monitors:
    """The storage's studies, one :class:`StudyMonitor` each, created when first asked for.

    Example:
        >>> import podbor
        >>> storage = podbor.storages.InMemoryStorage()
        >>> _ = podbor.create_study(study_name="a", storage=storage)
        >>> [m.name for m in Monitors(storage).studies()]
        ['a']
    """

    def __init__(self, storage: BaseStorage, *, min_interval: float = 0.5) -> None:
        self.storage = storage
        self.min_interval = min_interval
        self._monitors: dict[int, StudyMonitor] = {}
        self._lock = threading.Lock()

    def _monitor(self, study_id: int, name: str) -> StudyMonitor:
        monitor = self._monitors.get(study_id)
        if monitor is None or monitor.name != name:  # new, or an id reused by another study
            monitor = StudyMonitor(self.storage, study_id, name, min_interval=self.min_interval)
            self._monitors[study_id] = monitor
        return monitor

    def studies(self) -> list[StudyMonitor]:
        """A monitor for each study in the storage now (deleted studies' monitors dropped)."""
        frozen = self.storage.get_all_studies()
        with self._lock:
            found = [self._monitor(s._study_id, s.study_name) for s in frozen]
            self._drop(set(self._monitors) - {m.study_id for m in found})
            return found

    def warm_up(self) -> None:
        """Read every study's trials once, so that the first page a user opens is quick.

        The server runs this in a background thread as soon as it listens: the first read of a
        large study is the slow part (a database of 10⁵ trials takes seconds), and a request
        for a study being read waits for that read instead of starting another. Errors are left
        to the requests, which report them.
        """
        try:
            monitors = self.studies()
        except Exception as err:  # the requests report it
            _logger.debug(f"Warming up the dashboard failed: {err!r}")
            return
        for monitor in monitors:
            try:
                monitor.refresh()
            except Exception as err:  # e.g. deleted meanwhile
                _logger.debug(f"Warming up study {monitor.name!r} failed: {err!r}")

    def get(self, study_id: int) -> StudyMonitor:
        """The monitor of that study. Raises KeyError when the study does not exist."""
        with self._lock:
            monitor = self._monitors.get(study_id)
        if monitor is not None:
            return monitor
        try:
            name = self.storage.get_study_name_from_id(study_id)
        except KeyError:
            raise KeyError(f"No study with id {study_id} exists.") from None
        with self._lock:
            return self._monitor(study_id, name)

    def forget(self, study_id: int) -> None:
        """Drop a study's monitor (after the study is deleted)."""
        with self._lock:
            self._drop([study_id])

    def _drop(self, study_ids: Iterable[int]) -> None:
        for study_id in study_ids:
            self._monitors.pop(study_id, None)
