"""The caller's input that every storage checks alike, before anything is stored.

These rules of the storage contract (:mod:`podbor.storages._base`) are shared helpers, so that
every storage applies them the same way and reports them with the same error (an
:class:`~podbor.exceptions.InvalidArgumentError`, a ``ValueError``; a ``TypeError`` too for a
wrong type), before anything is stored:

* :func:`check_study_name`: a study name is a ``str`` (``None`` at creation: a generated
  ``no-name-<uuid>``; ``""`` is kept), and :func:`check_name` for it, an attribute key and a
  parameter name: at most :data:`MAX_NAME_LENGTH` characters, no NUL character, no lone surrogate (what
  every database can store and index, PostgreSQL's ``varchar(512)`` included);
* :func:`attr_to_json`: an attribute value is JSON-serializable and nested at most
  :data:`MAX_JSON_DEPTH` deep; :func:`attr_value` gives the value as every storage returns it
  (the JSON round trip: tuples become lists, dict keys strings);
* :func:`check_step`: a reported step is an int in the 64-bit range;
* :func:`check_param_distribution`: a parameter name keeps a compatible distribution within a
  study.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._validation import is_int
from podbor.distributions import BaseDistribution, check_distribution_compatibility
from podbor.exceptions import InvalidArgumentError, invalid_argument

__all__ = [
    "DEFAULT_STUDY_NAME_PREFIX",
    "INT64_MAX",
    "INT64_MIN",
    "INT_COLUMN_MAX",
    "INT_COLUMN_MIN",
    "MAX_JSON_DEPTH",
    "MAX_NAME_LENGTH",
    "attr_to_json",
    "attr_value",
    "check_name",
    "check_param_distribution",
    "check_step",
    "check_study_name",
    "check_template_trial",
]

DEFAULT_STUDY_NAME_PREFIX = "no-name-"
MAX_NAME_LENGTH = 512
"""The longest study name, attribute key or parameter name (the database columns' length)."""
MAX_JSON_DEPTH = 100
"""How deep lists and dicts may nest in an attribute value (deeper ones cannot be read back)."""
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT_COLUMN_MIN, INT_COLUMN_MAX = -(2**31), 2**31 - 1
"""What an INTEGER column holds on every database (PostgreSQL's and MySQL's are 32-bit): the
range of reported steps and trial numbers that every storage accepts alike."""

_NAME_RULE = (
    f"a str of at most {MAX_NAME_LENGTH} characters without NUL characters or lone surrogates"
)


def check_name(value: Any, name: str, *, owner: str) -> str:
    """Return ``value`` if it is a name every storage can store: a ``str`` of at most
    :data:`MAX_NAME_LENGTH` characters, with no NUL character and no lone surrogate (which no
    database stores as text). The empty string is a name.

    Raises:
        InvalidArgumentError: If it is not (also a ``TypeError`` when it is not a ``str``).

    Example:
        >>> check_name("lr", "param_name", owner="set_trial_param")
        'lr'
        >>> check_name("a\\x00b", "key", owner="set_trial_user_attr")
        Traceback (most recent call last):
        ...
        podbor.exceptions.InvalidArgumentError: The 'key' parameter of set_trial_user_attr must be a str of at most 512 characters without NUL characters or lone surrogates. Got 'a\\x00b' instead.
    """
    if not isinstance(value, str):
        raise invalid_argument(name, value, _NAME_RULE, owner=owner, wrong_type=True)
    if len(value) > MAX_NAME_LENGTH or "\x00" in value:
        raise invalid_argument(name, value, _NAME_RULE, owner=owner)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise invalid_argument(name, value, _NAME_RULE, owner=owner) from None
    return value


def check_study_name(value: Any, *, owner: str) -> str:
    """Return a study name that every storage accepts (:func:`check_name`; ``""`` is kept as
    it is, on every storage).

    Storages call it in ``create_new_study`` (when a name is given) and in
    ``get_study_id_from_name``, so that a name is refused, or found, the same way everywhere.
    """
    return check_name(value, "study_name", owner=owner)


def check_step(value: Any, *, owner: str) -> int:
    """Return a reported step if it is an int that every database stores (32-bit signed).

    Raises:
        InvalidArgumentError: If it is not.
    """
    if not is_int(value) or not INT_COLUMN_MIN <= value <= INT_COLUMN_MAX:
        raise invalid_argument(
            "step",
            value,
            f"an int in [{INT_COLUMN_MIN}, {INT_COLUMN_MAX}] (what every storage can store)",
            owner=owner,
            wrong_type=not is_int(value),
        )
    return int(value)


def _json_too_deep(value: Any) -> bool:
    """Whether lists, tuples and dicts nest deeper than :data:`MAX_JSON_DEPTH` in ``value``
    (checked without recursion, so that any depth is answered)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    seen: set[int] = set()
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        if depth > MAX_JSON_DEPTH:
            return True
        if id(item) in seen:
            continue  # a circular reference: json.dumps reports it
        seen.add(id(item))
        stack.extend((child, depth + 1) for child in children)
    return False


def attr_to_json(value: Any, kind: str, key: str) -> str:
    """Return the JSON text of a study or trial attribute value (the contract's JSON rule).

    Every storage calls this before storing an attribute, so a value that works on one storage
    works on all. ±inf and NaN are allowed (written as Python's ``json`` writes them). The key
    is checked too (:func:`check_name`).

    Args:
        value: The attribute value.
        kind: ``"user"`` or ``"system"``.
        key: The attribute's key, named by the error.

    Raises:
        InvalidArgumentError: (a ``ValueError``) If the value is not JSON-serializable or nests
            deeper than :data:`MAX_JSON_DEPTH`, or the key is not a valid name.

    Example:
        >>> attr_to_json({"folds": [1, 2]}, "user", "data")
        '{"folds": [1, 2]}'
        >>> attr_to_json(object, "user", "model")
        Traceback (most recent call last):
        ...
        podbor.exceptions.InvalidArgumentError: The value of user attr 'model' must be JSON-serializable (None, bool, int, float, str, list, dict). Got <class 'object'> of type type instead.
    """
    check_name(key, "key", owner=f"set_{kind}_attr")
    if _json_too_deep(value):
        raise InvalidArgumentError(
            f"The value of {kind} attr {key!r} must nest lists and dicts at most {MAX_JSON_DEPTH} "
            "deep."
        )
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as err:  # ValueError: a circular reference
        raise InvalidArgumentError(
            f"The value of {kind} attr {key!r} must be JSON-serializable (None, bool, int, float, "
            f"str, list, dict). Got {_shown(value)} of type {type(value).__name__} instead."
        ) from err


def _shown(value: Any, limit: int = 200) -> str:
    """``repr(value)`` for a message, shortened; ints too long to print are described."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):  # an int over 4300 digits, a deeply nested container
        return "a value too large to show"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def attr_value(value: Any, kind: str, key: str) -> Any:
    """Check an attribute (:func:`attr_to_json`) and return its value as every storage gives it
    back: the JSON round trip, so tuples become lists and dict keys become strings.

    Example:
        >>> attr_value({1: (2, 3)}, "user", "data")
        {'1': [2, 3]}
    """
    if type(value) in _JSON_SCALARS or (type(value) is int and -_INT_LIMIT <= value < _INT_LIMIT):
        check_name(key, "key", owner=f"set_{kind}_attr")
        return value  # its own JSON round trip (a generation number, a name): no text made
    return json.loads(attr_to_json(value, kind, key))


_JSON_SCALARS = frozenset({str, float, bool, type(None)})
_INT_LIMIT = 2**63  # ints far below the 4,300 digits past which ``json.dumps`` refuses one


def check_param_distribution(
    known: MutableMapping[str, BaseDistribution],
    name: str,
    distribution: BaseDistribution,
    *,
    remember: bool = True,
) -> None:
    """Check a parameter's distribution against the one its study used before for that name.

    Args:
        known: The study's distributions so far, by parameter name (the first use of each).
        name: The parameter's name.
        distribution: The distribution the parameter is about to be stored with.
        remember: Record ``distribution`` in ``known`` when the name is new (pass False to
            only check, e.g. before the write that makes the parameter part of the study).

    Raises:
        ValueError: If the two are incompatible (see ``check_distribution_compatibility``).
    """
    previous = known.get(name)
    if previous is not None:
        check_distribution_compatibility(previous, distribution)
    elif remember:
        known[name] = distribution


def check_template_trial(template: FrozenTrial, *, owner: str) -> tuple[dict[str, Any], ...]:
    """Check what a template trial (``create_new_trial``) would store, by the rules above, and
    return its user and system attributes as every storage gives them back (:func:`attr_value`).
    """
    for name in template.distributions:
        check_name(name, "param_name", owner=owner)
    for step in template.intermediate_values:
        check_step(step, owner=owner)
    return tuple(
        {key: attr_value(value, kind, key) for key, value in attrs.items()}
        for kind, attrs in (("user", template.user_attrs), ("system", template.system_attrs))
    )
