"""The in-memory state a journal replays into: one operation (a decoded JSON line) at a time.

Each operation is applied by a handler that first checks it against the current state (raising
the contract's errors) and only then changes the state. Called with ``dry_run=True`` the handler
only checks: the storage does that under the file lock before appending a line, so that invalid
operations never reach the file. Replay applies every line in file order; a line that fails its
checks (possible only when two writers raced, e.g. after a lock was wrongly broken) changes
nothing, for every reader alike, so all processes agree on the same state.

Trials are copy-on-write: an update replaces the stored :class:`FrozenTrial` with a new one, so
snapshots handed out never change. Within one replay batch a trial already copied in that batch
is updated in place (nobody has seen it yet); :meth:`JournalModel.seal` ends the batch before
the storage hands out anything, so replaying a long journal copies each trial once, not once per
line.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from podbor._study_direction import StudyDirection
from podbor.distributions import BaseDistribution, check_distribution_compatibility
from podbor.exceptions import DuplicatedStudyError, StudyNotFoundError, UpdateFinishedTrialError
from podbor.storages._journal._codec import (
    DistributionCache,
    decode_attr,
    decode_datetime,
    decode_float,
    decode_template,
)
from podbor.trial._frozen import FrozenTrial
from podbor.trial._state import TrialState

__all__ = ["PROCEED", "JournalModel", "StudyState"]


class _Proceed:
    def __repr__(self) -> str:
        return "PROCEED"


PROCEED: Final = _Proceed()
"""What a dry run returns when the operation passed its checks and should be written."""

Op = dict[str, Any]


@dataclass
class StudyState:
    """Everything known about one study."""

    name: str
    directions: list[StudyDirection]
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    trials: list[FrozenTrial] = field(default_factory=list)  # index == number
    dists: dict[str, BaseDistribution] = field(default_factory=dict)  # first use of each name
    waiting: dict[int, None] = field(default_factory=dict)  # WAITING trial ids, oldest first
    best: FrozenTrial | None = None  # best COMPLETE trial of a single-objective study


class JournalModel:
    """Studies and trials rebuilt from journal operations.

    Args:
        where: How messages name the journal, e.g. ``"journal 'study.log'"``.
    """

    def __init__(self, where: str) -> None:
        self.where = where
        self.studies: dict[int, StudyState] = {}
        self.names: dict[str, int] = {}
        self.owner: dict[int, tuple[int, int]] = {}  # trial id → (study id, number)
        self.heartbeats: dict[int, float] = {}  # RUNNING trial id → last beat, epoch seconds
        self.next_study_id = 0
        self.next_trial_id = 0
        self.dists = DistributionCache()
        self._fresh: dict[int, FrozenTrial] = {}  # id → trial made in this batch, not yet seen

    def seal(self) -> None:
        """End the replay batch: every stored trial may now have been handed out."""
        self._fresh.clear()

    def writable(self, trial: FrozenTrial) -> FrozenTrial:
        """A trial to change: ``trial`` itself if nobody has seen it yet, else a copy."""
        if self._fresh.get(id(trial)) is trial:
            return trial
        return self.adopt(trial._copy())

    def adopt(self, trial: FrozenTrial) -> FrozenTrial:
        """Mark a trial made in this batch as not yet seen, and return it."""
        self._fresh[id(trial)] = trial
        return trial

    def apply(self, op: Op, *, dry_run: bool = False) -> Any:
        """Check ``op`` and, unless ``dry_run``, apply it; return its result.

        Raises:
            KeyError, ValueError, UpdateFinishedTrialError: When the operation is not allowed
                in the current state (the same errors the storage contract names).
        """
        try:
            handler = _HANDLERS[op["op"]]
        except KeyError:
            raise ValueError(
                f"Unknown journal operation {op.get('op')!r} in {self.where} (written by a "
                "newer podbor?)."
            ) from None
        return handler(self, op, dry_run)

    # -- lookups ------------------------------------------------------------------------
    def study(self, study_id: int) -> StudyState:
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

    def trial(self, trial_id: int) -> tuple[StudyState, FrozenTrial]:
        """The study and the current snapshot of a trial; ``KeyError`` if unknown."""
        try:
            study_id, number = self.owner[trial_id]
        except (KeyError, TypeError):
            raise KeyError(f"No trial with id {trial_id} exists in {self.where}.") from None
        study = self.studies[study_id]
        return study, study.trials[number]

    def updatable(self, trial_id: int) -> tuple[StudyState, FrozenTrial]:
        """Like :meth:`trial`, raising :class:`UpdateFinishedTrialError` for finished trials."""
        study, trial = self.trial(trial_id)
        if trial.state.is_finished():
            raise UpdateFinishedTrialError(
                f"Trial {trial.number} has already finished as {trial.state.name} and cannot "
                "be updated."
            )
        return study, trial

    def stale_trials(self, study_id: int, deadline: float) -> list[int]:
        """RUNNING trials of the study whose last heartbeat is older than ``deadline``."""
        return [
            trial_id
            for trial_id, beat in self.heartbeats.items()
            if beat < deadline and self.owner[trial_id][0] == study_id
        ]

    # -- changes ------------------------------------------------------------------------
    def replace(self, study: StudyState, trial: FrozenTrial) -> None:
        """Store a new snapshot of a trial and keep the indexes (waiting, best) up to date."""
        study.trials[trial.number] = trial
        if trial.state == TrialState.WAITING:
            study.waiting.setdefault(trial._trial_id)
        else:
            study.waiting.pop(trial._trial_id, None)
        if trial.state.is_finished():
            self.heartbeats.pop(trial._trial_id, None)
        if trial.state == TrialState.COMPLETE:
            _update_best(study, trial)

    def check_distribution(
        self, study: StudyState, name: str, dist: BaseDistribution, *, record: bool
    ) -> None:
        """Raise ``ValueError`` if ``dist`` is incompatible with the study's earlier use."""
        old = study.dists.get(name)
        if old is not None:
            check_distribution_compatibility(old, dist)
        elif record:
            study.dists[name] = dist


