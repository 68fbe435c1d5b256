"""RDBStorage's study operations: creating, deleting, naming and describing studies."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, delete, insert, select
from sqlalchemy.exc import IntegrityError

from podbor._frozen_study import FrozenStudy
from podbor._study_direction import StudyDirection
from podbor.exceptions import DuplicatedStudyError, StudyNotFoundError
from podbor.storages._input_rules import DEFAULT_STUDY_NAME_PREFIX, check_study_name
from podbor.storages._rdb import _queries as q
from podbor.storages._rdb import models as m
from podbor.storages._rdb._codec import decode_json
from podbor.storages._rdb._connection import RDBConnection
from podbor.storages._rdb._rows import TRIAL_CHILDREN, inserted_id

__all__ = ["StudyOperations"]


class StudyOperations(RDBConnection):
    """The study half of the storage contract, on the database."""

    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        name = DEFAULT_STUDY_NAME_PREFIX + str(uuid.uuid4()) if study_name is None else study_name
        check_study_name(name, owner="RDBStorage.create_new_study")

        def run(conn: Connection) -> int:
            result = conn.execute(insert(m.studies).values(study_name=name))
            study_id = inserted_id(result)
            conn.execute(
                insert(m.study_directions),
                [
                    {"study_id": study_id, "objective": i, "direction": int(d)}
                    for i, d in enumerate(directions)
                ],
            )
            return study_id

        try:
            return self._write(run)
        except IntegrityError:
            raise DuplicatedStudyError(
                f"Another study with name {name!r} already exists in {self._display_url}."
            ) from None

    def delete_study(self, study_id: int) -> None:
        def run(conn: Connection) -> None:
            self._study_exists(conn, study_id)
            trial_ids = select(m.trials.c.trial_id).where(m.trials.c.study_id == study_id)
            for table in TRIAL_CHILDREN:
                conn.execute(delete(table).where(table.c.trial_id.in_(trial_ids)))
            conn.execute(delete(m.trials).where(m.trials.c.study_id == study_id))
            for table in (m.study_user_attrs, m.study_system_attrs, m.study_directions):
                conn.execute(delete(table).where(table.c.study_id == study_id))
            conn.execute(delete(m.studies).where(m.studies.c.study_id == study_id))

        self._write(run)
        self._cache.forget_study(study_id)

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_attr(m.study_user_attrs, study_id, self._study_exists, "user", key, value)

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        self._set_attr(m.study_system_attrs, study_id, self._study_exists, "system", key, value)

    def get_study_id_from_name(self, study_name: str) -> int:
        check_study_name(study_name, owner="RDBStorage.get_study_id_from_name")

        def run(conn: Connection) -> int:
            row = conn.execute(
                select(m.studies.c.study_id).where(m.studies.c.study_name == study_name)
            ).first()
            if row is None:
                names = sorted(r[0] for r in conn.execute(select(m.studies.c.study_name)))
                raise StudyNotFoundError(
                    f"No study named {study_name!r} exists in {self._display_url}. "
                    f"Existing studies: {names}."
                )
            return int(row[0])

        return self._read(run)

    def get_study_name_from_id(self, study_id: int) -> str:
        query = select(m.studies.c.study_name).where(m.studies.c.study_id == study_id)
        name = self._read(lambda conn: conn.execute(query).scalar())
        if name is None:
            raise self._no_study(study_id)
        return str(name)

    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        directions = self._cache.directions(study_id)
        if directions:
            return directions

        def run(conn: Connection) -> list[StudyDirection]:
            rows = conn.execute(
                select(m.study_directions.c.direction)
                .where(m.study_directions.c.study_id == study_id)
                .order_by(m.study_directions.c.objective)
            ).all()
            if not rows:
                self._study_exists(conn, study_id)
            return [StudyDirection(r[0]) for r in rows]

        directions = self._read(run)
        self._cache.set_directions(study_id, directions)
        return list(directions)

    def _study_attrs(self, table: Any, study_id: int) -> dict[str, Any]:
        def run(conn: Connection) -> dict[str, Any]:
            self._study_exists(conn, study_id)
            rows = conn.execute(
                select(table.c.key, table.c.value_json).where(table.c.study_id == study_id)
            )
            return {k: decode_json(v) for k, v in rows}

        return self._read(run)

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        return self._study_attrs(m.study_user_attrs, study_id)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        return self._study_attrs(m.study_system_attrs, study_id)

    def get_all_studies(self) -> list[FrozenStudy]:
        def run(conn: Connection) -> list[FrozenStudy]:
            names = dict(conn.execute(select(m.studies.c.study_id, m.studies.c.study_name)).all())
            dirs: dict[int, list[StudyDirection]] = {sid: [] for sid in names}
            for sid, _, d in conn.execute(
                select(m.study_directions).order_by(
                    m.study_directions.c.study_id, m.study_directions.c.objective
                )
            ):
                dirs.setdefault(sid, []).append(StudyDirection(d))
            attrs: list[dict[int, dict[str, Any]]] = []
            for table in (m.study_user_attrs, m.study_system_attrs):
                by_study: dict[int, dict[str, Any]] = {sid: {} for sid in names}
                for sid, key, value in conn.execute(
                    select(table.c.study_id, table.c.key, table.c.value_json)
                ):
                    by_study.setdefault(sid, {})[key] = decode_json(value)
                attrs.append(by_study)
            return [
                FrozenStudy(
                    names[sid], None, attrs[0][sid], attrs[1][sid], sid, directions=dirs[sid]
                )
                for sid in sorted(names)
            ]

        return self._read(run)

    def get_study_trial_stats(self, study_id: int) -> tuple[int, datetime.datetime | None]:
        def run(conn: Connection) -> tuple[int, datetime.datetime | None]:
            self._study_exists(conn, study_id)
            count, start = conn.execute(q.TRIAL_STATS, {"b_study_id": study_id}).one()
            return int(count), start

        return self._read(run)
