"""Reading an Optuna journal file (Optuna 3.1 to 5.0 write the same records).

The file is a log of JSON lines, one operation each: ``{"op_code": N, "worker_id": ..., ...}``.
Ids are implicit: a study's id is the number of studies created before it, a trial's id the
number of trials created before it (over all studies), and its number the count of earlier
trials of its study. Replaying the lines in order rebuilds the studies.

Two kinds of trouble are told apart, as Optuna's own replay does:

* an operation the current state refuses (a second claim of a WAITING trial lost to another
  worker, an update of a finished trial, a name taken by a racing worker, a deleted study) is
  skipped; it never happened for any reader, and takes no id;
* a line that is not a JSON object, lacks a field, has a field of the wrong type or an unknown
  ``op_code`` is damage: reading stops with an error that names the file and the line.

Times: Optuna 3 and 4 write naive local times, Optuna 5 aware UTC times; both become naive
local times. Values may be the ``NaN`` / ``Infinity`` tokens Python's ``json`` writes.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor.distributions import BaseDistribution
from podbor.logging import get_logger
from podbor.storages._optuna._distributions import from_optuna_json
from podbor.storages._optuna._snapshot import StudySnapshot, damaged, to_local

__all__ = ["DIRECTION_CODES", "STATE_CODES", "JournalReplay", "read_optuna_journal"]

_logger = get_logger(__name__)

STATE_CODES = {
    0: TrialState.RUNNING,
    1: TrialState.COMPLETE,
    2: TrialState.PRUNED,
    3: TrialState.FAIL,
    4: TrialState.WAITING,
}
"""Optuna's trial-state codes in a journal."""

DIRECTION_CODES = {1: StudyDirection.MINIMIZE, 2: StudyDirection.MAXIMIZE}
"""Optuna's study-direction codes in a journal."""

Op = dict[str, Any]


class _Damaged(Exception):
    """A line that cannot be an Optuna operation."""


class _Refused(Exception):
    """An operation the state refuses; Optuna's replay skips it too."""


@dataclass
class _Trial:
    number: int
    state: TrialState
    values: list[float] | None
    start: datetime.datetime | None
    complete: datetime.datetime | None
    params: dict[str, float] = field(default_factory=dict)
    distributions: dict[str, BaseDistribution] = field(default_factory=dict)
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    reports: dict[int, float] = field(default_factory=dict)


@dataclass
class _Study:
    name: str
    directions: list[StudyDirection]
    user_attrs: dict[str, Any] = field(default_factory=dict)
    system_attrs: dict[str, Any] = field(default_factory=dict)
    trial_ids: list[int] = field(default_factory=list)


