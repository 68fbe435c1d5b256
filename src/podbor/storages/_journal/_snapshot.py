"""A snapshot beside a long journal: the replayed state up to a line, so that a new handle on a
10⁵-trial journal reads one compact line per trial instead of replaying ~6 operations per trial.

The snapshot is a cache, never the truth. It lives in ``<journal>.snapshot``, is written by a
handle that has just replayed at least :data:`SNAPSHOT_LINES` lines on opening the journal
(to a temporary file, then renamed over the old one, so a reader sees a whole snapshot or the
previous one), and is used only when it still matches the journal: the journal is at least as
long as the part the snapshot covers, and the last 64 KiB of that part hash the same as when
the snapshot was made (every line holds its writer's random id and sequence number, so another
journal does not match). A snapshot that is missing, unreadable, damaged, of another format or
of another journal is ignored with a debug message, and the journal is replayed from its first
line as before; a folder the process cannot write to just gets no snapshot. Lines before a
snapshot's offset never change (the journal is append-only, and a torn tail is only ever cut
after the last complete line), so the state it holds is the state the replay would rebuild.

File format: strict JSON lines, like the journal. The first line holds the format, the part of
the journal covered (byte offset, line number, hash), the ids to hand out next, the
distributions (JSON texts, referred to by position), the studies (attributes, the first
distribution of each parameter name, WAITING trials oldest first, the best trial) and the
heartbeats of RUNNING trials; then one line per trial, by study and number:
``[study_id, trial_id, state, values, datetime_start, datetime_complete, params, user_attrs,
system_attrs, intermediate_values]`` with ``params`` as ``[name, distribution, internal value]``
triples. Values and attributes are encoded as in journal lines (:mod:`._codec`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor.distributions import BaseDistribution, distribution_to_json
from podbor.logging import get_logger
from podbor.storages._journal._codec import (
    add_param,
    decode_attr,
    decode_trial,
    encode_attr,
    encode_datetime,
    encode_float,
)
from podbor.storages._journal._model import JournalModel
from podbor.storages._records import StudyRecord

__all__ = ["SNAPSHOT_LINES", "load_snapshot", "save_snapshot", "snapshot_line", "snapshot_path"]

_logger = get_logger(__name__)

SNAPSHOT_LINES = 20_000
"""A handle that replays at least this many lines on opening a journal writes a snapshot."""

FORMAT = "podbor-journal-snapshot"
VERSION = 1
_TAIL = 1 << 16  # bytes of the journal, ending at the snapshot's offset, that must hash the same


class _Mismatch(ValueError):
    """The snapshot does not describe this journal (or is damaged)."""


def snapshot_path(journal_path: str) -> str:
    """Where the snapshot of ``journal_path`` lives."""
    return journal_path + ".snapshot"


def _tail_hash(journal_path: str, offset: int) -> str:
    with open(journal_path, "rb") as f:
        start = max(0, offset - _TAIL)
        f.seek(start)
        data = f.read(offset - start)
    if len(data) != offset - start:
        raise _Mismatch("the journal is shorter than the part the snapshot covers")
    return hashlib.sha256(data).hexdigest()


def snapshot_line(journal_path: str) -> int | None:
    """The line number the snapshot on disk reaches, as its first line says (not checked
    against the journal: only to skip writing one that another process just wrote)."""
    try:
        with open(snapshot_path(journal_path), "rb") as f:
            line = json.loads(f.readline()).get("line")
    except Exception:
        return None
    return line if type(line) is int else None


# -- writing ----------------------------------------------------------------------------------
def save_snapshot(journal_path: str, model: JournalModel, offset: int, line: int) -> bool:
    """Write the snapshot of ``model``, the journal replayed up to ``offset`` (where line number
    ``line`` starts); False when it could not be written (e.g. a read-only folder)."""
    target = snapshot_path(journal_path)
    temporary = f"{target}.{uuid.uuid4().hex[:12]}.tmp"
    try:
        head, dists = _head(model, offset, line, _tail_hash(journal_path, offset))
        with open(temporary, "w", encoding="ascii") as f:
            f.write(_dumps(head))
            for study_id, study in model.studies.items():
                for trial in study.trials:
                    f.write(_dumps(_trial_row(study_id, trial, dists)))
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, target)
    except (OSError, ValueError) as err:  # not ours to write, or a value JSON cannot hold
        _logger.debug(f"No snapshot written beside the journal {journal_path!r}: {err}")
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False
    return True


def _dumps(value: Any) -> str:
    return json.dumps(value, allow_nan=False, separators=(",", ":")) + "\n"


def _head(
    model: JournalModel, offset: int, line: int, tail: str
) -> tuple[dict[str, Any], dict[int, int]]:
    dists: dict[int, int] = {}  # id(distribution) -> position in the table
    table: list[str] = []

    def index(dist: BaseDistribution) -> int:
        at = dists.get(id(dist))
        if at is None:
            at = dists[id(dist)] = len(table)
            table.append(distribution_to_json(dist))
        return at

    for study in model.studies.values():
        for trial in study.trials:
            for dist in trial.distributions.values():
                index(dist)
    studies = [
        {
            "id": study_id,
            "name": study.name,
            "directions": [d.name for d in study.directions],
            "user_attrs": {k: encode_attr(v, "user", k) for k, v in study.user_attrs.items()},
            "system_attrs": {k: encode_attr(v, "system", k) for k, v in study.system_attrs.items()},
            "dists": {name: index(dist) for name, dist in study.dists.items()},
            "waiting": list(study.waiting),
            "best": None if study.best is None else study.best.number,
            "n_trials": len(study.trials),
        }
        for study_id, study in model.studies.items()
    ]
    head = {
        "format": FORMAT,
        "version": VERSION,
        "offset": offset,
        "line": line,
        "tail_sha256": tail,
        "next_study_id": model.next_study_id,
        "next_trial_id": model.next_trial_id,
        "distributions": table,
        "studies": studies,
        "heartbeats": [[trial_id, beat] for trial_id, beat in model.heartbeats.items()],
    }
    return head, dists


def _trial_row(study_id: int, trial: FrozenTrial, dists: dict[int, int]) -> list[Any]:
    return [
        study_id,
        trial._trial_id,
        trial.state.name,
        None if trial.values is None else [encode_float(v) for v in trial.values],
        encode_datetime(trial.datetime_start),
        encode_datetime(trial.datetime_complete),
        [
            [name, dists[id(dist)], encode_float(dist.to_internal_repr(trial.params[name]))]
            for name, dist in trial.distributions.items()
        ],
        {k: encode_attr(v, "user", k) for k, v in trial.user_attrs.items()},
        {k: encode_attr(v, "system", k) for k, v in trial.system_attrs.items()},
        [[step, encode_float(v)] for step, v in trial.intermediate_values.items()],
    ]


# -- reading ----------------------------------------------------------------------------------
def load_snapshot(journal_path: str, where: str) -> tuple[JournalModel, int, int] | None:
    """The state the snapshot of ``journal_path`` holds, with the byte offset and line number
    to replay on from; None when there is no usable snapshot (replay from the first line)."""
    model = JournalModel(where)
    try:
        with open(snapshot_path(journal_path), "rb") as f:
            offset, line = _load(f, journal_path, model)
    except FileNotFoundError:
        return None
    except Exception as err:  # a cache that cannot be used, whatever is wrong with it
        _logger.debug(f"Ignored the snapshot beside the journal {journal_path!r}: {err!r}")
        return None
    return model, offset, line


def _load(lines: Iterator[bytes], journal_path: str, model: JournalModel) -> tuple[int, int]:
    head = json.loads(next(lines))
    if head.get("format") != FORMAT or head.get("version") != VERSION:
        raise _Mismatch(f"not a snapshot this podbor reads: {head.get('format')!r}")
    offset, line = head["offset"], head["line"]
    if type(offset) is not int or type(line) is not int or offset <= 0 or line < 2:
        raise _Mismatch("bad offset")
    if _tail_hash(journal_path, offset) != head["tail_sha256"]:
        raise _Mismatch("made from another journal")
    table = [model.distributions.get(text) for text in head["distributions"]]
    counts: dict[int, int] = {}
    for entry in head["studies"]:
        study_id = entry["id"]
        record = StudyRecord(entry["name"], [StudyDirection[d] for d in entry["directions"]])
        record.user_attrs = {k: decode_attr(v) for k, v in entry["user_attrs"].items()}
        record.system_attrs = {k: decode_attr(v) for k, v in entry["system_attrs"].items()}
        record.dists = {name: table[at] for name, at in entry["dists"].items()}
        model.studies[study_id] = record
        model.names[record.name] = study_id
        counts[study_id] = entry["n_trials"]
    names, strings = model.param_names, model.strings
    for raw in lines:
        row = json.loads(raw)
        study_id, trial_id, state, values, start, complete, params, user, system, reports = row
        study = model.studies[study_id]
        trial = decode_trial(
            len(study.trials),
            trial_id,
            state,
            start,
            complete,
            user,
            system,
            reports,
            values,
            strings.attrs,
        )
        for name, at, internal in params:
            add_param(trial, names.setdefault(name, name), table[at], internal)
        study.trials.append(trial)
        model.owner[trial_id] = (study_id, trial.number)
        if trial.state.is_finished():
            study.add_finished(trial)
            if trial.state == TrialState.FAIL:
                study.failed.add(trial_id)
        elif trial.state == TrialState.RUNNING:
            study.running[trial.number] = None
    for entry in head["studies"]:
        study = model.studies[entry["id"]]
        if len(study.trials) != counts[entry["id"]]:
            raise _Mismatch("cut short")
        study.waiting = dict.fromkeys(entry["waiting"])
        best = entry["best"]
        study.best = None if best is None else study.trials[best]
    model.heartbeats = {int(trial_id): float(beat) for trial_id, beat in head["heartbeats"]}
    model.next_study_id, model.next_trial_id = head["next_study_id"], head["next_trial_id"]
    return offset, line
