"""Reading studies from any source and writing them to any destination, as snapshots.

A source or destination is a storage object or a URL: a database URL (``sqlite:///...``,
``postgresql+psycopg://...``, ``mysql+pymysql://...``) or a journal file
(``journal:///absolute/path``, ``journal:relative/path``). The format of a source URL is
detected (podbor's or Optuna's, see :mod:`._detect`); a destination URL gets the format asked
for. A source is only ever read: an Optuna database or journal is opened without any write,
and a missing or empty source is never created.

Every source is read whole and checked before anything is written, so a damaged source leaves
the destination untouched. Each study is then written as a unit: in one transaction for an
Optuna database, one renamed file for an Optuna journal, and for a podbor storage through its
public API, deleting the study again if any of its writes fails.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from podbor.exceptions import DuplicatedStudyError, InvalidArgumentError, invalid_argument
from podbor.storages._base import BaseStorage
from podbor.storages._journal._redis import is_redis_url
from podbor.storages._optuna._detect import (
    Format,
    detect_journal,
    detect_rdb,
    is_journal_url,
    journal_path,
    sqlite_file,
)
from podbor.storages._optuna._snapshot import StudySnapshot, choose, pick

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["FORMATS", "read_studies", "same_location", "write_studies"]

FORMATS = ("podbor", "optuna")
"""The formats a destination URL can be written in."""

_OWNER = "copy_study"
_URL_HELP = (
    "a storage object, a database URL such as 'sqlite:///study.db', a journal file URL such "
    "as 'journal:///absolute/path/study.log' or a Redis URL (a journal kept in Redis)"
)


def read_studies(
    source: BaseStorage | str, names: Sequence[str] | None, *, argument: str = "from_storage"
) -> list[StudySnapshot]:
    """Read and check the named studies (all when None) of ``source``.

    Args:
        source: A podbor storage, or the URL of a podbor or Optuna database or journal file.
        names: The studies, in the order wanted; None for all of them.
        argument: The argument ``source`` was given as, for error messages.

    Raises:
        StudyNotFoundError: If a name is not in the source (the message lists those that are).
        InvalidArgumentError: For a source that cannot be read, or a damaged one (the message
            names the table or the line).
    """
    if isinstance(source, BaseStorage):
        snapshots = _read_storage(source, names)
        label = repr(source)
    elif isinstance(source, str):
        label = _label(source)
        snapshots = _read_url(source, names, label, argument)
    else:
        raise invalid_argument(argument, source, _URL_HELP, owner=_OWNER)
    for snapshot in snapshots:
        snapshot.check(label)
    return snapshots


def write_studies(
    destination: BaseStorage | str,
    snapshots: Sequence[StudySnapshot],
    *,
    to_format: str = "podbor",
    argument: str = "to_storage",
) -> None:
    """Write ``snapshots`` to ``destination`` in ``to_format`` (``"podbor"`` or ``"optuna"``).

    Raises:
        DuplicatedStudyError: If the destination holds a study of one of the names (checked
            before anything is written).
        InvalidArgumentError: For a destination that cannot take the format.
    """
    if to_format not in FORMATS:
        raise invalid_argument("to_format", to_format, "'podbor' or 'optuna'", owner=_OWNER)
    names = [s.name for s in snapshots]
    if len(set(names)) != len(names):
        raise invalid_argument("study names", names, "distinct names", owner=_OWNER)
    if isinstance(destination, BaseStorage):
        if to_format != "podbor":
            raise invalid_argument(
                argument, destination, "a URL when to_format='optuna'", owner=_OWNER
            )
        _write_storage(destination, snapshots, repr(destination))
        return
    if not isinstance(destination, str):
        raise invalid_argument(argument, destination, _URL_HELP, owner=_OWNER)
    label = _label(destination)
    if to_format == "optuna":
        _write_optuna(destination, snapshots, label, argument)
        return
    _refuse_optuna_destination(destination, label, argument)
    storage = _open_podbor(destination, argument)
    try:
        _write_storage(storage, snapshots, label)
    finally:
        _close(storage)


def same_location(a: BaseStorage | str, b: BaseStorage | str) -> bool:
    """Whether two sources/destinations are the same object, file or database URL."""
    if isinstance(a, BaseStorage) or isinstance(b, BaseStorage):
        return a is b
    return bool(_place(a) == _place(b))


# -- sources ------------------------------------------------------------------------------------
def _read_url(
    url: str, names: Sequence[str] | None, label: str, argument: str
) -> list[StudySnapshot]:
    if is_redis_url(url):  # podbor's journal in Redis (reading it creates nothing)
        return _read_podbor(url, names, argument)
    if is_journal_url(url):
        path = journal_path(url, owner=_OWNER, name=argument)
        _must_exist(path, url, argument)
        found = detect_journal(path)
        if found is Format.OPTUNA_JOURNAL:
            from podbor.storages._optuna._journal_read import read_optuna_journal

            return pick(read_optuna_journal(path, label).snapshots(), names, label)
        if found is Format.NOTHING:
            return pick([], names, label)
        return _read_podbor(url, names, argument)
    database = sqlite_file(_checked_url(url, argument))
    if database is not None:
        _must_exist(database, url, argument)
    engine = _engine(url, argument)
    try:
        found = detect_rdb(engine, label)
        if found is Format.OPTUNA_RDB:
            from podbor.storages._optuna._rdb_read import read_optuna_rdb

            return read_optuna_rdb(engine, label, names)
    finally:
        engine.dispose()
    if found is Format.NOTHING:  # never let a podbor storage create its schema in a source
        return pick([], names, label)
    return _read_podbor(url, names, argument)


def _read_podbor(url: str, names: Sequence[str] | None, argument: str) -> list[StudySnapshot]:
    storage = _open_podbor(url, argument)
    try:
        return _read_storage(storage, names)
    finally:
        _close(storage)


def _read_storage(storage: BaseStorage, names: Sequence[str] | None) -> list[StudySnapshot]:
    studies = {s.study_name: s for s in storage.get_all_studies()}
    snapshots = []
    for name in choose(names, list(studies), repr(storage)):
        study_id = studies[name]._study_id
        snapshots.append(
            StudySnapshot(
                name,
                studies[name].directions,
                storage.get_study_user_attrs(study_id),
                storage.get_study_system_attrs(study_id),
                storage.get_all_trials(study_id, deepcopy=False),
            )
        )
    return snapshots


# -- destinations ---------------------------------------------------------------------------------
def _write_storage(storage: BaseStorage, snapshots: Sequence[StudySnapshot], label: str) -> None:
    existing = {s.study_name for s in storage.get_all_studies()}
    taken = [s.name for s in snapshots if s.name in existing]
    if taken:
        raise DuplicatedStudyError(
            f"{label} already holds studies named {taken}; nothing was written."
        )
    for snapshot in snapshots:
        study_id = storage.create_new_study(snapshot.directions, snapshot.name)
        try:
            for key, value in snapshot.system_attrs.items():
                storage.set_study_system_attr(study_id, key, value)
            for key, value in snapshot.user_attrs.items():
                storage.set_study_user_attr(study_id, key, value)
            for trial in snapshot.trials:
                storage.create_new_trial(study_id, template_trial=trial)
        except BaseException:
            with contextlib.suppress(Exception):  # leave no half-written study behind
                storage.delete_study(study_id)
            raise


def _write_optuna(url: str, snapshots: Sequence[StudySnapshot], label: str, argument: str) -> None:
    if is_redis_url(url):
        raise InvalidArgumentError(
            f"Cannot write Optuna's format to {label}: it is written to a database or a journal "
            "file (a Redis journal holds podbor's format). Nothing was written."
        )
    if is_journal_url(url):
        from podbor.storages._optuna._journal_write import write_optuna_journal

        write_optuna_journal(journal_path(url, owner=_OWNER, name=argument), label, snapshots)
        return
    from podbor.storages._optuna._rdb_write import write_optuna_rdb

    engine = _engine(_checked_url(url, argument), argument)
    try:
        write_optuna_rdb(engine, label, snapshots)
    finally:
        engine.dispose()


def _refuse_optuna_destination(url: str, label: str, argument: str) -> None:
    """Refuse to write podbor's format to an Optuna file (without creating anything)."""
    if is_redis_url(url):  # podbor's journal has its own key: an Optuna one is never touched
        return
    if is_journal_url(url):
        found = detect_journal(journal_path(url, owner=_OWNER, name=argument))
    else:
        database = sqlite_file(_checked_url(url, argument))
        if database is not None and not os.path.exists(database):
            return
        engine = _engine(url, argument)
        try:
            found = detect_rdb(engine, label)
        finally:
            engine.dispose()
    if found in (Format.OPTUNA_RDB, Format.OPTUNA_JOURNAL):
        raise InvalidArgumentError(
            f"Cannot write podbor's format to {label}: it is an {found.value}, which podbor "
            "never changes in place. Pass to_format='optuna' (--to-format optuna) to add the "
            "studies in Optuna's format, or name another destination. Nothing was written."
        )


