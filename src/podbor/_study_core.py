"""The study's internal interface: one object through which the study layer reaches a study.

(This module sits beside ``_study_view.py`` rather than in ``study/`` so that the live ``Trial``, which
``podbor.trial`` exports, can use it without importing the ``study`` package.)

A :class:`~podbor.Study` is a thin public handle. What its machinery needs — the storage
and the study's id in it, the directions, the sampler and the pruner, the optimize loop's lock
and stop flag — lives in one :class:`StudyCore`. The optimize loop (``study/_optimize.py``), ``tell``
(``study/_tell.py``), heartbeats (``study/_heartbeat.py``) and the live :class:`~podbor.Trial` take a
study's core with :func:`core_of` (the one place that reads it off a study) and use its
methods; none of them reaches into ``Study`` privates, and none imports ``Study``.

Example:
    >>> import podbor
    >>> study = podbor.create_study(study_name="demo")
    >>> core = core_of(study)
    >>> core.study_name, core.n_trials()
    ('demo', 0)
"""

from __future__ import annotations

import copy
import datetime
import os
import socket
import threading
from collections.abc import Callable, Container, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from podbor._records.base_trial import is_feasible
from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_view import StudyView

if TYPE_CHECKING:  # downward only: at run time it imports the records and the StudyView
    from podbor._study_direction import StudyDirection
    from podbor.pruners import BasePruner
    from podbor.samplers import BaseSampler
    from podbor.storages import BaseStorage

__all__ = [
    "FAIL_REASON_KEY",
    "FIXED_PARAMS_KEY",
    "METRIC_NAMES_KEY",
    "PRUNE_REASON_KEY",
    "WORKER_KEY",
    "StudyCore",
    "StudyHandle",
    "core_of",
]

# Keys podbor itself writes into system attributes (Optuna's names where Optuna has one).
FAIL_REASON_KEY = "fail_reason"
PRUNE_REASON_KEY = "prune_reason"
FIXED_PARAMS_KEY = "fixed_params"
METRIC_NAMES_KEY = "study:metric_names"
WORKER_KEY = "worker"
"""The system attribute naming the worker that ran a trial of ``optimize``: ``host:pid``, and
``/thread`` for the threads of ``n_jobs``; the dashboard's timeline draws one lane per worker."""


def worker_name() -> str:
    """This worker's name as :data:`WORKER_KEY` records it, e.g. ``"node7:4242"``."""
    thread = threading.current_thread()
    name = f"{socket.gethostname()}:{os.getpid()}"
    return name if thread is threading.main_thread() else f"{name}/{thread.name}"


