"""The plugin's hook implementations (registered by the entry module in ``pytest_configure``)."""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Generator, Iterable
from pathlib import Path
from typing import Any

import pytest

from pytest_pipelines import EXIT_BROKEN_RUNS
from pytest_pipelines._fixtures import BROKEN_KEY, BUDGET_KEY, GATES_KEY, RESULT_KEY
from pytest_pipelines._secret import Secret
from pytest_pipelines._session import (
    STATE_KEY,
    begin_local,
    load_models,
    session_sweep,
    settle_local,
    start_local,
    stop_local,
)

VERDICT_KEY = pytest.StashKey[Any]()
#: the item's ItemRecord (on the process that runs it)
RECORD_KEY = pytest.StashKey[Any]()
#: True once the item's scalar properties went into user_properties (xunit1)
PROPS_KEY = pytest.StashKey[bool]()
ROOT_KEY = pytest.StashKey[Path]()
REPORT_OPTIONS_KEY = pytest.StashKey[Any]()
BROKEN_ATTR = "pipelines_broken"
EXIT_CODE_LINE = (
    "pipelines: every failure of this session is a broken run ({n}: platform errors, timeouts, "
    "failed cleanup), none a quality miss: exit code {code} (--pipelines-exit-codes)"
)
RUN_FIXTURE = "pipelines_run"
#: the attribute of a TestReport that holds the record (and the key of its serialized dict)
REPORT_ATTR = "pipelines_record"
SECRET_COMPARED = (
    "an API key is compared: its value is not shown (pytest would diff it in full); compare "
    "its length or a prefix such as key.startswith('pk_live_') to see more"
)
BAD_VERDICT = (
    "pytest_pipelines_verdict returned {value!r}; return a pytest_pipelines.Verdict, True/False, "
    "or None to defer to the next implementation."
)
UNKNOWN_MARKER = (
    "{where}: @pytest.mark.{marker} is not a pytest-pipelines marker{hint}; it would be ignored "
    "(no gate, no swap). The markers are: {known}."
)
DID_YOU_MEAN = " (did you mean @pytest.mark.{name}?)"
# pytest's own error for an unregistered mark under --strict-markers (raised at import time,
# before any hook of ours sees the test): the hint is added to that collection error
STRICT_MARKERS_ERROR = re.compile(r"'(pipelines_\w+)' not found in `markers` configuration option")


def unknown_marker(where: str, name: str, known: Iterable[str]) -> str:
    """The error for a ``pipelines_*`` mark that is not one of ``known``, with a did-you-mean."""
    names = sorted(known)
    # compared without the shared "pipelines_" prefix, which would make any name look close
    stems = {n.removeprefix("pipelines_"): n for n in names}
    close = difflib.get_close_matches(name.removeprefix("pipelines_"), stems, n=1, cutoff=0.6)
    hint = DID_YOU_MEAN.format(name=stems[close[0]]) if close else ""
    return UNKNOWN_MARKER.format(where=where, marker=name, hint=hint, known=", ".join(names))


