"""The search spaces and objectives of the sampler conformance suite (``podbor.testing.samplers``).

:data:`SEARCH_SPACE` holds every kind of distribution the suite suggests from;
:data:`FINITE_SEARCH_SPACE` is its stepped version for samplers that only enumerate finite spaces.
The helpers suggest a space's parameters, score them, and name the points a study tried, so the
suite's checks can tell a repeated point from a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, Final

from podbor._records.base_trial import BaseTrial
from podbor._records.frozen_trial import FrozenTrial
from podbor.distributions import (
    BaseDistribution,
    CategoricalChoiceType,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

SEARCH_SPACE: Final[Mapping[str, BaseDistribution]] = MappingProxyType(
    {
        "float": FloatDistribution(-3.5, 2.0),
        "log_float": FloatDistribution(1e-4, 10.0, log=True),
        "step_float": FloatDistribution(-0.5, 0.7, step=0.1),
        "int": IntDistribution(-5, 5),
        "log_int": IntDistribution(1, 1000, log=True),
        "step_int": IntDistribution(0, 12, step=3),
        "categorical": CategoricalDistribution((None, True, False, 0, 1, 1.0, 2.5, "1", "a")),
        "bool_categorical": CategoricalDistribution((False, True)),
        "branch": CategoricalDistribution(("a", "b")),
        "branch_a": FloatDistribution(0.0, 1.0),
        "branch_b": IntDistribution(0, 10),
        "single_float": FloatDistribution(1.5, 1.5),
        "single_log_float": FloatDistribution(0.01, 0.01, log=True),
        "single_step_float": FloatDistribution(0.5, 0.5, step=0.1),
        "single_int": IntDistribution(7, 7),
        "single_log_int": IntDistribution(8, 8, log=True),
        "single_categorical": CategoricalDistribution(("only",)),
    }
)
"""Every parameter the suite suggests, by name. A fixed-space sampler must cover all of them."""

FINITE_SEARCH_SPACE: Final[Mapping[str, BaseDistribution]] = MappingProxyType(
    {
        **SEARCH_SPACE,
        # float ranges get a step (one a binary float holds exactly), over the same range …
        "float": FloatDistribution(-3.5, 2.0, step=0.125),
        "branch_a": FloatDistribution(0.0, 1.0, step=0.125),
        # … but a log-scaled float cannot have one: a wide stepped range stands in for it
        "log_float": FloatDistribution(0.0, 10.0, step=0.25),
    }
)
""":data:`SEARCH_SPACE` with every float range stepped: the space of a sampler that does not
support ``"infinite_search_space"``. Every parameter has finitely many values, the one-value
distributions of :data:`SINGLE_PARAMS` (a float without a step among them) included."""

MAIN_PARAMS: Final[tuple[str, ...]] = (
    "float",
    "log_float",
    "step_float",
    "int",
    "log_int",
    "step_int",
    "categorical",
    "bool_categorical",
)
"""One parameter per kind of distribution: plain, log and stepped floats and ints, categoricals."""

BRANCH_PARAMS: Final[tuple[str, ...]] = ("branch", "branch_a", "branch_b")
"""A conditional space: ``branch_a`` is suggested when ``branch == 'a'``, else ``branch_b``."""

SINGLE_PARAMS: Final[tuple[str, ...]] = (
    "single_float",
    "single_log_float",
    "single_step_float",
    "single_int",
    "single_log_int",
    "single_categorical",
)
"""Distributions that allow exactly one value."""

OPTIONAL_FEATURES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "seed_diversity": "different seeds give different proposals (not for deterministic samplers)",
        "partial_enqueue": "enqueued trials that fix only some of the suggested parameters",
        "dynamic_search_space": "a parameter's range narrows between trials; proposals follow it",
        "multi_objective": "studies with several objectives",
        "infinite_search_space": (
            "float ranges without a step, and more trials than a finite space holds (not for "
            "samplers that try each point of a finite space once); declared, the checks run on "
            "FINITE_SEARCH_SPACE instead of being skipped"
        ),
    }
)
"""What a sampler may opt out of, with a reason, in ``unsupported_features``."""

N_TRIALS: Final = 30
SEED: Final = 42


def grid_search_space() -> dict[str, list[CategoricalChoiceType]]:
    """Return grid values covering :data:`SEARCH_SPACE`: a grid-like sampler passes the suite with it.

    Numeric parameters get their two bounds (one value when the range allows only one),
    categoricals every choice.

    Example:
        >>> grid = grid_search_space()
        >>> grid["int"], grid["single_categorical"]
        ([-5, 5], ['only'])
    """
    grid: dict[str, list[CategoricalChoiceType]] = {}
    for name, dist in SEARCH_SPACE.items():
        if isinstance(dist, CategoricalDistribution):
            grid[name] = list(dist.choices)
        elif isinstance(dist, (FloatDistribution, IntDistribution)):
            grid[name] = [dist.low] if dist.single() else [dist.low, dist.high]
    return grid


# -- suggesting and checking --------------------------------------------------------------------
def suggest(trial: BaseTrial, name: str, dist: BaseDistribution) -> Any:
    if isinstance(dist, FloatDistribution):
        return trial.suggest_float(name, dist.low, dist.high, step=dist.step, log=dist.log)
    if isinstance(dist, IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, step=dist.step, log=dist.log)
    assert isinstance(dist, CategoricalDistribution)
    return trial.suggest_categorical(name, dist.choices)


Space = Mapping[str, BaseDistribution]


def suggest_all(trial: BaseTrial, names: Sequence[str], space: Space) -> dict[str, Any]:
    params = {
        name: suggest(trial, name, space[name]) for name in names if name not in BRANCH_PARAMS
    }
    if "branch" in names:
        branch = suggest(trial, "branch", space["branch"])
        params["branch"] = branch
        leaf = branch_leaf(branch)
        params[leaf] = suggest(trial, leaf, space[leaf])
    return params


def branch_leaf(branch: Any) -> str:
    """The parameter suggested after ``branch``."""
    return "branch_a" if branch == "a" else "branch_b"


def value_of(params: Mapping[str, Any], space: Space) -> float:
    """A deterministic, finite objective value of the suggested parameters."""
    return sum(space[n].to_internal_repr(v) for n, v in sorted(params.items()))


def make_objective(names: Sequence[str], space: Space) -> Callable[[BaseTrial], float]:
    def objective(trial: BaseTrial) -> float:
        return value_of(suggest_all(trial, names, space), space)

    return objective


# -- the points of a finite space ---------------------------------------------------------------
Point = frozenset[tuple[str, int]]
"""One combination of a finite space: each parameter with the index of its value."""


def n_values(dist: BaseDistribution) -> int:
    """How many values a finite distribution has (a float range without a step has none)."""
    if isinstance(dist, CategoricalDistribution):
        return len(dist.choices)
    if dist.single():
        return 1
    assert isinstance(dist, (FloatDistribution, IntDistribution)) and dist.step is not None
    return round((dist.high - dist.low) / dist.step) + 1


def value_index(dist: BaseDistribution, value: Any) -> int:
    """The index of ``value`` among the values of a finite distribution."""
    if isinstance(dist, CategoricalDistribution):
        return int(dist.to_internal_repr(value))
    if dist.single():
        return 0
    assert isinstance(dist, (FloatDistribution, IntDistribution)) and dist.step is not None
    steps: float = (float(value) - dist.low) / dist.step
    return round(steps)  # a step is rarely exact in binary floats: the nearest index


def point_of(trial: FrozenTrial) -> Point:
    return frozenset((n, value_index(trial.distributions[n], v)) for n, v in trial.params.items())


def space_parts(names: Sequence[str], space: Space) -> list[list[Point]]:
    """The independent parts of the space ``suggest_all(names)`` explores, each a list of
    partial points; a point of the whole space takes one from each part."""
    parts = [
        [frozenset({(n, i)}) for i in range(n_values(space[n]))]
        for n in names
        if n not in BRANCH_PARAMS
    ]
    if "branch" in names:
        branch = space["branch"]
        assert isinstance(branch, CategoricalDistribution)
        parts.append(
            [
                frozenset({("branch", b), (branch_leaf(choice), i)})
                for b, choice in enumerate(branch.choices)
                for i in range(n_values(space[branch_leaf(choice)]))
            ]
        )
    return parts


def is_member(dist: BaseDistribution, value: Any) -> bool:
    """True when ``value`` lies in ``dist``; a categorical value must be one choice, type and all."""
    if isinstance(dist, CategoricalDistribution):
        return any(type(value) is type(c) and value == c for c in dist.choices)
    return not isinstance(value, bool) and dist.contains_external(value)


def stored_problems(trial: FrozenTrial) -> list[str]:
    """What is wrong with the parameters a study stored for ``trial``."""
    problems = []
    for name, value in trial.params.items():
        dist = trial.distributions[name]
        expected_type: type | None = {FloatDistribution: float, IntDistribution: int}.get(
            type(dist)
        )
        if not is_member(dist, value) or (expected_type and type(value) is not expected_type):
            problems.append(f"trial {trial.number}: {name}={value!r} is not a value of {dist!r}")
    return problems


def signature(params: Sequence[Mapping[str, Any]]) -> list[list[tuple[str, str]]]:
    """Each parameter dict with its values' types, in a form that compares exactly (1 != True)."""
    return [sorted((name, f"{type(v).__name__}:{v!r}") for name, v in p.items()) for p in params]


def params_of(trials: Sequence[FrozenTrial]) -> list[dict[str, Any]]:
    return [t.params for t in trials]
