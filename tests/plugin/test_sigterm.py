"""pytest_pipelines/_sigterm.py: SIGTERM raises ``Terminated`` in the main thread, once; a
handler someone else set is left alone; forked children get the default back. (What a
terminated session leaves behind: tests/plugin/test_cleanup.py.)"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from pytest_pipelines import _sigterm
from pytest_pipelines._sigterm import Terminated, install


@pytest.fixture
def default_sigterm() -> Iterator[None]:
    """SIGTERM at its default for the test (this suite's own session installed the handler)."""
    before = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    signal.signal(signal.SIGTERM, before)


@pytest.mark.usefixtures("default_sigterm")
def test_the_first_sigterm_raises_terminated_and_the_second_is_the_default() -> None:
    restore = install()
    assert restore is not None
    with pytest.raises(Terminated) as info:
        signal.raise_signal(signal.SIGTERM)
    assert isinstance(info.value, KeyboardInterrupt)
    assert "SIGTERM received" in str(info.value)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    restore()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.usefixtures("default_sigterm")
def test_restore_puts_the_default_back_and_leaves_a_later_handler() -> None:
    restore = install()
    assert restore is not None
    restore()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL

    def theirs(signum: int, frame: object) -> None:
        pass

    restore = install()
    assert restore is not None
    signal.signal(signal.SIGTERM, theirs)  # the user's test installs its own
    restore()
    assert signal.getsignal(signal.SIGTERM) is theirs


@pytest.mark.usefixtures("default_sigterm")
def test_a_handler_already_set_is_left_alone() -> None:
    def theirs(signum: int, frame: object) -> None:
        pass

    signal.signal(signal.SIGTERM, theirs)
    assert install() is None
    assert signal.getsignal(signal.SIGTERM) is theirs
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    assert install() is None
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN


@pytest.mark.usefixtures("default_sigterm")
def test_nothing_is_installed_from_another_thread() -> None:
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(install()))
    thread.start()
    thread.join()
    assert results == [None]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX only")
@pytest.mark.usefixtures("default_sigterm")
def test_a_forked_child_gets_the_default_and_dies_of_sigterm() -> None:
    restore = install()
    assert restore is not None
    try:
        pid = os.fork()
        if pid == 0:  # the child: the default disposition, so SIGTERM kills it
            try:
                if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
                    os._exit(3)
                os.kill(os.getpid(), signal.SIGTERM)
                os._exit(4)  # not reached
            finally:
                os._exit(5)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status), status
        assert os.WTERMSIG(status) == signal.SIGTERM
    finally:
        restore()


@pytest.mark.usefixtures("default_sigterm")
def test_a_sigterm_in_a_process_that_kept_the_handler_is_resent_with_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a child made without the fork hook (os.register_at_fork does not see every fork)
    restore = install()
    assert restore is not None
    handler = signal.getsignal(signal.SIGTERM)
    assert callable(handler)
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(_sigterm.os, "getpid", lambda: -1)
    monkeypatch.setattr(_sigterm.os, "kill", lambda pid, sig: sent.append((pid, sig)))
    handler(signal.SIGTERM, None)  # no Terminated: the signal goes again, by default
    assert sent == [(-1, signal.SIGTERM)]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    restore()
