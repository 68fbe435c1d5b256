"""``ask`` and ``tell``: a shell script drives a study, one trial at a time.

``ask`` starts a trial, suggests the ``--search-space`` (JSON distributions) with an optional
``--sampler`` (a name and JSON keyword arguments) and prints the trial's number and parameters;
``tell`` finishes the trial with its value(s) or state.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
from collections.abc import Mapping
from typing import Any, TypeGuard

import podbor
from podbor.cli._common import Command, add_direction_options, add_study_name, invalid_option
from podbor.cli._output import Record, values_field
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    json_to_distribution,
)
from podbor.exceptions import CLIUsageError, StudyNotFoundError, UpdateFinishedTrialError
from podbor.logging import get_logger
from podbor.samplers import BaseSampler
from podbor.storages import BaseStorage
from podbor.trial import Trial, TrialState

_logger = get_logger(__name__)
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


# -- arguments --------------------------------------------------------------------------------
def _add_ask_arguments(parser: argparse.ArgumentParser) -> None:
    """The study, the search space, the sampler and how to create a missing study."""
    add_study_name(parser)
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
    add_direction_options(parser)
    parser.set_defaults(format="json", prepare=_prepare_ask)


def _add_tell_arguments(parser: argparse.ArgumentParser) -> None:
    """The study, the trial, its value(s) or state, and ``--skip-if-finished``."""
    # argparse reads only "-1" and "-.5" as negative numbers, "-1e-3" and "-inf" as unknown
    # options; the tell command has no option that looks like a number, so widen the pattern
    # (an attribute of every ArgumentParser since Python 2.7, typed in typeshed).
    parser._negative_number_matcher = _NEGATIVE_NUMBER
    parser.set_defaults(needs_existing=True)  # a study to tell must exist already
    add_study_name(parser)
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


# -- ask --------------------------------------------------------------------------------------
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
    """``podbor.load_study``, with a hint on how to create a missing study."""
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
        raise invalid_option("--search-space", "made of podbor's distributions", dist)


# -- tell -------------------------------------------------------------------------------------
def _tell(args: argparse.Namespace, storage: BaseStorage) -> Record:
    """Finish a trial with ``Study.tell``; a wrong number of values is refused, not told."""
    study = _load_study(args.study_name, storage, None)
    state = _TELL_STATES[args.state] if args.state else None
    n_objectives = len(study.directions)
    if state in (None, TrialState.COMPLETE) and args.values is None:  # Study.tell would FAIL it
        raise invalid_option(
            "--values", "the objective value(s), unless --state is pruned or fail", None
        )
    counted = state in (None, TrialState.COMPLETE) and args.values is not None
    if counted and len(args.values) != n_objectives:  # a typo must not make the trial FAIL
        raise invalid_option(
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
    return {**record, **values_field(finished, n_objectives > 1)}


# -- parsing JSON options ---------------------------------------------------------------------
def _parse_json_object(text: str, option: str) -> dict[str, Any]:
    """Parse the value of ``option``, which must be a JSON object."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:
        raise invalid_option(option, "a JSON object", text, f"invalid JSON: {err}") from None
    except RecursionError:
        raise invalid_option(option, "a JSON object", text, "nested too deeply") from None
    if not isinstance(value, dict):
        raise invalid_option(option, "a JSON object", text)
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
        raw: Any = spec
        try:
            raw = spec if isinstance(spec, str) else json.dumps(spec)
            _check_choices(json.loads(raw) if isinstance(spec, str) else spec)
            distributions[name] = json_to_distribution(raw)
        except (ValueError, KeyError, TypeError, RecursionError) as err:
            if isinstance(err, RecursionError):
                detail = "nested too deeply"
            else:
                detail = f"missing {err}" if isinstance(err, KeyError) else str(err)
            raise invalid_option(
                f"--search-space[{name!r}]", _DISTRIBUTION_EXAMPLE, raw, detail
            ) from None
    return distributions


def _check_choices(spec: Any) -> None:
    """Refuse categorical ``choices`` that are not a JSON array (a string or an object would be
    taken apart into its characters or keys)."""
    if not isinstance(spec, dict):
        return
    attributes = spec.get("attributes")
    if spec.get("name") == "CategoricalDistribution" and isinstance(attributes, dict):
        choices = attributes.get("choices")
        if "choices" in attributes and not isinstance(choices, list):
            raise ValueError(f"'choices' must be a JSON array, not {type(choices).__name__}")


def _make_sampler(name: str, kwargs: Mapping[str, Any]) -> BaseSampler:
    """Instantiate ``podbor.samplers.<name>(**kwargs)``; a ``base_sampler`` may be given by name."""
    cls = getattr(podbor.samplers, name, None)
    if not _is_sampler_class(cls):
        raise invalid_option("--sampler", f"one of {', '.join(_sampler_names())}", name)
    kwargs = dict(kwargs)
    base = kwargs.get("base_sampler")
    if isinstance(base, str):
        kwargs["base_sampler"] = _make_sampler(base, {})
    elif isinstance(base, dict) and isinstance(base.get("name"), str):
        base_kwargs = base.get("kwargs", {})
        if not isinstance(base_kwargs, dict):
            raise invalid_option("--sampler-kwargs", 'a "base_sampler" with dict "kwargs"', base)
        kwargs["base_sampler"] = _make_sampler(base["name"], base_kwargs)
    try:
        return cls(**kwargs)
    except TypeError as err:
        raise invalid_option(
            "--sampler-kwargs", f"keyword arguments of {name}", kwargs, str(err)
        ) from None


def _is_sampler_class(value: Any) -> TypeGuard[type[BaseSampler]]:
    """Whether ``value`` is a concrete sampler class."""
    return (
        isinstance(value, type) and issubclass(value, BaseSampler) and not inspect.isabstract(value)
    )


def _sampler_names() -> list[str]:
    """The samplers ``--sampler`` accepts: the concrete ones that ``podbor.samplers`` exports."""
    return sorted(
        n for n in podbor.samplers.__all__ if _is_sampler_class(getattr(podbor.samplers, n))
    )


ASK_TELL_COMMANDS: tuple[Command, ...] = (
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
"""``ask`` then ``tell``, in the order ``podbor --help`` lists them."""
