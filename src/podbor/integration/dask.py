"""Dask: a study's storage on the scheduler, and trials run across a cluster's workers.

* :class:`DaskStorage` (optuna-integration's name and signature) keeps a study's storage in the
  Dask scheduler, so that workers reach it over Dask's own connections, with no database.
* :func:`optimize` runs ``n_trials`` trials of a study on a Dask cluster's workers, or on any
  ``concurrent.futures.Executor`` (a ``ProcessPoolExecutor`` for a CPU-bound objective on one
  machine), with the study on a ``DaskStorage``, a database or a journal file.
* :class:`WorkersLostError`: every worker left while trials remained.

``import podbor.integration.dask`` does not import Dask; the classes and ``optimize`` import it
when used (``pip install podbor[dask]``).

Example:
    >>> import podbor.integration.dask as podbor_dask
    >>> podbor_dask.__all__
    ['DaskStorage', 'WorkersLostError', 'optimize']
"""

from __future__ import annotations

from podbor.integration._dask_optimize import WorkersLostError, optimize
from podbor.integration._dask_storage import DaskStorage

__all__ = ["DaskStorage", "WorkersLostError", "optimize"]
