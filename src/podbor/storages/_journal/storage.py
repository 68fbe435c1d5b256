"""A storage that keeps an append-only journal of operations in a file (no database server), or
in any other journal backend (Redis, a user's own).

Every change is one JSON line appended under the file lock (a log backend has no lock: its
order decides, see below). Before appending, the writer replays
the lines other processes appended since its last read, so each check ("is this trial still
WAITING?", "which number comes next?") is made against the latest state while no one else can
write. Reads replay only the new lines: each handle remembers the byte offset it has read up to.
Results are decided by replay: a trial's id and number are its position among the journal's
operations, and an operation carries its writer's id (``worker``, ``seq``) so the writer learns
the outcome of its own line exactly as every other reader sees it.
"""

from __future__ import annotations

import copy
import datetime
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Container, Sequence
from typing import Any

from podbor._frozen_study import FrozenStudy
from podbor._gc import paused_gc
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor._validation import check_instance
from podbor.distributions import BaseDistribution, distribution_to_json
from podbor.exceptions import PodborError, StorageInternalError
from podbor.logging import get_logger
from podbor.storages._base import select_trials
from podbor.storages._heartbeat import HeartbeatSettings, HeartbeatStorage, StaleTrialCallback
from podbor.storages._input_rules import (
    DEFAULT_STUDY_NAME_PREFIX,
    check_name,
    check_step,
    check_study_name,
    check_template_trial,
)
from podbor.storages._journal._check import MalformedLineError
from podbor.storages._journal._codec import encode_attr, encode_float, encode_template
from podbor.storages._journal._keeper import LogSnapshotKeeper, NoSnapshot, SnapshotKeeper
from podbor.storages._journal._logs import LogJournal
from podbor.storages._journal._model import PROCEED, JournalModel, Op, now_iso
from podbor.storages._journal.backend import HEADER, JournalFileBackend, encode_record
from podbor.storages._journal.base import BaseJournalBackend, BaseJournalSnapshot

__all__ = ["JournalStorage"]

_logger = get_logger(__name__)


