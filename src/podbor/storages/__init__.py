"""Storages: where studies and trials live.

``InMemoryStorage`` is the default without a storage argument. Every storage implements
:class:`BaseStorage`, and every public function that takes a storage also takes ``None``.

Example:
    >>> import podbor
    >>> storage = podbor.storages.InMemoryStorage()
    >>> podbor.create_study(storage=storage, study_name="demo").study_name
    'demo'
"""

from __future__ import annotations

from podbor.exceptions import invalid_argument
from podbor.storages._base import BaseStorage
from podbor.storages._in_memory import InMemoryStorage

__all__ = ["BaseStorage", "InMemoryStorage", "get_storage"]


def get_storage(storage: BaseStorage | str | None) -> BaseStorage:
    """Turn the ``storage`` argument of the public API into a storage object.

    Args:
        storage: ``None`` for a new :class:`InMemoryStorage`, or a storage object.

    Raises:
        ValueError: For any other value, with what is accepted.
    """
    if storage is None:
        return InMemoryStorage()
    if isinstance(storage, BaseStorage):
        return storage
    if isinstance(storage, str):
        raise invalid_argument(
            "storage",
            storage,
            "None or a storage object (InMemoryStorage); database URLs such as "
            "'sqlite:///study.db' are not supported by this version of podbor",
        )
    raise invalid_argument("storage", storage, "None, a BaseStorage instance or a URL string")
