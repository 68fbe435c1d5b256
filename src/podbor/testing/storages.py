"""The storage conformance suite: the whole :class:`~podbor.storages.BaseStorage` contract, checked.

Subclass :class:`StorageConformance`, give it a ``make_storage`` generator that yields a fresh,
empty storage (and cleans up after the ``yield``), and pytest collects every check for that
storage. A storage that needs other pytest fixtures (``tmp_path``, a database URL) overrides the
``storage`` fixture instead. The base class has no ``Test`` prefix, so pytest never collects it
on its own. Needs pytest.

The killed-worker check needs one more method, ``with_heartbeats``: another handle on the same
studies with heartbeats on. A storage that processes cannot share sets
``shared_across_processes = False``; its dead worker is then a thread instead of a process.

The checks live in private modules, one concept each: studies (``_storage_studies``), writing
trials (``_storage_trials``), reading them (``_storage_reads``), many workers
(``_storage_processes``), the trials workers start (``_storage_heartbeats``: a heartbeat from
the moment they exist, a budget) and the caller's input (``_storage_inputs``: names, keys, nesting, steps
that every storage refuses the same way); this class gathers them.

Every value the suite stores is JSON-native (dicts, lists, str, numbers, bool, None), so storages
that keep attributes as JSON pass as long as they round-trip them exactly; values that are not
JSON must be refused, with a ``ValueError`` that names the attribute.

Example:
    Adding a storage is one small subclass, e.g. in ``tests/storages/test_conformance.py``::

        import tempfile
        from collections.abc import Iterator
        from typing import Any

        import pytest

        from podbor.storages import BaseStorage, InMemoryStorage, RDBStorage
        from podbor.testing.storages import StorageConformance

        class TestInMemoryStorage(StorageConformance):
            shared_across_processes = False

            def make_storage(self) -> Iterator[BaseStorage]:
                yield InMemoryStorage()

            def with_heartbeats(self, storage: BaseStorage, **settings: Any) -> BaseStorage:
                return InMemoryStorage(**settings)

        class TestSQLiteStorage(StorageConformance):
            def make_storage(self) -> Iterator[BaseStorage]:
                with tempfile.TemporaryDirectory() as folder:
                    storage = RDBStorage(f"sqlite:///{folder}/study.db")
                    yield storage
                    storage.remove_session()

            def with_heartbeats(self, storage: BaseStorage, **settings: Any) -> BaseStorage:
                assert isinstance(storage, RDBStorage)
                return RDBStorage(storage.url, **settings)  # the same database

        class TestPostgresStorage(StorageConformance):
            @pytest.fixture
            def storage(self, postgres_url: str) -> Iterator[BaseStorage]:
                storage = RDBStorage(postgres_url)
                yield storage
                storage.remove_session()
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from podbor.storages._base import BaseStorage
from podbor.testing._storage_common import JSON_VALUES
from podbor.testing._storage_heartbeats import HeartbeatChecks
from podbor.testing._storage_inputs import InputChecks
from podbor.testing._storage_reads import ReadChecks
from podbor.testing._storage_studies import StudyChecks
from podbor.testing._storage_trials import TrialChecks

__all__ = ["JSON_VALUES", "StorageConformance"]


class StorageConformance(StudyChecks, TrialChecks, ReadChecks, HeartbeatChecks, InputChecks):
    """The checks every storage passes; subclass it and override :meth:`make_storage` (or the
    ``storage`` fixture) and :meth:`with_heartbeats`."""

    def make_storage(self) -> Iterator[BaseStorage]:
        """Yield a fresh, empty storage; code after the ``yield`` cleans it up.

        Subclasses must override this. Call ``pytest.skip`` inside it when the backend is not
        available (e.g. no database server configured).
        """
        raise NotImplementedError(
            f"{type(self).__name__} must override make_storage(self) to yield the storage under "
            "test."
        )

    @pytest.fixture
    def storage(self) -> Iterator[BaseStorage]:
        """The storage under test, fresh for each check."""
        yield from self.make_storage()
