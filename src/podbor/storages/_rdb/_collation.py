"""MySQL and MariaDB: compare text exactly, trailing spaces included.

Their binary collation ``utf8mb4_bin`` is a *PAD SPACE* collation: ``'a' = 'a '``. A unique
key then takes the study names ``"a"`` and ``"a "`` for one (the second study cannot be created,
a lookup of either finds the first), and the attribute keys ``"k"`` and ``"k "`` for one (setting
one overwrites the other). SQLite, PostgreSQL and podbor's other storages keep them apart. The
*NO PAD* binary collations — ``utf8mb4_nopad_bin`` (MariaDB 10.2 and later) and
``utf8mb4_0900_bin`` (MySQL 8.0.17 and later) — compare byte for byte, so podbor's tables use
one of them where the server has it: a new database gets it when its tables are created, an
older one with ``podbor storage upgrade`` (which converts only the tables that still need it;
the schema version is unchanged, since nothing else changes). An older server has neither; its
tables keep ``utf8mb4_bin``.

Example:
    >>> NO_PAD_COLLATIONS
    ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection

__all__ = ["NO_PAD_COLLATIONS", "compare_text_exactly", "no_pad_collation"]

NO_PAD_COLLATIONS = ("utf8mb4_nopad_bin", "utf8mb4_0900_bin")
"""The NO PAD binary collations of utf8mb4, by preference (MariaDB's, then MySQL's)."""


def no_pad_collation(conn: Connection) -> str | None:
    """The first of :data:`NO_PAD_COLLATIONS` a MySQL or MariaDB server has, or None."""
    names = ", ".join(f"'{name}'" for name in NO_PAD_COLLATIONS)
    found = {row[0] for row in conn.exec_driver_sql(f"SHOW COLLATION WHERE Collation IN ({names})")}
    return next((name for name in NO_PAD_COLLATIONS if name in found), None)


def compare_text_exactly(conn: Connection, tables: Iterable[str]) -> str | None:
    """On MySQL or MariaDB, convert ``tables`` to a NO PAD binary collation; the one used.

    Tables already in it, and names that are not tables of the database, are left alone.
    Returns None (and changes nothing) on other databases, or on a server without one.
    """
    if conn.dialect.name != "mysql":
        return None
    collation = no_pad_collation(conn)
    if collation is None:
        return None
    rows = conn.exec_driver_sql(
        "SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES "
        "WHERE TABLE_SCHEMA = DATABASE()"
    ).all()
    current: dict[str, str] = {str(row[0]): str(row[1]) for row in rows}
    for table in tables:
        if table in current and current[table] != collation:
            conn.exec_driver_sql(
                f"ALTER TABLE `{table}` CONVERT TO CHARACTER SET utf8mb4 COLLATE {collation}"
            )
    return collation
