"""Run the pruner conformance suite over every pruner podbor ships."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

from podbor.pruners import (
    BasePruner,
    HyperbandPruner,
    LearningCurvePruner,
    MedianPruner,
    NopPruner,
    PatientPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    WilcoxonPruner,
)
from podbor.testing.pruners import PrunerConformance


class TestNopPruner(PrunerConformance):
    never_prunes: ClassVar[bool] = True

    def make_pruner(self) -> BasePruner:
        return NopPruner()


class TestMedianPruner(PrunerConformance):
    nan_prunes: ClassVar[bool] = True

    def make_pruner(self) -> BasePruner:
        return MedianPruner(n_startup_trials=5, n_warmup_steps=1)


class TestPercentilePruner(PrunerConformance):
    nan_prunes: ClassVar[bool] = True

    def make_pruner(self) -> BasePruner:
        return PercentilePruner(25.0, n_startup_trials=3, interval_steps=2)


class TestLearningCurvePruner(PrunerConformance):
    nan_prunes: ClassVar[bool] = True

    def make_pruner(self) -> BasePruner:
        return LearningCurvePruner(n_startup_trials=5, n_warmup_steps=2)


class TestSuccessiveHalvingPruner(PrunerConformance):
    nan_prunes: ClassVar[bool] = True

    def make_pruner(self) -> BasePruner:
        return SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)


class TestSuccessiveHalvingAutoPruner(PrunerConformance):
    nan_prunes: ClassVar[bool] = True

    def make_pruner(self) -> BasePruner:
        return SuccessiveHalvingPruner()


class TestHyperbandPruner(PrunerConformance):
    nan_prunes: ClassVar[bool] = True

    def make_pruner(self) -> BasePruner:
        return HyperbandPruner(min_resource=1, max_resource=9, reduction_factor=3)


class TestHyperbandAutoPruner(PrunerConformance):
    nan_prunes: ClassVar[bool] = True

    def make_pruner(self) -> BasePruner:
        return HyperbandPruner()


class TestThresholdPruner(PrunerConformance):
    nan_prunes: ClassVar[bool] = True
    unsupported_features: ClassVar[Mapping[str, str]] = MappingProxyType(
        {"direction_symmetry": "compares each report with fixed bounds, not with other trials"}
    )

    def make_pruner(self) -> BasePruner:
        return ThresholdPruner(upper=50.0)


class TestPatientPruner(PrunerConformance):
    def make_pruner(self) -> BasePruner:
        return PatientPruner(MedianPruner(n_startup_trials=5), patience=0)


class TestWilcoxonPruner(PrunerConformance):
    def make_pruner(self) -> BasePruner:
        return WilcoxonPruner(p_threshold=0.1, n_startup_steps=2)
