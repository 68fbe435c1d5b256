"""Run the storage conformance suite over every storage podbor ships.

A new storage joins by adding one subclass here (the journal storages run it in
``tests/storages/test_journal.py``, next to their own checks).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from podbor.exceptions import ExperimentalWarning
from podbor.storages import BaseStorage, InMemoryStorage, RDBStorage
from podbor.testing.storages import StorageConformance


class TestInMemoryStorage(StorageConformance):
    shared_across_processes = False  # one process: the killed worker is a thread that stops

    def make_storage(self) -> Iterator[BaseStorage]:
        yield InMemoryStorage()

    def with_heartbeats(self, storage: BaseStorage, **settings: Any) -> BaseStorage:
        return InMemoryStorage(**settings)


class _DatabaseConformance(StorageConformance):
    def with_heartbeats(self, storage: BaseStorage, **settings: Any) -> BaseStorage:
        assert isinstance(storage, RDBStorage)
        with warnings.catch_warnings():  # RDBStorage's heartbeats are experimental, as in Optuna
            warnings.simplefilter("ignore", ExperimentalWarning)
            return RDBStorage(storage.url, **settings)


class TestSQLiteStorage(_DatabaseConformance):
    @pytest.fixture
    def storage(self, sqlite_url: str) -> Iterator[BaseStorage]:
        storage = RDBStorage(sqlite_url)
        yield storage
        storage.remove_session()


class TestPostgreSQLStorage(_DatabaseConformance):
    @pytest.fixture
    def storage(self, postgres_url: str) -> Iterator[BaseStorage]:
        storage = RDBStorage(postgres_url)
        yield storage
        storage.remove_session()


class TestMySQLStorage(_DatabaseConformance):
    @pytest.fixture
    def storage(self, mysql_url: str) -> Iterator[BaseStorage]:
        storage = RDBStorage(mysql_url)
        yield storage
        storage.remove_session()
