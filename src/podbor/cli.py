"""The ``podbor`` command line: look into and manage the studies of a storage.

Commands (each takes ``--storage URL``, or reads the ``PODBOR_STORAGE`` environment variable,
and ``-f/--format table|json|yaml``)::

    podbor --version
    podbor studies      --storage URL
    podbor trials       --storage URL --study-name NAME
    podbor best-trial   --storage URL --study-name NAME
    podbor best-trials  --storage URL --study-name NAME
    podbor create-study --storage URL [--study-name NAME] [--direction D | --directions D ...]
                        [--skip-if-exists]
    podbor delete-study --storage URL --study-name NAME
    podbor ask          --storage URL --study-name NAME [--search-space JSON]
                        [--sampler NAME [--sampler-kwargs JSON]]
                        [--create-if-missing [--direction D | --directions D ...]]
    podbor tell         --storage URL --study-name NAME --trial-number N [--values V ...]
                        [--state complete|pruned|fail] [--skip-if-finished]
    podbor storage upgrade --storage URL

``ask`` and ``tell`` let a shell script drive a study: ``ask`` starts a trial and prints its
number and parameters (JSON by default), ``tell`` finishes it. ``storage upgrade`` brings a
database made by an older podbor to the current schema.

Exit codes: 0 on success, 1 when podbor reports an error (a one-line message on stderr), 2 for a
wrong command line. The same runs as ``python -m podbor``.

Example:
    >>> main(["--version"])  # doctest: +ELLIPSIS
    podbor ...
    0
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import inspect
import json
import math
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeGuard

import podbor
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    json_to_distribution,
)
from podbor.exceptions import (
    CLIUsageError,
    PodborError,
    StorageInternalError,
    StudyNotFoundError,
    UpdateFinishedTrialError,
)
from podbor.logging import get_logger
from podbor.samplers import BaseSampler
from podbor.storages import BaseStorage, get_storage
from podbor.trial import FrozenTrial, Trial, TrialState

__all__ = ["STORAGE_ENV_VAR", "main"]

STORAGE_ENV_VAR = "PODBOR_STORAGE"
"""The environment variable read when ``--storage`` is not given."""

Record = dict[str, Any]
Handler = Callable[[argparse.Namespace, BaseStorage], Record | list[Record] | str | None]
Command = tuple[str, str, Handler, Callable[[argparse.ArgumentParser], None]]
"""A command: its name, its help text, its handler and a function that adds its arguments."""

_logger = get_logger(__name__)
_HANDLED_ERRORS = (PodborError, ValueError, KeyError, ImportError)
_FORMATS = ("table", "json", "yaml")
_DIRECTIONS = ("minimize", "maximize")
_DISTRIBUTION_EXAMPLE = (
    'a distribution such as {"name": "FloatDistribution", "attributes": {"low": 0, "high": 1}}'
)
_NEGATIVE_NUMBER = re.compile(  # what `tell --values` reads as a number, not an option
    r"^-(\d+\.?\d*(e[-+]?\d+)?|\.\d+(e[-+]?\d+)?|inf|infinity|nan)$", re.IGNORECASE
)
_TELL_STATES = {
    "complete": TrialState.COMPLETE,
    "pruned": TrialState.PRUNED,
    "fail": TrialState.FAIL,
}


# -- the entry point --------------------------------------------------------------------------
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
    url = args.storage or os.environ.get(STORAGE_ENV_VAR) or None
    if url is None:
        return _usage_error(
            args.command_parser, f"a storage is needed: pass --storage URL or set {STORAGE_ENV_VAR}"
        )
    try:
        if args.prepare is not None:  # check the command line before the storage is touched
            args.prepare(args)
        storage = (args.opener or _open_storage)(url)
        result = args.handler(args, storage)
    except _HANDLED_ERRORS as err:
        print(f"podbor: error: {_one_line(err, url)}", file=sys.stderr)
        return 1
    try:
        _emit(result, args.format)
    except BrokenPipeError:  # e.g. `podbor trials ... | head`: stop quietly
        _silence_stdout()
        return 1
    return 0


def _exit_code(code: str | int | None) -> int:
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


def _open_storage(url: str) -> BaseStorage:
    """Build the storage for a command (the default opener)."""
    return _opening(url, get_storage)


def _opening(url: str, factory: Callable[[str], BaseStorage]) -> BaseStorage:
    """Call ``factory(url)``; a backend's own failure (e.g. a driver error) becomes a podbor error."""
    try:
        return factory(url)
    except _HANDLED_ERRORS:
        raise
    except Exception as err:
        raise StorageInternalError(
            f"cannot open the storage {url!r}: {type(err).__name__}: {err}"
        ) from err


