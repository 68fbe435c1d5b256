"""The contract every sampler fulfils.

A trial's parameters come from two calls. Once per trial, ``infer_relative_search_space`` and
``sample_relative`` may propose values for a joint search space (model-based samplers use the
correlations between parameters there). Each ``suggest_*`` outside that space calls
``sample_independent``.

Contract, for every implementation:

* Returned values are *external* representations (what the objective sees: a float, an int,
  the categorical choice itself, not its index), from ``sample_relative`` and
  ``sample_independent`` alike, and always lie inside the distribution.
* Samplers see the study only through :class:`~podbor._study_view.StudyView`; they never touch
  a storage or private ids. Their persistent state is JSON-serializable.
* The same ``seed`` and the same history give the same proposals (single-threaded).
* Methods may be called from several threads at once; implementations guard their own state.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Sequence
from typing import Any

from podbor._study_view import StudyView
from podbor.distributions import BaseDistribution
from podbor.trial._frozen import FrozenTrial
from podbor.trial._state import TrialState

__all__ = ["BaseSampler"]


class BaseSampler(abc.ABC):
    """Abstract base of all samplers."""

    @abc.abstractmethod
    def infer_relative_search_space(
        self, study: StudyView, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """Return the joint search space to hand to ``sample_relative`` (``{}`` for none)."""

    @abc.abstractmethod
    def sample_relative(
        self, study: StudyView, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        """Return external values for (a subset of) ``search_space``."""

    @abc.abstractmethod
    def sample_independent(
        self,
        study: StudyView,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        """Return an external value for one parameter, drawn without the joint model."""

    def before_trial(self, study: StudyView, trial: FrozenTrial) -> None:
        """Hook called once a trial is RUNNING, before the objective starts."""

    def after_trial(
        self,
        study: StudyView,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        """Hook called after the objective returned, before the trial's state is stored."""

    def reseed_rng(self) -> None:
        """Draw a fresh random seed (each worker process should diverge)."""

    def __getstate__(self) -> dict[str, Any]:
        """Locks cannot be copied or pickled: replace them by markers (see ``__setstate__``), so
        that samplers can be deep-copied (``sklearn.clone``) and sent to worker processes."""
        state = self.__dict__.copy()
        for key, value in state.items():
            if isinstance(value, _LOCK_TYPES):
                state[key] = _LockMarker(reentrant=isinstance(value, _RLOCK_TYPE))
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for key, value in state.items():
            if isinstance(value, _LockMarker):
                state[key] = threading.RLock() if value.reentrant else threading.Lock()
        self.__dict__.update(state)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


_RLOCK_TYPE = type(threading.RLock())
_LOCK_TYPES = (type(threading.Lock()), _RLOCK_TYPE)


class _LockMarker:
    """Stands for a lock in a copied or pickled sampler's state."""

    def __init__(self, reentrant: bool) -> None:
        self.reentrant = reentrant
