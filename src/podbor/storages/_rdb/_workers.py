"""RDBStorage's coordination of workers: claiming queued trials, heartbeats of running trials,
and failing the trials of workers that died."""

from __future__ import annotations

import datetime

from sqlalchemy import Connection

from podbor.storages._rdb import _queries as q
from podbor.storages._rdb import models as m
from podbor.storages._rdb._connection import RDBConnection
from podbor.storages._rdb._rows import upsert, utcnow

__all__ = ["WorkerOperations"]


class WorkerOperations(RDBConnection):
    """Claims, heartbeats and stale trials, each in one write transaction."""

    def claim_waiting_trial(self, study_id: int) -> int | None:
        return self.claim_running_trial(study_id)

    def claim_running_trial(self, study_id: int, *, heartbeat: bool = False) -> int | None:
        beat = heartbeat and self._heartbeat.interval is not None

        def run(conn: Connection) -> int | None:
            candidates = conn.execute(q.WAITING, {"b_study_id": study_id}).all()
            if not candidates:
                return -1
            now = datetime.datetime.now()
            for (trial_id,) in candidates:
                result = conn.execute(q.CLAIM, {"b_trial_id": trial_id, "b_now": now})
                if result.rowcount == 1:
                    if beat:  # the first heartbeat, in the transaction of the claim
                        upsert(
                            conn,
                            m.trial_heartbeats,
                            {"trial_id": trial_id},
                            {"heartbeat": utcnow()},
                        )
                    return int(trial_id)
            return None

        # A read first: most studies have no WAITING trial, and a read takes no write lock (a
        # trial enqueued just after it is claimed by the next trial started, as if it came later).
        if not self._read_direct(
            lambda conn: conn.execute(q.ANY_WAITING, {"b_study_id": study_id}).first()
        ):
            return None
        while True:  # None: every candidate was taken by others meanwhile, look again
            claimed = self._write(run)
            if claimed is not None:
                return None if claimed == -1 else claimed

    def record_heartbeat(self, trial_id: int) -> None:
        now = utcnow()

        self._write_direct(
            lambda conn: upsert(
                conn, m.trial_heartbeats, {"trial_id": trial_id}, {"heartbeat": now}
            )
        )

    def get_trial_heartbeat(self, trial_id: int) -> datetime.datetime | None:
        def run(conn: Connection) -> datetime.datetime | None:
            beat: datetime.datetime | None = conn.execute(
                q.HEARTBEAT, {"b_trial_id": trial_id}
            ).scalar_one_or_none()
            return beat

        beat = self._read(run)
        return None if beat is None else beat.replace(tzinfo=datetime.timezone.utc)

    def fail_stale_trials(self, study_id: int) -> list[int]:
        if self._heartbeat.grace_period is None:
            return []
        deadline = utcnow() - datetime.timedelta(seconds=self._heartbeat.grace_period)

        find = {"b_study_id": study_id, "b_deadline": deadline}

        def run(conn: Connection) -> list[int]:
            stale = conn.execute(q.STALE, find).all()
            failed = []
            now = datetime.datetime.now()
            for (trial_id,) in stale:
                result = conn.execute(q.FAIL_IF_RUNNING, {"b_trial_id": trial_id, "b_now": now})
                if result.rowcount == 1:
                    failed.append(int(trial_id))
            return failed

        # A read first: a worker asks before every trial and almost always finds none; a read
        # takes no write lock and, on the hot path's connection, costs one round trip.
        if not self._read_direct(lambda conn: conn.execute(q.STALE, find).first()):
            return []
        return self._write(run)
