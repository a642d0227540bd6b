"""SIGTERM stops a session as Ctrl-C does (``pipelines_handle_sigterm``, default true).

A CI that cancels or times out a job (Jenkins' abort, GitLab's cancel and timeout, ``docker
stop``, Kubernetes) sends the job's processes SIGTERM, then SIGKILL after a grace period. By
default Python dies on SIGTERM at once: no fixture is torn down and no session hook runs, so
the ephemeral workflows, experiment copies and other objects the session made stay on the
platform, and a run launched ahead keeps running. pytest leaves signals alone on purpose
(its docs, "fixture teardown and SIGTERM"); this plugin owns objects that cost money, so in
the process that runs the session it makes the first SIGTERM what Ctrl-C is: a
:class:`Terminated` (a ``KeyboardInterrupt``) raised in the main thread. pytest then stops as
on Ctrl-C: it tears the fixtures down (the plugin's delete what they made), cancels what was
launched ahead and sweeps at the session's end, and exits with code 2 (interrupted).

What it leaves alone:
- a SIGTERM handler someone else installed: the plugin installs its own only over the
  default disposition, and puts the default back when the session ends (if its handler is
  still the one installed);
- a second SIGTERM: the first one puts the default back, so the next one kills at once, as a
  second Ctrl-C would stop the cleanup;
- forked children (``multiprocessing`` with the fork start method): a child gets the default
  back as it starts, and a SIGTERM reaching a process other than the one that installed the
  handler is re-sent with the default disposition, so ``Pool.terminate()`` still kills its
  workers;
- threads other than the main one, and platforms without SIGTERM: nothing is installed.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType

TERMINATED = (
    "pytest-pipelines: SIGTERM received; stopping as on Ctrl-C: fixtures are torn down and the "
    "objects this session made are swept (a second SIGTERM kills at once; "
    "pipelines_handle_sigterm = false keeps the default)"
)


class Terminated(KeyboardInterrupt):
    """The session was sent SIGTERM (raised in the main thread, as Ctrl-C raises its own)."""


_fork_hook_registered = False
#: the handlers this module installed and that are not restored yet
_installed: list[Callable[[int, FrameType | None], None]] = []


def install() -> Callable[[], None] | None:
    """Make SIGTERM raise :class:`Terminated` in the main thread; the undo, or None when the
    plugin leaves SIGTERM alone (not the main thread, no SIGTERM, a handler already set)."""
    global _fork_hook_registered
    sigterm = getattr(signal, "SIGTERM", None)
    if sigterm is None or threading.current_thread() is not threading.main_thread():
        return None
    if signal.getsignal(sigterm) is not signal.SIG_DFL:
        return None
    owner = os.getpid()

    def handler(signum: int, frame: FrameType | None) -> None:
        signal.signal(sigterm, signal.SIG_DFL)
        if os.getpid() != owner:  # a forked child that kept the handler: die as by default
            os.kill(os.getpid(), sigterm)
            return
        raise Terminated(TERMINATED)

    signal.signal(sigterm, handler)
    if not _fork_hook_registered and hasattr(os, "register_at_fork"):
        # registered once per process; the hook resets only a handler installed here
        os.register_at_fork(after_in_child=_reset_in_child)
        _fork_hook_registered = True
    _installed.append(handler)

    def restore() -> None:
        if handler in _installed:
            _installed.remove(handler)
        if signal.getsignal(sigterm) is handler:
            signal.signal(sigterm, signal.SIG_DFL)

    return restore


def _reset_in_child() -> None:
    """After a fork, in the child: the default disposition back if the handler is ours."""
    if signal.getsignal(signal.SIGTERM) in _installed:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
