"""Run the sampler conformance suite over every sampler podbor ships."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

import pytest

from podbor.samplers import (
    BaseSampler,
    BruteForceSampler,
    CmaEsSampler,
    GridSampler,
    NSGAIIISampler,
    NSGAIISampler,
    PartialFixedSampler,
    RandomSampler,
)
from podbor.testing.samplers import SamplerConformance, grid_search_space


class TestRandomSampler(SamplerConformance):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return RandomSampler(seed=seed)


class TestGridSampler(SamplerConformance):
    unsupported_features: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            "partial_enqueue": "an enqueued trial must give every parameter of the grid",
            "dynamic_search_space": "the grid's values are fixed when the sampler is built",
        }
    )

    def make_sampler(self, seed: int | None) -> BaseSampler:
        return GridSampler(grid_search_space(), seed=seed)


class TestPartialFixedSampler(SamplerConformance):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return PartialFixedSampler({"step_int": 6, "categorical": 1.0}, RandomSampler(seed=seed))


class TestBruteForceSampler(SamplerConformance):
    unsupported_features: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            "infinite_search_space": (
                "it tries each point of a finite space once and then stops the study; a float "
                "range without a step is refused"
            ),
            "dynamic_search_space": "a range that changes between trials is refused",
        }
    )

    def make_sampler(self, seed: int | None) -> BaseSampler:
        return BruteForceSampler(seed=seed)


class TestCmaEsSampler(SamplerConformance):
    unsupported_features: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            "multi_objective": (
                "CMA-ES ranks the solutions of one objective; as Optuna's, it raises ValueError "
                "on a study with several"
            ),
        }
    )

    def make_sampler(self, seed: int | None) -> BaseSampler:
        pytest.importorskip("cmaes")
        return CmaEsSampler(seed=seed, popsize=4)


class TestPyCmaSampler(SamplerConformance):
    unsupported_features: ClassVar[Mapping[str, str]] = MappingProxyType(
        {
            "multi_objective": (
                "CMA-ES ranks the solutions of one objective; as optuna-integration's, it raises "
                "ValueError on a study with several"
            ),
        }
    )

    def make_sampler(self, seed: int | None) -> BaseSampler:
        pytest.importorskip("cma")
        from podbor.integration.cma import PyCmaSampler

        return PyCmaSampler(seed=seed, cma_opts={"popsize": 4})


def _botorch_random_candidates(*tensors: Any) -> Any:
    """A BoTorchSampler candidates function that fits no model (the suite's hundreds of trials
    would take minutes of BoTorch fits): a point drawn from torch's generator, which the sampler
    seeds. BoTorch's own recipes are tested in tests/integration/test_integration_botorch.py."""
    import torch

    bounds = tensors[3]
    return bounds[0] + (bounds[1] - bounds[0]) * torch.rand(1, bounds.shape[1], dtype=bounds.dtype)


class TestBoTorchSampler(SamplerConformance):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        pytest.importorskip("botorch")
        from podbor.integration.botorch import BoTorchSampler

        return BoTorchSampler(
            candidates_func=_botorch_random_candidates, n_startup_trials=3, seed=seed
        )


class TestNSGAIISampler(SamplerConformance):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return NSGAIISampler(population_size=4, seed=seed)  # small: the suite's runs breed


class TestNSGAIIISampler(SamplerConformance):
    def make_sampler(self, seed: int | None) -> BaseSampler:
        return NSGAIIISampler(population_size=4, seed=seed)  # small: the suite's runs breed
