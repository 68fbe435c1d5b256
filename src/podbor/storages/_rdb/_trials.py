"""RDBStorage's trial operations: creating and updating trials, and reading them through the
handle's cache of finished trials."""

from __future__ import annotations

import datetime
from collections.abc import Container, Sequence
from typing import Any

from sqlalchemy import Connection, and_, select

from podbor._gc import paused_gc
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor.distributions import BaseDistribution, distribution_to_json, json_to_distribution
from podbor.exceptions import UpdateFinishedTrialError
from podbor.storages._base import select_trials
from podbor.storages._input_rules import (
    INT_COLUMN_MAX,
    INT_COLUMN_MIN,
    check_name,
    check_param_distribution,
    check_step,
    check_template_trial,
)
from podbor.storages._rdb import _queries as q
from podbor.storages._rdb import models as m
from podbor.storages._rdb._codec import encode_float
from podbor.storages._rdb._connection import RDBConnection
from podbor.storages._rdb._direct import AnyConnection, DirectConnection
from podbor.storages._rdb._rows import (
    insert_template_children,
    load_trials,
    upsert,
    utcnow,
)

__all__ = ["TrialOperations"]


def _finished_error(number: int, state: TrialState) -> UpdateFinishedTrialError:
    return UpdateFinishedTrialError(
        f"Trial {number} has already finished as {state.name} and cannot be updated."
    )


