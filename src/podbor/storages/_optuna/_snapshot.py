"""The neutral record both sides of a copy use: one study with all its trials, in memory.

Readers of every format (a podbor storage, an Optuna database, an Optuna journal) produce
:class:`StudySnapshot` objects and writers consume them, so no format knows another. A snapshot
is checked (:meth:`StudySnapshot.check`) before anything is written, so a damaged source stops
a copy before the destination is touched.

Times are naive local times, as podbor keeps them; the helpers here convert the UTC times some
formats store.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from podbor._records.frozen_trial import FrozenTrial
from podbor._study_direction import StudyDirection
from podbor.distributions import BaseDistribution
from podbor.exceptions import InvalidArgumentError, StudyNotFoundError
from podbor.storages._input_rules import check_param_distribution

__all__ = [
    "StudySnapshot",
    "choose",
    "damaged",
    "local_to_utc",
    "pick",
    "to_local",
    "utc_to_local",
]


@dataclass(frozen=True)
class StudySnapshot:
    """A study as a copy carries it: name, directions, attributes and trials in number order.

    Attributes:
        name: The study's name.
        directions: One direction per objective.
        user_attrs: The study's user attributes.
        system_attrs: The study's system attributes.
        trials: Every trial, ``trials[k].number == k``; the snapshot owns them (never mutated).
    """

    name: str
    directions: list[StudyDirection]
    user_attrs: dict[str, Any]
    system_attrs: dict[str, Any]
    trials: list[FrozenTrial]

    def renamed(self, name: str) -> StudySnapshot:
        """The same study under another name."""
        return replace(self, name=name)

    def check(self, source: str) -> None:
        """Check the study can be written anywhere: numbers, states, values, distributions.

        Args:
            source: How messages name where the study was read from.

        Raises:
            InvalidArgumentError: Naming the study, the trial and what is wrong.
        """
        if not self.directions or StudyDirection.NOT_SET in self.directions:
            raise damaged(source, f"study {self.name!r}", f"bad directions {self.directions}")
        known: dict[str, BaseDistribution] = {}
        for position, trial in enumerate(self.trials):
            where = f"study {self.name!r}, trial {trial.number}"
            if trial.number != position:
                numbers = [t.number for t in self.trials]
                raise damaged(source, f"study {self.name!r}", f"trial numbers {numbers} have gaps")
            if trial.values is not None and len(trial.values) != len(self.directions):
                raise damaged(
                    source,
                    where,
                    f"{len(trial.values)} values for {len(self.directions)} objectives",
                )
            try:
                trial._validate()
                for name, distribution in trial.distributions.items():
                    check_param_distribution(known, name, distribution)
            except ValueError as err:
                raise damaged(source, where, str(err)) from err


def damaged(source: str, where: str, detail: str) -> InvalidArgumentError:
    """The error for a source that cannot be read as it is; nothing has been written."""
    return InvalidArgumentError(
        f"Cannot copy from {source}: {where}: {detail.rstrip('.')}. Nothing was written."
    )


def choose(names: Sequence[str] | None, existing: Sequence[str], source: str) -> list[str]:
    """The study names to copy: ``names`` (each once, in order), or all of ``existing``.

    Raises:
        StudyNotFoundError: If a name is not in the source; the message lists those that are.
    """
    if names is None:
        return list(existing)
    missing = [n for n in names if n not in existing]
    if missing:
        raise StudyNotFoundError(
            f"No study named {missing[0]!r} in {source}; it holds {sorted(existing)}."
        )
    return list(dict.fromkeys(names))


def pick(
    snapshots: Sequence[StudySnapshot], names: Sequence[str] | None, source: str
) -> list[StudySnapshot]:
    """The snapshots named by ``names`` in that order (all of them when None); see :func:`choose`."""
    by_name = {s.name: s for s in snapshots}
    return [by_name[n] for n in choose(names, list(by_name), source)]


# -- times ------------------------------------------------------------------------------------
def to_local(moment: datetime.datetime | None) -> datetime.datetime | None:
    """A time as podbor keeps it: an aware time converted to naive local time; naive ones kept."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone().replace(tzinfo=None)


def utc_to_local(moment: datetime.datetime | None) -> datetime.datetime | None:
    """A naive UTC time (as Optuna 5 stores in a database) as naive local time."""
    if moment is None:
        return None
    return to_local(moment.replace(tzinfo=datetime.timezone.utc))


def local_to_utc(moment: datetime.datetime) -> datetime.datetime:
    """A naive local time (podbor's) as an aware UTC time."""
    return moment.astimezone(datetime.timezone.utc)
