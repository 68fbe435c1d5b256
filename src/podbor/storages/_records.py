"""Studies and trials held in this process's memory: what :class:`InMemoryStorage` keeps, and
what a journal replays its lines into.

Trials are copy-on-write: an update replaces the stored :class:`FrozenTrial` with a new one, so
snapshots handed out never change and reading the history costs no copies. A snapshot nobody
outside the table has seen yet is updated in place instead: the in-memory storage says which
snapshots it hands out (:meth:`StudyTable.handed_out`, :meth:`StudyTable.handed_out_all`), so a
running trial that only its own worker writes is copied once, not at every parameter. A table made
with ``batched=True`` (the journal's) ends each replay batch with :meth:`StudyTable.seal` before
anything is handed out, so replaying a long journal copies each trial once, not once per line.

Each study also keeps its finished trials by state, in number order, the numbers of its RUNNING
trials, and (once asked for) merged lists of several finished states, so reading the COMPLETE and
PRUNED trials or the RUNNING ones (what samplers do before every trial) copies one list instead of
filtering or sorting the history.

The lookups raise the contract's errors (``StudyNotFoundError``, ``KeyError``,
``UpdateFinishedTrialError``) with messages that name the storage (``where``).
"""

from __future__ import annotations

import bisect
import copy
import datetime
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from podbor._frozen_study import FrozenStudy
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor.distributions import BaseDistribution
from podbor.exceptions import DuplicatedStudyError, StudyNotFoundError, UpdateFinishedTrialError
from podbor.storages._input_rules import check_param_distribution
from podbor.storages._shared import EMPTY, SharedPool

__all__ = ["StudyRecord", "StudyTable", "best_of"]


@dataclass
class StudyRecord:
    """Everything known about one study."""

    name: str
    directions: list[StudyDirection]
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    trials: list[FrozenTrial] = field(default_factory=list)  # index == number
    dists: dict[str, BaseDistribution] = field(default_factory=dict)  # first use of each name
    waiting: dict[int, None] = field(default_factory=dict)  # WAITING trial ids, oldest first
    best: FrozenTrial | None = None  # best COMPLETE trial of a single-objective study
    failed: set[int] = field(default_factory=set)  # FAIL trial ids (a worker's budget skips them)
    finished: dict[TrialState, list[FrozenTrial]] = field(default_factory=dict)  # by number
    running: dict[int, None] = field(default_factory=dict)  # RUNNING trial numbers
    # Finished trials of several states merged in number order (e.g. COMPLETE and PRUNED, what
    # TPE reads before every trial), built on first use and kept up to date from then on.
    merged: dict[frozenset[TrialState], list[FrozenTrial]] = field(default_factory=dict)
    shared: SharedPool = field(default_factory=SharedPool)  # finished trials' distributions

    def _runs(self, states: Container[TrialState]) -> list[list[FrozenTrial]] | None:
        """The lists (each in number order) that make up ``states``: one per finished state,
        and the RUNNING trials; None when ``states`` takes in WAITING (found only by a scan)."""
        if TrialState.WAITING in states:
            return None
        runs = [run for state, run in self.finished.items() if state in states and run]
        if TrialState.RUNNING in states and self.running:
            runs.append([self.trials[number] for number in sorted(self.running)])
        return runs

    def select(self, states: Container[TrialState] | None) -> list[FrozenTrial]:
        """The trials in ``states`` (all when None), in number order, as a new list of the
        stored snapshots. Finished and RUNNING trials are read from their own indexes, not
        found by a scan of the history."""
        if states is None:
            return list(self.trials)
        runs = self._runs(states)
        if runs is None:
            return [t for t in self.trials if t.state in states]
        if len(runs) <= 1:
            return list(runs[0]) if runs else []
        if TrialState.RUNNING in states:
            return sorted([t for run in runs for t in run], key=_number)
        key = frozenset(state for state in self.finished if state in states)
        merged = self.merged.get(key)
        if merged is None:
            merged = self.merged[key] = sorted([t for run in runs for t in run], key=_number)
        return list(merged)

    def add_finished(self, trial: FrozenTrial) -> None:
        """Index a trial that has just finished (again, if it is the same trial: replaced).

        A finished trial never changes again, so its distributions and its empty mappings
        become ones shared with the study's other finished trials (see :mod:`._shared`)."""
        trial._distributions = self.shared.share(trial._distributions)
        if not trial._user_attrs:
            trial._user_attrs = EMPTY
        if not trial._system_attrs:
            trial._system_attrs = EMPTY
        if not trial.intermediate_values:
            trial.intermediate_values = EMPTY
        _insert(self.finished.setdefault(trial.state, []), trial)
        for key, merged in self.merged.items():  # each holds exactly the trials of its states
            if trial.state in key:
                _insert(merged, trial)

    def frozen(self, study_id: int) -> FrozenStudy:
        """The study without its trials, with attributes of its own."""
        return FrozenStudy(
            self.name,
            None,
            copy.deepcopy(self.user_attrs),
            copy.deepcopy(self.system_attrs),
            study_id,
            directions=self.directions,
        )

    def trial_id(self, study_id: int, number: int) -> int:
        """The id of the trial with that number; ``KeyError`` if there is none."""
        if not 0 <= number < len(self.trials):
            raise KeyError(f"No trial with number {number} exists in study {study_id}.")
        return self.trials[number]._trial_id

    def count(self, states: Container[TrialState] | None) -> int:
        """How many trials are in ``states`` (all when None)."""
        if states is None:
            return len(self.trials)
        if TrialState.WAITING in states:  # found only by a scan
            return sum(1 for t in self.trials if t.state in states)
        finished = sum(len(run) for state, run in self.finished.items() if state in states)
        return finished + (len(self.running) if TrialState.RUNNING in states else 0)

    def count_not_failed(self) -> int:
        """How many trials are not FAIL (the ``limit`` of ``create_running_trial``), in O(1)."""
        return len(self.trials) - len(self.failed)

    def update_best(self, trial: FrozenTrial) -> None:
        """Make a COMPLETE trial the best one if it beats it."""
        self.best = best_of(self.best, trial, self.directions)


