"""``podbor worker``: run trials of a shared study until its total is reached.

For the many-machines pattern (a job array, a Kubernetes Job with parallelism): start the same
command anywhere, as often as wanted; each worker loads the study, runs trials of
``--objective`` until the study holds ``--n-trials`` trials that are not FAIL and they are all
finished (:class:`~podbor.study._worker.Worker`: no overshoot, whatever the number of workers),
prints what it did and exits 0.

Heartbeats are on by default (``--heartbeat-interval 10``): a worker that dies, even by SIGKILL,
leaves a trial that another worker fails after ``--grace-period`` and runs again (up to
``--retries`` times per configuration). SIGTERM or Ctrl-C stops the worker cleanly: the running
trial is stored as FAIL (reason: interrupted) and re-queued for another worker, and the command
exits 0 with ``stopped`` in its output.

Exit codes are the CLI's: 0 on success (done, timeout, stopped); 1 with a one-line message for
a study that does not exist (without ``--create-if-missing``), an objective that does not
import or is not callable, an objective that returns the wrong number of values (that first
trial is stored as FAIL, with the reason; nothing else is written), and ten trials in a row
failing in one worker; 2 for a wrong command line. The study is not touched by a refused start.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import podbor
from podbor.cli._common import Command, add_direction_options, add_study_name, invalid_option
from podbor.cli._output import Record
from podbor.cli._storage import open_storage
from podbor.exceptions import CLIUsageError, ExperimentalWarning, StudyNotFoundError
from podbor.storages import BaseStorage
from podbor.storages._heartbeat import HeartbeatStorage
from podbor.study._retry import RetryHeartbeatStaleTrialCallback
from podbor.study._worker import Worker
from podbor.trial import TrialState

DEFAULT_HEARTBEAT_INTERVAL = 10.0
"""Seconds between heartbeats of a worker's trial, unless ``--heartbeat-interval`` says."""
DEFAULT_RETRIES = 3
"""How often one configuration is run again after its worker died, unless ``--retries`` says."""
_OBJECTIVE_FORM = "package.module:function naming a callable"


def _worker(args: argparse.Namespace, storage: BaseStorage) -> Record:
    """Load (or create) the study, run the worker until done, return what it did."""
    try:
        study = podbor.load_study(study_name=args.study_name, storage=storage)
    except StudyNotFoundError as err:
        if not args.create_if_missing:
            raise StudyNotFoundError(
                f"{err.args[0] if err.args else err} Pass --create-if-missing to create it, "
                "or create it with create-study."
            ) from None
        study = podbor.create_study(
            storage=storage,
            study_name=args.study_name,
            direction=args.direction,
            directions=args.directions,
            load_if_exists=True,  # another worker may create it at the same moment
        )
    worker = Worker(
        study, args.objective_func, n_trials=args.n_trials, timeout=args.timeout, retry=args.retry
    )
    with _stop_on_signals(worker.request_stop), warnings.catch_warnings():
        # a value that fails a trial is logged once already; not again as a Python warning
        warnings.filterwarnings("ignore", r"Trial \d+ failed", UserWarning)
        outcome = worker.run()
    return {
        "study": study.study_name,
        "trials_run": outcome.n_run,
        "stopped": outcome.reason,
        "study_complete": len(study.get_trials(deepcopy=False, states=_COMPLETE)),
    }


_COMPLETE = (TrialState.COMPLETE,)


@contextmanager
def _stop_on_signals(stop: Callable[[], None]) -> Iterator[None]:
    """Call ``stop`` on SIGTERM and SIGINT while the block runs (then restore the handlers)."""

    def handler(signum: int, frame: Any) -> None:
        stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


