"""Schema migrations with Alembic: stamping new databases and upgrading old ones."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, select, update

from podbor.storages._rdb import models as m
from podbor.version import __version__

__all__ = ["current_revision", "head_revision", "stamp_head", "upgrade_to_head"]

_SCRIPTS = Path(__file__).with_name("migrations")


def _config(conn: Connection) -> object:
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

    command.stamp(_config(conn), "head")  # type: ignore[arg-type]


def upgrade_to_head(conn: Connection) -> None:
    """Apply every migration newer than the database's revision, then record the version."""
    from alembic import command

    command.upgrade(_config(conn), "head")  # type: ignore[arg-type]
    row = conn.execute(select(m.version_info.c.version_info_id)).first()
    values = {"schema_version": m.SCHEMA_VERSION, "library_version": __version__}
    if row is None:
        conn.execute(m.version_info.insert().values(version_info_id=1, **values))
    else:
        conn.execute(update(m.version_info).values(**values))