class StudyCore:
    """A study's storage, id, directions, sampler, pruner and loop state, in one place.

    One core belongs to one :class:`~podbor.Study` handle (several handles on the same
    stored study each have their own, as each has its own sampler and loop). Every method is
    safe to call from the worker threads of ``optimize(n_jobs=…)``.

    Args:
        storage: Where the study lives.
        study_id: The study's id in ``storage``.
        study_name: Its name.
        sampler: The search strategy.
        pruner: The early-stopping rule.
    """

    def __init__(
        self,
        storage: BaseStorage,
        study_id: int,
        study_name: str,
        sampler: BaseSampler,
        pruner: BasePruner,
    ) -> None:
        self.storage = storage
        self.study_id = study_id
        self.study_name = study_name
        self.directions: list[StudyDirection] = storage.get_study_directions(study_id)
        self.sampler = sampler
        self.pruner = pruner
        self._init_loop_state()

    def _init_loop_state(self) -> None:
        self._loop_lock = threading.Lock()  # guards the two counters below
        # Held while a loop takes its budget and starts a trial, so that the threads of all the
        # loops on this handle start trials one at a time (a stop() then holds all of them).
        self.start_lock = threading.Lock()
        self._in_loop = threading.local()  # per thread: is this thread inside optimize?
        self._n_loops = 0
        self._stop_requested = False

    # A study pickles (e.g. to call ``tell`` in another process): the loop state is the
    # process's own and is rebuilt empty.
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        for key in ("_loop_lock", "start_lock", "_in_loop", "_n_loops", "_stop_requested"):
            del state[key]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._init_loop_state()

    # -- the optimize loop's state -------------------------------------------------------
    def enter_optimize(self) -> None:
        """Mark the start of ``optimize`` in this thread.

        Several threads may each run ``optimize`` on one handle at once; a call from inside an
        objective or a callback (the same thread, or one of the loop's workers) is refused.

        Raises:
            RuntimeError: If this thread already runs ``optimize`` on this handle.
        """
        if self.in_optimize():
            raise RuntimeError(
                "Nested optimization: Study.optimize cannot be called from an objective."
            )
        with self._loop_lock:
            if self._n_loops == 0:
                self._stop_requested = False
            self._n_loops += 1
        self.mark_worker(True)

    def exit_optimize(self) -> None:
        """Mark the end of ``optimize`` in this thread (once no loop runs, ``stop()`` resets)."""
        self.mark_worker(False)
        with self._loop_lock:
            self._n_loops -= 1
            if self._n_loops == 0:
                self._stop_requested = False

    def mark_worker(self, inside: bool) -> None:
        """Record whether the current thread runs trials of an ``optimize`` call."""
        self._in_loop.inside = inside

    def in_optimize(self) -> bool:
        """True in a thread that runs ``optimize`` (or one of its workers) on this handle."""
        return bool(getattr(self._in_loop, "inside", False))

    def request_stop(self) -> None:
        """Let the running loops start no new trial."""
        self._stop_requested = True

    @property
    def stop_requested(self) -> bool:
        """True once :meth:`request_stop` was called while a loop runs."""
        return self._stop_requested

    # -- trials ----------------------------------------------------------------------------
    def start_trial(self, *, heartbeat: bool = False) -> int:
        """Claim the oldest WAITING trial, or create a RUNNING one; return its id.

        Inside ``optimize`` the trial records which worker runs it (:data:`WORKER_KEY`), in the
        same write that creates it. With ``heartbeat`` (the loop's own trials, which its
        heartbeat thread keeps beating) and heartbeats on, the trial's first heartbeat is in
        that write too: a worker killed at any moment after leaves a trial that
        ``fail_stale_trials`` fails. A trial of ``Study.ask()`` never beats.
        """
        return self.begin_trial(heartbeat=heartbeat)._trial_id

    def begin_trial(self, *, heartbeat: bool = False) -> FrozenTrial:
        """Like :meth:`start_trial`, but return the started trial's record (the caller's own
        copy). A trial created here is described from what was written, with no read back;
        a claimed (enqueued) one is read."""
        started = self._start(limit=None, heartbeat=heartbeat)
        assert started is not None  # no limit: a trial is always started
        trial_id, template = started
        if template is None:
            return self.storage.get_trial(trial_id)._copy()
        record = template._copy()
        record.number = self.storage.get_trial_number_from_id(trial_id)
        record._trial_id = trial_id
        return record

    def start_trial_within(self, limit: int) -> int | None:
        """Like :meth:`start_trial`, but create a new trial only while the study holds fewer
        than ``limit`` trials outside FAIL (claiming a WAITING one always proceeds: it counts
        already); None when the limit is reached. The check and the creation are one write,
        so workers sharing the study never overshoot it (``podbor worker``). The trial beats
        from its creation, as with ``start_trial(heartbeat=True)``."""
        started = self._start(limit=limit, heartbeat=True)
        return None if started is None else started[0]

    def _start(self, limit: int | None, heartbeat: bool) -> tuple[int, FrozenTrial | None] | None:
        """Start a trial; return its id and, when it was created from a template, the template
        (which then holds everything the new trial does but its number and id)."""
        worker = worker_name() if self.in_optimize() else None
        beat = heartbeat and worker is not None and self.heartbeat_interval is not None
        if beat:
            trial_id = self.storage.claim_running_trial(self.study_id, heartbeat=True)
        else:
            trial_id = self.storage.claim_waiting_trial(self.study_id)
        if trial_id is not None:
            if worker is not None:
                self.storage.set_trial_system_attr(trial_id, WORKER_KEY, worker)
            return trial_id, None
        if worker is None and limit is None:
            return self.storage.create_new_trial(self.study_id), None
        template = None
        if worker is not None:
            template = FrozenTrial(
                number=-1,
                state=TrialState.RUNNING,
                value=None,
                datetime_start=datetime.datetime.now(),
                datetime_complete=None,
                params={},
                distributions={},
                user_attrs={},
                system_attrs={WORKER_KEY: worker},
                intermediate_values={},
                trial_id=-1,
            )
        if not beat and limit is None:
            return self.storage.create_new_trial(self.study_id, template_trial=template), template
        created = self.storage.create_running_trial(
            self.study_id, template, heartbeat=beat, limit=limit
        )
        return None if created is None else (created, template)

    def get_trial(self, trial_id: int) -> FrozenTrial:
        """The stored record of one trial of this study."""
        return self.storage.get_trial(trial_id)

    def trial_id_of(self, number: int) -> int:
        """The id of trial ``number``; raises ``KeyError`` when the study has no such trial."""
        return self.storage.get_trial_id_from_study_id_trial_number(self.study_id, number)

    def n_trials(self) -> int:
        """How many trials the study holds, in any state."""
        return self.storage.get_n_trials(self.study_id)

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        """The study's trials in number order, optionally only those in ``states``."""
        return self.storage.get_all_trials(self.study_id, deepcopy=deepcopy, states=states)

    def add_trial(self, template: FrozenTrial) -> int:
        """Store a trial made with :func:`~podbor.create_trial`; return its id."""
        return self.storage.create_new_trial(self.study_id, template_trial=template)

    def best_trial(self) -> FrozenTrial | None:
        """The best COMPLETE and feasible trial of a one-objective study (not a copy), or None.

        A trial is feasible when its constraint values are all <= 0, so a trial without
        constraints always is: the storage's best trial is the answer unless it has a violated
        constraint, and only then are the trials scanned.
        """
        if len(self.directions) != 1:
            return None
        try:
            best = self.storage.get_best_trial(self.study_id)
        except ValueError:  # no COMPLETE trial yet
            return None
        if is_feasible(best):
            return best
        feasible = [
            t
            for t in self.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            if is_feasible(t) and t.values is not None
        ]
        if not feasible:
            return None
        sign = 1.0 if self.directions[0].name == "MINIMIZE" else -1.0
        return min(feasible, key=lambda t: sign * t.values[0])  # type: ignore[index]

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        """Record a JSON-serializable value on a running trial."""
        self.storage.set_trial_system_attr(trial_id, key, value)

    def finish_trial(
        self, trial_id: int, state: TrialState, values: Sequence[float] | None
    ) -> FrozenTrial:
        """Store a trial's final state and values; return the finished record."""
        self.storage.set_trial_state_values(trial_id, state, values)
        return self.storage.get_trial(trial_id)

    def metric_names(self) -> list[str] | None:
        """The objectives' names set with ``Study.set_metric_names``, or None."""
        names = self.storage.get_study_system_attrs(self.study_id).get(METRIC_NAMES_KEY)
        return list(names) if names is not None else None

    def is_same_study(self, other: StudyCore) -> bool:
        """True when ``other`` is a handle on this very study (same storage object and id)."""
        return other.storage is self.storage and other.study_id == self.study_id

    # -- heartbeats of running trials --------------------------------------------------------
    @property
    def heartbeat_interval(self) -> float | None:
        """Seconds between heartbeats, or None when the storage keeps none."""
        return self.storage.heartbeat_interval

    def record_heartbeat(self, trial_id: int) -> None:
        """Note that the worker running ``trial_id`` is alive now."""
        self.storage.record_heartbeat(trial_id)

    def fail_stale_trials(self) -> list[FrozenTrial]:
        """Mark FAIL the running trials whose worker stopped beating; return them (copies)."""
        return [
            copy.deepcopy(self.storage.get_trial(trial_id))
            for trial_id in self.storage.fail_stale_trials(self.study_id)
        ]

    @property
    def failed_trial_callback(self) -> Callable[[Any, FrozenTrial], None] | None:
        """The storage's callback for trials failed by :meth:`fail_stale_trials`, if any."""
        return self.storage.failed_trial_callback


class StudyHandle(StudyView, Protocol):
    """What the study layer's internals know of a :class:`~podbor.Study`.

    The sampler- and pruner-facing ``StudyView``, the handle's name
    and user attributes (for objectives that read ``trial.study``), and its :class:`StudyCore`,
    read only through :func:`core_of`. ``Study`` satisfies it; the internals name this protocol
    instead of ``Study``, so that nothing below ``study/_study.py`` imports it.
    """

    _core: StudyCore

    @property
    def study_name(self) -> str:
        """The study's name."""
        ...

    @property
    def user_attrs(self) -> dict[str, Any]:
        """The study's user attributes."""
        ...

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serializable value to the study."""
        ...


def core_of(study: StudyHandle) -> StudyCore:
    """The :class:`StudyCore` of a study handle: the one place that reads it.

    Example:
        >>> import podbor
        >>> core_of(podbor.create_study()).directions
        [StudyDirection.MINIMIZE]
    """
    return study._core
