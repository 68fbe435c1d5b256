"""``copy-study``: copy studies between storages, and migrate them from and to Optuna's formats.

``--from-storage`` and ``--to-storage`` each take a database URL or a journal file
(``journal:///absolute/path``, ``journal:relative/path``); the command takes no ``--storage``.
The source may hold podbor's format or Optuna's (3.x to 5.0, detected, only read);
``--to-format optuna`` writes Optuna 5's format, which Optuna and optuna-dashboard open.
"""

from __future__ import annotations

import argparse

from podbor.cli._common import HANDLED_ERRORS, Command
from podbor.cli._output import Record
from podbor.exceptions import StorageInternalError
from podbor.study import copy_studies


def _copy_study(args: argparse.Namespace) -> list[Record]:
    """Copy ``--study-name`` (each one given, or every study) and list what was copied."""
    try:
        names = copy_studies(
            from_storage=args.from_storage,
            to_storage=args.to_storage,
            study_names=args.study_names,
            to_format=args.to_format,
        )
    except HANDLED_ERRORS:
        raise
    except Exception as err:  # a backend's own failure, e.g. an unreachable server
        raise StorageInternalError(f"copy-study failed: {type(err).__name__}: {err}") from err
    return [{"name": name} for name in names]


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    """The two storages, the studies and the destination's format."""
    parser.add_argument(
        "--from-storage",
        required=True,
        metavar="URL",
        help=(
            "where the studies are: a database URL or journal:PATH, podbor's or Optuna's, or "
            "a podbor journal in Redis (redis://host:6379/0)"
        ),
    )
    parser.add_argument(
        "--to-storage",
        required=True,
        metavar="URL",
        help=(
            "where to copy them: a database URL, journal:PATH (journal:///absolute/path) or "
            "redis://host:6379/0"
        ),
    )
    parser.add_argument(
        "--study-name",
        dest="study_names",
        action="append",
        metavar="NAME",
        help="a study to copy; repeat it for several (default: every study)",
    )
    parser.add_argument(
        "--to-format",
        choices=("podbor", "optuna"),
        default="podbor",
        help="the destination's format (default: %(default)s); optuna writes Optuna 5's",
    )
    parser.set_defaults(storage_free=True, url_options=("from_storage", "to_storage"))


COPY_COMMANDS: tuple[Command, ...] = (
    (
        "copy-study",
        "Copy studies to another storage; migrate them from or to Optuna's formats.",
        _copy_study,
        _add_arguments,
    ),
)
"""The copy command (it opens its own storages)."""
