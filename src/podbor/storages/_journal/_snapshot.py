"""A snapshot beside a long journal: the replayed state up to a line, so that a new handle on a
10⁵-trial journal reads its trials in a few lines instead of replaying ~6 operations a trial.

The snapshot is a cache, never the truth. It lives in ``<journal>.snapshot`` and is used only
when it still matches the journal: the journal is at least as long as the part the snapshot
covers, and the last 64 KiB of that part hash the same as when the snapshot was made (every line
holds its writer's random id and sequence number, so another journal does not match). A
snapshot that is missing, unreadable, damaged, of another format or of another journal is
ignored with a debug message, and the journal is replayed from its first line as before; a
folder the process cannot write to just gets no snapshot. Lines before a snapshot's offset never
change (the journal is append-only, and a torn tail is only ever cut after the last complete
line), so the state it holds is the state the replay would rebuild.

**Blocks.** The file is a run of blocks, each a head line, one line per trial, and an end line.
The first block holds every trial (it is written to a temporary file, then renamed over the old
snapshot, so a reader sees a whole one or the previous one; never over a snapshot that reaches
further). A handle that keeps reading a growing journal (a worker of a long study) then
*appends* a block every :data:`SNAPSHOT_LINES` lines with only the trials that changed since
the line ``since`` up to which it knows the snapshot to hold its state: cheap (the trials of
the last 20,000 lines: ~80 ms at 10⁵ trials, against ~2 s for the whole), so the next handle
never replays many lines. One handle appends at a time (``<journal>.snapshot.lock``, held for
one append or rename; a busy lock means "try again on a later read", and a lock left by a killed
writer is broken after 30 s). The lock only saves work: a reader takes the blocks in order,
each trial's latest line winning, stops at a block that is torn (no end line, too few trials),
and skips one that is not newer than the last block it took (``line``) or starts from a line
that block does not reach (``since``), so a broken lock costs a block, never a wrong state. A
handle finds the end line of the last block before appending; when its own ``since`` is not
covered there (another handle rewrote the file, or the file ends torn) it rewrites the whole
snapshot instead, as it does when the file holds more than twice as many trial lines as trials.

File format: strict JSON lines, like the journal. A block's head holds the format, the part of
the journal covered (byte offset, line number, hash) and ``since``, the ids to hand out next,
the distributions its trials use (JSON texts, referred to by position), the studies
(attributes, the first distribution of each parameter name, WAITING trials oldest first, the
best trial, the number of trials) and the heartbeats of RUNNING trials; then the trials, as
columns, one line per chunk of up to :data:`._columns.CHUNK_TRIALS` trials (:mod:`._columns`:
numbers and times in binary, attributes encoded as in journal lines, :mod:`._codec`); then
``{"end": line, "rows": k, "total": n, "version": 3}`` (the trials of this block and of the
whole file). Version 3 (chunks of columns) replaced version 2 (a JSON line per trial, twice
as slow to write): a snapshot of another version is ignored and written anew (its end line
does not count as reaching any line). A podbor that writes version 2 cannot read version 3
and replays such a journal in full.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor.distributions import BaseDistribution, distribution_to_json
from podbor.logging import get_logger
from podbor.storages._journal._codec import decode_attrs, encode_attrs
from podbor.storages._journal._columns import CHUNK_TRIALS, decode_chunk, encode_chunk
from podbor.storages._journal._model import JournalModel
from podbor.storages._records import StudyRecord

__all__ = [
    "SNAPSHOT_LINES",
    "append_snapshot",
    "decode_snapshot",
    "encode_snapshot",
    "load_snapshot",
    "record_hash",
    "save_snapshot",
    "snapshot_end",
    "snapshot_head",
    "snapshot_path",
]

_logger = get_logger(__name__)

SNAPSHOT_LINES = 20_000
"""A handle that replays at least this many lines on opening a journal writes a snapshot, and a
handle that keeps reading a growing journal appends a block every this many lines."""

FORMAT = "podbor-journal-snapshot"
VERSION = 3
_TAIL = 1 << 16  # bytes of the journal, ending at the snapshot's offset, that must hash the same
_END_BYTES = 512  # an end line is far shorter
_END_KEYS = ("end", "rows", "total")


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


def _end_of(data: bytes) -> dict[str, int] | None:
    """The end line that ``data`` (the file's last bytes) ends with, or None (also for the end
    of a snapshot of another format version: one that this podbor cannot read does not count
    as reaching any line, so it is written over)."""
    if not data.endswith(b"\n"):
        return None  # torn
    last = data[data.rfind(b"\n", 0, len(data) - 1) + 1 :]
    try:
        end = json.loads(last)
    except ValueError:
        return None
    if not isinstance(end, dict) or not all(type(end.get(k)) is int for k in _END_KEYS):
        return None
    return end if end.get("version") == VERSION else None


def _end_at(fd: int) -> dict[str, int] | None:
    """The end line the open snapshot ``fd`` ends with, or None."""
    size = os.fstat(fd).st_size
    return _end_of(os.pread(fd, _END_BYTES, max(0, size - _END_BYTES)))


def snapshot_end(journal_path: str) -> int | None:
    """The line number the snapshot on disk reaches, as its last end line says (not checked
    against the journal: only to skip writing one that another process just wrote)."""
    try:
        fd = os.open(snapshot_path(journal_path), os.O_RDONLY)
    except OSError:
        return None
    try:
        end = _end_at(fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    return None if end is None else end["end"]


# -- writing ----------------------------------------------------------------------------------
_STALE_LOCK = 30.0
"""Seconds after which a snapshot lock is taken to be a killed writer's and is broken."""