def _update_best(study: StudyState, trial: FrozenTrial) -> None:
    if len(study.directions) != 1 or not trial.values:
        return
    if study.best is not None and study.best.values:
        value, best = trial.values[0], study.best.values[0]
        better = value > best if study.directions[0] == StudyDirection.MAXIMIZE else value < best
        if not better:
            return
    study.best = trial


# -- handlers: check, then (unless dry_run) apply -----------------------------------------
def _create_study(m: JournalModel, op: Op, dry_run: bool) -> Any:
    name = op["name"]
    if name in m.names:
        raise DuplicatedStudyError(f"Another study with name {name!r} already exists in {m.where}.")
    if dry_run:
        return PROCEED
    study_id = m.next_study_id
    m.next_study_id += 1
    m.studies[study_id] = StudyState(name, [StudyDirection[d] for d in op["directions"]])
    m.names[name] = study_id
    return study_id


def _delete_study(m: JournalModel, op: Op, dry_run: bool) -> Any:
    study = m.study(op["study_id"])
    if dry_run:
        return PROCEED
    for trial in study.trials:
        del m.owner[trial._trial_id]
        m.heartbeats.pop(trial._trial_id, None)
    del m.names[study.name]
    del m.studies[op["study_id"]]
    return None


def _set_study_attr(m: JournalModel, op: Op, dry_run: bool) -> Any:
    study = m.study(op["study_id"])
    if dry_run:
        return PROCEED
    attrs = study.user_attrs if op["kind"] == "user" else study.system_attrs
    attrs[op["key"]] = decode_attr(op["value"])
    return None