class JournalReplay:
    """The studies of an Optuna journal, rebuilt one operation at a time.

    Args:
        source: How messages name the journal.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        self.studies: dict[int, _Study] = {}  # live studies by id
        self.trials: dict[int, _Trial] = {}  # trials of live studies by id
        self.next_study_id = 0
        self.next_trial_id = 0
        self.skipped = 0

    def replay(self, data: bytes) -> None:
        """Apply every line of ``data`` (a whole journal file), in order.

        Raises:
            InvalidArgumentError: For a damaged line, naming it.
        """
        lines = data.split(b"\n")
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                op = json.loads(raw)
            except ValueError:
                cut = (
                    " (cut short: the file ends without a line end)" if number == len(lines) else ""
                )
                raise damaged(self.source, f"line {number}", f"not a JSON object{cut}") from None
            try:
                self.apply(op)
            except _Damaged as err:
                raise damaged(self.source, f"line {number}", str(err)) from None
            except _Refused as err:
                self.skipped += 1
                _logger.debug(f"{self.source}, line {number}: skipped ({err})")

    def apply(self, op: Any) -> None:
        """Apply one decoded line.

        Raises:
            _Damaged: If it is not an Optuna operation.
            _Refused: If the current state refuses it (nothing changes).
        """
        if not isinstance(op, dict):
            raise _Damaged("not a JSON object")
        code = op.get("op_code")
        handler = _HANDLERS.get(code) if isinstance(code, int) else None
        if handler is None:
            raise _Damaged(f"unknown op_code {code!r} (written by a newer Optuna?)")
        handler(self, op)

    def live_study(self, op: Op) -> _Study:
        study_id = _int(op, "study_id")
        if study_id not in self.studies:
            raise _Refused(f"no live study with id {study_id}")
        return self.studies[study_id]

    def open_trial(self, op: Op) -> _Trial:
        trial_id = _int(op, "trial_id")
        trial = self.trials.get(trial_id)
        if trial is None:
            raise _Refused(f"no trial with id {trial_id} in a live study")
        if trial.state.is_finished():
            raise _Refused(f"trial {trial_id} is already {trial.state.name}")
        return trial

    def snapshots(self) -> list[StudySnapshot]:
        """The live studies, in the order they were created."""
        return [self._snapshot(study) for _, study in sorted(self.studies.items())]

    def _snapshot(self, study: _Study) -> StudySnapshot:
        trials = []
        for trial_id in study.trial_ids:
            t = self.trials[trial_id]
            try:
                params = {n: t.distributions[n].to_external_repr(v) for n, v in t.params.items()}
            except (KeyError, IndexError, ValueError, OverflowError) as err:
                where = f"study {study.name!r}, trial {t.number}"
                raise damaged(
                    self.source, where, f"a parameter has no valid value ({err})"
                ) from None
            trials.append(
                FrozenTrial(
                    t.number,
                    t.state,
                    None,
                    t.start,
                    t.complete,
                    params,
                    dict(t.distributions),
                    t.user_attrs,
                    t.system_attrs,
                    dict(sorted(t.reports.items())),
                    trial_id,
                    values=t.values,
                )
            )
        return StudySnapshot(
            study.name, study.directions, study.user_attrs, study.system_attrs, trials
        )


def read_optuna_journal(path: str, source: str) -> JournalReplay:
    """Replay the Optuna journal at ``path``.

    Args:
        path: The file.
        source: How messages name it.

    Raises:
        InvalidArgumentError: For a damaged line, naming it; or a file that cannot be read.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as err:
        raise damaged(source, path, err.strerror or str(err)) from err
    replay = JournalReplay(source)
    replay.replay(data)
    return replay


# -- fields -------------------------------------------------------------------------------------
def _field(op: Op, key: str) -> Any:
    if key not in op:
        raise _Damaged(f"op_code {op['op_code']} lacks the field {key!r}")
    return op[key]