@contextlib.contextmanager
def _locked(target: str) -> Iterator[bool]:
    """Hold ``<snapshot>.lock`` (True), or not when another handle holds it (False).

    The lock only keeps handles from appending at the same moment (every reader checks each
    block anyway, so a broken lock costs a block, never a wrong state); it is held for one
    append or one rename, and one left by a killed writer is broken after ``_STALE_LOCK``
    seconds."""
    path = target + ".lock"
    for _ in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            with contextlib.suppress(OSError):
                if time.time() - os.stat(path).st_mtime > _STALE_LOCK:
                    os.unlink(path)
                    continue
            yield False
            return
        os.close(fd)
        try:
            yield True
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)
        return
    yield False


def save_snapshot(journal_path: str, model: JournalModel, offset: int, line: int) -> bool:
    """Write the snapshot of ``model``, the journal replayed up to ``offset`` (where line number
    ``line`` starts), as one block of every trial, unless the snapshot on disk already reaches
    ``line``; False when it could not be written (e.g. a read-only folder)."""
    target = snapshot_path(journal_path)
    temporary = f"{target}.{uuid.uuid4().hex[:12]}.tmp"
    trials = [(i, t) for i, study in model.studies.items() for t in study.trials]
    try:
        text = _block(model, trials, offset, line, None, _tail_hash(journal_path, offset), 0)
        with open(temporary, "w", encoding="ascii") as f:
            for part in text:
                f.write(part)
            f.flush()
            os.fsync(f.fileno())
        with _locked(target) as mine:
            on_disk = snapshot_end(journal_path)
            if not mine or (on_disk is not None and on_disk >= line):
                os.unlink(temporary)  # never an older snapshot over a newer one
                return mine
            os.replace(temporary, target)
    except (OSError, ValueError) as err:  # not ours to write, or a value JSON cannot hold
        _logger.debug(f"No snapshot written beside the journal {journal_path!r}: {err}")
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False
    return True


def append_snapshot(
    journal_path: str, model: JournalModel, offset: int, line: int, since: int
) -> bool | None:
    """Bring the snapshot up to ``line`` (the journal replayed up to ``offset``): append a block
    of the trials changed since line ``since`` (``model.changed``) when the file's last block
    reaches ``since``, else rewrite it whole; nothing when it already reaches ``line``. True
    when the snapshot on disk now holds the state at ``line`` or later, False when it could not
    be written, None when another handle is appending (try again later)."""
    target = snapshot_path(journal_path)
    try:
        fd = os.open(target, os.O_RDWR | os.O_APPEND)
    except OSError:
        return save_snapshot(journal_path, model, offset, line)
    whole = False
    try:
        with _locked(target) as mine:
            if not mine:
                return None
            end = _end_at(fd)
            if end is not None and end["end"] >= line:
                return True  # another handle got there first
            n_trials = sum(len(study.trials) for study in model.studies.values())
            whole = (
                end is None
                or not since <= end["end"]
                or end["total"] + len(model.changed) > 2 * n_trials + SNAPSHOT_LINES
            )
            if not whole and end is not None:
                trials = [model.owner[i] for i in sorted(model.changed) if i in model.owner]
                rows = [(i, model.studies[i].trials[number]) for i, number in trials]
                tail = _tail_hash(journal_path, offset)
                text = "".join(_block(model, rows, offset, line, since, tail, end["total"]))
                data = text.encode("ascii")
                while data:  # one write in all but the rarest case; readers check every block
                    data = data[os.write(fd, data) :]
                os.fsync(fd)
    except (OSError, ValueError) as err:
        _logger.debug(f"No snapshot block appended beside the journal {journal_path!r}: {err}")
        return False
    finally:
        os.close(fd)
    return save_snapshot(journal_path, model, offset, line) if whole else True


