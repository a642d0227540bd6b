"""A quick interpreter exit after a session that used Pipelines (``pipelines_freeze_at_exit``).

An eval session imports the client (httpx, pydantic and its models) and, in local mode, the
embedded backend (FastAPI, Starlette, uvicorn): about 46,000 objects the garbage collector
tracks, on top of pytest's 39,000. CPython's shutdown runs its cycle collector four times over
every one of them while it takes the modules apart, which costs about 0.2 s of CPU per process
(``benchmarks/bench_local_start.py --sections breakdown``) for nothing: the process is ending.

So the first session of a process that makes a Pipelines client registers an ``atexit``
handler which, when the interpreter exits, first collects the garbage there is (every object
already unreachable is finalized as usual, its ``__del__`` and weakref callbacks included) and
then moves every remaining object into the collector's permanent generation
(:func:`gc.freeze`). The shutdown's collections then skip them.

What that changes, and only at exit: an object still *reachable* when the handler runs (a
module global, say), which becomes garbage only because the interpreter clears the modules,
and is part of a reference cycle, is not finalized: CPython's own shutdown would have run its
``__del__``. The language makes no such promise ("It is not guaranteed that ``__del__()``
methods are called for objects that still exist when the interpreter exits", the data model
reference), and objects outside cycles are still freed, and finalized, as the modules are
cleared: an open file held by a module global is still flushed and closed. Every ``atexit``
handler still runs; the ones registered after this one run before it, the others after it.
``pipelines_freeze_at_exit = false`` keeps CPython's default.
"""

from __future__ import annotations

import atexit
import gc
import threading

_lock = threading.Lock()
_armed = False
_registered = False


def arm(enabled: bool) -> None:
    """Freeze the heap at this process's exit (``enabled``), or no longer (``not enabled``).

    The last session of the process to make a client decides; the handler is registered once.
    """
    global _armed, _registered
    with _lock:
        _armed = enabled
        if enabled and not _registered:
            atexit.register(freeze_at_exit)
            _registered = True


def armed() -> bool:
    """Whether the heap will be frozen at this process's exit."""
    return _armed


def freeze_at_exit() -> None:
    """The ``atexit`` handler: collect what is garbage now, then freeze what is left."""
    if not _armed:
        return
    freeze = getattr(gc, "freeze", None)  # CPython 3.7+; another interpreter keeps its default
    if freeze is None:
        return
    gc.collect()
    freeze()
