"""The entry point: build the parser, run one command, turn the outcome into an exit code.

Exit codes: 0 on success, 1 when podbor reports an error (a one-line message on stderr, with
any password of the storage URL masked), 2 for a wrong command line. Any other error of a
command (e.g. a database driver's ``OverflowError``) is also one line and exit code 1, never a
traceback; ``-v`` logs the traceback too.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import podbor
from podbor.cli._ask_tell import ASK_TELL_COMMANDS
from podbor.cli._commands import STUDY_COMMANDS
from podbor.cli._common import HANDLED_ERRORS, Command, CommandGroup
from podbor.cli._copy import COPY_COMMANDS
from podbor.cli._dashboard import DASHBOARD_COMMANDS
from podbor.cli._output import FORMATS, emit
from podbor.cli._plot import PLOT_COMMANDS
from podbor.cli._storage import STORAGE_GROUP, check_existing, open_storage
from podbor.cli._worker import WORKER_COMMANDS

_logger = podbor.logging.get_logger(__name__)

STORAGE_ENV_VAR = "PODBOR_STORAGE"
"""The environment variable read when ``--storage`` is not given."""

_COMMANDS: tuple[Command, ...] = (
    *STUDY_COMMANDS,
    *COPY_COMMANDS,
    *ASK_TELL_COMMANDS,
    *PLOT_COMMANDS,
    *DASHBOARD_COMMANDS,
    *WORKER_COMMANDS,
)
_GROUPS: tuple[CommandGroup, ...] = (STORAGE_GROUP,)


# -- running a command ------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """Run one command and return its exit code (the console script ``podbor`` calls this).

    Args:
        argv: The arguments after the program name; ``sys.argv[1:]`` when None.

    Returns:
        0 on success, 1 when podbor reports an error, 2 for a wrong command line.
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, --version and usage errors
        return _exit_code(stop.code)
    with _verbosity(args.verbosity):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    """Find the storage URL, run the command and print its result; return the exit code."""
    if args.storage_free:  # the command names its storages with options of its own
        if args.storage is not None:
            return _usage_error(
                args.command_parser,
                f"{args.command} takes no --storage; it names its storages with its own options",
            )
        return _execute(args, None, [getattr(args, name) for name in args.url_options])
    url = args.storage or os.environ.get(STORAGE_ENV_VAR) or None
    if url is None:
        return _usage_error(
            args.command_parser, f"a storage is needed: pass --storage URL or set {STORAGE_ENV_VAR}"
        )
    return _execute(args, url, [url])


def _execute(args: argparse.Namespace, url: str | None, urls: Sequence[str]) -> int:
    """Open the storage at ``url`` (none for a storage-free command), run the handler, print.

    Args:
        args: The parsed command line.
        url: The storage URL, or None for a command that opens its own storages.
        urls: The URLs whose passwords an error message must not show.
    """
    try:
        if args.prepare is not None:  # check the command line before the storage is touched
            args.prepare(args)
        if url is None:
            result = args.handler(args)
        else:
            if args.needs_existing:  # a read must not create the storage it reads
                check_existing(url)
            result = args.handler(args, (args.opener or open_storage)(url))
    except HANDLED_ERRORS as err:
        print(f"podbor: error: {_one_line(err, [u for u in urls if u])}", file=sys.stderr)
        return 1
    except Exception as err:  # e.g. a driver's OverflowError: still one line, no traceback
        _logger.debug("The command failed:", exc_info=True)  # the traceback, with -v
        message = _one_line(err, [u for u in urls if u])
        kind = type(err).__name__
        print(
            f"podbor: error: {message if message == kind else f'{kind}: {message}'}",
            file=sys.stderr,
        )
        return 1
    try:
        emit(result, args.format)
    except BrokenPipeError:  # e.g. `podbor trials ... | head`: stop quietly
        _silence_stdout()
        return 1
    return 0