_ENCODER = json.JSONEncoder(allow_nan=False, separators=(",", ":"))  # made once


def _dumps(value: Any) -> str:
    return _ENCODER.encode(value) + "\n"


def _block(
    model: JournalModel,
    trials: list[tuple[int, FrozenTrial]],
    offset: int,
    line: int,
    since: int | None,
    tail: str,
    total: int,
) -> Iterator[str]:
    """The lines of one block: its head, the chunks of ``trials`` (study id, trial), its end
    (``total``: the trials of the file before it). The chunks are encoded first: they fill the
    head's table of distributions."""
    dists: dict[int, int] = {}  # id(distribution) -> position in the block's table
    table: list[str] = []

    def index(dist: BaseDistribution) -> int:
        at = dists.get(id(dist))
        if at is None:
            at = dists[id(dist)] = len(table)
            table.append(distribution_to_json(dist))
        return at

    chunks = [
        _dumps(encode_chunk(trials[at : at + CHUNK_TRIALS], dists, index))
        for at in range(0, len(trials), CHUNK_TRIALS)
    ]
    studies = [
        {
            "id": study_id,
            "name": study.name,
            "directions": [d.name for d in study.directions],
            "user_attrs": encode_attrs(study.user_attrs, "user"),
            "system_attrs": encode_attrs(study.system_attrs, "system"),
            "dists": {name: index(dist) for name, dist in study.dists.items()},
            "waiting": list(study.waiting),
            "best": None if study.best is None else study.best.number,
            "n_trials": len(study.trials),
        }
        for study_id, study in model.studies.items()
    ]
    yield _dumps(
        {
            "format": FORMAT,
            "version": VERSION,
            "offset": offset,
            "line": line,
            "since": since,
            "tail_sha256": tail,
            "next_study_id": model.next_study_id,
            "next_trial_id": model.next_trial_id,
            "distributions": table,
            "studies": studies,
            "heartbeats": [[trial_id, beat] for trial_id, beat in model.heartbeats.items()],
        }
    )
    yield from chunks
    yield _dumps(
        {"end": line, "rows": len(trials), "total": total + len(trials), "version": VERSION}
    )


# -- reading ----------------------------------------------------------------------------------
def load_snapshot(journal_path: str, where: str) -> tuple[JournalModel, int, int] | None:
    """The state the snapshot of ``journal_path`` holds, with the byte offset and line number
    to replay on from; None when there is no usable snapshot (replay from the first line)."""
    model = JournalModel(where)
    try:
        with open(snapshot_path(journal_path), "rb") as f:
            offset, line = _load(f, lambda offset: _tail_hash(journal_path, offset), model)
    except FileNotFoundError:
        return None
    except Exception as err:  # a cache that cannot be used, whatever is wrong with it
        _logger.debug(f"Ignored the snapshot beside the journal {journal_path!r}: {err!r}")
        return None
    return model, offset, line


def encode_snapshot(model: JournalModel, position: int, tail: str) -> bytes:
    """The snapshot of a log backend's journal (:class:`~.base.BaseJournalSnapshot`):
    ``model`` replayed up to record ``position``, as one block of every trial (the file's
    format, its offset the number of records and its line ``position + 1``); ``tail`` is the
    hash of the record before ``position`` (:func:`record_hash`)."""
    trials = [(i, t) for i, study in model.studies.items() for t in study.trials]
    text = "".join(_block(model, trials, position, position + 1, None, tail, 0))
    return text.encode("ascii")


def decode_snapshot(
    data: bytes, tail_of: Callable[[int], str], where: str
) -> tuple[JournalModel, int, int] | None:
    """The state a log backend's snapshot holds, with the record position and line number to
    replay on from; None when it cannot be used (damaged, of another format or another
    journal: ``tail_of(position)`` must give the hash it was made with)."""
    model = JournalModel(where)
    try:
        position, line = _load(iter(data.splitlines(keepends=True)), tail_of, model)
    except Exception as err:  # a cache that cannot be used, whatever is wrong with it
        _logger.debug(f"Ignored the snapshot of {where}: {err!r}")
        return None
    return model, position, line


def snapshot_head(data: bytes | None) -> tuple[int, str] | None:
    """The record position a log backend's snapshot reaches and the hash it holds of the
    record before it, read from its head alone (to tell whether another handle saved one
    lately, without decoding it); None for no snapshot or one podbor cannot read."""
    if not data:
        return None
    end = data.find(b"\n")
    try:
        head = json.loads(data if end < 0 else data[:end])
    except ValueError:
        return None
    if not isinstance(head, dict) or head.get("version") != VERSION:
        return None
    position, tail = head.get("offset"), head.get("tail_sha256")
    if type(position) is not int or position < 1 or not isinstance(tail, str):
        return None
    return position, tail


