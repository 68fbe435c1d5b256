"""Finishing a trial: validate what the objective returned, store it, log one line."""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_core import FAIL_REASON_KEY, PRUNE_REASON_KEY, StudyCore, StudyHandle, core_of
from podbor.exceptions import UpdateFinishedTrialError, invalid_argument, safe_repr
from podbor.logging import get_logger
from podbor.trial._trial import Trial

__all__ = ["FinishedTrialTellError", "check_values", "tell"]

_logger = get_logger("podbor.study")


def check_values(value_or_values: Any, n_objectives: int) -> tuple[list[float] | None, str | None]:
    """Convert an objective's return value to floats, or explain why it cannot be used.

    Returns:
        ``(values, None)`` when acceptable, ``(None, reason)`` otherwise. ±inf is accepted;
        None, NaN, non-numbers, ints past float range (``10**400``) and a wrong number of
        values are not.

    Example:
        >>> check_values(1, 1)
        ([1.0], None)
        >>> check_values(float("nan"), 1)[1]
        'The objective function returned nan, which is not a number (NaN).'
    """
    if value_or_values is None:
        return None, "The objective function returned None; it must return a number."
    if isinstance(value_or_values, Sequence) and not isinstance(value_or_values, (str, bytes)):
        try:
            raw = list(value_or_values)
        except Exception:  # a user sequence that cannot be iterated
            return None, (
                f"The objective function returned {_short_repr(value_or_values)}, whose values "
                "cannot be read."
            )
    else:
        raw = [value_or_values]
    if len(raw) != n_objectives:
        return None, (
            f"The objective function returned {len(raw)} value(s) {_short_repr(value_or_values)}, but the "
            f"study has {n_objectives} objective(s)."
        )
    values: list[float] = []
    for v in raw:
        if isinstance(v, (str, bytes)):  # float("0.5") would accept text
            return None, (
                f"The objective function returned {_short_repr(v)} of type {type(v).__name__}; "
                "it must return a number."
            )
        try:
            f = float(v)  # numpy 0-d arrays, torch scalars, …
        except OverflowError:  # e.g. 10**400: beyond what a float (and any storage) can hold
            return None, (
                f"The objective function returned {_short_repr(v)}, which is beyond the range "
                "of a float."
            )
        except Exception:  # a user object whose __float__ fails in any way
            return None, (
                f"The objective function returned {_short_repr(v)} of type {type(v).__name__}, "
                "which cannot be cast to float."
            )
        if math.isnan(f):
            return (
                None,
                f"The objective function returned {_short_repr(v)}, which is not a number (NaN).",
            )
        values.append(f)
    return values, None


def _short_repr(value: Any, limit: int = 80) -> str:
    """``repr(value)``, shortened (a 400-digit int must not flood the log)."""
    return safe_repr(value, limit)


class FinishedTrialTellError(UpdateFinishedTrialError, ValueError):
    """``tell`` on a finished trial: podbor's ``RuntimeError`` and Optuna's ``ValueError``."""


def _resolve_trial(core: StudyCore, trial: Trial | int) -> tuple[int, FrozenTrial]:
    if isinstance(trial, Trial):
        if not core_of(trial.study).is_same_study(core):
            raise invalid_argument("trial", trial, "a trial of this study", owner="Study.tell")
        trial_id = trial._trial_id
    elif isinstance(trial, int) and not isinstance(trial, bool):
        try:
            trial_id = core.trial_id_of(trial)
        except KeyError:
            n = core.n_trials()
            raise invalid_argument(
                "trial", trial, f"a Trial or a trial number in [0, {n - 1}]", owner="Study.tell"
            ) from None
    else:
        message = invalid_argument(
            "trial", trial, "a Trial or an int trial number", owner="Study.tell"
        )
        raise TypeError(str(message))
    return trial_id, core.get_trial(trial_id)


