"""``Study.trials_dataframe``: one row per trial, Optuna's column names."""

from __future__ import annotations

import collections
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from podbor._learning_curve import PREDICTION_KEY
from podbor._records.frozen_trial import FrozenTrial
from podbor._study_core import FAIL_REASON_KEY, PRUNE_REASON_KEY, WORKER_KEY
from podbor._study_direction import StudyDirection
from podbor.exceptions import invalid_argument
from podbor.samplers import AutoSampler

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DEFAULT_ATTRS", "trials_dataframe"]

DEFAULT_ATTRS = (
    "number",
    "value",
    "datetime_start",
    "datetime_complete",
    "duration",
    "params",
    "user_attrs",
    "system_attrs",
    "state",
)
_ALLOWED = frozenset(DEFAULT_ATTRS) | {
    "values",
    "intermediate_values",
    "distributions",
    "trial_id",
    "_trial_id",  # Optuna's spelling of the same column
}
_NESTED = ("params", "user_attrs", "system_attrs", "intermediate_values", "distributions")
# System attributes that are podbor's own records, readable on the trial and in the CLI: the
# default sampler's per-trial decision (``trial.system_attrs["auto_sampler"]``), why a trial
# failed or was pruned, the worker that ran it, and the final value that LearningCurvePruner
# predicted for a trial it pruned. They are no columns, so that a study has the columns Optuna
# gives (number, value, …, params_x, state), failed trials included.
_PODBOR_RECORDS = frozenset(
    {AutoSampler.SYSTEM_ATTR, FAIL_REASON_KEY, PRUNE_REASON_KEY, WORKER_KEY, PREDICTION_KEY}
)


def _import_pandas() -> Any:
    try:
        import pandas
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "Study.trials_dataframe needs pandas; install it with `pip install podbor[pandas]`."
        ) from err
    return pandas


def trials_dataframe(
    trials: Sequence[FrozenTrial],
    directions: Sequence[StudyDirection],
    attrs: Sequence[str] = DEFAULT_ATTRS,
    multi_index: bool = False,
    metric_names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Build the dataframe described in :meth:`podbor.Study.trials_dataframe`."""
    pd = _import_pandas()
    for attr in attrs:
        if attr not in _ALLOWED:
            raise invalid_argument(
                "attrs",
                tuple(attrs),
                f"a sequence of names among {sorted(_ALLOWED)}",
                owner="Study.trials_dataframe",
            )
    multi = len(directions) > 1 or metric_names is not None
    attrs = tuple("values" if a == "value" and multi else a for a in attrs)
    attrs = tuple("trial_id" if a == "_trial_id" else a for a in attrs)
    n_obj = len(directions)
    # Objective columns: values_<name>, or values_0, values_1, … (the int index in a multi-index).
    names: list[Any] = list(metric_names) if metric_names is not None else list(range(n_obj))

    columns: dict[tuple[str, Any], list[Any]] = collections.OrderedDict()
    nested_keys: dict[str, set[Any]] = {a: set() for a in attrs if a in _NESTED}
    for t in trials:
        for a in nested_keys:
            nested_keys[a].update(_nested(t, a).keys())
    order: list[tuple[str, Any]] = []
    for a in attrs:
        if a in nested_keys:
            order += [(a, k) for k in sorted(nested_keys[a], key=_sort_key)]
        elif a == "values":
            order += [("values", name) for name in names]
        else:
            order.append((a, ""))
    for key in order:
        columns[key] = []
    for t in trials:
        for a in attrs:
            if a in nested_keys:
                nested = _nested(t, a)
                for k in sorted(nested_keys[a], key=_sort_key):
                    columns[(a, k)].append(nested.get(k))
            elif a == "values":
                vals = t.values
                for i, name in enumerate(names):
                    columns[("values", name)].append(None if vals is None else vals[i])
            else:
                columns[(a, "")].append(_scalar(t, a))
    if multi_index:
        frame = pd.DataFrame(columns, columns=pd.MultiIndex.from_tuples(order))
    else:
        flat = {(a if k == "" else f"{a}_{k}"): v for (a, k), v in columns.items()}
        frame = pd.DataFrame(flat, columns=list(flat))
    return frame  # type: ignore[no-any-return]


def _sort_key(key: Any) -> tuple[int, Any]:
    return (0, key) if isinstance(key, int) else (1, str(key))


def _nested(trial: FrozenTrial, attr: str) -> dict[Any, Any]:
    if attr == "distributions":
        return {k: repr(v) for k, v in trial.distributions.items()}
    if attr == "system_attrs":
        return {k: v for k, v in trial.system_attrs.items() if k not in _PODBOR_RECORDS}
    result: dict[Any, Any] = getattr(trial, attr)
    return result


def _scalar(trial: FrozenTrial, attr: str) -> Any:
    if attr == "state":
        return trial.state.name
    if attr == "value":
        return None if trial.values is None else trial.values[0]
    if attr == "trial_id":
        return trial._trial_id
    return getattr(trial, attr)