def _int(op: Op, key: str) -> int:
    value = _field(op, key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Damaged(f"the field {key!r} must be an integer, not {value!r}")
    return value


def _str(op: Op, key: str) -> str:
    value = _field(op, key)
    if not isinstance(value, str):
        raise _Damaged(f"the field {key!r} must be a string, not {value!r}")
    return value


def _dict(op: Op, key: str, default: dict[str, Any] | None = None) -> dict[str, Any]:
    value = op.get(key, default) if default is not None else _field(op, key)
    if not isinstance(value, dict):
        raise _Damaged(f"the field {key!r} must be an object, not {value!r}")
    return value


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Damaged(f"{what} must be a number, not {value!r}")
    return float(value)


def _values(op: Op) -> list[float] | None:
    values = op.get("values")
    if values is None:
        value = op.get("value")
        return None if value is None else [_number(value, "the field 'value'")]
    if not isinstance(values, list):
        raise _Damaged(f"the field 'values' must be a list, not {values!r}")
    return [_number(v, "each of 'values'") for v in values]


def _time(op: Op, key: str) -> datetime.datetime | None:
    value = op.get(key)
    if value is None:
        return None
    try:
        return to_local(datetime.datetime.fromisoformat(value))
    except (TypeError, ValueError):
        raise _Damaged(f"the field {key!r} must be an ISO time, not {value!r}") from None


def _state(op: Op) -> TrialState:
    code = _int(op, "state")
    if code not in STATE_CODES:
        raise _Damaged(f"unknown trial state {code}")
    return STATE_CODES[code]


def _distribution(value: Any, name: str) -> BaseDistribution:
    try:
        return from_optuna_json(value)
    except ValueError as err:
        raise _Damaged(f"the distribution of {name!r}: {err}") from None


# -- operations -----------------------------------------------------------------------------------
def _create_study(r: JournalReplay, op: Op) -> None:
    name = _str(op, "study_name")
    codes = _field(op, "directions")
    if not isinstance(codes, list) or not codes or any(c not in DIRECTION_CODES for c in codes):
        raise _Damaged(f"the field 'directions' must be a list of 1 and 2, not {codes!r}")
    if any(s.name == name for s in r.studies.values()):
        raise _Refused(f"a study named {name!r} exists")
    r.studies[r.next_study_id] = _Study(name, [DIRECTION_CODES[c] for c in codes])
    r.next_study_id += 1


def _delete_study(r: JournalReplay, op: Op) -> None:
    study_id = _int(op, "study_id")
    study = r.studies.pop(study_id, None)
    if study is None:
        raise _Refused(f"no live study with id {study_id}")
    for trial_id in study.trial_ids:
        del r.trials[trial_id]


def _study_attr(kind: str) -> Callable[[JournalReplay, Op], None]:
    def apply(r: JournalReplay, op: Op) -> None:
        attrs = _dict(op, f"{kind}_attr")
        study = r.live_study(op)
        (study.user_attrs if kind == "user" else study.system_attrs).update(attrs)

    return apply


def _create_trial(r: JournalReplay, op: Op) -> None:
    study = r.live_study(op)
    state = _state(op) if "state" in op else TrialState.RUNNING
    distributions = {
        name: _distribution(text, name) for name, text in _dict(op, "distributions", {}).items()
    }
    params = {n: _number(v, f"param {n!r}") for n, v in _dict(op, "params", {}).items()}
    if set(params) != set(distributions):
        raise _Damaged(f"params {sorted(params)} and distributions {sorted(distributions)} differ")
    reports = {}
    for step, value in _dict(op, "intermediate_values", {}).items():
        try:
            reports[int(step)] = _number(value, f"intermediate value {step}")
        except ValueError:
            raise _Damaged(
                f"the step {step!r} of 'intermediate_values' is not an integer"
            ) from None
    trial = _Trial(
        len(study.trial_ids),
        state,
        _values(op),
        _time(op, "datetime_start"),
        _time(op, "datetime_complete"),
        params,
        distributions,
        dict(_dict(op, "user_attrs", {})),
        dict(_dict(op, "system_attrs", {})),
        reports,
    )
    r.trials[r.next_trial_id] = trial
    study.trial_ids.append(r.next_trial_id)
    r.next_trial_id += 1


def _set_param(r: JournalReplay, op: Op) -> None:
    name = _str(op, "param_name")
    value = _number(_field(op, "param_value_internal"), f"param {name!r}")
    distribution = _distribution(_field(op, "distribution"), name)
    trial = r.open_trial(op)
    trial.params[name] = value
    trial.distributions[name] = distribution


def _set_state(r: JournalReplay, op: Op) -> None:
    state = _state(op)
    values = _values(op)
    start, complete = _time(op, "datetime_start"), _time(op, "datetime_complete")
    trial = r.open_trial(op)
    if state == TrialState.WAITING or (state == trial.state == TrialState.RUNNING):
        raise _Refused(f"a {trial.state.name} trial cannot become {state.name}")
    trial.state = state
    if state == TrialState.RUNNING:
        trial.start = start
    if state.is_finished():
        trial.complete = complete
    if values is not None:
        trial.values = values


def _report(r: JournalReplay, op: Op) -> None:
    step = _int(op, "step")
    value = _number(_field(op, "intermediate_value"), "the field 'intermediate_value'")
    r.open_trial(op).reports[step] = value


def _trial_attr(kind: str) -> Callable[[JournalReplay, Op], None]:
    def apply(r: JournalReplay, op: Op) -> None:
        attrs = _dict(op, f"{kind}_attr")
        trial = r.open_trial(op)
        (trial.user_attrs if kind == "user" else trial.system_attrs).update(attrs)

    return apply


_HANDLERS: dict[int, Callable[[JournalReplay, Op], None]] = {
    0: _create_study,
    1: _delete_study,
    2: _study_attr("user"),
    3: _study_attr("system"),
    4: _create_trial,
    5: _set_param,
    6: _set_state,
    7: _report,
    8: _trial_attr("user"),
    9: _trial_attr("system"),
}
"""Optuna's op codes and what each does."""