def _check_state(state: TrialState | None, values: Any) -> None:
    if state is not None and not isinstance(state, TrialState):
        # Optuna refuses an int (its TrialState is no IntEnum); so does podbor, before any change.
        raise invalid_argument(
            "state",
            state,
            "TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL or None",
            owner="Study.tell",
            wrong_type=True,
        )
    if state is not None and not state.is_finished():
        raise invalid_argument("state", state, "COMPLETE, PRUNED, FAIL or None", owner="Study.tell")
    if state in (TrialState.PRUNED, TrialState.FAIL) and values is not None:
        raise invalid_argument(
            "values", values, f"None when state is {state.name}", owner="Study.tell"
        )


def tell(
    study: StudyHandle,
    trial: Trial | int,
    values: float | Sequence[float] | None,
    state: TrialState | None,
    skip_if_finished: bool,
) -> FrozenTrial:
    """Implement :meth:`Study.tell` (see there).

    With ``state=None``, values that cannot be used (None, NaN, not numbers, a wrong count)
    fail the trial with a warning; with ``state=COMPLETE`` given explicitly they raise. When the
    sampler's ``after_trial`` raises, the trial is still finished with the state being told
    (as Optuna does), and the error then reaches the caller.
    """
    core = core_of(study)
    _check_state(state, values)
    trial_id, frozen = _resolve_trial(core, trial)
    if frozen.state.is_finished():
        if skip_if_finished:
            _logger.info(
                f"Skipped telling trial {frozen.number}: it already finished as {frozen.state.name}."
            )
            return frozen
        raise FinishedTrialTellError(
            f"Trial {frozen.number} has already finished as {frozen.state.name}; tell it only once "
            "(or pass skip_if_finished=True)."
        )
    if frozen.state != TrialState.RUNNING:
        raise invalid_argument(
            "trial", frozen.number, "a RUNNING trial (one returned by ask)", owner="Study.tell"
        )
    explicit = state == TrialState.COMPLETE
    if state is None:
        state = TrialState.COMPLETE

    n_obj = len(core.directions)
    checked: list[float] | None = None
    if state == TrialState.COMPLETE:
        checked, reason = check_values(values, n_obj)
        if reason is not None and explicit:
            raise invalid_argument(
                "values",
                values,
                f"{n_obj} number(s), none of them NaN, when state is COMPLETE",
                owner="Study.tell",
            )
        if reason is not None:
            warnings.warn(f"Trial {frozen.number} failed: {reason}", UserWarning, stacklevel=3)
            _logger.warning(
                f"Trial {frozen.number} failed with value {_short_repr(values)}. {reason}"
            )
            core.set_trial_system_attr(trial_id, FAIL_REASON_KEY, reason)
            state = TrialState.FAIL
    elif state == TrialState.PRUNED and n_obj == 1 and frozen.intermediate_values:
        last = frozen.intermediate_values[max(frozen.intermediate_values)]
        if not math.isnan(last):
            checked = [last]

    try:
        core.sampler.after_trial(study, frozen, state, checked)
    finally:  # a sampler's failing hook must not leave the trial RUNNING: store it, then raise
        finished = core.finish_trial(trial_id, state, checked)
    _log_finished(core, finished)
    return finished


def _log_finished(core: StudyCore, trial: FrozenTrial) -> None:
    if not _logger.isEnabledFor(logging.INFO):
        return  # the line reads the metric names and the best trial: no storage reads for nothing
    if trial.state == TrialState.PRUNED:
        _logger.info(
            f"Trial {trial.number} pruned. {trial.system_attrs.get(PRUNE_REASON_KEY, '')}".rstrip()
        )
        return
    if trial.state != TrialState.COMPLETE:
        return
    assert trial.values is not None
    names = core.metric_names()
    if len(trial.values) > 1:
        shown: Any = dict(zip(names, trial.values)) if names else trial.values
        _logger.info(
            f"Trial {trial.number} finished with values: {shown} and parameters: {trial.params}."
        )
        return
    best = core.best_trial()
    label = f"value ({names[0]})" if names else "value"
    best_text = (
        f" Best is trial {best.number} with value: {best.values[0] if best.values else None}."
        if best is not None
        else ""
    )
    _logger.info(
        f"Trial {trial.number} finished with {label}: {trial.values[0]} and parameters: "
        f"{trial.params}.{best_text}"
    )