class TrialOperations(RDBConnection):
    """The trial half of the storage contract, on the database."""

    # -- writes -------------------------------------------------------------------------
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        trial_id = self._create_trial(study_id, template_trial, "create_new_trial")
        assert trial_id is not None  # no limit
        return trial_id

    def create_running_trial(
        self,
        study_id: int,
        template_trial: FrozenTrial | None = None,
        *,
        heartbeat: bool = False,
        limit: int | None = None,
    ) -> int | None:
        beat = heartbeat and self._heartbeat.interval is not None
        return self._create_trial(
            study_id, template_trial, "create_running_trial", beat=beat, limit=limit
        )

    def _create_trial(
        self,
        study_id: int,
        template_trial: FrozenTrial | None,
        method: str,
        *,
        beat: bool = False,
        limit: int | None = None,
    ) -> int | None:
        """Insert a trial in one write transaction, under the study's row lock (which orders
        the trials' numbers): with its first heartbeat when ``beat``, and only while fewer than
        ``limit`` trials are not FAIL; None when the limit is reached."""
        if template_trial is not None:
            check_template_trial(template_trial, owner=f"RDBStorage.{method}")
            for name, dist in template_trial.distributions.items():
                self._check_distribution(study_id, name, dist)

        def run(conn: DirectConnection) -> tuple[int, int] | None:
            if conn.execute(q.LOCK_STUDY, {"b_study_id": study_id}).first() is None:
                raise self._no_study(study_id)
            number = conn.execute(q.NEXT_NUMBER, {"b_study_id": study_id}).scalar_one()
            if limit is not None:
                failed = conn.execute(q.FAILED_COUNT, {"b_study_id": study_id}).scalar_one()
                if number - failed >= limit:
                    return None
            if template_trial is None:
                values: dict[str, Any] = {
                    "state": TrialState.RUNNING.value,
                    "datetime_start": datetime.datetime.now(),
                    "datetime_complete": None,
                }
            else:
                values = {
                    "state": template_trial.state.value,
                    "datetime_start": template_trial.datetime_start,
                    "datetime_complete": template_trial.datetime_complete,
                }
            row = {"study_id": study_id, "number": number, **values}
            if conn.dialect.name == "postgresql":  # the driver's lastrowid is no row id there
                trial_id = int(conn.execute(q.INSERT_TRIAL_RETURNING, row).scalar_one())
            else:
                lastrowid = conn.execute(q.INSERT_TRIAL, row).lastrowid
                assert lastrowid is not None
                trial_id = int(lastrowid)
            if template_trial is not None:
                insert_template_children(conn, trial_id, template_trial)
            if beat and values["state"] == TrialState.RUNNING.value:
                conn.execute(q.INSERT_HEARTBEAT, {"trial_id": trial_id, "heartbeat": utcnow()})
            return trial_id, number

        created = self._write_direct(run)
        if created is None:
            return None
        self._cache.remember_study_of(created[0], study_id, created[1])
        return created[0]

    def _check_distribution(self, study_id: int, name: str, dist: BaseDistribution) -> None:
        """Check ``dist`` against the distribution the study used for ``name`` (if any), which
        is read from the database once and then cached."""
        known = self._cache.param_dists(study_id)
        if name not in known:

            def run(conn: Connection) -> str | None:
                row = conn.execute(
                    select(m.trial_params.c.distribution_json)
                    .join(m.trials, m.trials.c.trial_id == m.trial_params.c.trial_id)
                    .where(
                        and_(m.trials.c.study_id == study_id, m.trial_params.c.param_name == name)
                    )
                    .limit(1)
                ).first()
                return None if row is None else str(row[0])

            text = self._read(run)
            if text is not None:
                known.setdefault(name, json_to_distribution(text))
        check_param_distribution(known, name, dist, remember=False)

    def _updatable_state(self, conn: AnyConnection, trial_id: int) -> tuple[int, int]:
        """Lock the trial's row; return its study id and number, or raise if it is unknown or
        finished."""
        row = conn.execute(q.TRIAL_STATE_FOR_UPDATE, {"b_trial_id": trial_id}).first()
        return self._check_updatable(row, trial_id)

    def _check_updatable(self, row: Any, trial_id: int) -> tuple[int, int]:
        """``row`` starts with a trial's state, number and study id (None: no such trial);
        return the study id and number, or raise if the trial is unknown or finished."""
        if row is None:
            raise KeyError(f"No trial with id {trial_id} exists in {self._display_url}.")
        state = TrialState(row[0])
        if state.is_finished():
            raise _finished_error(row[1], state)
        return int(row[2]), int(row[1])

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        check_name(param_name, "param_name", owner="RDBStorage.set_trial_param")
        study_id = self._study_of_trial(trial_id)
        self._check_distribution(study_id, param_name, distribution)
        text = distribution_to_json(distribution)

        value = float(param_value_internal)
        key = {"b_trial_id": trial_id, "b_name": param_name}
        new = {**key, "b_value": value, "b_dist": text}

        def insert_new(conn: DirectConnection) -> bool:
            return bool(conn.execute(q.INSERT_NEW_PARAM, new).rowcount == 1)

        def run(conn: DirectConnection) -> None:
            row = conn.execute(q.PARAM_SLOT, key).first()  # locks the trial: nobody else counts
            self._check_updatable(row, trial_id)
            assert row is not None  # the check raises for an unknown trial
            n_params, known = row[3], row[4]
            if known:
                conn.execute(q.UPDATE_PARAM, {**key, "b_value": value, "b_dist": text})
                return
            conn.execute(
                q.INSERT_PARAM,
                {
                    "trial_id": trial_id,
                    "param_name": param_name,
                    "param_value": value,
                    "distribution_json": text,
                    "param_index": n_params,  # after the trial's other params
                },
            )

        # a new parameter of an open trial: one statement, committed by itself; otherwise
        # (the trial unknown or finished, or the parameter there) the transaction below decides
        if not self._write_direct(insert_new, single=True):
            self._write_direct(run)
        self._cache.param_dists(study_id).setdefault(param_name, distribution)

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        def run(conn: DirectConnection) -> bool:
            now = datetime.datetime.now()
            if state == TrialState.RUNNING:
                result = conn.execute(q.CLAIM, {"b_trial_id": trial_id, "b_now": now})
                if result.rowcount == 1:
                    return True
                self._updatable_state(conn, trial_id)  # raises if finished or missing
                return False
            complete = now if state.is_finished() else None
            change = {"b_trial_id": trial_id, "b_state": state.value, "b_complete": complete}
            if conn.execute(q.SET_STATE_IF_OPEN, change).rowcount != 1:
                self._updatable_state(conn, trial_id)  # raises: finished or missing
                conn.execute(q.SET_STATE, change)  # not reached while the row is locked
            if values is not None:
                conn.execute(q.DELETE_VALUES, {"b_trial_id": trial_id})
                conn.execute(
                    q.INSERT_VALUE,
                    [
                        {"trial_id": trial_id, "objective": i, "value": v, "value_type": t}
                        for i, (v, t) in enumerate(encode_float(float(x)) for x in values)
                    ],
                )
            return True

        return self._write_direct(run)

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        step = check_step(step, owner="RDBStorage.set_trial_intermediate_value")
        value, value_type = encode_float(float(intermediate_value))

        def run(conn: DirectConnection) -> None:
            self._updatable_state(conn, trial_id)
            upsert(
                conn,
                m.trial_intermediate_values,
                {"trial_id": trial_id, "step": int(step)},
                {"value": value, "value_type": value_type},
            )

        self._write_direct(run)

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_attr(m.trial_user_attrs, trial_id, self._updatable_state, "user", key, value)

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        self._set_attr(m.trial_system_attrs, trial_id, self._updatable_state, "system", key, value)

    # -- reads --------------------------------------------------------------------------
    def _study_of_trial(self, trial_id: int) -> int:
        """The id of a running trial's study; raises if the trial is known finished or unknown."""
        cached = self._cache.finished_trial(trial_id)
        if cached is not None:
            raise _finished_error(cached.number, cached.state)
        study_id = self._cache.study_of(trial_id)
        if study_id is not None:
            return study_id

        def run(conn: Connection) -> int:
            row = conn.execute(q.TRIAL_STUDY, {"b_trial_id": trial_id}).first()
            if row is None:
                raise KeyError(f"No trial with id {trial_id} exists in {self._display_url}.")
            return int(row[0])

        study_id = self._read(run)
        self._cache.remember_study_of(trial_id, study_id)
        return study_id

    def get_trial_number_from_id(self, trial_id: int) -> int:
        number = self._cache.number_of(trial_id)
        if number is not None:
            return number
        row = self._read_direct(
            lambda conn: conn.execute(q.TRIAL_NUMBER, {"b_trial_id": trial_id}).first()
        )
        if row is None:
            raise KeyError(f"No trial with id {trial_id} exists in {self._display_url}.")
        return int(row[0])

    def get_trial(self, trial_id: int) -> FrozenTrial:
        cached = self._cache.finished_trial(trial_id)
        if cached is not None:
            return cached

        def run(conn: DirectConnection) -> FrozenTrial:
            loaded = load_trials(conn, [trial_id])
            if trial_id not in loaded:
                raise KeyError(f"No trial with id {trial_id} exists in {self._display_url}.")
            return loaded[trial_id]

        trial = self._read_direct(run)
        self._cache.remember_finished(trial)
        return trial

    def get_all_trials(
        self, study_id: int, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        return select_trials(self._refresh(study_id), states, deepcopy)

    def _refresh(self, study_id: int) -> list[FrozenTrial]:
        """Return every trial of the study, loading only those not cached as finished."""
        watermark, known = self._cache.watermark(study_id)

        def run(conn: Connection) -> tuple[list[tuple[int, int]], dict[int, FrozenTrial]]:
            rows = conn.execute(
                q.TRIALS_FROM, {"b_study_id": study_id, "b_watermark": watermark}
            ).all()
            if not rows and watermark == 0:
                self._study_exists(conn, study_id)
            need = [int(tid) for tid, number in rows if number not in known]
            return [(int(a), int(b)) for a, b in rows], load_trials(conn, need)

        # The first load builds every trial (many lasting objects, no cycles): the collector
        # waits. Later refreshes read only new and unfinished trials, and pause nothing, so
        # that threads refreshing all the time never keep the collector off between them.
        with paused_gc(watermark == 0 and not known):
            rows, loaded = self._read(run)
            if any(t.state == TrialState.COMPLETE for t in loaded.values()):
                self.get_study_directions(study_id)  # known before the best trial is kept
            return self._cache.merge(study_id, watermark, rows, loaded)

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        directions = self.get_study_directions(study_id)
        if len(directions) > 1:
            return super().get_best_trial(study_id)
        self._refresh(study_id)
        best = self._cache.best(study_id)
        if best is None:
            raise ValueError("No trials are completed yet.")
        return best

    def get_best_trial_only(self, study_id: int) -> FrozenTrial:
        directions = self.get_study_directions(study_id)
        if len(directions) > 1:
            return super().get_best_trial(study_id)
        query = q.BEST_MAX if directions[0] == StudyDirection.MAXIMIZE else q.BEST_MIN
        row = self._read(lambda conn: conn.execute(query, {"b_study_id": study_id}).first())
        if row is None:
            raise ValueError("No trials are completed yet.")
        return self.get_trial(int(row[0]))

    def get_n_trials(
        self, study_id: int, state: Container[TrialState] | TrialState | None = None
    ) -> int:
        states = (state,) if isinstance(state, TrialState) else state

        def run(conn: Connection) -> list[Any]:
            rows = conn.execute(q.STATE_COUNTS, {"b_study_id": study_id}).all()
            if not rows:
                self._study_exists(conn, study_id)
            return list(rows)

        rows = self._read(run)
        return sum(int(n) for s, n in rows if states is None or TrialState(s) in states)

    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        def run(conn: Connection) -> int:
            if (
                not INT_COLUMN_MIN <= trial_number <= INT_COLUMN_MAX
            ):  # no such trial (nor column value)
                row = None
            else:
                row = conn.execute(
                    q.TRIAL_ID_BY_NUMBER, {"b_study_id": study_id, "b_number": trial_number}
                ).first()
            if row is None:
                raise KeyError(f"No trial with number {trial_number} exists in study {study_id}.")
            return int(row[0])

        return self._read(run)
