"""The contract every storage fulfils.

A storage keeps studies and their trials. It is the only place state lives: a ``Study`` object is
a handle, and any number of handles (threads, processes, machines) may share one storage.

Contract, for every implementation:

* **Thread safety.** Every method may be called from several threads at once.
* **Numbers.** ``create_new_trial`` gives trial numbers 0, 1, 2, … per study, unique and gap-free.
* **Immutability.** A finished trial (COMPLETE, PRUNED, FAIL) never changes; any attempt raises
  :class:`~podbor.exceptions.UpdateFinishedTrialError`. ``FrozenTrial`` objects returned with
  ``deepcopy=False`` are snapshots that the storage never mutates afterwards; callers must not
  mutate them either.
* **Claiming.** ``set_trial_state_values(id, RUNNING)`` on a WAITING trial succeeds for exactly
  one caller; the others get ``False``.
* **Workers.** ``create_running_trial`` / ``claim_running_trial`` with ``heartbeat=True`` record
  the trial's first heartbeat in the write that creates or claims it (with heartbeats on), and
  ``create_running_trial(limit=n)`` never lets a study hold more than ``n`` trials outside FAIL.
* **Errors.** Unknown ids raise ``KeyError`` (:class:`~podbor.exceptions.StudyNotFoundError` for
  studies); a reused study name raises :class:`~podbor.exceptions.DuplicatedStudyError`.
* **JSON only.** Attribute values and parameters must be JSON-serializable; nothing is pickled.

The rules of the contract that concern the caller's input are checked by shared helpers, so that
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

import abc
import datetime
import json
from collections.abc import Callable, Container, MutableMapping, Sequence
from typing import Any

from podbor._frozen_study import FrozenStudy
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor._validation import is_int
from podbor.distributions import BaseDistribution, check_distribution_compatibility
from podbor.exceptions import InvalidArgumentError, UpdateFinishedTrialError, invalid_argument

__all__ = [
    "DEFAULT_STUDY_NAME_PREFIX",
    "INT64_MAX",
    "INT64_MIN",
    "INT_COLUMN_MAX",
    "INT_COLUMN_MIN",
    "MAX_JSON_DEPTH",
    "MAX_NAME_LENGTH",
    "NOT_FAILED",
    "BaseStorage",
    "attr_to_json",
    "attr_value",
    "check_name",
    "check_param_distribution",
    "check_step",
    "check_study_name",
    "check_template_trial",
    "select_trials",
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


NOT_FAILED = (TrialState.RUNNING, TrialState.WAITING, TrialState.COMPLETE, TrialState.PRUNED)
"""The states that count towards the ``limit`` of :meth:`BaseStorage.create_running_trial`: a
FAIL trial (e.g. of a dead worker) leaves room for another."""


def select_trials(
    trials: Sequence[FrozenTrial], states: Container[TrialState] | None, deepcopy: bool
) -> list[FrozenTrial]:
    """The trials in ``states`` (all when None), copied when ``deepcopy`` (``get_all_trials``)."""
    chosen = list(trials) if states is None else [t for t in trials if t.state in states]
    return [t._copy() for t in chosen] if deepcopy else chosen


class BaseStorage(abc.ABC):
    """Abstract base of in-memory, journal and relational-database storages."""

    # -- studies ------------------------------------------------------------------------
    @abc.abstractmethod
    def create_new_study(
        self, directions: Sequence[StudyDirection], study_name: str | None = None
    ) -> int:
        """Create a study and return its id; a name is generated when ``study_name`` is None.

        Raises:
            DuplicatedStudyError: If a study of that name exists.
        """

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Delete a study and all its trials."""

    @abc.abstractmethod
    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        """Set a user attribute of a study.

        Raises:
            ValueError: If the value is not JSON-serializable (checked by :func:`attr_to_json`).
        """

    @abc.abstractmethod
    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        """Like :meth:`set_study_user_attr`, for a system attribute (sampler state lives here)."""

    @abc.abstractmethod
    def get_study_id_from_name(self, study_name: str) -> int:
        """Return the id of the named study; the error lists the names that exist."""

    @abc.abstractmethod
    def get_study_name_from_id(self, study_id: int) -> str:
        """Return the name of a study."""

    @abc.abstractmethod
    def get_study_directions(self, study_id: int) -> list[StudyDirection]:
        """Return the directions of a study, one per objective."""

    @abc.abstractmethod
    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        """Return a copy of a study's user attributes."""

    @abc.abstractmethod
    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        """Return a copy of a study's system attributes."""

    @abc.abstractmethod
    def get_all_studies(self) -> list[FrozenStudy]:
        """Return every study, without trials."""

    # -- trials -------------------------------------------------------------------------
    @abc.abstractmethod
    def create_new_trial(self, study_id: int, template_trial: FrozenTrial | None = None) -> int:
        """Create a trial and return its id.

        Without a template the trial is RUNNING, started now. With one, the trial copies the
        template's state, values, params, attributes, reports and times (``Study.add_trial``).
        """

    @abc.abstractmethod
    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        """Store one parameter of a running trial.

        Raises:
            ValueError: If the distribution is incompatible with the one the study used before
                for that name (checked by :func:`check_param_distribution`).
            UpdateFinishedTrialError: If the trial is finished.
        """

    @abc.abstractmethod
    def set_trial_state_values(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None = None
    ) -> bool:
        """Move a trial to ``state`` and store its values.

        Returns:
            False when ``state`` is RUNNING and the trial is no longer WAITING (another worker
            claimed it); True otherwise.

        Raises:
            UpdateFinishedTrialError: If the trial is finished.
        """

    @abc.abstractmethod
    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        """Store the value reported at ``step`` (a later report of the same step replaces it)."""

    @abc.abstractmethod
    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        """Set a user attribute of a running trial.

        Raises:
            ValueError: If the value is not JSON-serializable (checked by :func:`attr_to_json`).
            UpdateFinishedTrialError: If the trial is finished.
        """

    @abc.abstractmethod
    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        """Like :meth:`set_trial_user_attr`, for a system attribute."""

    @abc.abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial:
        """Return a snapshot of one trial."""

    @abc.abstractmethod
    def get_all_trials(
        self, study_id: int, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """Return a study's trials in number order, optionally only those in ``states``.

        With ``deepcopy=False`` the returned snapshots are shared and must not be mutated.
        """

    # -- derived, overridable for speed -------------------------------------------------
    def get_trial_id_from_study_id_trial_number(self, study_id: int, trial_number: int) -> int:
        """Return the id of the trial with that number in that study."""
        trials = self.get_all_trials(study_id, deepcopy=False)
        if not 0 <= trial_number < len(trials):
            raise KeyError(f"No trial with number {trial_number} exists in study {study_id}.")
        return trials[trial_number]._trial_id

    def claim_waiting_trial(self, study_id: int) -> int | None:
        """Move the oldest WAITING trial to RUNNING and return its id; ``None`` if none waits.

        Each WAITING trial is claimed by exactly one caller, also across processes.
        """
        for trial in self.get_all_trials(study_id, deepcopy=False, states=(TrialState.WAITING,)):
            try:
                if self.set_trial_state_values(trial._trial_id, TrialState.RUNNING):
                    return trial._trial_id
            except UpdateFinishedTrialError:
                continue  # claimed and finished by another worker since the listing
        return None

    def create_running_trial(
        self,
        study_id: int,
        template_trial: FrozenTrial | None = None,
        *,
        heartbeat: bool = False,
        limit: int | None = None,
    ) -> int | None:
        """Create a RUNNING trial for a worker, in one write; return its id (None at ``limit``).

        With ``heartbeat`` (and heartbeats on) its first heartbeat is recorded in that write, so
        the trial is protected from the moment it exists (``Study.ask()`` trials, made by
        :meth:`create_new_trial`, never beat and are never failed as stale). With ``limit`` it
        is created only while the study holds fewer than ``limit`` trials outside FAIL (a
        budget racing workers cannot overshoot). ``template_trial`` is as in
        :meth:`create_new_trial`. This default takes several calls (a storage that keeps it
        still works, with a short unprotected window); podbor's storages take one write.
        """
        if limit is not None and self.get_n_trials(study_id, NOT_FAILED) >= limit:
            return None
        trial_id = self.create_new_trial(study_id, template_trial)
        if heartbeat:
            self.record_heartbeat(trial_id)
        return trial_id

    def claim_running_trial(self, study_id: int, *, heartbeat: bool = False) -> int | None:
        """Like :meth:`claim_waiting_trial`, with the claimed trial's first heartbeat recorded in
        the same write when ``heartbeat`` (see :meth:`create_running_trial`).

        Returns:
            The claimed trial's id, or None when no trial waits.
        """
        trial_id = self.claim_waiting_trial(study_id)
        if trial_id is not None and heartbeat:
            self.record_heartbeat(trial_id)
        return trial_id

    def get_trial_number_from_id(self, trial_id: int) -> int:
        """Return the number of a trial in its study."""
        return self.get_trial(trial_id).number

    def get_trial_param(self, trial_id: int, param_name: str) -> float:
        """Return the internal value of one parameter of a trial.

        Raises:
            KeyError: If the trial does not exist or has no parameter of that name.
        """
        trial = self.get_trial(trial_id)
        return trial.distributions[param_name].to_internal_repr(trial.params[param_name])

    def get_trial_params(self, trial_id: int) -> dict[str, Any]:
        """Return a trial's parameters by name, in their external representation.

        Raises:
            KeyError: If the trial does not exist.

        Example:
            >>> import podbor
            >>> from podbor.distributions import CategoricalDistribution
            >>> storage = podbor.storages.InMemoryStorage()
            >>> trial_id = storage.create_new_trial(storage.create_new_study([StudyDirection.MINIMIZE]))
            >>> storage.set_trial_param(trial_id, "opt", 1, CategoricalDistribution(["sgd", "adam"]))
            >>> storage.get_trial_params(trial_id)
            {'opt': 'adam'}
        """
        return dict(self.get_trial(trial_id).params)

    def get_trial_user_attrs(self, trial_id: int) -> dict[str, Any]:
        """Return a trial's user attributes.

        Raises:
            KeyError: If the trial does not exist.

        Example:
            >>> import podbor
            >>> storage = podbor.storages.InMemoryStorage()
            >>> trial_id = storage.create_new_trial(storage.create_new_study([StudyDirection.MINIMIZE]))
            >>> storage.set_trial_user_attr(trial_id, "fold", 3)
            >>> storage.get_trial_user_attrs(trial_id)
            {'fold': 3}
        """
        return dict(self.get_trial(trial_id).user_attrs)

    def get_trial_system_attrs(self, trial_id: int) -> dict[str, Any]:
        """Return a trial's system attributes (those podbor and samplers set).

        Raises:
            KeyError: If the trial does not exist.
        """
        return dict(self.get_trial(trial_id).system_attrs)

    def get_n_trials(
        self, study_id: int, state: Container[TrialState] | TrialState | None = None
    ) -> int:
        """Return how many trials a study has, optionally only those in ``state`` (one state or
        several)."""
        states = (state,) if isinstance(state, TrialState) else state
        return len(self.get_all_trials(study_id, deepcopy=False, states=states))

    def get_best_trial(self, study_id: int) -> FrozenTrial:
        """Return the best COMPLETE trial of a single-objective study.

        Raises:
            ValueError: If no trial is complete yet.
            RuntimeError: If the study has several objectives (use the Pareto front).
        """
        directions = self.get_study_directions(study_id)
        if len(directions) > 1:
            raise RuntimeError(
                "A multi-objective study has no single best trial; use Study.best_trials."
            )
        trials = self.get_all_trials(study_id, deepcopy=False, states=(TrialState.COMPLETE,))
        if not trials:
            raise ValueError("No trials are completed yet.")
        pick = min if directions[0] != StudyDirection.MAXIMIZE else max
        return pick(trials, key=lambda t: t.values[0] if t.values else float("nan"))

    def get_study_trial_stats(self, study_id: int) -> tuple[int, datetime.datetime | None]:
        """Return the number of trials and the earliest start, for study summaries.

        Database storages override it with one aggregate query, so that listing many studies
        does not load their trials.
        """
        trials = self.get_all_trials(study_id, deepcopy=False)
        starts = [t.datetime_start for t in trials if t.datetime_start is not None]
        return len(trials), min(starts) if starts else None

    def get_best_trial_only(self, study_id: int) -> FrozenTrial:
        """Like :meth:`get_best_trial`, for a one-off look (a summary): database storages
        override it with a query that loads the best trial alone, not the whole history."""
        return self.get_best_trial(study_id)

    def check_trial_is_updatable(self, trial_id: int, trial_state: TrialState) -> None:
        """Raise :class:`UpdateFinishedTrialError` when the trial is finished."""
        if trial_state.is_finished():
            number = self.get_trial_number_from_id(trial_id)
            raise UpdateFinishedTrialError(
                f"Trial {number} has already finished as {trial_state.name} and cannot be updated."
            )

    # -- heartbeat (optional; podbor's storages implement it, off unless an interval is set) --
    @property
    def heartbeat_interval(self) -> float | None:
        """Seconds between heartbeats of a running trial; None when heartbeats are off."""
        return None

    @property
    def heartbeat_stale_trial_callback(self) -> Callable[[Any, FrozenTrial], None] | None:
        """Called as ``callback(study, trial)`` for each stale trial this handle marks FAIL."""
        return None

    @property
    def failed_trial_callback(self) -> Callable[[Any, FrozenTrial], None] | None:
        """The old name of :attr:`heartbeat_stale_trial_callback` (Optuna's, before 4.9)."""
        return self.heartbeat_stale_trial_callback

    def record_heartbeat(self, trial_id: int) -> None:
        """Record that the worker running ``trial_id`` is alive (no-op without heartbeats)."""

    def get_trial_heartbeat(self, trial_id: int) -> datetime.datetime | None:
        """When the worker running ``trial_id`` last sent a heartbeat (UTC, timezone-aware).

        None when heartbeats are off, when the trial has sent none, or when the storage forgets
        them once a trial finishes. The dashboard shows it beside a running trial.

        Args:
            trial_id: The trial's id.

        Returns:
            The time of the last heartbeat, or None.
        """
        return None

    def fail_stale_trials(self, study_id: int) -> list[int]:
        """Mark FAIL the RUNNING trials whose worker stopped beating for longer than the grace
        period, and return their ids. Each stale trial is returned to exactly one caller."""
        return []

    def remove_session(self) -> None:
        """Release connections held by this handle (no-op for storages without any)."""
