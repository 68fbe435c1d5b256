"""``podbor plot``: every plot that applies to a study, in one self-contained HTML page or as PNGs.

``-o report.html`` writes one page drawn with plotly (plotly.js inlined once, so it opens with
no network); ``-o folder/`` (a path ending with ``/`` or an existing folder) writes one
matplotlib PNG per plot and an ``index.html`` showing them. ``--kind`` picks plots by name
(``history``, ``contour``, ... or ``all``), ``--params`` the parameters the parameter plots
show. The study is only read: the storage may be a podbor or Optuna database or journal file,
and a missing file is refused, never created. Which plots apply, and with what arguments, is
decided by :mod:`podbor.visualization._report`; a plot that fails is reported on the page and
on stderr, and the others are still drawn.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

import podbor
from podbor.cli._common import Command, add_study_name, invalid_option
from podbor.cli._output import Record
from podbor.storages import BaseStorage, InMemoryStorage
from podbor.storages._optuna import is_journal_url, journal_path, read_studies, write_studies

_logger = podbor.logging.get_logger(__name__)


def _plot(args: argparse.Namespace, storage: BaseStorage) -> list[Record]:
    """Draw the plots of ``--study-name`` into ``-o``; one record per plot: drawn, skipped, failed."""
    from podbor.visualization._report import plan_report
    from podbor.visualization._report_html import write_html_report, write_png_report

    study = podbor.load_study(study_name=args.study_name, storage=storage)
    items = plan_report(study, args.kinds, params=args.params)
    if args.png_folder:
        outcomes = write_png_report(study, items, args.output)
    else:
        outcomes = write_html_report(study, items, args.output)
    for outcome in outcomes:
        if outcome.status == "failed":
            print(f"podbor: warning: {outcome.heading}: {outcome.detail}", file=sys.stderr)
    drawn = sum(o.status == "drawn" for o in outcomes)
    _logger.info(f"Wrote {drawn} of {len(outcomes)} plots to {args.output!r}.")
    return [{"plot": o.heading, "status": o.status, "detail": o.detail} for o in outcomes]


def _prepare(args: argparse.Namespace) -> None:
    """Check ``--kind`` and ``-o`` and that the plotting library is there, before reading."""
    args.kinds = _kinds(args.kind)
    output: str = args.output
    args.png_folder = output.endswith(("/", os.sep)) or os.path.isdir(output)
    if not args.png_folder:
        folder = os.path.dirname(os.path.abspath(output))
        if not os.path.isdir(folder):
            raise invalid_option(
                "-o/--output",
                "an HTML file in an existing folder, or a folder ending with '/' for PNGs",
                output,
                f"there is no folder {folder!r}",
            )
    if args.png_folder:
        from podbor.visualization.matplotlib import _matplotlib_imports as mpl

        if "matplotlib.pyplot" not in sys.modules and mpl.is_available():
            importlib.import_module("matplotlib").use("Agg")  # a command line draws off-screen
        mpl.require("podbor plot -o FOLDER/")  # an ImportError naming the install command
    else:
        from podbor.visualization._plotly_imports import require as need_plotly

        need_plotly("podbor plot")
    study_name: str = args.study_name
    args.opener = lambda url: _read_study(url, study_name)


def _kinds(given: list[str] | None) -> list[str] | None:
    """The plots asked for, by short name; None for all of them."""
    from podbor.visualization._report import KINDS, resolve_kind

    if not given or any(name.strip().lower() == "all" for name in given):
        return None
    kinds = []
    for name in given:
        resolved = resolve_kind(name)
        if resolved is None:
            raise invalid_option(
                "--kind", f"'all' or plot names among {', '.join(k.name for k in KINDS)}", name
            )
        kinds.append(resolved)
    return list(dict.fromkeys(kinds))


def _read_study(url: str, study_name: str) -> BaseStorage:
    """Read one study of ``url`` (podbor's or Optuna's format) into memory, changing nothing."""
    if is_journal_url(url):
        path = journal_path(url, owner="podbor plot", name="--storage")
        if not os.path.isfile(path):
            raise invalid_option(
                "--storage", "the URL of an existing storage", url, f"there is no file {path!r}"
            )
    snapshots = read_studies(url, [study_name], argument="--storage")
    storage = InMemoryStorage()
    write_studies(storage, snapshots)
    return storage


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--study-name``, ``--kind``, ``--params`` and ``-o`` (nothing of plotting is imported)."""
    add_study_name(parser)
    parser.add_argument(
        "--kind",
        nargs="+",
        metavar="KIND",
        help="the plots to draw (default: all), e.g. history contour; a wrong name lists them",
    )
    parser.add_argument(
        "--params",
        nargs="+",
        metavar="NAME",
        help="the parameters the parameter plots show (default: all)",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="PATH",
        help="report.html for one self-contained page (plotly), or folder/ for matplotlib PNGs",
    )
    parser.set_defaults(prepare=_prepare, needs_existing=True)


PLOT_COMMANDS: tuple[Command, ...] = (
    (
        "plot",
        "Draw every plot that applies to a study into one HTML page (or PNGs).",
        _plot,
        _add_arguments,
    ),
)
"""The plot command."""
