"""Validation the way the seminar teaches it: hold-out, k-fold with fold-level pruning, SearchCV.

* :func:`holdout_split` — train / validation / test (numpy only).
* :func:`cross_validate` — k-fold inside an objective; reports each fold to the trial and raises
  :class:`~podbor.TrialPruned` as soon as the pruner gives up on the configuration.
* :class:`SearchCV` — a scikit-learn estimator (like ``RandomizedSearchCV``) driven by a study.

scikit-learn is optional: it is imported when :func:`cross_validate` runs or :class:`SearchCV`
is first used (``pip install podbor[sklearn]``), so ``import podbor.validation`` works without it.

Example:
    >>> import numpy as np
    >>> from podbor.validation import holdout_split
    >>> parts = holdout_split(np.arange(10), val_size=0.2, test_size=0.2, seed=0)
    >>> [len(p) for p in parts[:3]]
    [6, 2, 2]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from podbor.validation._cross_validate import CVResult, cross_validate
from podbor.validation._holdout import HoldoutSplit, holdout_split

if TYPE_CHECKING:
    from podbor.validation._search_cv import SearchCV

__all__ = ["CVResult", "HoldoutSplit", "SearchCV", "cross_validate", "holdout_split"]


def __getattr__(name: str) -> Any:
    """Import ``SearchCV`` (and with it scikit-learn) on first use."""
    if name == "SearchCV":
        from podbor.validation._search_cv import SearchCV

        return SearchCV
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
