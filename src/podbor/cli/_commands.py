"""The study commands: ``studies``, ``trials``, ``best-trial(s)``, ``create-study``, ``delete-study``.

Each handler takes the parsed arguments and the opened storage, calls one public function of
podbor and returns what to print (see :mod:`podbor.cli._output`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import podbor
from podbor.cli._common import Command, add_direction_options, add_study_name
from podbor.cli._output import Record, trial_record
from podbor.exceptions import CLIUsageError
from podbor.logging import get_logger
from podbor.storages import BaseStorage

_logger = get_logger(__name__)


def _studies(args: argparse.Namespace, storage: BaseStorage) -> list[Record]:
    """One record per study: name, directions, number of trials, start."""
    return [
        {
            "name": summary.study_name,
            "directions": [d.name for d in summary.directions],
            "n_trials": summary.n_trials,
            "datetime_start": summary.datetime_start,
        }
        for summary in podbor.get_all_study_summaries(storage, include_best_trial=False)
    ]


def _trials(args: argparse.Namespace, storage: BaseStorage) -> list[Record]:
    """One record per trial of ``--study-name``."""
    study = podbor.load_study(study_name=args.study_name, storage=storage)
    multi = len(study.directions) > 1
    return [trial_record(t, multi) for t in study.get_trials(deepcopy=False)]


def _best_trial(args: argparse.Namespace, storage: BaseStorage) -> Record:
    """The best trial of a single-objective study; a multi-objective one is refused."""
    study = podbor.load_study(study_name=args.study_name, storage=storage)
    if len(study.directions) > 1:
        raise CLIUsageError(
            f"the study {study.study_name!r} has {len(study.directions)} objectives and so no "
            "single best trial; use the best-trials command"
        )
    return trial_record(study.best_trial, multi=False)


def _best_trials(args: argparse.Namespace, storage: BaseStorage) -> list[Record]:
    """The Pareto-optimal trials of ``--study-name``."""
    study = podbor.load_study(study_name=args.study_name, storage=storage)
    multi = len(study.directions) > 1
    return [trial_record(t, multi) for t in study.best_trials]


def _create_study(args: argparse.Namespace, storage: BaseStorage) -> str:
    """Create a study (or, with ``--skip-if-exists``, load it) and return its name."""
    study = podbor.create_study(
        storage=storage,
        study_name=args.study_name,
        direction=args.direction,
        directions=args.directions,
        load_if_exists=args.skip_if_exists,
    )
    return study.study_name


def _delete_study(args: argparse.Namespace, storage: BaseStorage) -> None:
    """Delete ``--study-name`` and its trials; print nothing, log a line."""
    podbor.delete_study(study_name=args.study_name, storage=storage)
    _logger.info(f"Deleted the study {args.study_name!r} and its trials.")


def _add_create_study_arguments(parser: argparse.ArgumentParser) -> None:
    """``--study-name``, the direction(s) and ``--skip-if-exists``."""
    parser.add_argument(
        "--study-name", metavar="NAME", help="a unique name (default: a generated one)"
    )
    add_direction_options(parser)
    parser.add_argument(
        "--skip-if-exists",
        action="store_true",
        help="if the study exists, print its name instead of failing",
    )


def _reads(
    add_arguments: Callable[[argparse.ArgumentParser], None],
) -> Callable[[argparse.ArgumentParser], None]:
    """The arguments of a command that needs an existing storage (it creates no file)."""

    def add(parser: argparse.ArgumentParser) -> None:
        add_arguments(parser)
        parser.set_defaults(needs_existing=True)

    return add


STUDY_COMMANDS: tuple[Command, ...] = (
    (
        "studies",
        "List the studies: name, directions, n_trials, start.",
        _studies,
        _reads(lambda p: None),
    ),
    ("trials", "List the trials of a study.", _trials, _reads(add_study_name)),
    (
        "best-trial",
        "Show the best trial of a single-objective study.",
        _best_trial,
        _reads(add_study_name),
    ),
    (
        "best-trials",
        "List the Pareto-optimal trials of a study.",
        _best_trials,
        _reads(add_study_name),
    ),
    (
        "create-study",
        "Create a study and print its name.",
        _create_study,
        _add_create_study_arguments,
    ),
    (
        "delete-study",
        "Delete a study and all its trials.",
        _delete_study,
        _reads(add_study_name),
    ),
)
"""The study commands, in the order ``podbor --help`` lists them."""