def _check_marker_names(nodeid: str, marks: Iterable[pytest.Mark]) -> None:
    """A misspelled ``pipelines_*`` mark is a collection error, not a silently ignored mark."""
    from pytest_pipelines._markers import MARKER_DOCS

    for mark in marks:
        if mark.name.startswith("pipelines_") and mark.name not in MARKER_DOCS:
            pytest.fail(unknown_marker(nodeid, mark.name, MARKER_DOCS), pytrace=False)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Validate pipelines markers at collection; one item per variant."""
    from pytest_pipelines._markers import (
        NEEDS_RUN_FIXTURE,
        NEEDS_WORKFLOW,
        MarkerError,
        collect_spec_parts,
        uses_pipelines_markers,
    )

    definition = metafunc.definition
    marks = list(definition.iter_markers())
    _check_marker_names(definition.nodeid, marks)
    has_marks = any(m.name.startswith("pipelines_") for m in marks)
    uses_run = "pipelines_run" in metafunc.fixturenames
    if not has_marks and not uses_run:
        return
    nodeid = definition.nodeid
    try:
        parts = collect_spec_parts(nodeid, definition)
    except MarkerError as exc:
        # ``from None``: the MarkerError is the message; a chained copy would print it twice
        raise pytest.fail.Exception(str(exc), pytrace=False) from None
    marker = uses_pipelines_markers(parts)
    if marker is not None and not uses_run:
        pytest.fail(NEEDS_RUN_FIXTURE.format(nodeid=nodeid, marker=marker), pytrace=False)
    if uses_run and "target" not in parts:
        pytest.fail(NEEDS_WORKFLOW.format(nodeid=nodeid), pytrace=False)
    variants = parts.get("variants")
    # with pipelines_compare, every variant runs in the item's one experiment: no parametrizing
    if variants and not parts.get("compares"):
        names = list(variants)
        metafunc.parametrize("_pipelines_variant", names, ids=names, indirect=True)


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    """Under ``--strict-markers``, pytest's error for a misspelled mark gets the did-you-mean."""
    report = yield
    if report.failed:
        text = str(report.longrepr)
        found = STRICT_MARKERS_ERROR.search(text)
        if found is not None:
            from pytest_pipelines._markers import MARKER_DOCS

            if found.group(1) not in MARKER_DOCS:
                hint = unknown_marker(collector.nodeid, found.group(1), MARKER_DOCS)
                report.longrepr = f"{text}\n{hint}"
    return report


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Set ``pipelines_run`` up after every other fixture the test requests.

    pytest sets a test's fixtures up in the order of ``item.fixturenames`` (autouse fixtures,
    then ``usefixtures``, then the arguments; higher scopes first). The run happens when
    ``pipelines_run`` is set up, so moving it to the end lets a fixture that prepares the backend
    (a tool binding or ground truth) be listed in any argument position. A fixture that itself
    requests ``pipelines_run`` still runs it when that fixture is set up.
    """
    for item in items:
        if not isinstance(item, pytest.Function):
            continue
        names = item.fixturenames
        if RUN_FIXTURE in names and names[-1] != RUN_FIXTURE:
            # a new list: parametrized items of one function share their fixture info's list
            item.fixturenames = [n for n in names if n != RUN_FIXTURE] + [RUN_FIXTURE]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Before a test runs: launch the known runs of the tests that follow it (up to the bound)."""
    from pytest_pipelines._overlap import OVERLAP_KEY

    overlap = item.config.stash.get(OVERLAP_KEY, None)
    if overlap is not None and overlap.active:
        overlap.fill(overlap.upcoming(item, nextitem))


@pytest.hookimpl(trylast=True)
def pytest_pipelines_verdict(item: pytest.Item, result: Any, gates: Any) -> Any:
    """The default verdict: apply the gates."""
    from pytest_pipelines._gates import apply_gates

    return apply_gates(result, gates)


def _normalize(value: Any) -> Any:
    from pytest_pipelines._gates import Verdict

    if isinstance(value, Verdict):
        return value
    if isinstance(value, bool):
        return Verdict(
            passed=value,
            message="" if value else "pipelines: a pytest_pipelines_verdict hook failed this test",
        )
    raise TypeError(BAD_VERDICT.format(value=value))


def _root(config: pytest.Config) -> Path:
    """The directory report paths are relative to: the git top level, else pytest's rootdir."""
    root = config.stash.get(ROOT_KEY, None)
    if root is None:
        from pytest_pipelines._record import repo_root

        root = config.stash[ROOT_KEY] = repo_root(config.rootpath)
    return root


def _base_record(item: pytest.Item) -> Any:
    """The identity and location of an eval item, before its run."""
    from pytest_pipelines._fixtures import display_test_name
    from pytest_pipelines._record import ItemRecord, def_line, relative_file

    callspec = getattr(item, "callspec", None)
    variant = callspec.params.get("_pipelines_variant") if callspec is not None else None
    index = callspec.indices.get("_pipelines_variant", 0) if callspec is not None else 0
    line = def_line(getattr(item, "obj", None)) or (item.location[1] or 0) + 1
    return ItemRecord(
        nodeid=item.nodeid,
        test=display_test_name(item.nodeid, variant),
        variant=variant,
        variant_index=int(index),
        file=relative_file(Path(item.path), _root(item.config)),
        line=int(line),
    )


def _junit_family(config: pytest.Config) -> str:
    try:
        return str(config.getini("junit_family") or "xunit2")
    except ValueError:  # pytest's junitxml plugin disabled (-p no:junitxml)
        return "xunit2"


