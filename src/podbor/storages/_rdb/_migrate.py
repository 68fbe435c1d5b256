"""The schema of a podbor database: creating it on a new database, checking its version on an
old one, and upgrading it with Alembic migrations."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, insert, inspect, select, update

from podbor.exceptions import InvalidArgumentError
from podbor.storages._optuna._detect import optuna_database_error
from podbor.storages._rdb import models as m
from podbor.storages._rdb._collation import compare_text_exactly
from podbor.version import __version__

__all__ = [
    "alembic_config",
    "create_or_check_schema",
    "current_revision",
    "head_revision",
    "stamp_head",
    "upgrade_to_head",
]

_SCRIPTS = Path(__file__).with_name("migrations")
_SCHEMA_LOCK_KEY = 7_304_285_117  # any constant: serializes schema creation across workers


def create_or_check_schema(
    conn: Connection, url: str, *, skip_version_check: bool, skip_table_creation: bool = False
) -> None:
    """Create the newest schema in an empty database, or check that the database is a podbor
    database of this podbor's schema version (inside the caller's write transaction).

    Many workers may start on an empty database: one creates the schema, the others wait for it.
    PostgreSQL's lock ends with the transaction; MySQL's with a release (its DDL commits
    implicitly, so the lock must outlive the transaction's pieces).

    Args:
        url: The database, as messages show it (without the password).
        skip_version_check: Accept a podbor database of another schema version.
        skip_table_creation: Leave an empty database empty (its schema is made elsewhere).

    Raises:
        InvalidArgumentError: For a database with other tables, or of another schema version.
    """
    backend = conn.dialect.name
    if backend == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_SCHEMA_LOCK_KEY})")
    elif backend == "mysql":
        conn.exec_driver_sql(f"SELECT GET_LOCK('podbor_schema_{_SCHEMA_LOCK_KEY}', 60)")
        try:
            _create_or_check(conn, url, skip_version_check, skip_table_creation)
        finally:
            conn.exec_driver_sql(f"SELECT RELEASE_LOCK('podbor_schema_{_SCHEMA_LOCK_KEY}')")
        return
    _create_or_check(conn, url, skip_version_check, skip_table_creation)


def _create_or_check(
    conn: Connection, url: str, skip_version_check: bool, skip_table_creation: bool
) -> None:
    tables = set(inspect(conn).get_table_names())
    if not tables and skip_table_creation:
        return
    if not tables:  # a new database: create the newest schema and record its revision
        m.metadata.create_all(conn)
        compare_text_exactly(conn, [table.name for table in m.metadata.sorted_tables])
        conn.execute(
            insert(m.version_info).values(
                version_info_id=1, schema_version=m.SCHEMA_VERSION, library_version=__version__
            )
        )
        stamp_head(conn)
        return
    row = None
    if m.version_info.name in tables:
        row = conn.execute(select(m.version_info.c.schema_version)).first()
    if row is None:
        refusal = optuna_database_error(url, tables)  # Optuna's own: name the copy command
        if refusal is not None:
            raise refusal
        raise InvalidArgumentError(
            f"The database {url!r} is not a podbor database: it has tables "
            f"{sorted(tables)[:8]} but no podbor version record. Use another database."
        )
    if not skip_version_check and row[0] != m.SCHEMA_VERSION:
        _refuse_version(url, row[0])


def _refuse_version(url: str, found: str) -> None:
    if found.isdigit() and int(found) < int(m.SCHEMA_VERSION):
        raise InvalidArgumentError(
            f"The database {url!r} was made by an older podbor (schema {found}, this podbor "
            f"needs {m.SCHEMA_VERSION}). Upgrade it with `podbor storage upgrade --storage URL`."
        )
    raise InvalidArgumentError(
        f"The database {url!r} was made by a newer podbor (schema {found}, this podbor knows "
        f"{m.SCHEMA_VERSION}); it is left untouched. Upgrade podbor to use it."
    )


def alembic_config(conn: Connection) -> object:
    """The Alembic configuration that runs podbor's migrations on ``conn``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.attributes["connection"] = conn
    return config


def head_revision() -> str:
    """The newest schema revision this podbor knows (equals ``models.SCHEMA_VERSION``)."""
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory(str(_SCRIPTS)).get_current_head())


def current_revision(conn: Connection) -> str | None:
    """The schema revision the database records, or None for an empty database."""
    from alembic.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def stamp_head(conn: Connection) -> None:
    """Record in a freshly created database that it is at the newest revision."""
    from alembic import command

    command.stamp(alembic_config(conn), "head")  # type: ignore[arg-type]


def upgrade_to_head(conn: Connection) -> None:
    """Apply every migration newer than the database's revision, then record the version.

    On MySQL and MariaDB it also moves tables made before podbor compared text exactly to a
    NO PAD collation (``_collation``).
    """
    from alembic import command

    command.upgrade(alembic_config(conn), "head")  # type: ignore[arg-type]
    compare_text_exactly(conn, [table.name for table in m.metadata.sorted_tables])
    row = conn.execute(select(m.version_info.c.version_info_id)).first()
    values = {"schema_version": m.SCHEMA_VERSION, "library_version": __version__}
    if row is None:
        conn.execute(m.version_info.insert().values(version_info_id=1, **values))
    else:
        conn.execute(update(m.version_info).values(**values))
