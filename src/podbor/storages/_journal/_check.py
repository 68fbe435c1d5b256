"""The shape every journal operation must have, checked the same way before a line is written
and when it is replayed.

A line that does not have it (edited by hand, written by a buggy or foreign program) is
skipped by every reader alike, with a warning that names the file and the line number, so that
a running process and a fresh one always agree on the studies; :mod:`podbor` itself never
writes one, because the storage checks each operation before appending it.
"""

from __future__ import annotations

import datetime
import json
import math
from collections.abc import Callable
from typing import Any

from podbor._records.trial_state import TrialState
from podbor.exceptions import PodborError
from podbor.storages._input_rules import INT64_MAX, INT64_MIN, MAX_JSON_DEPTH

__all__ = [
    "UNREADABLE",
    "MalformedLineError",
    "beat_ok",
    "check_fields",
    "check_op",
    "has_common_shape",
    "set_param_fields",
    "set_state_fields",
    "writer_ok",
]

UNREADABLE = "$unreadable"
"""The ``op`` of the record that stands for a complete line that JSON cannot read back (nested
too deeply); :func:`check_op` refuses it like any other malformed line."""

_WRAPPER = "$json"
_KINDS = ("user", "system")


class MalformedLineError(PodborError, ValueError):
    """A journal operation that does not have the shape of the operations podbor writes."""


def check_op(op: dict[str, Any]) -> None:
    """Check the fields of one operation (not yet whether it is allowed in the current state).

    Raises:
        MalformedLineError: If a field is missing, of the wrong type or out of range.
    """
    if not has_common_shape(op):  # the common shape is checked in one expression
        check_fields(op)


def has_common_shape(op: dict[str, Any]) -> bool:
    """Whether ``op`` is one of the operations every trial writes (``create_trial``,
    ``set_param``, ``set_state``) in the shape podbor writes it, checked in one expression; a
    False means "look closer" (:func:`check_fields` decides), never "malformed"."""
    name = op.get("op")
    fast = _FAST.get(name) if type(name) is str else None
    return fast is not None and fast(op)


def check_fields(op: dict[str, Any]) -> None:
    """:func:`check_op` field by field (what decides, and words the error, when the one-expression
    check of a common operation does not pass)."""
    name = op.get("op")
    fields = _FIELDS.get(name) if type(name) is str else None
    if fields is None:
        if name == UNREADABLE:
            raise MalformedLineError(str(op.get("reason", "unreadable")))
        raise MalformedLineError(f"unknown operation {name!r} (written by a newer podbor?)")
    for field, check, optional in fields:
        value = op.get(field, _MISSING)
        if value is _MISSING:
            if not optional:
                raise MalformedLineError(f"{name}: the field {field!r} is missing")
        elif not check(value):
            raise MalformedLineError(f"{name}: bad {field!r} {_short(value)}")
    worker = op.get("worker", "")
    if type(worker) is not str:
        raise MalformedLineError(f"{name}: bad 'worker' {_short(worker)}")
    if "seq" in op and not _is_int(op["seq"]):
        raise MalformedLineError(f"{name}: bad 'seq' {_short(op['seq'])}")


_MISSING: Any = object()


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


# -- field checks ----------------------------------------------------------------------------
def _is_int(value: Any) -> bool:
    return type(value) is int and INT64_MIN <= value <= INT64_MAX  # JSON's ints, never bools


def _is_id(value: Any) -> bool:
    return type(value) is int and 0 <= value <= INT64_MAX


def _is_float(value: Any) -> bool:
    """A float as :func:`~podbor.storages._journal._codec.encode_float` writes it."""
    kind = type(value)
    if kind is float:
        return True
    if kind is str:
        return value in ("inf", "-inf", "nan")
    if kind is not int:
        return False  # bools, lists, None, ...
    try:
        float(value)
    except OverflowError:  # an int beyond float range
        return False
    return True


def _is_finite(value: Any) -> bool:
    return _is_float(value) and not isinstance(value, str) and math.isfinite(float(value))