def _store(item: pytest.Item, rec: Any) -> None:
    """Keep ``rec`` for the item's reports; xunit1: a few readable scalars for --junitxml.

    pytest writes ``user_properties`` as ``<properties>`` inside ``<testcase>``, which only the
    xunit1 family allows (junit-10.xsd, the xunit2 schema, rejects it): with xunit2 the scores
    are in the plugin's own reports only.
    """
    item.stash[RECORD_KEY] = rec
    final = rec.has_run or rec.error is not None  # not the setup's placeholder
    if final and _junit_family(item.config) == "xunit1" and not item.stash.get(PROPS_KEY, False):
        from pytest_pipelines._junit import scalar_properties

        item.stash[PROPS_KEY] = True
        item.user_properties.extend(scalar_properties(rec))


def _record_run(item: pytest.Item, result: Any, verdict: Any, body: str, skip: str = "") -> None:
    from pytest_pipelines._record import from_run

    rec = item.stash.get(RECORD_KEY, None) or _base_record(item)
    rec = from_run(rec, result, verdict, body=body)
    rec.skip_reason = skip
    _store(item, rec)


BODY_FAILED_VERDICT = (
    "The test body failed first, so that is this test's failure; the run's gates missed too:"
)


def _verdict_after_the_body(item: pytest.Item, result: Any) -> Any:
    """The verdict on the run of an item whose body failed or skipped: the same hook as after a
    passing body (regression and comparison outcomes included), for the reports.

    A verdict hook that raises here would hide the body's own error, so its exception falls
    back to the default gates.
    """
    from pytest_pipelines._gates import apply_gates

    gates = item.stash[GATES_KEY]
    try:
        return _normalize(
            item.ihook.pytest_pipelines_verdict(item=item, result=result, gates=gates)
        )
    except Exception:
        return apply_gates(result, gates)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    """After the test body: the verdict on the run's gates."""
    try:
        res = yield
    except BaseException as exc:
        result = item.stash.get(RESULT_KEY, None)
        if result is not None:
            verdict = _verdict_after_the_body(item, result)
            skipped = isinstance(exc, pytest.skip.Exception)
            reason = str(getattr(exc, "msg", "") or "") if skipped else ""
            _record_run(item, result, verdict, "skipped" if skipped else "failed", reason)
            if not skipped and not verdict.passed:
                # the body's error is the failure; what the gates (a regression included) said
                # of the run is shown beside it, not lost
                item.add_report_section(
                    "call", "pipelines verdict", BODY_FAILED_VERDICT + "\n" + verdict.message
                )
        raise
    result = item.stash.get(RESULT_KEY, None)
    if result is None:
        return res
    verdict = _normalize(
        item.ihook.pytest_pipelines_verdict(item=item, result=result, gates=item.stash[GATES_KEY])
    )
    item.stash[VERDICT_KEY] = verdict
    _record_run(item, result, verdict, "passed")
    from pytest_pipelines._gates import PipelinesWarningError, emit_warnings

    try:
        emit_warnings(verdict)
    except PipelinesWarningError as exc:
        pytest.fail(str(exc), pytrace=False)
    from pytest_pipelines._usage import over_budget

    budget = item.stash.get(BUDGET_KEY, None)
    over = over_budget(budget, [(t.id, t.usage) for t in result.tasks]) if budget else None
    if not verdict.passed:
        message = verdict.message or "pipelines: the verdict failed this test"
        pytest.fail(message + (f"\n{over}" if over else ""), pytrace=False)
    if over:
        pytest.fail(over, pytrace=False)
    return res


