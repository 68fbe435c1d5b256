"""The trials table: one column per trial field, sorted, filtered and paged over the snapshot.

A column is kept as arrays over the trial numbers (a float for numbers and times, a string for
the rest, a mask of missing cells) and brought up to date from the monitor's change log, so that
a query at 10^5 trials is a few vectorized comparisons and one ``numpy.lexsort``.

Columns: ``number``, ``state``, ``value`` (= ``values.0``), ``values.K``, ``duration`` (seconds),
``datetime_start``, ``datetime_complete``, ``params.NAME`` and ``user_attrs.KEY``.

Order: numbers (numerically), then strings (as text; any other value, a bool or a list, as its
JSON), then missing cells; descending reverses that order but keeps missing cells last; ties go
by trial number, ascending. A NaN counts as missing.

Filters: ``COL OP VALUE`` with OP one of ``= != < <= > >= ~``. When VALUE is a number (or, for a
time column, an ISO 8601 time), number cells compare numerically and string cells as text with
VALUE as written; otherwise every cell compares as text (a number's text is its JSON). ``~`` is
a case-insensitive substring of the cell's text. ``state=COMPLETE,PRUNED`` (and ``!=``) takes a list of states. A missing
cell matches no filter. Several filters must all hold.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import math
import operator
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from podbor.dashboard._json import jsonable, trial_row
from podbor.trial import FrozenTrial, TrialState

if TYPE_CHECKING:
    from podbor.dashboard._monitor import StudyMonitor

__all__ = ["MAX_LIMIT", "MISSING", "TableQueryError", "cell_text", "cells", "query_trials"]

MAX_LIMIT = 1000
_OPS = ("!=", "<=", ">=", "=", "<", ">", "~")
_FILTER = re.compile(r"^\s*(?P<col>.+?)\s*(?P<op>!=|<=|>=|=|<|>|~)\s*(?P<value>.*?)\s*$", re.S)
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_FIXED_COLUMNS = ("number", "state", "value", "duration", "datetime_start", "datetime_complete")
_TIME_COLUMNS = ("datetime_start", "datetime_complete")


class TableQueryError(ValueError):
    """A query argument the table cannot take; the message names it, its value and what is allowed."""


def _fail(argument: str, value: Any, allowed: str) -> TableQueryError:
    return TableQueryError(f"The {argument!r} argument must be {allowed}; got {value!r}.")


# -- cells ------------------------------------------------------------------------------------------
MISSING: Any = object()
"""The marker :func:`cells` gives a trial without that cell."""


def cells(trials: Sequence[FrozenTrial], rows: Sequence[int], column: str) -> list[Any]:
    """The cells of ``trials[i]`` for ``i`` in ``rows`` in ``column`` (a checked column name):
    numbers, strings, datetimes, any attribute value, or :data:`MISSING`."""
    chosen = [trials[i] for i in rows]
    if column == "number":
        return [t.number for t in chosen]
    if column == "state":
        return [t.state.name for t in chosen]
    if column == "duration":
        durations = [t.duration for t in chosen]
        return [MISSING if d is None else d.total_seconds() for d in durations]
    if column in _TIME_COLUMNS:
        stamps = [getattr(t, column) for t in chosen]
        return [MISSING if v is None else v for v in stamps]
    group, _, key = column.partition(".")
    if group == "values":
        index = int(key)
        return [
            MISSING if t.values is None or index >= len(t.values) else t.values[index]
            for t in chosen
        ]
    if group == "params":
        return [t.params.get(key, MISSING) for t in chosen]
    return [t.user_attrs.get(key, MISSING) for t in chosen]


def cell_text(value: Any) -> str:
    """The text a cell is compared as by ``~`` (and a non-number by the others): a string
    itself, a datetime in ISO 8601, anything else its JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return json.dumps(jsonable(value), ensure_ascii=False)


