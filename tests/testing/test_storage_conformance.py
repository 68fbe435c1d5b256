"""Run the storage conformance suite over every storage podbor ships.

A new storage joins by adding one subclass here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from podbor.storages import BaseStorage, InMemoryStorage, RDBStorage
from podbor.testing.storages import StorageConformance


class TestInMemoryStorage(StorageConformance):
    def make_storage(self) -> Iterator[BaseStorage]:
        yield InMemoryStorage()


class TestSQLiteStorage(StorageConformance):
    @pytest.fixture
    def storage(self, sqlite_url: str) -> Iterator[BaseStorage]:
        storage = RDBStorage(sqlite_url)
        yield storage
        storage.remove_session()


class TestPostgreSQLStorage(StorageConformance):
    @pytest.fixture
    def storage(self, postgres_url: str) -> Iterator[BaseStorage]:
        storage = RDBStorage(postgres_url)
        yield storage
        storage.remove_session()


class TestMySQLStorage(StorageConformance):
    @pytest.fixture
    def storage(self, mysql_url: str) -> Iterator[BaseStorage]:
        storage = RDBStorage(mysql_url)
        yield storage
        storage.remove_session()
