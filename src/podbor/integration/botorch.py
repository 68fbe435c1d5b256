"""BoTorch's Bayesian optimization as a sampler: ``BoTorchSampler`` and its candidates functions.

``BoTorchSampler`` and the functions here are ``optuna_integration.BoTorchSampler`` and
``optuna_integration.botorch``'s candidates functions, under the same names and signatures, so
``from optuna_integration import BoTorchSampler`` becomes ``from podbor.integration import
BoTorchSampler``. A *candidates function* ``(train_x, train_obj, train_con, bounds, pending_x)``
fits BoTorch models to the trials so far and returns the next point, shape ``(1, n_params)``;
the sampler chooses one by the number of objectives and constraints, or takes yours.

* one objective: :func:`logei_candidates_func` (the default), :func:`qei_candidates_func`,
  :func:`qlogei_candidates_func`, :func:`qnei_candidates_func` (noisy objectives),
  :func:`qkg_candidates_func` (knowledge gradient);
* several: :func:`qehvi_candidates_func` (the default for 2 or 3), :func:`ehvi_candidates_func`
  (for 4 or more), :func:`qnehvi_candidates_func`, :func:`qparego_candidates_func`,
  :func:`qlogei_parego_candidates_func`, :func:`qhvkg_candidates_func`.

BoTorch (and PyTorch) are imported when the sampler is built or a function is called, not when
this module is imported; without BoTorch that raises an ``ImportError`` that names ``pip install
podbor[botorch]``.

Example:
    >>> import podbor
    >>> from podbor.integration.botorch import BoTorchSampler
    >>> podbor.logging.set_verbosity(podbor.logging.WARNING)
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", 0, 1)
    ...     trial.set_constraint("x_at_most_0.8", x - 0.8)
    ...     return x, (x - 1) ** 2
    >>> sampler = BoTorchSampler(n_startup_trials=3, seed=0)
    >>> study = podbor.create_study(directions=["minimize", "minimize"], sampler=sampler)
    >>> study.optimize(objective, n_trials=4)
    >>> len(study.trials)
    4
    >>> podbor.logging.set_verbosity(podbor.logging.INFO)
"""

from __future__ import annotations

from podbor.integration._botorch.candidates import (
    logei_candidates_func,
    qei_candidates_func,
    qkg_candidates_func,
    qlogei_candidates_func,
    qnei_candidates_func,
)
from podbor.integration._botorch.multi_objective import (
    ehvi_candidates_func,
    qehvi_candidates_func,
    qhvkg_candidates_func,
    qlogei_parego_candidates_func,
    qnehvi_candidates_func,
    qparego_candidates_func,
)
from podbor.integration._botorch.sampler import BoTorchSampler

__all__ = [
    "BoTorchSampler",
    "ehvi_candidates_func",
    "logei_candidates_func",
    "qehvi_candidates_func",
    "qei_candidates_func",
    "qhvkg_candidates_func",
    "qkg_candidates_func",
    "qlogei_candidates_func",
    "qlogei_parego_candidates_func",
    "qnehvi_candidates_func",
    "qnei_candidates_func",
    "qparego_candidates_func",
]
