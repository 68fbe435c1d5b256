"""The constraints of a study as GPs: their recorded values as a matrix, and one GP per
constraint for the probability of feasibility (Gardner et al. 2014) that
:class:`~podbor.samplers._gp.acquisition.ConstrainedAcquisition` multiplies in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from podbor._arrays import BoolArray, FloatArray
from podbor._records.base_trial import constraints_from_system_attrs
from podbor._records.frozen_trial import FrozenTrial
from podbor.samplers._gp.acquisition import Feasibility
from podbor.samplers._gp.kernels import KernelParams
from podbor.samplers._gp.model import condition_or_default, fit_kernel_params, standardize

__all__ = ["ConstraintTable", "fit_feasibility"]


def _rows(recorded: Sequence[Mapping[str, float]], names: Sequence[str]) -> FloatArray:
    """Shape ``len(recorded) x len(names)``; a missing value or a NaN is ``+inf``."""
    out = np.array(
        [[float(values.get(name, np.inf)) for name in names] for values in recorded], dtype=float
    ).reshape(len(recorded), len(names))
    out[np.isnan(out)] = np.inf
    return out


class ConstraintTable:
    """The recorded constraint values of a growing list of complete trials as a matrix.

    ``matrix`` is ``n x m``, one column per constraint name any trial records (``names``,
    sorted); a value a trial lacks, or a NaN, counts as an infinite violation (``+inf``); ``m``
    is 0 while no trial records a constraint. Each trial's system attributes are read once, when
    it is appended, and the matrix grows by its new rows (it is rebuilt from the values already
    read only when a new name appears).

    Example:
        >>> from podbor.trial import create_trial
        >>> table = ConstraintTable()
        >>> table.extend([create_trial(value=0.0, system_attrs={"constraints": [0.5]})])
        >>> table.extend([create_trial(value=1.0, system_attrs={"constraints:cost": -1.0})])
        >>> table.names, table.matrix.tolist()
        (('0', 'cost'), [[0.5, inf], [inf, -1.0]])
    """

    def __init__(self) -> None:
        self._recorded: list[dict[str, float]] = []
        self.names: tuple[str, ...] = ()
        self.matrix: FloatArray = np.empty((0, 0))

    def extend(self, trials: Sequence[FrozenTrial]) -> None:
        """Append the rows of ``trials`` (complete trials: their constraints no longer change)."""
        new = [constraints_from_system_attrs(t.system_attrs) for t in trials]
        self._recorded.extend(new)
        names = set(self.names).union(*new)
        if len(names) > len(self.names):
            self.names = tuple(sorted(names))
            self.matrix = _rows(self._recorded, self.names)
        else:
            self.matrix = np.vstack([self.matrix, _rows(new, self.names)])


def fit_feasibility(
    x: FloatArray,
    constraints: FloatArray,
    is_categorical: BoolArray,
    *,
    initial: Sequence[KernelParams] | None,
    refit: bool = True,
) -> tuple[Feasibility, list[KernelParams]]:
    """Fit one GP per constraint on the same inputs (constraints taken as independent).

    Each GP models ``-c_k`` standardized (larger is more feasible); its threshold is the
    standardized value of ``c_k = 0``.

    Args:
        x: Shape ``n x d``, the encoded inputs.
        constraints: Shape ``n x m``, the constraint values (``+inf`` allowed, no NaN).
        is_categorical: Shape ``d``.
        initial: ``m`` hyper-parameters to start each fit from (the previous fit's), or None.
        refit: False to condition on ``initial`` as it is where it has a constraint's
            parameters, without a fit (the schedule of ``study_model.KernelFit``).

    Returns:
        The feasibility model and the ``m`` fitted hyper-parameters.

    Example:
        >>> x = np.array([[0.1], [0.5], [0.9]])
        >>> feasibility, _ = fit_feasibility(x, np.array([[1.0], [0.0], [-1.0]]),
        ...                                  np.array([False]), initial=None)
        >>> values = feasibility.value(np.array([[0.0], [1.0]]))
        >>> bool(values[0] < values[1])
        True
    """
    models, thresholds, fitted = [], [], []
    for k, column in enumerate(constraints.T):
        z, how = standardize(-column)
        start = initial[k] if initial is not None and k < len(initial) else None
        if refit or start is None:
            params = fit_kernel_params(x, z, is_categorical, initial=start)
        else:
            params = start
        models.append(condition_or_default(x, z, is_categorical, params, None))
        thresholds.append(-how.mean / how.scale)
        fitted.append(params)
    return Feasibility(tuple(models), tuple(thresholds)), fitted
