"""A command's start-up: Python's cyclic garbage collector rests while the modules load.

Importing SQLAlchemy, pydantic and snn-feed's own models allocates hundreds of thousands of
objects, and the collector walks them again and again as they come (25-50 ms of a command's
0.4 s on the 2-core machine), finding nothing to free: modules are not garbage. `snn-feed`
pauses it first thing (`__main__.run`, its entry point) and the store turns it back on when
a database is opened (`store.open_store`), by when every module a command needs is loaded, so
no run of a command (a backfill's hours, the service's days) goes without it.
"""

from __future__ import annotations

import gc

_paused = False


def pause_gc() -> None:
    """Pause the collector for the start-up, unless something else has turned it off."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume_gc() -> None:
    """Turn the collector back on, if `pause_gc` turned it off."""
    global _paused
    if _paused:
        gc.enable()
        _paused = False