# -- checking the command line before the storage is opened --------------------------------
def _prepare(args: argparse.Namespace) -> None:
    """Check the numbers, import the objective and build the heartbeat opener."""
    if (args.direction or args.directions) and not args.create_if_missing:
        raise CLIUsageError("--direction and --directions need --create-if-missing")
    for option, value in (
        ("--n-trials", args.n_trials),
        ("--retries", args.retries),
    ):
        if value is not None and value < (1 if option == "--n-trials" else 0):
            least = 1 if option == "--n-trials" else 0
            raise invalid_option(option, f"an int >= {least}", value)
    for option, value in (
        ("--timeout", args.timeout),
        ("--heartbeat-interval", args.heartbeat_interval),
        ("--grace-period", args.grace_period),
    ):
        if value is not None and not (value >= 0 and value < float("inf")):
            raise invalid_option(option, "a number of seconds >= 0", value)
    if args.heartbeat_interval == 0 and args.grace_period is not None:
        raise CLIUsageError("--grace-period needs heartbeats (a --heartbeat-interval above 0)")
    if args.timeout == 0:
        raise invalid_option("--timeout", "a number of seconds > 0", args.timeout)
    args.objective_func = load_objective(args.objective)
    args.needs_existing = not args.create_if_missing  # no file is created for a missing study
    interval = args.heartbeat_interval or None  # 0: off
    with warnings.catch_warnings():  # heartbeats and retries are experimental, as in Optuna
        warnings.simplefilter("ignore", ExperimentalWarning)
        args.retry = RetryHeartbeatStaleTrialCallback(max_retry=args.retries)

    def opener(url: str) -> BaseStorage:
        storage = open_storage(url)
        if interval is not None and isinstance(storage, HeartbeatStorage):
            storage.heartbeat_interval = interval
            storage.grace_period = args.grace_period
            storage.heartbeat_stale_trial_callback = args.retry
        return storage

    args.opener = opener


def load_objective(path: str) -> Callable[..., Any]:
    """Import ``package.module:function`` (the current directory first on the path, as with
    ``python -m``) and return the callable.

    Raises:
        CLIUsageError: The path is malformed, the module does not import, or the name is
            missing or not callable; the message says which.
    """
    module_name, sep, attribute = path.partition(":")
    if not sep or not module_name or not attribute or ":" in attribute:
        raise invalid_option("--objective", _OBJECTIVE_FORM, path)
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as err:  # ImportError, SyntaxError, or whatever the module raises
        raise invalid_option(
            "--objective",
            _OBJECTIVE_FORM,
            path,
            f"importing {module_name!r} failed with {type(err).__name__}: {err}",
        ) from None
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise invalid_option(
                "--objective", _OBJECTIVE_FORM, path, f"{module_name!r} has no {attribute!r}"
            )
        target = getattr(target, part)
    if not callable(target):
        raise invalid_option(
            "--objective",
            _OBJECTIVE_FORM,
            path,
            f"{attribute!r} is a {type(target).__name__}, which cannot be called",
        )
    func: Callable[..., Any] = target
    return func


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    """The study, the objective, the budget, heartbeats and retries, creation."""
    add_study_name(parser)
    parser.add_argument(
        "--objective",
        required=True,
        metavar="MODULE:FUNCTION",
        help="the objective, e.g. mypackage.train:objective (imported from the current directory)",
    )
    parser.add_argument(
        "--n-trials",
        type=int,
        metavar="N",
        help="the study's total: stop once it holds N trials that are not FAIL, all finished "
        "(default: no total)",
    )
    parser.add_argument("--timeout", type=float, metavar="S", help="start no trial after S seconds")
    parser.add_argument(
        "--heartbeat-interval",
        type=float,
        default=DEFAULT_HEARTBEAT_INTERVAL,
        metavar="S",
        help="seconds between heartbeats of a running trial (default: %(default)s; 0: off)",
    )
    parser.add_argument(
        "--grace-period",
        type=float,
        metavar="S",
        help="seconds without a heartbeat after which a trial counts as dead "
        "(default: twice the interval)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=DEFAULT_RETRIES,
        metavar="N",
        help="run a dead or stopped worker's trial again up to N times (default: %(default)s)",
    )
    parser.add_argument(
        "--create-if-missing",
        action="store_true",
        help="create the study when it does not exist (with --direction or --directions)",
    )
    add_direction_options(parser)
    parser.set_defaults(prepare=_prepare)


WORKER_COMMANDS: tuple[Command, ...] = (
    (
        "worker",
        "Run trials of a shared study until its total is reached (one of many workers).",
        _worker,
        _add_arguments,
    ),
)
"""The worker command."""
