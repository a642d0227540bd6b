"""The baseline's hooks: read the file at startup, record each eval item's results, write once.

Registered by the entry module in ``pytest_configure``. The file is read (and validated) when
the session is configured, so a broken file is one usage error before anything runs. With
``--pipelines-baseline-update`` every eval item that produced a run records an entry; under
pytest-xdist the workers send their entries (and the node ids they collected) to the controller
through ``workeroutput``, and the controller alone merges, prunes and writes the file, once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from pytest_pipelines import _baseline
from pytest_pipelines._baseline import BaselineError, Entry

BASELINE_STATE_KEY = pytest.StashKey["BaselineState"]()
WORKEROUTPUT_KEY = "pipelines_baseline"

BAD_MAX_DROP = (
    "pytest-pipelines: ini key pipelines_max_drop is {value!r}; give the largest tolerated drop "
    "from the baseline as a number between 0 and 1 (e.g. 0.05 for 5 points of pass rate)."
)
NO_ENTRY = (
    "no baseline entry for this test in {path}; create it with `pytest --pipelines-baseline-update`"
    " (then commit the file)"
)
NO_ENTRY_STRICT = NO_ENTRY + " (--pipelines-baseline-strict makes a missing entry a failure)"
NO_CRITERION = (
    "the baseline entry has no criterion {criterion!r} (known: {known}); refresh it with "
    "`pytest --pipelines-baseline-update`"
)
NO_FILE_STRICT = (
    "pytest-pipelines: --pipelines-baseline-strict needs the baseline file {path}, which does "
    "not exist. Create it with `pytest --pipelines-baseline-update` and commit it."
)
IMPROVED = (
    "better than the baseline: record it with `pytest --pipelines-baseline-update` so later "
    "runs compare against it"
)


@dataclass
class BaselineState:
    """The baseline of this session (``config.stash``).

    :param path: the baseline file.
    :param entries: the file's entries, or ``None`` when the file does not exist.
    :param update: ``--pipelines-baseline-update`` was given.
    :param strict: ``--pipelines-baseline-strict`` was given.
    :param max_drop: ini ``pipelines_max_drop`` (a regression gate on every gate), or ``None``.
    :param is_worker: this process is an xdist worker.
    """

    path: Path
    entries: dict[str, Entry] | None
    update: bool = False
    strict: bool = False
    max_drop: float | None = None
    is_worker: bool = False
    #: entries recorded in this session (the controller also gets the workers')
    recorded: dict[str, Entry] = field(default_factory=dict)
    #: node ids collected in this session, deselected ones included (the prune decision)
    known: set[str] = field(default_factory=set)
    #: eval items with a regression gate but no baseline entry
    missing: list[str] = field(default_factory=list)
    #: what the controller did at the end: ``(written, pruned)``
    written: bool = False
    pruned: list[str] = field(default_factory=list)


def baseline_path(config: pytest.Config) -> Path:
    """The baseline file: ini ``pipelines_baseline`` (relative to the ini file's directory),
    default ``pipelines-baseline.json`` next to the ini file (or in the rootdir)."""
    base = config.inipath.parent if config.inipath is not None else config.rootpath
    raw = str(config.getini("pipelines_baseline") or "").strip()
    return base / (raw or _baseline.DEFAULT_FILE)


def parse_max_drop(value: Any) -> float | None:
    """The ini key ``pipelines_max_drop``: ``None`` when unset, else a number in [0, 1].

    :raises pytest.UsageError: when it is not a number in [0, 1].
    """
    if value in (None, ""):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and 0 <= number <= 1):
        raise pytest.UsageError(BAD_MAX_DROP.format(value=value))
    return number


def make_state(config: pytest.Config) -> BaselineState:
    """Resolve the baseline settings and read the file.

    :raises pytest.UsageError: the file is corrupt, of another version or has a bad entry
        (one message naming the file, the entry and the fix); strict mode without a file.
    """
    path = baseline_path(config)
    update = bool(config.getoption("pipelines_baseline_update", False))
    strict = bool(config.getoption("pipelines_baseline_strict", False))
    try:
        entries = _baseline.load(path)
    except BaselineError as exc:
        if not update:
            raise pytest.UsageError(str(exc)) from None
        # an update rewrites the file anyway; a corrupt one must not stop that
        entries = None
    if strict and not update and entries is None:
        raise pytest.UsageError(NO_FILE_STRICT.format(path=path))
    return BaselineState(
        path=path,
        entries=entries,
        update=update,
        strict=strict,
        max_drop=parse_max_drop(config.getini("pipelines_max_drop")),
        is_worker=hasattr(config, "workerinput"),
    )


class BaselineHooks:
    """The baseline's hooks for one session's config."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.state = config.stash[BASELINE_STATE_KEY]

    # --- what exists: collected node ids, deselected ones included --------------------------

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        """A deselected test (``-k``, ``-m``, ``--lf``) still exists: never prune its entry."""
        self.state.known.update(i.nodeid for i in items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Every selected item exists."""
        self.state.known.update(i.nodeid for i in session.items)

    # --- recording --------------------------------------------------------------------------

    def pytest_pipelines_run_finished(self, item: pytest.Item, result: Any) -> None:
        """Record the item's entry (update mode)."""
        if self.state.update:
            self.state.recorded[item.nodeid] = _baseline.entry_from_result(item.nodeid, result)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist controller: take a finished worker's entries and collected node ids."""
        data = getattr(node, "workeroutput", {}).get(WORKEROUTPUT_KEY)
        if not data:
            return
        self.state.known.update(data.get("known") or ())
        for nodeid, raw in (data.get("entries") or {}).items():
            self.state.recorded[nodeid] = _baseline.entry_from_json(nodeid, raw)
        self.state.missing.extend(data.get("missing") or ())

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Worker: send entries to the controller. Controller: merge, prune and write once."""
        state = self.state
        if state.is_worker:
            workeroutput = getattr(self.config, "workeroutput", None)
            if workeroutput is not None:
                # builtin types only: execnet carries nothing else
                workeroutput[WORKEROUTPUT_KEY] = {
                    "entries": {n: _baseline.entry_to_json(e) for n, e in state.recorded.items()},
                    "known": sorted(state.known),
                    "missing": list(state.missing),
                }
            return
        if not state.update:
            return
        merged, state.pruned = _baseline.merge(state.entries or {}, state.recorded, state.known)
        _baseline.write(state.path, merged.values())
        state.written = True

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Controller: what was written and pruned, stale entries, items without an entry."""
        state = self.state
        if state.is_worker:
            return
        write = terminalreporter.write_line
        if state.written:
            write(
                f"pipelines: baseline written to {state.path} ({len(state.recorded)} "
                f"entr{'y' if len(state.recorded) == 1 else 'ies'} updated"
                + (f", {len(state.pruned)} pruned" if state.pruned else "")
                + ")"
            )
            for nodeid in state.pruned:
                write(f"  pruned (the test no longer exists): {nodeid}")
            return
        stale = _baseline.stale(state.entries or {}, state.known)
        if stale:
            write(
                f"pipelines: {len(stale)} baseline entr{'y' if len(stale) == 1 else 'ies'} in "
                f"{state.path} belong to tests that no longer exist (the next "
                "--pipelines-baseline-update prunes them):"
            )
            for nodeid in stale:
                write(f"  {nodeid}")
        if state.missing:
            write(
                f"pipelines: {len(state.missing)} eval test(s) have a regression gate but no "
                f"baseline entry in {state.path}; create them with "
                "`pytest --pipelines-baseline-update`:"
            )
            for nodeid in sorted(set(state.missing)):
                write(f"  {nodeid}")