def _one_line(err: BaseException, url: str) -> str:
    """The error's message on one line, with any password in the storage URL masked."""
    message = str(err.args[0]) if isinstance(err, KeyError) and err.args else str(err)
    message = message.replace(url, _redact(url))
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def _redact(url: str) -> str:
    """Mask the password of ``scheme://user:password@host/...``."""
    return re.sub(r"(://[^/:@]*:)[^/@]*@", r"\1***@", url)


# -- the parser -------------------------------------------------------------------------------
def _build_parser() -> argparse.ArgumentParser:
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
    function: ``prepare`` (called with the arguments before the storage is opened, e.g. to parse
    JSON options), ``opener`` (``url → storage``, instead of :func:`_open_storage`) and
    ``format`` (the default output format).
    """
    for name, help_text, handler, add_arguments in table:
        sub = commands.add_parser(name, parents=[common], help=help_text, description=help_text)
        sub.set_defaults(handler=handler, command_parser=sub, prepare=None, opener=None)
        add_arguments(sub)
        _add_format_option(sub, default=sub.get_default("format") or "table")


def _add_common_options(parser: argparse.ArgumentParser, *, default: Any) -> None:
    """``--storage`` and verbosity, accepted before and after the command name.

    After the command, defaults are suppressed so that a value given before it is kept.
    """
    parser.add_argument(
        "--storage",
        default=default,
        metavar="URL",
        help=f"database URL, e.g. sqlite:///study.db (default: ${STORAGE_ENV_VAR})",
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
    parser.add_argument(
        "-f",
        "--format",
        choices=_FORMATS,
        default=default,
        help="output format (default: %(default)s); json is meant for scripts",
    )


def _add_study_name(parser: argparse.ArgumentParser, *, required: bool = True) -> None:
    parser.add_argument("--study-name", required=required, metavar="NAME", help="the study")


def _add_create_study_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--study-name", metavar="NAME", help="a unique name (default: a generated one)"
    )
    _add_direction_options(parser)
    parser.add_argument(
        "--skip-if-exists",
        action="store_true",
        help="if the study exists, print its name instead of failing",
    )


def _add_direction_options(parser: argparse.ArgumentParser) -> None:
    directions = parser.add_mutually_exclusive_group()
    directions.add_argument(
        "--direction", choices=_DIRECTIONS, help="the objective's direction (default: minimize)"
    )
    directions.add_argument(
        "--directions", nargs="+", choices=_DIRECTIONS, help="one direction per objective"
    )


def _add_ask_arguments(parser: argparse.ArgumentParser) -> None:
    _add_study_name(parser)
    parser.add_argument(
        "--search-space",
        metavar="JSON",
        help="parameter name → distribution, e.g. "
        '\'{"x": {"name": "FloatDistribution", "attributes": {"low": 0, "high": 1}}}\'',
    )
    parser.add_argument(
        "--sampler",
        metavar="NAME",
        help="a sampler of podbor.samplers, e.g. RandomSampler (default: the study's default)",
    )
    parser.add_argument(
        "--sampler-kwargs",
        metavar="JSON",
        help='keyword arguments of --sampler, e.g. \'{"seed": 0}\'; a "base_sampler" may be '
        'a sampler name or {"name": ..., "kwargs": {...}}',
    )
    parser.add_argument(
        "--create-if-missing",
        action="store_true",
        help="create the study (with --direction/--directions) if it does not exist",
    )
    _add_direction_options(parser)
    parser.set_defaults(format="json", prepare=_prepare_ask)


def _add_tell_arguments(parser: argparse.ArgumentParser) -> None:
    # argparse reads only "-1" and "-.5" as negative numbers, "-1e-3" and "-inf" as unknown
    # options; the tell command has no option that looks like a number, so widen the pattern
    # (an attribute of every ArgumentParser since Python 2.7, typed in typeshed).
    parser._negative_number_matcher = _NEGATIVE_NUMBER
    _add_study_name(parser)
    parser.add_argument(
        "--trial-number", type=int, required=True, metavar="N", help="the trial to finish"
    )
    parser.add_argument(
        "--values",
        type=float,
        nargs="+",
        metavar="V",
        help="the objective value(s); required unless --state is pruned or fail",
    )
    parser.add_argument(
        "--state", choices=tuple(_TELL_STATES), help="how the trial ended (default: complete)"
    )
    parser.add_argument(
        "--skip-if-finished",
        action="store_true",
        help="if the trial already finished, print it instead of failing",
    )


def _add_storage_upgrade_arguments(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(opener=_open_storage_to_upgrade)


# -- the commands -----------------------------------------------------------------------------
def _studies(args: argparse.Namespace, storage: BaseStorage) -> list[Record]:
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
    study = podbor.load_study(study_name=args.study_name, storage=storage)
    multi = len(study.directions) > 1
    return [_trial_record(t, multi) for t in study.get_trials(deepcopy=False)]


def _best_trial(args: argparse.Namespace, storage: BaseStorage) -> Record:
    study = podbor.load_study(study_name=args.study_name, storage=storage)
    if len(study.directions) > 1:
        raise CLIUsageError(
            f"the study {study.study_name!r} has {len(study.directions)} objectives and so no "
            "single best trial; use the best-trials command"
        )
    return _trial_record(study.best_trial, multi=False)


def _best_trials(args: argparse.Namespace, storage: BaseStorage) -> list[Record]:
    study = podbor.load_study(study_name=args.study_name, storage=storage)
    multi = len(study.directions) > 1
    return [_trial_record(t, multi) for t in study.best_trials]


def _create_study(args: argparse.Namespace, storage: BaseStorage) -> str:
    study = podbor.create_study(
        storage=storage,
        study_name=args.study_name,
        direction=args.direction,
        directions=args.directions,
        load_if_exists=args.skip_if_exists,
    )
    return study.study_name


def _delete_study(args: argparse.Namespace, storage: BaseStorage) -> None:
    podbor.delete_study(study_name=args.study_name, storage=storage)
    _logger.info(f"Deleted the study {args.study_name!r} and its trials.")


def _trial_record(trial: FrozenTrial, multi: bool) -> Record:
    record: Record = {"number": trial.number, **_values_field(trial, multi)}
    record.update(
        datetime_start=trial.datetime_start,
        datetime_complete=trial.datetime_complete,
        duration=trial.duration,
        params=trial.params,
        user_attrs=trial.user_attrs,
        state=trial.state.name,
    )
    return record


def _values_field(trial: FrozenTrial, multi: bool) -> Record:
    return {"values": trial.values} if multi else {"value": trial.value}


# -- ask and tell -----------------------------------------------------------------------------
def _prepare_ask(args: argparse.Namespace) -> None:
    """Parse the JSON options of ``ask`` into ``args.distributions`` and ``args.sampler_object``."""
    if (args.direction or args.directions) and not args.create_if_missing:
        raise CLIUsageError(
            "--direction and --directions describe a study to create: pass them with "
            "--create-if-missing"
        )
    if args.sampler_kwargs is not None and args.sampler is None:
        raise CLIUsageError("--sampler-kwargs needs --sampler NAME")
    args.distributions = _parse_search_space(args.search_space)
    args.sampler_object = None
    if args.sampler is not None:
        kwargs = _parse_json_object(args.sampler_kwargs or "{}", "--sampler-kwargs")
        args.sampler_object = _make_sampler(args.sampler, kwargs)


def _ask(args: argparse.Namespace, storage: BaseStorage) -> Record:
    """Start a trial and suggest the search space.

    Unlike ``Study.ask(fixed_distributions=...)``, a parameter that cannot be suggested (e.g. a
    distribution that conflicts with the study's) makes the trial FAIL instead of leaving it
    RUNNING for ever.
    """
    if args.create_if_missing:
        study = podbor.create_study(
            storage=storage,
            sampler=args.sampler_object,
            study_name=args.study_name,
            direction=args.direction,
            directions=args.directions,
            load_if_exists=True,
        )
    else:
        study = _load_study(args.study_name, storage, args.sampler_object)
    trial = study.ask()  # claims the oldest enqueued trial first
    try:
        for name, distribution in args.distributions.items():
            _suggest(trial, name, distribution)
    except BaseException:
        study.tell(trial, state=TrialState.FAIL)
        _logger.warning(f"Trial {trial.number} failed: its parameters could not be suggested.")
        raise
    return {"number": trial.number, "params": trial.params}


def _load_study(name: str, storage: BaseStorage, sampler: BaseSampler | None) -> podbor.Study:
    try:
        return podbor.load_study(study_name=name, storage=storage, sampler=sampler)
    except StudyNotFoundError as err:
        raise StudyNotFoundError(
            f"{err} Pass --create-if-missing to create it, or create it with create-study."
        ) from None


def _suggest(trial: Trial, name: str, dist: BaseDistribution) -> None:
    """What ``Study.ask(fixed_distributions=...)`` does, one parameter at a time."""
    if isinstance(dist, FloatDistribution):
        trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)
    elif isinstance(dist, IntDistribution):
        trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    elif isinstance(dist, CategoricalDistribution):
        trial.suggest_categorical(name, dist.choices)
    else:
        raise _invalid_option("--search-space", "made of podbor's distributions", dist)


def _tell(args: argparse.Namespace, storage: BaseStorage) -> Record:
    """Finish a trial with ``Study.tell``; a wrong number of values is refused, not told."""
    study = _load_study(args.study_name, storage, None)
    state = _TELL_STATES[args.state] if args.state else None
    n_objectives = len(study.directions)
    counted = state in (None, TrialState.COMPLETE) and args.values is not None
    if counted and len(args.values) != n_objectives:  # a typo must not make the trial FAIL
        raise _invalid_option(
            "--values",
            f"{n_objectives} number(s), one per objective of the study {study.study_name!r}",
            args.values,
        )
    try:
        finished = study.tell(
            args.trial_number, args.values, state, skip_if_finished=args.skip_if_finished
        )
    except UpdateFinishedTrialError as err:
        raise UpdateFinishedTrialError(
            str(err).replace("skip_if_finished=True", "--skip-if-finished")
        ) from None
    record: Record = {"number": finished.number, "state": finished.state.name}
    return {**record, **_values_field(finished, n_objectives > 1)}


# -- parsing JSON options ---------------------------------------------------------------------
def _invalid_option(option: str, expected: str, got: Any, detail: str = "") -> CLIUsageError:
    """The library's message shape for a command-line option: what it must be, what it was."""
    because = f": {detail.rstrip('.')}" if detail else ""
    return CLIUsageError(f"{option} must be {expected}. Got {got!r} instead{because}.")


def _parse_json_object(text: str, option: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise _invalid_option(option, "a JSON object", text, f"invalid JSON: {err}") from None
    if not isinstance(value, dict):
        raise _invalid_option(option, "a JSON object", text)
    return value


def _parse_search_space(text: str | None) -> dict[str, BaseDistribution]:
    """``{"x": {"name": "FloatDistribution", "attributes": {...}}, ...}`` → distributions.

    A distribution may also be given as a JSON string, as ``distribution_to_json`` writes it.
    """
    if text is None:
        return {}
    space = _parse_json_object(text, "--search-space")
    distributions: dict[str, BaseDistribution] = {}
    for name, spec in space.items():
        raw = spec if isinstance(spec, str) else json.dumps(spec)
        try:
            distributions[name] = json_to_distribution(raw)
        except (ValueError, KeyError, TypeError) as err:
            detail = f"missing {err}" if isinstance(err, KeyError) else str(err)
            raise _invalid_option(
                f"--search-space[{name!r}]", _DISTRIBUTION_EXAMPLE, raw, detail
            ) from None
    return distributions


def _make_sampler(name: str, kwargs: Mapping[str, Any]) -> BaseSampler:
    """Instantiate ``podbor.samplers.<name>(**kwargs)``; a ``base_sampler`` may be given by name."""
    cls = getattr(podbor.samplers, name, None)
    if not _is_sampler_class(cls):
        raise _invalid_option("--sampler", f"one of {', '.join(_sampler_names())}", name)
    kwargs = dict(kwargs)
    base = kwargs.get("base_sampler")
    if isinstance(base, str):
        kwargs["base_sampler"] = _make_sampler(base, {})
    elif isinstance(base, dict) and isinstance(base.get("name"), str):
        base_kwargs = base.get("kwargs", {})
        if not isinstance(base_kwargs, dict):
            raise _invalid_option("--sampler-kwargs", 'a "base_sampler" with dict "kwargs"', base)
        kwargs["base_sampler"] = _make_sampler(base["name"], base_kwargs)
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise _invalid_option(
            "--sampler-kwargs", f"keyword arguments of {name}", kwargs, str(err)
        ) from None


def _is_sampler_class(value: Any) -> TypeGuard[type[BaseSampler]]:
    return (
        isinstance(value, type) and issubclass(value, BaseSampler) and not inspect.isabstract(value)
    )


def _sampler_names() -> list[str]:
    """The samplers ``--sampler`` accepts: the concrete ones that ``podbor.samplers`` exports."""
    return sorted(
        n for n in podbor.samplers.__all__ if _is_sampler_class(getattr(podbor.samplers, n))
    )


# -- storage ----------------------------------------------------------------------------------
def _open_storage_to_upgrade(url: str) -> BaseStorage:
    """Open a database whatever its schema version (the default opener refuses an old one)."""
    from podbor.storages import RDBStorage

    _check_upgradable_url(url)
    return _opening(url, lambda u: RDBStorage(u, skip_compatibility_check=True))


def _check_upgradable_url(url: str) -> None:
    """Refuse what cannot hold an old schema, before anything is created: a URL that is not a
    database URL, an in-memory SQLite database, or a SQLite file that does not exist."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    expected = "the URL of an existing database, such as sqlite:///study.db"
    try:
        parsed = make_url(url)
        parsed.get_dialect()
    except ArgumentError:  # also an unknown backend: NoSuchModuleError
        raise _invalid_option("--storage", expected, url, "not a database URL") from None
    if parsed.get_backend_name() != "sqlite" or "uri" in parsed.query:
        return
    database = parsed.database or ""
    if database in ("", ":memory:"):
        raise _invalid_option(
            "--storage", expected, url, "an in-memory database has no schema to upgrade"
        )
    if not os.path.exists(database):
        raise _invalid_option("--storage", expected, url, f"there is no file {database!r}")


def _storage_upgrade(args: argparse.Namespace, storage: BaseStorage) -> str:
    """Upgrade an older schema; refuse one newer than (or unknown to) this podbor."""
    from podbor.storages import RDBStorage

    if not isinstance(storage, RDBStorage):
        raise CLIUsageError(
            f"only a database storage has a schema to upgrade; {type(storage).__name__} has none"
        )
    current, head = storage.get_current_version(), storage.get_head_version()
    if current == head:
        return f"The storage is already at schema {head}."
    if not (current.isdigit() and head.isdigit() and int(current) < int(head)):
        raise CLIUsageError(
            f"The storage is at schema {current}, which this podbor (schema {head}) does not "
            "know; it is left untouched. Upgrade podbor to use it."
        )
    storage.upgrade()
    return f"Upgraded the storage from schema {current} to {storage.get_current_version()}."


_COMMANDS: tuple[Command, ...] = (
    ("studies", "List the studies: name, directions, n_trials, start.", _studies, lambda p: None),
    ("trials", "List the trials of a study.", _trials, _add_study_name),
    (
        "best-trial",
        "Show the best trial of a single-objective study.",
        _best_trial,
        _add_study_name,
    ),
    ("best-trials", "List the Pareto-optimal trials of a study.", _best_trials, _add_study_name),
    (
        "create-study",
        "Create a study and print its name.",
        _create_study,
        _add_create_study_arguments,
    ),
    ("delete-study", "Delete a study and all its trials.", _delete_study, _add_study_name),
    (
        "ask",
        "Start a trial (an enqueued one first), suggest the --search-space, print number and "
        "params.",
        _ask,
        _add_ask_arguments,
    ),
    (
        "tell",
        "Finish a trial started by ask; print its final state and value(s).",
        _tell,
        _add_tell_arguments,
    ),
)

_STORAGE_COMMANDS: tuple[Command, ...] = (
    (
        "upgrade",
        "Upgrade a database made by an older podbor to the current schema.",
        _storage_upgrade,
        _add_storage_upgrade_arguments,
    ),
)

_GROUPS: tuple[tuple[str, str, tuple[Command, ...]], ...] = (
    ("storage", "Manage the storage itself (its schema).", _STORAGE_COMMANDS),
)


# -- output -----------------------------------------------------------------------------------
def _emit(result: Record | list[Record] | str | None, fmt: str) -> None:
    if result is None:
        return
    if isinstance(result, str):
        print(result)
        return
    if fmt == "json":
        print(json.dumps(_plain(result, finite_only=True), indent=2, allow_nan=False))
    elif fmt == "yaml":
        print(_to_yaml(_plain(result, finite_only=False)))
    else:
        print(_to_table(result if isinstance(result, list) else [result]))


def _plain(value: Any, *, finite_only: bool) -> Any:
    """Plain data: ISO datetimes, durations in seconds; with ``finite_only``, ±inf/NaN as strings.

    Strict JSON has no infinity, so JSON output writes ``"inf"``, ``"-inf"`` and ``"nan"``.
    """
    if isinstance(value, Mapping):
        return {str(k): _plain(v, finite_only=finite_only) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, finite_only=finite_only) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if finite_only and isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


# -- table ------------------------------------------------------------------------------------
def _to_table(records: Sequence[Record]) -> str:
    """An ASCII table; dict fields become one column per key (``params_x``), numbers align right."""
    rows = [_flatten(r) for r in records]
    columns = list(dict.fromkeys(key for row in rows for key in row)) if rows else []
    if not columns:
        return "(nothing to show)"
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    right = [all(_is_number(row.get(c)) for row in rows) for c in columns]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(texts: Sequence[str], align: Sequence[bool]) -> str:
        parts = (t.rjust(w) if r else t.ljust(w) for t, w, r in zip(texts, widths, align))
        return "| " + " | ".join(parts) + " |"

    body = [line(r, right) for r in cells]
    return "\n".join([rule, line(columns, [False] * len(columns)), rule, *body, rule])


def _flatten(record: Record) -> Record:
    flat: Record = {}
    for key, value in record.items():
        if isinstance(value, Mapping):
            flat.update({f"{key}_{k}": v for k, v in sorted(value.items())})
        else:
            flat[key] = value
    return flat


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _is_number(value: Any) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


# -- yaml -------------------------------------------------------------------------------------
_PLAIN_YAML = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_YAML_WORDS = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"})


def _to_yaml(data: Any, indent: int = 0) -> str:
    """Block-style YAML for plain data (dicts, lists, scalars), with no dependency."""
    pad = " " * indent
    if isinstance(data, dict) and data:
        return "\n".join(
            _yaml_entry(f"{pad}{_yaml_scalar(k)}:", v, indent) for k, v in data.items()
        )
    if isinstance(data, list) and data:
        return "\n".join(_yaml_item(pad, v, indent) for v in data)
    return pad + _yaml_scalar(data)


def _yaml_entry(key: str, value: Any, indent: int) -> str:
    if isinstance(value, (dict, list)) and value:
        return f"{key}\n{_to_yaml(value, indent + 2)}"
    return f"{key} {_yaml_scalar(value)}"


def _yaml_item(pad: str, value: Any, indent: int) -> str:
    if isinstance(value, (dict, list)) and value:
        nested = _to_yaml(value, indent + 2)
        return f"{pad}- {nested.lstrip()}"
    return f"{pad}- {_yaml_scalar(value)}"


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _yaml_float(value)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    text = str(value)
    if _PLAIN_YAML.fullmatch(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text)  # a JSON string is a valid double-quoted YAML scalar


def _yaml_float(value: float) -> str:
    """A float that YAML 1.1 and 1.2 readers both parse as a float (``1.0e-05``, ``.inf``)."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    mantissa, e, exponent = text.partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return mantissa + e + exponent