def _exit_code(code: str | int | None) -> int:
    """The exit code of a ``SystemExit`` raised by argparse; a message is printed to stderr."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that the interpreter's final flush does not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def _usage_error(parser: argparse.ArgumentParser, message: str) -> int:
    """Print the usage and ``message`` as argparse does; return exit code 2."""
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: {message}", file=sys.stderr)
    return 2


@contextlib.contextmanager
def _verbosity(verbosity: int) -> Iterator[None]:
    """-q / -v for the duration of the command; the library's level is restored afterwards."""
    previous = podbor.logging.get_verbosity()
    if verbosity < 0:
        podbor.logging.set_verbosity(podbor.logging.WARNING)
    elif verbosity > 0:
        podbor.logging.set_verbosity(podbor.logging.DEBUG)
    try:
        yield
    finally:
        podbor.logging.set_verbosity(previous)


def _one_line(err: BaseException, urls: Sequence[str]) -> str:
    """The error's message on one line, with any password in the storage URLs masked."""
    message = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
    for url in urls:
        message = message.replace(url, _redact(url))
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def _redact(url: str) -> str:
    """Mask the password of ``scheme://user:password@host/...``."""
    return re.sub(r"(://[^/:@]*:)[^/@]*@", r"\1***@", url)


# -- the parser -------------------------------------------------------------------------------
def _build_parser() -> argparse.ArgumentParser:
    """The ``podbor`` parser: common options, one subparser per command and per group."""
    parser = argparse.ArgumentParser(
        prog="podbor",
        description="Look into and manage the studies of a podbor storage.",
        epilog=f"The storage URL may also come from the {STORAGE_ENV_VAR} environment variable.",
    )
    parser.add_argument("--version", action="version", version=f"podbor {podbor.__version__}")
    _add_common_options(parser, default=None)
    common = argparse.ArgumentParser(add_help=False)
    _add_common_options(common, default=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_commands(commands, common, _COMMANDS)
    for group_name, help_text, group_commands in _GROUPS:
        group = commands.add_parser(
            group_name, parents=[common], help=help_text, description=help_text
        )
        subcommands = group.add_subparsers(
            dest=f"{group_name}_command", metavar="COMMAND", required=True
        )
        _add_commands(subcommands, common, group_commands)
    return parser


def _add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    table: Sequence[Command],
) -> None:
    """Add one subparser per command of ``table``.

    Besides its handler, each command may set through ``parser.set_defaults`` in its argument
    function: ``prepare``, ``opener`` (instead of :func:`~podbor.cli._storage.open_storage`)
    and ``format`` (see :data:`~podbor.cli._common.Command`).

    Args:
        commands: Where to add them.
        common: The parent parser of the options every command accepts.
        table: The commands.
    """
    for name, help_text, handler, add_arguments in table:
        sub = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
        sub.set_defaults(
            handler=handler,
            command_parser=sub,
            prepare=None,
            opener=None,
            needs_existing=False,
            storage_free=False,
            url_options=(),
        )
        add_arguments(sub)
        _add_format_option(sub, default=sub.get_default("format") or "table")


def _add_common_options(parser: argparse.ArgumentParser, *, default: Any) -> None:
    """``--storage`` and verbosity, accepted before and after the command name.

    After the command, defaults are suppressed so that a value given before it is kept.

    Args:
        parser: The main parser, or the parent parser of the commands.
        default: None for the main parser, ``argparse.SUPPRESS`` for the commands.
    """
    parser.add_argument(
        "--storage",
        default=default,
        metavar="URL",
        help=(
            "database URL (sqlite:///study.db), journal file (journal:///path/study.log) or "
            f"journal in Redis (redis://host:6379/0); default: ${STORAGE_ENV_VAR}"
        ),
    )
    level = parser.add_mutually_exclusive_group()
    level.add_argument(
        "-q",
        "--quiet",
        dest="verbosity",
        action="store_const",
        const=-1,
        default=0 if default is None else default,
        help="log warnings and errors only",
    )
    level.add_argument(
        "-v",
        "--verbose",
        dest="verbosity",
        action="store_const",
        const=1,
        default=0 if default is None else default,
        help="log debug messages too",
    )


def _add_format_option(parser: argparse.ArgumentParser, *, default: str) -> None:
    """``-f/--format table|json|yaml``."""
    parser.add_argument(
        "-f",
        "--format",
        choices=FORMATS,
        default=default,
        help="output format (default: %(default)s); json is meant for scripts",
    )
