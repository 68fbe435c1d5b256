"""The library's logger, in the familiar ``[I 2026-11-28 10:00:00,123] message`` format.

podbor logs through ``logging.getLogger("podbor")`` and its children. At import it adds one
handler of its own to that logger (to stderr, level INFO) and nothing else: the root logger is
never touched. The functions here mirror Optuna's ``optuna.logging``.

Example:
    >>> import podbor
    >>> podbor.logging.set_verbosity(podbor.logging.WARNING)
    >>> podbor.logging.get_verbosity() == podbor.logging.WARNING
    True
    >>> podbor.logging.set_verbosity(podbor.logging.INFO)
"""

from __future__ import annotations

import logging as _logging
import sys
import threading
from logging import CRITICAL, DEBUG, ERROR, FATAL, INFO, WARN, WARNING

__all__ = [
    "CRITICAL",
    "DEBUG",
    "ERROR",
    "FATAL",
    "INFO",
    "WARN",
    "WARNING",
    "disable_default_handler",
    "disable_propagation",
    "enable_default_handler",
    "enable_propagation",
    "get_logger",
    "get_verbosity",
    "set_verbosity",
]

_LIBRARY = "podbor"
_lock = threading.Lock()
_default_handler: _logging.Handler | None = None


class _Formatter(_logging.Formatter):
    """``[I 2026-11-28 10:00:00,123] message``: level initial, local time, message."""

    def __init__(self) -> None:
        super().__init__("[%(levelname)1.1s %(asctime)s] %(message)s")


def _root() -> _logging.Logger:
    return _logging.getLogger(_LIBRARY)


def _configure() -> None:
    global _default_handler
    with _lock:
        if _default_handler is not None:
            return
        handler = _logging.StreamHandler(sys.stderr)
        handler.setFormatter(_Formatter())
        _default_handler = handler
        root = _root()
        root.addHandler(handler)
        root.setLevel(INFO)
        root.propagate = False


def get_logger(name: str) -> _logging.Logger:
    """Return a logger under the library's root, e.g. ``get_logger(__name__)``."""
    _configure()
    return _logging.getLogger(name)


def get_verbosity() -> int:
    """Return the library's current level (``podbor.logging.INFO`` by default)."""
    _configure()
    return _root().getEffectiveLevel()


def set_verbosity(verbosity: int) -> None:
    """Set the library's level, e.g. ``set_verbosity(podbor.logging.WARNING)`` to hide trial lines."""
    _configure()
    _root().setLevel(verbosity)


def disable_default_handler() -> None:
    """Remove podbor's own stderr handler (logs then go only where propagation sends them)."""
    _configure()
    assert _default_handler is not None
    _root().removeHandler(_default_handler)


def enable_default_handler() -> None:
    """Put podbor's own stderr handler back."""
    _configure()
    assert _default_handler is not None
    _root().addHandler(_default_handler)


def disable_propagation() -> None:
    """Stop podbor's records from reaching the root logger (the default)."""
    _configure()
    _root().propagate = False


def enable_propagation() -> None:
    """Let podbor's records reach the root logger, e.g. for ``caplog`` or an app's own handlers."""
    _configure()
    _root().propagate = True


_configure()


def printable(text: str) -> str:
    """``text`` with each control character (and any other unprintable one) escaped as Python
    writes it (``\\x1b``, ``\\n``), so that a name put in a log line or a terminal cannot move the
    cursor or recolor the terminal.

    Example:
        >>> printable("study\\x1b[31m")
        'study\\\\x1b[31m'
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
