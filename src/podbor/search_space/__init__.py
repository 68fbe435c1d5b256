"""Search spaces inferred from a study's trials (Optuna's ``optuna.search_space``).

:class:`IntersectionSearchSpace` keeps the parameters that every finished trial has, each with one
and the same distribution, and updates as trials finish; :func:`intersection_search_space` is its
one-shot form over a list of trials. Model-based samplers fit their joint models on such spaces.

Example:
    >>> import podbor
    >>> study = podbor.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    >>> list(podbor.search_space.IntersectionSearchSpace().calculate(study))
    ['x']
"""

from podbor.samplers._intersection import IntersectionSearchSpace, intersection_search_space

__all__ = ["IntersectionSearchSpace", "intersection_search_space"]