def _is_floats(value: Any) -> bool:
    return value is None or (isinstance(value, list) and all(_is_float(v) for v in value))


def _is_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_time_or_none(value: Any) -> bool:
    return value is None or _is_time(value)


def _is_name(value: Any) -> bool:
    return isinstance(value, str)  # longer or odd names are the API's to refuse, not replay's


def _is_kind(value: Any) -> bool:
    return value in _KINDS


def _is_state(value: Any) -> bool:
    return type(value) is str and value in _STATE_OF


def _is_directions(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) > 0
        and all(isinstance(d, str) and d in ("MINIMIZE", "MAXIMIZE") for d in value)
    )


def _is_ids(value: Any) -> bool:
    return isinstance(value, list) and all(_is_id(v) for v in value)


def _depth_ok(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether lists and dicts nest at most ``limit`` deep (checked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if isinstance(item, (dict, list)):
            if depth > limit:
                return False
            stack.extend((child, depth + 1) for child in children)
    return True


def _is_attr(value: Any) -> bool:
    """An attribute value as :func:`~podbor.storages._journal._codec.encode_attr` writes it."""
    if type(value) in _SCALARS:
        return True
    if isinstance(value, dict) and list(value) == [_WRAPPER]:
        text = value[_WRAPPER]
        if not isinstance(text, str):
            return False
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            return False
    return _depth_ok(value)


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _is_dist(value: Any) -> bool:
    return isinstance(value, str)  # parsed (and refused if wrong) by the distribution cache


def _is_template(value: Any) -> bool:
    if value is None:
        return True
    if type(value) is not dict:
        return False
    return all(key in value and check(value[key]) for key, check in _TEMPLATE.items())


def _is_params(value: Any) -> bool:
    return type(value) is dict and all(
        type(k) is str and type(v) is list and len(v) == 2 and _is_float(v[0]) and _is_dist(v[1])
        for k, v in value.items()
    )


def _is_reports(value: Any) -> bool:
    return type(value) is list and all(
        type(v) is list and len(v) == 2 and _is_int(v[0]) and _is_float(v[1]) for v in value
    )


def _is_attrs(value: Any) -> bool:
    return type(value) is dict and all(
        type(k) is str and (type(v) in _SCALARS or _is_attr(v)) for k, v in value.items()
    )


_TEMPLATE: dict[str, Callable[[Any], bool]] = {
    "state": _is_state,
    "values": _is_floats,
    "datetime_start": _is_time_or_none,
    "datetime_complete": _is_time_or_none,
    "params": _is_params,
    "user_attrs": _is_attrs,
    "system_attrs": _is_attrs,
    "intermediate_values": _is_reports,
}


_CHECKS: dict[str, dict[str, Callable[[Any], bool]]] = {
    "create_study": {"name": _is_name, "directions": _is_directions},
    "delete_study": {"study_id": _is_id},
    "set_study_attr": {"study_id": _is_id, "kind": _is_kind, "key": _is_name, "value": _is_attr},
    "create_trial": {
        "study_id": _is_id,
        "time": _is_time,
        "template": _is_template,
        "beat": _is_finite,
        "limit": _is_id,
    },
    "set_param": {"trial_id": _is_id, "name": _is_name, "value": _is_float, "dist": _is_dist},
    "set_state": {
        "trial_id": _is_id,
        "state": _is_state,
        "values": _is_floats,
        "time": _is_time,
        "beat": _is_finite,
    },
    "set_report": {"trial_id": _is_id, "step": _is_int, "value": _is_float},
    "set_trial_attr": {"trial_id": _is_id, "kind": _is_kind, "key": _is_name, "value": _is_attr},
    "heartbeat": {"trial_id": _is_id, "time": _is_finite},
    "fail_stale": {"trial_ids": _is_ids, "time": _is_time},
}
# "beat": the first heartbeat of a worker's trial, in the line that creates or claims it (a
# podbor that predates it ignores the field, as every reader ignores fields it does not check).
# "limit": a worker's budget, written where no lock guards the check (a journal in Redis or
# another log backend): the replay creates the trial only while the study holds fewer trials
# outside FAIL, so racing workers cannot overshoot it.
_OPTIONAL: dict[str, tuple[str, ...]] = {
    "create_trial": ("template", "beat", "limit"),
    "set_state": ("values", "beat"),
}
_FIELDS: dict[str, tuple[tuple[str, Callable[[Any], bool], bool], ...]] = {
    name: tuple((f, check, f in _OPTIONAL.get(name, ())) for f, check in checks.items())
    for name, checks in _CHECKS.items()
}
"""Each operation's fields as ``(field, check, optional)``, in the order they are checked."""


# -- the shapes podbor writes, each checked in one expression (a False means "look closer") ----
def writer_ok(op: dict[str, Any]) -> bool:
    """Whether the fields naming the line's writer (``worker``, ``seq``) are well formed."""
    seq = op.get("seq", 0)
    return type(op.get("worker", "")) is str and type(seq) is int and INT64_MIN <= seq <= INT64_MAX


def beat_ok(op: dict[str, Any]) -> bool:
    """Whether the line's first heartbeat (``beat``) is absent or a finite float."""
    beat = op.get("beat", 0.0)
    return type(beat) is float and math.isfinite(beat)


def set_param_fields(op: dict[str, Any]) -> tuple[int, str, float, str] | None:
    """The trial id, name, value and distribution text of a ``set_param`` in the shape podbor
    writes it (:func:`has_common_shape`); None means "look closer". Each field is read once:
    4·10⁵ lines of a 10⁵-trial journal are ``set_param``."""
    trial_id, name, value, dist = (
        op.get("trial_id"),
        op.get("name"),
        op.get("value"),
        op.get("dist"),
    )
    if (
        type(trial_id) is int
        and 0 <= trial_id <= INT64_MAX
        and type(name) is str
        and type(value) is float
        and type(dist) is str
        and writer_ok(op)
    ):
        return trial_id, name, value, dist
    return None


def _plain_set_param(op: dict[str, Any]) -> bool:
    return set_param_fields(op) is not None


def set_state_fields(
    op: dict[str, Any],
) -> tuple[int, TrialState, list[float] | None, datetime.datetime] | None:
    """The trial id, state, values and time (read) of a ``set_state`` in the shape podbor
    writes it (:func:`has_common_shape`); None means "look closer"."""
    trial_id, name, values, when = (
        op.get("trial_id"),
        op.get("state"),
        op.get("values"),
        op.get("time"),
    )
    state = _STATE_OF.get(name) if type(name) is str else None
    if not (
        type(trial_id) is int
        and 0 <= trial_id <= INT64_MAX
        and state is not None
        and (values is None or (type(values) is list and all(type(v) is float for v in values)))
        and type(when) is str
        and beat_ok(op)
        and writer_ok(op)
    ):
        return None
    try:
        return trial_id, state, values, datetime.datetime.fromisoformat(when)
    except ValueError:
        return None


def _plain_set_state(op: dict[str, Any]) -> bool:
    return set_state_fields(op) is not None


_STATE_OF = TrialState.__members__
"""The states by name (what a line's ``state`` field holds)."""


def _fast_create_trial(op: dict[str, Any]) -> bool:
    study_id = op.get("study_id")
    return (
        "limit" not in op  # a budget (log backends only): checked field by field
        and type(study_id) is int
        and 0 <= study_id <= INT64_MAX
        and _is_time(op.get("time"))
        and _is_template(op.get("template"))
        and beat_ok(op)
        and writer_ok(op)
    )


_FAST: dict[str, Callable[[dict[str, Any]], bool]] = {
    "set_param": _plain_set_param,
    "set_state": _plain_set_state,
    "create_trial": _fast_create_trial,
}
"""The operations a study writes for every trial: a shape check without the generic loop."""
