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

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from podbor.testing._common import RestrictedStudyView

if TYPE_CHECKING:
    from podbor.testing.pruners import PrunerConformance
    from podbor.testing.samplers import SamplerConformance, grid_search_space
    from podbor.testing.storages import StorageConformance

# The suites import pytest, which only their users need: they are imported on first use, so
# that the package's other modules (the fault harnesses the benchmarks run) work without it.
_SUITES = {
    "PrunerConformance": "podbor.testing.pruners",
    "SamplerConformance": "podbor.testing.samplers",
    "grid_search_space": "podbor.testing.samplers",
    "StorageConformance": "podbor.testing.storages",
}


def __getattr__(name: str) -> Any:
    module = _SUITES.get(name)
    if module is None:
        raise AttributeError(f"module 'podbor.testing' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "PrunerConformance",
    "RestrictedStudyView",
    "SamplerConformance",
    "StorageConformance",
    "grid_search_space",
]