def _classify(values: list[Any]) -> tuple[Any, Any, Any]:
    """``(numbers, kind, texts)`` of cells: kind 0 number, 1 string (any other value: its
    JSON), 2 missing or NaN. Numbers are converted at once when every cell is one."""
    n = len(values)
    types = set(map(type, values))
    if types <= {int, float, type(MISSING)}:
        numbers = np.array([np.nan if v is MISSING else v for v in values], dtype=float)
        kind = np.where(np.isnan(numbers), 2, 0).astype(np.int8)
        return numbers, kind, np.empty(n, dtype=object)
    if types == {str}:
        return np.full(n, np.nan), np.ones(n, np.int8), np.array(values, dtype=object)
    numbers, kind, texts = np.full(n, np.nan), np.full(n, 2, np.int8), np.empty(n, dtype=object)
    for i, value in enumerate(values):
        if value is MISSING:
            continue
        number = _number(value)
        if number is not None:
            numbers[i], kind[i] = number, 0
        elif not (isinstance(value, float) and math.isnan(value)):
            texts[i], kind[i] = cell_text(value), 1
    return numbers, kind, texts


def _number(value: Any) -> float | None:
    """The cell as a number: ints, floats and numpy numbers (bools are not), datetimes as POSIX
    seconds; None when it is not one or is NaN."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return None if math.isnan(number) else number
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    return None


@dataclasses.dataclass
class _Column:
    """One column over trial numbers ``0 .. n-1``.

    ``numbers`` holds the number cells (NaN elsewhere), ``kind`` is 0 for a number, 1 for a
    string, 2 for a missing cell; a string cell's text is ``words[codes[i]]`` (each distinct text
    once, in the order first seen, so that a comparison runs once per distinct text).
    """

    name: str
    cursor: int
    numbers: npt.NDArray[np.float64]
    kind: npt.NDArray[np.int8]
    codes: npt.NDArray[np.intp]
    words: list[str] = dataclasses.field(default_factory=list)
    vocabulary: dict[str, int] = dataclasses.field(default_factory=dict)
    _ranks: npt.NDArray[np.intp] | None = None

    @classmethod
    def build(cls, trials: Sequence[FrozenTrial], name: str, cursor: int) -> _Column:
        numbers, kind, texts = _classify(cells(trials, range(len(trials)), name))
        column = cls(name, cursor, numbers, kind, np.zeros(len(kind), dtype=np.intp))
        column._encode(np.arange(len(kind)), texts, kind)
        return column

    def _encode(
        self, rows: npt.NDArray[np.intp], texts: npt.NDArray[np.object_], kind: npt.NDArray[np.int8]
    ) -> None:
        vocabulary, words = self.vocabulary, self.words
        strings = np.flatnonzero(kind == 1)
        codes = []
        for text in texts[strings].tolist():
            code = vocabulary.get(text)
            if code is None:
                code = vocabulary[text] = len(words)
                words.append(text)
            codes.append(code)
        self.codes[rows] = 0
        self.codes[rows[strings]] = codes
        self._ranks = None

    def update(self, trials: Sequence[FrozenTrial], rows: npt.NDArray[np.intp]) -> None:
        """Take in changed and new trials (``rows``: their numbers)."""
        extra = len(trials) - len(self.kind)
        if extra > 0:
            self.numbers = np.concatenate([self.numbers, np.full(extra, np.nan)])
            self.kind = np.concatenate([self.kind, np.full(extra, 2, np.int8)])
            self.codes = np.concatenate([self.codes, np.zeros(extra, dtype=np.intp)])
        if len(rows):
            numbers, kind, texts = _classify(cells(trials, rows.tolist(), self.name))
            self.numbers[rows], self.kind[rows] = numbers, kind
            self._encode(rows, texts, kind)

    def ranks(self) -> npt.NDArray[np.intp]:
        """Each cell's rank among the distinct texts in text order (0 for non-strings)."""
        if self._ranks is None:
            rank_of = np.zeros(max(len(self.words), 1), dtype=np.intp)
            rank_of[np.argsort(np.array(self.words, dtype=object), kind="stable")] = np.arange(
                len(self.words)
            )
            self._ranks = np.where(self.kind == 1, rank_of[self.codes], 0)
        return self._ranks

    def matching(self, test: Callable[[str], bool]) -> npt.NDArray[np.bool_]:
        """Which cells are strings that pass ``test`` (run once per distinct text)."""
        passed = np.array([bool(test(w)) for w in self.words] or [False], dtype=bool)
        return np.asarray((self.kind == 1) & passed[self.codes], dtype=bool)

    def all_texts(self, trials: Sequence[FrozenTrial]) -> list[str | None]:
        """Every present cell's text (numbers' JSON included), for ``~``."""
        numeric = np.flatnonzero(self.kind == 0)
        texts: list[str | None] = [None] * len(self.kind)
        for i in np.flatnonzero(self.kind == 1).tolist():
            texts[i] = self.words[self.codes[i]]
        for i, value in zip(numeric.tolist(), cells(trials, numeric.tolist(), self.name)):
            texts[i] = cell_text(value)
        return texts