class JournalStorage(HeartbeatStorage):
    """Studies in a journal file, shared by processes on one machine or on a network filesystem.

    Use it where no database server is available: several processes on one machine, or
    machines that share an NFS directory. The file is an append-only log of JSON lines (nothing
    is pickled) that survives crashes: a line torn by a killed writer is ignored and cut off by
    the next writer. Each handle keeps the replayed state in memory, so reading the history costs
    only the lines appended since the last read, and the best trial is kept as lines are
    replayed. A handle that replays many lines on opening (20,000 or more) leaves the replayed
    state in ``<file>.snapshot``, a cache the next handle reads before the lines after it (it
    is ignored whenever it does not match the journal, and the journal replayed as before), and
    a handle that keeps reading a growing journal appends the trials changed every 20,000 lines,
    so a new handle never replays many lines.

    The journal may also live elsewhere: in Redis
    (:class:`~podbor.storages.journal.JournalRedisBackend`), or in any
    :class:`~podbor.storages.journal.BaseJournalBackend` of your own. Such a backend has no
    lock and no snapshot: concurrent writes are ordered by the backend, and a new handle
    replays the whole log.

    Args:
        log_storage: The journal, e.g. ``JournalFileBackend("study.log")`` or
            ``JournalRedisBackend("redis://localhost:6379")``.
        heartbeat_interval: Seconds between "still alive" records of a running trial; with it,
            a trial whose worker died (even by SIGKILL) is marked FAIL by the next worker.
        grace_period: Seconds without a heartbeat after which a trial counts as dead; twice the
            interval by default.
        heartbeat_stale_trial_callback: Called as ``callback(study, trial)`` for each trial
            marked FAIL that way, e.g. :class:`~podbor.storages.RetryHeartbeatStaleTrialCallback`.
        failed_trial_callback: Deprecated old name of ``heartbeat_stale_trial_callback``.

    Raises:
        ValueError: If ``log_storage`` is not a journal backend, or the heartbeat settings are
            invalid.

    Example:
        >>> import os, tempfile
        >>> import podbor
        >>> from podbor.storages import JournalFileBackend, JournalStorage
        >>> path = os.path.join(tempfile.mkdtemp(), "study.log")
        >>> storage = JournalStorage(JournalFileBackend(path))
        >>> study = podbor.create_study(storage=storage, study_name="demo")
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> again = JournalStorage(JournalFileBackend(path))
        >>> len(podbor.load_study(study_name="demo", storage=again).trials)
        3
    """

    def __init__(
        self,
        log_storage: JournalFileBackend | BaseJournalBackend,
        *,
        heartbeat_interval: float | None = None,
        grace_period: float | None = None,
        heartbeat_stale_trial_callback: StaleTrialCallback | None = None,
        failed_trial_callback: StaleTrialCallback | None = None,
    ) -> None:
        check_instance(
            log_storage,
            "log_storage",
            (JournalFileBackend, BaseJournalBackend),
            owner="JournalStorage",
            allowed=(
                "a JournalFileBackend or another BaseJournalBackend, e.g. "
                "JournalStorage(JournalFileBackend('study.log'))"
            ),
        )
        self._heartbeat = HeartbeatSettings(
            "JournalStorage",
            heartbeat_interval,
            grace_period,
            heartbeat_stale_trial_callback,
            failed_trial_callback,
        )
        self._backend = log_storage
        # the file backend reads and appends itself (under its lock, with snapshots beside the
        # file); any other backend through LogJournal (no lock; a snapshot where it keeps one)
        self._journal: JournalFileBackend | LogJournal
        self._snapshots: SnapshotKeeper | LogSnapshotKeeper | NoSnapshot
        if isinstance(log_storage, JournalFileBackend):
            self._journal, self._locked = log_storage, True
            self._snapshots = SnapshotKeeper(log_storage.file_path)
            self._first = (len(HEADER), 2)  # the first record's offset and line: after the header
            where = f"the journal {log_storage.file_path!r}"
        else:
            self._journal, self._locked = LogJournal(log_storage), False
            self._snapshots = (
                LogSnapshotKeeper(log_storage, log_storage)
                if isinstance(log_storage, BaseJournalSnapshot)
                else NoSnapshot()
            )
            self._first = LogJournal.first
            where = self._journal.where
        self._lock = threading.RLock()
        self._model = JournalModel(where)
        self._offset = 0
        self._line = 1  # the number of the line that starts at self._offset
        self._worker = uuid.uuid4().hex[:16]
        self._pid = os.getpid()
        self._seq = 0
        self._pending: int | None = None
        self._outcome: tuple[bool, Any] | None = None
        self._open()

    def __getstate__(self) -> dict[str, Any]:
        return {"log_storage": self._backend, **self._heartbeat.as_kwargs()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        backend = state.pop("log_storage")
        self.__init__(backend, **state)  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"JournalStorage({self._backend!r})"

    # -- replay and append ----------------------------------------------------------------
    def _open(self) -> None:
        """Read the journal: from its snapshot on, when one matches, and leave a new snapshot
        behind when many lines had to be replayed (:mod:`._keeper`). The collector is held
        back meanwhile (:func:`~podbor._gc.paused_gc`): a long journal makes ~10 lasting objects
        per trial and no cycles, and its full passes were ~40 % of a 10⁵-trial replay."""
        with paused_gc():
            loaded = self._snapshots.load(self._model.where)
            if loaded is not None:
                self._model, self._offset, self._line = loaded
            self._snapshots.since = self._line
            self._sync(snapshot=False)
            self._snapshots.opened(self._model, self._offset, self._line, loaded=loaded is not None)

    def _sync(self, *, locked: bool = False, snapshot: bool = True) -> None:
        """Replay the lines appended since the last read (``locked``: we hold the file lock;
        ``snapshot``: refresh the snapshot when it is far behind, never under the lock).
        """
        with self._lock:
            parts = self._journal.read_parts(self._offset, locked=locked, line=self._line)
            try:
                for part in parts:  # one part's records in memory at a time
                    if self._pending is None:  # no result awaited: the model's one loop
                        self._model.replay(part.records, self._replay)
                    else:
                        for number, record in part.records:
                            self._replay(record, number)
                    self._model.seal()
                    self._offset, self._line = part.end, part.end_line
            finally:
                parts.close()  # releases the file lock a damaged line made it take
            if snapshot and not locked:
                self._snapshots.keep(self._model, self._offset, self._line)

    def _replay(self, record: Op, number: int) -> None:
        mine = (
            self._pending is not None  # a line of ours is awaited
            and record.get("seq") == self._pending
            and record.get("worker") == self._worker
        )
        self._model.line = number
        try:
            value = self._model.apply(record)
        except Exception as err:
            self._failed(record, number, err, mine=mine)
            return
        if mine:
            self._outcome = (True, value)

    def _failed(self, record: Op, number: int, err: Exception, *, mine: bool) -> None:
        """Say why line ``number`` changed nothing; ``mine``: it is the line this handle awaits."""
        if isinstance(err, MalformedLineError):  # the same for every reader: skipped, said where
            _logger.warning(
                f"Skipped line {number} of {self._model.where}: not an operation podbor writes "
                f"({err}); the lines around it are read."
            )
        elif not mine:  # another writer's line that lost a race, or is malformed
            if isinstance(err, (PodborError, KeyError, ValueError)):
                _logger.debug(f"Journal operation {record.get('op')!r} had no effect: {err}")
            else:
                _logger.warning(f"Skipped a malformed journal line {record!r}: {err!r}")
        if mine:  # the caller raises it
            self._outcome = (False, err)

    def _write(self, make_op: Callable[[], Op | None]) -> Any:
        """Append the operation ``make_op`` builds from the latest state, and return its result.

        ``make_op`` runs under the file lock after the replay of every line others appended; it
        returns None when there is nothing to write. The operation is checked first: a failed
        check raises (nothing is written), and an operation with a foregone result (claiming a
        trial that is no longer WAITING) returns that result without writing.
        """
        with self._lock:
            if self._locked:  # catch up before the file lock (held shorter then);
                # never a snapshot here: a write may be a heartbeat, which must not wait for one
                self._sync(snapshot=False)
            with self._journal.locked():
                while True:
                    self._sync(locked=True)
                    op = make_op()
                    if op is None:
                        return None
                    early = self._model.apply(op, dry_run=True)
                    if early is not PROCEED:
                        return early
                    # without a lock (a log backend) another writer's record may land before
                    # this one: the replay then decides, as the dry run would have
                    done, result = self._append(op)
                    if done:
                        return result

    def _append(self, op: Op) -> tuple[bool, Any]:
        """Append ``op`` and return ``(True, its result)``; ``(False, None)`` if the file had
        lines we had not read (only when a lock was broken too early), to be tried again."""
        if os.getpid() != self._pid:  # a forked copy of this handle: a worker of its own
            self._worker, self._pid = uuid.uuid4().hex[:16], os.getpid()
        self._seq += 1
        op["worker"], op["seq"] = self._worker, self._seq
        line = encode_record(op)
        self._pending, self._outcome = self._seq, None
        try:
            expected = self._offset if self._offset else self._first[0]
            number = self._line if self._offset else self._first[1]
            try:
                landed = self._journal.append([line], at=self._offset, line=self._line)
            except OSError as err:
                raise StorageInternalError(
                    f"Could not append to {self._model.where}: {err}"
                ) from err
            if landed is None:
                return False, None
            if landed[0] == expected:  # the usual case: nobody wrote meanwhile
                self._replay(json.loads(line), number)
                self._model.seal()
                self._offset, self._line = landed[1], number + 1
            else:  # another writer appended too (a lock broken too early): read it all
                self._sync(locked=True)
            outcome = self._outcome
        finally:
            self._pending = None
        if outcome is None:
            raise StorageInternalError(
                f"The line just appended to {self._model.where} was not found when reading it back."
            )
        ok, value = outcome
        if not ok:
            raise value
        return True, value

    def _read(self, fn: Callable[[JournalModel], Any]) -> Any:
        with self._lock:
            self._sync()
            return fn(self._model)

    # -- studies ------------------------------------------------------------------------
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        name = DEFAULT_STUDY_NAME_PREFIX + str(uuid.uuid4()) if study_name is None else study_name
        check_study_name(name, owner="JournalStorage.create_new_study")
        names = [StudyDirection(d).name for d in directions]
        return int(self._write(lambda: {"op": "create_study", "name": name, "directions": names}))

    def delete_study(self, study_id: int) -> None:
        self._write(lambda: {"op": "delete_study", "study_id": study_id})

    def _set_study_attr(self, study_id: int, kind: str, key: str, value: Any) -> None:
        encoded = encode_attr(value, kind, key)
        self._write(
            lambda: {
                "op": "set_study_attr",
                "study_id": study_id,
                "kind": kind,
                "key": key,
                "value": encoded,
            }
        )

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(study_id, "user", key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_study_attr(study_id, "system", key, value)

    def get_study_id_from_name(self, study_name: str) -> int:
        check_study_name(study_name, owner="JournalStorage.get_study_id_from_name")
        return int(self._read(lambda m: m.study_id(study_name)))

    def get_study_name_from_id(self, study_id: int) -> str:
        return str(self._read(lambda m: m.study(study_id).name))

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        return list(self._read(lambda m: m.study(study_id).directions))

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return dict(self._read(lambda m: copy.deepcopy(m.study(study_id).user_attrs)))

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return dict(self._read(lambda m: copy.deepcopy(m.study(study_id).system_attrs)))

    def get_all_studies(self) -> list[FrozenStudy]:
        return list(self._read(lambda m: m.frozen_studies()))

    # -- trials: writes -----------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        if template_trial is not None:
            check_template_trial(template_trial, owner="JournalStorage.create_new_trial")
        template = None if template_trial is None else encode_template(template_trial)

        def make_op() -> Op:
            op: Op = {"op": "create_trial", "study_id": study_id, "time": now_iso()}
            if template is not None:
                op["template"] = template
            return op

        return int(self._write(make_op))

    def create_running_trial(
        self,
        study_id: int,
        template_trial: FrozenTrial | None = None,
        *,
        heartbeat: bool = False,
        limit: int | None = None,
    ) -> int | None:
        if template_trial is not None:
            check_template_trial(template_trial, owner="JournalStorage.create_running_trial")
        template = None if template_trial is None else encode_template(template_trial)
        beat = heartbeat and self._heartbeat.interval is not None

        def make_op() -> Op | None:  # under the file lock, after every other writer's lines
            if limit is not None and self._model.study(study_id).count_not_failed() >= limit:
                return None
            op: Op = {"op": "create_trial", "study_id": study_id, "time": now_iso()}
            if template is not None:
                op["template"] = template
            if beat:
                op["beat"] = time.time()
            if limit is not None and not self._locked:  # no lock: the replay keeps the budget
                op["limit"] = limit
            return op

        trial_id = self._write(make_op)
        return None if trial_id is None else int(trial_id)

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        check_name(param_name, "param_name", owner="JournalStorage.set_trial_param")
        op = {
            "op": "set_param",
            "trial_id": trial_id,
            "name": param_name,
            "value": encode_float(param_value_internal),
            "dist": distribution_to_json(distribution),
        }
        self._write(lambda: op)

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        encoded = None if values is None else [encode_float(v) for v in values]
        current = self.get_trial(trial_id).state
        self.check_trial_is_updatable(trial_id, current)
        if state == TrialState.RUNNING and current != TrialState.WAITING:
            return False  # already claimed: no need to take the file lock
        return bool(
            self._write(
                lambda: {
                    "op": "set_state",
                    "trial_id": trial_id,
                    "state": state.name,
                    "values": encoded,
                    "time": now_iso(),
                }
            )
        )

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        step = check_step(step, owner="JournalStorage.set_trial_intermediate_value")
        op = {
            "op": "set_report",
            "trial_id": trial_id,
            "step": step,
            "value": encode_float(intermediate_value),
        }
        self._write(lambda: op)

    def _set_trial_attr(self, trial_id: int, kind: str, key: str, value: Any) -> None:
        op = {
            "op": "set_trial_attr",
            "trial_id": trial_id,
            "kind": kind,
            "key": key,
            "value": encode_attr(value, kind, key),
        }
        self._write(lambda: op)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(trial_id, "user", key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_trial_attr(trial_id, "system", key, value)

    def claim_waiting_trial(self, study_id: int) -> int | None:
        return self.claim_running_trial(study_id)

    def claim_running_trial(self, study_id: int, *, heartbeat: bool = False) -> int | None:
        beat = heartbeat and self._heartbeat.interval is not None
        while True:
            if not self._read(lambda m: bool(m.study(study_id).waiting)):
                return None  # nothing waits: no need to take the file lock
            done, trial_id = self._claim_oldest(study_id, beat)
            if done:
                return trial_id
            # not done: another writer claimed it at the same time (a lock broken too early)

    def _claim_oldest(self, study_id: int, beat: bool) -> tuple[bool, int | None]:
        chosen: list[int] = []

        def make_op() -> Op | None:
            waiting = self._model.study(study_id).waiting
            if not waiting:
                return None
            chosen.append(next(iter(waiting)))
            op: Op = {
                "op": "set_state",
                "trial_id": chosen[0],
                "state": TrialState.RUNNING.name,
                "values": None,
                "time": now_iso(),
            }
            if beat:
                op["beat"] = time.time()
            return op

        claimed = self._write(make_op)
        if claimed is None:
            return True, None
        return bool(claimed), chosen[0]

    # -- trials: reads ------------------------------------------------------------------
    def get_trial(self, trial_id: int) -> FrozenTrial:
        trial: FrozenTrial = self._read(lambda m: m.trial(trial_id)[1])
        return trial

    def get_all_trials(
        self, study_id: int, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        trials = self._read(lambda m: m.study(study_id).select(states))  # sealed: never mutated
        return select_trials(trials, None, deepcopy)

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        return int(self._read(lambda m: m.study(study_id).trial_id(study_id, trial_number)))

    def get_trial_number_from_id(self, trial_id: int) -> int:
        return int(self._read(lambda m: m.trial(trial_id)[1].number))

    def get_n_trials(
        self, study_id: int, state: Container[TrialState] | TrialState | None = None
    ) -> int:
        chosen = (state,) if isinstance(state, TrialState) else state
        return int(self._read(lambda m: m.study(study_id).count(chosen)))

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        def run(m: JournalModel) -> tuple[int, FrozenTrial | None]:
            study = m.study(study_id)
            return len(study.directions), study.best

        n_objectives, best = self._read(run)
        if n_objectives > 1 or best is None:
            return super().get_best_trial(study_id)  # raises the contract's errors
        trial: FrozenTrial = best
        return trial

    # -- heartbeat ----------------------------------------------------------------------
    def record_heartbeat(self, trial_id: int) -> None:
        if self._heartbeat.interval is None:
            return
        self._write(lambda: {"op": "heartbeat", "trial_id": trial_id, "time": time.time()})

    def get_trial_heartbeat(self, trial_id: int) -> datetime.datetime | None:
        return self._read(lambda m: m.last_beat(trial_id))  # type: ignore[no-any-return]

    def fail_stale_trials(self, study_id: int) -> list[int]:
        grace = self._heartbeat.grace_period
        if grace is None:
            return []
        if not self._read(lambda m: m.stale_trials(study_id, time.time() - grace)):
            return []  # nothing stale: no need to take the file lock

        def make_op() -> Op | None:
            stale = self._model.stale_trials(study_id, time.time() - grace)
            return {"op": "fail_stale", "trial_ids": stale, "time": now_iso()} if stale else None

        failed = self._write(make_op)
        return [] if failed is None else [int(i) for i in failed]

    def remove_session(self) -> None:
        """Nothing to release: the file is opened only for each read or append."""
