"""Copying studies between storages, and Optuna's storage formats, read and written at the edge.

``podbor.copy_study`` and ``podbor copy-study`` use this package. One module per concern:

* ``_snapshot``: the neutral record (:class:`StudySnapshot`) every reader makes and every
  writer takes, and its checks;
* ``_detect``: ``journal:`` URLs, and which format a URL holds; the errors that refuse an
  Optuna database or journal where podbor's is expected;
* ``_distributions``: Optuna's distribution JSON, deprecated names included;
* ``_journal_read``, ``_journal_write``: Optuna's journal files;
* ``_rdb_schema``, ``_rdb_read``, ``_rdb_write``: Optuna's database schema (SQLAlchemy,
  imported only when a database is read or written);
* ``_transfer``: reading any source and writing any destination.

Nothing here imports Optuna; its formats are written from what its releases store.
"""

from podbor.storages._optuna._detect import (
    COPY_COMMAND,
    Format,
    is_journal_url,
    journal_path,
    optuna_database_error,
    optuna_journal_error,
)
from podbor.storages._optuna._snapshot import StudySnapshot
from podbor.storages._optuna._transfer import FORMATS, read_studies, same_location, write_studies

__all__ = [
    "COPY_COMMAND",
    "FORMATS",
    "Format",
    "StudySnapshot",
    "is_journal_url",
    "journal_path",
    "optuna_database_error",
    "optuna_journal_error",
    "read_studies",
    "same_location",
    "write_studies",
]
