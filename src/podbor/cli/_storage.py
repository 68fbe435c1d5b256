"""Opening the storage of a command, and the ``storage`` command group (``storage upgrade``)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from podbor.cli._common import HANDLED_ERRORS, CommandGroup, invalid_option
from podbor.exceptions import CLIUsageError, InvalidArgumentError, StorageInternalError
from podbor.storages import BaseStorage, JournalFileBackend, JournalStorage, get_storage
from podbor.storages._journal._redis import is_redis_url
from podbor.storages._optuna import COPY_COMMAND, Format, is_journal_url, journal_path
from podbor.storages._optuna._detect import detect_journal
from podbor.storages.journal import JournalRedisBackend


def open_storage(url: str) -> BaseStorage:
    """Build the storage for a command (the default opener).

    Args:
        url: The storage URL: a database (``sqlite:///study.db``), as
            :func:`podbor.storages.get_storage` builds it, a podbor journal file
            (``journal:///absolute/path`` or ``journal:relative/path``), or a Redis server
            that keeps a journal (``redis://host:6379/0``, as Optuna's CLI reads it).

    Returns:
        The storage.

    Raises:
        CLIUsageError: ``url`` names an Optuna journal (``copy-study`` migrates it) or no file.
        StorageInternalError: The backend failed with an error of its own (e.g. a driver's).
    """
    if is_journal_url(url):
        return _opening(url, _open_journal)
    if is_redis_url(url):
        return _opening(url, lambda u: JournalStorage(JournalRedisBackend(u)))
    return _opening(url, get_storage)


def _open_journal(url: str) -> BaseStorage:
    """podbor's journal storage for a ``journal:`` URL; an Optuna journal is refused, untouched."""
    try:
        path = journal_path(url, owner="podbor", name="--storage")
        found = detect_journal(path)
    except InvalidArgumentError as err:
        raise invalid_option("--storage", "a podbor journal file URL", url, str(err)) from err
    if found is Format.OPTUNA_JOURNAL:
        raise invalid_option(
            "--storage",
            "a podbor journal file",
            url,
            f"it is an Optuna journal, which podbor never changes in place; migrate it with "
            f"`{COPY_COMMAND}`",
        )
    return JournalStorage(JournalFileBackend(path))


def check_existing(url: str) -> None:
    """Refuse, before opening it, a storage that a command which only reads it (or changes what
    is already there) would create: a SQLite URL must name a file that exists, so that a typo
    in the path fails instead of leaving an empty database behind.

    Args:
        url: The storage URL.

    Raises:
        CLIUsageError: ``url`` names a SQLite file that does not exist; nothing was created.
    """
    database = _sqlite_file(url)
    if database is None and is_journal_url(url):
        database = journal_path(url, owner="podbor", name="--storage")
    if database is not None and not os.path.exists(database):
        raise invalid_option(
            "--storage",
            "the URL of an existing storage",
            url,
            f"there is no file {database!r} (create-study or ask --create-if-missing creates one)",
        )


def _sqlite_file(url: str) -> str | None:
    """The file a ``sqlite:///PATH`` URL names; None for any other URL (or one not parsed)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return None
    if parsed.get_backend_name() != "sqlite" or "uri" in parsed.query:
        return None
    database = parsed.database or ""
    return None if database in ("", ":memory:") else database


def open_storage_to_upgrade(url: str) -> BaseStorage:
    """Open a database whatever its schema version (the default opener refuses an old one).

    Args:
        url: The URL of an existing database.

    Returns:
        The database storage, its compatibility check skipped.

    Raises:
        CLIUsageError: ``url`` cannot hold an old schema; nothing was created.
        StorageInternalError: The backend failed with an error of its own.
    """
    from podbor.storages import RDBStorage

    _check_upgradable_url(url)
    return _opening(
        url, lambda u: RDBStorage(u, skip_compatibility_check=True, skip_table_creation=True)
    )


def _opening(url: str, factory: Callable[[str], BaseStorage]) -> BaseStorage:
    """Call ``factory(url)``; a backend's own failure (e.g. a driver error) becomes a podbor error."""
    try:
        return factory(url)
    except HANDLED_ERRORS:
        raise
    except Exception as err:
        raise StorageInternalError(
            f"cannot open the storage {url!r}: {type(err).__name__}: {err}"
        ) from err


def _check_upgradable_url(url: str) -> None:
    """Refuse what cannot hold an old schema, before anything is created.

    That is: a URL that is not a database URL, an in-memory SQLite database, or a SQLite file
    that does not exist.
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    expected = "the URL of an existing database, such as sqlite:///study.db"
    try:
        parsed = make_url(url)
        parsed.get_dialect()
    except ArgumentError:  # also an unknown backend: NoSuchModuleError
        raise invalid_option("--storage", expected, url, "not a database URL") from None
    if parsed.get_backend_name() != "sqlite" or "uri" in parsed.query:
        return
    database = parsed.database or ""
    if database in ("", ":memory:"):
        raise invalid_option(
            "--storage", expected, url, "an in-memory database has no schema to upgrade"
        )
    if not os.path.exists(database):
        raise invalid_option("--storage", expected, url, f"there is no file {database!r}")
    if os.path.getsize(database) == 0:  # opening it would write SQLite's header into it
        raise invalid_option(
            "--storage",
            expected,
            url,
            f"the file {database!r} is empty: it holds no podbor database, so there is no schema "
            "to upgrade; it is left untouched",
        )


def _storage_upgrade(args: argparse.Namespace, storage: BaseStorage) -> str:
    """Upgrade an older schema; refuse one newer than (or unknown to) this podbor."""
    from podbor.storages import RDBStorage

    if not isinstance(storage, RDBStorage):
        raise CLIUsageError(
            f"only a database storage has a schema to upgrade; {type(storage).__name__} has none"
        )
    from sqlalchemy import inspect

    if "podbor_version_info" not in inspect(storage.engine).get_table_names():
        raise CLIUsageError(
            "The storage holds no podbor database, so there is no schema to upgrade; it is left "
            "untouched (any other command creates one in an empty database)."
        )
    current, head = storage.get_current_version(), storage.get_head_version()
    if current == head:
        return f"The storage is already at schema {head}."
    if not (current.isdigit() and head.isdigit() and int(current) < int(head)):
        raise CLIUsageError(
            f"The storage is at schema {current}, which this podbor (schema {head}) does not "
            "know; it is left untouched. Upgrade podbor to use it."
        )
    storage.upgrade()
    return f"Upgraded the storage from schema {current} to {storage.get_current_version()}."


def _add_upgrade_arguments(parser: argparse.ArgumentParser) -> None:
    """``storage upgrade`` takes no argument of its own; it opens the storage its own way."""
    parser.set_defaults(opener=open_storage_to_upgrade)


STORAGE_GROUP: CommandGroup = (
    "storage",
    "Manage the storage itself (its schema).",
    (
        (
            "upgrade",
            "Upgrade a database made by an older podbor to the current schema.",
            _storage_upgrade,
            _add_upgrade_arguments,
        ),
    ),
)