def _column(monitor: StudyMonitor, name: str) -> _Column:
    """The column, brought up to date with the monitor's snapshot (changed trials only)."""
    trials = monitor.snapshot()
    cursor = monitor.cursor
    key = ("table-column", name)
    column: _Column | None = monitor.cache.get(key)
    if column is not None and column.cursor != cursor:
        changed = monitor.changed_since(column.cursor)
        if changed is None or len(trials) < len(column.kind):
            column = None
        else:
            column.update(trials, changed)
            column.cursor = cursor
    if column is None:
        column = _Column.build(trials, name, cursor)
        monitor.cache[key] = column
    return column


# -- arguments --------------------------------------------------------------------------------------
def _check_column(monitor: StudyMonitor, name: str, argument: str) -> str:
    n_objectives = len(monitor.directions)
    if name == "value":
        return "values.0"
    if name in _FIXED_COLUMNS:
        return name
    group, dot, key = name.partition(".")
    if dot and group == "values" and key.isdigit() and int(key) < n_objectives:
        return f"values.{int(key)}"
    if dot and group == "params" and key in monitor.param_names:
        return name
    if dot and group == "user_attrs" and key in monitor.user_attr_keys:
        return name
    allowed = (
        f"a column: one of {list(_FIXED_COLUMNS)}, values.K (K < {n_objectives}), "
        f"params.NAME (NAME in {monitor.param_names[:20]}) or user_attrs.KEY "
        f"(KEY in {monitor.user_attr_keys[:20]})"
    )
    raise _fail(argument, name, allowed)


