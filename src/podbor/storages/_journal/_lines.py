"""Complete journal lines to operations: parsed in bounded parts, each line on its own.

A journal of 10⁵ trials holds about 6·10⁵ lines (140 MB). Reading it whole and parsing it line by
line with ``json.loads`` cost more time in the wrappers around JSON's C scanner than in the
scanner itself, and held every parsed line in memory at once. Here the bytes are read in small
parts (:data:`PART_BYTES`), each part is decoded once, and each line is handed to the C scanner
directly. A line counts only when the scanner reads it *whole* from its first character (what
``json.loads`` of that line alone returns, so a line is never read together with its neighbour);
anything else (leading or trailing blanks, bytes that are not UTF-8, nesting too deep) goes
through ``json.loads`` of the line itself, so every reader gets the same records as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from podbor.storages._journal._check import UNREADABLE

__all__ = ["PART_BYTES", "LineParser", "ReadResult", "lines_text", "parse_line"]

PART_BYTES = 1 << 14
"""About how many bytes of a journal are read and parsed at a time (whole lines only; a longer
line is read whole). Small, so that a part's parsed lines are still in the processor's cache
when the replay applies them: ~70 lines of ~230 bytes make ~40 KiB of objects. A full replay of
a 10⁵-trial journal took 5.1–5.4 s with parts of 1 MiB (~2.5 MB of objects each) and 3.8–4.2 s
with these (``benchmarks/README.md``, session 35)."""

_scan: Callable[[str, int], tuple[Any, int]] = json.JSONDecoder().scan_once  # type: ignore[attr-defined]


@dataclass
class ReadResult:
    """Complete, valid lines read from a journal: ``(line number, record)`` pairs (the header is
    line 1), the offset just past the last of them (where the next read starts) and the number
    of the line that starts there."""

    records: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    end: int = 0
    end_line: int = 1


def parse_line(raw: bytes) -> dict[str, Any] | None:
    """The operation on a line; None for a line that is not an operation in JSON (torn or
    damaged). A complete line nested too deeply for JSON to read is an operation that
    :func:`~podbor.storages._journal._check.check_op` refuses (skipped, with its line number)."""
    try:
        record = json.loads(raw)
    except ValueError:  # also UnicodeDecodeError
        return None
    except RecursionError:
        return {"op": UNREADABLE, "reason": "nested too deeply for JSON to read"}
    return record if isinstance(record, dict) and "op" in record else None


def _parse_text(text: str, raw: bytes) -> dict[str, Any] | None:
    """:func:`parse_line` of ``raw``, whose UTF-8 text is ``text``, by the C scanner alone when
    it reads the whole line (the common case: what podbor writes)."""
    try:
        record, end = _scan(text, 0)
    except Exception:  # not JSON from the first character, or too deep: the exact path decides
        return parse_line(raw)
    if end != len(text):
        return parse_line(raw)  # blanks or more after the value: json.loads decides
    return record if type(record) is dict and "op" in record else None


def lines_text(first: int, last: int) -> str:
    """``"line 7"`` or ``"lines 7-9"``."""
    return f"line {first}" if first >= last else f"lines {first}-{last}"


class LineParser:
    """Parses consecutive parts of a journal (each a run of whole lines) into operations.

    Args:
        check_header: Called with the first line's bytes and record when a part starts at
            offset 0 (it raises when the file is not a journal).
        warn: Called with a message for each run of damaged lines skipped.
        path: The journal's path, for messages.
        skip_damaged: Whether a damaged line followed by more lines is skipped (only under the
            lock: without it, another writer could still be completing the line).
    """

    def __init__(
        self,
        check_header: Callable[[bytes, dict[str, Any] | None], None],
        warn: Callable[[str], None],
        path: str,
        *,
        skip_damaged: bool,
    ) -> None:
        self._check_header = check_header
        self._warn = warn
        self._path = path
        self._skip_damaged = skip_damaged
        self._damaged: int | None = None  # first line of a run of damaged lines not yet said

    @staticmethod
    def _parse_plain(data: bytes, result: ReadResult) -> int:
        """Parse the leading run of ``data``'s lines that the C scanner reads whole into
        operations (every line, in the common case) into ``result``; return the bytes read.

        ``data`` is ASCII, so a line's characters are its bytes and nothing needs the line as
        bytes. The first line that is not read whole (a torn, damaged or blank line, or one
        ``json.loads`` might read otherwise) ends the run: the general loop decides about it.
        """
        texts = data.decode("ascii").split("\n")
        texts.pop()  # after the last newline: empty, or a torn tail
        records, number, done = result.records, result.end_line, 0
        for text in texts:
            try:
                record, end = _scan(text, 0)
            except Exception:
                break
            if end != len(text) or type(record) is not dict or "op" not in record:
                break
            records.append((number, record))
            number += 1
            done += end + 1
        result.end, result.end_line = result.end + done, number
        return done

    def parse(self, data: bytes, offset: int, line: int, *, more: bool) -> tuple[ReadResult, bool]:
        """Parse ``data`` (whole lines, the first numbered ``line``, starting at ``offset``).

        Returns:
            The records, and whether the read is blocked: a damaged line was met without
            ``skip_damaged`` while more lines follow (in ``data``, or after it when ``more``),
            so the caller should take the lock and read again from the result's ``end``.
        """
        result = ReadResult([], offset, line)
        if offset and self._damaged is None and data.isascii():  # what podbor writes
            done = self._parse_plain(data, result)
            if done == len(data):
                return result, False
            data, offset, line = data[done:], offset + done, result.end_line
        lines = data.split(b"\n")
        lines.pop()  # after the last newline: empty, or a torn tail
        try:
            texts: list[str] | None = data.decode("utf-8").split("\n")
        except UnicodeDecodeError:
            texts = None  # each line decoded by json.loads alone (which says which are bad)
        records = result.records
        start = offset
        for i, raw in enumerate(lines):
            number = line + i
            record = parse_line(raw) if texts is None else _parse_text(texts[i], raw)
            if start == 0:
                self._check_header(raw, record)
                result.end, result.end_line = len(raw) + 1, number + 1
            elif record is None:
                if not self._skip_damaged:
                    return result, more or i + 1 < len(lines)
                if self._damaged is None:
                    self._damaged = number
            else:
                if self._damaged is not None:
                    self._warn(
                        f"Skipped {lines_text(self._damaged, number - 1)} of the journal "
                        f"{self._path}: not JSON (damaged, or written by another program); the "
                        "lines around are read."
                    )
                    self._damaged = None
                records.append((number, record))
                result.end, result.end_line = start + len(raw) + 1, number + 1
            start += len(raw) + 1
        return result, False
