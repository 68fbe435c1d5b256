"""Search-space distributions: what values a parameter may take.

A distribution knows two representations of a value: the *external* one the objective sees
(a float, an int, or one of the categorical choices) and the *internal* one stored and modelled
(always a float; a categorical's internal value is the index of its choice). Distributions are
immutable value objects; they round-trip through JSON.

Example:
    >>> from podbor.distributions import FloatDistribution, distribution_to_json, json_to_distribution
    >>> d = FloatDistribution(1e-5, 1e-1, log=True)
    >>> json_to_distribution(distribution_to_json(d)) == d
    True
"""

from podbor.distributions._json import (
    check_distribution_compatibility,
    distribution_to_json,
    json_to_distribution,
)
from podbor.distributions._legacy import (
    DiscreteUniformDistribution,
    IntLogUniformDistribution,
    IntUniformDistribution,
    LogUniformDistribution,
    UniformDistribution,
)
from podbor.distributions._legacy import (
    _convert_old_distribution_to_new_distribution as _convert_old_distribution_to_new_distribution,
)
from podbor.distributions._types import (
    BaseDistribution,
    CategoricalChoiceType,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

__all__ = [
    "DISTRIBUTION_CLASSES",
    "BaseDistribution",
    "CategoricalChoiceType",
    "CategoricalDistribution",
    "DiscreteUniformDistribution",
    "FloatDistribution",
    "IntDistribution",
    "IntLogUniformDistribution",
    "IntUniformDistribution",
    "LogUniformDistribution",
    "UniformDistribution",
    "check_distribution_compatibility",
    "distribution_to_json",
    "json_to_distribution",
]


DISTRIBUTION_CLASSES = (
    IntDistribution,
    IntLogUniformDistribution,
    IntUniformDistribution,
    FloatDistribution,
    UniformDistribution,
    LogUniformDistribution,
    DiscreteUniformDistribution,
    CategoricalDistribution,
)
"""Every distribution class, the current ones and Optuna's deprecated ones (Optuna's name and
order), e.g. for ``isinstance`` checks or to look a class up by its ``__name__``."""

# The classes are documented, printed and pickled under this package's name.
for _cls in (
    BaseDistribution,
    FloatDistribution,
    IntDistribution,
    CategoricalDistribution,
    UniformDistribution,
    LogUniformDistribution,
    DiscreteUniformDistribution,
    IntUniformDistribution,
    IntLogUniformDistribution,
):
    _cls.__module__ = __name__
del _cls