def _open_podbor(url: str, argument: str) -> BaseStorage:
    """podbor's storage for a URL: a journal file, a journal in Redis, or a database."""
    if is_redis_url(url):
        from podbor.storages._journal import JournalRedisBackend, JournalStorage

        return JournalStorage(JournalRedisBackend(url))
    if is_journal_url(url):
        from podbor.storages._journal import JournalFileBackend, JournalStorage

        return JournalStorage(JournalFileBackend(journal_path(url, owner=_OWNER, name=argument)))
    from podbor.storages._rdb import RDBStorage

    return RDBStorage(url)


def _close(storage: BaseStorage) -> None:
    remove = getattr(storage, "remove_session", None)
    if callable(remove):
        remove()


# -- URLs ---------------------------------------------------------------------------------------
def _checked_url(url: str, argument: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(url)
    except ArgumentError:
        raise invalid_argument(argument, url, _URL_HELP, owner=_OWNER) from None
    return url


def _engine(url: str, argument: str) -> Engine:
    from sqlalchemy import create_engine

    try:
        return create_engine(_checked_url(url, argument))
    except (ImportError, ValueError) as err:  # an unknown dialect or a missing driver
        raise InvalidArgumentError(
            f"Cannot open {_label(url)}: {err}. For PostgreSQL install psycopg 3 and use "
            "'postgresql+psycopg://…'; for MySQL install PyMySQL and use 'mysql+pymysql://…'."
        ) from err


def _label(url: str) -> str:
    """How messages name a URL: quoted, with any password hidden."""
    if is_journal_url(url):
        return repr(url)
    try:
        from sqlalchemy.engine import make_url

        return repr(make_url(url).render_as_string(hide_password=True))
    except Exception:
        return repr(url)


def _must_exist(path: str, url: str, argument: str) -> None:
    if not os.path.isfile(path):
        raise invalid_argument(argument, url, "an existing file to copy from", owner=_OWNER)


def _place(url: str) -> Any:
    if is_journal_url(url):
        with contextlib.suppress(InvalidArgumentError):
            return ("file", os.path.realpath(journal_path(url)))
        return ("url", url)
    try:
        database = sqlite_file(url)
    except Exception:
        database = None
    return ("file", os.path.realpath(database)) if database else ("url", url)
