"""Conformance suites: one set of checks per interface, run over every implementation.

Each suite is a plain class of pytest checks with one factory to override. Subclass it in a test
module under a name starting with ``Test`` and pytest collects every check for your
implementation; the suites themselves are never collected on their own. The suites need pytest.

* :class:`~podbor.testing.samplers.SamplerConformance`: override ``make_sampler(seed)``.
* :class:`~podbor.testing.pruners.PrunerConformance`: override ``make_pruner()``.
* :class:`~podbor.testing.storages.StorageConformance`: override ``make_storage()``, a generator
  that yields a fresh storage and cleans it up afterwards.

Example:
    In ``tests/test_my_extension.py``::

        from podbor.testing import SamplerConformance

        class TestMySampler(SamplerConformance):
            def make_sampler(self, seed: int | None) -> BaseSampler:
                return MySampler(seed=seed)
"""

from podbor.testing._common import RestrictedStudyView
from podbor.testing.pruners import PrunerConformance
from podbor.testing.samplers import SamplerConformance, grid_search_space
from podbor.testing.storages import StorageConformance

__all__ = [
    "PrunerConformance",
    "RestrictedStudyView",
    "SamplerConformance",
    "StorageConformance",
    "grid_search_space",
]
