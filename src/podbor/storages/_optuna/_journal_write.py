"""Writing studies into a journal file in Optuna 5's format.

Each study becomes one ``op_code`` 0 line (create the study), one line per attribute (2, 3)
and one line per trial (4: the whole trial, as Optuna writes for ``Study.add_trial``), with
times as aware UTC ISO strings and ``NaN`` / ``Infinity`` tokens as Optuna writes them.

The destination is a new (or empty) file, or an Optuna journal that the studies are added to:
its lines are replayed to learn the ids and names in use. The result is written to a temporary
file beside the destination and renamed over it only when complete, so a failure leaves the
destination as it was. The destination must not be in use by a running Optuna process.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor.exceptions import DuplicatedStudyError, InvalidArgumentError
from podbor.storages._optuna._detect import Format, detect_journal
from podbor.storages._optuna._distributions import to_optuna_json
from podbor.storages._optuna._journal_read import (
    DIRECTION_CODES,
    STATE_CODES,
    JournalReplay,
)
from podbor.storages._optuna._snapshot import StudySnapshot, local_to_utc

__all__ = ["write_optuna_journal"]

_STATE_CODE = {state: code for code, state in STATE_CODES.items()}
_DIRECTION_CODE = {direction: code for code, direction in DIRECTION_CODES.items()}


def write_optuna_journal(path: str, target: str, snapshots: Sequence[StudySnapshot]) -> None:
    """Write ``snapshots`` to the journal file ``path`` in Optuna 5's format.

    Args:
        path: The journal file (new, empty, or an Optuna journal).
        target: How messages name it.
        snapshots: The studies, already checked.

    Raises:
        InvalidArgumentError: If ``path`` is podbor's journal or another file, is locked by a
            running Optuna process, or changed while it was being written.
        DuplicatedStudyError: If the journal holds a study of one of the names.
    """
    if os.path.lexists(f"{path}.lock"):
        raise InvalidArgumentError(
            f"Cannot write to {target}: {path}.lock exists, so an Optuna process is writing to "
            "it. Nothing was written; try again when it has finished."
        )
    existing, replay = _read_existing(path, target)
    taken = [s.name for s in snapshots if s.name in {s.name for s in replay.studies.values()}]
    if taken:
        raise DuplicatedStudyError(
            f"{target} already holds studies named {taken}; nothing was written."
        )
    lines = [existing]
    if existing and not existing.endswith(b"\n"):
        lines.append(b"\n")
    worker = f"{uuid.uuid4()}-podbor"
    for study_id, snapshot in enumerate(snapshots, start=replay.next_study_id):
        lines.extend(_encode(op) for op in _study_ops(snapshot, study_id, worker))
    _replace(path, target, b"".join(lines), expected_size=len(existing))


def _read_existing(path: str, target: str) -> tuple[bytes, JournalReplay]:
    """The destination's bytes and their replay (nothing for a new or empty file)."""
    replay = JournalReplay(target)
    found = detect_journal(path)
    if found is Format.NOTHING:
        return b"", replay
    if found is not Format.OPTUNA_JOURNAL:
        raise InvalidArgumentError(
            f"Cannot write Optuna's format to {target}: it is a {found.value}; it must be a new "
            "file, an empty one or an Optuna journal. Nothing was written."
        )
    with open(path, "rb") as f:
        data = f.read()
    replay.replay(data)
    return data, replay


def _encode(op: dict[str, Any]) -> bytes:
    return json.dumps(op, separators=(",", ":")).encode() + b"\n"


def _time(moment: Any) -> str | None:
    return None if moment is None else local_to_utc(moment).isoformat()


def _study_ops(snapshot: StudySnapshot, study_id: int, worker: str) -> Iterator[dict[str, Any]]:
    yield {
        "op_code": 0,
        "worker_id": worker,
        "study_name": snapshot.name,
        "directions": [_DIRECTION_CODE[d] for d in snapshot.directions],
    }
    for code, kind, attrs in (
        (2, "user", snapshot.user_attrs),
        (3, "system", snapshot.system_attrs),
    ):
        for key, value in attrs.items():
            yield {
                "op_code": code,
                "worker_id": worker,
                "study_id": study_id,
                f"{kind}_attr": {key: value},
            }
    for trial in snapshot.trials:
        yield _trial_op(trial, study_id, worker, single=len(snapshot.directions) == 1)


def _trial_op(trial: FrozenTrial, study_id: int, worker: str, *, single: bool) -> dict[str, Any]:
    values = trial.values
    op: dict[str, Any] = {
        "op_code": 4,
        "worker_id": worker,
        "study_id": study_id,
        "datetime_start": _time(trial.datetime_start),
        "state": _STATE_CODE[trial.state],
        "value": values[0] if single and values is not None else None,
        "values": None if single or values is None else list(values),
    }
    if trial.datetime_complete is not None:
        op["datetime_complete"] = _time(trial.datetime_complete)
    op["distributions"] = {n: to_optuna_json(d) for n, d in trial.distributions.items()}
    op["params"] = {n: trial.distributions[n].to_internal_repr(v) for n, v in trial.params.items()}
    op["user_attrs"] = trial.user_attrs
    op["system_attrs"] = trial.system_attrs
    op["intermediate_values"] = {str(s): v for s, v in trial.intermediate_values.items()}
    return op


def _replace(path: str, target: str, data: bytes, *, expected_size: int) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it over ``path``."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(
        prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory
    )
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else 0o644
        os.chmod(temporary, mode)
        size = os.path.getsize(path) if os.path.exists(path) else 0
        if size != expected_size:
            raise InvalidArgumentError(
                f"Cannot write to {target}: it changed while the copy was prepared (another "
                "process writes to it). Nothing was written."
            )
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # make the rename durable (best effort)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