def _create_trial(m: JournalModel, op: Op, dry_run: bool) -> Any:
    study = m.study(op["study_id"])
    template = op.get("template")
    if template is not None:
        for name, (_, dist_json) in template["params"].items():
            m.check_distribution(study, name, m.dists.get(dist_json), record=False)
    if dry_run:
        return PROCEED
    trial_id, number = m.next_trial_id, len(study.trials)
    m.next_trial_id += 1
    if template is None:
        trial = FrozenTrial(
            number,
            TrialState.RUNNING,
            None,
            decode_datetime(op["time"]),
            None,
            {},
            {},
            {},
            {},
            {},
            trial_id,
        )
    else:
        trial = decode_template(template, number, trial_id, m.dists)
        for name, dist in trial.distributions.items():
            m.check_distribution(study, name, dist, record=True)
    study.trials.append(trial)
    m.owner[trial_id] = (op["study_id"], number)
    m.replace(study, m.adopt(trial))
    return trial_id


def _set_param(m: JournalModel, op: Op, dry_run: bool) -> Any:
    study, trial = m.updatable(op["trial_id"])
    dist = m.dists.get(op["dist"])
    m.check_distribution(study, op["name"], dist, record=not dry_run)
    if dry_run:
        return PROCEED
    new = m.writable(trial)
    new.params[op["name"]] = dist.to_external_repr(decode_float(op["value"]))
    new.distributions[op["name"]] = dist
    m.replace(study, new)
    return None


def _set_state(m: JournalModel, op: Op, dry_run: bool) -> Any:
    study, trial = m.trial(op["trial_id"])
    state = TrialState[op["state"]]
    if state == TrialState.RUNNING and trial.state != TrialState.WAITING:
        return False  # claimed by someone else (or never waiting): nothing to write
    m.updatable(op["trial_id"])
    if dry_run:
        return PROCEED
    new = m.writable(trial)
    new.state = state
    if op.get("values") is not None:
        new.values = [decode_float(v) for v in op["values"]]
    when = decode_datetime(op["time"])
    if state == TrialState.RUNNING:
        new.datetime_start = when
    if state.is_finished():
        new.datetime_complete = when
    m.replace(study, new)
    return True


def _set_report(m: JournalModel, op: Op, dry_run: bool) -> Any:
    study, trial = m.updatable(op["trial_id"])
    if dry_run:
        return PROCEED
    new = m.writable(trial)
    new.intermediate_values[int(op["step"])] = decode_float(op["value"])
    m.replace(study, new)
    return None


def _set_trial_attr(m: JournalModel, op: Op, dry_run: bool) -> Any:
    study, trial = m.updatable(op["trial_id"])
    if dry_run:
        return PROCEED
    new = m.writable(trial)
    attrs = new.user_attrs if op["kind"] == "user" else new.system_attrs
    attrs[op["key"]] = decode_attr(op["value"])
    m.replace(study, new)
    return None


def _heartbeat(m: JournalModel, op: Op, dry_run: bool) -> Any:
    _, trial = m.trial(op["trial_id"])
    if trial.state != TrialState.RUNNING:
        return None  # a late beat of a finished trial: nothing to record
    if dry_run:
        return PROCEED
    m.heartbeats[trial._trial_id] = float(op["time"])
    return None


def _fail_stale(m: JournalModel, op: Op, dry_run: bool) -> Any:
    if dry_run:
        return PROCEED
    when = decode_datetime(op["time"])
    failed = []
    for trial_id in op["trial_ids"]:
        if trial_id not in m.owner:
            continue
        study, trial = m.trial(trial_id)
        if trial.state != TrialState.RUNNING:
            continue  # finished or failed by another worker first
        new = m.writable(trial)
        new.state = TrialState.FAIL
        new.datetime_complete = when
        m.replace(study, new)
        failed.append(trial_id)
    return failed


_HANDLERS: dict[str, Callable[[JournalModel, Op, bool], Any]] = {
    "create_study": _create_study,
    "delete_study": _delete_study,
    "set_study_attr": _set_study_attr,
    "create_trial": _create_trial,
    "set_param": _set_param,
    "set_state": _set_state,
    "set_report": _set_report,
    "set_trial_attr": _set_trial_attr,
    "heartbeat": _heartbeat,
    "fail_stale": _fail_stale,
}


def now_iso() -> str:
    """The local time now, as the ISO text operations carry."""
    return datetime.datetime.now().isoformat()
