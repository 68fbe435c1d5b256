"""What every plot needs from a study: the target, the finite trials, each parameter's axis.

Backend-free (numpy only). Every plot-data builder in this package starts here, so the plotly
renderers, the matplotlib renderers and the dashboard agree on which trials a plot shows and how
its axes are scaled.
"""

from __future__ import annotations

import json
import math
import numbers
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from podbor._records.frozen_trial import FrozenTrial
from podbor._study_direction import StudyDirection
from podbor._study_view import StudyView
from podbor.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from podbor.logging import get_logger

__all__ = [
    "COLOR_SCALE",
    "DEFAULT_TARGET_NAME",
    "AxisKind",
    "ParamAxis",
    "Target",
    "best_so_far",
    "check_params",
    "check_target",
    "escape_html",
    "filter_nonfinite",
    "hovertext",
    "is_categorical",
    "is_log_scale",
    "is_numerical",
    "param_axis",
    "target_values",
]

_logger = get_logger(__name__)

Target = Callable[[FrozenTrial], float]
AxisKind = Literal["linear", "log", "categorical"]

DEFAULT_TARGET_NAME = "Objective Value"

# Light to dark blue, for objective values (the best end is chosen per direction by each plot).
COLOR_SCALE: list[tuple[float, str]] = [
    (0.00, "rgb(247,251,255)"),
    (0.125, "rgb(222,235,247)"),
    (0.25, "rgb(198,219,239)"),
    (0.375, "rgb(158,202,225)"),
    (0.50, "rgb(107,174,214)"),
    (0.625, "rgb(66,146,198)"),
    (0.75, "rgb(33,113,181)"),
    (0.875, "rgb(8,81,156)"),
    (1.00, "rgb(8,48,107)"),
]


def check_target(study: StudyView, target: Target | None, target_name: str) -> None:
    """Refuse a missing ``target`` on a multi-objective study; warn when one is given uselessly.

    Raises:
        ValueError: the study has several objectives and ``target`` is None.

    Example:
        >>> import podbor
        >>> check_target(podbor.create_study(directions=["minimize"] * 2), None, "Objective Value")
        Traceback (most recent call last):
        ...
        ValueError: If the `study` is being used for multi-objective optimization, please specify the `target`.
    """
    n_objectives = len(study.directions)
    if target is None and n_objectives > 1:
        raise ValueError(
            "If the `study` is being used for multi-objective optimization, "
            "please specify the `target`."
        )
    if target is not None and target_name == DEFAULT_TARGET_NAME:
        warnings.warn(
            "`target` is specified, but `target_name` is the default value, 'Objective Value'.",
            UserWarning,
            stacklevel=3,
        )


def target_values(trials: Sequence[FrozenTrial], target: Target | None) -> npt.NDArray[np.float64]:
    """The plotted value of each trial: ``target(trial)`` or the single objective value."""
    if target is None:
        return np.array([t.value for t in trials], dtype=float)
    return np.array([target(t) for t in trials], dtype=float)


def filter_nonfinite(
    trials: Sequence[FrozenTrial],
    target: Target | None = None,
    with_message: bool = True,
) -> list[FrozenTrial]:
    """The trials whose plotted value(s) are finite; each dropped one is logged as a warning.

    Without ``target`` every objective value must be finite; with it, only ``target(trial)``.

    Example:
        >>> import podbor
        >>> study = podbor.create_study()
        >>> study.add_trial(podbor.trial.create_trial(value=float("inf")))
        >>> filter_nonfinite(study.trials, with_message=False)
        []
    """
    kept: list[FrozenTrial] = []
    for trial in trials:
        if target is None:
            values = trial.values or []
            finite = all(math.isfinite(v) for v in values)
        else:
            value = target(trial)
            if not isinstance(value, numbers.Real):
                raise ValueError(
                    f"target must return a number for every trial; for trial {trial.number} it "
                    f"returned {value!r} ({type(value).__name__})."
                )
            finite = math.isfinite(value)
        if finite:
            kept.append(trial)
        elif with_message:
            _logger.warning(
                f"Trial {trial.number} is omitted in visualization "
                "because its objective value is inf or nan."
            )
    return kept


def _distributions(trials: Sequence[FrozenTrial], param: str) -> list[BaseDistribution]:
    return [t.distributions[param] for t in trials if param in t.distributions]


def is_log_scale(trials: Sequence[FrozenTrial], param: str) -> bool:
    """True when the parameter was sampled on a log scale (by any trial that has it)."""
    for dist in _distributions(trials, param):
        if isinstance(dist, (FloatDistribution, IntDistribution)) and dist.log:
            return True
    return False


