"""The ``podbor`` command line: look into and manage the studies of a storage.

Commands (each but ``copy-study`` takes ``--storage URL``, or reads the ``PODBOR_STORAGE``
environment variable, and each takes ``-f/--format table|json|yaml``)::

    podbor --version
    podbor studies      --storage URL
    podbor trials       --storage URL --study-name NAME
    podbor best-trial   --storage URL --study-name NAME
    podbor best-trials  --storage URL --study-name NAME
    podbor create-study --storage URL [--study-name NAME] [--direction D | --directions D ...]
                        [--skip-if-exists]
    podbor delete-study --storage URL --study-name NAME
    podbor copy-study   --from-storage URL --to-storage URL [--study-name NAME ...]
                        [--to-format podbor|optuna]
    podbor ask          --storage URL --study-name NAME [--search-space JSON]
                        [--sampler NAME [--sampler-kwargs JSON]]
                        [--create-if-missing [--direction D | --directions D ...]]
    podbor tell         --storage URL --study-name NAME --trial-number N [--values V ...]
                        [--state complete|pruned|fail] [--skip-if-finished]
    podbor storage upgrade --storage URL
    podbor plot         --storage URL --study-name NAME [--kind KIND ... | all]
                        [--params NAME ...] -o report.html|FOLDER/

``ask`` and ``tell`` let a shell script drive a study: ``ask`` starts a trial and prints its
number and parameters (JSON by default), ``tell`` finishes it. ``storage upgrade`` brings a
database made by an older podbor to the current schema. ``copy-study`` copies studies between
storages (database URLs or ``journal:PATH`` files); it reads Optuna's databases and journals
too, and with ``--to-format optuna`` writes Optuna 5's format. ``plot`` draws every plot that
applies to a study into one self-contained HTML page (or matplotlib PNGs in a folder).

Exit codes: 0 on success, 1 when podbor reports an error (a one-line message on stderr), 2 for a
wrong command line. The same runs as ``python -m podbor``.

The package's modules, by concern: ``_main`` (the entry point, the parser, exit codes),
``_commands`` (the study commands), ``_copy`` (``copy-study``), ``_ask_tell`` (``ask``/``tell`` and their JSON options),
``_storage`` (opening a storage, the ``storage`` group), ``_plot`` (``plot``), ``_output``
(records and their table/JSON/YAML formatting) and ``_common`` (what they share).

Example:
    >>> main(["--version"])  # doctest: +ELLIPSIS
    podbor ...
    0
"""

from __future__ import annotations

from podbor.cli._main import STORAGE_ENV_VAR, main

__all__ = ["STORAGE_ENV_VAR", "main"]
