"""What the commands print: records of trials, written as a table, JSON or YAML.

A command returns a record (field name → value), a list of records, a line of text or None;
:func:`emit` writes it to stdout in the chosen format. The table and YAML writers have no
dependency.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from podbor._records.base_trial import is_feasible
from podbor.logging import printable
from podbor.samplers import AutoSampler
from podbor.trial import FrozenTrial

Record = dict[str, Any]
"""One printed item: field name → value; a dict field becomes one table column per key."""

Result = Record | list[Record] | str | None
"""What a command returns to be printed: records, a line of text, or nothing."""

FORMATS = ("table", "json", "yaml")

_PLAIN_YAML = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_YAML_WORDS = frozenset({"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"})


# -- records ----------------------------------------------------------------------------------
def trial_record(trial: FrozenTrial, multi: bool) -> Record:
    """What the commands show of a trial.

    Args:
        trial: The trial.
        multi: Whether its study has several objectives (``values`` instead of ``value``).

    Returns:
        Its number, value(s), times, parameters, user attributes, the strategy
        :class:`~podbor.samplers.AutoSampler` chose for it (when it did), its constraint values
        and whether it is feasible (when it has constraints: every value <= 0) and its state.
    """
    record: Record = {"number": trial.number, **values_field(trial, multi)}
    record.update(
        datetime_start=trial.datetime_start,
        datetime_complete=trial.datetime_complete,
        duration=trial.duration,
        params=trial.params,
        user_attrs=trial.user_attrs,
    )
    strategy = trial.system_attrs.get(AutoSampler.SYSTEM_ATTR)
    if strategy is not None:  # the default sampler's choice for this trial, and why
        record["sampler"] = strategy
    constraints = trial.constraints
    if constraints:  # Trial.set_constraint / constraints_func: shown, and whether all hold
        record["constraints"] = constraints
        record["feasible"] = is_feasible(trial)
    record["state"] = trial.state.name
    return record


def values_field(trial: FrozenTrial, multi: bool) -> Record:
    """``{"values": [...]}`` for a multi-objective study, else ``{"value": ...}``."""
    return {"values": trial.values} if multi else {"value": trial.value}


# -- writing ----------------------------------------------------------------------------------
def emit(result: Result, fmt: str) -> None:
    """Print a command's result to stdout.

    Args:
        result: Records are formatted; a string is printed as it is; None prints nothing.
        fmt: One of :data:`FORMATS`.
    """
    if result is None:
        return
    if isinstance(result, str):
        print(printable(result))
        return
    if fmt == "json":
        print(json.dumps(_plain(result, finite_only=True), indent=2, allow_nan=False))
    elif fmt == "yaml":
        print(to_yaml(_plain(result, finite_only=False)))
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
    cells = [[printable(_cell(row.get(c))) for c in columns] for row in rows]
    right = [all(_is_number(row.get(c)) for row in rows) for c in columns]
    columns = [printable(c) for c in columns]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    rule = "+" + "+".join("-" * (w + 2) for w in widths) + "+"

    def line(texts: Sequence[str], align: Sequence[bool]) -> str:
        parts = (t.rjust(w) if r else t.ljust(w) for t, w, r in zip(texts, widths, align))
        return "| " + " | ".join(parts) + " |"

    body = [line(r, right) for r in cells]
    return "\n".join([rule, line(columns, [False] * len(columns)), rule, *body, rule])


def _flatten(record: Record) -> Record:
    """One field per table column: ``{"params": {"x": 1}}`` → ``{"params_x": 1}``."""
    flat: Record = {}
    for key, value in record.items():
        if isinstance(value, Mapping):
            flat.update({f"{key}_{k}": v for k, v in sorted(value.items())})
        else:
            flat[key] = value
    return flat


def _cell(value: Any) -> str:
    """The text of a table cell: empty for None, datetimes to the second, lists comma-separated."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _is_number(value: Any) -> bool:
    """Whether a cell aligns right (a number, or nothing)."""
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool))


# -- yaml -------------------------------------------------------------------------------------
def to_yaml(data: Any, indent: int = 0) -> str:
    """Block-style YAML for plain data (dicts, lists, scalars), with no dependency.

    Args:
        data: Plain data, as :func:`emit` makes it.
        indent: The number of spaces before each line.

    Returns:
        The YAML text, without a final newline.
    """
    pad = " " * indent
    if isinstance(data, dict) and data:
        return "\n".join(
            _yaml_entry(f"{pad}{_yaml_scalar(k)}:", v, indent) for k, v in data.items()
        )
    if isinstance(data, list) and data:
        return "\n".join(_yaml_item(pad, v, indent) for v in data)
    return pad + _yaml_scalar(data)


def _yaml_entry(key: str, value: Any, indent: int) -> str:
    """``key: value``, or ``key:`` and the nested block below it."""
    if isinstance(value, (dict, list)) and value:
        return f"{key}\n{to_yaml(value, indent + 2)}"
    return f"{key} {_yaml_scalar(value)}"


def _yaml_item(pad: str, value: Any, indent: int) -> str:
    """``- value`` of a list, a nested block starting on the dash's line."""
    if isinstance(value, (dict, list)) and value:
        nested = to_yaml(value, indent + 2)
        return f"{pad}- {nested.lstrip()}"
    return f"{pad}- {_yaml_scalar(value)}"


def _yaml_scalar(value: Any) -> str:
    """A scalar (or an empty dict or list) that reads back as the same value and type."""
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
