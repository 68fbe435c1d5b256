"""Relational-database storage (SQLite, PostgreSQL, MySQL)."""

from podbor.storages._rdb.storage import RDBStorage

__all__ = ["RDBStorage"]
