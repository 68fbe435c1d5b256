"""What the dashboard serves: a storage, opened so that opening it changes nothing.

A URL is opened after its format is detected (only reading, see
:mod:`podbor.storages._optuna`):

* a podbor database is opened without creating tables or running a migration: a database of
  an older schema is refused with the message that names ``podbor storage upgrade``, an empty
  database is refused (a dashboard has nothing to show in it, and must not create a schema);
* a podbor journal file is opened as it is; a missing or empty one is refused;
* an Optuna database or journal is read once into memory and served as a snapshot: the page
  says so, and the write routes are not offered.

A missing SQLite file, a file that is not a SQLite database and a foreign database are
refused with a one-line error and left untouched.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

from podbor.exceptions import InvalidArgumentError
from podbor.storages import BaseStorage, InMemoryStorage
from podbor.storages._journal._redis import is_redis_url
from podbor.storages._optuna import is_journal_url, journal_path, read_studies, write_studies
from podbor.storages._optuna._detect import Format, detect_journal, detect_rdb, sqlite_file

__all__ = ["Source", "open_source"]

_OWNER = "podbor dashboard"


@dataclass(frozen=True)
class Source:
    """An opened storage and how the page names it.

    Attributes:
        storage: The storage the dashboard reads (and, with writes enabled, changes).
        label: The storage as the page shows it (a URL with its password masked).
        snapshot: True when ``storage`` is an in-memory copy of an Optuna-format file, read
            once: it does not follow the file, and is never written back.
    """

    storage: BaseStorage
    label: str
    snapshot: bool = False


def open_source(storage: BaseStorage | str) -> Source:
    """Open what the dashboard serves, creating and changing nothing.

    Args:
        storage: A storage object (served as it is), or the URL of a podbor or Optuna
            database (``sqlite:///study.db``, ``postgresql+psycopg://...``) or journal file
            (``journal:///absolute/path``), or a Redis server that keeps a journal
            (``redis://host:6379/0``).

    Returns:
        The opened storage, its label and whether it is a snapshot.

    Raises:
        InvalidArgumentError: For a missing file, an empty database, a file that is not a
            database, a foreign database, or a podbor database of another schema version;
            the storage is left untouched.

    Example:
        >>> from podbor.storages import InMemoryStorage
        >>> open_source(InMemoryStorage()).snapshot
        False
    """
    if isinstance(storage, BaseStorage):
        return Source(storage, _storage_label(storage))
    if not isinstance(storage, str):
        raise InvalidArgumentError(
            f"The 'storage' argument of {_OWNER} must be a storage object or a storage URL. "
            f"Got {storage!r} instead."
        )
    if is_journal_url(storage):
        return _open_journal(storage)
    if is_redis_url(storage):  # a journal kept in Redis: reading it creates nothing
        from podbor.storages._journal import JournalRedisBackend, JournalStorage

        backend = JournalRedisBackend(storage)
        return Source(JournalStorage(backend), backend.shown_url)
    return _open_database(storage)


def _open_journal(url: str) -> Source:
    path = journal_path(url, owner=_OWNER, name="storage")
    if not os.path.isfile(path):
        raise InvalidArgumentError(f"There is no journal file {path!r}; nothing was created.")
    found = detect_journal(path)
    if found is Format.NOTHING:
        raise InvalidArgumentError(
            f"The journal file {path!r} is empty: it holds no study yet, and the dashboard "
            "leaves it untouched. Start it once a study was created."
        )
    if found is Format.OPTUNA_JOURNAL:
        return Source(_snapshot(url), url, snapshot=True)
    from podbor.storages._journal import JournalFileBackend, JournalStorage

    return Source(JournalStorage(JournalFileBackend(path)), url)


def _open_database(url: str) -> Source:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
        label = parsed.render_as_string(hide_password=True)
        database = sqlite_file(url)
    except (ArgumentError, ValueError):
        raise InvalidArgumentError(
            f"The storage {url!r} is neither a database URL (e.g. sqlite:///study.db) nor a "
            "journal file URL (journal:///absolute/path/study.log)."
        ) from None
    if database is not None:
        _check_sqlite_file(database, label)
    try:
        engine = create_engine(url)
    except (ImportError, ValueError) as err:  # an unknown dialect or a missing driver
        raise InvalidArgumentError(f"Cannot open {label!r}: {err}") from err
    try:
        found = detect_rdb(engine, repr(label))
    finally:
        engine.dispose()
    if found is Format.NOTHING:
        raise InvalidArgumentError(
            f"The database {label!r} holds no podbor database (it has no tables); the "
            "dashboard creates nothing and leaves it untouched."
        )
    if found is Format.OPTUNA_RDB:
        return Source(_snapshot(url), label, snapshot=True)
    from podbor.storages import RDBStorage

    # an old or newer schema is refused here, before anything is written
    return Source(RDBStorage(url, skip_table_creation=True), label)


def _check_sqlite_file(path: str, label: str) -> None:
    """Refuse a missing, empty or non-SQLite file before SQLite opens (and could change) it."""
    from podbor.storages._rdb._connection import check_sqlite_header

    if not os.path.isfile(path):
        raise InvalidArgumentError(f"There is no SQLite file {path!r}; nothing was created.")
    if os.path.getsize(path) == 0:
        raise InvalidArgumentError(
            f"The file {path!r} is empty: it holds no podbor database, and the dashboard "
            "leaves it untouched."
        )
    check_sqlite_header(path, label)


def _snapshot(url: str) -> InMemoryStorage:
    """Every study of an Optuna-format database or journal, read once into memory."""
    storage = InMemoryStorage()
    write_studies(storage, read_studies(url, None, argument="storage"))
    return storage


def _storage_label(storage: BaseStorage) -> str:
    """How the page names a storage object: its URL (password masked) or its class."""
    url = getattr(storage, "url", None)
    if isinstance(url, str):
        with contextlib.suppress(Exception):
            from sqlalchemy.engine import make_url

            return make_url(url).render_as_string(hide_password=True)
    backend = getattr(storage, "_backend", None)
    path = getattr(backend, "file_path", None)
    if isinstance(path, str):
        return f"journal://{os.path.abspath(path)}"
    return type(storage).__name__