def record_hash(record: Any) -> str:
    """The hash a log backend's snapshot keeps of the record it ends after (each podbor record
    holds its writer's random id and sequence number, so another journal's does not match)."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


_Trials = dict[int, tuple[int, FrozenTrial]]  # trial id -> (study id, trial)


def _load(
    lines: Iterator[bytes], tail_of: Callable[[int], str], model: JournalModel
) -> tuple[int, int]:
    """Fill ``model`` from the blocks of ``lines``; ``tail_of(offset)`` is the journal's hash
    of the part before ``offset`` that a block must carry. Returns the offset and line the
    last whole block reaches."""
    head: dict[str, Any] | None = None  # the last whole block's head
    latest: _Trials = {}
    for block_head, block in _blocks(lines, model):
        offset, line, since = block_head["offset"], block_head["line"], block_head["since"]
        if type(offset) is not int or type(line) is not int or offset <= 0 or line < 2:
            raise _Mismatch("bad offset")
        if head is None and since is not None:
            raise _Mismatch("the first block does not hold every trial")
        if head is not None and not (type(since) is int and since <= head["line"] < line):
            continue  # raced: not newer, or from a line not reached; a later block may chain on
        if tail_of(offset) != block_head["tail_sha256"]:
            raise _Mismatch("made from another journal")
        head = block_head
        latest.update(block)
    if head is None:
        raise _Mismatch("no whole block")
    offset, line = head["offset"], head["line"]
    table = [model.distributions.get(text) for text in head["distributions"]]
    by_study: dict[int, list[FrozenTrial | None]] = {}
    for entry in head["studies"]:
        study_id = entry["id"]
        record = StudyRecord(entry["name"], [StudyDirection[d] for d in entry["directions"]])
        record.user_attrs = decode_attrs(entry["user_attrs"])
        record.system_attrs = decode_attrs(entry["system_attrs"])
        record.dists = {name: table[at] for name, at in entry["dists"].items()}
        model.studies[study_id] = record
        model.names[record.name] = study_id
        by_study[study_id] = [None] * entry["n_trials"]
    for study_id, trial in latest.values():
        slots = by_study.get(study_id)
        if slots is None:
            continue  # a deleted study's
        if not 0 <= trial.number < len(slots):
            raise _Mismatch(f"trial number {trial.number!r} out of range")
        slots[trial.number] = trial
    for study_id, slots in by_study.items():
        study = model.studies[study_id]
        for slot in slots:
            if slot is None:
                raise _Mismatch("cut short")
            trial = slot
            study.trials.append(trial)
            model.owner[trial._trial_id] = (study_id, trial.number)
            if trial.state.is_finished():
                study.add_finished(trial)
                if trial.state == TrialState.FAIL:
                    study.failed.add(trial._trial_id)
            elif trial.state == TrialState.RUNNING:
                study.running[trial.number] = None
    for entry in head["studies"]:
        study = model.studies[entry["id"]]
        study.waiting = dict.fromkeys(entry["waiting"])
        best = entry["best"]
        study.best = None if best is None else study.trials[best]
    model.heartbeats = {int(trial_id): float(beat) for trial_id, beat in head["heartbeats"]}
    model.next_study_id, model.next_trial_id = head["next_study_id"], head["next_trial_id"]
    return offset, line


def _blocks(
    lines: Iterator[bytes], model: JournalModel
) -> Iterator[tuple[dict[str, Any], _Trials]]:
    """The whole blocks of the file, in order: each head and its trials by id; ends at the
    first block that is torn or damaged."""
    names, strings = model.param_names, model.strings
    while True:
        try:
            head = json.loads(next(lines))
        except (StopIteration, ValueError):
            return
        if not isinstance(head, dict) or head.get("format") != FORMAT:
            raise _Mismatch(f"not a snapshot this podbor reads: {head!r:.80}")
        if head.get("version") != VERSION:
            raise _Mismatch(f"a snapshot of format version {head.get('version')!r}")
        table = [model.distributions.get(text) for text in head["distributions"]]
        trials: _Trials = {}
        try:
            for raw in lines:
                chunk = json.loads(raw)
                if "end" in chunk:
                    if chunk.get("end") != head["line"] or chunk.get("rows") != len(trials):
                        return
                    break
                trials.update(decode_chunk(chunk, table, names, strings.attrs))
            else:
                return  # torn: no end line
        except (ValueError, KeyError, IndexError, TypeError):
            return  # a damaged or torn line
        yield head, trials
