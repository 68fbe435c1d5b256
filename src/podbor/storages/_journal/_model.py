"""The state a journal replays into: one operation (a decoded JSON line) at a time.

Each operation is applied by a handler that first checks it against the current state (raising
the contract's errors) and only then changes the state. Called with ``dry_run=True`` the handler
only checks: the storage does that under the file lock before appending a line, so that invalid
operations never reach the file. Replay applies every line in file order; a line that fails its
checks (possible only when two writers raced, e.g. after a lock was wrongly broken) changes
nothing, for every reader alike, so all processes agree on the same state.

The state itself is a batched :class:`~podbor.storages._records.StudyTable` (the one
``InMemoryStorage`` keeps too): :meth:`JournalModel.seal` ends a replay batch before the storage
hands out anything, so replaying a long journal copies each trial once, not once per line.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any, Final

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor.storages._input_rules import INT64_MAX, INT64_MIN, check_param_distribution
from podbor.storages._journal._check import (
    beat_ok,
    check_op,
    set_param_fields,
    set_state_fields,
    writer_ok,
)
from podbor.storages._journal._codec import (
    DistributionCache,
    StringCache,
    decode_attr,
    decode_datetime,
    decode_float,
    decode_template,
)
from podbor.storages._records import StudyRecord, StudyTable

__all__ = ["PROCEED", "JournalModel", "Op", "now_iso"]


class _Proceed:
    def __repr__(self) -> str:
        return "PROCEED"


PROCEED: Final = _Proceed()
"""What a dry run returns when the operation passed its checks and should be written."""

Op = dict[str, Any]


class JournalModel(StudyTable):
    """Studies and trials rebuilt from journal operations.

    Args:
        where: How messages name the journal, e.g. ``"the journal 'study.log'"``.
    """

    def __init__(self, where: str) -> None:
        super().__init__(where, batched=True)
        self.distributions = DistributionCache()
        self.param_names: dict[str, str] = {}  # parameter names kept once, as they repeat
        self.strings = StringCache()  # and short attribute strings
        # the trials made or changed since the storage last cleared this, each with the number
        # of the line that last changed it (the trials a snapshot block must hold:
        # ``_snapshot.append_snapshot``); ``line`` is the line being replayed
        self.changed: dict[int, int] = {}
        self.line = 0

    def add_trial(
        self, study_id: int, when: datetime.datetime | None, template: FrozenTrial | None = None
    ) -> int:
        trial_id = super().add_trial(study_id, when, template)
        self.changed[trial_id] = self.line
        return trial_id

    def writable(self, trial: FrozenTrial) -> FrozenTrial:
        self.changed[trial._trial_id] = self.line  # every change of a trial comes through here
        return super().writable(trial)

    def changed_since(self, line: int) -> None:
        """Keep in :attr:`changed` only the trials changed by line ``line`` or later."""
        self.changed = {trial_id: at for trial_id, at in self.changed.items() if at >= line}

    def apply(self, op: Op, *, dry_run: bool = False) -> Any:
        """Check ``op`` and, unless ``dry_run``, apply it; return its result.

        Raises:
            MalformedLineError: When the operation does not have the shape of podbor's
                operations (:func:`~podbor.storages._journal._check.check_op`).
            KeyError, ValueError, UpdateFinishedTrialError: When the operation is not allowed
                in the current state (the same errors the storage contract names).
        """
        if dry_run:  # an id no line can hold names no study or trial: say so, as for any
            for field, lookup in (("study_id", self.study), ("trial_id", self.trial)):
                value = op.get(field)
                if type(value) is int and not INT64_MIN <= value <= INT64_MAX:
                    lookup(value)  # raises the storage contract's "not found"
        else:
            name = op.get("op")
            replay = _REPLAY.get(name) if type(name) is str else None
            if replay is not None:
                result = replay(self, op)
                if result is not _LOOK_CLOSER:
                    return result
        check_op(op)  # the same checks when writing and when replaying, in every process
        return _HANDLERS[op["op"]](self, op, dry_run)

    def replay(self, records: list[tuple[int, Op]], general: Callable[[Op, int], object]) -> None:
        """Apply a part's ``(line number, operation)`` records in file order, when nobody waits
        for one's result: each line a trial writes in the shape podbor writes it by the replay
        function below, any other by ``general(operation, number)`` (the storage's way, which
        applies it through :meth:`apply` and says what went wrong). The same outcome as
        :meth:`apply` of each, with no call layers between a common line and its replay: a
        10⁵-trial journal has 6·10⁵ lines."""
        replay_of = _REPLAY.get
        for number, op in records:
            self.line = number
            name = op.get("op")
            replay = replay_of(name) if type(name) is str else None
            if replay is not None:
                try:
                    if replay(self, op) is not _LOOK_CLOSER:
                        continue
                except Exception:  # e.g. an int parameter's value NaN: a line changes nothing
                    pass  # and the general way, through :meth:`apply`, raises it to be said
            general(op, number)


# -- handlers: check, then (unless dry_run) apply -----------------------------------------
def _create_study(m: JournalModel, op: Op, dry_run: bool) -> Any:
    if dry_run:
        m.check_new_name(op["name"])
        return PROCEED
    return m.add_study(op["name"], [StudyDirection[d] for d in op["directions"]])


def _delete_study(m: JournalModel, op: Op, dry_run: bool) -> Any:
    if dry_run:
        m.study(op["study_id"])
        return PROCEED
    m.remove_study(op["study_id"])
    return None


def _set_study_attr(m: JournalModel, op: Op, dry_run: bool) -> Any:
    study = m.study(op["study_id"])
    if dry_run:
        return PROCEED
    attrs = study.user_attrs if op["kind"] == "user" else study.system_attrs
    attrs[op["key"]] = decode_attr(op["value"])
    return None


def _create_trial(m: JournalModel, op: Op, dry_run: bool) -> Any:
    template = op.get("template")
    trial = None if template is None else decode_template(template, m.distributions)
    if dry_run:
        m.check_distributions(op["study_id"], {} if trial is None else trial.distributions)
        return PROCEED
    limit = op.get("limit")
    if limit is not None and m.study(op["study_id"]).count_not_failed() >= limit:
        return None  # the budget was reached by trials earlier in the journal: no trial
    if trial is not None:
        m.strings.attrs(trial.system_attrs)
    trial_id = m.add_trial(op["study_id"], decode_datetime(op["time"]), trial)
    if op.get("beat") is not None:  # a worker's trial: protected from the moment it exists
        m.beat(trial_id, float(op["beat"]))
    return trial_id


def _set_param(m: JournalModel, op: Op, dry_run: bool) -> Any:
    if dry_run:
        study, _ = m.updatable(op["trial_id"])
        dist = m.distributions.get(op["dist"])
        check_param_distribution(study.dists, op["name"], dist, remember=False)
        return PROCEED
    name = m.param_names.setdefault(op["name"], op["name"])  # one string per name, not per trial
    m.set_param(op["trial_id"], name, decode_float(op["value"]), m.distributions.get(op["dist"]))
    return None


def _set_state(m: JournalModel, op: Op, dry_run: bool) -> Any:
    state = TrialState[op["state"]]
    if dry_run:
        return PROCEED if m.can_set_state(op["trial_id"], state) else False
    values = None if op.get("values") is None else [decode_float(v) for v in op["values"]]
    changed = m.set_state(op["trial_id"], state, values, decode_datetime(op["time"]))
    if changed and op.get("beat") is not None:  # a worker's claim: its first heartbeat
        m.beat(op["trial_id"], float(op["beat"]))
    return changed


def _set_report(m: JournalModel, op: Op, dry_run: bool) -> Any:
    if dry_run:
        m.updatable(op["trial_id"])
        return PROCEED
    m.set_report(op["trial_id"], int(op["step"]), decode_float(op["value"]))
    return None


def _set_trial_attr(m: JournalModel, op: Op, dry_run: bool) -> Any:
    if dry_run:
        m.updatable(op["trial_id"])
        return PROCEED
    m.set_trial_attr(op["trial_id"], op["kind"], op["key"], decode_attr(op["value"]))
    return None


def _heartbeat(m: JournalModel, op: Op, dry_run: bool) -> Any:
    _, trial = m.trial(op["trial_id"])
    if trial.state != TrialState.RUNNING:
        return None  # a late beat of a finished trial: nothing to record
    if dry_run:
        return PROCEED
    m.beat(op["trial_id"], float(op["time"]))
    return None


def _fail_stale(m: JournalModel, op: Op, dry_run: bool) -> Any:
    if dry_run:
        return PROCEED
    return m.fail_stale(op["trial_ids"], decode_datetime(op["time"]))


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


# -- replay of the three operations every trial writes, checked and applied in one step --------
# A journal of 10⁵ trials holds 6·10⁵ of them. Each function below applies an operation only
# when it has the shape podbor writes *and* its outcome is plain (the trial exists and runs, the
# distribution was seen before, ...): then it changes exactly what :func:`check_op` and the
# handler above would, with one lookup of the trial instead of three and each text parsed once.
# Anything else returns ``_LOOK_CLOSER``, having changed nothing, and goes the general way,
# which decides (and words any error) as before.
_LOOK_CLOSER: Final = object()
_RUNNING, _WAITING = TrialState.RUNNING, TrialState.WAITING
_PLAIN_ATTR = frozenset({str, int, float, bool, type(None)})


def _unfinished(m: JournalModel, trial_id: int) -> tuple[StudyRecord, FrozenTrial] | None:
    """The study and the trial of that id while it can still change; None otherwise."""
    where = m.owner.get(trial_id)
    if where is None:
        return None
    study = m.studies[where[0]]
    trial = study.trials[where[1]]
    return (study, trial) if trial.state in (_RUNNING, _WAITING) else None


def _replay_create_trial(m: JournalModel, op: Op) -> Any:
    """A trial ``optimize`` starts: RUNNING, nothing set yet but scalar system attributes.

    Checked here rather than by :func:`has_common_shape`, whose template check reads any
    template field by field (~4 µs a line); this narrower shape implies it."""
    study_id, template, when = op.get("study_id"), op.get("template"), op.get("time")
    if (
        "limit" in op  # a budget (log backends only): the general way applies it
        or type(study_id) is not int
        or study_id not in m.studies
        or type(template) is not dict
        or type(when) is not str
        or not beat_ok(op)
        or not writer_ok(op)
    ):
        return _LOOK_CLOSER
    start, system = template.get("datetime_start"), template.get("system_attrs")
    if (
        template.get("state") != "RUNNING"
        or "values" not in template
        or template["values"] is not None
        or "datetime_complete" not in template
        or template["datetime_complete"] is not None
        or type(start) is not str
        or template.get("params") != {}
        or template.get("user_attrs") != {}
        or template.get("intermediate_values") != []
        or type(system) is not dict
        or not all(type(k) is str and type(v) in _PLAIN_ATTR for k, v in system.items())
    ):
        return _LOOK_CLOSER
    try:
        datetime.datetime.fromisoformat(when)  # checked as the general way checks it
        started = datetime.datetime.fromisoformat(start)
    except ValueError:
        return _LOOK_CLOSER
    trial = FrozenTrial(
        -1, _RUNNING, None, started, None, {}, {}, {}, m.strings.attrs(dict(system)), {}, -1
    )
    trial_id = m.add_trial(study_id, None, trial)
    if op.get("beat") is not None:
        m.beat(trial_id, op["beat"])
    return trial_id


def _replay_set_param(m: JournalModel, op: Op) -> Any:
    """A parameter of a running trial, with a distribution its study already uses."""
    fields = set_param_fields(op)
    if fields is None:
        return _LOOK_CLOSER
    trial_id, name, value, text = fields
    found, dist = _unfinished(m, trial_id), m.distributions.known(text)
    if found is None or dist is None or found[0].dists.get(name) is not dist:
        return _LOOK_CLOSER
    study, trial = found
    name = m.param_names.setdefault(name, name)
    new = m.writable(trial)
    new.params[name] = dist.to_external_repr(value)
    new.distributions[name] = dist
    if new is not trial:
        m.replace(study, new)
    return None


def _replay_set_state(m: JournalModel, op: Op) -> Any:
    """A running or waiting trial that moves to another state."""
    fields = set_state_fields(op)
    if fields is None:
        return _LOOK_CLOSER
    trial_id, state, values, moment = fields
    found = _unfinished(m, trial_id)
    if found is None or (state == _RUNNING and found[1].state != _WAITING):
        return _LOOK_CLOSER
    study, trial = found
    new = m.writable(trial)
    new.state = state
    if values is not None:
        new.values = values
    if state == _RUNNING:
        new.datetime_start = moment
    if state.is_finished():
        new.datetime_complete = moment
    m.replace(study, new)
    if op.get("beat") is not None:
        m.beat(trial_id, op["beat"])
    return True


_REPLAY: dict[str, Callable[[JournalModel, Op], Any]] = {
    "create_trial": _replay_create_trial,
    "set_param": _replay_set_param,
    "set_state": _replay_set_state,
}


def now_iso() -> str:
    """The local time now, as the ISO text operations carry."""
    return datetime.datetime.now().isoformat()