def broken_reason(item: pytest.Item, call: pytest.CallInfo[None]) -> str | None:
    """Why a failed phase is a broken run, or ``None`` when it may be a quality failure.

    Broken: a run the plugin could not complete (:class:`RunBroken`: task failed or timed out,
    evaluator error, API error), objects the API would not delete at teardown, or an error the
    client raised for the platform (any ``PipelinesError`` but a bad payload caught before
    sending, ``PipelinesConfigError``).
    """
    from pytest_pipelines.client import PipelinesConfigError, PipelinesError

    marked = item.stash.get(BROKEN_KEY, {}).get(call.when)
    if marked is not None:
        return marked
    exc = call.excinfo.value if call.excinfo is not None else None
    if isinstance(exc, PipelinesError) and not isinstance(exc, PipelinesConfigError):
        return type(exc).__name__
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Attach the item's record to its reports; a setup that stops the run records why.

    A failed report whose cause is a broken run is marked (an attribute that crosses xdist).
    """
    report = yield
    if report.failed:
        reason = broken_reason(item, call)
        if reason is not None:
            setattr(report, BROKEN_ATTR, reason)
    if RUN_FIXTURE not in getattr(item, "fixturenames", ()):
        return report
    rec = item.stash.get(RECORD_KEY, None)
    if call.when == "setup" and rec is None:
        rec = _base_record(item)
        exc = call.excinfo.value if call.excinfo is not None else None
        if report.skipped:
            rec.skip_reason = str(getattr(exc, "msg", "") or report.longreprtext)
        elif report.failed:
            from pytest_pipelines._record import error_text

            rec.error = error_text(exc) if exc is not None else report.longreprtext
        _store(item, rec)
    if rec is not None:
        setattr(report, REPORT_ATTR, rec)
        if call.when == "call" or (call.when == "setup" and not report.passed):
            _html_extra(item, report, rec)
    return report


def _html_extra(item: pytest.Item, report: pytest.TestReport, rec: Any) -> None:
    """With pytest-html active, the eval table as an extra of the test's row."""
    plugin = item.config.pluginmanager.getplugin("html")
    if plugin is None:
        return
    try:
        from pytest_html import extras  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        return
    from pytest_pipelines._html import item_fragment

    # pytest-html reads the ``extras`` attribute of a report
    report.extras = [  # type: ignore[attr-defined]
        *getattr(report, "extras", []),
        extras.html(item_fragment(rec)),
    ]


@pytest.hookimpl(wrapper=True)
def pytest_report_to_serializable(config: pytest.Config, report: Any) -> Any:
    """xdist worker: the record travels as a plain dict (execnet sends builtin types only)."""
    data = yield
    rec = getattr(report, REPORT_ATTR, None)
    if isinstance(data, dict) and rec is not None:
        data[REPORT_ATTR] = rec if isinstance(rec, dict) else rec.to_dict()
    return data


@pytest.hookimpl(wrapper=True)
def pytest_report_from_serializable(config: pytest.Config, data: Any) -> Any:
    """xdist controller: the typed record back from its dict."""
    report = yield
    raw = data.get(REPORT_ATTR) if isinstance(data, dict) else None
    if report is not None and isinstance(raw, dict):
        from pytest_pipelines._record import ItemRecord

        setattr(report, REPORT_ATTR, ItemRecord.from_dict(raw))
    return report


class SessionHooks:
    """Hooks that need the session's config (registered once per config)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        from pytest_pipelines._reporting import resolve_report_options

        config.stash[REPORT_OPTIONS_KEY] = resolve_report_options(config)

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:
        """A test is over: its run launched ahead is done with; one it did not use is cancelled."""
        from pytest_pipelines._overlap import OVERLAP_KEY

        overlap = self.config.stash.get(OVERLAP_KEY, None)
        if overlap is not None:
            overlap.finish(nodeid)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        """Cancel the runs launched ahead for tests that did not run (-x, --maxfail, Ctrl-C)."""
        from pytest_pipelines._overlap import OVERLAP_KEY

        overlap = self.config.stash.get(OVERLAP_KEY, None)
        if overlap is not None:
            overlap.cancel_all()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Controller side: keep each eval test's record, with its outcome and time."""
        state = self.config.stash[STATE_KEY]
        if state.is_worker:
            return
        if report.failed:
            if getattr(report, BROKEN_ATTR, None):
                state.broken_failures += 1
            else:
                state.other_failures += 1
        rec = getattr(report, REPORT_ATTR, None)
        if rec is None:
            return
        if isinstance(rec, dict):
            from pytest_pipelines._record import ItemRecord

            rec = ItemRecord.from_dict(rec)
        known = state.records.get(report.nodeid)
        if known is not None and known is not rec:
            # a later phase's copy (xdist sends one per report) carries the newest results
            rec.outcome, rec.duration, rec.problem = known.outcome, known.duration, known.problem
        state.records[report.nodeid] = rec
        from pytest_pipelines._reporting import apply_report

        apply_report(rec, report)


