"""What one RDBStorage handle remembers of its database, so that reading the history costs only
the trials that are new or still running.

Only facts that never change are kept: finished trials, a study's directions, the distribution a
study first used for a parameter name, and the study and number of a trial. Study ids are never
reused (``sqlite_autoincrement`` and sequences), so a deleted study's entries can only be stale,
never wrong, and :meth:`HandleCache.forget_study` drops them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from podbor._records.frozen_trial import FrozenTrial
from podbor._records.trial_state import TrialState
from podbor._study_direction import StudyDirection
from podbor.distributions import BaseDistribution
from podbor.storages._records import best_of

__all__ = ["HandleCache"]


@dataclass
class _StudyCache:
    """Finished trials of one study, which never change: loaded once, then only what is new."""

    prefix: list[FrozenTrial] = field(default_factory=list)  # numbers 0..watermark-1, finished
    finished: dict[int, FrozenTrial] = field(default_factory=dict)  # number → trial, past prefix
    best: FrozenTrial | None = None
    directions: list[StudyDirection] = field(default_factory=list)
    dists: dict[str, BaseDistribution] = field(default_factory=dict)  # first use of each name


class HandleCache:
    """The cache of one handle; every method is thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._studies: dict[int, _StudyCache] = {}
        self._finished: dict[int, FrozenTrial] = {}  # trial id → finished trial
        self._trial_study: dict[int, int] = {}  # trial id → study id, for trials seen running
        self._trial_number: dict[int, int] = {}  # trial id → number, created here, unfinished

    def _study(self, study_id: int) -> _StudyCache:
        return self._studies.setdefault(study_id, _StudyCache())

    def forget_study(self, study_id: int) -> None:
        """Drop what is known of a deleted study."""
        with self._lock:
            cache = self._studies.pop(study_id, None)
            if cache is not None:
                for trial in [*cache.prefix, *cache.finished.values()]:
                    self._finished.pop(trial._trial_id, None)

    # -- studies ------------------------------------------------------------------------
    def directions(self, study_id: int) -> list[StudyDirection]:
        """The study's directions; empty when not known yet."""
        with self._lock:
            return list(self._study(study_id).directions)

    def set_directions(self, study_id: int, directions: list[StudyDirection]) -> None:
        with self._lock:
            self._study(study_id).directions = list(directions)

    def param_dists(self, study_id: int) -> dict[str, BaseDistribution]:
        """The distributions the study is known to have used, by name (the dict itself: entries
        are only ever added, with ``setdefault``)."""
        with self._lock:
            return self._study(study_id).dists

    def best(self, study_id: int) -> FrozenTrial | None:
        """The best COMPLETE trial among those loaded (after :meth:`merge`)."""
        with self._lock:
            return self._study(study_id).best

    # -- trials -------------------------------------------------------------------------
    def finished_trial(self, trial_id: int) -> FrozenTrial | None:
        """The trial if it is known to be finished (it never changes then)."""
        with self._lock:
            return self._finished.get(trial_id)

    def remember_finished(self, trial: FrozenTrial) -> None:
        if trial.state.is_finished():
            with self._lock:
                self._finished[trial._trial_id] = trial
                self._trial_number.pop(trial._trial_id, None)  # the finished trial has it

    def study_of(self, trial_id: int) -> int | None:
        """The id of the trial's study, if known."""
        with self._lock:
            return self._trial_study.get(trial_id)

    def remember_study_of(self, trial_id: int, study_id: int, number: int | None = None) -> None:
        with self._lock:
            self._trial_study[trial_id] = study_id
            if number is not None:
                self._trial_number[trial_id] = number

    def number_of(self, trial_id: int) -> int | None:
        """The trial's number, if known (a trial's number never changes)."""
        with self._lock:
            number = self._trial_number.get(trial_id)
            if number is None and trial_id in self._finished:
                number = self._finished[trial_id].number
            return number

    def watermark(self, study_id: int) -> tuple[int, set[int]]:
        """How many trials from number 0 on are cached as finished, and the numbers of the
        others cached as finished: the trials to load are the rest."""
        with self._lock:
            cache = self._study(study_id)
            return len(cache.prefix), set(cache.finished)

    def merge(
        self,
        study_id: int,
        watermark: int,
        rows: list[tuple[int, int]],
        loaded: dict[int, FrozenTrial],
    ) -> list[FrozenTrial]:
        """Every trial of the study: the cached prefix, then for each ``(trial id, number)`` of
        ``rows`` (the trials from ``watermark`` on) the cached or ``loaded`` trial. Newly
        finished trials join the cache (the directions must be known for the best trial)."""
        with self._lock:
            cache = self._study(study_id)
            tail: list[FrozenTrial] = []
            for trial_id, number in rows:
                trial = cache.finished.get(number) or loaded.get(trial_id)
                if trial is None:  # deleted meanwhile
                    continue
                if trial.state.is_finished() and number not in cache.finished:
                    cache.finished[number] = trial
                    self._finished[trial_id] = trial
                    self._trial_number.pop(trial_id, None)
                    if trial.state == TrialState.COMPLETE:
                        cache.best = best_of(cache.best, trial, cache.directions)
                tail.append(trial)
            while len(cache.prefix) in cache.finished:
                cache.prefix.append(cache.finished.pop(len(cache.prefix)))
            return cache.prefix[:watermark] + tail
