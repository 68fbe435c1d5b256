"""Pruners: rules that stop unpromising trials from their intermediate reports.

Example:
    >>> import podbor
    >>> study = podbor.create_study(pruner=podbor.pruners.NopPruner())
"""

from podbor.pruners._base import BasePruner
from podbor.pruners._nop import NopPruner

__all__ = ["BasePruner", "NopPruner"]