def pytest_assertrepr_compare(
    config: pytest.Config, op: str, left: object, right: object
) -> list[str] | None:
    """A comparison with an API key explains itself without the key.

    pytest's own explanation of ``str == str`` is a text diff of both values in full; the key is
    a :class:`~pytest_pipelines._secret.Secret`, so both sides are shown masked instead.
    """
    if op not in ("==", "!=", "in", "not in") or not (
        isinstance(left, str) and isinstance(right, str)
    ):
        return None
    if not isinstance(left, Secret) and not isinstance(right, Secret):
        return None

    def shown(value: str) -> str:
        return f"{Secret(value)!r} ({len(value)} characters)"

    return [f"{shown(left)} {op} {shown(right)}", SECRET_COMPARED]


def pytest_report_header(config: pytest.Config) -> str:
    """Mode and base URL (never the key)."""
    state = config.stash[STATE_KEY]
    return state.settings.describe(state.base_url)


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    """Controller, local mode: a bad model spec stops the session here, once, before any worker.

    Under xdist the controller collects nothing and runs no test, so the backend starts now, in
    the background, while the workers start and collect; each worker waits for it at its first
    test that needs it (``pipelines_local`` stays a controller-only handle).
    """
    config = session.config
    state = config.stash[STATE_KEY]
    load_models(state)
    if config.pluginmanager.has_plugin("dsession"):
        begin_local(state, handoff=True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist controller: share the run id, base URL, key and ``--dist`` mode with a worker.

    In local mode the backend may still be starting: the worker gets the key and the handoff
    file that will carry the URL.
    """
    state = node.config.stash[STATE_KEY]
    if state.settings.mode == "local" and state.handoff is None:
        start_local(state)
    if state.handoff:
        node.workerinput["pipelines_local_handoff"] = state.handoff
    node.workerinput["pipelines_run_id"] = state.run_id
    # a worker's own config says dist "no" (xdist resets it there)
    node.workerinput["pipelines_dist"] = str(getattr(node.config.option, "dist", "") or "")
    if state.ledger_dir:
        node.workerinput["pipelines_ledger_dir"] = state.ledger_dir
    if state.base_url:
        node.workerinput["pipelines_base_url"] = state.base_url
    if state.api_key:
        # a plain str: execnet sends only builtin types (workers wrap it in a Secret again)
        node.workerinput["pipelines_api_key"] = str(state.api_key)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    """The results table, and variants side by side."""
    state = config.stash[STATE_KEY]
    if state.is_worker or not state.records:
        return
    from pytest_pipelines._summary import ordered, write_summary
    from pytest_pipelines._usage import session_line

    width = config.stash[REPORT_OPTIONS_KEY].table_width
    write_summary(terminalreporter, ordered(state.records.values()), width)
    line = session_line(r.usage for r in state.records.values())
    if line:
        terminalreporter.write_line(line)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Controller: write the reports (JUnit, Markdown, HTML) and sweep what this run left."""
    config = session.config
    state = config.stash[STATE_KEY]
    if state.is_worker:
        return
    reporter = config.pluginmanager.get_plugin("terminalreporter")

    def log(line: str) -> None:
        if reporter is not None:
            reporter.ensure_newline()
            if getattr(reporter._tw, "width_of_current_line", 0):  # e.g. after xdist's progress
                reporter.write("\n")
            reporter.write_line(line)

    settle_local(state)
    try:
        from pytest_pipelines._reporting import write_reports

        write_reports(config, state, exitstatus, log)
    finally:
        session_sweep(state, log, distributed=config.pluginmanager.has_plugin("dsession"))
    if (
        state.settings.exit_codes
        and exitstatus == pytest.ExitCode.TESTS_FAILED
        and state.broken_failures
        and not state.other_failures
    ):
        log(EXIT_CODE_LINE.format(n=state.broken_failures, code=EXIT_BROKEN_RUNS))
        session.exitstatus = EXIT_BROKEN_RUNS


def _stderr_line(line: str) -> None:
    sys.stderr.write(line + "\n")


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the embedded backend (controller)."""
    state = config.stash.get(STATE_KEY, None)
    if state is not None:
        if state.client is not None:
            state.client.close()
            state.client = None
        if not state.is_worker and state.ledger_dir and os.path.isdir(state.ledger_dir):
            # no session ran (--markers, --help, another plugin's configure failed): the sweep
            # at pytest_sessionfinish never came; what the ledger holds (nothing, usually) is
            # swept now, while a local backend still answers, and the directory goes
            session_sweep(state, _stderr_line)
        stop_local(state)
