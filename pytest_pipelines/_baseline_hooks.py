"""The baseline's hooks: read the file at startup, record each eval item's results, write once.

Registered by the entry module in ``pytest_configure``. The file is read (and validated) when
the session is configured, so a broken file is one usage error before anything runs. With
``--pipelines-baseline-update`` every eval item that produced a run records an entry; under
pytest-xdist the workers send their entries (and the node ids they collected) to the controller
through ``workeroutput``, and the controller alone merges, prunes and writes the file, once.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterator
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
NO_FILE_STRICT = (
    "pytest-pipelines: --pipelines-baseline-strict needs the baseline file {path}, which does "
    "not exist. Create it with `pytest --pipelines-baseline-update` and commit it."
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
        """Record the item's entry (update mode): one per variant of a multi-variant item."""
        if not self.state.update:
            return
        for key, part in _parts(item.nodeid, result):
            self.state.recorded[key] = _baseline.entry_from_result(key, part)

    @pytest.hookimpl(wrapper=True)
    def pytest_pipelines_verdict(
        self, item: pytest.Item, result: Any, gates: Any
    ) -> Generator[None, Any, Any]:
        """Add the regression outcomes (and a multi-variant item's comparisons) to the verdict."""
        verdict = yield
        if verdict is None:
            return None
        from pytest_pipelines._gates import Verdict, failure_table
        from pytest_pipelines._hooks import _normalize

        verdict = _normalize(verdict)
        extra = self.regression(item, result, gates) + _comparisons(item, result)
        if not extra:
            return verdict
        outcomes = (*verdict.outcomes, *extra)
        passed = verdict.passed and all(o.passed for o in extra)
        if passed:
            return Verdict(passed=True, outcomes=outcomes)
        if verdict.passed or not verdict.message:
            message = failure_table(outcomes)
        elif all(o.passed for o in extra):
            message = verdict.message
        else:  # keep the failing verdict's own words, then the comparisons
            message = verdict.message + "\n" + failure_table(extra)
        return Verdict(passed=False, outcomes=outcomes, message=message)

    def regression(self, item: pytest.Item, result: Any, gates: Any) -> list[Any]:
        """The regression outcomes of every gate with a ``max_drop`` (or ini pipelines_max_drop)."""
        state = self.state
        if state.update:
            return []  # the run is being accepted as the new baseline
        from pytest_pipelines._regression import regression_outcomes

        out: list[Any] = []
        for key, part in _parts(item.nodeid, result):
            label = f"[{part.variant}] " if part is not result else ""
            entry = (state.entries or {}).get(key)
            for gate in gates.effective(part):
                max_drop = getattr(gate, "max_drop", None)
                if max_drop is None:
                    max_drop = state.max_drop
                if max_drop is None:
                    continue
                if entry is None and key not in state.missing:
                    state.missing.append(key)
                out += regression_outcomes(
                    part,
                    gate,
                    entry,
                    max_drop=max_drop,
                    confidence=_confidence(self.config, gate),
                    path=str(state.path),
                    strict=state.strict,
                    label=label,
                )
        return out

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
        if state.entries is None and not state.recorded:
            return  # no eval test ran: no file is better than an empty one
        merged, state.pruned = _baseline.merge(state.entries or {}, state.recorded, state.known)
        _baseline.write(state.path, merged.values())
        state.written = True

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Controller: what was written and pruned, stale entries, items without an entry."""
        state = self.state
        if state.is_worker:
            return
        write = terminalreporter.write_line
        if state.update and not state.written:
            write(f"pipelines: no eval test ran, so the baseline {state.path} was not written")
            return
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


def _parts(nodeid: str, result: Any) -> Iterator[tuple[str, Any]]:
    """``(entry key, result)`` of an item: itself, or each variant of a multi-variant item."""
    variants = getattr(result, "variant_results", ())
    if not variants:
        yield nodeid, result
        return
    for part in variants:
        yield _baseline.entry_key(nodeid, part.variant), part


def _confidence(config: pytest.Config, gate: Any) -> float:
    """The gate's confidence, else the session's (ini pipelines_confidence), else 0.95."""
    from pytest_pipelines._session import STATE_KEY

    level = getattr(gate, "confidence", None)
    if level is None:
        level = getattr(config.stash[STATE_KEY].settings, "confidence", None)
    return float(level) if level is not None else 0.95


def _comparisons(item: pytest.Item, result: Any) -> list[Any]:
    """The ``pipelines_compare`` outcomes of a multi-variant item."""
    if not getattr(result, "variant_results", ()):
        return []
    from pytest_pipelines._markers import collect_spec_parts
    from pytest_pipelines._regression import compare_outcomes

    out: list[Any] = []
    for compare in collect_spec_parts(item.nodeid, item).get("compares") or ():
        out += compare_outcomes(result, compare)
    return out


def pytest_pipelines_verdict(item: pytest.Item, result: Any, gates: Any) -> Any:
    """A multi-variant item: its gates apply to every variant on its own.

    Runs before the plugin's default (which would judge every variant's tasks together); a
    ``conftest.py`` implementation still runs before this one.
    """
    variants = getattr(result, "variant_results", ())
    if not variants:
        return None
    from dataclasses import replace

    from pytest_pipelines._gates import Verdict, apply_gates, failure_table

    if not gates.criteria and not gates.tools:
        # pipelines_compare is the declared gate: no default all-boolean-pass on top of it
        gates = replace(gates, default="none")
    outcomes: list[Any] = []
    for part in variants:
        verdict = apply_gates(part, gates)
        outcomes += [replace(o, subject=f"[{part.variant}] {o.subject}") for o in verdict.outcomes]
    passed = all(o.passed for o in outcomes)
    return Verdict(
        passed=passed, outcomes=tuple(outcomes), message="" if passed else failure_table(outcomes)
    )