def is_numerical(trials: Sequence[FrozenTrial], param: str) -> bool:
    """True when every value the trials took for ``param`` is a number (bools are not)."""
    return all(
        isinstance(t.params[param], (int, float)) and not isinstance(t.params[param], bool)
        for t in trials
        if param in t.params
    )


def is_categorical(trials: Sequence[FrozenTrial], param: str) -> bool:
    """True when ``param`` is drawn on a category axis: some value it took is not a number.

    A categorical of numbers only (``[1, 2, 4]``) is drawn on a numeric axis, as Optuna does.
    """
    return not is_numerical(trials, param)


@dataclass(frozen=True)
class ParamAxis:
    """How one parameter is drawn: its axis kind, its range, and its categories if any.

    ``low``/``high`` span the values the trials took (for numeric axes); ``categories`` lists
    the category labels in the order the axis shows them (for categorical axes).
    """

    name: str
    kind: AxisKind
    low: float
    high: float
    categories: tuple[str, ...] = ()


def param_axis(trials: Sequence[FrozenTrial], param: str) -> ParamAxis:
    """The axis of ``param`` over the trials that have it.

    Numeric values span ``[low, high]``; categorical labels are ``str(choice)`` in the order of
    the distribution's choices that were taken (then any other value seen, as a string).
    """
    values = [t.params[param] for t in trials if param in t.params]
    if is_categorical(trials, param):
        order: list[str] = []
        for dist in _distributions(trials, param):
            assert isinstance(dist, CategoricalDistribution)
            order.extend(str(c) for c in dist.choices if str(c) not in order)
        seen = {str(v) for v in values}
        cats = tuple(c for c in order if c in seen) + tuple(
            sorted(s for s in seen if s not in order)
        )
        return ParamAxis(param, "categorical", 0.0, float(max(len(cats) - 1, 0)), cats)
    numbers = np.array(values, dtype=float) if values else np.array([0.0])
    kind: AxisKind = "log" if is_log_scale(trials, param) else "linear"
    return ParamAxis(param, kind, float(numbers.min()), float(numbers.max()))


def check_params(trials: Sequence[FrozenTrial], params: Sequence[str] | None) -> list[str]:
    """The parameters to plot: ``params`` (each checked) or every parameter of the trials, sorted.

    Raises:
        ValueError: a name in ``params`` that no trial has, naming it.
    """
    known = sorted({name for t in trials for name in t.params})
    if params is None:
        return known
    if isinstance(params, str):
        raise ValueError(f"params must be a list of parameter names, got the string {params!r}")
    missing = [p for p in params if p not in known]
    if missing:
        raise ValueError(
            f"Parameter {missing[0]} does not exist in your study. "
            f"(params={list(params)!r}; the study's parameters are {known})"
        )
    return list(params)


def hovertext(trial: FrozenTrial) -> str:
    """The text shown when a point is hovered: number, values, params, user attributes.

    JSON with ``<br>`` line breaks; a user attribute that is not JSON (a numpy array, …) is
    shown as its ``str``, a NaN as ``NaN``. ``&``, ``<`` and ``>`` (which JSON writes only
    inside strings) are HTML entities, so that plotly.js shows user strings literally instead
    of reading them as its subset of HTML.

    Example:
        >>> from podbor.trial import create_trial
        >>> hovertext(create_trial(value=1.0, user_attrs={"<b>": "a&b"})).split("<br>")[-3]
        '    "&lt;b&gt;": "a&amp;b"'
    """
    text = json.dumps(
        {
            "number": trial.number,
            "values": trial.values,
            "params": trial.params,
            **(
                {"user_attrs": {k: _jsonable(v) for k, v in trial.user_attrs.items()}}
                if trial.user_attrs
                else {}
            ),
        },
        indent=2,
        default=str,
    )
    return escape_html(text).replace("\n", "<br>")


def escape_html(text: str) -> str:
    """``&``, ``<`` and ``>`` as HTML entities (plotly.js reads a subset of HTML in texts)."""
    if "&" in text or "<" in text or ">" in text:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def _jsonable(value: object) -> object:
    """``value`` if JSON can write it, else its ``str``."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


def best_so_far(
    values: npt.NDArray[np.float64], direction: StudyDirection
) -> npt.NDArray[np.float64]:
    """Running best of ``values`` (min or max by ``direction``), NaN-free input assumed."""
    if values.size == 0:
        return values
    if direction == StudyDirection.MAXIMIZE:
        return np.maximum.accumulate(values)
    return np.minimum.accumulate(values)
