"""What the command modules share with the entry point.

The command table's types, the errors reported as a one-line message, the message shape of a
wrong option, and the arguments that several commands take.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from podbor.cli._output import Result
from podbor.exceptions import CLIUsageError, PodborError
from podbor.storages import BaseStorage

Handler = Callable[[argparse.Namespace, BaseStorage], Result]
"""A command's work: the parsed arguments and the opened storage → what to print."""

StorageFreeHandler = Callable[[argparse.Namespace], Result]
"""The work of a command that opens its own storages (``copy-study``): arguments → what to print."""

Command = tuple[str, str, Handler | StorageFreeHandler, Callable[[argparse.ArgumentParser], None]]
"""A command: its name, its help text, its handler and a function that adds its arguments.

Besides its arguments, the function may set through ``parser.set_defaults``: ``prepare``
(called with the arguments before the storage is opened, e.g. to parse JSON options),
``opener`` (``url → storage``, instead of the default opener), ``needs_existing=True`` (for a
command that must not create a missing SQLite file), ``format`` (the default
output format), and ``storage_free=True`` with ``url_options`` (the options that hold URLs,
whose passwords error messages mask) for a command that takes no ``--storage`` and whose
handler is a :data:`StorageFreeHandler`.
"""

CommandGroup = tuple[str, str, tuple[Command, ...]]
"""A group of subcommands (e.g. ``storage upgrade``): its name, its help text, its commands."""

HANDLED_ERRORS = (PodborError, ValueError, KeyError, ImportError)
"""The errors a command reports as a one-line message and exit code 1."""

DIRECTIONS = ("minimize", "maximize")
_MAX_SHOWN = 200  # characters of a wrong value that an error message shows


def invalid_option(option: str, expected: str, got: Any, detail: str = "") -> CLIUsageError:
    """The library's message shape for a command-line option: what it must be, what it was.

    Args:
        option: The option, e.g. ``"--sampler"`` or ``"--search-space['x']"``.
        expected: What the option must be, e.g. ``"a JSON object"``.
        got: The value given.
        detail: Why the value is wrong, when ``expected`` does not say it all.

    Returns:
        The error to raise.
    """
    because = f": {detail.rstrip('.')}" if detail else ""
    shown = repr(got)
    if len(shown) > _MAX_SHOWN:  # e.g. deeply nested JSON: the start says enough
        shown = shown[: _MAX_SHOWN - 3] + "..."
    return CLIUsageError(f"{option} must be {expected}. Got {shown} instead{because}.")


def add_study_name(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    """Add ``--study-name NAME``.

    Args:
        parser: The command's parser.
        required: Whether the command needs it.
    """
    parser.add_argument("--study-name", required=required, metavar="NAME", help="the study")


def add_direction_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--direction D`` and ``--directions D ...``, one excluding the other.

    Args:
        parser: The command's parser.
    """
    directions = parser.add_mutually_exclusive_group()
    directions.add_argument(
        "--direction", choices=DIRECTIONS, help="the objective's direction (default: minimize)"
    )
    directions.add_argument(
        "--directions", nargs="+", choices=DIRECTIONS, help="one direction per objective"
    )
