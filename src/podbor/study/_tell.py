"""Finishing a trial: validate what the objective returned, store it, log one line."""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from podbor.exceptions import UpdateFinishedTrialError, invalid_argument
from podbor.logging import get_logger
from podbor.trial._frozen import FrozenTrial
from podbor.trial._state import TrialState
from podbor.trial._trial import Trial

if TYPE_CHECKING:
    from podbor.study._study import Study

__all__ = ["check_values", "tell"]

_logger = get_logger("podbor.study")
FAIL_REASON_KEY = "fail_reason"


def check_values(value_or_values: Any, n_objectives: int) -> tuple[list[float] | None, str | None]:
    """Convert an objective's return value to floats, or explain why it cannot be used.

    Returns:
        ``(values, None)`` when acceptable, ``(None, reason)`` otherwise. ±inf is accepted;
        None, NaN, non-numbers and a wrong number of values are not.

    Example:
        >>> check_values(1, 1)
        ([1.0], None)
        >>> check_values(float("nan"), 1)[1]
        'The objective function returned nan, which is not a number (NaN).'
    """
    if value_or_values is None:
        return None, "The objective function returned None; it must return a number."
    if isinstance(value_or_values, Sequence) and not isinstance(value_or_values, (str, bytes)):
        raw = list(value_or_values)
    else:
        raw = [value_or_values]
    if len(raw) != n_objectives:
        return None, (
            f"The objective function returned {len(raw)} value(s) {value_or_values!r}, but the "
            f"study has {n_objectives} objective(s)."
        )
    values: list[float] = []
    for v in raw:
        if isinstance(v, (str, bytes)):  # float("0.5") would accept text
            return None, (
                f"The objective function returned {v!r} of type {type(v).__name__}; "
                "it must return a number."
            )
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            try:
                f = float(v)  # numpy 0-d arrays, torch scalars, …
            except (TypeError, ValueError):
                return None, (
                    f"The objective function returned {v!r} of type {type(v).__name__}, which "
                    "cannot be cast to float."
                )
        else:
            f = float(v)
        if math.isnan(f):
            return None, f"The objective function returned {v!r}, which is not a number (NaN)."
        values.append(f)
    return values, None


def _resolve_trial(study: Study, trial: Trial | int) -> tuple[int, FrozenTrial]:
    storage = study._storage
    if isinstance(trial, Trial):
        if trial.study._study_id != study._study_id or trial.study._storage is not storage:
            raise invalid_argument("trial", trial, "a trial of this study", owner="Study.tell")
        trial_id = trial._trial_id
    elif isinstance(trial, int) and not isinstance(trial, bool):
        try:
            trial_id = storage.get_trial_id_from_study_id_trial_number(study._study_id, trial)
        except KeyError:
            n = storage.get_n_trials(study._study_id)
            raise invalid_argument(
                "trial", trial, f"a Trial or a trial number in [0, {n - 1}]", owner="Study.tell"
            ) from None
    else:
        raise invalid_argument("trial", trial, "a Trial or an int trial number", owner="Study.tell")
    return trial_id, storage.get_trial(trial_id)


def tell(
    study: Study,
    trial: Trial | int,
    values: float | Sequence[float] | None,
    state: TrialState | None,
    skip_if_finished: bool,
) -> FrozenTrial:
    """Implement :meth:`Study.tell` (see there)."""
    trial_id, frozen = _resolve_trial(study, trial)
    if frozen.state.is_finished():
        if skip_if_finished:
            _logger.info(
                f"Skipped telling trial {frozen.number}: it already finished as {frozen.state.name}."
            )
            return frozen
        raise UpdateFinishedTrialError(
            f"Trial {frozen.number} has already finished as {frozen.state.name}; tell it only once "
            "(or pass skip_if_finished=True)."
        )
    if state is None:
        if values is None:
            raise invalid_argument(
                "values",
                values,
                "the objective value(s) when state is COMPLETE (the default)",
                owner="Study.tell",
            )
        state = TrialState.COMPLETE
    if state not in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL):
        raise invalid_argument("state", state, "COMPLETE, PRUNED, FAIL or None", owner="Study.tell")
    if state != TrialState.COMPLETE and values is not None:
        raise invalid_argument(
            "values", values, f"None when state is {state.name}", owner="Study.tell"
        )

    n_obj = len(study.directions)
    checked: list[float] | None = None
    if state == TrialState.COMPLETE:
        checked, reason = check_values(values, n_obj)
        if reason is not None:
            warnings.warn(f"Trial {frozen.number} failed: {reason}", UserWarning, stacklevel=3)
            _logger.warning(f"Trial {frozen.number} failed with value {values!r}. {reason}")
            study._storage.set_trial_system_attr(trial_id, FAIL_REASON_KEY, reason)
            state = TrialState.FAIL
    elif state == TrialState.PRUNED and n_obj == 1 and frozen.intermediate_values:
        last = frozen.intermediate_values[max(frozen.intermediate_values)]
        if not math.isnan(last):
            checked = [last]

    study.sampler.after_trial(study, frozen, state, checked)
    study._storage.set_trial_state_values(trial_id, state, checked)
    finished = study._storage.get_trial(trial_id)
    _log_finished(study, finished)
    return finished


def _log_finished(study: Study, trial: FrozenTrial) -> None:
    if trial.state == TrialState.PRUNED:
        _logger.info(
            f"Trial {trial.number} pruned. {trial.system_attrs.get('prune_reason', '')}".rstrip()
        )
        return
    if trial.state != TrialState.COMPLETE:
        return
    assert trial.values is not None
    if len(trial.values) > 1:
        names = study.metric_names
        shown: Any = dict(zip(names, trial.values)) if names else trial.values
        _logger.info(
            f"Trial {trial.number} finished with values: {shown} and parameters: {trial.params}."
        )
        return
    best = study._storage.get_best_trial(study._study_id)
    label = f"value ({study.metric_names[0]})" if study.metric_names else "value"
    _logger.info(
        f"Trial {trial.number} finished with {label}: {trial.values[0]} and parameters: "
        f"{trial.params}. Best is trial {best.number} with value: {best.values[0] if best.values else None}."
    )
