"""Bulk loads without the cyclic garbage collector's full passes.

Reading a study of 10⁵ trials back creates some 10⁶ container objects that live on (trials,
their dicts and lists) and no reference cycles. CPython's collector runs a pass every 700 new
containers and a full pass over every live container whenever the long-lived ones grew by a
quarter, so such a load paid about 40 % of its time for collections that found nothing
(replaying a 10⁵-trial journal: 11.7 s, 7.4 s with collections held back).

:func:`paused_gc` holds automatic collections back for one bulk piece of work and lets them
run again after it, so cycles made by other threads meanwhile are found a moment later, not
never. The storages pause for a journal handle's opening, a database's first load of a study
(nothing of it cached yet) and a copy of :data:`BULK` trials or more; small, frequent reads never
pause, so threads reading all the time cannot keep the collector off between them. The pause is
counted, so nested or concurrent pauses (two threads loading at once) end only when the last one
ends, and a collector the user turned off stays off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["BULK", "paused_gc"]

BULK = 1000
"""From how many trials a copy or a load of trials is bulk work worth a pause: below it the
collector's passes cost little, and short pauses that many threads take often could overlap
so that the collector never ran."""

_lock = threading.Lock()
_depth = 0  # pauses in progress
_resume = False  # whether the collector was on when the first of them began


@contextmanager
def paused_gc(pause: bool = True) -> Iterator[None]:
    """Hold automatic garbage collection back while the block runs (for work that makes many
    long-lived objects and no cycles); collections resume after it as they were. With
    ``pause=False`` (small work) nothing changes.

    Example:
        >>> import gc
        >>> with paused_gc():
        ...     rows = [{"number": i} for i in range(10_000)]
        ...     gc.isenabled()
        False
        >>> gc.isenabled()
        True
    """
    global _depth, _resume
    if not pause:
        yield
        return
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
