"""The report of a study as one self-contained HTML page (plotly), or a folder of PNGs (matplotlib).

:func:`write_html_report` draws every figure of a plan (see :mod:`podbor.visualization._report`)
with plotly and writes one page: the study's summary at the top, then a heading per figure.
plotly.js is inlined once, in the page's head, so the page opens with no network. A figure
that fails to draw is reported on the page (and in the returned outcomes) instead of stopping
the report; a skipped one gets its one-line note. :func:`write_png_report` draws the same plan
with matplotlib, one PNG per figure, and an ``index.html`` that shows them in order.

Every text that comes from the study (names, parameters, messages) is escaped.
"""

from __future__ import annotations

import dataclasses
import datetime
import html
import importlib
import math
import os
import re
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from podbor.study import Study
from podbor.version import __version__
from podbor.visualization._report import ReportItem, StudySummary, draw, summarize

__all__ = ["FIGURE_BUDGET", "Outcome", "write_html_report", "write_png_report"]

FIGURE_BUDGET = 20_000_000
"""Characters of HTML past which a figure's per-point hover texts are left out of the page."""

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1200px; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
section { margin: 2em 0; border-top: 1px solid #ddd; }
.note { color: #555; font-style: italic; }
.failed { color: #b00020; }
img { max-width: 100%; }
"""


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What became of one figure of the plan.

    Attributes:
        kind: The plot's short name.
        heading: The figure's heading.
        status: ``"drawn"``, ``"skipped"`` or ``"failed"``.
        detail: The note of a skipped figure, the error of a failed one, the file of a PNG.
    """

    kind: str
    heading: str
    status: str
    detail: str = ""


def write_html_report(study: Study, items: Sequence[ReportItem], path: str) -> list[Outcome]:
    """Draw the plan with plotly and write one self-contained page to ``path``.

    Args:
        study: The study.
        items: The plan, from :func:`~podbor.visualization._report.plan_report`.
        path: The HTML file to write.

    Returns:
        One outcome per item, in order.

    Raises:
        ImportError: plotly is not installed (the message names ``pip install 'podbor[plot]'``).

    Example:
        >>> import os, tempfile, podbor
        >>> from podbor.visualization._report import plan_report
        >>> study = podbor.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> path = os.path.join(tempfile.mkdtemp(), "report.html")
        >>> [o.status for o in write_html_report(study, plan_report(study, ["history"]), path)]
        ['drawn']
    """
    from podbor.visualization._plotly_imports import require

    require("podbor plot")
    plotly_offline = importlib.import_module("plotly.offline")
    outcomes: list[Outcome] = []
    sections: list[str] = []
    for index, item in enumerate(items, start=1):
        outcome, body = _drawn(item, study, _plotly_div)
        outcomes.append(outcome)
        sections.append(_section(index, item, outcome, body))
    page = _page(
        summarize(study),
        outcomes,
        sections,
        head=(
            '<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: "local"};\n'
            f"{plotly_offline.get_plotlyjs()}</script>"
        ),
    )
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return outcomes


def write_png_report(study: Study, items: Sequence[ReportItem], directory: str) -> list[Outcome]:
    """Draw the plan with matplotlib: one PNG per figure and an ``index.html`` in ``directory``.

    Args:
        study: The study.
        items: The plan.
        directory: The folder to write to (created when missing).

    Returns:
        One outcome per item, in order; a drawn one's ``detail`` is its file's name.

    Raises:
        ImportError: matplotlib is not installed (the message names the install command).
    """
    from podbor.visualization.matplotlib._matplotlib_imports import require

    plt = require("podbor plot")
    os.makedirs(directory, exist_ok=True)
    outcomes: list[Outcome] = []
    sections: list[str] = []
    for index, item in enumerate(items, start=1):

        def save(axes: Any, item: ReportItem = item, index: int = index) -> str:
            return _save_png(axes, directory, f"{index:02d}-{_slug(item.heading)}.png")

        before = set(plt.get_fignums())
        try:
            outcome, body = _drawn(item, study, save, backend="matplotlib")
        finally:  # close what the plot opened, drawn or failed; leave the caller's figures
            for number in set(plt.get_fignums()) - before:
                plt.close(number)
        outcomes.append(outcome)
        sections.append(_section(index, item, outcome, body))
    with open(os.path.join(directory, "index.html"), "w", encoding="utf-8") as f:
        f.write(_page(summarize(study), outcomes, sections, head=""))
    return outcomes


# -- drawing ------------------------------------------------------------------------------------
def _drawn(
    item: ReportItem,
    study: Study,
    render: Callable[[Any], str],
    *,
    backend: str = "plotly",
) -> tuple[Outcome, str]:
    """Draw one item and turn it into HTML (a plotly div, or the name of a PNG file)."""
    if item.skipped:
        return Outcome(item.kind, item.heading, "skipped", item.note), ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = render(draw(item, study, backend=backend))
        except Exception as err:  # one failed plot must not stop the report
            message = " ".join(str(err).split()) or type(err).__name__
            if isinstance(err, ModuleNotFoundError) and (err.name or "").startswith("podbor."):
                message = f"{item.function} is not available in this podbor ({err.name})"
            return Outcome(
                item.kind, item.heading, "failed", f"{type(err).__name__}: {message}"
            ), ""
    said = list(dict.fromkeys(str(w.message) for w in caught if _worth_showing(w)))
    notes = "".join(f'<p class="note">{html.escape(s)}</p>\n' for s in said)
    if backend == "matplotlib":
        image = f'<img src="{html.escape(result)}" alt="{html.escape(item.heading)}">'
        return Outcome(item.kind, item.heading, "drawn", result), notes + image
    return Outcome(item.kind, item.heading, "drawn", "; ".join(said)), notes + result


def _worth_showing(caught: warnings.WarningMessage) -> bool:
    """The warnings a figure's reader needs (not library deprecations of the backends)."""
    return not issubclass(caught.category, DeprecationWarning)


def _plotly_div(figure: Any) -> str:
    """The figure as a ``<div>`` and its script; a figure over :data:`FIGURE_BUDGET` loses its
    per-point hover texts (a rank plot of 10,000 trials repeats every trial's parameters in
    each of its panels: hundreds of MB), and the page says so."""
    page = _to_div(figure)
    if len(page) <= FIGURE_BUDGET:
        return page
    stripped = 0
    for trace in figure.data:
        text = getattr(trace, "hovertext", None)
        if text is not None and not isinstance(text, str) and len(text) > 1:
            trace.update(hovertext=None, hovertemplate=None, hoverinfo="x+y")
            stripped += 1
    if not stripped:
        return page
    smaller = _to_div(figure)
    note = (
        f"The hover texts of {stripped} traces were left out to keep the page small "
        f"({len(page) / 1e6:.0f} MB with them, {len(smaller) / 1e6:.0f} MB without); the Python "
        "function draws them."
    )
    return f'<p class="note">{html.escape(note)}</p>\n{smaller}'


def _to_div(figure: Any) -> str:
    # A figure without a height of its own gets one: the page gives its container none.
    return str(figure.to_html(full_html=False, include_plotlyjs=False, default_height="550px"))


def _save_png(axes: Any, directory: str, name: str) -> str:
    """Save the figure that the returned Axes (one, a tuple or an array of them) belong to."""
    first = axes
    while not hasattr(first, "savefig") and not hasattr(first, "figure"):
        first = next(iter(first.flat if hasattr(first, "flat") else first))
    figure = first if hasattr(first, "savefig") else first.figure
    figure.savefig(os.path.join(directory, name), format="png", dpi=100, bbox_inches="tight")
    return name


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "plot"


# -- the page -------------------------------------------------------------------------------------
def _page(
    summary: StudySummary, outcomes: Sequence[Outcome], sections: list[str], head: str
) -> str:
    e = html.escape
    drawn = sum(o.status == "drawn" for o in outcomes)
    failed = sum(o.status == "failed" for o in outcomes)
    contents = "".join(
        f'<li><a href="#plot-{i}">{e(o.heading)}</a>{"" if o.status == "drawn" else f" ({o.status})"}</li>'
        for i, o in enumerate(outcomes, start=1)
    )
    when = datetime.datetime.now().replace(microsecond=0).isoformat(sep=" ")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>podbor report: {e(summary.name)}</title>\n<style>{_STYLE}</style>\n{head}\n"
        f"</head>\n<body>\n<h1>Study {e(summary.name)}</h1>\n{_summary_html(summary)}"
        f"<p>{drawn} figures drawn, {len(outcomes) - drawn - failed} skipped, {failed} failed.</p>"
        f"\n<ul>{contents}</ul>\n{''.join(sections)}\n"
        f'<footer class="note">Made by podbor {e(__version__)} on {when}.</footer>\n'
        "</body>\n</html>\n"
    )


def _summary_html(summary: StudySummary) -> str:
    e = html.escape
    states = ", ".join(f"{n} {state.lower()}" for state, n in summary.states.items()) or "none"
    objectives = ", ".join(
        f"{e(name)} ({direction})"
        for name, direction in zip(summary.objective_names, summary.directions)
    )
    rows = [
        ("Study", e(summary.name)),
        ("Objectives", objectives),
        ("Trials", f"{summary.n_trials} ({e(states)})"),
    ]
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    out = f'<table class="summary">{table}</table>\n'
    if not summary.best:
        return out + '<p class="note">No complete trial yet: no best trial.</p>\n'
    single = len(summary.directions) == 1
    title = "Best trial" if single else f"Pareto-optimal trials ({summary.n_best})"
    value_heads = "".join(f"<th>{e(n)}</th>" for n in summary.objective_names)
    body = "".join(
        f"<tr><td>{number}</td>{''.join(f'<td>{_number(v)}</td>' for v in values)}"
        f"<td>{e(_params(params))}</td></tr>"
        for number, values, params in summary.best
    )
    more = summary.n_best - len(summary.best)
    tail = f'<p class="note">and {more} more.</p>' if more > 0 else ""
    return (
        f"{out}<h2>{title}</h2>\n<table><tr><th>Trial</th>{value_heads}<th>Parameters</th></tr>"
        f"{body}</table>{tail}\n"
    )


def _section(index: int, item: ReportItem, outcome: Outcome, body: str) -> str:
    e = html.escape
    notes = []
    if outcome.status == "skipped":
        notes.append(f'<p class="note">Skipped: {e(outcome.detail)}.</p>')
    elif outcome.status == "failed":
        notes.append(f'<p class="failed">This plot failed: {e(outcome.detail)}</p>')
    elif item.note:
        notes.append(f'<p class="note">{e(item.note)}</p>')
    return (
        f'<section id="plot-{index}">\n<h2>{e(item.heading)}</h2>\n{"".join(notes)}\n{body}\n'
        "</section>\n"
    )


def _number(value: float) -> str:
    return f"{value:.6g}" if math.isfinite(value) else str(value)


def _params(params: dict[str, Any]) -> str:
    return ", ".join(
        f"{k}={_number(v) if isinstance(v, float) else repr(v)}" for k, v in params.items()
    )