_WAITING, _RUNNING = TrialState.WAITING, TrialState.RUNNING
_COMPLETE, _FAIL = TrialState.COMPLETE, TrialState.FAIL


def _number(trial: FrozenTrial) -> int:
    return trial.number


def _insert(run: list[FrozenTrial], trial: FrozenTrial) -> None:
    """Put ``trial`` into ``run`` (in number order), replacing a snapshot of the same trial."""
    if not run or run[-1].number < trial.number:
        run.append(trial)
        return
    at = bisect.bisect_left(run, trial.number, key=_number)
    if at < len(run) and run[at].number == trial.number:
        run[at] = trial
    else:
        run.insert(at, trial)


def best_of(
    best: FrozenTrial | None, trial: FrozenTrial, directions: Sequence[StudyDirection]
) -> FrozenTrial | None:
    """The better of the best trial so far and a newly COMPLETE ``trial``, by the first value of
    a single-objective study (ties keep the earlier best; multi-objective studies have none)."""
    if len(directions) != 1 or not trial.values:
        return best
    if best is not None and best.values:
        value, incumbent = trial.values[0], best.values[0]
        maximize = directions[0] == StudyDirection.MAXIMIZE
        if not (value > incumbent if maximize else value < incumbent):
            return best
    return trial


class StudyTable:
    """Studies by id and name, trials by id, and the last heartbeat of each running trial.

    Args:
        where: How messages name the storage, e.g. ``"this storage"``.
        batched: Whether trials made or copied in the current batch may be updated in place
            (the caller then calls :meth:`seal` before handing anything out).
    """

    def __init__(self, where: str, *, batched: bool = False) -> None:
        self.where = where
        self.studies: dict[int, StudyRecord] = {}
        self.names: dict[str, int] = {}
        self.owner: dict[int, tuple[int, int]] = {}  # trial id → (study id, number)
        self.heartbeats: dict[int, float] = {}  # RUNNING trial id → last beat, epoch seconds
        self.next_study_id = 0
        self.next_trial_id = 0
        self._batched = batched
        self._fresh: dict[int, FrozenTrial] = {}  # trial id → snapshot nobody outside has seen

    # -- lookups ------------------------------------------------------------------------
    def study(self, study_id: int) -> StudyRecord:
        """The study with that id; :class:`StudyNotFoundError` if there is none."""
        try:
            return self.studies[study_id]
        except (KeyError, TypeError):
            raise StudyNotFoundError(
                f"No study with id {study_id} exists in {self.where}."
            ) from None

    def study_id(self, name: str) -> int:
        """The id of the named study; the error lists the names that exist."""
        if name not in self.names:
            raise StudyNotFoundError(
                f"No study named {name!r} exists in {self.where}. "
                f"Existing studies: {sorted(self.names)}."
            )
        return self.names[name]

    def frozen_studies(self) -> list[FrozenStudy]:
        """Every study, without trials."""
        return [study.frozen(study_id) for study_id, study in self.studies.items()]

    def trial(self, trial_id: int) -> tuple[StudyRecord, FrozenTrial]:
        """The study and the current snapshot of a trial; ``KeyError`` if unknown."""
        try:
            study_id, number = self.owner[trial_id]
        except (KeyError, TypeError):
            raise KeyError(f"No trial with id {trial_id} exists in {self.where}.") from None
        study = self.studies[study_id]
        return study, study.trials[number]

    def updatable(self, trial_id: int) -> tuple[StudyRecord, FrozenTrial]:
        """Like :meth:`trial`, raising :class:`UpdateFinishedTrialError` for finished trials."""
        study, trial = self.trial(trial_id)
        if trial.state.is_finished():
            raise UpdateFinishedTrialError(
                f"Trial {trial.number} has already finished as {trial.state.name} and cannot "
                "be updated."
            )
        return study, trial

    def can_set_state(self, trial_id: int, state: TrialState) -> bool:
        """Raise when the trial is finished (whatever ``state``); else False when ``state`` is
        RUNNING and the trial is not WAITING (another worker claimed it), True otherwise."""
        _, trial = self.updatable(trial_id)
        return state != TrialState.RUNNING or trial.state == TrialState.WAITING

    def check_distributions(
        self, study_id: int, distributions: Mapping[str, BaseDistribution]
    ) -> None:
        """Raise ``ValueError`` if any of ``distributions`` is incompatible with the study's."""
        study = self.study(study_id)
        for name, dist in distributions.items():
            check_param_distribution(study.dists, name, dist, remember=False)

    def stale_trials(self, study_id: int, deadline: float) -> list[int]:
        """RUNNING trials of the study whose last heartbeat is older than ``deadline``."""
        return [
            trial_id
            for trial_id, beat in self.heartbeats.items()
            if beat < deadline and self.owner[trial_id][0] == study_id
        ]

    # -- studies ------------------------------------------------------------------------
    def check_new_name(self, name: str) -> None:
        """Raise :class:`DuplicatedStudyError` if a study has that name."""
        if name in self.names:
            raise DuplicatedStudyError(
                f"Another study with name {name!r} already exists in {self.where}."
            )

    def add_study(self, name: str, directions: Sequence[StudyDirection]) -> int:
        """Create a study and return its id."""
        self.check_new_name(name)
        study_id = self.next_study_id
        self.next_study_id += 1
        self.studies[study_id] = StudyRecord(name, list(directions))
        self.names[name] = study_id
        return study_id

    def remove_study(self, study_id: int) -> None:
        """Delete a study and its trials."""
        study = self.study(study_id)
        for trial in study.trials:
            del self.owner[trial._trial_id]
            self.heartbeats.pop(trial._trial_id, None)
            self._fresh.pop(trial._trial_id, None)
        del self.names[study.name]
        del self.studies[study_id]

    # -- trials -------------------------------------------------------------------------
    def add_trial(
        self, study_id: int, when: datetime.datetime | None, template: FrozenTrial | None = None
    ) -> int:
        """Append a trial to a study and return its id: RUNNING since ``when``, or ``template``
        itself (a trial the caller made for this, whose distributions are checked against the
        study's and whose number and id are set here)."""
        study = self.study(study_id)
        trial_id, number = self.next_trial_id, len(study.trials)
        if template is None:
            trial = FrozenTrial(
                number, TrialState.RUNNING, None, when, None, {}, {}, {}, {}, {}, trial_id
            )
        else:
            self.check_distributions(study_id, template.distributions)
            for name, dist in template.distributions.items():
                study.dists.setdefault(name, dist)
            trial = template
            trial.number = number
            trial._trial_id = trial_id
        self.next_trial_id += 1
        study.trials.append(trial)
        self.owner[trial_id] = (study_id, number)
        self.replace(study, self.adopt(trial))
        return trial_id

    def set_param(
        self, trial_id: int, name: str, internal: float, distribution: BaseDistribution
    ) -> None:
        """Store a parameter of a running trial (its distribution checked against the study's)."""
        study, trial = self.updatable(trial_id)
        check_param_distribution(study.dists, name, distribution)
        known = study.dists[name]
        if known is not distribution and known == distribution:
            distribution = known  # one object per distribution, so finished trials share
        new = self.writable(trial)
        new.params[name] = distribution.to_external_repr(internal)
        new.distributions[name] = distribution
        if new is not trial:  # changed in place: the state, and so the indexes, are the same
            self.replace(study, new)

    def set_state(
        self,
        trial_id: int,
        state: TrialState,
        values: Sequence[float] | None,
        when: datetime.datetime | None,
    ) -> bool:
        """Move a trial to ``state`` at ``when``; False as :meth:`can_set_state` says."""
        if not self.can_set_state(trial_id, state):
            return False

        def change(trial: FrozenTrial) -> None:
            trial.state = state
            if values is not None:
                trial.values = values
            if state == TrialState.RUNNING:
                trial.datetime_start = when
            if state.is_finished():
                trial.datetime_complete = when

        self.update(trial_id, change, state=True)
        return True

    def set_report(self, trial_id: int, step: int, value: float) -> None:
        """Store the value reported at ``step`` (a later report of the step replaces it)."""

        def change(trial: FrozenTrial) -> None:
            trial.intermediate_values[step] = value

        self.update(trial_id, change)

    def set_trial_attr(self, trial_id: int, kind: str, key: str, value: Any) -> None:
        """Set a ``"user"`` or ``"system"`` attribute of a running trial."""

        def change(trial: FrozenTrial) -> None:
            (trial.user_attrs if kind == "user" else trial.system_attrs)[key] = value

        self.update(trial_id, change)

    def beat(self, trial_id: int, when: float) -> None:
        """Record a heartbeat of a RUNNING trial (a late beat of a finished one is ignored)."""
        _, trial = self.trial(trial_id)
        if trial.state == TrialState.RUNNING:
            self.heartbeats[trial_id] = when

    def last_beat(self, trial_id: int) -> datetime.datetime | None:
        """The last heartbeat of a RUNNING trial (UTC), None once it finished or before a beat."""
        when = self.heartbeats.get(trial_id)
        return (
            None if when is None else datetime.datetime.fromtimestamp(when, datetime.timezone.utc)
        )

    def fail_stale(self, trial_ids: Sequence[int], when: datetime.datetime | None) -> list[int]:
        """Mark FAIL those of ``trial_ids`` still RUNNING, and return them."""
        failed = []
        for trial_id in trial_ids:
            if trial_id not in self.owner:
                continue
            _, trial = self.trial(trial_id)
            if trial.state != TrialState.RUNNING:
                continue  # finished or failed by another worker first
            self.set_state(trial_id, TrialState.FAIL, None, when)
            failed.append(trial_id)
        return failed

    # -- copy-on-write ------------------------------------------------------------------
    def update(
        self, trial_id: int, change: Callable[[FrozenTrial], None], *, state: bool = False
    ) -> None:
        """Apply ``change`` to a new snapshot of a running trial and store it (``state``: the
        change may move the trial to another state, so the indexes are brought up to date)."""
        study, trial = self.updatable(trial_id)
        new = self.writable(trial)
        change(new)
        if state or new is not trial:
            self.replace(study, new)

    def writable(self, trial: FrozenTrial) -> FrozenTrial:
        """A trial to change: ``trial`` itself if nobody has seen it yet, else a copy."""
        if self._fresh.get(trial._trial_id) is trial:
            return trial
        return self.adopt(trial._copy())

    def adopt(self, trial: FrozenTrial) -> FrozenTrial:
        """Mark a snapshot made here as not yet seen outside; return it. Finished trials are
        never updated, so only unfinished ones are tracked."""
        if self._batched or not trial.state.is_finished():
            self._fresh[trial._trial_id] = trial
        return trial

    def handed_out(self, trial_id: int) -> FrozenTrial:
        """The current snapshot of a trial, about to be handed out: later updates copy it."""
        _, trial = self.trial(trial_id)
        self._fresh.pop(trial_id, None)
        return trial

    def handed_out_all(self, study_id: int, states: Container[TrialState] | None) -> None:
        """Note that the study's trials in ``states`` (all when None) are being handed out.
        Only the few unfinished trials are tracked, so this costs O(running), not O(history)."""
        for trial_id, trial in list(self._fresh.items()):
            if self.owner[trial_id][0] == study_id and (states is None or trial.state in states):
                del self._fresh[trial_id]

    def seal(self) -> None:
        """End the batch: every stored trial may now have been handed out."""
        self._fresh.clear()

    def replace(self, study: StudyRecord, trial: FrozenTrial) -> None:
        """Store a new snapshot of a trial and keep the indexes (waiting, heartbeats, best)."""
        previous = study.trials[trial.number]
        study.trials[trial.number] = trial
        if previous is not trial and previous.state == trial.state:
            return  # the indexes depend on the state alone
        state, trial_id = trial.state, trial._trial_id  # states bound once (module constants):
        if state == _WAITING:  # this runs for most lines a journal replays
            study.waiting.setdefault(trial_id)
        else:
            study.waiting.pop(trial_id, None)
        if state == _RUNNING:
            study.running.setdefault(trial.number)
        else:
            study.running.pop(trial.number, None)
            if state != _WAITING:  # finished
                self.heartbeats.pop(trial_id, None)
                if not self._batched:
                    self._fresh.pop(trial_id, None)
                study.add_finished(trial)
                if state == _FAIL:
                    study.failed.add(trial_id)
                elif state == _COMPLETE:
                    study.update_best(trial)