def _int_argument(value: Any, argument: str, low: int, high: int | None) -> int:
    allowed = f"an integer >= {low}" + ("" if high is None else f" and <= {high}")
    try:
        number = (
            int(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else None
        )
    except ValueError:
        number = None
    if number is None or number < low or (high is not None and number > high):
        raise _fail(argument, value, allowed)
    return number


# -- filters ----------------------------------------------------------------------------------------
def _filter_mask(monitor: StudyMonitor, expression: str) -> npt.NDArray[np.bool_]:
    match = _FILTER.match(expression)
    if match is None:
        raise _fail("filter", expression, f"'COLUMN OP VALUE' with OP one of {list(_OPS)}")
    name, op, raw = match.group("col"), match.group("op"), match.group("value")
    name = _check_column(monitor, name, "filter")
    column = _column(monitor, name)
    if name == "state" and op in ("=", "!="):
        return _state_mask(column, raw, op)
    if op == "~":
        needle = raw.casefold()
        texts = column.all_texts(monitor.snapshot())
        return np.array([t is not None and needle in t.casefold() for t in texts], dtype=bool)
    compare = _COMPARE[op]
    mask = np.zeros(len(column.kind), dtype=bool)
    number = _filter_number(raw, name)
    if number is not None:
        with np.errstate(invalid="ignore"):
            mask |= (column.kind == 0) & compare(column.numbers, number)
    else:
        numeric = np.flatnonzero(column.kind == 0)  # compared as text: their JSON
        if len(numeric):
            texts = cells(monitor.snapshot(), numeric.tolist(), name)
            mask[numeric] = [bool(compare(cell_text(t), raw)) for t in texts]
    return mask | column.matching(lambda text: compare(text, raw))


def _filter_number(raw: str, column: str) -> float | None:
    if column in _TIME_COLUMNS:
        try:
            return datetime.datetime.fromisoformat(raw).timestamp()
        except ValueError:
            return None
    try:
        number = float(raw)
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _state_mask(column: _Column, raw: str, op: str) -> npt.NDArray[np.bool_]:
    wanted = [s.strip().upper() for s in raw.split(",") if s.strip()]
    names = [s.name for s in TrialState]
    for state in wanted:
        if state not in names:
            raise _fail("filter", raw, f"a comma-separated list of states from {names}")
    mask = column.matching(lambda text: text in wanted)
    return mask if op == "=" else ~mask


# -- the query --------------------------------------------------------------------------------------
def _order(monitor: StudyMonitor, name: str, descending: bool) -> npt.NDArray[np.intp]:
    """Trial numbers in the table's order by ``name``, cached per cursor."""
    key = ("table-order", name, descending)
    cached = monitor.cache.get(key)
    if cached is not None and cached[0] == monitor.cursor:
        return cached[1]  # type: ignore[no-any-return]
    column = _column(monitor, name)
    n = len(column.kind)
    numbers = np.where(column.kind == 0, column.numbers, 0.0)
    ranks = column.ranks()
    group = column.kind.astype(np.int64)
    if descending:
        numbers, ranks = -numbers, -ranks
        group = np.where(group == 2, 2, 1 - group)
    order = np.lexsort((np.arange(n), ranks, numbers, group))
    monitor.cache[key] = (monitor.cursor, order)
    return order


def query_trials(
    monitor: StudyMonitor,
    *,
    sort: str = "number",
    order: str = "asc",
    filters: Sequence[str] = (),
    offset: int = 0,
    limit: int = 50,
) -> dict[str, Any]:
    """One page of the trials table: ``{"total", "matched", "offset", "limit", "rows", "cursor"}``.

    Raises:
        TableQueryError: An unknown column or order, a filter that does not parse, an offset
            below 0 or a limit outside ``[0, 1000]``.

    Example:
        >>> import podbor
        >>> from podbor.dashboard._monitor import Monitors
        >>> study = podbor.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
        >>> monitor = Monitors(study._storage).get(study._study_id)
        >>> page = query_trials(monitor, sort="value", order="desc", filters=["params.x>=0"], limit=2)
        >>> page["total"], page["matched"], len(page["rows"])
        (5, 5, 2)
    """
    if order not in ("asc", "desc"):
        raise _fail("order", order, "'asc' or 'desc'")
    offset = _int_argument(offset, "offset", 0, None)
    limit = _int_argument(limit, "limit", 0, MAX_LIMIT)
    if isinstance(filters, str):
        filters = [filters]
    monitor.refresh()
    with monitor.lock:  # one consistent snapshot for columns, order and rows
        trials = monitor.snapshot()
        sort_column = _check_column(monitor, sort, "sort")
        numbers = _order(monitor, sort_column, order == "desc")
        if filters:
            mask = np.ones(len(trials), dtype=bool)
            for expression in filters:
                if expression.strip():
                    mask &= _filter_mask(monitor, expression)
            numbers = numbers[mask[numbers]]
        page = numbers[offset : offset + limit]
        return {
            "total": len(trials),
            "matched": len(numbers),
            "offset": offset,
            "limit": limit,
            "rows": [trial_row(trials[i]) for i in page],
            "cursor": monitor.cursor,
        }
