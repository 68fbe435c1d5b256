"""Which format a storage URL holds: podbor's or Optuna's, database or journal file.

A journal file is named by a ``journal:`` URL (``journal:///absolute/path`` or
``journal:relative/path``); any other string is a database URL. Detection only reads:

* an Optuna database has Optuna's ``version_info`` table and no ``podbor_version_info``;
* an Optuna journal's lines are JSON objects with an ``op_code``; podbor's journal starts with
  its header line (``{"op":"header","format":"podbor-journal",...}``).

SQLAlchemy is imported inside the functions that need it, never at import time.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Collection
from typing import TYPE_CHECKING

from podbor.exceptions import InvalidArgumentError, invalid_argument

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = [
    "COPY_COMMAND",
    "Format",
    "detect_journal",
    "detect_rdb",
    "is_journal_url",
    "journal_path",
    "optuna_database_error",
    "optuna_journal_error",
    "sqlite_file",
]

JOURNAL_SCHEME = "journal:"
COPY_COMMAND = "podbor copy-study --from-storage URL --to-storage URL"
"""The command named by the errors that refuse an Optuna file where podbor's is expected."""


class Format(enum.Enum):
    """What a storage URL holds."""

    NOTHING = "nothing"  # a missing file, an empty file or a database without tables
    PODBOR_RDB = "podbor database"
    PODBOR_JOURNAL = "podbor journal"
    OPTUNA_RDB = "Optuna database"
    OPTUNA_JOURNAL = "Optuna journal"


def is_journal_url(url: str) -> bool:
    """Whether ``url`` names a journal file (``journal:...``)."""
    return url.startswith(JOURNAL_SCHEME)


def journal_path(url: str, *, owner: str = "copy_study", name: str = "storage") -> str:
    """The file a ``journal:`` URL names.

    Args:
        url: ``journal:///absolute/path`` or ``journal:relative/path``.
        owner: The function the URL was given to, for the error message.
        name: The argument the URL was given as, for the error message.

    Raises:
        InvalidArgumentError: If the URL names no file.

    Example:
        >>> journal_path("journal:///tmp/study.log")
        '/tmp/study.log'
        >>> journal_path("journal:runs/study.log")
        'runs/study.log'
    """
    rest = url[len(JOURNAL_SCHEME) :]
    if rest.startswith("//"):
        rest = rest[2:]
        if not rest.startswith("/"):  # journal://host/... : no host is possible
            rest = ""
    if not rest or rest.endswith("/"):
        raise invalid_argument(
            name,
            url,
            "a journal file URL such as 'journal:///absolute/path/study.log' or "
            "'journal:relative/path/study.log'",
            owner=owner,
        )
    return rest


def detect_journal(path: str) -> Format:
    """The format of the journal file at ``path`` (only its first line is read).

    Raises:
        InvalidArgumentError: If the file exists but is neither podbor's nor Optuna's journal.
    """
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        return Format.NOTHING
    with open(path, "rb") as f:
        first = f.readline(1 << 20)
    try:
        record = json.loads(first)
    except ValueError:
        record = None
    if isinstance(record, dict):
        if record.get("op") == "header" and record.get("format") == "podbor-journal":
            return Format.PODBOR_JOURNAL
        if isinstance(record.get("op_code"), int):
            return Format.OPTUNA_JOURNAL
    raise InvalidArgumentError(
        f"The file {path!r} is neither a podbor journal nor an Optuna journal: its first line "
        f"starts with {first[:60]!r}."
    )


def sqlite_file(url: str) -> str | None:
    """The file of a ``sqlite:///`` URL; None for another backend or an in-memory database."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    database = parsed.database
    if "uri" in parsed.query and database.startswith("file:"):
        database = database[len("file:") :].split("?", 1)[0]
    return database


def detect_rdb(engine: Engine, label: str) -> Format:
    """The format of the database behind ``engine``, from its table names (only reads).

    Args:
        engine: An engine on the database.
        label: How messages name the database.

    Raises:
        InvalidArgumentError: If the database cannot be opened, or is neither podbor's nor
            Optuna's.
    """
    from sqlalchemy import inspect
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
    except SQLAlchemyError as err:
        reason = getattr(err, "orig", None) or err
        raise InvalidArgumentError(f"Cannot open {label} as a database: {reason}.") from err
    try:
        return rdb_format(tables)
    except InvalidArgumentError as err:
        raise InvalidArgumentError(f"{label}: {err}") from None


def rdb_format(tables: Collection[str]) -> Format:
    """The format of a database that has ``tables``.

    Raises:
        InvalidArgumentError: For tables of neither podbor nor Optuna.
    """
    if not tables:
        return Format.NOTHING
    if "podbor_version_info" in tables:
        return Format.PODBOR_RDB
    if "version_info" in tables:
        return Format.OPTUNA_RDB
    raise InvalidArgumentError(
        f"the database holds tables {sorted(tables)[:8]} but is neither a podbor nor an Optuna "
        "database"
    )


def optuna_database_error(url: str, tables: Collection[str]) -> InvalidArgumentError | None:
    """The error for opening an Optuna database as a podbor storage; None if it is not one.

    ``RDBStorage`` raises it before writing anything (``load_study``, ``create_study``).

    Args:
        url: The database, as messages show it (without the password).
        tables: The database's table names.

    Example:
        >>> print(optuna_database_error("sqlite:///o.db", {"studies", "version_info"}))
        The database 'sqlite:///o.db' was written by Optuna; podbor does not open it in place and leaves it untouched. Copy its studies into a podbor storage with `podbor copy-study --from-storage URL --to-storage URL` (or podbor.copy_study).
    """
    if "version_info" not in tables or "podbor_version_info" in tables:
        return None
    return InvalidArgumentError(
        f"The database {url!r} was written by Optuna; podbor does not open it in place and "
        f"leaves it untouched. Copy its studies into a podbor storage with `{COPY_COMMAND}` "
        "(or podbor.copy_study)."
    )


def optuna_journal_error(path: str, first_line: bytes) -> InvalidArgumentError | None:
    """The error for opening an Optuna journal as podbor's; None if ``first_line`` is not one.

    Args:
        path: The journal file.
        first_line: Its first line (or its first bytes).
    """
    try:
        record = json.loads(first_line)
    except ValueError:
        return None
    if not (isinstance(record, dict) and isinstance(record.get("op_code"), int)):
        return None
    return InvalidArgumentError(
        f"The journal {path!r} was written by Optuna; podbor does not open it in place and "
        f"leaves it untouched. Copy its studies into a podbor storage with `{COPY_COMMAND}`, "
        f"naming it journal://{os.path.abspath(path)}."
    )
